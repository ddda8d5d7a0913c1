"""The governance stack for one EU source Region, and the names other stacks need from it."""

from __future__ import annotations

from collections.abc import Mapping

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct

from cris_guard.catalog import Catalog
from cris_guard.config import BEDROCK_DATA_EVENT_TYPES, Config
from cris_guard.constructs.alert_topic import AlertTopic
from cris_guard.constructs.audit_alarms import AuditAlarms, TamperScope
from cris_guard.constructs.audit_trail import AuditTrail
from cris_guard.constructs.dashboard import BedrockDashboard, MonitoredModel
from cris_guard.constructs.evidence_queries import EvidenceQueries
from cris_guard.constructs.bedrock_endpoint import BedrockEndpoints
from cris_guard.constructs.verifier_role import VerifierRole
from cris_guard.constructs.invocation_logging import InvocationLogging
from cris_guard.monitoring import BedrockAlarmThresholds


def region_stack_name(config: Config, region: str) -> str:
    """``<name>-<region>``: a person reading ``cdk ls`` knows which Region the stack governs."""
    return f"{config.name}-{region}"


def trail_log_group_name(config: Config) -> str:
    """The trail's log group, named so that dashboards in other Regions can query it by name."""
    existing = config.audit.cloudtrail.existing_log_group_name
    return existing or f"/cris-guard/{config.name}/cloudtrail"


def logging_handler_role_name(config: Config, region: str) -> str:
    """Fixed, so the audit alarms in the trail's home Region can trust it without a cross-Region reference."""
    return f"{config.name}-bedrock-logging-config-{region}"


def tamper_scope(config: Config) -> TamperScope:
    """What the tamper alarms watch: cris-guard's trail (by its fixed name, or the named organization trail), its
    buckets and log groups (their names begin with the stacks' names, ``<name>-…``; the trail's log group and the
    Lambda functions' groups by their name patterns) and whose changes they leave out (the deployers)."""
    trail = config.audit.cloudtrail
    trails = (trail_name(config),) if trail.enabled else ((trail.organization_trail.rsplit("/", 1)[-1],)
                                                          if trail.organization_trail else ())
    groups = [f"/cris-guard/{config.name}/*", f"/aws/lambda/{config.name}-*", f"{config.name}-*"]
    if trail.existing_log_group_name:
        groups.append(trail.existing_log_group_name)
    return TamperScope(trail_names=trails, bucket_name_patterns=(f"{config.name}-*",),
                       log_group_name_patterns=tuple(groups),
                       excluded_principal_arn_patterns=tuple(config.audit.deployer_role_arn_patterns))


def evidence_database_name(config: Config) -> str:
    """The Glue database of the evidence table (Glue names: lowercase letters, digits, underscores)."""
    return config.name.replace("-", "_") + "_evidence"


def trail_name(config: Config) -> str:
    """Fixed, so that the organization guardrail SCP can protect the trail by ARN (cris_guard/scp.py repeats
    it). Introducing it replaces the trail once on update (TrailName is create-only in the CloudFormation
    schema); its bucket and log group are separate resources and stay, so no evidence is lost, but expect a
    gap in recording while the trail is replaced (docs/organization.md, "Upgrading")."""
    return f"{config.name}-bedrock-audit"


def allowed_destinations(config: Config, catalog: Catalog) -> dict[str, list[str]]:
    """Per source Region, the Regions any approved profile may route to: the residency alarm's allow-list."""
    return {
        region: sorted({d for app in config.applications for p in app.profiles for d in catalog.destinations(p, region)})
        for region in config.source_regions
    }


