"""Amazon Bedrock model invocation logging in one source Region (GitHub issue 4, parts 1-3).

What an auditor gets: every Converse/InvokeModel request and response made through ``bedrock-runtime``
in this account and Region, written by Bedrock to a KMS-encrypted, versioned, retained bucket (and,
optionally, to an encrypted CloudWatch log group). For cross-Region inference the log stays in the
*source* Region (cris-facts §4.1). Calls to the ``bedrock-mantle`` endpoint are not logged by this
feature at all.

The logging configuration has no CloudFormation type (cris-facts §4.2), so a Lambda-backed custom
resource (CDK Provider framework, handler in ``handlers/invocation_logging/index.py``) calls
``PutModelInvocationLoggingConfiguration`` / ``DeleteModelInvocationLoggingConfiguration``. The setting
is one per account and Region: see the handler's docstring and ``docs/audit.md`` for what happens when
another tool already owns it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import custom_resources as cr
from constructs import Construct

from cris_guard.checkov import checkov_skip
from cris_guard.constructs import secure_defaults
from cris_guard.constructs.audit_alarms import first_occurrence_alarm
from cris_guard.nag import acknowledge

HANDLER_DIR = Path(__file__).resolve().parent / "handlers" / "invocation_logging"
CUSTOM_RESOURCE_TYPE = "Custom::BedrockModelInvocationLogging"
# The CloudWatch Logs stream Bedrock writes to (cris-facts §4.4).
BEDROCK_LOG_STREAM = "aws/bedrock/modelinvocations"
# Bedrock's log-delivery metrics (AWS/Bedrock, "Across all model IDs" = no dimensions; cris-facts §4.4).
METRIC_S3_DELIVERY_FAILURE = "ModelInvocationLogsS3DeliveryFailure"
METRIC_CLOUDWATCH_DELIVERY_FAILURE = "ModelInvocationLogsCloudWatchDeliveryFailure"
METRIC_LARGE_DATA_S3_DELIVERY_FAILURE = "ModelInvocationLargeDataS3DeliveryFailure"
# Where the handler saves a configuration it replaces, and where it records which logging resource owns
# the configuration in place: the same constants as the handler's PREVIOUS_CONFIGURATION_KEY and
# OWNER_RECORD_KEY (not imported, so that synthesis does not import the Lambda module and its logging
# set-up; tests/test_invocation_logging.py pins that they agree).
PREVIOUS_CONFIGURATION_KEY = "cris-guard/previous-logging-configuration.json"
OWNER_RECORD_KEY = "cris-guard/logging-owner.json"
STATE_KEYS = (PREVIOUS_CONFIGURATION_KEY, OWNER_RECORD_KEY)

_NO_VPC_REASON = (
    "The custom-resource functions only call AWS APIs (Bedrock's logging configuration, one S3 object, Lambda "
    "Invoke, CloudFormation's pre-signed response URL), hold no personal data and serve no inbound traffic; "
    "cris-guard deploys no VPC, and a VPC would add NAT or endpoints without reducing exposure."
)
# Lambda developer guide: a dead-letter queue receives failed *asynchronous* invocations only
# ("Asynchronous invocation"). CloudFormation invokes a custom resource's function (here the CDK Provider
# framework's onEvent function) asynchronously ("Using AWS Lambda with CloudFormation"); the framework
# invokes our handler with a plain Lambda Invoke (RequestResponse, read in the framework's outbound.js) and
# answers CloudFormation with FAILED when it throws (cfn-response.js, safeHandler). A function's reserved
# concurrency is taken from the account's pool, of which Lambda keeps 100 unreserved ("Configuring reserved
# concurrency"). The limit of 10 for new accounts is UNCONFIRMED (practitioner reports; the Lambda quotas
# page only says new accounts may have lower quotas).
_SYNC_INVOKE_REASON = (
    "Invoked synchronously (RequestResponse) by the CDK Provider framework function, which reports its "
    "failures back to CloudFormation; a dead-letter queue only applies to asynchronous invocations."
)
_FRAMEWORK_DLQ_REASON = (
    "CloudFormation invokes this CDK Provider framework function asynchronously; the framework answers "
    "CloudFormation with FAILED when the handler fails, and CloudFormation fails the stack operation (without "
    "an answer, the custom resource times out). A dead-letter queue would only keep a copy of a request of a "
    "failed stack operation; the error is in the stack events."
)
_CONCURRENCY_REASON = (
    "Runs only when CloudFormation creates, updates or deletes the logging custom resource; reserving "
    "concurrency would take capacity from the account's pool (Lambda keeps 100 of it unreserved) without any "
    "benefit, and cannot be set where the account's concurrency quota is low (the limit of 10 for new "
    "accounts is UNCONFIRMED)."
)
_FRAMEWORK_ENVIRONMENT_REASON = (
    "The only environment variable is USER_ON_EVENT_FUNCTION_ARN, the handler's ARN that the CDK Provider "
    "framework sets; it is not secret (the template holds it too), and Lambda encrypts environment variables "
    "at rest with an AWS managed key by default."
)


class InvocationLogging(Construct):
    """Bedrock model invocation logging to a hardened S3 bucket (and optionally CloudWatch Logs).

    :param retention_days: days an invocation log object is kept in S3 before it expires. Required:
        storage limitation is a GDPR principle, so there is no "forever" default.
    :param key_prefix: S3 key prefix Bedrock writes under (Bedrock appends
        ``AWSLogs/<account>/BedrockModelInvocationLogs/``). Default ``bedrock-invocation-logs``.
    :param cloudwatch_logs_enabled: also deliver to a new KMS-encrypted log group. Default: S3 only.
    :param cloudwatch_retention_days: retention of that log group; one of CloudWatch Logs' fixed
        values. Default 90.
    :param text_data_delivery: log text prompts and completions. Default ``True``.
    :param image_data_delivery, embedding_data_delivery, video_data_delivery, audio_data_delivery:
        log those payload types. Default ``False`` (data minimisation: media may carry biometric data).
    :param access_logs_bucket: target for the log bucket's S3 server access logs. Default: a new
        SSE-S3 bucket kept as long as the logs (``access_logs_retention_days``).
    :param access_logs_retention_days: expiry of a *new* access-log bucket. Default: ``retention_days``.
    :param alert_topic: where the delivery-failure alarms notify. Default: no alarms are created.
    :param replace_existing_configuration: overwrite a logging configuration another tool wrote in
        this account and Region. The replaced configuration is saved in the log bucket
        (``PREVIOUS_CONFIGURATION_KEY``, outside ``key_prefix``) and put back when this construct's
        custom resource is deleted. Default ``False``: deployment fails with an explanation instead.
        Whichever way, the handler keeps an owner record next to it (``OWNER_RECORD_KEY``), so that a
        new custom resource (a provider change) and the old one it replaces never remove each other's
        configuration.
    :param noncurrent_version_retention_days: how long an overwritten or deleted log version stays
        recoverable. Default 30.
    :param handler_log_retention_days: retention of the custom-resource functions' log group.
        Default 365.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        retention_days: int,
        key_prefix: str = "bedrock-invocation-logs",
        cloudwatch_logs_enabled: bool = False,
        cloudwatch_retention_days: int = 90,
        text_data_delivery: bool = True,
        image_data_delivery: bool = False,
        embedding_data_delivery: bool = False,
        video_data_delivery: bool = False,
        audio_data_delivery: bool = False,
        access_logs_bucket: s3.IBucket | None = None,
        access_logs_retention_days: int | None = None,
        alert_topic: sns.ITopic | None = None,
        replace_existing_configuration: bool = False,
        noncurrent_version_retention_days: int = secure_defaults.DEFAULT_NONCURRENT_VERSION_RETENTION_DAYS,
        handler_log_retention_days: int = 365,
        handler_role_name: str | None = None,
    ) -> None:
        super().__init__(scope, id)
        self._validate(
            retention_days=retention_days, key_prefix=key_prefix, access_logs_retention_days=access_logs_retention_days,
            cloudwatch_logs_enabled=cloudwatch_logs_enabled, cloudwatch_retention_days=cloudwatch_retention_days,
            handler_log_retention_days=handler_log_retention_days,
            flags={
                "text_data_delivery": text_data_delivery,
                "image_data_delivery": image_data_delivery,
                "embedding_data_delivery": embedding_data_delivery,
                "video_data_delivery": video_data_delivery,
                "audio_data_delivery": audio_data_delivery,
                "cloudwatch_logs_enabled": cloudwatch_logs_enabled,
                "replace_existing_configuration": replace_existing_configuration,
            },
        )
        stack = cdk.Stack.of(self)
        bedrock_source_arn = f"arn:{stack.partition}:bedrock:{stack.region}:{stack.account}:*"
        # Bedrock writes to the bucket, uses the key and assumes the delivery role for this account and Region only.
        self._bedrock_conditions = {
            "StringEquals": {"aws:SourceAccount": stack.account},
            "ArnLike": {"aws:SourceArn": bedrock_source_arn},
        }
        # Named steps, in the order their resources are created (construct IDs, and so logical IDs, are a contract).
        self._build_key_and_bucket(retention_days, access_logs_bucket, access_logs_retention_days,
                                   noncurrent_version_retention_days)
        self._build_cloudwatch_delivery(cloudwatch_logs_enabled, cloudwatch_retention_days)
        self._build_handler(handler_log_retention_days, handler_role_name)
        self._build_provider()
        self._build_logging_configuration(
            text_data_delivery=text_data_delivery, image_data_delivery=image_data_delivery,
            embedding_data_delivery=embedding_data_delivery, video_data_delivery=video_data_delivery,
            audio_data_delivery=audio_data_delivery, replace_existing_configuration=replace_existing_configuration,
        )
        self._build_delivery_failure_alarms(alert_topic, cloudwatch_logs_enabled)

    def _validate(self, *, retention_days: int, key_prefix: str, access_logs_retention_days: int | None,
                  cloudwatch_logs_enabled: bool, cloudwatch_retention_days: int, handler_log_retention_days: int,
                  flags: dict[str, Any]) -> None:
        """Every prop checked before anything is created; sets ``key_prefix``."""
        secure_defaults.require_days("retention_days", retention_days)
        if access_logs_retention_days is not None:
            secure_defaults.require_days("access_logs_retention_days", access_logs_retention_days)
        self.key_prefix = secure_defaults.require_s3_prefix("key_prefix", key_prefix)
        # cris-guard's own state (the saved previous configuration, the owner record) must stay outside the
        # prefix: Bedrock may write anywhere under it, and objects under it expire after retention_days.
        state_top = PREVIOUS_CONFIGURATION_KEY.split("/", 1)[0]
        if self.key_prefix.split("/", 1)[0] == state_top:
            raise ValueError(
                f"key_prefix {key_prefix!r} is invalid; '{state_top}/' is reserved for cris-guard's own state "
                f"({', '.join(STATE_KEYS)}), choose another prefix"
            )
        if cloudwatch_logs_enabled:
            secure_defaults.log_retention("cloudwatch_retention_days", cloudwatch_retention_days)
        secure_defaults.log_retention("handler_log_retention_days", handler_log_retention_days)
        for name, value in flags.items():
            if not isinstance(value, bool):
                raise ValueError(f"{name} must be True or False, got {value!r}")

    def _build_key_and_bucket(self, retention_days: int, access_logs_bucket: s3.IBucket | None,
                              access_logs_retention_days: int | None, noncurrent_version_retention_days: int) -> None:
        """The KMS key, the server-access-log bucket (unless given) and the log bucket Bedrock writes to."""
        stack = cdk.Stack.of(self)
        bedrock_conditions = self._bedrock_conditions
        self.key: kms.Key = secure_defaults.hardened_key(
            self, "Key", description=f"Encrypts Bedrock model invocation logs ({stack.region})"
        )
        # The Bedrock guide documents kms:GenerateDataKey only (cris-facts §4.3). S3 documents that an
        # upload to an SSE-KMS bucket in several parts (multipart upload) also needs kms:Decrypt, and
        # large or binary payloads may well be delivered that way; whether Bedrock uses multipart uploads
        # is UNCONFIRMED, so kms:Decrypt is granted under the same source conditions. It lets Bedrock
        # (for this account and Region only) decrypt with this key, nothing more: S3 read access is
        # governed separately, and the bucket policy grants Bedrock no s3:GetObject.
        secure_defaults.allow_service_to_use_key(
            self.key,
            sid="AllowBedrockInvocationLogDelivery",
            service="bedrock.amazonaws.com",
            actions=["kms:GenerateDataKey", "kms:Decrypt"],
            conditions=bedrock_conditions,
        )
        # The custom resource's own log group and (optionally) the delivery log group use this key.
        secure_defaults.allow_cloudwatch_logs(self.key)

        if access_logs_bucket is None:
            access_logs_bucket = secure_defaults.server_access_logs_bucket(
                self,
                "AccessLogsBucket",
                expiration_days=retention_days if access_logs_retention_days is None else access_logs_retention_days,
                noncurrent_version_retention_days=noncurrent_version_retention_days,
            )
        self.access_logs_bucket: s3.IBucket = access_logs_bucket
        self.bucket: s3.Bucket = secure_defaults.hardened_bucket(
            self,
            "Bucket",
            encryption_key=self.key,
            expiration_days=retention_days,
            server_access_logs_bucket=access_logs_bucket,
            server_access_logs_prefix="bedrock-invocation-log-bucket",
            noncurrent_version_retention_days=noncurrent_version_retention_days,
            # Logs expire under the key prefix; the handler's saved configuration (outside it) must not.
            expiration_prefix=self.key_prefix,
        )
        # Bedrock writes <prefix>/AWSLogs/<account>/BedrockModelInvocationLogs/... (cris-facts §4.3).
        # Where large/binary payloads land is UNCONFIRMED, so the grant is the whole logging prefix,
        # which is still "only under the logging prefix".
        self.bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AmazonBedrockLogsWrite",
                principals=[iam.ServicePrincipal("bedrock.amazonaws.com")],
                actions=["s3:PutObject"],
                resources=[self.bucket.arn_for_objects(f"{self.key_prefix}/*")],
                conditions=bedrock_conditions,
            )
        )

    def _build_cloudwatch_delivery(self, cloudwatch_logs_enabled: bool, cloudwatch_retention_days: int) -> None:
        """The optional CloudWatch Logs log group and the role Bedrock assumes to write to it."""
        bedrock_conditions = self._bedrock_conditions
        self.log_group: logs.LogGroup | None = None
        self.delivery_role: iam.Role | None = None
        self.delivery_policy: iam.ManagedPolicy | None = None
        if cloudwatch_logs_enabled:
            self.log_group = secure_defaults.encrypted_log_group(
                self,
                "LogGroup",
                encryption_key=self.key,
                retention_days=cloudwatch_retention_days,
                retention_name="cloudwatch_retention_days",
            )
            self.delivery_role = iam.Role(
                self,
                "DeliveryRole",
                description="Assumed by Bedrock to write model invocation logs to CloudWatch Logs",
                assumed_by=iam.ServicePrincipal("bedrock.amazonaws.com", conditions=bedrock_conditions),
            )
            self.delivery_policy = iam.ManagedPolicy(
                self,
                "DeliveryPolicy",
                description="Write Bedrock model invocation logs to one log stream",
                roles=[self.delivery_role],
                statements=[
                    iam.PolicyStatement(
                        sid="WriteModelInvocationLogStream",
                        actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                        resources=[secure_defaults.log_stream_arn(self.log_group, BEDROCK_LOG_STREAM)],
                    )
                ],
            )

    def _build_handler(self, handler_log_retention_days: int, handler_role_name: str | None) -> None:
        """The custom resource's handler: its log group, least-privilege role and policy, and function."""
        stack = cdk.Stack.of(self)
        # Where the handler saves a configuration it replaces (see the handler's docstring).
        self.previous_configuration_key: str = PREVIOUS_CONFIGURATION_KEY
        self.previous_configuration_arn: str = self.bucket.arn_for_objects(PREVIOUS_CONFIGURATION_KEY)
        # Which logging resource owns the configuration in place (provider migrations, their rollbacks).
        self.owner_record_key: str = OWNER_RECORD_KEY
        # The handler's own logs (no audit evidence): deleted when the create that made them rolls back - a
        # refused first deploy (another tool owns the logging configuration) leaves no log group per retry.
        self.handler_log_group: logs.LogGroup = secure_defaults.encrypted_log_group(
            self,
            "HandlerLogGroup",
            encryption_key=self.key,
            retention_days=handler_log_retention_days,
            retention_name="handler_log_retention_days",
            retain_except_on_create=True,
        )
        # A deterministic name if another environment refers to the role: AuditAlarms (in the trail's
        # home Region) trusts this role's calls to the logging API.
        self.handler_role = iam.Role(
            self,
            "HandlerRole",
            role_name=handler_role_name or cdk.PhysicalName.GENERATE_IF_NEEDED,
            description="cris-guard: writes the Bedrock model invocation logging configuration",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        )
        handler_statements = [
            iam.PolicyStatement(
                sid="ManageModelInvocationLogging",
                actions=[
                    "bedrock:GetModelInvocationLoggingConfiguration",
                    "bedrock:PutModelInvocationLoggingConfiguration",
                    "bedrock:DeleteModelInvocationLoggingConfiguration",
                ],
                resources=["*"],
            ),
            iam.PolicyStatement(
                sid="WriteOwnLogs",
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[self.handler_log_group.log_group_arn],
            ),
            # The configuration a replace overwrites is saved to, and restored from, one object; the owner
            # record is another. Exactly those two keys.
            iam.PolicyStatement(
                sid="SavePreviousConfiguration",
                actions=["s3:GetObject", "s3:PutObject"],
                resources=[self.bucket.arn_for_objects(key) for key in STATE_KEYS],
            ),
            # Whether those objects exist is asked with ListObjectsV2, the key as prefix: s3:prefix limits the
            # listing to exactly them. (A GetObject on a missing key answers 403 instead of 404 to a caller
            # who may not list the bucket, and whether S3 weighs s3:prefix for that is not documented; so
            # the handler does not rely on GetObject's 404.)
            iam.PolicyStatement(
                sid="FindPreviousConfiguration",
                actions=["s3:ListBucket"],
                resources=[self.bucket.bucket_arn],
                conditions={"StringEquals": {"s3:prefix": list(STATE_KEYS)}},
            ),
            # Which logging resources named in the owner record still exist: this stack's resources only.
            # ListStackResources is scoped to the stack's ARN (AWS::StackId); that it takes a resource-level
            # permission is UNCONFIRMED here - if not, the call is denied and the handler counts every
            # owner as alive, which can leave a configuration in place but never removes one.
            iam.PolicyStatement(
                sid="FindLoggingResources",
                actions=["cloudformation:ListStackResources"],
                resources=[cdk.Aws.STACK_ID],
            ),
            # SSE-KMS by bucket default: S3 calls GenerateDataKey (put) and Decrypt (get) on the caller's
            # behalf, so allow them only through S3 in this Region. Which objects is decided by the S3
            # grant above (one key). A kms:EncryptionContext:aws:s3:arn condition naming the object ARN
            # would be tighter, but its exact value with Bucket Keys off was not confirmed here
            # (UNCONFIRMED), and a wrong value would make a stack deletion unable to read the saved
            # configuration - so it is left out.
            iam.PolicyStatement(
                sid="EncryptPreviousConfiguration",
                actions=["kms:GenerateDataKey", "kms:Decrypt"],
                resources=[self.key.key_arn],
                conditions={"StringEquals": {"kms:ViaService": f"s3.{stack.region}.amazonaws.com"}},
            ),
        ]
        if self.delivery_role is not None:
            # UNCONFIRMED whether Bedrock checks iam:PassRole for the delivery role (cris-facts §4.4);
            # granting it on exactly that role, only towards Bedrock, is safe either way.
            handler_statements.append(
                iam.PolicyStatement(
                    sid="PassDeliveryRoleToBedrock",
                    actions=["iam:PassRole"],
                    resources=[self.delivery_role.role_arn],
                    conditions={"StringEquals": {"iam:PassedToService": "bedrock.amazonaws.com"}},
                )
            )
        self.handler_policy = iam.ManagedPolicy(
            self,
            "HandlerPolicy",
            description="cris-guard: least privilege for the model invocation logging handler",
            roles=[self.handler_role],
            statements=handler_statements,
        )
        acknowledge(
            self.handler_policy,
            "AwsSolutions-IAM5[Resource::*]",
            "bedrock:Get/Put/DeleteModelInvocationLoggingConfiguration support no resource-level "
            "permissions (the setting is an account-and-Region singleton without an ARN), so the "
            "Resource must be '*'; the statement allows only these three actions.",
        )
        self.handler = lambda_.Function(
            self,
            "Handler",
            description="cris-guard: Bedrock model invocation logging configuration (custom resource)",
            runtime=lambda_.Runtime.PYTHON_3_14,
            architecture=lambda_.Architecture.ARM_64,
            handler="index.on_event",
            code=lambda_.Code.from_asset(str(HANDLER_DIR), exclude=["__pycache__", "*.pyc"]),
            timeout=cdk.Duration.minutes(3),
            memory_size=256,
            # An immutable view: every permission is in HandlerPolicy (a managed policy), and nothing
            # CDK adds behind our back can widen it.
            role=self.handler_role.without_policy_updates(),
            log_group=self.handler_log_group,
            logging_format=lambda_.LoggingFormat.JSON,
        )

    def _build_provider(self) -> None:
        """CDK's Provider framework for the handler, with its own role and policy."""
        self.provider_role = iam.Role(
            self,
            "ProviderRole",
            description="cris-guard: CDK Provider framework for the invocation logging custom resource",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        )
        self.provider_policy = iam.ManagedPolicy(
            self,
            "ProviderPolicy",
            description="cris-guard: invoke the invocation logging handler and write logs",
            roles=[self.provider_role],
            statements=[
                iam.PolicyStatement(
                    sid="InvokeHandler",
                    actions=["lambda:InvokeFunction", "lambda:GetFunction"],
                    resources=[self.handler.function_arn],
                ),
                iam.PolicyStatement(
                    sid="WriteOwnLogs",
                    actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                    resources=[self.handler_log_group.log_group_arn],
                ),
            ],
        )
        self.provider = cr.Provider(
            self,
            "Provider",
            on_event_handler=self.handler,
            framework_on_event_role=self.provider_role.without_policy_updates(),
            log_group=self.handler_log_group,
        )
        framework_function = self.provider.node.find_child("framework-onEvent")
        assert isinstance(framework_function, lambda_.Function)
        # CDK's Function always adds DependsOn its role, which it already references (cfn-lint W3005);
        # what must exist before a function runs is its *policy*, so depend on that instead.
        for function, policy in ((self.handler, self.handler_policy), (framework_function, self.provider_policy)):
            cfn_function = function.node.default_child
            cfn_policy = policy.node.default_child
            assert isinstance(cfn_function, cdk.CfnResource) and isinstance(cfn_policy, cdk.CfnResource)
            cfn_function.add_override("DependsOn", [cfn_policy.logical_id])
        # cdk-nag and checkov (make scan) flag the same three settings; the reasons are the same.
        for fn_scope, function, dlq_reason in (
            (self.handler, self.handler, _SYNC_INVOKE_REASON),
            (self.provider, framework_function, _FRAMEWORK_DLQ_REASON),
        ):
            acknowledge(fn_scope, "NIST.800.53.R5-LambdaInsideVPC", _NO_VPC_REASON)
            acknowledge(fn_scope, "NIST.800.53.R5-LambdaDLQ", dlq_reason)
            acknowledge(fn_scope, "NIST.800.53.R5-LambdaConcurrency", _CONCURRENCY_REASON)
            checkov_skip(function, "CKV_AWS_117", _NO_VPC_REASON)
            checkov_skip(function, "CKV_AWS_116", dlq_reason)
            checkov_skip(function, "CKV_AWS_115", _CONCURRENCY_REASON)
        checkov_skip(framework_function, "CKV_AWS_173", _FRAMEWORK_ENVIRONMENT_REASON)

    def _build_logging_configuration(self, *, text_data_delivery: bool, image_data_delivery: bool,
                                     embedding_data_delivery: bool, video_data_delivery: bool,
                                     audio_data_delivery: bool, replace_existing_configuration: bool) -> None:
        """The custom resource itself (construct ID ``Resource``) and what must exist before it runs."""
        properties: dict[str, Any] = {
            "BucketName": self.bucket.bucket_name,
            "KeyPrefix": self.key_prefix,
            "TextDataDeliveryEnabled": text_data_delivery,
            "ImageDataDeliveryEnabled": image_data_delivery,
            "EmbeddingDataDeliveryEnabled": embedding_data_delivery,
            "VideoDataDeliveryEnabled": video_data_delivery,
            "AudioDataDeliveryEnabled": audio_data_delivery,
            "ReplaceExistingConfiguration": replace_existing_configuration,
        }
        if self.log_group is not None and self.delivery_role is not None:
            properties["LogGroupName"] = self.log_group.log_group_name
            properties["DeliveryRoleArn"] = self.delivery_role.role_arn
            properties["LargeDataKeyPrefix"] = f"{self.key_prefix}/cloudwatch-large-data"
        # The construct ID "Resource" is a contract: renaming it makes CloudFormation create a new
        # resource and then delete the old one, and that Delete would remove the new configuration.
        self.logging_configuration = cdk.CustomResource(
            self,
            "Resource",
            service_token=self.provider.service_token,
            resource_type=CUSTOM_RESOURCE_TYPE,
            properties=properties,
        )
        # Bedrock validates its access when the configuration is put, so the bucket policy, key policy
        # and delivery role policy must exist first. (Bucket, log group and role are referenced in the
        # properties already; naming them again would only draw cfn-lint W3005.)
        assert self.bucket.policy is not None
        for dependency in (self.bucket.policy, self.key, self.handler_policy, self.provider_policy):
            self.logging_configuration.node.add_dependency(dependency)
        if self.delivery_policy is not None:
            self.logging_configuration.node.add_dependency(self.delivery_policy)

    def _build_delivery_failure_alarms(self, alert_topic: sns.ITopic | None, cloudwatch_logs_enabled: bool) -> None:
        """One first-occurrence alarm per delivery-failure metric, when there is a topic to notify."""
        stack = cdk.Stack.of(self)
        self.delivery_failure_alarms: list[cloudwatch.Alarm] = []
        if alert_topic is not None:
            metrics = {
                "S3DeliveryFailureAlarm": self.metric_model_invocation_logs_s3_delivery_failure(),
                "LargeDataS3DeliveryFailureAlarm": self.metric_model_invocation_large_data_s3_delivery_failure(),
            }
            if cloudwatch_logs_enabled:
                metrics["CloudWatchDeliveryFailureAlarm"] = (
                    self.metric_model_invocation_logs_cloud_watch_delivery_failure()
                )
            for alarm_id, metric in metrics.items():
                self.delivery_failure_alarms.append(
                    first_occurrence_alarm(
                        self,
                        alarm_id,
                        metric,
                        description=(
                            f"cris-guard: Bedrock failed to deliver model invocation logs in {stack.region} "
                            f"({metric.metric_name}). Invocations are not being recorded: check the bucket "
                            "policy, KMS key policy and delivery role, and the logging configuration."
                        ),
                        action=cw_actions.SnsAction(alert_topic),
                    )
                )

    # --- Metrics ---------------------------------------------------------------------------------------
    def _bedrock_metric(self, metric_name: str, options: dict[str, Any]) -> cloudwatch.Metric:
        merged: dict[str, Any] = {"statistic": "Sum", "period": cdk.Duration.minutes(5), **options}
        return cloudwatch.Metric(namespace="AWS/Bedrock", metric_name=metric_name, **merged)

    def metric_model_invocation_logs_s3_delivery_failure(self, **options: Any) -> cloudwatch.Metric:
        """Failed deliveries of invocation logs to S3 (Sum over 5 minutes unless overridden)."""
        return self._bedrock_metric(METRIC_S3_DELIVERY_FAILURE, options)

    def metric_model_invocation_logs_cloud_watch_delivery_failure(self, **options: Any) -> cloudwatch.Metric:
        """Failed deliveries of invocation logs to CloudWatch Logs (Sum over 5 minutes unless overridden)."""
        return self._bedrock_metric(METRIC_CLOUDWATCH_DELIVERY_FAILURE, options)

    def metric_model_invocation_large_data_s3_delivery_failure(self, **options: Any) -> cloudwatch.Metric:
        """Failed deliveries of large or binary payloads to S3 (Sum over 5 minutes unless overridden)."""
        return self._bedrock_metric(METRIC_LARGE_DATA_S3_DELIVERY_FAILURE, options)
