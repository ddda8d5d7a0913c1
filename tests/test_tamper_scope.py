"""Tamper alarms that mean something (issue 17): on the synthesized default templates, the trail and evidence
filters alarm on changes to cris-guard's trail, buckets, log groups, keys and alarms by anyone but the deployers,
and stay quiet for the deployer changing its own bucket and for another team's bucket."""

from __future__ import annotations

import pytest

from cris_guard.filter_pattern import matches

from .conftest import TEST_ACCOUNT

HOME = "acme-genai-eu-central-1"
EXEC_ROLE = f"arn:aws:iam::{TEST_ACCOUNT}:role/cdk-hnb659fds-cfn-exec-role-{TEST_ACCOUNT}-eu-central-1"
ADMIN_ROLE = f"arn:aws:iam::{TEST_ACCOUNT}:role/Admin"


def _identity(role_arn: str) -> dict:
    name = role_arn.rsplit("/", 1)[-1]
    return {"type": "AssumedRole", "arn": f"arn:aws:sts::{TEST_ACCOUNT}:assumed-role/{name}/session",
            "accountId": TEST_ACCOUNT,
            "sessionContext": {"sessionIssuer": {"type": "Role", "arn": role_arn, "userName": name}}}


def record(source: str, name: str, parameters: dict, identity: dict) -> dict:
    return {"eventVersion": "1.09", "userIdentity": identity, "eventTime": "2026-12-01T10:00:00Z",
            "eventSource": source, "eventName": name, "awsRegion": "eu-central-1", "requestParameters": parameters,
            "eventType": "AwsApiCall", "managementEvent": True, "recipientAccountId": TEST_ACCOUNT}


@pytest.fixture(scope="module")
def patterns(default_templates):
    """metric name -> the filter patterns of the home stack (plain strings: the scope holds no token)."""
    found: dict[str, list[str]] = {}
    for resource in default_templates[HOME]["Resources"].values():
        if resource["Type"] == "AWS::Logs::MetricFilter":
            (transformation,) = resource["Properties"]["MetricTransformations"]
            found.setdefault(transformation["MetricName"], []).append(resource["Properties"]["FilterPattern"])
    return found


def alarms(patterns, event) -> list[str]:
    """The metrics whose filters match ``event`` (whether CloudWatch treats != on an absent field as true or not)."""
    return sorted({metric for metric, filters in patterns.items() for absent in (False, True)
                   for p in filters if matches(p, event, absent_not_equal_matches=absent)})


LOG_BUCKET = "acme-genai-eu-central-1-audittrailbucketa91fd435-1x2y3z4w5v6u"
KEY_ID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"

CASES = [
    ("the deployer changes its own bucket's policy", record("s3.amazonaws.com", "PutBucketPolicy",
     {"bucketName": LOG_BUCKET}, _identity(EXEC_ROLE)), []),
    ("another team puts a policy on its own bucket", record("s3.amazonaws.com", "PutBucketPolicy",
     {"bucketName": "payments-team-invoices"}, _identity(ADMIN_ROLE)), []),
    ("another team changes its own log group's retention", record("logs.amazonaws.com", "PutRetentionPolicy",
     {"logGroupName": "/aws/lambda/payments-api"}, _identity(ADMIN_ROLE)), []),
    ("the deployer updates the trail's selectors", record("cloudtrail.amazonaws.com", "PutEventSelectors",
     {"trailName": "acme-genai-bedrock-audit", "name": "acme-genai-bedrock-audit"}, _identity(EXEC_ROLE)), []),
    ("an administrator stops the trail", record("cloudtrail.amazonaws.com", "StopLogging",
     {"name": f"arn:aws:cloudtrail:eu-central-1:{TEST_ACCOUNT}:trail/acme-genai-bedrock-audit"},
     _identity(ADMIN_ROLE)), ["TrailConfigurationChanges"]),
    ("an administrator deletes the log bucket's policy", record("s3.amazonaws.com", "DeleteBucketPolicy",
     {"bucketName": LOG_BUCKET}, _identity(ADMIN_ROLE)), ["AuditEvidenceTampering"]),
    ("an administrator schedules cris-guard's key for deletion", record("kms.amazonaws.com", "ScheduleKeyDeletion",
     {"keyId": KEY_ID, "pendingWindowInDays": 7}, _identity(ADMIN_ROLE)), ["AuditEvidenceTampering"]),
    ("an IAM user (no session issuer) shortens the trail log group's retention", record(
     "logs.amazonaws.com", "PutRetentionPolicy", {"logGroupName": "/cris-guard/acme-genai/cloudtrail",
                                                  "retentionInDays": 1},
     {"type": "IAMUser", "arn": f"arn:aws:iam::{TEST_ACCOUNT}:user/bob", "accountId": TEST_ACCOUNT}),
     ["AuditEvidenceTampering"]),
]


@pytest.mark.parametrize(("what", "event", "expected"), CASES, ids=[c[0] for c in CASES])
def test_the_synthesized_tamper_filters_alarm_on_exactly_the_right_changes(patterns, what, event, expected):
    assert alarms({k: v for k, v in patterns.items() if k in ("TrailConfigurationChanges", "AuditEvidenceTampering")},
                  event) == expected


def test_each_filter_fits_the_limit_and_the_alarms_say_whose_changes_are_left_out(patterns, default_templates):
    for metric in ("TrailConfigurationChanges", "AuditEvidenceTampering"):
        assert patterns[metric] and all(len(p) <= 1024 for p in patterns[metric])
    descriptions = [r["Properties"]["AlarmDescription"] for r in default_templates[HOME]["Resources"].values()
                    if r["Type"] == "AWS::CloudWatch::Alarm" and r["Properties"].get("MetricName") in
                    ("TrailConfigurationChanges", "AuditEvidenceTampering")]
    assert len(descriptions) == 2
    assert all("by anyone but arn:*:iam::*:role/cdk-hnb659fds-cfn-exec-role-*" in d for d in descriptions)