class RegionGovernanceStack(cdk.Stack):
    """Everything cris-guard governs in one source Region.

    Pinned to its Region (``env``), no context lookups, so it synthesizes without credentials. The
    constructor creates what the Region needs on its own (alert topic, invocation logging, and in
    the trail's home Region the trail). :func:`cris_guard.app_builder.build_app` then adds what
    depends on other stacks: the audit alarms (which trust every Region's logging handler) and the
    dashboard (which shows the residency metric from the trail's home Region).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: Config,
        catalog: Catalog,
        source_region: str,
        env: cdk.Environment,
    ) -> None:
        super().__init__(
            scope,
            id,
            env=env,
            # Explicit, so a stack keeps its CloudFormation name inside an account's Stage (where CDK
            # would prefix the Stage name): moving from one account to `accounts:` updates, not replaces.
            stack_name=id,
            description=(
                f"cris-guard governance for Amazon Bedrock cross-Region inference from {source_region}"
                f" (residency: {config.residency}; catalog as of {catalog.as_of})"
            ),
        )
        self.config = config
        self.catalog = catalog
        self.source_region = source_region
        self.alerts = AlertTopic(
            self,
            "Alerts",
            emails=config.alerts.emails,
            display_name=f"cris-guard {config.name} alerts ({source_region})",
        )
        logs_cfg = config.audit.invocation_logs
        self.invocation_logging = InvocationLogging(
            self,
            "InvocationLogging",
            retention_days=logs_cfg.retention_days,
            cloudwatch_logs_enabled=logs_cfg.cloudwatch_logs,
            cloudwatch_retention_days=logs_cfg.cloudwatch_retention_days,
            text_data_delivery=logs_cfg.text,
            image_data_delivery=logs_cfg.image,
            embedding_data_delivery=logs_cfg.embedding,
            video_data_delivery=logs_cfg.video,
            audio_data_delivery=logs_cfg.audio,
            alert_topic=self.alerts.topic,
            handler_role_name=logging_handler_role_name(config, source_region),
            replace_existing_configuration=logs_cfg.replace_existing_configuration,
        )
        self.trail: AuditTrail | None = None
        self.audit_alarms: AuditAlarms | None = None
        self.dashboard: BedrockDashboard | None = None
        trail_cfg = config.audit.cloudtrail
        if self.is_trail_home and trail_cfg.enabled:
            self.trail = AuditTrail(
                self,
                "AuditTrail",
                retention_days=trail_cfg.retention_days,
                log_group_retention_days=trail_cfg.log_group_retention_days,
                data_event_resource_types=[t for kind in trail_cfg.data_events for t in BEDROCK_DATA_EVENT_TYPES[kind]],
                log_group_name=trail_log_group_name(config),
                trail_name=trail_name(config),
            )

    def add_bedrock_endpoints(self, accesses, application_profile_arns: Mapping[str, str]) -> BedrockEndpoints | None:
        """The Bedrock interface endpoint(s) in the configured VPC of this Region (``network:``), with a policy
        naming the approved profiles of every application here (``accesses``: name -> EuInvokeAccess) and their
        application profiles in this stack (``application_profile_arns``: ARN token -> the profile it copies)."""
        settings = self.config.network.get(self.source_region)
        if settings is None:
            return None
        profiles = [p for access in accesses.values() for p in access.profiles]
        self.bedrock_endpoints = BedrockEndpoints(
            self, "BedrockEndpoints", vpc_id=settings.vpc_id, subnet_ids=settings.subnet_ids,
            allowed_security_group_ids=settings.allowed_security_group_ids, allowed_cidrs=settings.allowed_cidrs,
            profiles=profiles, application_profile_arns=application_profile_arns, private_dns=settings.private_dns,
            control_plane=settings.control_plane_endpoint,
            guardrail_resources=[r for access in accesses.values() for g in access.guardrails for r in g.resources()],
            responses_api=any(access.responses_api for access in accesses.values()),
        )
        return self.bedrock_endpoints

    def add_verifier_role(self) -> VerifierRole | None:
        """The read-only role of `cris-guard verify` (once per account: the trail's home Region stack)."""
        principals = self.config.audit.verifier_principals
        if not (self.is_trail_home and principals):
            return None
        self.verifier_role = VerifierRole(self, "VerifierRole", principals=principals)
        return self.verifier_role

    @property
    def is_trail_home(self) -> bool:
        return self.source_region == self.config.trail_home_region

    @property
    def has_trail_log_group(self) -> bool:
        trail_cfg = self.config.audit.cloudtrail
        return trail_cfg.enabled or trail_cfg.existing_log_group_name is not None

    def add_audit_alarms(self) -> AuditAlarms | None:
        """Residency, tamper and ungoverned-Region alarms on the trail's log group (home Region only).

        Changes to the logging configuration made by any Region's cris-guard handler role are expected;
        every other change alarms.
        """
        if not (self.is_trail_home and self.has_trail_log_group):
            return None
        governed_handler_roles = [
            iam.Role.from_role_arn(
                self,
                f"LoggingHandlerRole-{region}",
                self.format_arn(
                    service="iam",
                    region="",
                    resource="role",
                    resource_name=logging_handler_role_name(self.config, region),
                ),
            )
            for region in self.config.source_regions
        ]
        log_group = (
            self.trail.log_group
            if self.trail
            else logs.LogGroup.from_log_group_name(self, "OrganizationTrailLogGroup", trail_log_group_name(self.config))
        )
        self.audit_alarms = AuditAlarms(
            self,
            "AuditAlarms",
            log_group=log_group,
            allowed_destinations=allowed_destinations(self.config, self.catalog),
            alert_topic=self.alerts.topic,
            trusted_logging_configuration_roles=governed_handler_roles,
            tamper_scope=tamper_scope(self.config),
        )
        return self.audit_alarms

    def add_evidence_queries(
        self, *, roles: Mapping[str, str], application_profiles: Mapping[str, str]
    ) -> EvidenceQueries | None:
        """Athena over the trail bucket (trail's home Region only, unless ``audit.evidence.athena`` is false).

        ``roles``: ``<stack name>-<role logical ID>`` -> application, for every application role of the
        account; ``application_profiles``: this stack's application inference profile IDs (tokens) -> the
        profile each copies. Both are written into the named queries."""
        from cris_guard.constructs import secure_defaults

        settings = self.config.audit.evidence
        if not (self.is_trail_home and settings.athena):
            return None
        if self.trail is not None:
            bucket, key, access_logs = self.trail.bucket.bucket_name, self.trail.key, self.trail.access_logs_bucket
        else:
            assert settings.trail_bucket is not None  # config validation
            bucket = settings.trail_bucket
            key = secure_defaults.hardened_key(self, "EvidenceKey", description="Encrypts cris-guard's Athena query results")
            access_logs = secure_defaults.server_access_logs_bucket(
                self, "EvidenceAccessLogs", expiration_days=max(settings.results_retention_days, 90)
            )
        self.evidence_queries = EvidenceQueries(
            self,
            "EvidenceQueries",
            trail_bucket_name=bucket,
            trail_prefix=settings.trail_prefix,
            organization_id=settings.organization_id,
            accounts=[self.account],
            database_name=evidence_database_name(self.config),
            workgroup_name=f"{self.config.name}-evidence",
            bytes_scanned_cutoff=settings.bytes_scanned_cutoff_mb * 1024 * 1024,
            results_retention_days=settings.results_retention_days,
            key=key,
            access_logs_bucket=access_logs,
            auditor_principals=settings.auditor_principals,
            trail_key=self.trail.key if self.trail is not None else None,
            query_policy={
                "approved": {a.name: list(a.profiles) for a in self.config.applications},
                "roles": dict(roles),
                "application_profiles": dict(application_profiles),
            },
        )
        return self.evidence_queries

    def add_dashboard(
        self,
        *,
        residency_metric: cloudwatch.IMetric | None,
        application_profile_ids: Mapping[str, str],
    ) -> BedrockDashboard:
        """The Region's dashboard and Bedrock alarms.

        ``application_profile_ids`` maps a label to an application profile ID that lives in *this*
        stack (tokens from other stacks would create a dependency cycle); beyond a handful of
        application profiles the dashboard aggregates with Metrics Insights anyway.
        """
        approved = sorted({p for app in self.config.applications for p in app.profiles})
        models = [MonitoredModel(label=p, model_id=p) for p in approved]
        models += [MonitoredModel(label=label, model_id=pid) for label, pid in application_profile_ids.items()]
        self.dashboard = BedrockDashboard(
            self,
            "Dashboard",
            source_region=self.source_region,
            dashboard_name=f"{self.config.name}-{self.source_region}",
            models=models,
            alert_topic=self.alerts.topic,
            thresholds=BedrockAlarmThresholds.of(self.config.monitoring.alarms),
            residency_metric=residency_metric,
            trail_log_group_name=trail_log_group_name(self.config) if self.has_trail_log_group else None,
            trail_log_group_region=self.config.trail_home_region if self.has_trail_log_group else None,
        )
        return self.dashboard
