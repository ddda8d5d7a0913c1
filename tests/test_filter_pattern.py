"""The offline CloudWatch Logs JSON filter-pattern matcher, checked against AWS's own documented examples
and against cris-guard's residency pattern on sample CloudTrail records."""

from __future__ import annotations

import os

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import pytest  # noqa: E402

from cris_guard.constructs.audit_alarms import residency_violation_pattern  # noqa: E402
from cris_guard.filter_pattern import UnsupportedPattern, compile_pattern, matches  # noqa: E402

BOTH_SEMANTICS = pytest.mark.parametrize("absent_ne", [False, True], ids=["absent!=false", "absent!=true"])

# The JSON examples of the CloudWatch Logs "Filter pattern syntax" page (JSON section), verbatim.
DOC_EVENT = {
    "eventType": "UpdateTrail",
    "sourceIPAddress": "111.111.111.111",
    "arrayKey": ["value", "another value"],
    "objectList": [{"name": "a", "id": 1}, {"name": "b", "id": 2}],
    "SomeObject": None,
    "ThisFlag": True,
}
DOC_COMPOUND_EVENT = {
    "user": {"id": 1, "email": "John.Stiles@example.com"},
    "users": [{"id": 2, "email": "John.Doe@example.com"}, {"id": 3, "email": "Jane.Doe@example.com"}],
    "actions": ["GET", "PUT", "DELETE"],
    "coordinates": [[0, 1, 2], [4, 5, 6], [7, 8, 9]],
}


@pytest.mark.parametrize(
    "pattern",
    [
        '{ $.eventType = "UpdateTrail" }',
        "{ $.sourceIPAddress != 123.123.* }",
        '{ $.arrayKey[0] = "value" }',
        "{ $.objectList[1].id = 2 }",
        "{ $.SomeObject IS NULL }",
        "{ $.SomeOtherObject NOT EXISTS }",
    ],
)
def test_documented_single_conditions_match(pattern):
    assert matches(pattern, DOC_EVENT)


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ('{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }', True),
        ('{ ($.user.id = 2 && $.users[0].email = "nonmatch") || $.actions[2] = "GET" }', False),
        ('{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch && $.actions[2] = nomatch }', True),
        ('{ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch) && $.actions[2] = nomatch }', False),
    ],
)
def test_documented_compound_conditions_and_precedence(pattern, expected):
    assert matches(pattern, DOC_COMPOUND_EVENT) is expected


def test_documented_or_example():
    assert matches("{$.foo = bar || $.foo = baz }", {"foo": "bar"})
    assert matches("{$.foo = bar || $.foo = baz }", {"foo": "baz"})
    assert not matches("{$.foo = bar }", {"foo": "baz"})


def test_selector_on_array_or_object_never_matches_either_operator():
    # "both {$.users = 1} and {$.users != 1} will fail to match a log event where users is an array"
    assert not matches("{$.users = 1}", {"users": [1, 2, 3]})
    assert not matches("{$.users != 1}", {"users": [1, 2, 3]})
    assert not matches('{$.user != "x"}', {"user": {"id": 1}})


def test_wildcards_as_documented():
    assert matches('{ $.eventName = "*Event" }', {"eventName": "PutEvent"})
    assert matches('{ $.eventName = "Event*" }', {"eventName": "EventName"})
    assert not matches('{ $.eventName = "Event*" }', {"eventName": "PutEvent"})
    assert matches('{ $.x = "*" }', {"x": "anything"})
    assert not matches('{ $.x = "*" }', {"y": "x is absent"})
    assert not matches('{ $.x = "*" }', {"x": None}), "null is not a value node"


def test_matching_is_case_sensitive_and_exact():
    assert not matches('{ $.awsRegion = "EU-CENTRAL-1" }', {"awsRegion": "eu-central-1"})
    assert not matches('{ $.awsRegion = "eu-central" }', {"awsRegion": "eu-central-1"}), "no substring match"


def test_absent_field_semantics_is_a_switch():
    pattern = '{ $.a != "x" }'
    assert not matches(pattern, {}), "default: a comparison on an absent field is false"
    assert matches(pattern, {}, absent_not_equal_matches=True)
    assert not matches('{ $.a = "x" }', {}, absent_not_equal_matches=True), "= is false either way"


def test_not_exists_and_is_null_are_distinct():
    assert matches("{ $.a NOT EXISTS }", {"b": 1})
    assert not matches("{ $.a NOT EXISTS }", {"a": None})
    assert matches("{ $.a IS NULL }", {"a": None})
    assert not matches("{ $.a IS NULL }", {"b": 1})
    assert matches("{ $.a.b.c NOT EXISTS }", {"a": {}}), "a missing intermediate object means absent"


