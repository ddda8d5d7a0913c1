"""The validated model of a cris-guard configuration file.

Data flows one way: YAML -> :func:`load_config` -> :class:`Config` -> constructs. Everything a
construct needs is checked here, before any construct is built, and every problem becomes one line
that names the field path, the bad value and the fix (:class:`ConfigError`). Unknown keys are errors,
because a mistyped key silently ignored is a governance gap.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from cris_guard.catalog import (
    SHIPPED,
    Catalog,
    CatalogError,
    is_profile_id,
    lifecycle_of,
    load_catalog,
    load_project_catalog,
)
from cris_guard.cost import (
    APPLICATION_PROFILE_QUOTA,
    BudgetedApplication,
    application_profile_counts,
    check_application_profile_quota,
    check_application_profile_tags,
    check_budget_settings,
    check_planned_profile,
    plan_application_profiles,
)
from cris_guard.iam_policy import GUARDRAIL_ARN as _GUARDRAIL_ARN
from cris_guard.iam_policy import guardrail_arn_parts
from cris_guard.regions import (
    BUDGETS_FALLBACK_REGION,
    CFN_TYPE_EU_REGIONS,
    EU_MEMBER_STATE_REGIONS,
    LOG_GROUP_RETENTION_DAYS,
    NON_EU_REGIONS_SEEN_IN_EU_PROFILES,
    is_region_code,
)

DEFAULT_CONFIG_PATH = Path(__file__).resolve().parent.parent / "config" / "default.yaml"

_NAME = re.compile(r"^[a-z][a-z0-9-]{0,22}[a-z0-9]$")
_APP_NAME = re.compile(r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$")
_ACCOUNT = re.compile(r"^[0-9]{12}$")
# A CDK Stage name becomes a directory (cdk.out/assembly-<name>) and a CLI selector (`<name>/*`).
_STAGE_NAME = re.compile(r"^[a-z][a-z0-9-]{0,22}[a-z0-9]$")
# Organizations policy targets: a root, an OU or an account (botocore organizations model, TargetId).
_ORG_TARGET = re.compile(r"^(r-[0-9a-z]{4,32}|[0-9]{12}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$")
# IAM principal ARN patterns an SCP may exempt: IAM's glob characters allowed, nothing else exotic.
_PRINCIPAL_ARN_PATTERN = re.compile(r"^arn:(aws|\*)(-[a-z]+)*:iam::([0-9]{12}|\*):role/[\w+=,.@/*?-]{1,512}$")
# Principals that may use Bedrock API keys: roles, and the IAM users long-term API keys belong to.
_KEY_PRINCIPAL_ARN_PATTERN = re.compile(r"^arn:(aws|\*)(-[a-z]+)*:iam::([0-9]{12}|\*):(role|user)/[\w+=,.@/*?-]{1,512}$")
# Deliberately simple: one @, no spaces, a dot in the domain. Full RFC 5322 is not the point; catching
# "platform-team@example" and "a b@c.d" before SNS silently never confirms a subscription is.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_TAG_CHARS = re.compile(r"^[a-zA-Z0-9\s._:/=+@-]*$")
_ROLE_ARN = re.compile(r"^arn:aws(-[a-z]+)*:iam::[0-9]{12}:role/[\w+=,.@/-]{1,512}$")
_SERVICE_PRINCIPAL = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)*\.amazonaws\.com$")
# botocore bedrock GuardrailCrossRegionGuardrailProfileId: [a-z0-9-]+[.]guardrail[.]v[0-9:]+, 15-30 characters.
_GUARDRAIL_PROFILE_SHAPE = re.compile(r"^(?=.{15,30}$)[a-z0-9-]+\.guardrail\.v[0-9:]+$")
# CloudWatch Logs CreateLogGroup: 1-512 of a-z A-Z 0-9 _ - / . # (botocore logs model, LogGroupName).
_LOG_GROUP_NAME = re.compile(r"^[.\-_/#A-Za-z0-9]{1,512}$")
_TRAIL_NAME = re.compile(r"^(arn:aws[a-z-]*:cloudtrail:[a-z0-9-]+:[0-9]{12}:trail/)?[A-Za-z0-9][A-Za-z0-9._-]{2,127}$")
_VPC_ID = re.compile(r"^vpc-([0-9a-f]{8}|[0-9a-f]{17})$")
_SUBNET_ID = re.compile(r"^subnet-([0-9a-f]{8}|[0-9a-f]{17})$")
_SECURITY_GROUP_ID = re.compile(r"^sg-([0-9a-f]{8}|[0-9a-f]{17})$")
_BUCKET_NAME = re.compile(r"^(?!xn--)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_ORGANIZATION_ID = re.compile(r"^o-[a-z0-9]{10,32}$")
_S3_PREFIX = re.compile(r"^$|^[A-Za-z0-9!_.*'()-]+(/[A-Za-z0-9!_.*'()-]+)*$")

BEDROCK_DATA_EVENT_TYPES = {
    "agents": ("AWS::Bedrock::AgentAlias", "AWS::Bedrock::InlineAgent"),
    "knowledge-bases": ("AWS::Bedrock::KnowledgeBase",),
    "flows": ("AWS::Bedrock::FlowAlias",),
    "guardrails": ("AWS::Bedrock::Guardrail",),
    # StartAsyncInvoke, GetAsyncInvoke and InvokeModelWithBidirectionalStream are data events, not
    # management events (cris-facts §3), so without this they are not in the trail at all.
    "async": ("AWS::Bedrock::Model", "AWS::Bedrock::AsyncInvoke"),
}


class ConfigError(Exception):
    """One or more invalid values; ``str()`` is one line per problem, ready to print."""

    def __init__(self, problems: Sequence[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


def _no_duplicates(value: list[str], what: str) -> list[str]:
    dupes = sorted({v for v in value if value.count(v) > 1})
    if dupes:
        raise ValueError(f"{dupes[0]!r} is listed twice; list each {what} once")
    return value


def _optional_unique(value: list[str] | None, what: str, if_empty: str) -> list[str] | None:
    """An optional list: absent is fine, empty is refused with ``if_empty``, repeats are refused."""
    if value is not None and not value:
        raise ValueError(if_empty)
    return value if value is None else _no_duplicates(value, what)


def _check(pattern: re.Pattern[str], fix: str):
    def validate(value: str) -> str:
        if not pattern.match(value):
            raise ValueError(f"{value!r} is invalid; {fix}")
        return value

    return validate


ResourceName = Annotated[
    str,
    AfterValidator(_check(_NAME, "use 2-24 lowercase letters, digits and hyphens, starting with a letter")),
]
AppName = Annotated[
    str,
    AfterValidator(_check(_APP_NAME, "use 2-32 lowercase letters, digits and hyphens, starting with a letter")),
]
Email = Annotated[
    str, AfterValidator(_check(_EMAIL, "use a full address such as platform-team@example.com"))
]
RoleArn = Annotated[
    str, AfterValidator(_check(_ROLE_ARN, "use an IAM role ARN such as arn:aws:iam::111122223333:role/name"))
]
ServicePrincipal = Annotated[
    str,
    AfterValidator(_check(_SERVICE_PRINCIPAL, "use a service principal such as lambda.amazonaws.com")),
]
Days = Annotated[int, Field(gt=0, le=3653)]


def _log_retention(days: int) -> int:
    if days not in LOG_GROUP_RETENTION_DAYS:
        raise ValueError(f"{days} is not a CloudWatch Logs retention period; use one of {list(LOG_GROUP_RETENTION_DAYS)}")
    return days


LogDays = Annotated[int, AfterValidator(_log_retention)]


def _eu_source_region(region: str) -> str:
    if region in NON_EU_REGIONS_SEEN_IN_EU_PROFILES:
        raise ValueError(
            f"{region!r} ({NON_EU_REGIONS_SEEN_IN_EU_PROFILES[region]}) adds itself as a destination"
            f" when used as a source; under residency 'eu' use one of {sorted(EU_MEMBER_STATE_REGIONS)}"
        )
    if region not in EU_MEMBER_STATE_REGIONS:
        kind = "an EU member-state Region" if is_region_code(region) else "a known Region code"
        raise ValueError(f"{region!r} is not {kind}; use one of {sorted(EU_MEMBER_STATE_REGIONS)}")
    return region


SourceRegion = Annotated[str, AfterValidator(_eu_source_region)]


def _known_region(region: str) -> str:
    if not is_region_code(region):
        raise ValueError(f"{region!r} is not a known Region code; use one such as us-east-1")
    return region


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)


GuardrailArn = Annotated[
    str,
    AfterValidator(
        _check(
            _GUARDRAIL_ARN,
            "use a guardrail ARN such as arn:aws:bedrock:eu-central-1:111122223333:guardrail/abc123def456"
            " (no version suffix, no wildcards)",
        )
    ),
]


def _list_of_guardrails(value: Any) -> Any:
    if isinstance(value, str | dict):
        raise ValueError(f"{value!r} is a single value; write a list of {{arn, profile}} entries, e.g."
                         " [{arn: 'arn:aws:bedrock:eu-central-1:111122223333:guardrail/abc123', profile: eu.guardrail.v1:0}]")
    return value


class GuardrailUse(_Model):
    """A guardrail named in Converse/InvokeModel calls, and the cross-Region guardrail profile it uses.

    ``profile`` (e.g. ``eu.guardrail.v1:0``; the Standard tier requires one) must be in the catalog's
    ``guardrail_profiles``: the role then also gets ``bedrock:ApplyGuardrail`` on that profile in the
    guardrail's Region and exactly the profile's destination Regions from there (Bedrock User Guide,
    guardrail-profile-permissions.html)."""

    arn: GuardrailArn
    profile: str | None = None

    @field_validator("profile")
    @classmethod
    def _profile_id(cls, value: str | None) -> str | None:
        if value is not None and not _GUARDRAIL_PROFILE_SHAPE.match(value):
            raise ValueError(
                f"{value!r} is not a guardrail profile ID; use one such as eu.guardrail.v1:0 (the ID, not the ARN)"
            )
        return value


def _cidr(value: str) -> str:
    import ipaddress

    try:
        network = ipaddress.ip_network(value, strict=True)
    except ValueError:
        raise ValueError(f"{value!r} is not a CIDR range; use one such as 10.20.0.0/16") from None
    if network.prefixlen == 0:
        raise ValueError(f"{value!r} admits every address; name the VPC's or the application subnets' ranges")
    return value


class NetworkSettings(_Model):
    """An existing VPC in one source Region where cris-guard creates the Bedrock interface endpoint(s)."""

    vpc_id: Annotated[str, AfterValidator(_check(_VPC_ID, "use the VPC's ID, e.g. vpc-0a1b2c3d4e5f60789"))]
    subnet_ids: Annotated[
        list[Annotated[str, AfterValidator(_check(_SUBNET_ID, "use a subnet ID, e.g. subnet-0a1b2c3d4e5f60789"))]],
        Field(min_length=1),
    ]
    # Who may reach the endpoint on 443: security groups of the applications and/or CIDR ranges.
    allowed_security_group_ids: list[
        Annotated[str, AfterValidator(_check(_SECURITY_GROUP_ID, "use a security group ID, e.g. sg-0a1b2c3d4e5f60789"))]
    ] = Field(default_factory=list)
    allowed_cidrs: list[Annotated[str, AfterValidator(_cidr)]] = Field(default_factory=list)
    private_dns: bool = True
    # Also an endpoint for the control plane (`bedrock`: GetInferenceProfile and other reads applications make).
    control_plane_endpoint: bool = False

    @field_validator("subnet_ids", "allowed_security_group_ids", "allowed_cidrs")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        return _no_duplicates(value, "entry")

    @model_validator(mode="after")
    def _someone_can_connect(self) -> NetworkSettings:
        if not self.allowed_security_group_ids and not self.allowed_cidrs:
            raise ValueError("neither allowed_security_group_ids nor allowed_cidrs is set, so nothing could reach the"
                             " endpoint; name the applications' security groups or subnet ranges")
        return self


class Application(_Model):
    """A team's workload: which EU profiles it may call, who may assume its role, what it may spend."""

    name: AppName
    profiles: Annotated[list[str], Field(min_length=1)]
    monthly_budget_usd: Annotated[float, Field(gt=0)]
    trusted_services: list[ServicePrincipal] = Field(default_factory=list)
    trusted_role_arns: list[RoleArn] = Field(default_factory=list)
    cost_center: Annotated[str, Field(min_length=1, max_length=256)] | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    require_application_profiles: bool = False
    # Guardrails the application names in Converse/InvokeModel: bedrock:ApplyGuardrail is granted on
    # each, in its own Region's access only (guardrails are regional). At most 10, which keeps the
    # per-application template and policy budgets (stacks/access.py) valid.
    guardrail_arns: Annotated[list[GuardrailArn], Field(max_length=10)] = Field(default_factory=list)
    # Guardrails with the cross-Region guardrail profile each uses (guardrail_arns: those without one).
    guardrails: Annotated[list[GuardrailUse], Field(max_length=10)] = Field(default_factory=list)
    # The Responses API on bedrock-runtime (/openai/v1/responses): bedrock:InvokeModel on the account's
    # default project, and GetInvoke/CancelInvoke/DeleteInvoke for stored responses, in the source Region.
    responses_api: bool = False
    # Deny inference calls that do not come from the source Region's configured VPC (`network:`).
    require_private_network: bool = False

    def guardrail_uses(self) -> list[GuardrailUse]:
        """Every guardrail the application names: ``guardrail_arns`` (no profile) then ``guardrails``."""
        return [GuardrailUse(arn=arn) for arn in self.guardrail_arns] + list(self.guardrails)

    @field_validator("guardrails", mode="before")
    @classmethod
    def _guardrail_list(cls, value: Any) -> Any:
        return _list_of_guardrails(value)

    @model_validator(mode="after")
    def _guardrails_once(self) -> Application:
        arns = [g.arn for g in self.guardrail_uses()]
        repeated = sorted({a for a in arns if arns.count(a) > 1})
        if repeated:
            raise ValueError(f"guardrails: {repeated[0]!r} is listed twice (guardrail_arns and guardrails together);"
                             " list each guardrail once")
        if len(arns) > 10:
            raise ValueError(f"guardrails: {len(arns)} guardrails in guardrail_arns and guardrails together; at most 10")
        return self

    @field_validator("profiles", "guardrail_arns", "trusted_services", "trusted_role_arns")
    @classmethod
    def _unique_entries(cls, value: list[str], info) -> list[str]:
        what = {"profiles": "profile", "guardrail_arns": "guardrail"}.get(info.field_name, "principal")
        return _no_duplicates(value, what)

    @model_validator(mode="after")
    def _someone_can_assume_the_role(self) -> Application:
        if not self.trusted_services and not self.trusted_role_arns:
            raise ValueError(
                f"application {self.name!r} has no trusted_services and no trusted_role_arns, so nothing could"
                " assume its role; add e.g. trusted_services: [lambda.amazonaws.com] or a role ARN"
            )
        return self

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: dict[str, str]) -> dict[str, str]:
        for key, tag_value in value.items():
            if not (1 <= len(key) <= 128) or not _TAG_CHARS.match(key) or key.startswith("aws:"):
                raise ValueError(
                    f"tag key {key!r} is invalid; use 1-128 of letters, digits, spaces and . _ : / = + @ -,"
                    " not starting with 'aws:'"
                )
            if len(tag_value) > 256 or not _TAG_CHARS.match(tag_value):
                raise ValueError(
                    f"tag {key!r} value {tag_value!r} is invalid; use up to 256 of letters, digits,"
                    " spaces and . _ : / = + @ -"
                )
        return value

    @field_validator("cost_center")
    @classmethod
    def _cost_center(cls, value: str | None) -> str | None:
        if value is not None and not _TAG_CHARS.match(value):
            raise ValueError(f"{value!r} is invalid; use letters, digits, spaces and . _ : / = + @ -")
        return value


