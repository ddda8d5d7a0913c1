"""The one place for cris-guard's hardened defaults: KMS keys, S3 buckets and log groups that hold logs.

Everything here holds audit evidence or the key to read it, so everything is ``RemovalPolicy.RETAIN``:
deleting a stack must never delete what an auditor may ask for. (One exception a caller must ask for:
a log group with a fixed name may be ``RETAIN_ON_UPDATE_OR_DELETE``, i.e. CloudFormation's
``RetainExceptOnCreate``; see :func:`encrypted_log_group`.) Retention is always an explicit,
required number of days (GDPR storage limitation: there is no "keep forever" default).

Why the server-access-log bucket uses SSE-S3 and not SSE-KMS: the S3 user guide ("Enabling Amazon S3
server access logging") says a destination bucket's default encryption may only be SSE-S3 (AES256).
aws/aws-cdk#25350 reports that SSE-KMS works when the key policy admits ``logging.s3.amazonaws.com``.
The two sources disagree (UNCONFIRMED), and SSE-S3 works under either answer. Access logs hold request
metadata (requester, key, operation), not the invocation logs themselves.

Why server access logging is wired with the L1 ``LoggingConfiguration`` instead of the L2
``server_access_logs_bucket`` prop: the L2 grants the log delivery service through the bucket policy
only when the ``@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy`` feature flag is on, and otherwise
through an ACL that BucketOwnerEnforced forbids. Writing the policy statement ourselves makes the
result independent of the app's ``cdk.json``.
"""

from __future__ import annotations

import re

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from cris_guard.checkov import checkov_skip
from cris_guard.nag import acknowledge
from cris_guard.regions import LOG_GROUP_RETENTION_DAYS  # shared with config validation


# How long a version that was overwritten or deleted stays recoverable (tamper recovery window).
DEFAULT_NONCURRENT_VERSION_RETENTION_DAYS = 30
# Incomplete multipart uploads hold data nobody can read; drop them after a week.
_ABORT_INCOMPLETE_UPLOADS_DAYS = 7

_REPLICATION_REASON = (
    "Cross-Region replication would copy personal data (prompts, identities) out of the source Region, "
    "which GDPR residency forbids here; durability comes from S3's multi-AZ storage, versioning and RETAIN."
)
_ACCESS_LOG_TARGET_REASON = (
    "This bucket is the target of other cris-guard buckets' S3 server access logs: logging its own access "
    "into itself would log each of its own log deliveries again (a loop), and into another bucket only moves "
    "the question there. It is private, versioned, TLS-only and retained."
)
_S3_PREFIX = re.compile(r"^[A-Za-z0-9!_.*'()-]+(/[A-Za-z0-9!_.*'()-]+)*$")


def require_days(name: str, value: object, *, maximum: int | None = None) -> int:
    """Validate a positive whole number of days and return it (bool is not a number of days)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be a whole number of days, got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be at least 1 day, got {value}; retention cannot be off or 'forever'")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be at most {maximum} days, got {value}")
    return value


def log_retention(name: str, days: object) -> logs.RetentionDays:
    """Map a number of days to CloudWatch Logs' fixed set of retention values, or explain the choices."""
    value = require_days(name, days)
    if value not in LOG_GROUP_RETENTION_DAYS:
        raise ValueError(
            f"{name}={value} is not a CloudWatch Logs retention period; use one of {list(LOG_GROUP_RETENTION_DAYS)}"
        )
    by_days = {
        1: "ONE_DAY", 3: "THREE_DAYS", 5: "FIVE_DAYS", 7: "ONE_WEEK", 14: "TWO_WEEKS", 30: "ONE_MONTH",
        60: "TWO_MONTHS", 90: "THREE_MONTHS", 120: "FOUR_MONTHS", 150: "FIVE_MONTHS", 180: "SIX_MONTHS",
        365: "ONE_YEAR", 400: "THIRTEEN_MONTHS", 545: "EIGHTEEN_MONTHS", 731: "TWO_YEARS",
        1096: "THREE_YEARS", 1827: "FIVE_YEARS", 2192: "SIX_YEARS", 2557: "SEVEN_YEARS",
        2922: "EIGHT_YEARS", 3288: "NINE_YEARS", 3653: "TEN_YEARS",
    }  # fmt: skip
    return getattr(logs.RetentionDays, by_days[value])