def test_non_json_event_never_matches():
    assert not matches('{ $.a = "x" }', "[ERROR] not json")
    assert matches('{ $.a = "x" }', '{"a": "x"}'), "JSON text is parsed"


@pytest.mark.parametrize(
    "pattern",
    [
        "ERROR",  # text pattern
        "[ip, user, ...]",  # space-delimited pattern
        "{ $.latency > 500 }",  # numeric comparison
        "{ $.ThisFlag IS TRUE }",  # boolean test
        '{ $.a = "x" ',  # unbalanced
        '{ $.a = "x" } trailing',
        "{ ($.a = x }",
        "{ $.a }",
    ],
)
def test_unsupported_or_malformed_patterns_raise(pattern):
    with pytest.raises(UnsupportedPattern):
        compile_pattern(pattern)


# --- cris-guard's residency pattern on sample CloudTrail records -------------------------------------
EU_CENTRAL_ALLOWED = ("eu-central-1", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-3")
EU_WEST_ALLOWED = ("eu-central-1", "eu-west-1", "eu-west-3")


def bedrock_call(source_region: str, inference_region: str | None, *, event_source: str = "bedrock.amazonaws.com"):
    """A CloudTrail record of a CRIS Converse call, shaped as in the Bedrock CloudTrail documentation."""
    record = {
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "AssumedRole",
            "arn": "arn:aws:sts::111122223333:assumed-role/app-role/session",
            "accountId": "111122223333",
        },
        "eventTime": "2026-11-22T10:00:00Z",
        "eventSource": event_source,
        "eventName": "Converse",
        "awsRegion": source_region,
        "requestParameters": {"modelId": "eu.anthropic.claude-sonnet-4-6"},
        "responseElements": None,
        "readOnly": False,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "eventCategory": "Management",
        "recipientAccountId": "111122223333",
    }
    if inference_region is not None:
        record["additionalEventData"] = {"inferenceRegion": inference_region}
    return record


@pytest.fixture(scope="module")
def eu_central_filter():
    return compile_pattern(residency_violation_pattern("eu-central-1", EU_CENTRAL_ALLOWED))


@pytest.fixture(scope="module")
def eu_west_filter():
    return compile_pattern(residency_violation_pattern("eu-west-1", EU_WEST_ALLOWED))


@BOTH_SEMANTICS
@pytest.mark.parametrize("inference_region", EU_CENTRAL_ALLOWED)
def test_eu_inference_region_does_not_match(eu_central_filter, inference_region, absent_ne):
    event = bedrock_call("eu-central-1", inference_region)
    assert not eu_central_filter.matches(event, absent_not_equal_matches=absent_ne)


@BOTH_SEMANTICS
def test_us_east_1_inference_region_matches(eu_central_filter, absent_ne):
    assert eu_central_filter.matches(bedrock_call("eu-central-1", "us-east-1"), absent_not_equal_matches=absent_ne)


@BOTH_SEMANTICS
def test_non_bedrock_event_does_not_match(eu_central_filter, absent_ne):
    event = bedrock_call("eu-central-1", "us-east-1", event_source="s3.amazonaws.com")
    assert not eu_central_filter.matches(event, absent_not_equal_matches=absent_ne)


@BOTH_SEMANTICS
def test_event_without_inference_region_does_not_match(eu_central_filter, absent_ne):
    # In-Region calls and Bedrock management calls carry no inferenceRegion: not a residency finding.
    assert not eu_central_filter.matches(bedrock_call("eu-central-1", None), absent_not_equal_matches=absent_ne)


@BOTH_SEMANTICS
def test_each_source_region_is_judged_against_its_own_set(eu_central_filter, eu_west_filter, absent_ne):
    # eu-north-1 is an allowed destination from eu-central-1 but not from eu-west-1 in this mapping.
    from_west = bedrock_call("eu-west-1", "eu-north-1")
    assert eu_west_filter.matches(from_west, absent_not_equal_matches=absent_ne)
    assert not eu_central_filter.matches(from_west, absent_not_equal_matches=absent_ne), "other source Region"
    from_central = bedrock_call("eu-central-1", "eu-north-1")
    assert not eu_central_filter.matches(from_central, absent_not_equal_matches=absent_ne)
    assert not eu_west_filter.matches(from_central, absent_not_equal_matches=absent_ne)
