"""When cris-guard alarms on Bedrock metrics: the alarm factory.

Third part of the metric-factory / widgets / alarm-factory split (style.md). Three alarms per
monitored profile, every one with the alert topic as its action (no alarm without an action) and
missing data treated as not breaching (no traffic is not an incident):

- **throttle rate** % = throttles / (invocations + throttles) x 100. Throttled requests are not
  counted as Invocations (cris-facts §5), hence the sum in the denominator. 2 of 3 five-minute periods.
- **server errors**: InvocationServerErrors per 5 minutes >= the threshold, in one period.
- **p99 latency**: InvocationLatency p99 > the threshold, 2 of 3 five-minute periods.

Alarms cannot use ``SEARCH`` (CloudWatch user guide, using-search-expressions), and which ``ModelId`` value CloudWatch records is UNCONFIRMED, so each
alarm is a metric-math expression over *every* candidate value
(:func:`~cris_guard.monitoring.metrics.model_id_candidates`): counts are added, and the p99 is the
larger of the candidates' p99s via ``IF(a > b, a, b)``. UNCONFIRMED (attributed to the CloudWatch
metric math user guide, using-metric-math.html, but not found in the copies searched in review): that
metric math treats a candidate with no data point as 0 when adding and drops a data point that divides by zero,
and that ``MAX`` over an array is not recommended in alarms. If a candidate with no data instead made
the sum missing, these alarms could never fire: verify it in a real account (docs/observability.md).
CloudWatch allows at most 10 metrics in an alarm's math (alarm-limits), so at most 5 candidates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_sns as sns
from constructs import Construct

from cris_guard.monitoring.metrics import BedrockMetricFactory, ModelKind, is_token

MAX_METRICS_PER_ALARM = 10  # CloudWatch alarm-limits: metric-math alarms reference at most 10 metrics
ALARM_PERIOD = cdk.Duration.minutes(5)
THROTTLE_EVALUATION_PERIODS, THROTTLE_DATAPOINTS = 3, 2
LATENCY_EVALUATION_PERIODS, LATENCY_DATAPOINTS = 3, 2
SERVER_ERRORS_EVALUATION_PERIODS = 1
MAX_ALARM_NAME_LENGTH = 255


class AlarmThresholdsLike(Protocol):
    """Anything with the three threshold attributes, e.g. ``cris_guard.config.AlarmThresholds``."""

    throttle_rate_percent: float
    server_errors_per_5_minutes: int
    p99_latency_ms: int


@dataclass(frozen=True)
class BedrockAlarmThresholds:
    """Alarm thresholds as plain values; the defaults equal the configuration's defaults."""

    throttle_rate_percent: float = 5
    server_errors_per_5_minutes: int = 5
    p99_latency_ms: int = 30_000

    def __post_init__(self) -> None:
        if not 0 < self.throttle_rate_percent <= 100:
            raise ValueError(f"throttle_rate_percent {self.throttle_rate_percent!r} must be above 0 and at most 100")
        if self.server_errors_per_5_minutes < 1:
            raise ValueError(f"server_errors_per_5_minutes {self.server_errors_per_5_minutes!r} must be at least 1")
        if self.p99_latency_ms < 1:
            raise ValueError(f"p99_latency_ms {self.p99_latency_ms!r} must be at least 1")

    @classmethod
    def of(cls, thresholds: AlarmThresholdsLike | None) -> BedrockAlarmThresholds:
        if thresholds is None:
            return cls()
        if isinstance(thresholds, cls):
            return thresholds
        return cls(
            throttle_rate_percent=float(thresholds.throttle_rate_percent),
            server_errors_per_5_minutes=int(thresholds.server_errors_per_5_minutes),
            p99_latency_ms=int(thresholds.p99_latency_ms),
        )


def throttle_rate_expression(candidates: int) -> str:
    """``100 * (t0 + t1) / (i0 + i1 + t0 + t1)`` for ``candidates`` ModelId values."""
    throttles = " + ".join(f"t{i}" for i in range(candidates))
    invocations = " + ".join(f"i{i}" for i in range(candidates))
    return f"100 * ({throttles}) / ({invocations} + {throttles})"


def max_expression(ids: list[str]) -> str:
    """Pointwise maximum of several series as nested ``IF(a > b, a, b)``."""
    result = ids[0]
    for other in ids[1:]:
        result = f"IF({other} > {result}, {other}, {result})"
    return result


