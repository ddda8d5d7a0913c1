"""The account's CloudTrail trail for Bedrock audit evidence (GitHub issue 4, part 4).

Why a trail at all: a cross-Region inference call is a CloudTrail *management* event in the source
Region, and its record's ``additionalEventData.inferenceRegion`` names the Region that processed it
(cris-facts §3). That field is the evidence auditors ask for ("where did inference run?"), and the
CloudWatch log group this trail feeds is what :class:`~cris_guard.constructs.audit_alarms.AuditAlarms`
watches. ``InvokeModel``/``Converse`` records have ``readOnly: false``, so management events are logged
read *and* write.

One multi-Region trail per account is enough (CloudTrail allows 5 per Region; cris-facts §7): create this construct
in one "home" stack only, and not at all where an organization trail already delivers this account's
events (then point AuditAlarms at that trail's log group instead).

Built on the L1 ``CfnTrail`` because the L2 ``Trail`` cannot express two things this trail needs: its
bucket policy has no ``aws:SourceArn``/``aws:SourceAccount`` conditions (confused-deputy protection)
and it has no advanced event selectors (needed for Bedrock data events).
"""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_cloudtrail as cloudtrail
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from cris_guard.constructs import secure_defaults
from cris_guard.nag import acknowledge, nag_resource_repr

# Bedrock data-event resource types (cris-facts §3). The Bedrock user guide's table lists the first
# group; the second appears in CloudTrail's data-event table only.
BEDROCK_DATA_EVENT_RESOURCE_TYPES: tuple[str, ...] = (
    "AWS::Bedrock::AgentAlias",  # InvokeAgent
    "AWS::Bedrock::InlineAgent",  # InvokeInlineAgent
    "AWS::Bedrock::Model",  # InvokeModelWithBidirectionalStream, Get/StartAsyncInvoke
    "AWS::Bedrock::AsyncInvoke",  # Get/StartAsyncInvoke
    "AWS::Bedrock::KnowledgeBase",  # Retrieve, RetrieveAndGenerate
    "AWS::Bedrock::FlowAlias",  # InvokeFlow
    "AWS::Bedrock::Guardrail",  # ApplyGuardrail
    "AWS::Bedrock::Session",
    "AWS::Bedrock::FlowExecution",
    "AWS::Bedrock::AutomatedReasoningPolicy",
    "AWS::Bedrock::Tool",
    # RenderPrompt: the Bedrock guide says AWS::Bedrock::Prompt, CloudTrail's table says
    # AWS::Bedrock::PromptVersion and a practitioner reports CloudTrail rejects the former. UNCONFIRMED;
    # the value CloudTrail's own table names is the one accepted here.
    "AWS::Bedrock::PromptVersion",
)
_REJECTED_TYPES = {
    "AWS::Bedrock::Prompt": "use 'AWS::Bedrock::PromptVersion' (the value CloudTrail's data-event table "
    "names; CloudTrail reportedly rejects 'AWS::Bedrock::Prompt' - UNCONFIRMED)",
}


def validate_data_event_resource_types(values: Sequence[str]) -> tuple[str, ...]:
    """Return the types in order, or raise ValueError naming the bad value and the fix."""
    if isinstance(values, str):
        raise ValueError(f"data_event_resource_types must be a list of types, got the string {values!r}")
    seen: list[str] = []
    for value in values:
        if value in _REJECTED_TYPES:
            raise ValueError(f"data_event_resource_types: {value!r} is not accepted; {_REJECTED_TYPES[value]}")
        if value not in BEDROCK_DATA_EVENT_RESOURCE_TYPES:
            raise ValueError(
                f"data_event_resource_types: {value!r} is not a supported Bedrock data-event resource type; "
                f"use one of {list(BEDROCK_DATA_EVENT_RESOURCE_TYPES)}"
            )
        if value in seen:
            raise ValueError(f"data_event_resource_types: {value!r} is listed twice; list each type once")
        seen.append(value)
    return tuple(seen)


