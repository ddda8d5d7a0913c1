"""How cris-guard shows Bedrock metrics: widget builders and the dashboard's size plan.

Second part of the metric-factory / widgets / alarm-factory split (style.md). Each builder takes a
:class:`~cris_guard.monitoring.metrics.BedrockMetricFactory` and plain values and returns CloudWatch
widgets pinned to the factory's Region; nothing here creates a resource.

How the dashboard scales (the decision, also in docs/observability.md):

- **Approved profiles** (system-defined profiles, at most 19 in the EU catalog) get one row each:
  requests and errors, latency p50/p90/p99, time to first token p50/p90/p99, tokens and estimated TPM
  quota usage. Each line is a ``SEARCH`` over every candidate ``ModelId`` value (UNCONFIRMED which
  one CloudWatch records).
- **Application profiles** get the same row each while there are at most
  ``max_application_profile_rows`` of them in the Region (default
  :data:`DEFAULT_MAX_APPLICATION_PROFILE_ROWS`). Above that (200 applications x 19 profiles can mean
  thousands) they get no rows: per-profile rows would break CloudWatch's 500 widgets and 2,500 metrics
  per dashboard and the CloudFormation template size. They remain visible, labelled by ``ModelId``,
  in the **Region overview**: Metrics Insights queries over *every* ModelId in the Region, top
  :data:`OVERVIEW_TOP_N` per metric, which is constant in size whatever the number of profiles.
- The widget count is therefore ``constant + 4 x rows``; :func:`plan_dashboard` computes it (and the
  worst-case metric count) without building anything, so a benchmark can print it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import aws_cloudwatch as cloudwatch

from cris_guard.monitoring import metrics as m
from cris_guard.monitoring.metrics import BedrockMetricFactory, ModelKind

# CloudWatch limits (CloudWatch user guide: CloudWatch-Dashboard-Body-Structure, cloudwatch_limits,
# search-expression-syntax; cris-facts §7). 2,500 metrics per dashboard is in the AWS quotas page;
# cris-facts lists it as secondary, so it is checked as a budget, not trusted as exact.
MAX_WIDGETS_PER_DASHBOARD = 500
MAX_METRICS_PER_WIDGET = 500
MAX_METRICS_PER_DASHBOARD = 2500
MAX_SEARCH_EXPRESSIONS_PER_WIDGET = 100
MAX_ALARMS_PER_ALARM_WIDGET = 100
# The DashboardBody size limit is UNCONFIRMED (cris-facts §7). The body is inline in the stack's
# template (1 MB from S3, shared with every other resource), so cris-guard budgets 256 KB for it.
DEFAULT_MAX_BODY_BYTES = 256_000

GRID_WIDTH = 24
MODEL_WIDGET_WIDTH = 6
MODEL_WIDGET_HEIGHT = 6
WIDGETS_PER_MODEL = 4
OVERVIEW_WIDGET_WIDTH = 8
OVERVIEW_WIDGET_HEIGHT = 6
OVERVIEW_TOP_N = 10
AUDIT_WIDGET_HEIGHT = 6
SECTION_HEADER_HEIGHT = 2
DEFAULT_MAX_APPLICATION_PROFILE_ROWS = 10
ALARMS_PER_MODEL = 3
# SEARCH expressions per model row: requests 4, latency 3, TTFT 3, tokens+quota 3.
SEARCHES_PER_MODEL = 13

# (metric, Metrics Insights function, title) per overview widget; MI has no percentiles.
OVERVIEW_QUERIES: tuple[tuple[str, str, str], ...] = (
    (m.INVOCATIONS, "SUM", "Invocations"),
    (m.INVOCATION_THROTTLES, "SUM", "Throttles"),
    (m.INVOCATION_CLIENT_ERRORS, "SUM", "Client errors"),
    (m.INVOCATION_SERVER_ERRORS, "SUM", "Server errors"),
    (m.INVOCATION_LATENCY, "AVG", "Latency, average (ms)"),
    (m.TIME_TO_FIRST_TOKEN, "AVG", "Time to first token, average (ms)"),
    (m.INPUT_TOKEN_COUNT, "SUM", "Input tokens"),
    (m.OUTPUT_TOKEN_COUNT, "SUM", "Output tokens"),
    (m.ESTIMATED_TPM_QUOTA_USAGE, "SUM", "Estimated TPM quota usage (tokens/min)"),
)
OVERVIEW_WIDGETS = len(OVERVIEW_QUERIES)

INFERENCE_REGION_EVENTS = ("InvokeModel", "InvokeModelWithResponseStream", "Converse", "ConverseStream")


# -- the plan (pure) --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DashboardPlan:
    """What one Region's dashboard will contain, computed from counts alone."""

    profiles: int
    application_profiles: int
    application_profile_rows: bool
    widget_count: int
    alarm_count: int
    max_metrics_per_widget: int
    max_search_expressions_per_widget: int
    worst_case_metrics: int
    problems: tuple[str, ...]

    @property
    def within_limits(self) -> bool:
        return not self.problems