class Alerts(_Model):
    emails: Annotated[list[Email], Field(min_length=1)]


class InvocationLogs(_Model):
    """Bedrock model-invocation logging in each source Region."""

    retention_days: Days = 365
    cloudwatch_logs: bool = False
    cloudwatch_retention_days: LogDays = 90
    text: bool = True
    image: bool = False
    embedding: bool = False
    video: bool = False
    audio: bool = False
    # Take over a model-invocation-logging configuration another tool (landing zone, security team,
    # console) already set in a source Region. The setting is one per account and Region (a singleton):
    # with false, deployment fails and names the other configuration; with true, cris-guard saves it in
    # its log bucket, replaces it, and puts it back when its stack is deleted. Meanwhile the other
    # tool's logs stop arriving where it expects them - agree on it with that tool's owner first.
    replace_existing_configuration: bool = False


class CloudTrailSettings(_Model):
    """One multi-Region trail per account, created in ``home_region``'s stack."""

    enabled: bool = True
    home_region: str | None = None
    retention_days: Days = 365
    log_group_retention_days: LogDays = 365
    existing_log_group_name: (
        Annotated[
            str,
            AfterValidator(_check(_LOG_GROUP_NAME, "use the log group's name, e.g. /org/cloudtrail/main")),
        ]
        | None
    ) = None
    data_events: list[Literal["agents", "knowledge-bases", "flows", "guardrails", "async"]] = Field(
        default_factory=list
    )
    # With enabled: false, the organization trail that records this account (its name or ARN), so that
    # `cris-guard verify` checks it like its own.
    organization_trail: (
        Annotated[str, AfterValidator(_check(_TRAIL_NAME, "use the trail's name or ARN (arn:aws:cloudtrail:…:trail/name)"))]
        | None
    ) = None

    @field_validator("data_events")
    @classmethod
    def _unique_data_events(cls, value: list[str]) -> list[str]:
        return _no_duplicates(value, "data-event kind")

    @model_validator(mode="after")
    def _organization_trail_only_without_own_trail(self) -> CloudTrailSettings:
        if self.enabled and self.organization_trail is not None:
            raise ValueError(
                f"organization_trail {self.organization_trail!r} is set while enabled is true, so it would be ignored;"
                " set enabled: false where an organization trail records the account, or remove organization_trail"
            )
        return self

    @model_validator(mode="after")
    def _existing_log_group_only_without_own_trail(self) -> CloudTrailSettings:
        if self.enabled and self.existing_log_group_name is not None:
            raise ValueError(
                f"existing_log_group_name {self.existing_log_group_name!r} is set while enabled is true, so it"
                " would be ignored; set enabled: false to alarm on that (organization) trail's log group, or"
                " remove existing_log_group_name"
            )
        return self


