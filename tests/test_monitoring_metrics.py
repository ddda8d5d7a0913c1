"""The metric factory, the alarm expressions and the dashboard size plan: pure, no synthesis."""

from __future__ import annotations

import os
import re

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import aws_cdk as cdk  # noqa: E402
import pytest  # noqa: E402
from aws_cdk import aws_cloudwatch as cloudwatch  # noqa: E402

from cris_guard.config import AlarmThresholds  # noqa: E402
from cris_guard.monitoring import metrics as m  # noqa: E402
from cris_guard.monitoring.alarms import BedrockAlarmThresholds, max_expression, throttle_rate_expression  # noqa: E402
from cris_guard.monitoring.metrics import (  # noqa: E402
    BedrockMetricFactory,
    ModelKind,
    classify_model_id,
    metrics_insights_query,
    model_id_candidates,
    search_expression,
)
from cris_guard.monitoring.widgets import (  # noqa: E402
    MAX_METRICS_PER_DASHBOARD,
    MAX_WIDGETS_PER_DASHBOARD,
    dashboard_widget_count,
    plan_dashboard,
)

REGION = "eu-central-1"
SONNET = "eu.anthropic.claude-sonnet-4-6"
APP_ID = "a1b2c3d4e5f6"
APP_ARN = f"arn:aws:bedrock:{REGION}:111122223333:application-inference-profile/{APP_ID}"


@pytest.fixture(scope="module")
def factory() -> BedrockMetricFactory:
    return BedrockMetricFactory(REGION)


# -- ModelId kinds and candidates ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("model_id", "kind"),
    [
        (SONNET, ModelKind.SYSTEM_PROFILE),
        ("global.anthropic.claude-sonnet-4-6", ModelKind.SYSTEM_PROFILE),
        ("us-gov.anthropic.claude-sonnet-4-6", ModelKind.SYSTEM_PROFILE),
        (APP_ID, ModelKind.APPLICATION_PROFILE),
        (APP_ARN, ModelKind.APPLICATION_PROFILE),
        ("anthropic.claude-sonnet-4-6", ModelKind.FOUNDATION_MODEL),
    ],
)
def test_classify_model_id(model_id, kind):
    assert classify_model_id(model_id) is kind


def test_classify_model_id_treats_a_token_as_an_application_profile():
    assert classify_model_id(cdk.Token.as_string(cdk.Fn.ref("SomeProfile"))) is ModelKind.APPLICATION_PROFILE


def test_classify_model_id_fails_when_the_value_is_no_model_id():
    with pytest.raises(ValueError, match="not an inference profile ID"):
        classify_model_id("Claude Sonnet")


def test_system_profile_candidates_are_profile_id_then_foundation_model_id():
    assert model_id_candidates(SONNET, region=REGION) == (SONNET, "anthropic.claude-sonnet-4-6")


def test_application_profile_arn_candidates_are_short_id_and_arn():
    assert model_id_candidates(APP_ARN, region=REGION) == (APP_ID, APP_ARN)


def test_application_profile_id_candidates_add_an_arn_in_the_source_region():
    short, arn = model_id_candidates(APP_ID, region=REGION)
    assert short == APP_ID
    assert arn.startswith("arn:${Token[AWS.Partition.")
    assert f":bedrock:{REGION}:${{Token[AWS.AccountId." in arn
    assert arn.endswith(f":application-inference-profile/{APP_ID}")


def test_foundation_model_has_one_candidate():
    assert model_id_candidates("amazon.nova-lite-v1:0", region=REGION) == ("amazon.nova-lite-v1:0",)


# -- SEARCH and Metrics Insights strings ----------------------------------------------------------


def test_search_expression_matches_every_candidate_exactly():
    expression = search_expression(
        m.INVOCATIONS, model_id_candidates(SONNET, region=REGION), statistic="Sum", period=cdk.Duration.minutes(5)
    )
    assert expression == (
        "SEARCH('{AWS/Bedrock,ModelId} MetricName=\"Invocations\""
        f' (ModelId="{SONNET}" OR ModelId="anthropic.claude-sonnet-4-6")\', \'Sum\', 300)'
    )


