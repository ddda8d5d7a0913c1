"""``BedrockDashboard``: one source Region's Bedrock dashboard and alarms.

Composes the metric factory, widget builders and alarm factory of :mod:`cris_guard.monitoring`.
How it scales to thousands of application profiles, and why, is in
:mod:`cris_guard.monitoring.widgets` and docs/observability.md; :func:`plan_dashboard` /
:func:`dashboard_widget_count` compute the size without building anything.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_sns as sns
from constructs import Construct

from cris_guard.monitoring import widgets as w
from cris_guard.monitoring.alarms import AlarmThresholdsLike, BedrockAlarmFactory, BedrockAlarmThresholds
from cris_guard.monitoring.metrics import BedrockMetricFactory, ModelKind, classify_model_id, is_token
from cris_guard.monitoring.widgets import (
    DEFAULT_MAX_APPLICATION_PROFILE_ROWS,
    DEFAULT_MAX_BODY_BYTES,
    DashboardPlan,
    dashboard_widget_count,
    plan_dashboard,
)
from cris_guard.regions import is_region_code

__all__ = [
    "BedrockDashboard",
    "DashboardLimitError",
    "DashboardPlan",
    "ModelKind",
    "MonitoredModel",
    "dashboard_widget_count",
    "plan_dashboard",
]

_DASHBOARD_NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
_LABEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._:()+@/-]{0,99}$")


class DashboardLimitError(ValueError):
    """The dashboard would break a CloudWatch or CloudFormation limit; the message says which and how to fix it."""


@dataclass(frozen=True)
class MonitoredModel:
    """One thing to monitor: a label for people and the ``ModelId`` callers use.

    ``model_id`` may be a CDK token, e.g. ``CfnApplicationInferenceProfile.attr_inference_profile_id``.
    ``kind`` defaults to what :func:`~cris_guard.monitoring.metrics.classify_model_id` infers (a token
    is an application profile). ``label`` titles the model's widgets and names its alarms; it may
    contain tokens, except where ``model_id`` is a token too and the model gets alarms (the alarms'
    construct IDs are then taken from the label).
    """

    label: str
    model_id: str
    kind: ModelKind | None = None

    def resolved_kind(self) -> ModelKind:
        return self.kind or classify_model_id(self.model_id)


class BedrockDashboard(Construct):
    """A CloudWatch dashboard for one source Region plus per-profile alarms to ``alert_topic``.

    Sections, top to bottom: title; alarm status; audit (invocation-log delivery, the residency-
    violation metric, a Logs Insights table of CloudTrail calls by ``inferenceRegion``); Region
    overview (top ModelIds per metric over every ModelId); one row per approved profile; one row per
    application profile while there are at most ``max_application_profile_rows`` of them.

    Every Bedrock widget is pinned to ``source_region``; the stack must be deployed to that Region
    (alarms can only watch their own Region's metrics: aws-cdk-lib's ``Alarm`` refuses a metric pinned to
    another Region, "Cannot create an Alarm in region ..."). Alarms are created for every model that is not
    an application profile (3 each): alarms per application profile would not scale (CloudFormation's
    500 resources per stack).

    Props:
        source_region: the Region callers call Bedrock in, e.g. ``"eu-central-1"``.
        dashboard_name: dashboards are global per account, so include the Region, e.g.
            ``"acme-genai-eu-central-1"`` (1-255 of ``A-Za-z0-9_-``). Also prefixes alarm names.
        models: approved profiles and application profiles to monitor, in display order.
        alert_topic: every alarm's action.
        thresholds: default: :class:`BedrockAlarmThresholds` (5 %, 5 server errors per 5 minutes,
            30,000 ms) - the configuration's defaults.
        residency_metric: e.g. ``AuditAlarms.metric_residency_violations(source_region)``; default: no
            residency widget.
        trail_log_group_name: the CloudTrail log group, as a plain name when it lives in another Region
            (CDK cannot reference across Regions); default: no Logs Insights widget.
        trail_log_group_region: where that log group lives (the trail's home Region); the Logs Insights
            widget and the residency widget (whose metric filter is on that log group) use it;
            default: ``source_region``.
        max_application_profile_rows: default :data:`DEFAULT_MAX_APPLICATION_PROFILE_ROWS`.
        max_body_bytes: budget for the dashboard body; default :data:`DEFAULT_MAX_BODY_BYTES`.

    Attributes: ``dashboard``, ``alarms``, ``metrics`` (the factory), ``plan``, ``widgets``.
    Raises :class:`DashboardLimitError` when a limit would be broken, ``ValueError`` for bad props.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        source_region: str,
        dashboard_name: str,
        models: Sequence[MonitoredModel],
        alert_topic: sns.ITopic,
        thresholds: AlarmThresholdsLike | None = None,
        residency_metric: cloudwatch.IMetric | None = None,
        trail_log_group_name: str | None = None,
        trail_log_group_region: str | None = None,
        max_application_profile_rows: int = DEFAULT_MAX_APPLICATION_PROFILE_ROWS,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    ) -> None:
        super().__init__(scope, id)
        try:
            self.metrics = BedrockMetricFactory(source_region)
        except ValueError as exc:
            raise ValueError(f"BedrockDashboard source_region: {exc}") from None
        self._check_props(source_region, dashboard_name, alert_topic, trail_log_group_name, trail_log_group_region)
        limits = BedrockAlarmThresholds.of(thresholds)
        kinds = _check_models(models)
        profiles = [(model, kind) for model, kind in zip(models, kinds) if kind is not ModelKind.APPLICATION_PROFILE]
        applications = [(model, kind) for model, kind in zip(models, kinds) if kind is ModelKind.APPLICATION_PROFILE]

        self.plan: DashboardPlan = plan_dashboard(
            profiles=len(profiles),
            application_profiles=len(applications),
            has_residency_metric=residency_metric is not None,
            has_trail_log_group=trail_log_group_name is not None,
            max_application_profile_rows=max_application_profile_rows,
        )
        if self.plan.problems:
            raise DashboardLimitError("; ".join(self.plan.problems))

        # Named steps: the alarms first (their construct IDs are a contract), then the widget rows top to
        # bottom, then the dashboard (construct ID ``Resource``).
        self._build_alarms(profiles, alert_topic, dashboard_name, limits)
        rows: list[list[cloudwatch.IWidget]] = [self._title_row(source_region, limits, profiles, applications)]
        if self.alarms:
            rows.append(list(w.alarm_status_widgets(self.alarms)))
        rows.append(self._audit_row(source_region, residency_metric, trail_log_group_name, trail_log_group_region))
        rows += self._model_rows(source_region, profiles, applications, max_application_profile_rows)

        self.widgets: list[cloudwatch.IWidget] = [widget for row in rows for widget in row]
        self._check_built_widgets(max_body_bytes)
        self.dashboard = cloudwatch.Dashboard(self, "Resource", dashboard_name=dashboard_name, widgets=rows)

    def _check_props(self, source_region: str, dashboard_name: str, alert_topic: sns.ITopic | None,
                     trail_log_group_name: str | None, trail_log_group_region: str | None) -> None:
        self._check_stack_region(source_region)
        _check_dashboard_name(dashboard_name)
        if alert_topic is None:
            raise ValueError("alert_topic is required: cris-guard creates no alarm without an action")
        if trail_log_group_region is not None and trail_log_group_name is None:
            raise ValueError("trail_log_group_region was given without trail_log_group_name; pass both or neither")
        if trail_log_group_region is not None and not is_token(trail_log_group_region) and not is_region_code(trail_log_group_region):
            raise ValueError(
                f"trail_log_group_region {trail_log_group_region!r} is not a known Region code; pass the trail's"
                " home Region, e.g. 'eu-central-1'"
            )

    def _build_alarms(self, profiles, alert_topic: sns.ITopic, dashboard_name: str, limits) -> None:
        # Alarms: one child construct per profile, ID = the profile ID (a stable contract: renaming
        # it replaces the alarms), or the label where the ID is a token.
        alarm_scope = Construct(self, "Alarms")
        alarm_factory = BedrockAlarmFactory(
            alarm_scope, metrics=self.metrics, alert_topic=alert_topic, name_prefix=dashboard_name
        )
        for model, kind in profiles:
            child = Construct(alarm_scope, model.label if is_token(model.model_id) else model.model_id)
            alarm_factory.alarms_for_model(child, label=model.label, model_id=model.model_id, thresholds=limits, kind=kind)
        self.alarms: list[cloudwatch.Alarm] = list(alarm_factory.alarms)

    def _title_row(self, source_region: str, limits, profiles, applications) -> list[cloudwatch.IWidget]:
        return [
            w.title_widget(
                source_region=source_region,
                throttle_rate_percent=limits.throttle_rate_percent,
                server_errors_per_5_minutes=limits.server_errors_per_5_minutes,
                p99_latency_ms=limits.p99_latency_ms,
                profiles=len(profiles),
                application_profiles=len(applications),
            )
        ]

    def _audit_row(self, source_region: str, residency_metric: cloudwatch.IMetric | None,
                   trail_log_group_name: str | None, trail_log_group_region: str | None) -> list[cloudwatch.IWidget]:
        """Invocation-log delivery, the residency-violation metric and the inferenceRegion table, side by side."""
        audit_count = 1 + (residency_metric is not None) + (trail_log_group_name is not None)
        audit_width = w.GRID_WIDTH // audit_count
        audit: list[cloudwatch.IWidget] = [w.invocation_log_delivery_widget(self.metrics, width=audit_width)]
        if residency_metric is not None:
            # The audit issue's metric filter sits on the trail's log group, so CloudWatch publishes the
            # metric in that log group's Region (the trail's home Region), not in every source Region.
            residency_region = trail_log_group_region or source_region
            audit.append(w.residency_widget(residency_metric, region=residency_region, width=audit_width))
        if trail_log_group_name is not None:
            audit.append(
                w.inference_region_widget(
                    log_group_name=trail_log_group_name,
                    log_group_region=trail_log_group_region or source_region,
                    source_region=source_region,
                    width=audit_width,
                )
            )
        return audit

    def _model_rows(self, source_region: str, profiles, applications,
                    max_application_profile_rows: int) -> list[list[cloudwatch.IWidget]]:
        """The Region overview, one row per approved profile, and the application-profile rows."""
        rows: list[list[cloudwatch.IWidget]] = []
        rows.append(
            [
                w.section_header(
                    f"## Region overview: every ModelId in {source_region}\n"
                    f"Metrics Insights, top {w.OVERVIEW_TOP_N} ModelIds per metric, whatever ModelId value CloudWatch"
                    " records and however many application profiles exist. Latencies are averages here;"
                    " percentiles are in the per-profile rows."
                ),
                *w.region_overview_widgets(self.metrics),
            ]
        )
        if profiles:
            rows.append(
                [
                    w.section_header(
                        "## Approved inference profiles\nOne row per profile; each line SEARCHes every candidate"
                        " ModelId (profile ID and foundation-model ID; UNCONFIRMED which CloudWatch records)."
                    )
                ]
            )
            for model, kind in profiles:
                rows.append(list(w.model_widgets(self.metrics, label=model.label, model_id=model.model_id, kind=kind)))
        if applications and self.plan.application_profile_rows:
            header = (
                "## Application inference profiles\nOne row per application profile; each line SEARCHes the"
                " profile ID and its ARN (UNCONFIRMED which CloudWatch records)."
            )
            rows.append([w.section_header(header)])
            for model, kind in applications:
                rows.append(list(w.model_widgets(self.metrics, label=model.label, model_id=model.model_id, kind=kind)))
        elif applications:
            header = (
                f"## Application inference profiles: {len(applications)}\nMore than {max_application_profile_rows},"
                " so they have no rows of their own (CloudWatch allows 500 widgets and 2,500 metrics per"
                " dashboard): find them by ModelId in the Region overview above."
            )
            rows.append([w.section_header(header)])
        return rows

    def _check_stack_region(self, source_region: str) -> None:
        stack_region = cdk.Stack.of(self).region
        if is_token(stack_region):
            raise ValueError(
                f"BedrockDashboard for {source_region!r} is in an environment-agnostic stack; alarms watch only"
                f" their own Region's metrics, so give the stack env=Environment(region={source_region!r})"
            )
        if stack_region != source_region:
            raise ValueError(
                f"BedrockDashboard for {source_region!r} is in a stack for {stack_region!r}; alarms watch only"
                " their own Region's metrics, so create it in the source Region's stack"
            )

    def _check_built_widgets(self, max_body_bytes: int) -> None:
        problems: list[str] = []
        body: list[dict] = []
        stack = cdk.Stack.of(self)
        for widget in self.widgets:
            for item in stack.resolve(widget.to_json()):
                body.append(item)
                metrics = item.get("properties", {}).get("metrics", [])
                searches = sum(1 for entry in metrics if "SEARCH(" in json.dumps(entry))
                title = item.get("properties", {}).get("title", item.get("type"))
                if len(metrics) > w.MAX_METRICS_PER_WIDGET:
                    problems.append(f"widget {title!r} has {len(metrics)} metrics, over {w.MAX_METRICS_PER_WIDGET}")
                if searches > w.MAX_SEARCH_EXPRESSIONS_PER_WIDGET:
                    problems.append(f"widget {title!r} has {searches} SEARCH expressions, over {w.MAX_SEARCH_EXPRESSIONS_PER_WIDGET}")
        if len(body) != self.plan.widget_count:  # the plan is what benchmarks print: keep it honest
            raise AssertionError(f"built {len(body)} widgets but plan_dashboard() says {self.plan.widget_count}")
        size = len(json.dumps({"widgets": body}, separators=(",", ":")))
        if size > max_body_bytes:
            problems.append(
                f"the dashboard body is about {size} bytes, over the {max_body_bytes}-byte budget (it is inline in"
                " the stack template); lower max_application_profile_rows or raise max_body_bytes"
            )
        if problems:
            raise DashboardLimitError("; ".join(problems))


