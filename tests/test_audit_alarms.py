"""AuditAlarms: metric filters and alarms on the trail log group, with the synthesized filter patterns
evaluated against sample CloudTrail records (cris_guard.filter_pattern) under both readings of `!=`
on an absent field."""

from __future__ import annotations

import json
import os
from typing import Any

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import aws_cdk as cdk  # noqa: E402
import pytest  # noqa: E402
from aws_cdk import aws_logs as logs  # noqa: E402
from aws_cdk import aws_sns as sns  # noqa: E402

from cris_guard.constructs.audit_alarms import (  # noqa: E402
    EVIDENCE_TAMPERING_EVENTS,
    MAX_FILTER_PATTERN_LENGTH,
    AuditAlarms,
    evidence_tampering_patterns,
    logging_configuration_change_pattern,
    residency_violation_pattern,
    trail_tampering_pattern,
    ungoverned_region_invocation_pattern,
    validate_allowed_destinations,
)
from cris_guard.constructs.invocation_logging import InvocationLogging  # noqa: E402
from cris_guard.filter_pattern import compile_pattern  # noqa: E402

from .cdk_helpers import ACCOUNT, Synth, cfn_lint_findings, encrypted_topic, env_stack, nag_findings  # noqa: E402

HOME, OTHER = "eu-central-1", "eu-west-1"
EU6 = ["eu-central-1", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-3"]
ALLOWED = {HOME: EU6, OTHER: ["eu-west-1", "eu-central-1", "eu-west-3"]}
HOME_HANDLER_ROLE_ARN = "arn:aws:iam::111122223333:role/Home-InvocationLoggingHandlerRole-1A2B3C"
BOTH_SEMANTICS = pytest.mark.parametrize("absent_ne", [False, True], ids=["absent!=false", "absent!=true"])


class AlarmsSynth(Synth):
    def __init__(self, app, stack, alarms: AuditAlarms, other_logging: InvocationLogging, home_logging: InvocationLogging):
        super().__init__(app, stack, alarms)
        self.other_logging, self.home_logging = other_logging, home_logging

    def pattern(self, metric_filter: logs.MetricFilter) -> str:
        """The filter pattern as CloudFormation would resolve it, with sample values for the tokens."""
        role_id = self.logical_id(self.home_logging.handler_role)
        return resolve(self.props(metric_filter)["FilterPattern"], {role_id: HOME_HANDLER_ROLE_ARN})


def resolve(value, arns: dict[str, str]) -> str:
    if isinstance(value, str):
        return value
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(resolve(p, arns) for p in parts)
    if value == {"Ref": "AWS::Partition"}:
        return "aws"
    if "Fn::GetAtt" in value and value["Fn::GetAtt"][1] == "Arn":
        return arns[value["Fn::GetAtt"][0]]
    raise AssertionError(f"cannot resolve {value}")


@pytest.fixture(scope="module")
def synth() -> AlarmsSynth:
    """The trail's home stack (eu-central-1) watches an organization trail's log group and trusts the
    invocation-logging handler roles of both source-Region stacks (one of them cross-Region)."""
    app = cdk.App()
    home = env_stack(app, "Home", HOME)
    other = env_stack(app, "Other", OTHER)
    home_logging = InvocationLogging(home, "InvocationLogging", retention_days=30)
    other_logging = InvocationLogging(other, "InvocationLogging", retention_days=30)
    topic = encrypted_topic(home)
    alarms = AuditAlarms(
        home,
        "AuditAlarms",
        log_group=logs.LogGroup.from_log_group_name(home, "OrgTrailLogGroup", "aws-controltower/CloudTrailLogs"),
        allowed_destinations=ALLOWED,
        alert_topic=topic,
        trusted_logging_configuration_roles=[home_logging.handler_role, other_logging.handler_role],
    )
    return AlarmsSynth(app, home, alarms, other_logging, home_logging)


@pytest.fixture(scope="module")
def other_role_arn(synth) -> str:
    other_stack = cdk.Stack.of(synth.other_logging)
    template = synth.app.synth().get_stack_by_name(other_stack.stack_name).template
    role = template["Resources"][other_stack.get_logical_id(synth.other_logging.handler_role.node.default_child)]
    return f"arn:aws:iam::{ACCOUNT}:role/{role['Properties']['RoleName']}"


def cloudtrail_record(
    *,
    event_source: str = "bedrock.amazonaws.com",
    event_name: str = "Converse",
    region: str = HOME,
    inference_region: str | None = None,
    identity: dict | None = None,
) -> dict:
    """A CloudTrail record in the documented shape (CloudTrail record contents; Bedrock CloudTrail page)."""
    record: dict[str, Any] = {
        "eventVersion": "1.09",
        "userIdentity": identity or assumed_role("app-role"),
        "eventTime": "2026-11-22T10:00:00Z",
        "eventSource": event_source,
        "eventName": event_name,
        "awsRegion": region,
        "sourceIPAddress": "203.0.113.10",
        "userAgent": "Boto3/1.44.5",
        "requestParameters": {"modelId": "eu.anthropic.claude-sonnet-4-6"},
        "responseElements": None,
        "requestID": "0f1e2d3c-0000-4000-8000-000000000000",
        "eventID": "1a2b3c4d-0000-4000-8000-000000000000",
        "readOnly": False,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": ACCOUNT,
        "eventCategory": "Management",
    }
    if inference_region is not None:
        record["additionalEventData"] = {"inferenceRegion": inference_region}
    return record


def assumed_role(name: str, role_arn: str | None = None) -> dict:
    role_arn = role_arn or f"arn:aws:iam::{ACCOUNT}:role/{name}"
    role_name = role_arn.rsplit("/", 1)[1]
    return {
        "type": "AssumedRole",
        "principalId": "AROAEXAMPLE:session",
        "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{role_name}/session",
        "accountId": ACCOUNT,
        "accessKeyId": "ASIAEXAMPLE",
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": "AROAEXAMPLE",
                "arn": role_arn,
                "accountId": ACCOUNT,
                "userName": role_name,
            },
            "attributes": {"creationDate": "2026-11-22T09:59:00Z", "mfaAuthenticated": "false"},
        },
    }