class EvidenceSettings(_Model):
    """Athena over the trail bucket, in the trail's home Region (README "Residency evidence")."""

    athena: bool = True
    # Athena cancels a query that would scan more (its minimum is 10 MB); 10 GB costs about USD 0.05.
    bytes_scanned_cutoff_mb: Annotated[int, Field(ge=10)] = 10_240
    results_retention_days: Days = 30
    # Role ARNs that may assume the read-only auditor role. None: no auditor role.
    auditor_principals: list[RoleArn] = Field(default_factory=list)
    # With audit.cloudtrail.enabled: false, the bucket, key prefix and organization ID of the trail that
    # records this account (an organization trail): AWSLogs/[o-id/]<account>/CloudTrail/... below the prefix.
    trail_bucket: (
        Annotated[str, AfterValidator(_check(_BUCKET_NAME, "use an S3 bucket name such as org-cloudtrail-logs"))]
        | None
    ) = None
    trail_prefix: Annotated[
        str, AfterValidator(_check(_S3_PREFIX, "use the trail's key prefix without leading or trailing '/'"))
    ] = ""
    organization_id: (
        Annotated[str, AfterValidator(_check(_ORGANIZATION_ID, "use the organization ID, e.g. o-a1b2c3d4e5"))] | None
    ) = None

    @field_validator("auditor_principals")
    @classmethod
    def _unique_auditors(cls, value: list[str]) -> list[str]:
        return _no_duplicates(value, "auditor principal")


class Audit(_Model):
    invocation_logs: InvocationLogs = Field(default_factory=InvocationLogs)
    cloudtrail: CloudTrailSettings = Field(default_factory=CloudTrailSettings)
    evidence: EvidenceSettings = Field(default_factory=EvidenceSettings)
    # Role ARNs that may assume the read-only verifier role (exactly what `cris-guard verify` calls). None: no role.
    verifier_principals: list[RoleArn] = Field(default_factory=list)
    # Roles whose changes to cris-guard's trail, buckets, log groups, keys and alarms are expected (the tamper
    # alarms leave them out): the CloudFormation execution role of the CDK bootstrap in use. Patterns allowed.
    deployer_role_arn_patterns: Annotated[
        list[Annotated[str, AfterValidator(_check(
            _PRINCIPAL_ARN_PATTERN, "use an IAM role ARN or pattern such as arn:*:iam::*:role/cdk-hnb659fds-cfn-exec-role-*"))]],
        Field(min_length=1),
    ] = Field(default_factory=lambda: ["arn:*:iam::*:role/cdk-hnb659fds-cfn-exec-role-*"])

    @field_validator("verifier_principals")
    @classmethod
    def _unique_verifiers(cls, value: list[str]) -> list[str]:
        return _no_duplicates(value, "verifier principal")

    @model_validator(mode="after")
    def _evidence_knows_the_trail_bucket(self) -> Audit:
        evidence = self.evidence
        own_trail = self.cloudtrail.enabled
        if own_trail and (evidence.trail_bucket or evidence.trail_prefix or evidence.organization_id):
            raise ValueError(
                "evidence.trail_bucket/trail_prefix/organization_id are set while cloudtrail.enabled is true, so they"
                " would be ignored (Athena reads cris-guard's own trail bucket); remove them, or set cloudtrail.enabled:"
                " false for an organization trail"
            )
        if evidence.athena and not own_trail and evidence.trail_bucket is None:
            raise ValueError(
                "evidence.trail_bucket is missing: with cloudtrail.enabled: false, Athena needs the bucket of the trail"
                " that records this account (and trail_prefix, organization_id); name it, or set evidence.athena: false"
            )
        return self


class BudgetThreshold(_Model):
    type: Literal["actual", "forecasted"]
    percent: Annotated[float, Field(gt=0, le=1000)]


class Budgets(_Model):
    account_monthly_usd: Annotated[float, Field(gt=0)] | None = None
    thresholds: Annotated[list[BudgetThreshold], Field(min_length=1, max_length=5)] = Field(
        default_factory=lambda: [
            BudgetThreshold(type="actual", percent=80),
            BudgetThreshold(type="forecasted", percent=100),
        ]
    )


class AlarmThresholds(_Model):
    throttle_rate_percent: Annotated[float, Field(gt=0, le=100)] = 5
    server_errors_per_5_minutes: Annotated[int, Field(gt=0)] = 5
    p99_latency_ms: Annotated[int, Field(gt=0)] = 30000


class Cost(_Model):
    """Cost-governance settings that are not per application."""

    # The approved value of Service Quotas L-40EC9882 ("Inference profiles per account", default
    # 1,000 per Region) minus profiles created outside cris-guard: one number for every source Region,
    # or a mapping per Region. Default: the AWS default (see docs/cost.md).
    application_profile_quota: Annotated[int, Field(gt=0)] | dict[str, Annotated[int, Field(gt=0)]] | None = None


class Monitoring(_Model):
    alarms: AlarmThresholds = Field(default_factory=AlarmThresholds)