def _check_dashboard_name(name: str) -> None:
    if is_token(name):
        return
    if not _DASHBOARD_NAME.match(name):
        raise ValueError(f"dashboard_name {name!r} is invalid; use 1-255 of A-Z, a-z, 0-9, '-' and '_'")


def _check_models(models: Sequence[MonitoredModel]) -> list[ModelKind]:
    kinds: list[ModelKind] = []
    labels: set[str] = set()
    ids: set[str] = set()
    for i, model in enumerate(models):
        where = f"models[{i}]"
        if not isinstance(model, MonitoredModel):
            raise TypeError(f"{where} is a {type(model).__name__}; pass MonitoredModel(label=..., model_id=...)")
        if not is_token(model.label) and not _LABEL.match(model.label):
            raise ValueError(
                f"{where}.label {model.label!r} is invalid; use 1-100 letters, digits, spaces and . _ : ( ) + @ / -,"
                " starting with a letter or digit"
            )
        if model.label in labels:
            raise ValueError(f"{where}.label {model.label!r} is used twice; give each model a unique label")
        labels.add(model.label)
        if model.model_id in ids:
            raise ValueError(f"{where}.model_id {model.model_id!r} is listed twice; list each model once")
        ids.add(model.model_id)
        try:
            kind = model.resolved_kind()
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None
        if kind is not ModelKind.APPLICATION_PROFILE and is_token(model.model_id) and is_token(model.label):
            raise ValueError(
                f"{where}: label and model_id are both tokens, but this model's alarms need a stable construct ID;"
                " pass a plain label"
            )
        kinds.append(kind)
    return kinds