def require_s3_prefix(name: str, value: object) -> str:
    """A key prefix without leading/trailing slash, made of S3's "safe" characters, at most 512 chars."""
    if not isinstance(value, str) or not _S3_PREFIX.match(value) or len(value) > 512:
        raise ValueError(
            f"{name} {value!r} is invalid; use 1-512 characters of letters, digits and ! _ . * ' ( ) -, "
            "with single '/' between parts and no leading or trailing '/'"
        )
    return value


def hardened_key(
    scope: Construct,
    id: str,
    *,
    description: str,
    removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
) -> kms.Key:
    """A symmetric customer-managed KMS key with yearly rotation, retained when the stack is deleted.

    The key policy starts as CDK's default (the account root may administer it through IAM); callers add
    service statements with conditions. No alias: an alias is a physical name and adds nothing to audits.
    ``removal_policy``: keep the default for any key whose ciphertext can outlive the stack (buckets, log
    groups); a key that encrypts nothing at rest beyond its stack's life may be
    ``RETAIN_ON_UPDATE_OR_DELETE``, so a rolled-back first deploy does not leave it behind. Either way a
    key CloudFormation deletes is only scheduled for deletion, after ``pending_window`` (30 days; the
    ``PendingWindowInDays`` property of ``AWS::KMS::Key``), and can be recovered until then.
    """
    return kms.Key(
        scope,
        id,
        description=description,
        enable_key_rotation=True,
        pending_window=cdk.Duration.days(30),
        removal_policy=removal_policy,
    )


def allow_service_to_use_key(
    key: kms.IKey, *, sid: str, service: str, actions: list[str], conditions: dict[str, dict[str, object]]
) -> None:
    """Add a key-policy statement letting AWS service principal ``service`` use ``key`` under ``conditions``.

    ``Resource: "*"`` in a key policy means "this key". ``conditions`` is required: every service
    statement names the account (and where possible the source ARN) it acts for (confused deputy).
    """
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid=sid,
            principals=[iam.ServicePrincipal(service)],
            actions=actions,
            resources=["*"],
            conditions=conditions,
        )
    )


def log_stream_arn(log_group: logs.ILogGroup, stream: str) -> str:
    """The ARN of log stream(s) ``stream`` (may end in ``*``) in ``log_group``, in the log group's stack."""
    stack = cdk.Stack.of(log_group)
    return (
        f"arn:{stack.partition}:logs:{stack.region}:{stack.account}:log-group:{log_group.log_group_name}"
        f":log-stream:{stream}"
    )