class AuditTrail(Construct):
    """A multi-Region CloudTrail trail with log-file validation, KMS encryption, its own hardened and
    retained bucket, and an encrypted CloudWatch log group.

    :param retention_days: days trail log files are kept in S3. Required (no "forever" default).
    :param log_group_retention_days: retention of the CloudWatch log group; one of CloudWatch Logs'
        fixed values.
    :param data_event_resource_types: ``AWS::Bedrock::*`` types whose data events are logged too (they
        cost extra). Default: none, management events only.
    :param access_logs_bucket: target for the trail bucket's S3 server access logs. Default: a new
        SSE-S3 bucket with the same retention.
    :param trail_name: the trail's name, so that an SCP can protect it by ARN (cris_guard/scp.py). Changing
        it replaces the trail (TrailName is create-only in the CloudFormation schema); the bucket and log
        group are separate resources and stay. Default: a name CloudFormation generates.

    Attributes: ``trail`` (the L1 ``CfnTrail``, see the module docstring), ``trail_arn``, ``bucket``,
    ``key``, ``log_group``, ``logs_role``, ``logs_policy``, ``access_logs_bucket``.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        retention_days: int,
        log_group_retention_days: int,
        data_event_resource_types: Sequence[str] = (),
        access_logs_bucket: s3.IBucket | None = None,
        log_group_name: str | None = None,
        trail_name: str | None = None,
    ) -> None:
        super().__init__(scope, id)
        secure_defaults.require_days("retention_days", retention_days)
        secure_defaults.log_retention("log_group_retention_days", log_group_retention_days)
        self.data_event_resource_types = validate_data_event_resource_types(data_event_resource_types)

        stack = cdk.Stack.of(self)
        partition, region, account = stack.partition, stack.region, stack.account
        # The trail ARN is not known before the trail exists, and the bucket and key policies must exist
        # first; so the confused-deputy conditions name "any trail of this account in this Region".
        self._trail_arns = f"arn:{partition}:cloudtrail:{region}:{account}:trail/*"
        self._source_conditions = {
            "StringEquals": {"aws:SourceAccount": account},
            "ArnLike": {"aws:SourceArn": self._trail_arns},
        }
        # Named steps, in the order their resources are created (construct IDs are a contract).
        self._build_key()
        self._build_bucket(retention_days, access_logs_bucket)
        self._build_log_delivery(log_group_retention_days, log_group_name)
        self._build_trail(trail_name)

    def _build_key(self) -> None:
        """The KMS key of the trail, its bucket and its log group, usable by CloudTrail for this account."""
        partition, account = cdk.Stack.of(self).partition, cdk.Stack.of(self).account
        source_conditions = self._source_conditions
        self.key: kms.Key = secure_defaults.hardened_key(
            self, "Key", description="Encrypts the cris-guard CloudTrail trail, its bucket and log group"
        )
        # CloudTrail user guide, "Configure AWS KMS key policies for CloudTrail".
        secure_defaults.allow_service_to_use_key(
            self.key,
            sid="AllowCloudTrailToEncryptLogs",
            service="cloudtrail.amazonaws.com",
            actions=["kms:GenerateDataKey*"],
            conditions={
                **source_conditions,
                "StringLike": {
                    "kms:EncryptionContext:aws:cloudtrail:arn": f"arn:{partition}:cloudtrail:*:{account}:trail/*"
                },
            },
        )
        secure_defaults.allow_service_to_use_key(
            self.key,
            sid="AllowCloudTrailToDescribeKey",
            service="cloudtrail.amazonaws.com",
            actions=["kms:DescribeKey"],
            conditions=source_conditions,
        )
        secure_defaults.allow_cloudwatch_logs(self.key)

    def _build_bucket(self, retention_days: int, access_logs_bucket: s3.IBucket | None) -> None:
        """The trail's hardened bucket (and its server-access-log bucket unless given) with CloudTrail's policy."""
        account = cdk.Stack.of(self).account
        source_conditions, trail_arns = self._source_conditions, self._trail_arns
        if access_logs_bucket is None:
            access_logs_bucket = secure_defaults.server_access_logs_bucket(
                self, "AccessLogsBucket", expiration_days=retention_days
            )
        self.access_logs_bucket: s3.IBucket = access_logs_bucket
        self.bucket: s3.Bucket = secure_defaults.hardened_bucket(
            self,
            "Bucket",
            encryption_key=self.key,
            expiration_days=retention_days,
            server_access_logs_bucket=access_logs_bucket,
            server_access_logs_prefix="cloudtrail-bucket",
        )
        # CloudTrail user guide, "Amazon S3 bucket policy for CloudTrail", with aws:SourceArn/SourceAccount.
        self.bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AWSCloudTrailAclCheck",
                principals=[iam.ServicePrincipal("cloudtrail.amazonaws.com")],
                actions=["s3:GetBucketAcl"],
                resources=[self.bucket.bucket_arn],
                conditions=source_conditions,
            )
        )
        self.bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AWSCloudTrailWrite",
                principals=[iam.ServicePrincipal("cloudtrail.amazonaws.com")],
                actions=["s3:PutObject"],
                resources=[self.bucket.arn_for_objects(f"AWSLogs/{account}/*")],
                conditions={
                    "StringEquals": {
                        "aws:SourceAccount": account,
                        "s3:x-amz-acl": "bucket-owner-full-control",
                    },
                    "ArnLike": {"aws:SourceArn": trail_arns},
                },
            )
        )

    def _build_log_delivery(self, log_group_retention_days: int, log_group_name: str | None) -> None:
        """The encrypted log group and the role CloudTrail assumes to deliver to it."""
        account = cdk.Stack.of(self).account
        self.log_group: logs.LogGroup = secure_defaults.encrypted_log_group(
            self,
            "LogGroup",
            encryption_key=self.key,
            retention_days=log_group_retention_days,
            retention_name="log_group_retention_days",
            log_group_name=log_group_name,
            # The app gives this log group a fixed name (/cris-guard/<name>/cloudtrail). With plain RETAIN,
            # a first deployment that rolls back (for example because the invocation-logging custom
            # resource refuses another tool's configuration) would leave the named group behind, and every
            # retry would fail with "already exists". RetainExceptOnCreate deletes it only when the
            # operation that created it rolls back - when at most the minutes of that failed deployment
            # were delivered to it, and the trail's retained bucket holds the same records - and retains
            # it on every later deletion. A generated name cannot collide, so it keeps plain RETAIN.
            retain_except_on_create=log_group_name is not None,
        )
        self.logs_role = iam.Role(
            self,
            "LogsRole",
            description="Assumed by CloudTrail to deliver the cris-guard trail to CloudWatch Logs",
            assumed_by=iam.ServicePrincipal("cloudtrail.amazonaws.com"),
        )
        # CloudTrail names the streams <account>_CloudTrail_<region>, one per Region of a multi-Region trail
        # (CloudTrail user guide, "Sending events to CloudWatch Logs", role policy example).
        stream_arns = secure_defaults.log_stream_arn(self.log_group, f"{account}_CloudTrail_*")
        self.logs_policy = iam.ManagedPolicy(
            self,
            "LogsPolicy",
            description="Deliver the cris-guard trail to its CloudWatch log group",
            roles=[self.logs_role],
            statements=[
                iam.PolicyStatement(
                    sid="DeliverTrailToLogStreams",
                    actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                    resources=[stream_arns],
                )
            ],
        )
        acknowledge(
            self.logs_policy,
            f"AwsSolutions-IAM5[Resource::{nag_resource_repr(self, stream_arns)}]",
            "CloudTrail creates one log stream per Region (<account>_CloudTrail_<region>) in this one log "
            "group; the wildcard covers exactly those stream names.",
        )

    def _build_trail(self, trail_name: str | None) -> None:
        """The multi-Region trail (construct ID ``Resource``) with its event selectors."""
        selectors = [
            # No readOnly selector: InvokeModel/Converse are readOnly=false, so "all" is required.
            cloudtrail.CfnTrail.AdvancedEventSelectorProperty(
                name="Management events (read and write)",
                field_selectors=[
                    cloudtrail.CfnTrail.AdvancedFieldSelectorProperty(field="eventCategory", equal_to=["Management"])
                ],
            )
        ]
        for resource_type in self.data_event_resource_types:
            selectors.append(
                cloudtrail.CfnTrail.AdvancedEventSelectorProperty(
                    name=f"Data events: {resource_type}",
                    field_selectors=[
                        cloudtrail.CfnTrail.AdvancedFieldSelectorProperty(field="eventCategory", equal_to=["Data"]),
                        cloudtrail.CfnTrail.AdvancedFieldSelectorProperty(
                            field="resources.type", equal_to=[resource_type]
                        ),
                    ],
                )
            )

        self.trail = cloudtrail.CfnTrail(
            self,
            "Resource",
            trail_name=trail_name,
            is_logging=True,
            is_multi_region_trail=True,
            include_global_service_events=True,
            enable_log_file_validation=True,
            kms_key_id=self.key.key_arn,
            s3_bucket_name=self.bucket.bucket_name,
            cloud_watch_logs_log_group_arn=self.log_group.log_group_arn,
            cloud_watch_logs_role_arn=self.logs_role.role_arn,
            advanced_event_selectors=selectors,
        )
        # CloudTrail checks bucket, key and role permissions when the trail is created (CreateTrail's errors
        # InsufficientS3BucketPolicyException, InsufficientEncryptionPolicyException and
        # InvalidCloudWatchLogsRoleArnException in the botocore cloudtrail model).
        assert self.bucket.policy is not None
        for dependency in (self.bucket.policy, self.logs_policy):
            self.trail.node.add_dependency(dependency)
        self.trail_arn: str = self.trail.attr_arn