IAM_USER = {"type": "IAMUser", "principalId": "AIDAEXAMPLE", "arn": f"arn:aws:iam::{ACCOUNT}:user/alice", "accountId": ACCOUNT, "userName": "alice"}
ROOT = {"type": "Root", "principalId": ACCOUNT, "arn": f"arn:aws:iam::{ACCOUNT}:root", "accountId": ACCOUNT}


# --- Residency ---------------------------------------------------------------------------------------
def test_one_residency_filter_per_source_region_with_the_documented_pattern(synth):
    assert sorted(synth.construct.residency_filters) == sorted(ALLOWED)
    for source, metric_filter in synth.construct.residency_filters.items():
        props = synth.props(metric_filter)
        assert props["LogGroupName"] == "aws-controltower/CloudTrailLogs"
        assert props["FilterPattern"] == residency_violation_pattern(source, sorted(ALLOWED[source]))
        assert props["MetricTransformations"] == [
            {
                "MetricName": "ResidencyViolations",
                "MetricNamespace": "CrisGuard",
                "MetricValue": "1",
                "Dimensions": [{"Key": "SourceRegion", "Value": "$.awsRegion"}],
            }
        ], "no DefaultValue: CloudWatch rejects it together with dimensions"


@BOTH_SEMANTICS
@pytest.mark.parametrize("inference_region", EU6)
def test_eu_inference_region_does_not_match(synth, inference_region, absent_ne):
    pattern = compile_pattern(synth.pattern(synth.construct.residency_filters[HOME]))
    assert not pattern.matches(cloudtrail_record(inference_region=inference_region), absent_not_equal_matches=absent_ne)


@BOTH_SEMANTICS
@pytest.mark.parametrize("source", sorted(ALLOWED))
def test_us_east_1_inference_region_matches(synth, source, absent_ne):
    pattern = compile_pattern(synth.pattern(synth.construct.residency_filters[source]))
    record = cloudtrail_record(region=source, inference_region="us-east-1")
    assert pattern.matches(record, absent_not_equal_matches=absent_ne)


@BOTH_SEMANTICS
def test_non_bedrock_and_inference_region_less_events_do_not_match(synth, absent_ne):
    pattern = compile_pattern(synth.pattern(synth.construct.residency_filters[HOME]))
    other_service = cloudtrail_record(event_source="sagemaker.amazonaws.com", inference_region="us-east-1")
    no_field = cloudtrail_record(event_name="ListFoundationModels")
    assert not pattern.matches(other_service, absent_not_equal_matches=absent_ne)
    assert not pattern.matches(no_field, absent_not_equal_matches=absent_ne)


