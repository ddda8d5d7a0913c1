"""Which Amazon Bedrock metrics cris-guard watches: the metric factory.

Follows the cdk-monitoring-constructs split (style.md): this module says *which* metrics exist and how
to address them; :mod:`cris_guard.monitoring.widgets` says how they are shown and
:mod:`cris_guard.monitoring.alarms` when to alarm. Nothing here creates a resource.

Facts this module depends on (cris-facts §5, [m] monitoring-runtime-metrics.html):

- Namespace ``AWS/Bedrock``; every runtime metric has the single dimension ``ModelId``; the
  invocation-log delivery metrics have no dimension ("Across all model IDs").
- A CRIS call is recorded in the **source** Region, so every metric here is pinned to one Region.
- **UNCONFIRMED: which ``ModelId`` value CloudWatch records** for a call through a system-defined
  inference profile (practitioners report the profile ID ``eu.anthropic...``; it could also be the
  foundation-model ID ``anthropic...``) or through an application inference profile (reported: the
  short profile ID; it could also be the profile ARN the caller passed, or the underlying profile's
  ID). :func:`model_id_candidates` lists every plausible value, and the ``search_*`` variants build a
  ``SEARCH`` expression that matches *any* of them exactly, so a graph shows data under either answer.
  The ``metric_*`` variants address exactly one value (alarms cannot use ``SEARCH``).

CloudWatch limits used here (CloudWatch user guide, search-expression-syntax and cloudwatch_limits):
a ``SEARCH`` query is at most 1,024 characters; a graph holds at most 100 ``SEARCH`` expressions and
500 metrics/time series. A Metrics Insights query returns at most 500 time series and processes at
most 10,000 metrics.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import Enum
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch

from cris_guard.cris_checks import application_inference_profile_arn
from cris_guard.regions import COMMERCIAL_REGIONS, NON_EU_PROFILE_PREFIXES

BEDROCK_NAMESPACE = "AWS/Bedrock"
MODEL_ID_DIMENSION = "ModelId"

# Official metric names ([m] monitoring-runtime-metrics.html).
INVOCATIONS = "Invocations"
INVOCATION_LATENCY = "InvocationLatency"
TIME_TO_FIRST_TOKEN = "TimeToFirstToken"
INPUT_TOKEN_COUNT = "InputTokenCount"
OUTPUT_TOKEN_COUNT = "OutputTokenCount"
INVOCATION_THROTTLES = "InvocationThrottles"
INVOCATION_CLIENT_ERRORS = "InvocationClientErrors"
INVOCATION_SERVER_ERRORS = "InvocationServerErrors"
ESTIMATED_TPM_QUOTA_USAGE = "EstimatedTPMQuotaUsage"

MODEL_INVOCATION_LOGS_S3_DELIVERY_SUCCESS = "ModelInvocationLogsS3DeliverySuccess"
MODEL_INVOCATION_LOGS_S3_DELIVERY_FAILURE = "ModelInvocationLogsS3DeliveryFailure"
MODEL_INVOCATION_LOGS_CLOUDWATCH_DELIVERY_SUCCESS = "ModelInvocationLogsCloudWatchDeliverySuccess"
MODEL_INVOCATION_LOGS_CLOUDWATCH_DELIVERY_FAILURE = "ModelInvocationLogsCloudWatchDeliveryFailure"
MODEL_INVOCATION_LARGE_DATA_S3_DELIVERY_SUCCESS = "ModelInvocationLargeDataS3DeliverySuccess"
MODEL_INVOCATION_LARGE_DATA_S3_DELIVERY_FAILURE = "ModelInvocationLargeDataS3DeliveryFailure"

LOG_DELIVERY_METRIC_NAMES: tuple[str, ...] = (
    MODEL_INVOCATION_LOGS_S3_DELIVERY_SUCCESS,
    MODEL_INVOCATION_LOGS_S3_DELIVERY_FAILURE,
    MODEL_INVOCATION_LOGS_CLOUDWATCH_DELIVERY_SUCCESS,
    MODEL_INVOCATION_LOGS_CLOUDWATCH_DELIVERY_FAILURE,
    MODEL_INVOCATION_LARGE_DATA_S3_DELIVERY_SUCCESS,
    MODEL_INVOCATION_LARGE_DATA_S3_DELIVERY_FAILURE,
)

# Default statistic per metric. Counts are summed; latencies default to Average (ask for "p99" etc.).
# EstimatedTPMQuotaUsage is an estimate of quota tokens per request, so its Sum over a 1-minute period
# is tokens per minute, the unit of the TPM quota (AWS ML blog, 2026-03: TTFT and estimated quota).
DEFAULT_STATISTIC: dict[str, str] = {
    INVOCATIONS: "Sum",
    INVOCATION_LATENCY: "Average",
    TIME_TO_FIRST_TOKEN: "Average",
    INPUT_TOKEN_COUNT: "Sum",
    OUTPUT_TOKEN_COUNT: "Sum",
    INVOCATION_THROTTLES: "Sum",
    INVOCATION_CLIENT_ERRORS: "Sum",
    INVOCATION_SERVER_ERRORS: "Sum",
    ESTIMATED_TPM_QUOTA_USAGE: "Sum",
    **{name: "Sum" for name in LOG_DELIVERY_METRIC_NAMES},
}
DEFAULT_PERIOD = cdk.Duration.minutes(5)
QUOTA_PERIOD = cdk.Duration.minutes(1)

SEARCH_MAX_CHARS = 1024
# Unresolved tokens are counted at this length when checking the 1,024-character SEARCH limit. An
# application profile ID is 12 characters and an account ID 12; 64 leaves room for anything else.
TOKEN_LENGTH_ESTIMATE = 64
METRICS_INSIGHTS_MAX_SERIES = 500

# Characters that would break out of the SEARCH quoting; a real model or profile ID never has them.
_SEARCH_UNSAFE = re.compile(r"[\"'\\()]")
_TOKEN = re.compile(r"\$\{Token\[[^\]]+\]\}")
# Every geographic and global profile prefix, each ending in ".": "eu." plus regions.py's others.
_PROFILE_PREFIXES = ("eu.", *NON_EU_PROFILE_PREFIXES)
_SYSTEM_PROFILE_ID = re.compile(r"^(?:" + "|".join(re.escape(p) for p in _PROFILE_PREFIXES) + r")[a-z0-9-]+\.\S+$")
_APP_PROFILE_ARN = re.compile(r"^arn:[a-z-]+:bedrock:[a-z0-9-]+:[0-9]{12}:application-inference-profile/([A-Za-z0-9]+)$")
_APP_PROFILE_ID = re.compile(r"^[a-z0-9]{12}$")
_FOUNDATION_MODEL_ID = re.compile(r"^[a-z0-9-]+\.[A-Za-z0-9.:_-]+$")
_METRIC_OPTIONS = {"account", "color", "label", "period", "statistic", "unit", "id", "visible", "region", "stack_account", "stack_region"}
_SEARCH_OPTIONS = {"color", "label", "period", "statistic"}


class ModelKind(str, Enum):
    """What a monitored ``ModelId`` refers to; decides which ``ModelId`` values CloudWatch may use."""

    SYSTEM_PROFILE = "system-profile"
    APPLICATION_PROFILE = "application-profile"
    FOUNDATION_MODEL = "foundation-model"


def is_token(value: str) -> bool:
    return cdk.Token.is_unresolved(value)


def classify_model_id(model_id: str) -> ModelKind:
    """The kind of ``model_id``; an unresolved token is an application profile's generated ID.

    Raises ``ValueError`` for a value that is none of: a geographic/global profile ID
    (``eu.anthropic...``), an application profile ID (12 lowercase alphanumerics) or ARN, or a
    foundation-model ID (``anthropic.claude...``).
    """
    if is_token(model_id):
        return ModelKind.APPLICATION_PROFILE
    if _SYSTEM_PROFILE_ID.match(model_id):
        return ModelKind.SYSTEM_PROFILE
    if _APP_PROFILE_ARN.match(model_id) or _APP_PROFILE_ID.match(model_id):
        return ModelKind.APPLICATION_PROFILE
    if _FOUNDATION_MODEL_ID.match(model_id):
        return ModelKind.FOUNDATION_MODEL
    raise ValueError(
        f"model_id {model_id!r} is not an inference profile ID (e.g. 'eu.amazon.nova-2-lite-v1:0'),"
        " an application inference profile ID or ARN, or a foundation-model ID; pass one of those"
    )


def model_id_candidates(model_id: str, kind: ModelKind | None = None, *, region: str) -> tuple[str, ...]:
    """Every ``ModelId`` value CloudWatch might record for calls to ``model_id`` (UNCONFIRMED which).

    - system profile ``eu.x.y``: the profile ID, and the foundation-model ID ``x.y``;
    - application profile: the short profile ID, and the profile ARN in ``region`` (callers invoke an
      application profile by its ARN). Whether calls through an application profile *also* appear
      under the underlying system profile's ID is UNCONFIRMED; if they do, the system profile's
      graphs and alarms include them;
    - foundation model: the ID itself.

    The first value is the one practitioners report (cris-facts §5).
    """
    kind = kind or classify_model_id(model_id)
    _check_searchable(model_id)
    if kind is ModelKind.SYSTEM_PROFILE:
        if is_token(model_id):
            return (model_id,)
        return (model_id, model_id.split(".", 1)[1])
    if kind is ModelKind.APPLICATION_PROFILE:
        if not is_token(model_id):
            arn = _APP_PROFILE_ARN.match(model_id)
            if arn:
                return (arn.group(1), model_id)
        arn_value = application_inference_profile_arn(
            partition=cdk.Aws.PARTITION, region=region, account=cdk.Aws.ACCOUNT_ID, profile_id=model_id
        )
        return (model_id, arn_value)
    return (model_id,)


def estimated_length(value: str) -> int:
    """Length of ``value`` once deployed, counting each unresolved token as ``TOKEN_LENGTH_ESTIMATE``."""
    tokens = _TOKEN.findall(value)
    return len(_TOKEN.sub("", value)) + TOKEN_LENGTH_ESTIMATE * len(tokens)


def search_expression(
    metric_name: str, candidates: Sequence[str] | None, *, statistic: str, period: cdk.Duration
) -> str:
    """``SEARCH('{AWS/Bedrock,ModelId} MetricName="X" (ModelId="a" OR ModelId="b")', 'stat', period)``.

    Exact-match terms (double quotes) so that ``eu.amazon.nova-lite`` does not also match
    ``eu.amazon.nova-lite-v2`` by token (CloudWatch search tokenization). ``candidates=None`` matches
    every ModelId in the Region. Raises ``ValueError`` beyond the 1,024-character query limit.
    """
    term = f'MetricName="{metric_name}"'
    if candidates:
        for value in candidates:
            _check_searchable(value)
        term += " (" + " OR ".join(f'ModelId="{value}"' for value in candidates) + ")"
    expression = (
        f"SEARCH('{{{BEDROCK_NAMESPACE},{MODEL_ID_DIMENSION}}} {term}', '{statistic}', {int(period.to_seconds())})"
    )
    length = estimated_length(expression)
    if length > SEARCH_MAX_CHARS:
        raise ValueError(
            f"the SEARCH expression for {metric_name} is about {length} characters, over CloudWatch's"
            f" {SEARCH_MAX_CHARS}-character limit: {expression[:120]}...; use a shorter model ID"
        )
    return expression


def metrics_insights_query(metric_name: str, function: str = "SUM", *, limit: int = 10) -> str:
    """A Metrics Insights query over *every* ModelId in the Region, top ``limit`` by ``function``.

    No ModelId filter, so it shows data whatever value CloudWatch records; ``ORDER BY ... LIMIT``
    keeps a Region with thousands of application profiles within the 500-series limit.
    """
    if function not in ("SUM", "AVG", "MAX", "MIN", "COUNT"):
        raise ValueError(f"Metrics Insights function {function!r} is not one of SUM, AVG, MAX, MIN, COUNT")
    if not 1 <= limit <= METRICS_INSIGHTS_MAX_SERIES:
        raise ValueError(f"limit {limit} must be 1-{METRICS_INSIGHTS_MAX_SERIES} (Metrics Insights returns at most 500 series)")
    return (
        f'SELECT {function}({metric_name}) FROM SCHEMA("{BEDROCK_NAMESPACE}", {MODEL_ID_DIMENSION})'
        f" GROUP BY {MODEL_ID_DIMENSION} ORDER BY {function}() DESC LIMIT {limit}"
    )


def default_period(metric_name: str) -> cdk.Duration:
    """5 minutes, but 1 minute for ``EstimatedTPMQuotaUsage`` so that its Sum reads as tokens per minute."""
    return QUOTA_PERIOD if metric_name == ESTIMATED_TPM_QUOTA_USAGE else DEFAULT_PERIOD


def _check_searchable(value: str) -> None:
    if not is_token(value) and _SEARCH_UNSAFE.search(value):
        raise ValueError(
            f"ModelId value {value!r} contains a quote, backslash or parenthesis, which no Bedrock model or"
            " profile ID has; pass the ID exactly as Bedrock returns it"
        )


class BedrockMetricFactory:
    """Bedrock runtime and invocation-logging metrics, every one pinned to ``region``.

    ``metric_<name>(model_id, **options)`` returns a :class:`aws_cdk.aws_cloudwatch.Metric` for exactly
    one ``ModelId`` value (use it in alarms); ``options`` are ``MetricOptions`` (``statistic``,
    ``period``, ``label``, ``color`` ...). ``search_<name>(model_id, **options)`` returns a
    :class:`aws_cdk.aws_cloudwatch.SearchExpression` that matches every candidate ``ModelId`` value of
    ``model_id`` (see :func:`model_id_candidates`), or every ModelId when ``model_id`` is ``None``.
    Defaults: statistic per :data:`DEFAULT_STATISTIC`, period per :func:`default_period`.

    The ``metric_<name>`` / ``search_<name>`` methods below are one line each on purpose: they are the
    documented API (style.md: ``metric_xxx(**options)`` named after the official metric), and spelled
    out they stay visible to readers, ``grep``, IDEs and type checkers, which a generated table would not.
    """

    def __init__(self, region: str) -> None:
        if is_token(region):
            raise ValueError("region is an unresolved token; pass the source Region as a plain string such as 'eu-central-1'")
        if region not in COMMERCIAL_REGIONS:
            raise ValueError(f"region {region!r} is not a known Region code; pass e.g. 'eu-central-1'")
        self._region = region

    @property
    def region(self) -> str:
        return self._region

    # -- helpers -------------------------------------------------------------------------------

    def candidates(self, model_id: str, kind: ModelKind | None = None) -> tuple[str, ...]:
        return model_id_candidates(model_id, kind, region=self._region)

    def metric(self, metric_name: str, model_id: str | None = None, **options: Any) -> cloudwatch.Metric:
        """Any ``AWS/Bedrock`` metric, with ``ModelId`` = ``model_id`` (no dimension when ``None``)."""
        unknown = set(options) - _METRIC_OPTIONS
        if unknown:
            raise TypeError(f"unexpected metric option(s) {sorted(unknown)}; use MetricOptions names such as statistic, period, label")
        region = options.pop("region", self._region)
        if region != self._region:
            raise ValueError(f"metrics from this factory are pinned to {self._region!r}; got region={region!r}")
        if model_id is not None and not is_token(model_id) and not model_id:
            raise ValueError("model_id must not be empty")
        options.setdefault("statistic", DEFAULT_STATISTIC.get(metric_name, "Sum"))
        options.setdefault("period", default_period(metric_name))
        return cloudwatch.Metric(
            namespace=BEDROCK_NAMESPACE,
            metric_name=metric_name,
            dimensions_map={MODEL_ID_DIMENSION: model_id} if model_id is not None else None,
            region=self._region,
            **options,
        )

    def search(
        self, metric_name: str, model_id: str | None = None, *, kind: ModelKind | None = None, **options: Any
    ) -> cloudwatch.SearchExpression:
        """``SEARCH`` for ``metric_name`` over every candidate ModelId of ``model_id`` (all when ``None``)."""
        unknown = set(options) - _SEARCH_OPTIONS
        if unknown:
            raise TypeError(f"unexpected search option(s) {sorted(unknown)}; use statistic, period, label or color")
        statistic = options.pop("statistic", DEFAULT_STATISTIC.get(metric_name, "Sum"))
        period = options.pop("period", default_period(metric_name))
        candidates = self.candidates(model_id, kind) if model_id is not None else None
        return cloudwatch.SearchExpression(
            expression=search_expression(metric_name, candidates, statistic=statistic, period=period),
            period=period,
            search_region=self._region,
            **options,
        )

    def metrics_insights(
        self, metric_name: str, function: str = "SUM", *, limit: int = 10, period: cdk.Duration | None = None, label: str | None = None
    ) -> cloudwatch.MathExpression:
        """Top-``limit`` ModelIds in the Region by ``function(metric_name)`` (Metrics Insights)."""
        return cloudwatch.MathExpression(
            expression=metrics_insights_query(metric_name, function, limit=limit),
            period=period or default_period(metric_name),
            label=label,
            search_region=self._region,
        )

    # -- runtime metrics, one ModelId value ------------------------------------------------------

    def metric_invocations(self, model_id: str, **options: Any) -> cloudwatch.Metric:
        return self.metric(INVOCATIONS, model_id, **options)

    def metric_invocation_latency(self, model_id: str, **options: Any) -> cloudwatch.Metric:
        return self.metric(INVOCATION_LATENCY, model_id, **options)

    def metric_time_to_first_token(self, model_id: str, **options: Any) -> cloudwatch.Metric:
        return self.metric(TIME_TO_FIRST_TOKEN, model_id, **options)

    def metric_input_token_count(self, model_id: str, **options: Any) -> cloudwatch.Metric:
        return self.metric(INPUT_TOKEN_COUNT, model_id, **options)

    def metric_output_token_count(self, model_id: str, **options: Any) -> cloudwatch.Metric:
        return self.metric(OUTPUT_TOKEN_COUNT, model_id, **options)

    def metric_invocation_throttles(self, model_id: str, **options: Any) -> cloudwatch.Metric:
        return self.metric(INVOCATION_THROTTLES, model_id, **options)

    def metric_invocation_client_errors(self, model_id: str, **options: Any) -> cloudwatch.Metric:
        return self.metric(INVOCATION_CLIENT_ERRORS, model_id, **options)

    def metric_invocation_server_errors(self, model_id: str, **options: Any) -> cloudwatch.Metric:
        return self.metric(INVOCATION_SERVER_ERRORS, model_id, **options)

    def metric_estimated_tpm_quota_usage(self, model_id: str, **options: Any) -> cloudwatch.Metric:
        return self.metric(ESTIMATED_TPM_QUOTA_USAGE, model_id, **options)

    # -- runtime metrics, every candidate ModelId (SEARCH; graphs only) ----------------------------

    def search_invocations(self, model_id: str | None = None, **options: Any) -> cloudwatch.SearchExpression:
        return self.search(INVOCATIONS, model_id, **options)

    def search_invocation_latency(self, model_id: str | None = None, **options: Any) -> cloudwatch.SearchExpression:
        return self.search(INVOCATION_LATENCY, model_id, **options)

    def search_time_to_first_token(self, model_id: str | None = None, **options: Any) -> cloudwatch.SearchExpression:
        return self.search(TIME_TO_FIRST_TOKEN, model_id, **options)

    def search_input_token_count(self, model_id: str | None = None, **options: Any) -> cloudwatch.SearchExpression:
        return self.search(INPUT_TOKEN_COUNT, model_id, **options)

    def search_output_token_count(self, model_id: str | None = None, **options: Any) -> cloudwatch.SearchExpression:
        return self.search(OUTPUT_TOKEN_COUNT, model_id, **options)

    def search_invocation_throttles(self, model_id: str | None = None, **options: Any) -> cloudwatch.SearchExpression:
        return self.search(INVOCATION_THROTTLES, model_id, **options)

    def search_invocation_client_errors(self, model_id: str | None = None, **options: Any) -> cloudwatch.SearchExpression:
        return self.search(INVOCATION_CLIENT_ERRORS, model_id, **options)

    def search_invocation_server_errors(self, model_id: str | None = None, **options: Any) -> cloudwatch.SearchExpression:
        return self.search(INVOCATION_SERVER_ERRORS, model_id, **options)

    def search_estimated_tpm_quota_usage(self, model_id: str | None = None, **options: Any) -> cloudwatch.SearchExpression:
        return self.search(ESTIMATED_TPM_QUOTA_USAGE, model_id, **options)

    # -- invocation-log delivery ("Across all model IDs": no dimension) ---------------------------

    def metric_model_invocation_logs_s3_delivery_success(self, **options: Any) -> cloudwatch.Metric:
        return self.metric(MODEL_INVOCATION_LOGS_S3_DELIVERY_SUCCESS, **options)

    def metric_model_invocation_logs_s3_delivery_failure(self, **options: Any) -> cloudwatch.Metric:
        return self.metric(MODEL_INVOCATION_LOGS_S3_DELIVERY_FAILURE, **options)

    def metric_model_invocation_logs_cloudwatch_delivery_success(self, **options: Any) -> cloudwatch.Metric:
        return self.metric(MODEL_INVOCATION_LOGS_CLOUDWATCH_DELIVERY_SUCCESS, **options)

    def metric_model_invocation_logs_cloudwatch_delivery_failure(self, **options: Any) -> cloudwatch.Metric:
        return self.metric(MODEL_INVOCATION_LOGS_CLOUDWATCH_DELIVERY_FAILURE, **options)

    def metric_model_invocation_large_data_s3_delivery_success(self, **options: Any) -> cloudwatch.Metric:
        return self.metric(MODEL_INVOCATION_LARGE_DATA_S3_DELIVERY_SUCCESS, **options)

    def metric_model_invocation_large_data_s3_delivery_failure(self, **options: Any) -> cloudwatch.Metric:
        return self.metric(MODEL_INVOCATION_LARGE_DATA_S3_DELIVERY_FAILURE, **options)

    def log_delivery_metrics(self) -> list[cloudwatch.Metric]:
        """All six delivery metrics, labelled, in a stable order (S3, CloudWatch Logs, large data)."""
        labels = ("S3 success", "S3 failure", "CloudWatch Logs success", "CloudWatch Logs failure", "Large data S3 success", "Large data S3 failure")
        return [self.metric(name, label=label) for name, label in zip(LOG_DELIVERY_METRIC_NAMES, labels)]
