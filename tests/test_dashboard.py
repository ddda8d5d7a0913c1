"""BedrockDashboard synthesized: widgets' metrics and Regions, alarms and their actions, limits.

The main stack is the one pictured in docs/dashboard.png (tools/render_dashboard.py builds it): the
default configuration's approved profiles in eu-central-1 plus two application-profile placeholders.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
from pathlib import Path

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import aws_cdk as cdk  # noqa: E402
import cdk_nag  # noqa: E402
import pytest  # noqa: E402
from aws_cdk import aws_cloudwatch as cloudwatch  # noqa: E402
from aws_cdk import aws_kms as kms  # noqa: E402
from aws_cdk import aws_sns as sns  # noqa: E402
from aws_cdk.assertions import Annotations, Match, Template  # noqa: E402
from cfnlint.api import lint  # noqa: E402

from cris_guard.config import AlarmThresholds  # noqa: E402
from cris_guard.constructs.dashboard import (  # noqa: E402
    BedrockDashboard,
    DashboardLimitError,
    MonitoredModel,
    dashboard_widget_count,
)
from cris_guard.monitoring import metrics as m  # noqa: E402
from cris_guard.monitoring.metrics import model_id_candidates, search_expression  # noqa: E402
from cris_guard.monitoring.widgets import inference_region_query_lines  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent
REGION = "eu-central-1"
ACCOUNT = "111122223333"
DASHBOARD_NAME = f"cris-guard-{REGION}"
FIVE_MINUTES = cdk.Duration.minutes(5)

_spec = importlib.util.spec_from_file_location("render_dashboard", REPO_ROOT / "tools" / "render_dashboard.py")
render_tool = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(render_tool)

PROFILES, PLACEHOLDERS = render_tool.default_example_profiles()
SONNET = "eu.anthropic.claude-sonnet-4-6"
RUNTIME_SEARCHES = [  # (metric, statistic, period) of one profile row, in widget order
    (m.INVOCATIONS, "Sum", 300),
    (m.INVOCATION_THROTTLES, "Sum", 300),
    (m.INVOCATION_CLIENT_ERRORS, "Sum", 300),
    (m.INVOCATION_SERVER_ERRORS, "Sum", 300),
    (m.INVOCATION_LATENCY, "p50", 300),
    (m.INVOCATION_LATENCY, "p90", 300),
    (m.INVOCATION_LATENCY, "p99", 300),
    (m.TIME_TO_FIRST_TOKEN, "p50", 300),
    (m.TIME_TO_FIRST_TOKEN, "p90", 300),
    (m.TIME_TO_FIRST_TOKEN, "p99", 300),
    (m.INPUT_TOKEN_COUNT, "Sum", 300),
    (m.OUTPUT_TOKEN_COUNT, "Sum", 300),
    (m.ESTIMATED_TPM_QUOTA_USAGE, "Sum", 60),
]


def _stack(app: cdk.App, name: str, region: str | None = REGION) -> tuple[cdk.Stack, sns.Topic]:
    env = cdk.Environment(account=ACCOUNT, region=region) if region else None
    stack = cdk.Stack(app, name, env=env)
    key = kms.Key(stack, "AlertKey", enable_key_rotation=True)
    return stack, sns.Topic(stack, "AlertTopic", master_key=key, enforce_ssl=True)


@pytest.fixture(scope="module")
def example():
    """The pictured default example, synthesized once."""
    app, stack, dashboard = render_tool.build_default_example_stack()
    template = Template.from_stack(stack)
    raw = template.to_json()
    (body_value,) = [r["Properties"]["DashboardBody"] for r in raw["Resources"].values() if r["Type"] == "AWS::CloudWatch::Dashboard"]
    return {
        "app": app,
        "stack": stack,
        "dashboard": dashboard,
        "template": template,
        "raw": raw,
        "body": render_tool.body_from_template_value(body_value),
        "body_value": body_value,
    }


@pytest.fixture(scope="module")
def aggregated():
    """19 approved profiles and more application profiles than the row limit, custom thresholds."""
    app = cdk.App()
    stack, topic = _stack(app, "Aggregated")
    catalog = json.loads((REPO_ROOT / "cris_guard" / "catalog" / "data" / "eu_inference_profiles.json").read_text())
    models = [MonitoredModel(label=pid, model_id=pid) for pid in catalog["profiles"]]
    models += [MonitoredModel(label=f"app-{n:02d}", model_id=f"app{n:09d}") for n in range(12)]
    dashboard = BedrockDashboard(
        stack,
        "Dashboard",
        source_region=REGION,
        dashboard_name="aggregated-eu-central-1",
        models=models,
        alert_topic=topic,
        thresholds=AlarmThresholds(throttle_rate_percent=7.5, server_errors_per_5_minutes=3, p99_latency_ms=20_000),
        max_application_profile_rows=10,
    )
    template = Template.from_stack(stack)
    raw = template.to_json()
    (body_value,) = [r["Properties"]["DashboardBody"] for r in raw["Resources"].values() if r["Type"] == "AWS::CloudWatch::Dashboard"]
    return {"app": app, "stack": stack, "dashboard": dashboard, "template": template, "raw": raw,
            "body": render_tool.body_from_template_value(body_value), "profiles": len(catalog["profiles"])}


def _metric_widgets(body: dict) -> list[dict]:
    return [w for w in body["widgets"] if w["type"] == "metric"]


def _expressions(body: dict) -> list[str]:
    return [
        entry[-1]["expression"]
        for widget in _metric_widgets(body)
        for entry in widget["properties"]["metrics"]
        if isinstance(entry[-1], dict) and "expression" in entry[-1]
    ]


def _alarms(raw: dict) -> dict[str, dict]:
    return {k: r["Properties"] for k, r in raw["Resources"].items() if r["Type"] == "AWS::CloudWatch::Alarm"}


def _alarm_named(raw: dict, name: str) -> dict:
    (props,) = [p for p in _alarms(raw).values() if p["AlarmName"] == name]
    return props


def _metric_stats(props: dict) -> dict[str, tuple[str, str, str, int]]:
    out = {}
    for query in props["Metrics"]:
        if "MetricStat" in query:
            stat = query["MetricStat"]
            (dim,) = stat["Metric"]["Dimensions"]
            assert dim["Name"] == "ModelId" and stat["Metric"]["Namespace"] == "AWS/Bedrock"
            out[query["Id"]] = (stat["Metric"]["MetricName"], dim["Value"], stat["Stat"], stat["Period"])
    return out


def _return_expression(props: dict) -> str:
    (expression,) = [q["Expression"] for q in props["Metrics"] if q.get("ReturnData")]
    return expression


# -- the dashboard body -------------------------------------------------------------------------------


def test_the_example_uses_the_default_configurations_approved_profiles(default_config):
    approved: list[str] = []
    for application in default_config.applications:
        approved += [p for p in application.profiles if p not in approved]
    assert REGION in default_config.source_regions
    assert PROFILES == approved and SONNET in PROFILES
    assert [name for name, _ in PLACEHOLDERS] == [a.name for a in default_config.applications[:2]]


def test_one_dashboard_with_the_given_name(example):
    example["template"].resource_count_is("AWS::CloudWatch::Dashboard", 1)
    example["template"].has_resource_properties("AWS::CloudWatch::Dashboard", {"DashboardName": DASHBOARD_NAME})


def test_widget_count_is_the_planned_count(example):
    assert len(example["body"]["widgets"]) == example["dashboard"].plan.widget_count
    assert len(example["body"]["widgets"]) == dashboard_widget_count(profiles=len(PROFILES), application_profiles=2)


def test_every_metric_and_log_widget_is_pinned_to_the_source_region(example):
    pinned = [w for w in example["body"]["widgets"] if w["type"] in ("metric", "log")]
    assert len(pinned) == len(example["body"]["widgets"]) - 2 - 3  # all but title, alarm status, 3 section headers
    assert {w["properties"]["region"] for w in pinned} == {REGION}
    plain = [  # plain metrics, not expressions: at least the six invocation-log delivery metrics
        entry
        for widget in _metric_widgets(example["body"])
        for entry in widget["properties"]["metrics"]
        if isinstance(entry[0], str) and entry[0] == "AWS/Bedrock"
    ]
    assert len(plain) >= len(m.LOG_DELIVERY_METRIC_NAMES)
    assert {entry[-1]["region"] for entry in plain} == {REGION}


def test_each_approved_profile_row_searches_both_model_id_candidates(example):
    expressions = _expressions(example["body"])
    for profile in PROFILES:
        candidates = model_id_candidates(profile, region=REGION)
        assert candidates == (profile, profile[len("eu."):])
        for metric_name, statistic, period in RUNTIME_SEARCHES:
            expected = search_expression(metric_name, candidates, statistic=statistic, period=cdk.Duration.seconds(period))
            assert expressions.count(expected) == 1, expected


def test_each_approved_profile_row_has_the_four_titled_widgets(example):
    titles = [w["properties"].get("title") for w in _metric_widgets(example["body"])]
    for profile in PROFILES:
        assert [t for t in titles if t and t.startswith(f"{profile}: ")] == [
            f"{profile}: requests",
            f"{profile}: latency (ms)",
            f"{profile}: time to first token (ms, streaming)",
            f"{profile}: tokens (left) and est. TPM quota (right)",
        ]


def test_application_profile_searches_use_the_generated_id_and_its_arn(example):
    expressions = _expressions(example["body"])
    for logical_id in ("AIP0", "AIP1"):
        pid = f"<{logical_id}.InferenceProfileId>"
        arn = f"arn:<Partition>:bedrock:{REGION}:<AccountId>:application-inference-profile/{pid}"
        for metric_name, statistic, period in RUNTIME_SEARCHES:
            expected = search_expression(metric_name, [pid, arn], statistic=statistic, period=cdk.Duration.seconds(period))
            assert expressions.count(expected) == 1, expected
    # ... which in the template are CloudFormation references, resolved at deploy time.
    parts = example["body_value"]["Fn::Join"][1]
    assert parts.count({"Fn::GetAtt": ["AIP0", "InferenceProfileId"]}) == 2 * len(RUNTIME_SEARCHES)
    assert {"Ref": "AWS::AccountId"} in parts and {"Ref": "AWS::Partition"} in parts


def test_region_overview_queries_every_model_id(example):
    expressions = _expressions(example["body"])
    expected = [
        ("SUM", "Invocations", 300),
        ("SUM", "InvocationThrottles", 300),
        ("SUM", "InvocationClientErrors", 300),
        ("SUM", "InvocationServerErrors", 300),
        ("AVG", "InvocationLatency", 300),
        ("AVG", "TimeToFirstToken", 300),
        ("SUM", "InputTokenCount", 300),
        ("SUM", "OutputTokenCount", 300),
        ("SUM", "EstimatedTPMQuotaUsage", 60),
    ]
    queries = [e for e in expressions if e.startswith("SELECT")]
    assert queries == [
        f'SELECT {fn}({name}) FROM SCHEMA("AWS/Bedrock", ModelId) GROUP BY ModelId ORDER BY {fn}() DESC LIMIT 10'
        for fn, name, _ in expected
    ]
    periods = [
        entry[-1].get("period", 300)
        for w in _metric_widgets(example["body"])
        for entry in w["properties"]["metrics"]
        if entry[-1].get("expression", "").startswith("SELECT")
    ]
    assert periods == [p for *_, p in expected]


def test_invocation_log_delivery_widget_plots_all_six_metrics(example):
    (widget,) = [w for w in _metric_widgets(example["body"]) if w["properties"]["title"].startswith("Invocation-log delivery")]
    names = [(entry[0], entry[1], entry[-1].get("yAxis", "left")) for entry in widget["properties"]["metrics"]]
    assert names == [
        ("AWS/Bedrock", "ModelInvocationLogsS3DeliverySuccess", "left"),
        ("AWS/Bedrock", "ModelInvocationLogsCloudWatchDeliverySuccess", "left"),
        ("AWS/Bedrock", "ModelInvocationLargeDataS3DeliverySuccess", "left"),
        ("AWS/Bedrock", "ModelInvocationLogsS3DeliveryFailure", "right"),
        ("AWS/Bedrock", "ModelInvocationLogsCloudWatchDeliveryFailure", "right"),
        ("AWS/Bedrock", "ModelInvocationLargeDataS3DeliveryFailure", "right"),
    ]


def test_residency_widget_plots_the_given_metric(example):
    (widget,) = [w for w in _metric_widgets(example["body"]) if w["properties"]["title"].startswith("Residency")]
    assert widget["properties"]["region"] == REGION
    assert [entry[:2] for entry in widget["properties"]["metrics"]] == [["CrisGuard/Audit", "ResidencyViolations"]]


def test_logs_insights_widget_counts_calls_by_inference_region(example):
    (widget,) = [w for w in example["body"]["widgets"] if w["type"] == "log"]
    assert widget["properties"]["region"] == REGION
    assert widget["properties"]["view"] == "table"
    assert widget["properties"]["query"] == (
        "SOURCE 'cris-guard-trail' | "
        'filter eventSource = "bedrock.amazonaws.com" and awsRegion = "eu-central-1"\n'
        '| filter eventName in ["InvokeModel", "InvokeModelWithResponseStream", "Converse", "ConverseStream"]\n'
        '| fields coalesce(additionalEventData.inferenceRegion, "(not recorded)") as inferenceRegion\n'
        "| stats count(*) as calls by inferenceRegion\n"
        "| sort calls desc"
    )


def test_layout_stays_on_the_24_column_grid_without_overlaps(example):
    cells: set[tuple[int, int]] = set()
    for widget in example["body"]["widgets"]:
        assert 0 <= widget["x"] and widget["x"] + widget["width"] <= 24
        area = {(x, y) for x in range(widget["x"], widget["x"] + widget["width"]) for y in range(widget["y"], widget["y"] + widget["height"])}
        assert not cells & area
        cells |= area


def test_widgets_stay_within_per_widget_limits(example, aggregated):
    for body in (example["body"], aggregated["body"]):
        for widget in _metric_widgets(body):
            entries = widget["properties"]["metrics"]
            assert len(entries) <= 500
            assert sum("SEARCH(" in json.dumps(e) for e in entries) <= 100
        for widget in body["widgets"]:
            if widget["type"] == "alarm":
                assert 1 <= len(widget["properties"]["alarms"]) <= 100


# -- alarms ------------------------------------------------------------------------------------------


def test_three_alarms_per_approved_profile_none_per_application_profile(example):
    example["template"].resource_count_is("AWS::CloudWatch::Alarm", 3 * len(PROFILES))
    names = sorted(p["AlarmName"] for p in _alarms(example["raw"]).values())
    assert names == sorted(
        f"{DASHBOARD_NAME}-{profile}-{suffix}" for profile in PROFILES for suffix in ("throttle-rate", "server-errors", "p99-latency")
    )
    assert len(example["dashboard"].alarms) == 3 * len(PROFILES)


def test_every_alarm_notifies_the_alert_topic_and_ignores_missing_data(example, aggregated):
    for fixture in (example, aggregated):
        (topic_id,) = [k for k, r in fixture["raw"]["Resources"].items() if r["Type"] == "AWS::SNS::Topic"]
        alarms = _alarms(fixture["raw"])
        assert alarms
        for props in alarms.values():
            assert props["AlarmActions"] == [{"Ref": topic_id}]
            assert props["ActionsEnabled"] is True
            assert props["TreatMissingData"] == "notBreaching"


def test_alarm_status_widget_lists_every_alarm(example):
    (widget,) = [w for w in example["body"]["widgets"] if w["type"] == "alarm"]
    listed = widget["properties"]["alarms"]
    alarm_ids = set(_alarms(example["raw"]))
    assert sorted(listed) == sorted(f"<{logical_id}.Arn>" for logical_id in alarm_ids)


def test_throttle_rate_alarm_defaults(example):
    props = _alarm_named(example["raw"], f"{DASHBOARD_NAME}-{SONNET}-throttle-rate")
    fm = SONNET[len("eu."):]
    assert _return_expression(props) == "100 * (t0 + t1) / (i0 + i1 + t0 + t1)"
    assert _metric_stats(props) == {
        "t0": ("InvocationThrottles", SONNET, "Sum", 300),
        "i0": ("Invocations", SONNET, "Sum", 300),
        "t1": ("InvocationThrottles", fm, "Sum", 300),
        "i1": ("Invocations", fm, "Sum", 300),
    }
    assert (props["Threshold"], props["ComparisonOperator"]) == (5, "GreaterThanThreshold")
    assert (props["EvaluationPeriods"], props["DatapointsToAlarm"]) == (3, 2)


def test_server_errors_alarm_defaults(example):
    props = _alarm_named(example["raw"], f"{DASHBOARD_NAME}-{SONNET}-server-errors")
    assert _return_expression(props) == "e0 + e1"
    assert _metric_stats(props) == {
        "e0": ("InvocationServerErrors", SONNET, "Sum", 300),
        "e1": ("InvocationServerErrors", SONNET[len("eu."):], "Sum", 300),
    }
    assert (props["Threshold"], props["ComparisonOperator"], props["EvaluationPeriods"]) == (5, "GreaterThanOrEqualToThreshold", 1)


def test_p99_latency_alarm_defaults(example):
    props = _alarm_named(example["raw"], f"{DASHBOARD_NAME}-{SONNET}-p99-latency")
    assert _return_expression(props) == "IF(l1 > l0, l1, l0)"
    assert _metric_stats(props) == {
        "l0": ("InvocationLatency", SONNET, "p99", 300),
        "l1": ("InvocationLatency", SONNET[len("eu."):], "p99", 300),
    }
    assert (props["Threshold"], props["ComparisonOperator"]) == (30_000, "GreaterThanThreshold")
    assert (props["EvaluationPeriods"], props["DatapointsToAlarm"]) == (3, 2)


def test_thresholds_come_from_the_configuration_model(aggregated):
    raw = aggregated["raw"]
    prefix = "aggregated-eu-central-1-eu.amazon.nova-pro-v1:0"
    assert _alarm_named(raw, f"{prefix}-throttle-rate")["Threshold"] == 7.5
    assert _alarm_named(raw, f"{prefix}-server-errors")["Threshold"] == 3
    assert _alarm_named(raw, f"{prefix}-p99-latency")["Threshold"] == 20_000


# -- scaling -----------------------------------------------------------------------------------------


def test_above_the_row_limit_application_profiles_have_no_rows(aggregated):
    body = aggregated["body"]
    profiles = aggregated["profiles"]
    assert not aggregated["dashboard"].plan.application_profile_rows
    assert len(body["widgets"]) == dashboard_widget_count(profiles=profiles, application_profiles=12, has_residency_metric=False, has_trail_log_group=False)
    assert len(body["widgets"]) == 1 + 1 + 1 + 10 + (1 + 4 * profiles) + 1
    assert not any("app-" in (w["properties"].get("title") or "") for w in body["widgets"])
    (note,) = [w for w in body["widgets"] if w["type"] == "text" and "Application inference profiles" in w["properties"]["markdown"]]
    assert "## Application inference profiles: 12" in note["properties"]["markdown"]
    aggregated["template"].resource_count_is("AWS::CloudWatch::Alarm", 3 * profiles)


def test_alarm_construct_ids_are_the_profile_ids(aggregated):
    paths = {alarm.node.path for alarm in aggregated["dashboard"].alarms}
    assert "Aggregated/Dashboard/Alarms/eu.amazon.nova-pro-v1:0/ThrottleRate" in paths


# -- failures ----------------------------------------------------------------------------------------


def _build(name: str, models, *, region: str | None = REGION, **props) -> BedrockDashboard:
    app = cdk.App()
    stack, topic = _stack(app, name, region=region)
    defaults = {"source_region": REGION, "dashboard_name": f"{name}-{REGION}", "models": models, "alert_topic": topic}
    return BedrockDashboard(stack, "Dashboard", **{**defaults, **props})


def _apps(count: int) -> list[MonitoredModel]:
    return [MonitoredModel(label=f"app-{n}", model_id=f"app{n:09d}") for n in range(count)]


def test_fails_when_application_profile_rows_would_exceed_500_widgets():
    with pytest.raises(DashboardLimitError, match="widgets, over CloudWatch's 500"):
        _build("TooManyRows", _apps(150), max_application_profile_rows=200)


def test_fails_when_too_many_profiles_for_one_dashboard():
    models = [MonitoredModel(label=f"m{n}", model_id=f"eu.vendor.model-{n}-v1:0") for n in range(130)]
    with pytest.raises(DashboardLimitError, match="over CloudWatch's 500"):
        _build("TooManyProfiles", models)


def test_fails_when_the_body_exceeds_its_byte_budget():
    with pytest.raises(DashboardLimitError, match="byte budget"):
        _build("Budget", [MonitoredModel(label=SONNET, model_id=SONNET)], max_body_bytes=5_000)


def test_fails_when_the_stack_is_in_another_region():
    with pytest.raises(ValueError, match="in a stack for 'eu-west-1'"):
        _build("OtherRegion", [], region="eu-west-1")


def test_fails_when_the_stack_is_environment_agnostic():
    with pytest.raises(ValueError, match="environment-agnostic"):
        _build("Agnostic", [], region=None)


@pytest.mark.parametrize(
    ("models", "error", "message"),
    [
        ([MonitoredModel("a", SONNET), MonitoredModel("a", "eu.amazon.nova-2-lite-v1:0")], ValueError, "used twice"),
        ([MonitoredModel("a", SONNET), MonitoredModel("b", SONNET)], ValueError, "listed twice"),
        ([MonitoredModel("Claude", "Claude Sonnet")], ValueError, "not an inference profile ID"),
        ([MonitoredModel("bad|label", SONNET)], ValueError, "label 'bad|label' is invalid"),
        (["eu.amazon.nova-2-lite-v1:0"], TypeError, "pass MonitoredModel"),
    ],
)
def test_fails_on_bad_models(models, error, message):
    with pytest.raises(error, match=re.escape(message)):
        _build("BadModels", models)


def test_fails_when_a_profile_with_alarms_has_only_tokens():
    model = MonitoredModel(label=cdk.Fn.ref("Label"), model_id=cdk.Fn.ref("Id"), kind=m.ModelKind.SYSTEM_PROFILE)
    with pytest.raises(ValueError, match="both tokens"):
        _build("Tokens", [model])


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"dashboard_name": "has space"}, "dashboard_name 'has space' is invalid"),
        ({"trail_log_group_region": REGION}, "without trail_log_group_name"),
        ({"alert_topic": None}, "no alarm without an action"),
        ({"source_region": "eu-west-2"}, "in a stack for 'eu-central-1'"),
        ({"source_region": "eu-central-9"}, "BedrockDashboard source_region: region 'eu-central-9' is not a known Region code"),
        (
            {"trail_log_group_name": "trail", "trail_log_group_region": "eu-west-9"},
            "trail_log_group_region 'eu-west-9' is not a known Region code",
        ),
    ],
)
def test_fails_on_bad_props(props, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        _build("BadProps", [], **props)


def test_trail_widgets_follow_the_trail_log_groups_region():
    residency = cloudwatch.Metric(namespace="CrisGuard", metric_name="ResidencyViolations", dimensions_map={"SourceRegion": REGION})
    dashboard = _build(
        "HomeRegion", [], residency_metric=residency, trail_log_group_name="trail", trail_log_group_region="eu-west-1"
    )
    body = render_tool.body_from_template_value(
        cdk.Stack.of(dashboard).resolve(dashboard.dashboard.node.default_child.dashboard_body)
    )
    regions = {w["properties"].get("title"): w["properties"].get("region") for w in body["widgets"] if w["type"] in ("metric", "log")}
    assert regions.pop("Residency violations (inference outside the EU)") == "eu-west-1"
    assert regions.pop(f"Bedrock calls from {REGION} by inferenceRegion (CloudTrail)") == "eu-west-1"
    assert set(regions.values()) == {REGION}
    (log,) = [w for w in body["widgets"] if w["type"] == "log"]
    assert f'awsRegion = "{REGION}"' in log["properties"]["query"]


def test_token_labels_work_for_application_profiles():
    label = f"app ({cdk.Fn.ref('ProfileName')})"
    dashboard = _build("TokenLabel", [MonitoredModel(label=label, model_id=cdk.Fn.ref("ProfileId"))])
    body = render_tool.body_from_template_value(
        cdk.Stack.of(dashboard).resolve(dashboard.dashboard.node.default_child.dashboard_body)
    )
    assert "app (<ProfileName>): requests" in [w["properties"].get("title") for w in body["widgets"]]


# -- checks ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("pack", [cdk_nag.AwsSolutionsChecks, cdk_nag.NIST80053R5Checks])
def test_cdk_nag_finds_nothing(example, aggregated, pack):
    for fixture in (example, aggregated):
        violations = pack(fixture["app"]).validate_scope(fixture["stack"]).violations
        assert [(v.rule_name, [r.resource_logical_id for r in v.violating_resources]) for v in violations] == []


def test_synthesis_has_no_warnings(example, aggregated):
    for fixture in (example, aggregated):
        annotations = Annotations.from_stack(fixture["stack"])
        assert annotations.find_warning("*", Match.any_value()) == []
        assert annotations.find_error("*", Match.any_value()) == []


def test_cfn_lint_is_clean(example, aggregated):
    for fixture in (example, aggregated):
        assert [str(match) for match in lint(json.dumps(fixture["raw"]), regions=[REGION])] == []


# -- the picture -------------------------------------------------------------------------------------


def test_renderer_draws_every_widget(example, tmp_path):
    from PIL import Image

    out = tmp_path / "dashboard.png"
    size = render_tool.render(example["body"], out)
    with Image.open(out) as image:
        assert image.size == size
    bottom = max(w["y"] + w["height"] for w in example["body"]["widgets"])
    assert size == (24 * render_tool.COLUMN_PX + 2 * render_tool.MARGIN_PX, render_tool.HEADER_PX + bottom * render_tool.ROW_PX + 2 * render_tool.MARGIN_PX)


def test_readme_picture_matches_the_current_layout(default_templates):
    """docs/dashboard.png pictures the dashboard the default configuration deploys in eu-central-1."""
    from PIL import Image

    (body,) = render_tool.bodies_from_template(default_templates["acme-genai-eu-central-1"]).values()
    bottom = max(w["y"] + w["height"] for w in body["widgets"])
    with Image.open(REPO_ROOT / "docs" / "dashboard.png") as image:
        # Regenerate with: .venv/bin/python tools/render_dashboard.py --out docs/dashboard.png
        assert image.size[1] == render_tool.HEADER_PX + bottom * render_tool.ROW_PX + 2 * render_tool.MARGIN_PX


def test_renderer_describes_search_and_insights_entries():
    search = search_expression(m.INVOCATIONS, (SONNET, "x"), statistic="Sum", period=FIVE_MINUTES)
    assert render_tool.describe_metric_entry([{"expression": search, "label": "Invocations"}]) == (
        "Invocations: SEARCH Invocations Sum (2 candidate ModelIds)"
    )
    assert render_tool.describe_metric_entry([{"expression": m.metrics_insights_query(m.INVOCATIONS)}]) == (
        "Metrics Insights: top 10 ModelIds by SUM(Invocations)"
    )


def test_logs_insights_query_lines_are_pure():
    assert inference_region_query_lines("eu-west-3")[0] == 'filter eventSource = "bedrock.amazonaws.com" and awsRegion = "eu-west-3"'


def test_residency_metric_can_be_any_imetric():
    expression = cloudwatch.MathExpression(
        expression="a", using_metrics={"a": cloudwatch.Metric(namespace="CrisGuard/Audit", metric_name="X")}
    )
    dashboard = _build("MathResidency", [], residency_metric=expression)
    assert dashboard.plan.widget_count == dashboard_widget_count(profiles=0, application_profiles=0, has_trail_log_group=False)
