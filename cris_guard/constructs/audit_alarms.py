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
``DeleteTrail`` / ``UpdateTrail`` / ``PutEventSelectors`` on any trail. The trail calls are not
filtered by caller: a CloudFormation deployment of cris-guard that changes the trail also fires the
alarm, which then doubles as a change notification.

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
DIMENSION_SOURCE_REGION = "SourceRegion"

# CloudWatch Logs limit on a filter pattern (AWS::Logs::MetricFilter FilterPattern maxLength).
MAX_FILTER_PATTERN_LENGTH = 1024
# Length assumed for an IAM role ARN that is still a token at synth time: "arn:aws:iam::" + 12 digits +
# ":role/" + a name of at most 64 characters, with room for a partition suffix and a short path.
_ASSUMED_ROLE_ARN_LENGTH = 130

INFERENCE_EVENT_NAMES = ("InvokeModel", "InvokeModelWithResponseStream", "Converse", "ConverseStream")
LOGGING_CONFIGURATION_EVENT_NAMES = (
    "PutModelInvocationLoggingConfiguration",
    "DeleteModelInvocationLoggingConfiguration",
)
TRAIL_TAMPERING_EVENT_NAMES = ("StopLogging", "DeleteTrail", "UpdateTrail", "PutEventSelectors")

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


def trail_tampering_pattern() -> str:
    """Calls that stop or change a CloudTrail trail."""
    return (
        '{ ($.eventSource = "cloudtrail.amazonaws.com") && '
        + _any_of("$.eventName", TRAIL_TAMPERING_EVENT_NAMES)
        + " }"
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

    Attributes: ``residency_filters`` / ``residency_alarms`` (dicts keyed by source Region),
    ``logging_configuration_filter`` / ``_alarm``, ``trail_tampering_filter`` / ``_alarm``,
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
    ) -> None:
        super().__init__(scope, id)
        if not re.match(r"^[0-9A-Za-z.\-_/#]{1,255}$", metric_namespace) or metric_namespace.startswith("AWS/"):
            raise ValueError(
                f"metric_namespace {metric_namespace!r} is invalid; use up to 255 of letters, digits and . - _ / #, "
                "not starting with 'AWS/'"
            )
        self.allowed_destinations = validate_allowed_destinations(allowed_destinations)
        self.metric_namespace = metric_namespace
        self._alert_action = cw_actions.SnsAction(alert_topic)
        self.alarms: list[cloudwatch.Alarm] = []
        self.residency_filters: dict[str, logs.MetricFilter] = {}
        self.residency_alarms: dict[str, cloudwatch.Alarm] = {}

        for source, allowed in self.allowed_destinations.items():
            suffix = _id_suffix(source)
            self.residency_filters[source] = logs.MetricFilter(
                self,
                f"Residency{suffix}Filter",
                log_group=log_group,
                filter_pattern=logs.FilterPattern.literal(residency_violation_pattern(source, allowed)),
                metric_namespace=metric_namespace,
                metric_name=METRIC_RESIDENCY_VIOLATIONS,
                metric_value="1",
                # A dimension value comes from the event; the filter only matches awsRegion == source.
                # (CloudWatch does not allow a default value together with dimensions.)
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

        role_arns = [role.role_arn for role in trusted_logging_configuration_roles]
        self.logging_configuration_filter = logs.MetricFilter(
            self,
            "LoggingConfigurationChangeFilter",
            log_group=log_group,
            filter_pattern=logs.FilterPattern.literal(logging_configuration_change_pattern(role_arns)),
            metric_namespace=metric_namespace,
            metric_name=METRIC_LOGGING_CONFIGURATION_CHANGES,
            metric_value="1",
            default_value=0,
        )
        self.logging_configuration_alarm = self._alarm(
            "LoggingConfigurationChangeAlarm",
            self.metric_logging_configuration_changes(),
            "cris-guard: the Bedrock model invocation logging configuration was changed or deleted "
            + ("by a principal other than cris-guard" if role_arns else "(any caller)")
            + ". Invocations may no longer be recorded where auditors expect.",
        )
        self.trail_tampering_filter = logs.MetricFilter(
            self,
            "TrailTamperingFilter",
            log_group=log_group,
            filter_pattern=logs.FilterPattern.literal(trail_tampering_pattern()),
            metric_namespace=metric_namespace,
            metric_name=METRIC_TRAIL_CONFIGURATION_CHANGES,
            metric_value="1",
            default_value=0,
        )
        self.trail_tampering_alarm = self._alarm(
            "TrailTamperingAlarm",
            self.metric_trail_configuration_changes(),
            "cris-guard: a CloudTrail trail was stopped, deleted or changed (StopLogging, DeleteTrail, "
            "UpdateTrail or PutEventSelectors). Expected during a cris-guard deployment that changes the "
            "trail; otherwise investigate.",
        )
        self.ungoverned_region_filter: logs.MetricFilter | None = None
        self.ungoverned_region_alarm: cloudwatch.Alarm | None = None
        if alarm_on_ungoverned_regions:
            self.ungoverned_region_filter = logs.MetricFilter(
                self,
                "UngovernedRegionFilter",
                log_group=log_group,
                filter_pattern=logs.FilterPattern.literal(
                    ungoverned_region_invocation_pattern(list(self.allowed_destinations))
                ),
                metric_namespace=metric_namespace,
                metric_name=METRIC_UNGOVERNED_REGION_INVOCATIONS,
                metric_value="1",
                default_value=0,
            )
            self.ungoverned_region_alarm = self._alarm(
                "UngovernedRegionAlarm",
                self.metric_ungoverned_region_invocations(),
                "cris-guard: Bedrock inference was called in a Region that cris-guard does not govern "
                f"(governed: {sorted(self.allowed_destinations)}); that call ran outside the residency rules.",
            )

    def _alarm(self, id: str, metric: cloudwatch.Metric, description: str) -> cloudwatch.Alarm:
        alarm = metric.create_alarm(
            self,
            id,
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=description[:1024],
        )
        alarm.add_alarm_action(self._alert_action)
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

    def metric_ungoverned_region_invocations(self, **options: Any) -> cloudwatch.Metric:
        """Inference calls recorded in Regions that are not governed (Sum over 5 minutes)."""
        return self._metric(METRIC_UNGOVERNED_REGION_INVOCATIONS, None, options)


def _id_suffix(region: str) -> str:
    """eu-central-1 -> EuCentral1 (stable construct IDs: renaming one replaces the resource)."""
    return "".join(part.capitalize() for part in region.split("-"))
