"""AuditTrail: trail settings, selectors, key/bucket policies with confused-deputy conditions, retention."""

from __future__ import annotations

import json
import os
from typing import Any

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import aws_cdk as cdk  # noqa: E402
import cdk_nag  # noqa: E402
import pytest  # noqa: E402
from cfnlint.api import ManualArgs, lint  # noqa: E402

from cris_guard.constructs.audit_trail import (  # noqa: E402
    BEDROCK_DATA_EVENT_RESOURCE_TYPES,
    AuditTrail,
    validate_data_event_resource_types,
)

ACCOUNT, REGION = "111122223333", "eu-central-1"
TRAIL_ARNS = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, f":cloudtrail:{REGION}:{ACCOUNT}:trail/*"]]}
SOURCE_CONDITIONS = {"StringEquals": {"aws:SourceAccount": ACCOUNT}, "ArnLike": {"aws:SourceArn": TRAIL_ARNS}}


class Synth:
    def __init__(self, app: cdk.App, stack: cdk.Stack, trail: AuditTrail):
        self.app, self.stack, self.construct = app, stack, trail
        self.json: dict[str, Any] = app.synth().get_stack_by_name(stack.stack_name).template
        self.resources: dict[str, Any] = self.json["Resources"]

    def lid(self, construct) -> str:
        node = construct if isinstance(construct, cdk.CfnElement) else construct.node.default_child
        return self.stack.get_logical_id(node)

    def props(self, construct) -> dict[str, Any]:
        return self.resources[self.lid(construct)]["Properties"]


@pytest.fixture(scope="module")
def synthesized() -> dict[str, Synth]:
    app = cdk.App()
    with_data = cdk.Stack(app, "WithDataEvents", env=cdk.Environment(account=ACCOUNT, region=REGION))
    trail = AuditTrail(
        with_data,
        "AuditTrail",
        retention_days=2557,
        log_group_retention_days=365,
        data_event_resource_types=["AWS::Bedrock::AgentAlias", "AWS::Bedrock::KnowledgeBase", "AWS::Bedrock::Guardrail"],
    )
    management_only = cdk.Stack(app, "ManagementOnly", env=cdk.Environment(account=ACCOUNT, region=REGION))
    plain = AuditTrail(management_only, "AuditTrail", retention_days=90, log_group_retention_days=90)
    # As the app builds it: a fixed log-group name, and the config's "async" data-event option.
    named_stack = cdk.Stack(app, "NamedLogGroup", env=cdk.Environment(account=ACCOUNT, region=REGION))
    named = AuditTrail(
        named_stack,
        "AuditTrail",
        retention_days=365,
        log_group_retention_days=365,
        data_event_resource_types=["AWS::Bedrock::Model", "AWS::Bedrock::AsyncInvoke"],
        log_group_name=NAMED_LOG_GROUP,
    )
    app.synth()
    return {
        "data": Synth(app, with_data, trail),
        "plain": Synth(app, management_only, plain),
        "named": Synth(app, named_stack, named),
    }


NAMED_LOG_GROUP = "/cris-guard/acme-genai/cloudtrail"


@pytest.fixture(scope="module")
def data(synthesized) -> Synth:
    return synthesized["data"]


@pytest.fixture(scope="module")
def plain(synthesized) -> Synth:
    return synthesized["plain"]


@pytest.fixture(scope="module")
def named(synthesized) -> Synth:
    return synthesized["named"]


def arn_of(logical_id: str) -> dict:
    return {"Fn::GetAtt": [logical_id, "Arn"]}


def test_trail_settings(data):
    props = data.props(data.construct.trail)
    assert props["IsLogging"] is True
    assert props["IsMultiRegionTrail"] is True
    assert props["IncludeGlobalServiceEvents"] is True
    assert props["EnableLogFileValidation"] is True
    assert props["KMSKeyId"] == arn_of(data.lid(data.construct.key))
    assert props["S3BucketName"] == {"Ref": data.lid(data.construct.bucket)}
    assert "S3KeyPrefix" not in props
    assert props["CloudWatchLogsLogGroupArn"] == arn_of(data.lid(data.construct.log_group))
    assert props["CloudWatchLogsRoleArn"] == arn_of(data.lid(data.construct.logs_role))
    assert "EventSelectors" not in props, "basic and advanced selectors cannot be mixed"
    trail = data.resources[data.lid(data.construct.trail)]
    assert set(trail["DependsOn"]) == {data.lid(data.construct.bucket.policy), data.lid(data.construct.logs_policy)}


