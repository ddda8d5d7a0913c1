"""AuditTrail: trail settings, selectors, key/bucket policies with confused-deputy conditions, retention."""

from __future__ import annotations

import os

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import aws_cdk as cdk  # noqa: E402
import pytest  # noqa: E402

from cris_guard.constructs.audit_trail import (  # noqa: E402
    BEDROCK_DATA_EVENT_RESOURCE_TYPES,
    AuditTrail,
    validate_data_event_resource_types,
)

from .cdk_helpers import ACCOUNT, Synth, arn_of, cfn_lint_findings, env_stack, nag_findings  # noqa: E402

REGION = "eu-central-1"
TRAIL_ARNS = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, f":cloudtrail:{REGION}:{ACCOUNT}:trail/*"]]}
SOURCE_CONDITIONS = {"StringEquals": {"aws:SourceAccount": ACCOUNT}, "ArnLike": {"aws:SourceArn": TRAIL_ARNS}}
NAMED_LOG_GROUP = "/cris-guard/acme-genai/cloudtrail"
NAMED_TRAIL = "acme-genai-bedrock-audit"  # as the app names it, so that the organization SCP can protect it
HOLDING_TYPES = ("AWS::S3::Bucket", "AWS::KMS::Key", "AWS::Logs::LogGroup")


@pytest.fixture(scope="module")
def synthesized() -> dict[str, Synth]:
    app = cdk.App()
    with_data = env_stack(app, "WithDataEvents", REGION)
    trail = AuditTrail(
        with_data,
        "AuditTrail",
        retention_days=2557,
        log_group_retention_days=365,
        data_event_resource_types=["AWS::Bedrock::AgentAlias", "AWS::Bedrock::KnowledgeBase", "AWS::Bedrock::Guardrail"],
    )
    management_only = env_stack(app, "ManagementOnly", REGION)
    plain = AuditTrail(management_only, "AuditTrail", retention_days=90, log_group_retention_days=90)
    # As the app builds it: a fixed log-group name, and the config's "async" data-event option.
    named_stack = env_stack(app, "NamedLogGroup", REGION)
    named = AuditTrail(
        named_stack,
        "AuditTrail",
        retention_days=365,
        log_group_retention_days=365,
        data_event_resource_types=["AWS::Bedrock::Model", "AWS::Bedrock::AsyncInvoke"],
        log_group_name=NAMED_LOG_GROUP,
        trail_name=NAMED_TRAIL,
    )
    return {
        "data": Synth(app, with_data, trail),
        "plain": Synth(app, management_only, plain),
        "named": Synth(app, named_stack, named),
    }


@pytest.fixture(scope="module")
def data(synthesized) -> Synth:
    return synthesized["data"]


@pytest.fixture(scope="module")
def plain(synthesized) -> Synth:
    return synthesized["plain"]


@pytest.fixture(scope="module")
def named(synthesized) -> Synth:
    return synthesized["named"]


def test_trail_settings(data):
    props = data.props(data.construct.trail)
    assert props["IsLogging"] is True
    assert props["IsMultiRegionTrail"] is True
    assert props["IncludeGlobalServiceEvents"] is True
    assert props["EnableLogFileValidation"] is True
    assert props["KMSKeyId"] == arn_of(data.logical_id(data.construct.key))
    assert props["S3BucketName"] == {"Ref": data.logical_id(data.construct.bucket)}
    assert "S3KeyPrefix" not in props
    assert props["CloudWatchLogsLogGroupArn"] == arn_of(data.logical_id(data.construct.log_group))
    assert props["CloudWatchLogsRoleArn"] == arn_of(data.logical_id(data.construct.logs_role))
    assert "EventSelectors" not in props, "basic and advanced selectors cannot be mixed"
    trail = data.resources[data.logical_id(data.construct.trail)]
    assert set(trail["DependsOn"]) == {data.logical_id(data.construct.bucket.policy), data.logical_id(data.construct.logs_policy)}


def test_trail_name_is_fixed_only_when_given(named, plain):
    assert named.props(named.construct.trail)["TrailName"] == NAMED_TRAIL
    assert "TrailName" not in plain.props(plain.construct.trail)


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
    key = data.resources[data.logical_id(data.construct.key)]
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
    bucket_id = data.logical_id(data.construct.bucket)
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
        "KMSMasterKeyID": arn_of(data.logical_id(data.construct.key)),
        "SSEAlgorithm": "aws:kms",
    }
    assert props["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["LifecycleConfiguration"]["Rules"][0]["ExpirationInDays"] == 2557
    assert props["LoggingConfiguration"]["DestinationBucketName"] == {"Ref": data.logical_id(data.construct.access_logs_bucket)}


def test_log_group_is_encrypted_and_the_logs_role_writes_only_trail_streams(data):
    log_group = data.props(data.construct.log_group)
    assert log_group["KmsKeyId"] == arn_of(data.logical_id(data.construct.key))
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
                        {"Ref": data.logical_id(data.construct.log_group)},
                        f":log-stream:{ACCOUNT}_CloudTrail_*",
                    ],
                ]
            },
        }
    ]


@pytest.mark.parametrize("which", ["data", "plain"])
def test_every_bucket_key_and_log_group_is_retained(which, request):
    synth: Synth = request.getfixturevalue(which)
    holding = {k: v for k, v in synth.resources.items() if v["Type"] in HOLDING_TYPES}
    assert len(holding) == 4, sorted(holding)  # key, trail bucket, access-log bucket, log group
    for logical_id, resource in holding.items():
        assert (resource.get("DeletionPolicy"), resource.get("UpdateReplacePolicy")) == ("Retain", "Retain"), logical_id


def test_a_named_log_group_is_retained_except_when_its_first_create_rolls_back(named):
    """A retained log group with a fixed name would block every retry of a first deployment that rolled
    back; RetainExceptOnCreate deletes it only then. Everything else stays plain Retain."""
    log_group_id = named.logical_id(named.construct.log_group)
    log_group = named.resources[log_group_id]
    assert log_group["Properties"]["LogGroupName"] == NAMED_LOG_GROUP
    assert (log_group["DeletionPolicy"], log_group["UpdateReplacePolicy"]) == ("RetainExceptOnCreate", "Retain")
    others = {k: v for k, v in named.resources.items() if v["Type"] in HOLDING_TYPES and k != log_group_id}
    assert len(others) == 3
    for logical_id, resource in others.items():
        assert (resource.get("DeletionPolicy"), resource.get("UpdateReplacePolicy")) == ("Retain", "Retain"), logical_id


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
    stack = env_stack(cdk.App(), "Invalid", REGION)
    with pytest.raises(ValueError, match=message):
        AuditTrail(stack, "AuditTrail", **kwargs)


# --- Compliance --------------------------------------------------------------------------------------
@pytest.mark.parametrize("which", ["data", "plain", "named"])
def test_cdk_nag_aws_solutions_and_nist_800_53_r5_have_no_unacknowledged_findings(which, request):
    assert nag_findings(request.getfixturevalue(which)) == []


@pytest.mark.parametrize("which", ["data", "plain", "named"])
def test_cfn_lint_is_clean(which, request):
    assert cfn_lint_findings(request.getfixturevalue(which), REGION) == []