@BOTH_SEMANTICS
def test_an_event_is_judged_against_its_own_source_regions_set(synth, absent_ne):
    home = compile_pattern(synth.pattern(synth.construct.residency_filters[HOME]))
    other = compile_pattern(synth.pattern(synth.construct.residency_filters[OTHER]))
    # eu-north-1 is allowed from eu-central-1 (EU-6) but not from eu-west-1 in this configuration.
    from_other = cloudtrail_record(region=OTHER, inference_region="eu-north-1")
    assert other.matches(from_other, absent_not_equal_matches=absent_ne)
    assert not home.matches(from_other, absent_not_equal_matches=absent_ne)
    from_home = cloudtrail_record(region=HOME, inference_region="eu-north-1")
    assert not home.matches(from_home, absent_not_equal_matches=absent_ne)
    assert not other.matches(from_home, absent_not_equal_matches=absent_ne)


def test_residency_alarms_and_metric(synth):
    topic_id = [k for k, v in synth.resources.items() if v["Type"] == "AWS::SNS::Topic"][0]
    assert sorted(synth.construct.residency_alarms) == sorted(ALLOWED)
    for source, alarm in synth.construct.residency_alarms.items():
        props = synth.props(alarm)
        assert props["Namespace"] == "CrisGuard" and props["MetricName"] == "ResidencyViolations"
        assert props["Dimensions"] == [{"Name": "SourceRegion", "Value": source}]
        assert (props["Statistic"], props["Period"], props["Threshold"], props["EvaluationPeriods"]) == ("Sum", 300, 1, 1)
        assert props["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert props["TreatMissingData"] == "notBreaching"
        assert props["AlarmActions"] == [{"Ref": topic_id}]
    metric = synth.construct.metric_residency_violations(OTHER, period=cdk.Duration.hours(1))
    assert (metric.namespace, metric.metric_name, metric.dimensions) == ("CrisGuard", "ResidencyViolations", {"SourceRegion": OTHER})
    assert metric.period.to_seconds() == 3600 and metric.statistic == "Sum"
    assert metric.region == HOME, "published where the trail log group is, not in the source Region"
    with pytest.raises(ValueError, match="'us-east-1' is not a governed source Region"):
        synth.construct.metric_residency_violations("us-east-1")


def test_every_alarm_notifies_the_one_topic_and_ignores_missing_data(synth):
    topic_id = [k for k, v in synth.resources.items() if v["Type"] == "AWS::SNS::Topic"][0]
    alarms = [v for v in synth.resources.values() if v["Type"] == "AWS::CloudWatch::Alarm"]
    assert len(alarms) == len(synth.construct.alarms) == len(ALLOWED) + 4
    for alarm in alarms:
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": topic_id}]
        assert alarm["Properties"]["TreatMissingData"] == "notBreaching"


# --- Tampering ---------------------------------------------------------------------------------------
@BOTH_SEMANTICS
def test_logging_configuration_changes_by_cris_guard_are_trusted_and_all_others_alarm(synth, other_role_arn, absent_ne):
    pattern = compile_pattern(synth.pattern(synth.construct.logging_configuration_filter))

    def check(identity: dict, event_name: str = "PutModelInvocationLoggingConfiguration") -> bool:
        record = cloudtrail_record(event_name=event_name, identity=identity)
        return pattern.matches(record, absent_not_equal_matches=absent_ne)

    assert not check(assumed_role("handler", HOME_HANDLER_ROLE_ARN))
    assert not check(assumed_role("handler", other_role_arn), "DeleteModelInvocationLoggingConfiguration"), "cross-Region"
    assert check(assumed_role("someone-else"))
    assert check(assumed_role("someone-else"), "DeleteModelInvocationLoggingConfiguration")
    assert check(IAM_USER), "no sessionContext: always counts"
    assert check(ROOT)
    assert not check(assumed_role("someone-else"), "GetModelInvocationLoggingConfiguration"), "reads are fine"


def test_the_cross_region_handler_role_is_a_literal_arn_in_the_pattern(synth, other_role_arn):
    assert other_role_arn.split("/")[-1] in json.dumps(synth.props(synth.construct.logging_configuration_filter)["FilterPattern"])


def test_without_trusted_roles_every_logging_configuration_change_counts():
    pattern = compile_pattern(logging_configuration_change_pattern())
    record = cloudtrail_record(event_name="PutModelInvocationLoggingConfiguration", identity=assumed_role("h", HOME_HANDLER_ROLE_ARN))
    assert pattern.matches(record)


@BOTH_SEMANTICS
@pytest.mark.parametrize(
    ("event_name", "expected"),
    [("StopLogging", True), ("DeleteTrail", True), ("UpdateTrail", True), ("PutEventSelectors", True), ("LookupEvents", False), ("DescribeTrails", False)],
)
def test_trail_tampering(synth, event_name, expected, absent_ne):
    pattern = compile_pattern(synth.pattern(synth.construct.trail_tampering_filter))
    assert synth.props(synth.construct.trail_tampering_filter)["FilterPattern"] == trail_tampering_pattern()
    record = cloudtrail_record(event_source="cloudtrail.amazonaws.com", event_name=event_name)
    assert pattern.matches(record, absent_not_equal_matches=absent_ne) is expected


@BOTH_SEMANTICS
def test_bedrock_event_named_like_a_trail_call_is_not_tampering(synth, absent_ne):
    pattern = compile_pattern(synth.pattern(synth.construct.trail_tampering_filter))
    assert not pattern.matches(cloudtrail_record(event_name="StopLogging"), absent_not_equal_matches=absent_ne)


# --- Evidence tampering (logs, alarms, keys, buckets) ------------------------------------------------
TAMPER_CALLS = [
    ("logs.amazonaws.com", "DeleteLogGroup", {"logGroupName": "/cris-guard/acme-genai/cloudtrail"}),
    ("logs.amazonaws.com", "DeleteMetricFilter", {"logGroupName": "/cris-guard/acme-genai/cloudtrail", "filterName": "f"}),
    ("logs.amazonaws.com", "PutRetentionPolicy", {"logGroupName": "/cris-guard/acme-genai/cloudtrail", "retentionInDays": 1}),
    ("logs.amazonaws.com", "DeleteSubscriptionFilter", {"logGroupName": "lg", "filterName": "f"}),
    ("monitoring.amazonaws.com", "DeleteAlarms", {"alarmNames": ["acme-genai-eu-central-1-ResidencyAlarm"]}),
    ("monitoring.amazonaws.com", "DisableAlarmActions", {"alarmNames": ["acme-genai-eu-central-1-ResidencyAlarm"]}),
    ("kms.amazonaws.com", "ScheduleKeyDeletion", {"keyId": "1234abcd-12ab-34cd-56ef-1234567890ab", "pendingWindowInDays": 7}),
    ("kms.amazonaws.com", "DisableKey", {"keyId": "1234abcd-12ab-34cd-56ef-1234567890ab"}),
    ("kms.amazonaws.com", "PutKeyPolicy", {"keyId": "1234abcd-12ab-34cd-56ef-1234567890ab", "policyName": "default"}),
    ("s3.amazonaws.com", "PutBucketPolicy", {"bucketName": "acme-genai-logs", "Host": "acme-genai-logs.s3.eu-central-1.amazonaws.com"}),
    ("s3.amazonaws.com", "DeleteBucketPolicy", {"bucketName": "acme-genai-logs"}),
    ("s3.amazonaws.com", "PutBucketLifecycle", {"bucketName": "acme-genai-logs", "lifecycle": ""}),
    ("s3.amazonaws.com", "PutBucketLifecycleConfiguration", {"bucketName": "acme-genai-logs"}),
    ("s3.amazonaws.com", "PutBucketVersioning", {"bucketName": "acme-genai-logs", "VersioningConfiguration": {"Status": "Suspended"}}),
    ("s3.amazonaws.com", "DeleteBucket", {"bucketName": "acme-genai-logs"}),
]
HARMLESS_CALLS = [
    ("logs.amazonaws.com", "CreateLogGroup"),
    ("logs.amazonaws.com", "PutMetricFilter"),
    ("logs.amazonaws.com", "DescribeLogGroups"),
    ("monitoring.amazonaws.com", "PutMetricAlarm"),
    ("monitoring.amazonaws.com", "EnableAlarmActions"),
    ("kms.amazonaws.com", "Decrypt"),
    ("kms.amazonaws.com", "GetKeyPolicy"),
    ("kms.amazonaws.com", "EnableKey"),
    ("s3.amazonaws.com", "GetBucketPolicy"),
    ("s3.amazonaws.com", "CreateBucket"),
    ("s3.amazonaws.com", "PutObject"),
    # The right name from the wrong service is not a match:
    ("bedrock.amazonaws.com", "DeleteBucket"),
    ("cloudtrail.amazonaws.com", "DeleteLogGroup"),
    ("kms.amazonaws.com", "DeleteAlarms"),
    ("monitoring.amazonaws.com", "PutKeyPolicy"),
]


def _tamper_patterns(synth) -> list:
    patterns = [compile_pattern(synth.pattern(f)) for f in synth.construct.evidence_tampering_filters]
    assert patterns, "no evidence-tampering filter: a 'matches none' check would pass vacuously"
    return patterns


def test_evidence_tampering_patterns_are_what_the_filters_carry_and_fit_the_limit(synth):
    patterns = evidence_tampering_patterns()
    assert [synth.props(f)["FilterPattern"] for f in synth.construct.evidence_tampering_filters] == patterns
    assert len(patterns) == 1, "everything fits one filter today"
    assert all(len(p) <= MAX_FILTER_PATTERN_LENGTH for p in patterns)
    names = [n for ns in EVIDENCE_TAMPERING_EVENTS.values() for n in ns]
    assert {(src, name) for src, name, _ in TAMPER_CALLS} == {(s, n) for s, ns in EVIDENCE_TAMPERING_EVENTS.items() for n in ns}
    assert len(names) == 15


@BOTH_SEMANTICS
@pytest.mark.parametrize(("event_source", "event_name", "parameters"), TAMPER_CALLS, ids=[c[1] for c in TAMPER_CALLS])
@pytest.mark.parametrize("identity", [assumed_role("someone"), IAM_USER, ROOT], ids=["role", "user", "root"])
def test_evidence_tampering_by_any_caller_matches_exactly_one_filter(synth, event_source, event_name, parameters, identity, absent_ne):
    record = cloudtrail_record(event_source=event_source, event_name=event_name, identity=identity)
    record["requestParameters"] = parameters
    hits = [p.matches(record, absent_not_equal_matches=absent_ne) for p in _tamper_patterns(synth)]
    assert hits.count(True) == 1


@BOTH_SEMANTICS
def test_a_denied_tampering_attempt_counts_too(synth, absent_ne):
    record = cloudtrail_record(event_source="kms.amazonaws.com", event_name="ScheduleKeyDeletion")
    record.update(errorCode="AccessDenied", errorMessage="not authorized")
    assert any(p.matches(record, absent_not_equal_matches=absent_ne) for p in _tamper_patterns(synth))


@BOTH_SEMANTICS
@pytest.mark.parametrize(("event_source", "event_name"), HARMLESS_CALLS, ids=[f"{s.split('.')[0]}-{n}" for s, n in HARMLESS_CALLS])
def test_harmless_or_mismatched_calls_are_not_tampering(synth, event_source, event_name, absent_ne):
    record = cloudtrail_record(event_source=event_source, event_name=event_name)
    assert not any(p.matches(record, absent_not_equal_matches=absent_ne) for p in _tamper_patterns(synth))


def test_evidence_tampering_patterns_split_when_over_the_limit_and_still_cover_everything():
    patterns = evidence_tampering_patterns(max_length=300)
    assert len(patterns) > 1 and all(len(p) <= 300 for p in patterns)
    compiled = [compile_pattern(p) for p in patterns]
    for source, names in EVIDENCE_TAMPERING_EVENTS.items():
        for name in names:
            record = cloudtrail_record(event_source=source, event_name=name)
            assert [c.matches(record) for c in compiled].count(True) == 1, name
    assert not any(c.matches(cloudtrail_record(event_source="s3.amazonaws.com", event_name="GetObject")) for c in compiled)
    with pytest.raises(ValueError, match="over 50 characters"):
        evidence_tampering_patterns(max_length=50)


def test_evidence_tampering_alarm_notifies_the_topic_and_says_it_covers_any_caller(synth):
    alarm = synth.props(synth.construct.evidence_tampering_alarm)
    topic_id = [k for k, v in synth.resources.items() if v["Type"] == "AWS::SNS::Topic"][0]
    assert alarm["AlarmActions"] == [{"Ref": topic_id}]
    assert alarm["MetricName"] == "AuditEvidenceTampering" and alarm["Namespace"] == "CrisGuard"
    assert alarm["Threshold"] == 1 and alarm["EvaluationPeriods"] == 1 and alarm["Statistic"] == "Sum"
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["TreatMissingData"] == "notBreaching"
    description = alarm["AlarmDescription"]
    assert len(description) <= 1024 and "on any resource, by any caller" in description
    for names in EVIDENCE_TAMPERING_EVENTS.values():
        assert all(name in description for name in names)
    assert synth.construct.evidence_tampering_filters
    for metric_filter in synth.construct.evidence_tampering_filters:
        (transformation,) = synth.props(metric_filter)["MetricTransformations"]
        assert transformation["MetricName"] == "AuditEvidenceTampering" and transformation["MetricValue"] == "1"
        assert synth.props(metric_filter)["LogGroupName"] == "aws-controltower/CloudTrailLogs"


# --- Ungoverned Regions ------------------------------------------------------------------------------
@BOTH_SEMANTICS
@pytest.mark.parametrize(
    ("event_name", "region", "expected"),
    [
        ("Converse", "us-east-1", True),
        ("InvokeModel", "eu-west-2", True),
        ("ConverseStream", HOME, False),
        ("InvokeModelWithResponseStream", OTHER, False),
        ("ListFoundationModels", "us-east-1", False),
    ],
)
def test_inference_in_an_ungoverned_region(synth, event_name, region, expected, absent_ne):
    pattern = compile_pattern(synth.pattern(synth.construct.ungoverned_region_filter))
    assert synth.props(synth.construct.ungoverned_region_filter)["FilterPattern"] == ungoverned_region_invocation_pattern(
        sorted(ALLOWED)
    )
    record = cloudtrail_record(event_name=event_name, region=region)
    assert pattern.matches(record, absent_not_equal_matches=absent_ne) is expected


def test_tamper_metrics_have_default_values(synth):
    for metric_filter in (
        synth.construct.logging_configuration_filter,
        synth.construct.trail_tampering_filter,
        synth.construct.ungoverned_region_filter,
        *synth.construct.evidence_tampering_filters,
    ):
        (transformation,) = synth.props(metric_filter)["MetricTransformations"]
        assert transformation["DefaultValue"] == 0 and transformation["MetricNamespace"] == "CrisGuard"


# --- Validation --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("allowed", "message"),
    [
        ({}, "allowed_destinations is empty"),
        ({"eu-central": ["eu-west-1"]}, "source 'eu-central' is not a Region code"),
        ({"eu-central-1": "eu-west-1"}, "must be a non-empty list"),
        ({"eu-central-1": []}, "must be a non-empty list"),
        ({"eu-central-1": ["EU-WEST-1"]}, "'EU-WEST-1' is not a Region code"),
    ],
)
def test_invalid_allowed_destinations(allowed, message):
    with pytest.raises(ValueError, match=message):
        validate_allowed_destinations(allowed)


def test_too_long_a_pattern_is_refused_at_synth_time():
    many = [f"eu-test-{i}" for i in range(30)]
    with pytest.raises(ValueError, match="over CloudWatch Logs' limit of 1024"):
        residency_violation_pattern("eu-central-1", many)


def test_invalid_namespace_is_rejected():
    stack = env_stack(cdk.App(), "Invalid", HOME)
    with pytest.raises(ValueError, match="metric_namespace 'AWS/Bedrock' is invalid"):
        AuditAlarms(
            stack,
            "AuditAlarms",
            log_group=logs.LogGroup.from_log_group_name(stack, "LG", "lg"),
            allowed_destinations=ALLOWED,
            alert_topic=sns.Topic(stack, "T"),
            metric_namespace="AWS/Bedrock",
        )


# --- Compliance --------------------------------------------------------------------------------------
def test_cdk_nag_aws_solutions_and_nist_800_53_r5_have_no_unacknowledged_findings(synth):
    assert nag_findings(synth) == []


def test_cfn_lint_is_clean(synth):
    assert cfn_lint_findings(synth, HOME) == []