def plan_dashboard(
    *,
    profiles: int,
    application_profiles: int,
    has_residency_metric: bool = True,
    has_trail_log_group: bool = True,
    max_application_profile_rows: int = DEFAULT_MAX_APPLICATION_PROFILE_ROWS,
    candidates_per_model: int = 2,
) -> DashboardPlan:
    """The widget count and worst-case metric count of a dashboard, without building it.

    ``profiles`` counts approved system-defined profiles (and any foundation models) - each gets a
    row and :data:`ALARMS_PER_MODEL` alarms; ``application_profiles`` counts application inference
    profiles in the Region - each gets a row only while there are at most
    ``max_application_profile_rows`` of them. ``candidates_per_model`` is how many ModelId values each
    per-profile ``SEARCH`` can match (2: see :func:`~cris_guard.monitoring.metrics.model_id_candidates`).
    """
    counts = {"profiles": profiles, "application_profiles": application_profiles, "max_application_profile_rows": max_application_profile_rows}
    negative = [f"{name}={value}" for name, value in counts.items() if value < 0]
    if negative:
        raise ValueError(f"{', '.join(negative)}: counts must not be negative; pass 0 or more")
    app_rows = application_profiles <= max_application_profile_rows
    rows = profiles + (application_profiles if app_rows else 0)
    alarms = ALARMS_PER_MODEL * profiles

    widgets = 1  # title
    widgets += math.ceil(alarms / MAX_ALARMS_PER_ALARM_WIDGET)
    widgets += 1 + int(has_residency_metric) + int(has_trail_log_group)  # audit row
    widgets += 1 + OVERVIEW_WIDGETS  # section header + overview
    if profiles:
        widgets += 1 + WIDGETS_PER_MODEL * profiles
    if application_profiles:
        widgets += 1 + (WIDGETS_PER_MODEL * application_profiles if app_rows else 0)

    per_widget = [len(m.LOG_DELIVERY_METRIC_NAMES), 1]
    searches_per_widget = 0
    if rows:
        per_widget.append(4)  # the requests widget: 4 SEARCH expressions
        searches_per_widget = 4
    worst = (
        SEARCHES_PER_MODEL * candidates_per_model * rows
        + OVERVIEW_WIDGETS * OVERVIEW_TOP_N
        + len(m.LOG_DELIVERY_METRIC_NAMES)
        + int(has_residency_metric)
    )

    problems: list[str] = []
    if widgets > MAX_WIDGETS_PER_DASHBOARD:
        problems.append(
            f"the dashboard would have {widgets} widgets, over CloudWatch's {MAX_WIDGETS_PER_DASHBOARD}"
            f" ({profiles} profile rows and {application_profiles if app_rows else 0} application-profile rows"
            f" of {WIDGETS_PER_MODEL}); lower max_application_profile_rows or monitor fewer profiles per Region"
        )
    if worst > MAX_METRICS_PER_DASHBOARD:
        problems.append(
            f"the dashboard could retrieve up to {worst} metrics, over CloudWatch's {MAX_METRICS_PER_DASHBOARD}"
            f" per dashboard ({rows} rows x {SEARCHES_PER_MODEL} SEARCH expressions x {candidates_per_model}"
            " candidate ModelIds); lower max_application_profile_rows or monitor fewer profiles per Region"
        )
    return DashboardPlan(
        profiles=profiles,
        application_profiles=application_profiles,
        application_profile_rows=app_rows,
        widget_count=widgets,
        alarm_count=alarms,
        max_metrics_per_widget=max(per_widget),
        max_search_expressions_per_widget=searches_per_widget,
        worst_case_metrics=worst,
        problems=tuple(problems),
    )