def test_management_events_are_read_and_write_and_data_events_come_from_the_props(data, plain):
    management = {
        "Name": "Management events (read and write)",
        "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}],
    }
    assert plain.props(plain.construct.trail)["AdvancedEventSelectors"] == [management]
    selectors = data.props(data.construct.trail)["AdvancedEventSelectors"]
    assert selectors[0] == management
    assert all(f["Field"] != "readOnly" for s in selectors for f in s["FieldSelectors"]), "InvokeModel is readOnly=false"
    assert selectors[1:] == [
        {
            "Name": f"Data events: {resource_type}",
            "FieldSelectors": [
                {"Field": "eventCategory", "Equals": ["Data"]},
                {"Field": "resources.type", "Equals": [resource_type]},
            ],
        }
        for resource_type in ("AWS::Bedrock::AgentAlias", "AWS::Bedrock::KnowledgeBase", "AWS::Bedrock::Guardrail")
    ]


def test_key_policy_admits_cloudtrail_only_for_this_accounts_trails(data):
    key = data.resources[data.lid(data.construct.key)]
    assert key["Properties"]["EnableKeyRotation"] is True
    statements = {s.get("Sid"): s for s in key["Properties"]["KeyPolicy"]["Statement"]}
    assert statements["AllowCloudTrailToEncryptLogs"] == {
        "Sid": "AllowCloudTrailToEncryptLogs",
        "Effect": "Allow",
        "Principal": {"Service": "cloudtrail.amazonaws.com"},
        "Action": "kms:GenerateDataKey*",
        "Resource": "*",
        "Condition": {
            **SOURCE_CONDITIONS,
            "StringLike": {
                "kms:EncryptionContext:aws:cloudtrail:arn": {
                    "Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, f":cloudtrail:*:{ACCOUNT}:trail/*"]]
                }
            },
        },
    }
    assert statements["AllowCloudTrailToDescribeKey"] == {
        "Sid": "AllowCloudTrailToDescribeKey",
        "Effect": "Allow",
        "Principal": {"Service": "cloudtrail.amazonaws.com"},
        "Action": "kms:DescribeKey",
        "Resource": "*",
        "Condition": SOURCE_CONDITIONS,
    }
    assert statements["AllowCloudWatchLogsOfThisAccountAndRegion"]["Principal"] == {
        "Service": f"logs.{REGION}.amazonaws.com"
    }


def test_bucket_policy_admits_cloudtrail_only_for_this_accounts_trails(data):
    bucket_id = data.lid(data.construct.bucket)
    statements = data.props(data.construct.bucket.policy)["PolicyDocument"]["Statement"]
    allows = [s for s in statements if s["Effect"] == "Allow"]
    assert allows == [
        {
            "Sid": "AWSCloudTrailAclCheck",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "s3:GetBucketAcl",
            "Resource": arn_of(bucket_id),
            "Condition": SOURCE_CONDITIONS,
        },
        {
            "Sid": "AWSCloudTrailWrite",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": {"Fn::Join": ["", [arn_of(bucket_id), f"/AWSLogs/{ACCOUNT}/*"]]},
            "Condition": {
                "StringEquals": {"aws:SourceAccount": ACCOUNT, "s3:x-amz-acl": "bucket-owner-full-control"},
                "ArnLike": {"aws:SourceArn": TRAIL_ARNS},
            },
        },
    ]
    assert any(s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}} for s in statements if s["Effect"] == "Deny")


def test_bucket_is_hardened_and_expires_after_the_retention(data):
    props = data.props(data.construct.bucket)
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"] == {
        "KMSMasterKeyID": arn_of(data.lid(data.construct.key)),
        "SSEAlgorithm": "aws:kms",
    }
    assert props["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    assert all(props["PublicAccessBlockConfiguration"].values())
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["LifecycleConfiguration"]["Rules"][0]["ExpirationInDays"] == 2557
    assert props["LoggingConfiguration"]["DestinationBucketName"] == {"Ref": data.lid(data.construct.access_logs_bucket)}


def test_log_group_is_encrypted_and_the_logs_role_writes_only_trail_streams(data):
    log_group = data.props(data.construct.log_group)
    assert log_group["KmsKeyId"] == arn_of(data.lid(data.construct.key))
    assert log_group["RetentionInDays"] == 365
    trust = data.props(data.construct.logs_role)["AssumeRolePolicyDocument"]["Statement"]
    assert trust == [{"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "sts:AssumeRole"}]
    statements = data.props(data.construct.logs_policy)["PolicyDocument"]["Statement"]
    assert statements == [
        {
            "Sid": "DeliverTrailToLogStreams",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": {
                "Fn::Join": [
                    "",
                    [
                        "arn:",
                        {"Ref": "AWS::Partition"},
                        f":logs:{REGION}:{ACCOUNT}:log-group:",
                        {"Ref": data.lid(data.construct.log_group)},
                        f":log-stream:{ACCOUNT}_CloudTrail_*",
                    ],
                ]
            },
        }
    ]


@pytest.mark.parametrize("which", ["data", "plain"])
def test_every_bucket_key_and_log_group_is_retained(which, request):
    synth: Synth = request.getfixturevalue(which)
    holding = {
        k: v for k, v in synth.resources.items() if v["Type"] in ("AWS::S3::Bucket", "AWS::KMS::Key", "AWS::Logs::LogGroup")
    }
    assert len(holding) == 4, sorted(holding)  # key, trail bucket, access-log bucket, log group
    for logical_id, resource in holding.items():
        assert (resource.get("DeletionPolicy"), resource.get("UpdateReplacePolicy")) == ("Retain", "Retain"), logical_id


def test_a_named_log_group_is_retained_except_when_its_first_create_rolls_back(named):
    """A retained log group with a fixed name would block every retry of a first deployment that rolled
    back; RetainExceptOnCreate deletes it only then. Everything else stays plain Retain."""
    log_group_id = named.lid(named.construct.log_group)
    log_group = named.resources[log_group_id]
    assert log_group["Properties"]["LogGroupName"] == NAMED_LOG_GROUP
    assert (log_group["DeletionPolicy"], log_group["UpdateReplacePolicy"]) == ("RetainExceptOnCreate", "Retain")
    others = {
        k: v
        for k, v in named.resources.items()
        if v["Type"] in ("AWS::S3::Bucket", "AWS::KMS::Key", "AWS::Logs::LogGroup") and k != log_group_id
    }
    assert len(others) == 3
    for logical_id, resource in others.items():
        assert (resource.get("DeletionPolicy"), resource.get("UpdateReplacePolicy")) == ("Retain", "Retain"), logical_id


def test_retain_except_on_create_is_refused_for_a_generated_log_group_name():
    from aws_cdk import aws_kms as kms

    from cris_guard.constructs import secure_defaults

    stack = cdk.Stack(cdk.App(), "Refused", env=cdk.Environment(account=ACCOUNT, region=REGION))
    with pytest.raises(ValueError, match="only for a log group with a fixed log_group_name"):
        secure_defaults.encrypted_log_group(
            stack,
            "LogGroup",
            encryption_key=kms.Key(stack, "Key", enable_key_rotation=True),
            retention_days=365,
            retention_name="x",
            retain_except_on_create=True,
        )


def test_async_invocations_are_logged_as_data_events(named):
    selectors = named.props(named.construct.trail)["AdvancedEventSelectors"]
    data_types = [
        s["FieldSelectors"][1]["Equals"] for s in selectors if s["FieldSelectors"][0] == {"Field": "eventCategory", "Equals": ["Data"]}
    ]
    assert data_types == [["AWS::Bedrock::Model"], ["AWS::Bedrock::AsyncInvoke"]]


# --- Validation --------------------------------------------------------------------------------------
def test_every_documented_bedrock_type_is_accepted():
    assert validate_data_event_resource_types(BEDROCK_DATA_EVENT_RESOURCE_TYPES) == BEDROCK_DATA_EVENT_RESOURCE_TYPES


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (["AWS::Bedrock::Agent"], "'AWS::Bedrock::Agent' is not a supported Bedrock data-event resource type; use one of"),
        (["AWS::S3::Object"], "'AWS::S3::Object' is not a supported"),
        (["AWS::Bedrock::Prompt"], "use 'AWS::Bedrock::PromptVersion'"),
        (["AWS::Bedrock::Guardrail", "AWS::Bedrock::Guardrail"], "listed twice"),
        ("AWS::Bedrock::Guardrail", "must be a list of types"),
    ],
)
def test_unsupported_data_event_types_are_rejected_with_the_fix(value, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        validate_data_event_resource_types(value)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"retention_days": 0, "log_group_retention_days": 365}, "retention_days must be at least 1 day"),
        ({"retention_days": 365, "log_group_retention_days": 100}, "log_group_retention_days=100 is not a CloudWatch"),
        (
            {"retention_days": 365, "log_group_retention_days": 365, "data_event_resource_types": ["AWS::Bedrock::Nope"]},
            "AWS::Bedrock::Nope",
        ),
    ],
)
def test_invalid_props_are_rejected(kwargs, message):
    stack = cdk.Stack(cdk.App(), "Invalid", env=cdk.Environment(account=ACCOUNT, region=REGION))
    with pytest.raises(ValueError, match=message):
        AuditTrail(stack, "AuditTrail", **kwargs)


# --- Compliance --------------------------------------------------------------------------------------
@pytest.mark.parametrize("which", ["data", "plain", "named"])
def test_cdk_nag_aws_solutions_and_nist_800_53_r5_have_no_unacknowledged_findings(which, request):
    synth: Synth = request.getfixturevalue(which)
    findings = []
    for pack in (cdk_nag.AwsSolutionsChecks, cdk_nag.NIST80053R5Checks):
        for violation in pack(synth.app).validate_scope(synth.stack).violations:
            findings.append((violation.rule_name, [r.resource_logical_id for r in violation.violating_resources]))
    assert findings == []


@pytest.mark.parametrize("which", ["data", "plain", "named"])
def test_cfn_lint_is_clean(which, request):
    synth: Synth = request.getfixturevalue(which)
    assert [str(m) for m in lint(json.dumps(synth.json), config=ManualArgs(regions=[REGION]))] == []