def allow_cloudwatch_logs(key: kms.Key) -> None:
    """Let CloudWatch Logs in this account and Region use ``key`` for log groups (cris-facts §4.4; CloudWatch
    Logs user guide, "Encrypt log data in CloudWatch Logs using AWS Key Management Service").

    The encryption-context condition names log groups of this account and Region only. It uses
    ``log-group:*`` rather than one log group's ARN because the log group references the key, so the
    key policy referencing the log group would be a circular dependency.
    """
    stack = cdk.Stack.of(key)
    allow_service_to_use_key(
        key,
        sid="AllowCloudWatchLogsOfThisAccountAndRegion",
        service=f"logs.{stack.region}.amazonaws.com",
        actions=["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
        conditions={
            "ArnLike": {
                "kms:EncryptionContext:aws:logs:arn": f"arn:{stack.partition}:logs:{stack.region}:{stack.account}:log-group:*"
            }
        },
    )


def _lifecycle(
    expiration_days: int, noncurrent_days: int, expiration_prefix: str | None = None
) -> list[s3.LifecycleRule]:
    if expiration_prefix is None:
        return [
            s3.LifecycleRule(
                id="ExpireAfterRetention",
                enabled=True,
                expiration=cdk.Duration.days(expiration_days),
                noncurrent_version_expiration=cdk.Duration.days(noncurrent_days),
                abort_incomplete_multipart_upload_after=cdk.Duration.days(_ABORT_INCOMPLETE_UPLOADS_DAYS),
            )
        ]
    # Current objects expire only under the prefix; overwritten or deleted versions expire everywhere.
    return [
        s3.LifecycleRule(
            id="ExpireAfterRetention",
            enabled=True,
            prefix=f"{expiration_prefix}/",
            expiration=cdk.Duration.days(expiration_days),
        ),
        s3.LifecycleRule(
            id="ExpireNoncurrentVersions",
            enabled=True,
            noncurrent_version_expiration=cdk.Duration.days(noncurrent_days),
            abort_incomplete_multipart_upload_after=cdk.Duration.days(_ABORT_INCOMPLETE_UPLOADS_DAYS),
        ),
    ]


def _retained_private_bucket(
    scope: Construct,
    id: str,
    *,
    lifecycle_rules: list[s3.LifecycleRule],
    encryption: s3.BucketEncryption,
    encryption_key: kms.IKey | None = None,
    bucket_key_enabled: bool | None = None,
) -> s3.Bucket:
    """What every cris-guard bucket shares: no public access, ACLs disabled, TLS 1.2+ only, versioned, retained."""
    return s3.Bucket(
        scope,
        id,
        encryption=encryption,
        encryption_key=encryption_key,
        bucket_key_enabled=bucket_key_enabled,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        enforce_ssl=True,
        minimum_tls_version=1.2,
        versioned=True,
        removal_policy=cdk.RemovalPolicy.RETAIN,
        lifecycle_rules=lifecycle_rules,
    )


def server_access_logs_bucket(
    scope: Construct,
    id: str,
    *,
    expiration_days: int,
    noncurrent_version_retention_days: int = DEFAULT_NONCURRENT_VERSION_RETENTION_DAYS,
) -> s3.Bucket:
    """The target bucket for S3 server access logs: hardened like :func:`hardened_bucket`, but SSE-S3.

    It does not log access to itself: a log target logging into itself recurses, and into yet another
    bucket only moves the question. (cdk-nag recognises a bucket that is a server-access-log target and
    does not flag it for S1 / S3BucketLoggingEnabled.)
    """
    require_days("expiration_days", expiration_days)
    require_days("noncurrent_version_retention_days", noncurrent_version_retention_days)
    bucket = _retained_private_bucket(
        scope,
        id,
        lifecycle_rules=_lifecycle(expiration_days, noncurrent_version_retention_days),
        encryption=s3.BucketEncryption.S3_MANAGED,
    )
    acknowledge(
        bucket,
        "NIST.800.53.R5-S3DefaultEncryptionKMS",
        "S3 server-access-log targets support only SSE-S3 default encryption (S3 user guide; SSE-KMS "
        "support is UNCONFIRMED), so this bucket uses SSE-S3; the logs it holds are request metadata.",
    )
    acknowledge(bucket, "NIST.800.53.R5-S3BucketReplicationEnabled", _REPLICATION_REASON)
    # cdk-nag exempts a server-access-log target from its logging rule by itself; checkov does not.
    checkov_skip(bucket, "CKV_AWS_18", _ACCESS_LOG_TARGET_REASON)
    return bucket


def hardened_bucket(
    scope: Construct,
    id: str,
    *,
    encryption_key: kms.IKey,
    expiration_days: int,
    server_access_logs_bucket: s3.IBucket,
    server_access_logs_prefix: str,
    noncurrent_version_retention_days: int = DEFAULT_NONCURRENT_VERSION_RETENTION_DAYS,
    expiration_prefix: str | None = None,
) -> s3.Bucket:
    """A bucket for audit evidence: SSE-KMS with ``encryption_key``, ACLs disabled, no public access,
    TLS 1.2+ only, versioned, retained, objects expired after ``expiration_days`` (noncurrent versions
    ``noncurrent_version_retention_days`` later), server access logs to ``server_access_logs_bucket``.

    ``expiration_prefix``: expire current objects only under ``<expiration_prefix>/`` (the evidence),
    so that a small state object kept elsewhere in the bucket does not expire with the logs.
    Noncurrent versions expire everywhere. Default: every object expires.

    S3 Bucket Keys stay off: with a Bucket Key, services writing through the bucket may need
    ``kms:Decrypt`` as well (CloudTrail documents this), and the documented Bedrock key policy grants only
    ``kms:GenerateDataKey``. The cost is one KMS request per object written.
    """
    require_days("expiration_days", expiration_days)
    require_days("noncurrent_version_retention_days", noncurrent_version_retention_days)
    prefix = require_s3_prefix("server_access_logs_prefix", server_access_logs_prefix.rstrip("/")) + "/"
    if expiration_prefix is not None:
        require_s3_prefix("expiration_prefix", expiration_prefix)
    bucket = _retained_private_bucket(
        scope,
        id,
        lifecycle_rules=_lifecycle(expiration_days, noncurrent_version_retention_days, expiration_prefix),
        encryption=s3.BucketEncryption.KMS,
        encryption_key=encryption_key,
        bucket_key_enabled=False,
    )
    cfn_bucket = bucket.node.default_child
    assert isinstance(cfn_bucket, s3.CfnBucket)
    cfn_bucket.logging_configuration = s3.CfnBucket.LoggingConfigurationProperty(
        destination_bucket_name=server_access_logs_bucket.bucket_name,
        log_file_prefix=prefix,
    )
    stack = cdk.Stack.of(bucket)
    # No DependsOn from the bucket to this policy: the policy names the bucket's ARN, so that would be
    # a cycle. S3 accepts the logging configuration first; delivery starts once the policy exists.
    server_access_logs_bucket.add_to_resource_policy(
        iam.PolicyStatement(
            sid=f"S3ServerAccessLogsFor{cdk.Names.unique_id(bucket)}"[:100],
            principals=[iam.ServicePrincipal("logging.s3.amazonaws.com")],
            actions=["s3:PutObject"],
            resources=[server_access_logs_bucket.arn_for_objects(f"{prefix}*")],
            conditions={
                "ArnLike": {"aws:SourceArn": bucket.bucket_arn},
                "StringEquals": {"aws:SourceAccount": stack.account},
            },
        )
    )
    acknowledge(bucket, "NIST.800.53.R5-S3BucketReplicationEnabled", _REPLICATION_REASON)
    return bucket


def encrypted_log_group(
    scope: Construct,
    id: str,
    *,
    encryption_key: kms.IKey,
    retention_days: int,
    retention_name: str,
    log_group_name: str | None = None,
    retain_except_on_create: bool = False,
) -> logs.LogGroup:
    """A KMS-encrypted log group with a fixed retention, retained when the stack is deleted.

    ``encryption_key`` must admit CloudWatch Logs (see :func:`allow_cloudwatch_logs`). ``retention_name``
    names the setting in error messages (for example ``"cloudwatch_retention_days"``).

    ``retain_except_on_create``: CloudFormation deletes the log group when the stack operation that
    *created* it rolls back, and retains it otherwise (CloudFormation user guide, "DeletionPolicy attribute",
    ``RetainExceptOnCreate``). For a log group with a fixed name, a retained one would make every retry of a
    failed first deployment fail ("already exists"); for one with a generated name (the logging handler's),
    every retry would leave another one behind (issue 17). Only for log groups that hold no audit evidence
    a rolled-back create could have written. CDK spells
    this ``RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE``: DeletionPolicy ``RetainExceptOnCreate`` with
    UpdateReplacePolicy ``Retain`` (aws-cdk-lib 2.275 has no ``RemovalPolicy.RETAIN_EXCEPT_ON_CREATE``).
    """
    return logs.LogGroup(
        scope,
        id,
        log_group_name=log_group_name,
        encryption_key=encryption_key,
        retention=log_retention(retention_name, retention_days),
        removal_policy=(
            cdk.RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE if retain_except_on_create else cdk.RemovalPolicy.RETAIN
        ),
    )