class BedrockAlarmFactory:
    """Creates the per-profile alarms under ``scope``; every alarm notifies ``alert_topic``.

    ``name_prefix`` starts every alarm name (e.g. the dashboard name), so that an e-mail says which
    deployment and Region it is about. :attr:`alarms` lists every alarm created so far.
    """

    def __init__(
        self,
        scope: Construct,
        *,
        metrics: BedrockMetricFactory,
        alert_topic: sns.ITopic,
        name_prefix: str,
    ) -> None:
        if alert_topic is None:
            raise ValueError("alert_topic is required: cris-guard creates no alarm without an action")
        self._scope = scope
        self._metrics = metrics
        self._action = cw_actions.SnsAction(alert_topic)
        self._name_prefix = name_prefix
        self.alarms: list[cloudwatch.Alarm] = []

    def _candidates(self, model_id: str, kind: ModelKind | None) -> tuple[str, ...]:
        candidates = self._metrics.candidates(model_id, kind)
        if 2 * len(candidates) > MAX_METRICS_PER_ALARM:
            raise ValueError(
                f"{len(candidates)} candidate ModelIds need {2 * len(candidates)} metrics in one alarm, over"
                f" CloudWatch's {MAX_METRICS_PER_ALARM}"
            )
        return candidates

    def _alarm(self, scope: Construct, id: str, *, label: str, suffix: str, **props) -> cloudwatch.Alarm:
        name = f"{self._name_prefix}-{label}-{suffix}"
        if not is_token(name) and len(name) > MAX_ALARM_NAME_LENGTH:
            raise ValueError(f"alarm name {name[:60]!r}... is {len(name)} characters, over {MAX_ALARM_NAME_LENGTH}; use a shorter label")
        alarm = cloudwatch.Alarm(
            scope,
            id,
            alarm_name=name,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            actions_enabled=True,
            **props,
        )
        alarm.add_alarm_action(self._action)
        self.alarms.append(alarm)
        return alarm

    def throttle_rate_alarm(
        self, scope: Construct, *, label: str, model_id: str, threshold_percent: float, kind: ModelKind | None = None
    ) -> cloudwatch.Alarm:
        candidates = self._candidates(model_id, kind)
        using: dict[str, cloudwatch.IMetric] = {}
        for i, value in enumerate(candidates):
            using[f"t{i}"] = self._metrics.metric_invocation_throttles(value, period=ALARM_PERIOD)
            using[f"i{i}"] = self._metrics.metric_invocations(value, period=ALARM_PERIOD)
        return self._alarm(
            scope,
            "ThrottleRate",
            label=label,
            suffix="throttle-rate",
            metric=cloudwatch.MathExpression(
                expression=throttle_rate_expression(len(candidates)),
                using_metrics=using,
                period=ALARM_PERIOD,
                label=f"{label} throttle rate (%)",
            ),
            threshold=threshold_percent,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=THROTTLE_EVALUATION_PERIODS,
            datapoints_to_alarm=THROTTLE_DATAPOINTS,
            alarm_description=(
                f"Bedrock throttle rate for {label} in {self._metrics.region} above {threshold_percent:g} %"
                f" in {THROTTLE_DATAPOINTS} of {THROTTLE_EVALUATION_PERIODS} 5-minute periods"
                " (InvocationThrottles / (Invocations + InvocationThrottles), summed over every candidate ModelId"
                " value, which is UNCONFIRMED). Threshold: monitoring.alarms.throttle_rate_percent."
            ),
        )

    def server_errors_alarm(
        self, scope: Construct, *, label: str, model_id: str, threshold: int, kind: ModelKind | None = None
    ) -> cloudwatch.Alarm:
        candidates = self._candidates(model_id, kind)
        using = {
            f"e{i}": self._metrics.metric_invocation_server_errors(value, period=ALARM_PERIOD)
            for i, value in enumerate(candidates)
        }
        return self._alarm(
            scope,
            "ServerErrors",
            label=label,
            suffix="server-errors",
            metric=cloudwatch.MathExpression(
                expression=" + ".join(using), using_metrics=using, period=ALARM_PERIOD, label=f"{label} server errors"
            ),
            threshold=threshold,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            evaluation_periods=SERVER_ERRORS_EVALUATION_PERIODS,
            alarm_description=(
                f"Bedrock InvocationServerErrors for {label} in {self._metrics.region} at or above {threshold}"
                " in 5 minutes (summed over every candidate ModelId value, which is UNCONFIRMED)."
                " Threshold: monitoring.alarms.server_errors_per_5_minutes."
            ),
        )

    def p99_latency_alarm(
        self, scope: Construct, *, label: str, model_id: str, threshold_ms: int, kind: ModelKind | None = None
    ) -> cloudwatch.Alarm:
        candidates = self._candidates(model_id, kind)
        using = {
            f"l{i}": self._metrics.metric_invocation_latency(value, statistic="p99", period=ALARM_PERIOD)
            for i, value in enumerate(candidates)
        }
        return self._alarm(
            scope,
            "P99Latency",
            label=label,
            suffix="p99-latency",
            metric=cloudwatch.MathExpression(
                expression=max_expression(list(using)), using_metrics=using, period=ALARM_PERIOD, label=f"{label} p99 latency (ms)"
            ),
            threshold=threshold_ms,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=LATENCY_EVALUATION_PERIODS,
            datapoints_to_alarm=LATENCY_DATAPOINTS,
            alarm_description=(
                f"Bedrock InvocationLatency p99 for {label} in {self._metrics.region} above {threshold_ms} ms"
                f" in {LATENCY_DATAPOINTS} of {LATENCY_EVALUATION_PERIODS} 5-minute periods (the largest p99 of"
                " the candidate ModelId values, which is UNCONFIRMED). Threshold: monitoring.alarms.p99_latency_ms."
            ),
        )

    def alarms_for_model(
        self, scope: Construct, *, label: str, model_id: str, thresholds: BedrockAlarmThresholds, kind: ModelKind | None = None
    ) -> list[cloudwatch.Alarm]:
        """The three alarms for one profile, as children of ``scope``."""
        return [
            self.throttle_rate_alarm(scope, label=label, model_id=model_id, threshold_percent=thresholds.throttle_rate_percent, kind=kind),
            self.server_errors_alarm(scope, label=label, model_id=model_id, threshold=thresholds.server_errors_per_5_minutes, kind=kind),
            self.p99_latency_alarm(scope, label=label, model_id=model_id, threshold_ms=thresholds.p99_latency_ms, kind=kind),
        ]