def dashboard_widget_count(
    *,
    profiles: int,
    application_profiles: int,
    has_residency_metric: bool = True,
    has_trail_log_group: bool = True,
    max_application_profile_rows: int = DEFAULT_MAX_APPLICATION_PROFILE_ROWS,
) -> int:
    """Number of widgets :class:`~cris_guard.constructs.dashboard.BedrockDashboard` builds (for benchmarks)."""
    return plan_dashboard(
        profiles=profiles,
        application_profiles=application_profiles,
        has_residency_metric=has_residency_metric,
        has_trail_log_group=has_trail_log_group,
        max_application_profile_rows=max_application_profile_rows,
    ).widget_count


# -- widget builders --------------------------------------------------------------------------------


def section_header(markdown: str) -> cloudwatch.TextWidget:
    return cloudwatch.TextWidget(markdown=markdown, width=GRID_WIDTH, height=SECTION_HEADER_HEIGHT)


def title_widget(
    *,
    source_region: str,
    throttle_rate_percent: float,
    server_errors_per_5_minutes: int,
    p99_latency_ms: int,
    profiles: int,
    application_profiles: int,
) -> cloudwatch.TextWidget:
    markdown = "\n".join(
        (
            f"# Amazon Bedrock in {source_region}",
            f"Bedrock widgets are pinned to the source Region **{source_region}**: CloudWatch and CloudTrail record"
            " a cross-Region inference call where it was made, not where it was processed.",
            f"{profiles} approved profile(s), {application_profiles} application profile(s). **Which ModelId"
            " CloudWatch records for a profile call is UNCONFIRMED**: per-profile graphs SEARCH every candidate"
            " value (profile ID and foundation-model ID; application-profile ID and ARN), the overview queries"
            " every ModelId. See docs/observability.md.",
            f"Alarms per approved profile, to the alert topic: throttle rate > {throttle_rate_percent:g} %,"
            f" server errors >= {server_errors_per_5_minutes} per 5 min, p99 latency > {p99_latency_ms} ms.",
        )
    )
    return cloudwatch.TextWidget(markdown=markdown, width=GRID_WIDTH, height=4)


def alarm_status_widgets(alarms: Sequence[cloudwatch.IAlarm]) -> list[cloudwatch.AlarmStatusWidget]:
    """One status widget per 100 alarms (CloudWatch's limit per alarm widget); none without alarms."""
    chunks = [alarms[i : i + MAX_ALARMS_PER_ALARM_WIDGET] for i in range(0, len(alarms), MAX_ALARMS_PER_ALARM_WIDGET)]
    return [
        cloudwatch.AlarmStatusWidget(
            alarms=list(chunk),
            title="Alarms" if len(chunks) == 1 else f"Alarms ({n + 1}/{len(chunks)})",
            width=GRID_WIDTH,
            height=min(2 + math.ceil(len(chunk) / 6), 12),
            sort_by=cloudwatch.AlarmStatusWidgetSortBy.STATE_UPDATED_TIMESTAMP,
        )
        for n, chunk in enumerate(chunks)
    ]


def invocation_log_delivery_widget(metrics: BedrockMetricFactory, *, width: int) -> cloudwatch.GraphWidget:
    """The six ``ModelInvocation*Delivery*`` metrics; failures on the right axis so they stand out."""
    delivery = metrics.log_delivery_metrics()
    return cloudwatch.GraphWidget(
        title="Invocation-log delivery (success left, failure right)",
        region=metrics.region,
        left=[delivery[0], delivery[2], delivery[4]],
        right=[delivery[1], delivery[3], delivery[5]],
        width=width,
        height=AUDIT_WIDGET_HEIGHT,
    )