def test_search_expression_without_candidates_matches_every_model_id():
    expression = search_expression(m.INVOCATION_THROTTLES, None, statistic="Sum", period=cdk.Duration.minutes(1))
    assert expression == "SEARCH('{AWS/Bedrock,ModelId} MetricName=\"InvocationThrottles\"', 'Sum', 60)"


def test_search_expression_fails_when_longer_than_1024_characters():
    long_id = "eu.vendor." + "m" * 600
    with pytest.raises(ValueError, match="1024-character limit"):
        search_expression(m.INVOCATIONS, model_id_candidates(long_id, region=REGION), statistic="Sum", period=cdk.Duration.minutes(5))


def test_search_expression_fails_when_a_model_id_would_break_the_quoting():
    with pytest.raises(ValueError, match="quote, backslash or parenthesis"):
        search_expression(m.INVOCATIONS, ['x" OR "y'], statistic="Sum", period=cdk.Duration.minutes(5))


def test_search_expression_counts_tokens_conservatively():
    token = cdk.Token.as_string(cdk.Fn.ref("Profile"))
    expression = search_expression(m.INVOCATIONS, [token], statistic="Sum", period=cdk.Duration.minutes(5))
    assert token in expression
    assert m.estimated_length(expression) == len(expression) - len(token) + m.TOKEN_LENGTH_ESTIMATE


def test_metrics_insights_query_covers_every_model_id_top_n():
    assert metrics_insights_query(m.INVOCATIONS, "SUM", limit=10) == (
        'SELECT SUM(Invocations) FROM SCHEMA("AWS/Bedrock", ModelId) GROUP BY ModelId ORDER BY SUM() DESC LIMIT 10'
    )