AccountId = Annotated[
    str, AfterValidator(_check(_ACCOUNT, 'use the 12 digits of an AWS account ID, quoted, e.g. "111122223333"'))
]


class AccountTarget(_Model):
    """One AWS account of a multi-account roll-out: a CDK Stage of its own (``cdk.out/assembly-<name>``)."""

    name: Annotated[
        str,
        AfterValidator(_check(_STAGE_NAME, "use 2-24 lowercase letters, digits and hyphens, starting with a letter")),
    ]
    id: AccountId
    source_regions: Annotated[list[SourceRegion], Field(min_length=1)]
    # Names of top-level applications deployed to this account. Default: all of them.
    applications: list[str] | None = None
    # Per-account values of settings that name a Region or an amount of this account.
    trail_home_region: SourceRegion | None = None  # overrides audit.cloudtrail.home_region
    network: dict[str, NetworkSettings] | None = None  # this account's VPCs; replaces the top-level `network`
    account_monthly_usd: Annotated[float, Field(gt=0)] | None = None  # overrides budgets.account_monthly_usd

    @field_validator("source_regions")
    @classmethod
    def _unique_regions(cls, value: list[str]) -> list[str]:
        return _no_duplicates(value, "source Region")

    @field_validator("applications")
    @classmethod
    def _unique_applications(cls, value: list[str] | None) -> list[str] | None:
        return _optional_unique(
            value, "application", "is empty, so this account would govern no application; list at least one or remove the key"
        )


def _patterns(pattern: re.Pattern[str], fix: str) -> Any:
    """A non-empty list of principal ARN patterns, each checked against ``pattern``."""
    return Annotated[list[Annotated[str, AfterValidator(_check(pattern, fix))]], Field(min_length=1)]