def residency_widget(metric: cloudwatch.IMetric, *, region: str, width: int) -> cloudwatch.GraphWidget:
    """The audit issue's residency-violation metric; any value above zero is a finding."""
    return cloudwatch.GraphWidget(
        title="Residency violations (inference outside the EU)",
        region=region,
        left=[metric],
        left_annotations=[cloudwatch.HorizontalAnnotation(value=1, label="any violation", color=cloudwatch.Color.RED)],
        width=width,
        height=AUDIT_WIDGET_HEIGHT,
    )


def inference_region_query_lines(source_region: str) -> list[str]:
    """Logs Insights query: Bedrock inference calls made in ``source_region``, counted by the Region
    that processed them (``additionalEventData.inferenceRegion``, cris-facts §3)."""
    events = ", ".join(f'"{name}"' for name in INFERENCE_REGION_EVENTS)
    return [
        f'filter eventSource = "bedrock.amazonaws.com" and awsRegion = "{source_region}"',
        f"filter eventName in [{events}]",
        'fields coalesce(additionalEventData.inferenceRegion, "(not recorded)") as inferenceRegion',
        "stats count(*) as calls by inferenceRegion",
        "sort calls desc",
    ]


def inference_region_widget(
    *, log_group_name: str, log_group_region: str, source_region: str, width: int
) -> cloudwatch.LogQueryWidget:
    """The auditor's picture: where were this Region's Bedrock calls processed?"""
    return cloudwatch.LogQueryWidget(
        title=f"Bedrock calls from {source_region} by inferenceRegion (CloudTrail)",
        log_group_names=[log_group_name],
        region=log_group_region,
        query_lines=inference_region_query_lines(source_region),
        view=cloudwatch.LogQueryVisualizationType.TABLE,
        width=width,
        height=AUDIT_WIDGET_HEIGHT,
    )


def region_overview_widgets(metrics: BedrockMetricFactory, *, top_n: int = OVERVIEW_TOP_N) -> list[cloudwatch.GraphWidget]:
    """Top-``top_n`` ModelIds per metric over *every* ModelId in the Region (Metrics Insights).

    Shows data whatever ModelId value CloudWatch records and whatever the number of application
    profiles; Metrics Insights has no percentiles, so latencies here are averages.
    """
    return [
        cloudwatch.GraphWidget(
            title=f"{title}: top {top_n} ModelIds",
            region=metrics.region,
            left=[metrics.metrics_insights(metric_name, function, limit=top_n)],
            width=OVERVIEW_WIDGET_WIDTH,
            height=OVERVIEW_WIDGET_HEIGHT,
        )
        for metric_name, function, title in OVERVIEW_QUERIES
    ]


def model_widgets(
    metrics: BedrockMetricFactory, *, label: str, model_id: str, kind: ModelKind | None = None
) -> list[cloudwatch.GraphWidget]:
    """One row for one profile: requests and errors, latency, time to first token, tokens and quota."""

    def search(metric_name: str, line_label: str, **options):
        return metrics.search(metric_name, model_id, kind=kind, label=line_label, **options)

    def graph(title: str, left, right=None, **props) -> cloudwatch.GraphWidget:
        return cloudwatch.GraphWidget(
            title=f"{label}: {title}",
            region=metrics.region,
            left=left,
            right=right,
            width=MODEL_WIDGET_WIDTH,
            height=MODEL_WIDGET_HEIGHT,
            **props,
        )

    def percentiles(metric_name: str):
        return [search(metric_name, p, statistic=p) for p in ("p50", "p90", "p99")]

    return [
        graph(
            "requests",
            [
                search(m.INVOCATIONS, "Invocations"),
                search(m.INVOCATION_THROTTLES, "Throttles"),
                search(m.INVOCATION_CLIENT_ERRORS, "Client errors"),
                search(m.INVOCATION_SERVER_ERRORS, "Server errors"),
            ],
        ),
        graph("latency (ms)", percentiles(m.INVOCATION_LATENCY)),
        graph("time to first token (ms, streaming)", percentiles(m.TIME_TO_FIRST_TOKEN)),
        graph(
            "tokens (left) and est. TPM quota (right)",
            [search(m.INPUT_TOKEN_COUNT, "Input tokens"), search(m.OUTPUT_TOKEN_COUNT, "Output tokens")],
            [search(m.ESTIMATED_TPM_QUOTA_USAGE, "Est. quota tokens/min")],  # 1-minute period: m.default_period
        ),
    ]
