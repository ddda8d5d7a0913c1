"""Residency and tamper alarms on the CloudTrail log group (GitHub issue 4, part 5).

Residency: for each governed source Region, a metric filter counts Bedrock events recorded in that
Region whose ``additionalEventData.inferenceRegion`` is present and not one of the destinations
allowed for that source (cris-facts §3), and an alarm fires on the first one. All filters publish one
metric, ``ResidencyViolations``, with the dimension ``SourceRegion`` (taken from ``$.awsRegion``), so a
dashboard can show it per source Region (:meth:`AuditAlarms.metric_residency_violations`).

Tampering: calls that change or stop the evidence. ``Put``/``DeleteModelInvocationLoggingConfiguration``
by anyone except the given cris-guard handler roles (matched on
``userIdentity.sessionContext.sessionIssuer.arn``, the IAM role behind an assumed-role session; an
event without that field - a root or IAM-user call - always counts), and ``StopLogging`` /
``DeleteTrail`` / ``UpdateTrail`` / ``PutEventSelectors``: on any trail by any caller, or, with a
:class:`TamperScope`, on the named trails by anyone but the deployers (so that a deployment of cris-guard
does not fire it).

Evidence tampering: calls that delete, shorten or unlock the other places evidence lives -
CloudWatch Logs (``DeleteLogGroup``, ``DeleteMetricFilter``, ``PutRetentionPolicy``,
``DeleteSubscriptionFilter``), CloudWatch alarms (``DeleteAlarms``, ``DisableAlarmActions``), KMS keys
(``ScheduleKeyDeletion``, ``DisableKey``, ``PutKeyPolicy``) and S3 buckets (``PutBucketPolicy``,
``DeleteBucketPolicy``, ``PutBucketLifecycle``/``PutBucketLifecycleConfiguration``,
``PutBucketVersioning``, ``DeleteBucket``; all management events). Matched on ``eventSource`` and
``eventName``, and - with a :class:`TamperScope`, as the app builds them - only on cris-guard's trail,
buckets and log groups (KMS keys and alarms stay unscoped: their events name random key IDs or lists of
alarm names) and by anyone but the deployers, including calls that were denied (an attempt counts). Without
a scope every resource and caller counts, which a library user may prefer: a false alarm is the safer failure.

Also: Bedrock inference calls (InvokeModel, InvokeModelWithResponseStream, Converse, ConverseStream)
recorded in a Region that is *not* governed, because such a call runs outside every residency rule.

The filter patterns are plain functions so that tests can evaluate them with
:mod:`cris_guard.filter_pattern` against sample CloudTrail records. Every ``!=`` is guarded so the
pattern means the same whether CloudWatch treats ``!=`` on an absent field as true or as false.

The log group may be an imported one (an organization trail's group in this account): metric filters
must live in the log group's account and Region, which is the trail's home Region for a multi-Region
trail, so this construct belongs in that one stack and covers every source Region from there.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from constructs import Construct

METRIC_RESIDENCY_VIOLATIONS = "ResidencyViolations"
METRIC_LOGGING_CONFIGURATION_CHANGES = "InvocationLoggingConfigurationChanges"
METRIC_TRAIL_CONFIGURATION_CHANGES = "TrailConfigurationChanges"
METRIC_UNGOVERNED_REGION_INVOCATIONS = "UngovernedRegionInvocations"
METRIC_EVIDENCE_TAMPERING = "AuditEvidenceTampering"
DIMENSION_SOURCE_REGION = "SourceRegion"

# CloudWatch Logs limit on a filter pattern (AWS::Logs::MetricFilter FilterPattern maxLength).
MAX_FILTER_PATTERN_LENGTH = 1024
# Length assumed for an IAM role ARN that is still a token at synth time: "arn:aws:iam::" + 12 digits +
# ":role/" + a name of at most 64 characters (IAM quotas), with room for a partition suffix and a short path.
_ASSUMED_ROLE_ARN_LENGTH = 130

INFERENCE_EVENT_NAMES = ("InvokeModel", "InvokeModelWithResponseStream", "Converse", "ConverseStream")
LOGGING_CONFIGURATION_EVENT_NAMES = (
    "PutModelInvocationLoggingConfiguration",
    "DeleteModelInvocationLoggingConfiguration",
)
TRAIL_TAMPERING_EVENT_NAMES = ("StopLogging", "DeleteTrail", "UpdateTrail", "PutEventSelectors")
# eventSource -> eventNames that can destroy, shorten or unlock audit evidence (CloudTrail management
# events). S3 is reported to record lifecycle changes as PutBucketLifecycle whichever API was called
# (UNCONFIRMED: not found in the S3 CloudTrail pages; docs/audit.md lists it), so both names are listed.
EVIDENCE_TAMPERING_EVENTS: dict[str, tuple[str, ...]] = {
    "logs.amazonaws.com": ("DeleteLogGroup", "DeleteMetricFilter", "PutRetentionPolicy", "DeleteSubscriptionFilter"),
    "monitoring.amazonaws.com": ("DeleteAlarms", "DisableAlarmActions"),
    "kms.amazonaws.com": ("ScheduleKeyDeletion", "DisableKey", "PutKeyPolicy"),
    "s3.amazonaws.com": (
        "PutBucketPolicy",
        "DeleteBucketPolicy",
        "PutBucketLifecycle",
        "PutBucketLifecycleConfiguration",
        "PutBucketVersioning",
        "DeleteBucket",
    ),
}

_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-[0-9]+$")
_SAFE_VALUE = re.compile(r'^[^"\\]+$')
_ISSUER_ARN = "$.userIdentity.sessionContext.sessionIssuer.arn"


def _quote(value: str) -> str:
    if not _SAFE_VALUE.match(value):
        raise ValueError(f"{value!r} cannot be used in a filter pattern (quotes and backslashes are not allowed)")
    return f'"{value}"'


def _any_of(selector: str, values: Sequence[str]) -> str:
    return "(" + " || ".join(f"({selector} = {_quote(v)})" for v in values) + ")"


def _none_of(selector: str, values: Sequence[str]) -> str:
    return " && ".join(f"({selector} != {_quote(v)})" for v in values)


def _check_length(pattern: str, what: str, *, token_arns: int = 0) -> str:
    # An unresolved ARN is a short token placeholder in ``pattern``; count it at a role ARN's full size
    # (the placeholder's own characters are counted too, which errs on the safe side).
    estimate = len(pattern) + token_arns * _ASSUMED_ROLE_ARN_LENGTH
    if estimate > MAX_FILTER_PATTERN_LENGTH:
        raise ValueError(
            f"the {what} filter pattern would be about {estimate} characters, over CloudWatch Logs' limit of "
            f"{MAX_FILTER_PATTERN_LENGTH}; {'trust fewer roles' if token_arns else 'allow fewer Regions'}"
        )
    return pattern


def validate_allowed_destinations(allowed_destinations: Mapping[str, Sequence[str]]) -> dict[str, tuple[str, ...]]:
    """Check the source -> allowed ``inferenceRegion`` mapping; return it with sorted, unique values."""
    if not allowed_destinations:
        raise ValueError("allowed_destinations is empty; map each governed source Region to its allowed destinations")
    result: dict[str, tuple[str, ...]] = {}
    for source, destinations in allowed_destinations.items():
        if not isinstance(source, str) or not _REGION.match(source):
            raise ValueError(f"allowed_destinations: source {source!r} is not a Region code such as 'eu-central-1'")
        if isinstance(destinations, str) or not destinations:
            raise ValueError(
                f"allowed_destinations[{source!r}] must be a non-empty list of Region codes, got {destinations!r}"
            )
        for destination in destinations:
            if not isinstance(destination, str) or not _REGION.match(destination):
                raise ValueError(
                    f"allowed_destinations[{source!r}]: {destination!r} is not a Region code such as 'eu-west-1'"
                )
        result[source] = tuple(sorted(set(destinations)))
    return result


def residency_violation_pattern(source_region: str, allowed: Sequence[str]) -> str:
    """Bedrock events recorded in ``source_region`` that ran in a Region outside ``allowed``."""
    pattern = (
        '{ ($.eventSource = "bedrock.amazonaws.com") && '
        f"($.awsRegion = {_quote(source_region)}) && "
        '($.additionalEventData.inferenceRegion = "*") && '
        f"{_none_of('$.additionalEventData.inferenceRegion', allowed)} }}"
    )
    return _check_length(pattern, f"residency ({source_region})")


def ungoverned_region_invocation_pattern(governed_regions: Sequence[str]) -> str:
    """Bedrock inference calls recorded in a Region that is not one of ``governed_regions``."""
    pattern = (
        '{ ($.eventSource = "bedrock.amazonaws.com") && '
        f"{_any_of('$.eventName', INFERENCE_EVENT_NAMES)} && "
        '($.awsRegion = "*") && '
        f"{_none_of('$.awsRegion', sorted(governed_regions))} }}"
    )
    return _check_length(pattern, "ungoverned-Region")


def logging_configuration_change_pattern(trusted_role_arns: Sequence[str] = ()) -> str:
    """Changes to Bedrock's invocation logging configuration, except by the trusted roles.

    With no trusted roles every change counts (including cris-guard's own deployments).
    """
    pattern = '{ ($.eventSource = "bedrock.amazonaws.com") && ' + _any_of(
        "$.eventName", LOGGING_CONFIGURATION_EVENT_NAMES
    )
    token_arns = 0
    if trusted_role_arns:
        token_arns = sum(1 for arn in trusted_role_arns if cdk.Token.is_unresolved(arn))
        pattern += f" && (({_ISSUER_ARN} NOT EXISTS) || ({_none_of(_ISSUER_ARN, trusted_role_arns)}))"
    return _check_length(pattern + " }", "logging-configuration", token_arns=token_arns)


@dataclass(frozen=True)
class TamperScope:
    """Which resources the tamper alarms watch, and whose changes they leave out (issue 17).

    Empty tuples keep the broad behaviour: any trail, bucket or log group, any caller. The app scopes them
    to cris-guard's own resources by name (its buckets, log groups and Lambda functions take their names from
    the stack names, which begin with the configuration's ``name`` (CloudFormation User Guide, "Name type"; that a
    shortened name always keeps that prefix is UNCONFIRMED); the trail has a fixed name) and leaves out
    its deployers, so that deploying cris-guard, or another team deploying its own buckets, does not fire them.
    KMS keys and alarms stay unscoped (their events name a random key ID, or a list of alarm names), so a
    change to any key or alarm by anyone but the deployers still alarms.

    ``excluded_principal_arn_patterns`` are matched against ``userIdentity.sessionContext.sessionIssuer.arn``
    (the role behind a session; CloudFormation makes its calls with the deployment's execution role). A caller
    without a session issuer (an IAM user, the root user) is never left out. The patterns hold ``*``: that
    CloudWatch Logs honours a wildcard after ``!=`` as it does after ``=`` is UNCONFIRMED (the filter-pattern
    page shows wildcards with ``=``); if it did not, the deployers would not be left out and the alarms would
    fire on deploys again, never miss a change."""

    trail_names: tuple[str, ...] = ()
    bucket_name_patterns: tuple[str, ...] = ()
    log_group_name_patterns: tuple[str, ...] = ()
    excluded_principal_arn_patterns: tuple[str, ...] = ()

    def exclusion(self) -> str:
        """`` && <not one of the excluded principals>``, or "" when none are excluded."""
        if not self.excluded_principal_arn_patterns:
            return ""
        return (f" && (({_ISSUER_ARN} NOT EXISTS) || ({_none_of(_ISSUER_ARN, self.excluded_principal_arn_patterns)}))")


BROAD = TamperScope()


def trail_tampering_pattern(scope: TamperScope = BROAD) -> str:
    """Calls that stop or change a CloudTrail trail (``scope.trail_names``: only those, by name or ARN)."""
    pattern = '{ ($.eventSource = "cloudtrail.amazonaws.com") && ' + _any_of("$.eventName", TRAIL_TAMPERING_EVENT_NAMES)
    if scope.trail_names:
        values = [v for name in scope.trail_names for v in (name, f"arn:*:cloudtrail:*:*:trail/{name}")]
        pattern += " && " + _any_of("$.requestParameters.name", values)
    return _check_length(pattern + scope.exclusion() + " }", "trail-tampering")


def _resource_clause(source: str, scope: TamperScope) -> str:
    if source == "s3.amazonaws.com" and scope.bucket_name_patterns:
        return " && " + _any_of("$.requestParameters.bucketName", scope.bucket_name_patterns)
    if source == "logs.amazonaws.com" and scope.log_group_name_patterns:
        return " && " + _any_of("$.requestParameters.logGroupName", scope.log_group_name_patterns)
    return ""


def evidence_tampering_patterns(
    events: Mapping[str, Sequence[str]] = EVIDENCE_TAMPERING_EVENTS,
    *,
    max_length: int = MAX_FILTER_PATTERN_LENGTH,
    scope: TamperScope = BROAD,
) -> list[str]:
    """Patterns matching any of ``events`` (eventSource -> eventNames), each within ``max_length``.

    One pattern when everything fits CloudWatch Logs' limit; otherwise the (eventSource, eventName)
    clauses are packed, in order, into as few patterns as needed. Together they match exactly the
    listed calls (on ``scope``'s resources, by anyone but its excluded principals), and no record matches
    two of them (each clause names one source and distinct names).
    """
    exclusion = scope.exclusion()

    def wrap(parts: list[str]) -> str:
        body = " || ".join(parts)
        return "{ " + (f"({body}){exclusion}" if exclusion else body) + " }"

    clauses: list[str] = []
    for source, names in events.items():
        if not names:
            raise ValueError(f"evidence-tampering events for {source!r} are empty")
        resources = _resource_clause(source, scope)
        # One clause per source when it fits; otherwise one per (source, name).
        whole = f"(($.eventSource = {_quote(source)}) && {_any_of('$.eventName', names)}{resources})"
        if len(wrap([whole])) <= max_length:
            clauses.append(whole)
        else:
            clauses += [f"(($.eventSource = {_quote(source)}) && ($.eventName = {_quote(n)}){resources})" for n in names]
    patterns: list[str] = []
    current: list[str] = []
    for clause in clauses:
        if current and len(wrap([*current, clause])) > max_length:
            patterns.append(wrap(current))
            current = [clause]
        else:
            current.append(clause)
    patterns.append(wrap(current))
    for pattern in patterns:
        if len(pattern) > max_length:
            raise ValueError(f"an evidence-tampering clause alone is over {max_length} characters: {pattern}")
    return patterns


def _check_metric_namespace(metric_namespace: str) -> None:
    # A safe subset of what CloudWatch Logs accepts (botocore logs model, MetricTransformation
    # metricNamespace: at most 255 characters, no ':', '*' or '$'); "AWS/" is left to AWS services
    # (botocore cloudwatch model, PutMetricData Namespace).
    if (
        not isinstance(metric_namespace, str)
        or not re.match(r"^[0-9A-Za-z.\-_/#]{1,255}$", metric_namespace)
        or metric_namespace.startswith("AWS/")
    ):
        raise ValueError(
            f"metric_namespace {metric_namespace!r} is invalid; use up to 255 of letters, digits and . - _ / #, "
            "not starting with 'AWS/'"
        )


class AuditAlarms(Construct):
    """Metric filters and alarms on a CloudTrail log group; every alarm notifies ``alert_topic``.

    :param log_group: the trail's CloudWatch log group (new or imported).
    :param allowed_destinations: governed source Region -> ``inferenceRegion`` values allowed for calls
        from it. One residency filter and alarm per source Region.
    :param alert_topic: the topic every alarm notifies.
    :param metric_namespace: namespace of the metrics the filters publish. Default ``CrisGuard``.
    :param trusted_logging_configuration_roles: roles whose logging-configuration changes are expected
        (the ``handler_role`` of each InvocationLogging). Default: none, every change alarms.
    :param alarm_on_ungoverned_regions: also alarm on inference calls recorded in Regions that are not
        in ``allowed_destinations``. Default ``True``.
    :param tamper_scope: which trails, buckets and log groups the tamper alarms watch and whose changes they
        leave out (:class:`TamperScope`). Default: everything, any caller.

    Attributes: ``residency_filters`` / ``residency_alarms`` (dicts keyed by source Region),
    ``logging_configuration_filter`` / ``_alarm``, ``trail_tampering_filter`` / ``_alarm``,
    ``evidence_tampering_filters`` (a list: one filter per pattern, all publishing one metric) /
    ``evidence_tampering_alarm``,
    ``ungoverned_region_filter`` / ``_alarm`` (``None`` when disabled), ``alarms`` (all of them).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        log_group: logs.ILogGroup,
        allowed_destinations: Mapping[str, Sequence[str]],
        alert_topic: sns.ITopic,
        metric_namespace: str = "CrisGuard",
        trusted_logging_configuration_roles: Sequence[iam.IRole] = (),
        alarm_on_ungoverned_regions: bool = True,
        tamper_scope: TamperScope = BROAD,
    ) -> None:
        super().__init__(scope, id)
        self.tamper_scope = tamper_scope
        _check_metric_namespace(metric_namespace)
        self.allowed_destinations = validate_allowed_destinations(allowed_destinations)
        self.metric_namespace = metric_namespace
        self._log_group = log_group
        self._alert_action = cw_actions.SnsAction(alert_topic)
        self.alarms: list[cloudwatch.Alarm] = []
        # Named steps, in the order their resources are created (construct IDs are a contract).
        self._build_residency_alarms()
        self._build_logging_configuration_alarm([role.role_arn for role in trusted_logging_configuration_roles])
        self._build_trail_tampering_alarm()
        self._build_evidence_tampering_alarm()
        self.ungoverned_region_filter: logs.MetricFilter | None = None
        self.ungoverned_region_alarm: cloudwatch.Alarm | None = None
        if alarm_on_ungoverned_regions:
            self._build_ungoverned_region_alarm()

    def _filter(self, id: str, pattern: str, metric_name: str, **options: Any) -> logs.MetricFilter:
        """A metric filter on the trail log group that counts 1 per matching event."""
        return logs.MetricFilter(
            self,
            id,
            log_group=self._log_group,
            filter_pattern=logs.FilterPattern.literal(pattern),
            metric_namespace=self.metric_namespace,
            metric_name=metric_name,
            metric_value="1",
            **options,
        )

    def _build_residency_alarms(self) -> None:
        """Per source Region: inference that ran outside the Regions its profiles may route to."""
        self.residency_filters: dict[str, logs.MetricFilter] = {}
        self.residency_alarms: dict[str, cloudwatch.Alarm] = {}
        for source, allowed in self.allowed_destinations.items():
            suffix = _id_suffix(source)
            self.residency_filters[source] = self._filter(
                f"Residency{suffix}Filter",
                residency_violation_pattern(source, allowed),
                METRIC_RESIDENCY_VIOLATIONS,
                # A dimension value comes from the event; the filter only matches awsRegion == source.
                # No default value: CloudWatch Logs refuses one together with dimensions (UNCONFIRMED: not
                # in the PutMetricFilter or AWS::Logs::MetricFilter reference; recalled from the user
                # guide's "Publishing dimensions with metrics" page).
                dimensions={DIMENSION_SOURCE_REGION: "$.awsRegion"},
            )
            self.residency_alarms[source] = self._alarm(
                f"Residency{suffix}Alarm",
                self.metric_residency_violations(source),
                f"cris-guard: Bedrock inference called from {source} ran in a Region outside {list(allowed)} "
                "(CloudTrail additionalEventData.inferenceRegion). Find the events with CloudWatch Logs "
                f"Insights on the trail log group: filter eventSource='bedrock.amazonaws.com' and "
                f"awsRegion='{source}'.",
            )

    def _build_logging_configuration_alarm(self, role_arns: Sequence[str]) -> None:
        """Changes to Bedrock's invocation logging configuration by anyone but cris-guard's handler."""
        self.logging_configuration_filter = self._filter(
            "LoggingConfigurationChangeFilter",
            logging_configuration_change_pattern(role_arns),
            METRIC_LOGGING_CONFIGURATION_CHANGES,
            default_value=0,
        )
        self.logging_configuration_alarm = self._alarm(
            "LoggingConfigurationChangeAlarm",
            self.metric_logging_configuration_changes(),
            "cris-guard: the Bedrock model invocation logging configuration was changed or deleted "
            + ("by a principal other than cris-guard" if role_arns else "(any caller)")
            + ". Invocations may no longer be recorded where auditors expect.",
        )

    def _build_trail_tampering_alarm(self) -> None:
        """A trail stopped, deleted or changed."""
        self.trail_tampering_filter = self._filter(
            "TrailTamperingFilter", trail_tampering_pattern(self.tamper_scope), METRIC_TRAIL_CONFIGURATION_CHANGES,
            default_value=0,
        )
        which = (f"the trail {', '.join(self.tamper_scope.trail_names)}" if self.tamper_scope.trail_names
                 else "a CloudTrail trail")
        self.trail_tampering_alarm = self._alarm(
            "TrailTamperingAlarm",
            self.metric_trail_configuration_changes(),
            f"cris-guard: {which} was stopped, deleted or changed (StopLogging, DeleteTrail, UpdateTrail or"
            f" PutEventSelectors) {self._by_whom()}; investigate.",
        )

    def _build_evidence_tampering_alarm(self) -> None:
        """Calls that can delete or weaken audit evidence (buckets, keys, log groups, alarms)."""
        # Construct IDs: "EvidenceTamperingFilter", then "EvidenceTamperingFilter2", ... (stable while the
        # event list does not grow past one pattern).
        self.evidence_tampering_filters: list[logs.MetricFilter] = [
            self._filter(
                "EvidenceTamperingFilter" + (str(index + 1) if index else ""),
                pattern,
                METRIC_EVIDENCE_TAMPERING,
                default_value=0,
            )
            for index, pattern in enumerate(evidence_tampering_patterns(scope=self.tamper_scope))
        ]
        scoped = self.tamper_scope.bucket_name_patterns or self.tamper_scope.log_group_name_patterns
        self.evidence_tampering_alarm = self._alarm(
            "EvidenceTamperingAlarm",
            self.metric_evidence_tampering(),
            "cris-guard: a call that can delete or weaken audit evidence was made (or attempted) in this "
            f"account: {', '.join(n for names in EVIDENCE_TAMPERING_EVENTS.values() for n in names)}, "
            + ("on cris-guard's buckets and log groups, or on any KMS key or alarm, " if scoped else "on any resource, ")
            + f"{self._by_whom()}. Check requestParameters in the trail log group.",
        )

    def _by_whom(self) -> str:
        patterns = self.tamper_scope.excluded_principal_arn_patterns
        return f"by anyone but {', '.join(patterns)}" if patterns else "by any caller"

    def _build_ungoverned_region_alarm(self) -> None:
        """Bedrock inference called in a Region cris-guard does not govern."""
        self.ungoverned_region_filter = self._filter(
            "UngovernedRegionFilter",
            ungoverned_region_invocation_pattern(list(self.allowed_destinations)),
            METRIC_UNGOVERNED_REGION_INVOCATIONS,
            default_value=0,
        )
        self.ungoverned_region_alarm = self._alarm(
            "UngovernedRegionAlarm",
            self.metric_ungoverned_region_invocations(),
            "cris-guard: Bedrock inference was called in a Region that cris-guard does not govern "
            f"(governed: {sorted(self.allowed_destinations)}); that call ran outside the residency rules.",
        )

    def _alarm(self, id: str, metric: cloudwatch.Metric, description: str) -> cloudwatch.Alarm:
        alarm = first_occurrence_alarm(self, id, metric, description=description, action=self._alert_action)
        self.alarms.append(alarm)
        return alarm

    def _metric(
        self, metric_name: str, dimensions: dict[str, str] | None, options: dict[str, Any]
    ) -> cloudwatch.Metric:
        # The metric filters publish in the log group's Region (the trail's home Region), whatever the
        # source Region: say so explicitly, so that a widget in another Region's dashboard finds it.
        merged: dict[str, Any] = {
            "statistic": "Sum",
            "period": cdk.Duration.minutes(5),
            "region": cdk.Stack.of(self).region,
            **options,
        }
        if dimensions:
            merged["dimensions_map"] = {**dimensions, **(options.get("dimensions_map") or {})}
        return cloudwatch.Metric(namespace=self.metric_namespace, metric_name=metric_name, **merged)

    def metric_residency_violations(self, source_region: str, **options: Any) -> cloudwatch.Metric:
        """Calls from ``source_region`` that ran outside its allowed destinations (Sum over 5 minutes).

        The metric lives in *this* construct's Region (where the trail's log group is), not in
        ``source_region``; the returned metric names that Region.
        """
        if source_region not in self.allowed_destinations:
            raise ValueError(
                f"{source_region!r} is not a governed source Region here; "
                f"use one of {sorted(self.allowed_destinations)}"
            )
        return self._metric(METRIC_RESIDENCY_VIOLATIONS, {DIMENSION_SOURCE_REGION: source_region}, options)

    def metric_logging_configuration_changes(self, **options: Any) -> cloudwatch.Metric:
        """Untrusted Put/DeleteModelInvocationLoggingConfiguration calls (Sum over 5 minutes)."""
        return self._metric(METRIC_LOGGING_CONFIGURATION_CHANGES, None, options)

    def metric_trail_configuration_changes(self, **options: Any) -> cloudwatch.Metric:
        """StopLogging/DeleteTrail/UpdateTrail/PutEventSelectors calls (Sum over 5 minutes)."""
        return self._metric(METRIC_TRAIL_CONFIGURATION_CHANGES, None, options)

    def metric_evidence_tampering(self, **options: Any) -> cloudwatch.Metric:
        """Calls that can delete or weaken audit evidence, any caller (Sum over 5 minutes)."""
        return self._metric(METRIC_EVIDENCE_TAMPERING, None, options)

    def metric_ungoverned_region_invocations(self, **options: Any) -> cloudwatch.Metric:
        """Inference calls recorded in Regions that are not governed (Sum over 5 minutes)."""
        return self._metric(METRIC_UNGOVERNED_REGION_INVOCATIONS, None, options)


def first_occurrence_alarm(
    scope: Construct, id: str, metric: cloudwatch.Metric, *, description: str, action: cloudwatch.IAlarmAction
) -> cloudwatch.Alarm:
    """An alarm on the first counted event (>= 1 in one period of ``metric``) that notifies ``action``.

    Missing data never alarms. The description is cut to PutMetricAlarm's AlarmDescription maximum of
    1,024 characters (botocore cloudwatch model).
    """
    alarm = metric.create_alarm(
        scope,
        id,
        threshold=1,
        evaluation_periods=1,
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        alarm_description=description[:1024],
    )
    alarm.add_alarm_action(action)
    return alarm


def _id_suffix(region: str) -> str:
    """eu-central-1 -> EuCentral1 (stable construct IDs: renaming one replaces the resource)."""
    return "".join(part.capitalize() for part in region.split("-"))