class OrganizationGuardrail(_Model):
    """An SCP for the organization's management account (see cris_guard/scp.py and docs/organization.md)."""

    management_account: AccountId
    # Where the guardrail's CloudFormation stack is deployed. AWS Organizations is a global service whose
    # API endpoint is in us-east-1; the stack holds only the AWS::Organizations::Policy (no data). Whether
    # CloudFormation accepts the type in other Regions is UNCONFIRMED (cfn-lint 1.58.0's schemas list it
    # in every commercial Region), so the default is us-east-1.
    region: Annotated[str, AfterValidator(_known_region)] = "us-east-1"
    # Roots (r-...), OUs (ou-...-...) or account IDs to attach the SCP to.
    target_ids: Annotated[
        list[
            Annotated[
                str,
                AfterValidator(
                    _check(_ORG_TARGET, "use a root (r-abcd), an OU (ou-abcd-12345678) or a 12-digit account ID")
                ),
            ]
        ],
        Field(min_length=1),
    ]
    # Optional Region allow-list for Bedrock (bedrock:*, bedrock-agentcore:*, bedrock-mantle:*), narrower
    # than the EU member states. Model checks made for an `eu.` or application profile stay allowed in
    # every EU destination Region, which a classic Region-deny SCP would break (cris-facts §2.5).
    allowed_regions: list[SourceRegion] | None = None
    # Principals (IAM role ARN patterns) that may still change Bedrock invocation logging and the
    # cris-guard trail. Default: the CDK bootstrap CloudFormation execution role and cris-guard's
    # logging handler roles (cris_guard/scp.py: default_exempt_principals).
    exempt_role_arn_patterns: _patterns(_PRINCIPAL_ARN_PATTERN, "use an IAM role ARN or pattern such as arn:aws:iam::*:role/cdk-hnb659fds-cfn-exec-role-*") | None = None
    # Principals (IAM role ARN patterns) that may still change, delete or roll back cris-guard's
    # CloudFormation stacks, and pass the CDK bootstrap execution role to CloudFormation: CloudFormation
    # acts with a stack's service role for whoever may operate on the stack, and that role is exempt.
    # Default: the CDK bootstrap deploy role, which `cdk deploy` and CDK Pipelines assume
    # (cris_guard/scp.py: default_deployer_principals).
    deployer_role_arn_patterns: _patterns(_PRINCIPAL_ARN_PATTERN, "use an IAM role ARN or pattern such as arn:aws:iam::*:role/cdk-hnb659fds-deploy-role-*") | None = None

    # Bedrock API keys (bearer tokens): "deny" refuses bedrock:CallWithBearerToken and
    # bedrock-mantle:CallWithBearerToken for everyone but api_key_exempt_principal_arn_patterns. A long-term
    # key is an IAM user that carries no cris-guard policy, so only the SCP binds it (Bedrock User Guide,
    # api-keys-permissions.html: "To fully prevent all API key-based access, you must deny both actions").
    api_keys: Literal["deny", "allow"] = "deny"
    api_key_exempt_principal_arn_patterns: _patterns(
        _KEY_PRINCIPAL_ARN_PATTERN, "use an IAM role or user ARN pattern such as arn:aws:iam::111122223333:user/BedrockAPIKey-*"
    ) | None = None
    # "all-region-less" (default): deny every Bedrock call whose aws:RequestedRegion is "unspecified" — all
    # global CRIS, and also Region-less features such as Nova web grounding. "global-profiles": AWS's
    # narrower example, only when bedrock:InferenceProfileArn is a global. profile (docs/organization.md).
    global_deny: Literal["all-region-less", "global-profiles"] = "all-region-less"

    @field_validator("api_keys", mode="before")
    @classmethod
    def _api_keys_text(cls, value: Any) -> Any:
        if isinstance(value, bool):  # YAML reads an unquoted yes/no/true/false as a boolean
            raise ValueError(f"{value!r} is a YAML boolean; write api_keys: deny or api_keys: allow")
        return value

    @field_validator("api_key_exempt_principal_arn_patterns")
    @classmethod
    def _named_exemptions(cls, value: list[str] | None) -> list[str] | None:
        # "arn:aws:iam::*:user/*" would quietly turn the API-key deny off for every long-term key.
        for pattern in value or []:
            name = re.split(r":(?:user|role)/", pattern, maxsplit=1)[-1]
            if not name.replace("*", "").replace("?", "").strip("/"):
                raise ValueError(
                    f"{pattern!r} exempts every principal name; name the users or roles that may use API keys,"
                    " e.g. arn:aws:iam::*:user/BedrockAPIKey-legacy-*"
                )
        return value

    @model_validator(mode="after")
    def _exemptions_need_the_deny(self) -> OrganizationGuardrail:
        if self.api_keys == "allow" and self.api_key_exempt_principal_arn_patterns is not None:
            raise ValueError(
                "organization_guardrail.api_key_exempt_principal_arn_patterns: set, but api_keys is 'allow', so"
                " there is no deny to exempt from; remove the patterns or set api_keys: deny"
            )
        return self

    @field_validator("management_account", mode="before")
    @classmethod
    def _quoted_account(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            raise ValueError(f"{value} is a number; quote the 12 digits (YAML drops leading zeros), e.g. \"111122223333\"")
        return value

    @field_validator("region", mode="before")
    @classmethod
    def _region_text(cls, value: Any) -> Any:
        if not isinstance(value, str):
            raise ValueError(f"{value!r} is not a Region code; use one such as us-east-1")
        return value

    @field_validator("target_ids", "allowed_regions", "exempt_role_arn_patterns", "deployer_role_arn_patterns",
                     "api_key_exempt_principal_arn_patterns", mode="before")
    @classmethod
    def _lists(cls, value: Any) -> Any:
        if isinstance(value, str):
            raise ValueError(f"{value!r} is a single value; write it as a list: [{value}]")
        numbers = [v for v in value if isinstance(v, int) and not isinstance(v, bool)] if isinstance(value, list) else []
        if numbers:
            raise ValueError(f"{numbers[0]} is a number; quote account IDs (YAML drops leading zeros), e.g. \"111122223333\"")
        return value

    @field_validator("target_ids")
    @classmethod
    def _unique_targets(cls, value: list[str]) -> list[str]:
        return _no_duplicates(value, "target")

    @field_validator("allowed_regions")
    @classmethod
    def _unique_allowed(cls, value: list[str] | None) -> list[str] | None:
        return _optional_unique(value, "Region", "[] is empty, which would deny every direct call; list Regions or remove the key")

    @field_validator("exempt_role_arn_patterns", "deployer_role_arn_patterns", "api_key_exempt_principal_arn_patterns")
    @classmethod
    def _unique_patterns(cls, value: list[str] | None) -> list[str] | None:
        return value if value is None else _no_duplicates(value, "pattern")


class Config(_Model):
    name: ResourceName
    residency: Literal["eu"]
    account: str | None = None
    # Source Region -> the VPC where the Bedrock endpoints go (optional; docs/network.md).
    network: dict[str, NetworkSettings] = Field(default_factory=dict)
    # Required unless `accounts` is given (then each account names its own source Regions).
    source_regions: list[SourceRegion] = Field(default_factory=list)
    accounts: list[AccountTarget] | None = None
    organization_guardrail: OrganizationGuardrail | None = None
    applications: Annotated[list[Application], Field(min_length=1)]
    alerts: Alerts
    tags: dict[str, str] = Field(default_factory=dict)
    audit: Audit = Field(default_factory=Audit)
    budgets: Budgets = Field(default_factory=Budgets)
    cost: Cost = Field(default_factory=Cost)
    monitoring: Monitoring = Field(default_factory=Monitoring)
    # Guardrails the organization enforces (AWS Organizations Bedrock policy): they belong to the
    # management account, and every application's calls in the guardrail's Region apply them, so every
    # application role gets bedrock:ApplyGuardrail on them (and on their guardrail profile's Regions).
    enforced_guardrails: Annotated[list[GuardrailUse], Field(max_length=10)] = Field(default_factory=list)
    # A project catalog layered over the shipped one (path relative to this file; see README "The
    # profile catalog"). Read by load_project, not here: this model does no file I/O.
    catalog: str | None = None

    @field_validator("enforced_guardrails", mode="before")
    @classmethod
    def _enforced_list(cls, value: Any) -> Any:
        return _list_of_guardrails(value)

    @field_validator("catalog")
    @classmethod
    def _catalog_path(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("must be the path of a catalog JSON file, relative to this configuration; or remove the key")
        return value

    @field_validator("account")
    @classmethod
    def _account(cls, value: str | None) -> str | None:
        if value is not None and not _ACCOUNT.match(value):
            raise ValueError(f"{value!r} is not an AWS account ID; use the 12 digits, quoted, e.g. \"111122223333\"")
        return value

    @field_validator("source_regions")
    @classmethod
    def _unique_regions(cls, value: list[str]) -> list[str]:
        return _no_duplicates(value, "source Region")

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: dict[str, str]) -> dict[str, str]:
        return Application._tags(value)

    @model_validator(mode="after")
    def _one_way_to_name_accounts(self) -> Config:
        if self.accounts is None:
            if not self.source_regions:
                raise ValueError(
                    "source_regions: must not be empty; list at least one value (an EU Region such as"
                    " eu-central-1), or list accounts with their own source_regions"
                )
            return self
        if not self.accounts:
            raise ValueError("accounts: must not be empty; list at least one account or remove the key")
        if self.source_regions:
            raise ValueError(
                "source_regions: is set next to accounts; with accounts, give each account its own"
                " source_regions and remove the top-level key"
            )
        if self.account is not None:
            raise ValueError(
                f"account: {self.account!r} is set next to accounts; with accounts, give each account its id"
                " and remove the top-level key"
            )
        return self

    @property
    def multi_account(self) -> bool:
        """True when ``accounts`` is given: one CDK Stage per account."""
        return self.accounts is not None

    def targets(self) -> list[AccountTarget | None]:
        """The accounts to synthesize: each ``accounts`` entry, or ``[None]`` for the single account."""
        return list(self.accounts) if self.accounts is not None else [None]

    def for_account(self, target: AccountTarget | None) -> Config:
        """The single-account configuration of one ``accounts`` entry (``self`` for ``None``).

        Everything is inherited except what belongs to one account: its ID, source Regions and (when the
        entry lists them) applications; its ``trail_home_region`` and ``account_monthly_usd`` when set;
        the entries of a per-Region ``cost.application_profile_quota`` for its Regions; and, per
        application, only the guardrails of this account (a guardrail ARN names its account, so it is
        usable only there; :func:`check_accounts` refuses one that no account of the application owns).
        The organization guardrail belongs to the organization, so the derived configuration has none.
        """
        if target is None:
            return self
        applications = [
            a.model_copy(update={
                "guardrail_arns": [g for g in a.guardrail_arns if _guardrail_account(g) == target.id],
                "guardrails": [g for g in a.guardrails if _guardrail_account(g.arn) == target.id],
            })
            for a in self.applications
            if target.applications is None or a.name in target.applications
        ]
        quota = self.cost.application_profile_quota
        if isinstance(quota, dict):
            quota = {r: q for r, q in quota.items() if r in target.source_regions} or None
        cloudtrail = self.audit.cloudtrail
        if target.trail_home_region is not None:
            cloudtrail = cloudtrail.model_copy(update={"home_region": target.trail_home_region})
        budgets = self.budgets
        if target.account_monthly_usd is not None:
            budgets = budgets.model_copy(update={"account_monthly_usd": target.account_monthly_usd})
        return self.model_copy(
            update={
                "account": target.id,
                "source_regions": list(target.source_regions),
                "applications": applications,
                "accounts": None,
                "organization_guardrail": None,
                "cost": self.cost.model_copy(update={"application_profile_quota": quota}),
                "audit": self.audit.model_copy(update={"cloudtrail": cloudtrail}),
                "budgets": budgets,
                "network": dict(target.network) if target.network is not None else
                {r: n for r, n in self.network.items() if r in target.source_regions},
            }
        )

    @property
    def all_source_regions(self) -> list[str]:
        """Every source Region of every account, in first-seen order."""
        seen: dict[str, None] = {}
        for target in self.targets():
            for region in (target.source_regions if target is not None else self.source_regions):
                seen.setdefault(region, None)
        return list(seen)


    @property
    def resource_tags(self) -> dict[str, str]:
        """Tags on every resource: the configured ones plus cris-guard's own."""
        return {**self.tags, "cris-guard:managed-by": "cris-guard", "cris-guard:name": self.name}

    @property
    def trail_home_region(self) -> str:
        return self.audit.cloudtrail.home_region or self.source_regions[0]

    @property
    def budgets_region(self) -> str:
        """Budgets are global; their stack goes to the first source Region whose CloudFormation has them."""
        for region in self.source_regions:
            if region in CFN_TYPE_EU_REGIONS["AWS::Budgets::Budget"]:
                return region
        return BUDGETS_FALLBACK_REGION


def _repeats(values: Sequence[str], path: str, field: str, fix: str) -> list[str]:
    """One problem per value used again in a list: ``<path>[i].<field>: 'v' is already used by <path>[j]; <fix>``."""
    first: dict[str, int] = {}
    problems = []
    for i, value in enumerate(values):
        if value in first:
            problems.append(f"{path}[{i}].{field}: {value!r} is already used by {path}[{first[value]}]; {fix}")
        first.setdefault(value, i)
    return problems


def check_accounts(config: Config, catalog: Catalog, today: _dt.date | None = None) -> list[str]:
    """Problems of a multi-account configuration: duplicate account names or IDs, unknown application
    names, and every per-account problem of :func:`check_cross_field`, prefixed with the account."""
    if config.accounts is None:
        return check_cross_field(config, catalog, today) + _check_enforced_guardrails(config, catalog) + _check_guardrail(config)
    known = [a.name for a in config.applications]
    problems = [
        *_repeats([t.name for t in config.accounts], "accounts", "name",
                  "give each account a unique name (it names the account's CDK Stage)"),
        *_repeats([t.id for t in config.accounts], "accounts", "id",
                  "list each account once and give it all its source_regions"),
        # A problem of the file, not of each account: reported once, before the per-account checks.
        *_repeats(known, "applications", "name", "give each application a unique name"),
    ]
    for i, target in enumerate(config.accounts):
        for j, app_name in enumerate(target.applications or []):
            if app_name not in known:
                problems.append(
                    f"accounts[{i}].applications[{j}]: {app_name!r} is not the name of an application; use one"
                    f" of {known}"
                )
    if problems:
        return problems
    problems.extend(_check_account_settings(config))
    if problems:
        return problems
    for i, target in enumerate(config.accounts):
        derived = config.for_account(target)
        problems.extend(
            f"accounts[{i}] ({target.name}): {_path_in_file(p, config, derived)}"
            for p in check_cross_field(derived, catalog, today)
        )
    return problems + _check_enforced_guardrails(config, catalog) + _check_guardrail(config)


_APPLICATION_PATH = re.compile(r"^applications\[(\d+)\](\.(guardrail_arns|guardrails)\[(\d+)\])?")


def _path_in_file(problem: str, config: Config, derived: Config) -> str:
    """Rewrite a per-account problem's ``applications[k]`` (and ``.guardrail_arns[m]``) path, which counts
    in the account's filtered lists, to the indices of the file."""
    match = _APPLICATION_PATH.match(problem)
    if match is None:
        return problem
    application = derived.applications[int(match.group(1))]
    top = [a.name for a in config.applications].index(application.name)
    path = f"applications[{top}]"
    if match.group(2):
        field = match.group(3)
        entry = getattr(application, field)[int(match.group(4))]
        path += f".{field}[{getattr(config.applications[top], field).index(entry)}]"
    return path + problem[match.end():]


def _guardrail_account(arn: str) -> str | None:
    parts = guardrail_arn_parts(arn)
    return parts["account"] if parts else None


def _check_account_settings(config: Config) -> list[str]:
    """Top-level settings that name Regions or accounts, checked against the accounts that use them."""
    assert config.accounts is not None
    problems: list[str] = []
    home = config.audit.cloudtrail.home_region
    for i, target in enumerate(config.accounts):
        if home is not None and target.trail_home_region is None and home not in target.source_regions:
            problems.append(
                f"audit.cloudtrail.home_region: {home!r} is not a source Region of accounts[{i}] ({target.name},"
                f" {target.source_regions}); set accounts[{i}].trail_home_region to one of them"
            )
        if target.trail_home_region is not None and target.trail_home_region not in target.source_regions:
            problems.append(
                f"accounts[{i}].trail_home_region: {target.trail_home_region!r} is not one of its source_regions;"
                f" use one of {target.source_regions}"
            )
        for region in target.network or {}:
            if region not in target.source_regions:
                problems.append(f"accounts[{i}].network: {region!r} is not one of its source_regions;"
                                f" use one of {target.source_regions}")
        networked = target.network if target.network is not None else config.network
        for a, application in enumerate(config.applications):
            runs_here = target.applications is None or application.name in target.applications
            missing = [r for r in target.source_regions if r not in networked]
            if application.require_private_network and runs_here and missing:
                problems.append(f"applications[{a}].require_private_network: true, but accounts[{i}] ({target.name})"
                                f" has no network for {missing}; add them under accounts[{i}].network or network:")
    quota = config.cost.application_profile_quota
    if isinstance(quota, dict):
        everywhere = config.all_source_regions
        for region in quota:
            if region not in everywhere:
                problems.append(
                    f"cost.application_profile_quota: {region!r} is not a source Region of any account; use one of {everywhere}"
                )
    for a, application in enumerate(config.applications):
        owners = [t.id for t in config.accounts if t.applications is None or application.name in t.applications]
        for j, (path, arn) in enumerate(_guardrail_paths(a, application)):
            account = _guardrail_account(arn)
            if account not in owners:
                problems.append(
                    f"{path}: {arn!r} belongs to account {account!r}, which does not"
                    f" run {application.name!r}; use a guardrail of one of {owners}"
                )
    return problems


def _check_guardrail(config: Config) -> list[str]:
    guardrail = config.organization_guardrail
    if guardrail is None or guardrail.allowed_regions is None:
        return []
    missing = [r for r in config.all_source_regions if r not in guardrail.allowed_regions]
    if not missing:
        return []
    return [
        f"organization_guardrail.allowed_regions: {guardrail.allowed_regions} leaves out source Region(s)"
        f" {missing}; the SCP would deny the inference profile call there (no exemption can bypass the Region"
        " check of the originating call, cris-facts §2.5); add them"
    ]


def check_cross_field(config: Config, catalog: Catalog, today: _dt.date | None = None) -> list[str]:
    """Problems that span fields or need the catalog: duplicate names, keys that must name a source
    Region, unknown profiles, profiles past their end of life on ``today`` (default: the day of
    synthesis), missing routes, routes leaving the residency."""
    today = today or _dt.date.today()
    problems = _repeats([a.name for a in config.applications], "applications", "name",
                        "give each application a unique name")
    quota = config.cost.application_profile_quota
    if isinstance(quota, dict):
        for region in quota:
            if region not in config.source_regions:
                problems.append(
                    f"cost.application_profile_quota: {region!r} is not one of source_regions; use one of {config.source_regions}"
                )
    for region in config.network:
        if config.accounts is None and region not in config.source_regions:
            problems.append(f"network: {region!r} is not one of source_regions; use one of {config.source_regions}")
    for i, app in enumerate(config.applications):
        missing = [r for r in config.source_regions if r not in config.network]
        if app.require_private_network and config.accounts is None and missing:
            problems.append(f"applications[{i}].require_private_network: true, but network names no VPC for {missing},"
                            " so every call from there would be denied; add them under network: or set it to false")
    trail_home = config.audit.cloudtrail.home_region
    if trail_home is not None and trail_home not in config.source_regions:
        problems.append(
            f"audit.cloudtrail.home_region: {trail_home!r} is not one of source_regions; use one of {config.source_regions}"
        )
    without_profiles = [
        r for r in config.source_regions if r not in CFN_TYPE_EU_REGIONS["AWS::Bedrock::ApplicationInferenceProfile"]
    ]
    for i, app in enumerate(config.applications):
        if app.require_application_profiles and without_profiles:
            problems.append(
                f"applications[{i}].require_application_profiles: true, but CloudFormation offers no application"
                f" inference profiles in {without_profiles}, so every call from there would be denied; set it to"
                " false or remove those source Regions"
            )
        if app.responses_api and app.require_application_profiles:
            problems.append(
                f"applications[{i}].responses_api: true with require_application_profiles: true, but the Responses"
                " API does not accept application inference profiles (Bedrock User Guide, inference-responses-api.html),"
                " so every Responses call would be denied; set one of them to false"
            )
        for where, arn in _guardrail_paths(i, app):
            parts = guardrail_arn_parts(arn)
            if parts is None:  # already refused by the model; kept for direct callers
                continue
            if parts["region"] not in config.source_regions:
                problems.append(
                    f"{where}: {arn!r} is in {parts['region']!r}, not one of source_regions, so no role could"
                    f" use it (guardrails are regional); use a guardrail in one of {config.source_regions}"
                )
            if config.account is not None and parts["account"] != config.account:
                problems.append(
                    f"{where}: {arn!r} belongs to account {parts['account']!r}, not the configured account"
                    f" {config.account!r}; use a guardrail of account {config.account} (a guardrail your"
                    " organization enforces from its management account goes under enforced_guardrails)"
                )
        for j, use in enumerate(app.guardrails):
            problems += _check_guardrail_profile(f"applications[{i}].guardrails[{j}]", use, catalog)
        for j, pid in enumerate(app.profiles):
            where = f"applications[{i}].profiles[{j}]"
            if not pid.startswith("eu."):
                problems.append(
                    f"{where}: {pid!r} is not an EU geographic profile; under residency 'eu' use an 'eu.' profile"
                    " (global. and other geographies may route outside the EU)"
                )
                continue
            if not is_profile_id(pid):
                problems.append(
                    f"{where}: {pid!r} is not a valid inference profile ID; use 'eu.<provider>.<model>' of letters,"
                    " digits, '-', ':' and '.' as AWS spells it (e.g. eu.anthropic.claude-sonnet-4-6)"
                )
                continue
            profile = catalog.get(pid)
            if profile is None:
                problems.append(f"{where}: {_not_in_catalog(pid, catalog, today)}")
                continue
            lifecycle = lifecycle_of(profile)
            if lifecycle.is_past_end_of_life(today):
                problems.append(f"{where}: {_past_end_of_life(pid, lifecycle, catalog)}")
                continue
            for region in config.source_regions:
                dests = profile.destinations(region)
                if not dests:
                    problems.append(
                        f"{where}: {pid!r} has no route from source Region {region!r} (it is callable from"
                        f" {list(profile.source_regions)}); remove the profile or the Region"
                    )
                    continue
                outside = [d for d in dests if d not in EU_MEMBER_STATE_REGIONS]
                if outside:
                    problems.append(
                        f"{where}: {pid!r} called from {region!r} routes to {outside} ({_catalog_name(profile.origin(region))}),"
                        " outside residency 'eu'; choose another profile or source Region"
                    )
    return problems


def _guardrail_paths(i: int, app: Application) -> list[tuple[str, str]]:
    """``(path in the file, ARN)`` of each guardrail the application names."""
    return [(f"applications[{i}].guardrail_arns[{j}]", arn) for j, arn in enumerate(app.guardrail_arns)] + [
        (f"applications[{i}].guardrails[{j}].arn", g.arn) for j, g in enumerate(app.guardrails)
    ]


def _check_guardrail_profile(where: str, use: GuardrailUse, catalog: Catalog) -> list[str]:
    """A guardrail's profile must be in the catalog, route from the guardrail's Region, and stay in the EU."""
    if use.profile is None:
        return []
    parts = guardrail_arn_parts(use.arn)
    if parts is None:
        return []
    profile = catalog.guardrail_profile(use.profile)
    if profile is None:
        known = sorted(catalog.guardrail_profiles)
        return [f"{where}.profile: {use.profile!r} is not a guardrail profile of the catalog in force (it has {known});"
                " under residency 'eu' use an eu. guardrail profile, or add it to a project catalog's"
                " guardrail_profiles with its source and date"]
    region = parts["region"]
    dests = profile.destinations(region)
    if not dests:
        return [f"{where}.profile: {use.profile!r} has no route from the guardrail's Region {region!r} (callable from"
                f" {list(profile.source_regions)}); use a guardrail in one of those Regions or no profile"]
    outside = [d for d in dests if d not in EU_MEMBER_STATE_REGIONS]
    if outside:
        return [f"{where}.profile: {use.profile!r} used from {region!r} routes to {outside}"
                f" ({_catalog_name(profile.origin(region))}), outside residency 'eu'; use a guardrail without a"
                " cross-Region profile, or one in another Region"]
    return []


def _check_enforced_guardrails(config: Config, catalog: Catalog) -> list[str]:
    problems: list[str] = []
    regions = config.all_source_regions
    arns = [g.arn for g in config.enforced_guardrails]
    for j, use in enumerate(config.enforced_guardrails):
        where = f"enforced_guardrails[{j}]"
        if arns.index(use.arn) != j:
            problems.append(f"{where}: {use.arn!r} is listed twice; list each guardrail once")
            continue
        parts = guardrail_arn_parts(use.arn)
        if parts is not None and parts["region"] not in regions:
            problems.append(
                f"{where}: {use.arn!r} is in {parts['region']!r}, not a source Region of the configuration, so no"
                f" application calls Bedrock there (an organization enforces a guardrail per Region); use one of {regions}"
            )
            continue
        # AWS: the enforced guardrail must be owned by the management account (Organizations User Guide,
        # orgs_manage_policies_bedrock_best_practices.html). Any other account would receive every prompt.
        management = config.organization_guardrail.management_account if config.organization_guardrail else None
        if parts is not None and management is not None and parts["account"] != management:
            problems.append(
                f"{where}: {use.arn!r} belongs to account {parts['account']!r}, not the management account"
                f" {management!r}; an organization-enforced guardrail is owned by the management account"
            )
            continue
        members = {t.id for t in config.accounts or []} | ({config.account} if config.account else set())
        if parts is not None and parts["account"] in members:
            problems.append(
                f"{where}: {use.arn!r} belongs to {parts['account']!r}, one of the configuration's own accounts;"
                " an organization-enforced guardrail lives in the management account (list the account's own"
                " guardrails under applications[].guardrail_arns or guardrails)"
            )
            continue
        problems += _check_guardrail_profile(where, use, catalog)
    for i, app in enumerate(config.applications):
        for where, arn in _guardrail_paths(i, app):
            if arn in arns:
                problems.append(f"{where}: {arn!r} is also in enforced_guardrails; list it in one place (enforced"
                                " guardrails are granted to every application)")
    return problems


def governance_warnings(config: Config, catalog: Catalog) -> list[str]:
    """Warnings that do not stop synthesis: legacy profiles (:func:`lifecycle_warnings`), and applications
    that use the Responses API while the organization enforces guardrails, which AWS says do not apply to
    it (Bedrock User Guide, inference-responses-api.html: "Guardrails don't apply to the Responses API")."""
    lines = lifecycle_warnings(config, catalog)
    if config.enforced_guardrails:
        for app in config.applications:
            if app.responses_api:
                lines.append(
                    f"{app.name} has responses_api: true, and guardrails do not apply to the Responses API (AWS),"
                    " so its Responses calls run without the organization's enforced guardrails"
                )
    return lines


def _catalog_name(origin: str) -> str:
    return "the shipped catalog" if origin == SHIPPED else f"catalog {origin}"


def _not_in_catalog(pid: str, catalog: Catalog, today: _dt.date) -> str:
    """Says both ways to add a profile: a refresh with credentials, or a hand-written entry."""
    stem = pid.split("-v")[0].rsplit("-", 1)[0]
    close = [p for p in catalog.approvable(today) if p != pid and (p.startswith(stem) or pid.split("-v")[0] in p)][-2:]
    hint = f"did you mean {' or '.join(map(repr, close))}? " if close else ""
    where = " or ".join(["the shipped catalog", *catalog.local_layers])
    return (
        f"{pid!r} is not in {where}; {hint}to add it, run `cris-guard catalog refresh --region <source Region>"
        " --output <project catalog>` with AWS credentials, or write a project catalog entry by hand (with its source"
        " and date; README 'The profile catalog'), and name the file under `catalog:` in this configuration"
    )


def _past_end_of_life(pid: str, lifecycle, catalog: Catalog) -> str:
    replacement = (
        f"AWS names {lifecycle.replacement} as its replacement" if lifecycle.replacement
        else "AWS names no replacement; choose an active profile (`cris-guard catalog list`)"
    )
    when = f"on {lifecycle.end_of_life_date}" if lifecycle.end_of_life_date else "(status end-of-life)"
    return f"{pid!r} reached its end of life {when} (Bedrock model lifecycle), so calls to it fail; {replacement}"


def lifecycle_warnings(config: Config, catalog: Catalog) -> list[str]:
    """One line per approved legacy profile, naming the applications and the published dates.

    Judged from the catalog's data, not from today's date, so the review report that shows these stays
    the same for the same templates and catalog."""
    users: dict[str, list[str]] = {}
    for app in config.applications:
        for pid in app.profiles:
            users.setdefault(pid, []).append(app.name)
    lines = []
    for pid, apps in users.items():
        profile = catalog.get(pid)
        lifecycle = lifecycle_of(profile) if profile else None
        if lifecycle is None or not lifecycle.is_legacy:
            continue
        end = f"end of life {lifecycle.end_of_life_date}" if lifecycle.end_of_life_date else "end-of-life date not yet published"
        since = f" since {lifecycle.legacy_date}" if lifecycle.legacy_date else ""
        then = f"; AWS names {lifecycle.replacement} as its replacement" if lifecycle.replacement else ""
        lines.append(f"{pid} (approved for {', '.join(apps)}) is legacy{since}, {end}{then}; plan the move to an active profile")
    return lines


def _format_loc(loc: Sequence[Any]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _format_error(err: dict[str, Any]) -> str:
    loc = [p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
    path = _format_loc(loc)
    kind = err["type"]
    value = err.get("input")
    if kind == "extra_forbidden":
        return f"{path}: unknown key; remove it or fix its spelling (see the configuration reference in README.md)"
    if kind == "missing":
        return f"{path}: required key is missing; add it (see config/default.yaml for an example)"
    if kind == "too_short":
        return f"{path}: must not be empty; list at least one value"
    if kind == "too_long":
        return f"{path}: has too many entries ({len(value)}); {err['msg'].lower()}"
    if kind == "literal_error":
        return f"{path}: {value!r} is not allowed; {err['msg'].lower()}"
    if kind == "string_type" and isinstance(value, int | float) and not isinstance(value, bool):
        # YAML reads an unquoted account ID as a number (and drops leading zeros).
        return f"{path}: {value!r} is a number, not text; quote it, e.g. \"{value}\""
    if kind in ("greater_than", "greater_than_equal"):
        return f"{path}: {value!r} must be positive; {err['msg'].lower()}"
    if kind == "value_error":
        message = err["msg"].removeprefix("Value error, ")
        # Model-level checks name their own field first ("source_regions: ...").
        return message if not loc else f"{path}: {message}"
    return f"{path}: {value!r} is invalid; {err['msg'].lower()}"


def parse_config(data: Any, catalog: Catalog, origin: str = "<config>", today: _dt.date | None = None) -> Config:
    """Validate an already-parsed YAML document; raise :class:`ConfigError` with one line per problem.

    ``catalog`` is the catalog in force (with the configuration's project catalog already layered in:
    :func:`load_project` does that); ``today`` (default: the day of synthesis) judges end of life."""
    if not isinstance(data, dict):
        raise ConfigError([f"{origin}: the configuration must be a YAML mapping of keys to values"])
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError([f"{origin}: {_format_error(e)}" for e in exc.errors()]) from None
    problems = check_accounts(config, catalog, today)
    if not problems:
        for target in config.targets():
            where = f"accounts[{config.targets().index(target)}] ({target.name}): " if target is not None else ""
            account_config = config.for_account(target)
            problems.extend(
                where + p for p in check_cost_governance(account_config, inherited_tags=account_config.resource_tags)
            )
    if problems:
        raise ConfigError([f"{origin}: {p}" for p in problems])
    return config


def check_cost_governance(
    config: Config,
    *,
    quota: int | Mapping[str, int] | None = None,
    inherited_tags: Mapping[str, str] | None = None,
) -> list[str]:
    """Every cost-governance problem in a validated configuration, one line each; ``[]`` when none.

    Covers the application-profile names/descriptions and tags, the profile quota in each source
    Region, and the budget thresholds and e-mail subscribers. ``inherited_tags`` are the tags applied
    to every resource from outside the constructs (default: ``config.tags``; pass everything given to
    ``cdk.Tags.of(app)``), which count against the 200-tag limit. ``quota`` defaults to
    ``config.cost.application_profile_quota`` when that key exists, else the AWS default.
    """
    problems: list[str] = []
    inherited = dict(config.tags if inherited_tags is None else inherited_tags)
    for app in config.applications:
        for region in config.source_regions:
            for plan in plan_application_profiles(config.name, app.name, region, app.profiles):
                problems.extend(check_planned_profile(plan))
        problems.extend(
            check_application_profile_tags(
                app.name, app.tags, cost_center=app.cost_center, inherited_tags=inherited
            )
        )
    if quota is None:
        cost = getattr(config, "cost", None)
        quota = getattr(cost, "application_profile_quota", None) or APPLICATION_PROFILE_QUOTA.default_value
    counts = application_profile_counts(config.source_regions, {a.name: a.profiles for a in config.applications})
    problems.extend(check_application_profile_quota(counts, quota))
    problems.extend(
        check_budget_settings(
            name_prefix=config.name,
            applications=[BudgetedApplication(a.name, a.monthly_budget_usd) for a in config.applications],
            account_monthly_usd=config.budgets.account_monthly_usd,
            thresholds=[(t.type, t.percent) for t in config.budgets.thresholds],
            emails=config.alerts.emails,
        )
    )
    return list(dict.fromkeys(problems))


def _read_yaml(path: Path | str | None) -> tuple[Path, Any]:
    file = Path(path) if path else DEFAULT_CONFIG_PATH
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        if not path:  # an installed package has no config/default.yaml beside it
            raise ConfigError(["no configuration given and config/default.yaml is not here (it ships with a cris-guard"
                               " checkout, not the package); pass --config path/to/file.yaml"]) from None
        raise ConfigError([f"{file}: configuration file not found; pass an existing file (make: CONFIG=path/to/file.yaml,"
                           " cris-guard: --config path/to/file.yaml)"]) from None
    try:
        return file, yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError([f"{file}{line}: not valid YAML ({problem}); fix the syntax at that line"]) from None


def project_catalog(data: Any, file: Path, base: Catalog) -> Catalog:
    """``base`` with the project catalog the configuration names (``catalog:``) layered over it.

    The path is relative to the configuration file. A catalog problem becomes one :class:`ConfigError`
    line that names the configuration key and the catalog file."""
    name = data.get("catalog") if isinstance(data, dict) else None
    if name is None:
        return base
    if not isinstance(name, str) or not name.strip():
        raise ConfigError([f"{file}: catalog: {name!r} must be the path of a catalog JSON file, relative to this configuration"])
    path = Path(name) if Path(name).is_absolute() else file.parent / name
    try:
        return load_project_catalog(path, base, label=name)
    except CatalogError as exc:
        raise ConfigError([f"{file}: catalog: {exc}"]) from None


def load_project(
    path: Path | str | None = None, base: Catalog | None = None, *, today: _dt.date | None = None
) -> tuple[Config, Catalog]:
    """Read a configuration file and the catalog in force for it: ``base`` (default: the shipped
    catalog) with the project catalog it names layered over it. Raise :class:`ConfigError`."""
    file, data = _read_yaml(path)
    try:
        base = base or load_catalog()
    except CatalogError as exc:
        raise ConfigError([str(exc)]) from None
    catalog = project_catalog(data, file, base)
    return parse_config(data, catalog, origin=str(file), today=today), catalog


def load_config(path: Path | str | None = None, catalog: Catalog | None = None) -> Config:
    """Read, parse and validate a configuration file (default: ``config/default.yaml``)."""
    return load_project(path, catalog)[0]


def command(path: Path | str | None = None) -> int:
    """``cris-guard check CONFIG``: validate a configuration without synthesizing it; 0 valid (warnings
    on stderr), 2 invalid."""
    import sys

    try:
        config, catalog = load_project(path)
    except ConfigError as exc:
        for line in str(exc).splitlines():
            print(f"cris-guard: {line}", file=sys.stderr)
        return 2
    for line in governance_warnings(config, catalog):
        print(f"cris-guard: warning: {line}", file=sys.stderr)
    accounts = f" in {len(config.accounts)} accounts" if config.accounts is not None else ""
    print(
        f"cris-guard: {path or DEFAULT_CONFIG_PATH} is valid: {len(config.applications)} applications{accounts} in"
        f" {', '.join(config.all_source_regions)}"
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m cris_guard.config [file]``: an alias of ``cris-guard check`` (kept for one release)."""
    import sys

    from cris_guard.cli import main as cli_main

    return cli_main(["check", *(sys.argv[1:] if argv is None else argv)])

if __name__ == "__main__":
    raise SystemExit(main())
