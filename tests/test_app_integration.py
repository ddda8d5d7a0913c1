"""The whole default app: which concern lands in which stack, once per account or once per Region."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from .conftest import minimal_config

CENTRAL, WEST = "acme-genai-eu-central-1", "acme-genai-eu-west-1"


def _of_type(template: dict, type_: str) -> dict[str, dict]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == type_}


def test_default_config_yields_exactly_one_template_per_source_region(default_templates):
    assert sorted(default_templates) == [CENTRAL, WEST]


@pytest.mark.parametrize(
    ("type_", "central", "west"),
    [
        ("AWS::CloudTrail::Trail", 1, 0),  # one multi-Region trail per account, in the home Region
        ("AWS::Budgets::Budget", 3, 0),  # two applications + the account: once per account
        ("AWS::Bedrock::ApplicationInferenceProfile", 4, 4),  # 2 applications x 2 profiles, per Region
        ("AWS::IAM::Role", None, None),
        ("AWS::CloudWatch::Dashboard", 1, 1),
        ("AWS::SNS::Topic", 1, 1),
    ],
)
def test_resource_placement(default_templates, type_, central, west):
    counts = {name: len(_of_type(t, type_)) for name, t in default_templates.items()}
    if central is None:
        assert counts[CENTRAL] >= 2 and counts[WEST] >= 2
    else:
        assert counts == {CENTRAL: central, WEST: west}


def test_residency_filters_live_with_the_trail_and_cover_both_source_regions(default_templates):
    filters = _of_type(default_templates[CENTRAL], "AWS::Logs::MetricFilter")
    patterns = " ".join(json.dumps(f["Properties"]["FilterPattern"]) for f in filters.values())
    assert 'awsRegion = \\"eu-central-1' in patterns and 'awsRegion = \\"eu-west-1' in patterns
    assert not _of_type(default_templates[WEST], "AWS::Logs::MetricFilter")


def test_west_dashboard_reads_the_residency_metric_and_trail_from_the_home_region(default_templates):
    (dash,) = _of_type(default_templates[WEST], "AWS::CloudWatch::Dashboard").values()
    body = json.dumps(dash["Properties"]["DashboardBody"])
    assert "ResidencyViolations" in body
    assert "/cris-guard/acme-genai/cloudtrail" in body
    assert '\\"region\\":\\"eu-central-1\\"' in body and '\\"region\\":\\"eu-west-1\\"' in body


def test_application_profiles_copy_the_system_profile_in_their_own_region(default_templates):
    for name, region in ((CENTRAL, "eu-central-1"), (WEST, "eu-west-1")):
        for profile in _of_type(default_templates[name], "AWS::Bedrock::ApplicationInferenceProfile").values():
            copy_from = json.dumps(profile["Properties"]["ModelSource"]["CopyFrom"])
            assert f":bedrock:{region}:" in copy_from and ":inference-profile/eu." in copy_from


def test_only_the_budgets_stack_lets_budgets_publish(default_templates):
    def allows_budgets(template):
        for policy in _of_type(template, "AWS::SNS::TopicPolicy").values():
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
                if statement.get("Principal") == {"Service": "budgets.amazonaws.com"}:
                    return True
        return False

    assert allows_budgets(default_templates[CENTRAL]) and not allows_budgets(default_templates[WEST])


@pytest.mark.parametrize("type_", ["AWS::S3::Bucket", "AWS::KMS::Key", "AWS::Logs::LogGroup"])
def test_everything_holding_audit_data_or_keys_is_retained(default_templates, type_):
    # Exceptions, RetainExceptOnCreate (deleted only when the operation that created them rolls back): the
    # trail's log group, whose fixed name would block every retry, the logging handler's own log group in
    # each Region (no audit evidence), which a refused first deploy would otherwise leave behind per retry,
    # and each Region's alert-topic key (it encrypts nothing at rest outside SNS). The keys of the evidence
    # (invocation logs, trail) stay Retain: a create can fail after they encrypted delivered logs.
    named_trail_log_group = "/cris-guard/acme-genai/cloudtrail"
    exceptions = []
    for template in default_templates.values():
        for logical_id, resource in _of_type(template, type_).items():
            assert resource.get("UpdateReplacePolicy") == "Retain", logical_id
            if resource.get("DeletionPolicy") == "RetainExceptOnCreate":
                if type_ == "AWS::KMS::Key":
                    assert logical_id.startswith("AlertsKey"), logical_id
                    assert resource["Properties"]["Description"].endswith("alert topic"), logical_id
                else:
                    assert type_ == "AWS::Logs::LogGroup", logical_id
                    assert (resource["Properties"].get("LogGroupName") == named_trail_log_group
                            or logical_id.startswith("InvocationLoggingHandlerLogGroup")), logical_id
                exceptions.append(logical_id)
                continue
            assert resource.get("DeletionPolicy") == "Retain", logical_id
    # The trail's + one handler's log group per Region; one alert-topic key per Region.
    assert len(exceptions) == {"AWS::Logs::LogGroup": 3, "AWS::KMS::Key": 2}.get(type_, 0)


def test_no_bedrock_arn_has_a_wildcard_region_in_any_allow(default_templates):
    for template in default_templates.values():
        for policy in _of_type(template, "AWS::IAM::ManagedPolicy").values():
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
                if statement["Effect"] != "Allow":
                    continue
                text = json.dumps(statement.get("Resource"))
                assert "bedrock:*" not in text and "bedrock:eu-*" not in text, statement


def test_budgets_go_to_a_region_whose_cloudformation_has_them(catalog):
    def config(regions):
        return minimal_config(catalog, "acme", regions)

    assert config(["eu-north-1", "eu-west-3"]).budgets_region == "eu-west-3"
    assert config(["eu-north-1", "eu-south-2"]).budgets_region == "eu-central-1"


def test_resource_counts_stay_under_the_stack_limit(default_templates):
    for name, template in default_templates.items():
        assert len(template["Resources"]) < 500, name
        assert Counter(r["Type"] for r in template["Resources"].values())["AWS::IAM::Role"] < 20


def test_fallback_budgets_stack_holds_every_budget_when_no_source_region_offers_budgets(catalog):
    """eu-north-1's CloudFormation has no AWS::Budgets::Budget: budgets go to a separate stack, all of them."""
    from cris_guard.app_builder import build_app

    assembly = build_app(minimal_config(catalog, "nordic", ["eu-north-1"]), catalog, default_account="111122223333").synth()
    budgets = {
        s.stack_name: [r for r in s.template["Resources"].values() if r["Type"] == "AWS::Budgets::Budget"]
        for s in assembly.stacks
    }
    assert {name: len(b) for name, b in budgets.items()} == {"nordic-eu-north-1": 0, "nordic-budgets": 2}
    names = sorted(b["Properties"]["Budget"]["BudgetName"] for b in budgets["nordic-budgets"])
    assert names[0].startswith("nordic-all-spend-") and names[1].startswith("nordic-app-app-")
    (budgets_stack,) = [s for s in assembly.stacks if s.stack_name == "nordic-budgets"]
    assert budgets_stack.environment.region == "eu-central-1"