@pytest.mark.parametrize(
    ("function", "limit", "message"),
    [
        ("P99", 10, "function 'P99' is not one of SUM, AVG, MAX, MIN, COUNT"),
        ("SUM", 0, "limit 0 must be 1-500"),
        ("SUM", 501, "limit 501 must be 1-500"),
    ],
)
def test_metrics_insights_query_fails_when_function_or_limit_is_invalid(function, limit, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        metrics_insights_query(m.INVOCATIONS, function, limit=limit)


# -- the factory ------------------------------------------------------------------------------------

RUNTIME = [
    ("metric_invocations", "Invocations", "Sum", 300),
    ("metric_invocation_latency", "InvocationLatency", "Average", 300),
    ("metric_time_to_first_token", "TimeToFirstToken", "Average", 300),
    ("metric_input_token_count", "InputTokenCount", "Sum", 300),
    ("metric_output_token_count", "OutputTokenCount", "Sum", 300),
    ("metric_invocation_throttles", "InvocationThrottles", "Sum", 300),
    ("metric_invocation_client_errors", "InvocationClientErrors", "Sum", 300),
    ("metric_invocation_server_errors", "InvocationServerErrors", "Sum", 300),
    ("metric_estimated_tpm_quota_usage", "EstimatedTPMQuotaUsage", "Sum", 60),
]


@pytest.mark.parametrize(("method", "name", "statistic", "period"), RUNTIME)
def test_runtime_metrics_use_official_names_model_id_and_the_region(factory, method, name, statistic, period):
    metric = getattr(factory, method)(SONNET)
    assert isinstance(metric, cloudwatch.Metric)
    assert (metric.namespace, metric.metric_name) == ("AWS/Bedrock", name)
    assert metric.dimensions == {"ModelId": SONNET}
    assert metric.region == REGION
    assert metric.statistic == statistic
    assert metric.period.to_seconds() == period


@pytest.mark.parametrize(("method", "name", "statistic", "period"), RUNTIME)
def test_search_variants_match_either_model_id_answer(factory, method, name, statistic, period):
    expression = getattr(factory, method.replace("metric_", "search_"))(SONNET)
    assert isinstance(expression, cloudwatch.SearchExpression)
    assert expression.expression == search_expression(
        name, model_id_candidates(SONNET, region=REGION), statistic=statistic, period=cdk.Duration.seconds(period)
    )
    assert expression.search_region == REGION


def test_search_variant_without_model_id_searches_the_whole_region(factory):
    assert "ModelId=" not in factory.search_invocations().expression


def test_metric_options_pass_through(factory):
    metric = factory.metric_invocation_latency(SONNET, statistic="p99", period=cdk.Duration.minutes(1), label="p99")
    assert (metric.statistic, metric.period.to_seconds(), metric.label) == ("p99", 60, "p99")


@pytest.mark.parametrize(
    ("method", "name"),
    [
        ("metric_model_invocation_logs_s3_delivery_success", "ModelInvocationLogsS3DeliverySuccess"),
        ("metric_model_invocation_logs_s3_delivery_failure", "ModelInvocationLogsS3DeliveryFailure"),
        ("metric_model_invocation_logs_cloudwatch_delivery_success", "ModelInvocationLogsCloudWatchDeliverySuccess"),
        ("metric_model_invocation_logs_cloudwatch_delivery_failure", "ModelInvocationLogsCloudWatchDeliveryFailure"),
        ("metric_model_invocation_large_data_s3_delivery_success", "ModelInvocationLargeDataS3DeliverySuccess"),
        ("metric_model_invocation_large_data_s3_delivery_failure", "ModelInvocationLargeDataS3DeliveryFailure"),
    ],
)
def test_log_delivery_metrics_have_no_dimension(factory, method, name):
    metric = getattr(factory, method)()
    assert (metric.namespace, metric.metric_name, metric.region, metric.statistic) == ("AWS/Bedrock", name, REGION, "Sum")
    assert not metric.dimensions


def test_log_delivery_metrics_lists_all_six(factory):
    assert [x.metric_name for x in factory.log_delivery_metrics()] == list(m.LOG_DELIVERY_METRIC_NAMES)


def test_metrics_insights_is_pinned_to_the_region(factory):
    expression = factory.metrics_insights(m.ESTIMATED_TPM_QUOTA_USAGE)
    assert expression.expression.startswith("SELECT SUM(EstimatedTPMQuotaUsage)")
    assert expression.period.to_seconds() == 60
    assert expression.search_region == REGION


def test_factory_fails_when_a_metric_asks_for_another_region(factory):
    with pytest.raises(ValueError, match="pinned to 'eu-central-1'"):
        factory.metric_invocations(SONNET, region="eu-west-1")


def test_factory_fails_on_unknown_options(factory):
    with pytest.raises(TypeError, match="unexpected metric option"):
        factory.metric_invocations(SONNET, dimensions_map={"a": "b"})
    with pytest.raises(TypeError, match="unexpected search option"):
        factory.search_invocations(SONNET, region="eu-central-1")


@pytest.mark.parametrize("region", ["eu-central-9", "EU"])
def test_factory_fails_when_the_region_is_unknown(region):
    with pytest.raises(ValueError, match="not a known Region code"):
        BedrockMetricFactory(region)


def test_factory_fails_when_the_region_is_a_token():
    with pytest.raises(ValueError, match="unresolved token"):
        BedrockMetricFactory(cdk.Aws.REGION)


# -- alarm expressions and thresholds -------------------------------------------------------------


def test_throttle_rate_counts_throttles_in_the_denominator():
    assert throttle_rate_expression(2) == "100 * (t0 + t1) / (i0 + i1 + t0 + t1)"
    assert throttle_rate_expression(1) == "100 * (t0) / (i0 + t0)"


def test_max_expression_is_a_pointwise_if_chain():
    assert max_expression(["l0"]) == "l0"
    assert max_expression(["l0", "l1"]) == "IF(l1 > l0, l1, l0)"
    assert max_expression(["a", "b", "c"]) == "IF(c > IF(b > a, b, a), c, IF(b > a, b, a))"


def test_thresholds_default_to_the_configuration_defaults():
    assert BedrockAlarmThresholds.of(None) == BedrockAlarmThresholds.of(AlarmThresholds())
    assert BedrockAlarmThresholds() == BedrockAlarmThresholds(5, 5, 30_000)


def test_thresholds_accept_the_configuration_model():
    config = AlarmThresholds(throttle_rate_percent=2.5, server_errors_per_5_minutes=10, p99_latency_ms=12_000)
    assert BedrockAlarmThresholds.of(config) == BedrockAlarmThresholds(2.5, 10, 12_000)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"throttle_rate_percent": 0}, "throttle_rate_percent 0 must be above 0 and at most 100"),
        ({"throttle_rate_percent": 101}, "throttle_rate_percent 101 must be above 0 and at most 100"),
        ({"server_errors_per_5_minutes": 0}, "server_errors_per_5_minutes 0 must be at least 1"),
        ({"p99_latency_ms": 0}, "p99_latency_ms 0 must be at least 1"),
    ],
)
def test_thresholds_fail_when_out_of_range(values, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        BedrockAlarmThresholds(**values)


# -- the size plan --------------------------------------------------------------------------------


def test_plan_of_the_default_example():
    plan = plan_dashboard(profiles=4, application_profiles=2)
    # title, alarm status, 3 audit, overview header + 9, profile header + 4x4, application header + 2x4
    assert plan.widget_count == 1 + 1 + 3 + 10 + 17 + 9 == 41
    assert plan.alarm_count == 12
    assert plan.application_profile_rows
    assert plan.within_limits


def test_plan_of_the_200_application_benchmark_aggregates_application_profiles():
    # 200 applications x 19 EU profiles, each with its own application profile, in one Region.
    plan = plan_dashboard(profiles=19, application_profiles=200 * 19)
    assert not plan.application_profile_rows
    assert plan.widget_count == 1 + 1 + 3 + 10 + (1 + 4 * 19) + 1 == 93
    assert plan.widget_count <= MAX_WIDGETS_PER_DASHBOARD
    assert plan.worst_case_metrics <= MAX_METRICS_PER_DASHBOARD
    assert plan.max_metrics_per_widget <= 500
    assert plan.max_search_expressions_per_widget <= 100
    assert plan.alarm_count == 57
    assert dashboard_widget_count(profiles=19, application_profiles=3800) == 93


def test_plan_is_constant_in_the_number_of_application_profiles_above_the_row_limit():
    counts = {dashboard_widget_count(profiles=19, application_profiles=n) for n in (11, 200, 3800, 100_000)}
    assert counts == {93}


def test_plan_without_optional_widgets():
    assert dashboard_widget_count(profiles=0, application_profiles=0, has_residency_metric=False, has_trail_log_group=False) == 12


def test_plan_fails_when_widgets_exceed_500():
    plan = plan_dashboard(profiles=19, application_profiles=150, max_application_profile_rows=150)
    assert plan.widget_count == 1 + 1 + 3 + 10 + (1 + 76) + (1 + 600)
    assert any("over CloudWatch's 500" in p for p in plan.problems)


def test_plan_fails_when_metrics_could_exceed_2500_per_dashboard():
    plan = plan_dashboard(profiles=19, application_profiles=90, max_application_profile_rows=100)
    assert plan.widget_count <= MAX_WIDGETS_PER_DASHBOARD
    assert plan.worst_case_metrics == 13 * 2 * 109 + 90 + 6 + 1
    assert any("2500 per dashboard" in p for p in plan.problems)


def test_plan_fails_on_negative_counts():
    with pytest.raises(ValueError, match=re.escape("profiles=-1: counts must not be negative")):
        plan_dashboard(profiles=-1, application_profiles=0)
