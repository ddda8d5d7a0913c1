"""Pure cost-governance logic: profile names and descriptions, tags, the profile quota, budget inputs."""

from __future__ import annotations

import re

import pytest

from cris_guard import cost
from cris_guard.cost import (
    APPLICATION_PROFILE_QUOTA,
    BudgetedApplication,
    application_cost_filters,
    application_profile_counts,
    application_profile_description,
    application_profile_name,
    check_application_profile_quota,
    check_application_profile_tags,
    check_budget_settings,
    plan_application_profiles,
)
from cris_guard.config import check_cost_governance
from cris_guard.regions import EU_MEMBER_STATE_REGIONS

SONNET = "eu.anthropic.claude-sonnet-4-6"
NOVA = "eu.amazon.nova-2-lite-v1:0"

# ---------------------------------------------------------------------------------------------------
# Names and descriptions


def test_names_are_pinned_because_a_new_name_replaces_the_profile_and_its_arn():
    # Changing these values means every deployed profile is replaced and every client must switch
    # to a new ARN: update them only together with a migration note in docs/cost.md.
    assert application_profile_name("acme-genai", "claims-assistant", "eu-central-1", SONNET) == (
        "acme-genai-claims-assistant-claude-sonnet-4-6-01ffd133"
    )
    assert application_profile_name("acme-genai", "claims-assistant", "eu-central-1", NOVA) == (
        "acme-genai-claims-assistant-nova-2-lite-v1-0-7f509730"
    )
    assert application_profile_description("acme-genai", "claims-assistant", "eu-central-1", SONNET) == (
        "cris-guard acme-genai application claims-assistant in eu-central-1 copying " + SONNET
    )


def test_every_catalog_profile_gets_a_schema_valid_name_and_description_in_every_eu_region(catalog):
    assert catalog.profiles
    for region in sorted(EU_MEMBER_STATE_REGIONS):
        for plan in plan_application_profiles("a" * 24, "b" * 32, region, catalog.profiles):
            assert cost.check_planned_profile(plan) == [], plan
            assert len(plan.name) <= 64 and cost.PROFILE_NAME_PATTERN.match(plan.name)
            assert len(plan.description) <= 200 and cost.PROFILE_DESCRIPTION_PATTERN.match(plan.description)


def test_a_name_depends_on_each_of_its_four_inputs_and_on_nothing_else():
    base = ("acme-genai", "claims-assistant", "eu-central-1", SONNET)
    variants = [
        ("other-name", *base[1:]),
        (base[0], "claims-bot", *base[2:]),
        (*base[:2], "eu-west-1", base[3]),
        (*base[:3], "eu.anthropic.claude-haiku-4-5-20251001-v1:0"),
    ]
    names = {application_profile_name(*base)} | {application_profile_name(*v) for v in variants}
    assert len(names) == 5
    assert application_profile_name(*base) == application_profile_name(*base)


def test_names_that_read_alike_after_punctuation_or_cutting_stay_distinct():
    # ':' and '.' both become '-' in a name; the hash keeps the two apart.
    a = application_profile_name("acme", "app", "eu-central-1", "eu.x.model-v1:0")
    b = application_profile_name("acme", "app", "eu-central-1", "eu.x.model-v1.0")
    assert a != b and a.rsplit("-", 1)[0] == b.rsplit("-", 1)[0]
    # Long inputs are cut to 64 characters and still differ.
    long_a = application_profile_name("c" * 24, "a" * 32, "eu-central-1", "eu.p." + "m" * 60 + "-x")
    long_b = application_profile_name("c" * 24, "a" * 32, "eu-central-1", "eu.p." + "m" * 60 + "-y")
    assert len(long_a) == len(long_b) == 64 and long_a != long_b


def test_a_description_never_contains_characters_the_schema_refuses():
    text = application_profile_description("acme", "app", "eu-central-1", "eu.x.odd/model,v1__0")
    assert cost.PROFILE_DESCRIPTION_PATTERN.match(text)
    assert "," not in text and "/" not in text and "__" not in text


def test_copy_from_is_the_system_profile_arn_in_the_source_region():
    (plan,) = plan_application_profiles("acme", "app", "eu-west-3", [SONNET])
    assert plan.copy_from(partition="aws", account="111122223333") == (
        f"arn:aws:bedrock:eu-west-3:111122223333:inference-profile/{SONNET}"
    )


# ---------------------------------------------------------------------------------------------------
# Tags


def test_valid_tags_pass_and_cris_guard_tags_win():
    assert check_application_profile_tags("claims", {"team": "claims", "env": "prod"}, cost_center="CC-4711") == []
    tags = cost.application_profile_tags(application="claims", cost_center="CC-4711", tags={"team": "a"})
    assert tags == {"team": "a", "cris-guard:application": "claims", "cost-center": "CC-4711"}


def test_fails_when_a_tag_value_has_a_comma():
    problems = check_application_profile_tags("claims", {"team": "a,b"}, cost_center=None)
    assert problems == [
        "application 'claims': tag 'team': value 'a,b' contains ',', which the tag schema does not allow;"
        " use letters, digits, spaces and . _ : / = + @ -"
    ]


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"k" * 129: "v"}, "the key has 129 characters; use 1-128"),
        ({"": "v"}, "the key has 0 characters; use 1-128"),
        ({"team": "v" * 257}, "the value has 257 characters; use at most 256"),
        ({"aws:team": "v"}, "keys starting with 'aws:' are reserved by AWS"),
        ({"team#1": "v"}, "the key contains '#'"),
        ({"team": "Zürich"}, "contains 'ü'"),
        ({"cris-guard:application": "other"}, "reserves that key for the application name"),
        ({"cost-center": "CC-1"}, "but cost_center is 'CC-4711'; keep one of the two"),
    ],
)
def test_fails_on_each_kind_of_bad_tag(tags, expected):
    problems = check_application_profile_tags("claims", tags, cost_center="CC-4711")
    assert len(problems) == 1 and expected in problems[0], problems
    assert problems[0].startswith("application 'claims': ")


def test_fails_when_tags_including_inherited_ones_exceed_200():
    own = {f"k{i}": "v" for i in range(150)}
    inherited = {f"i{i}": "v" for i in range(49)}
    assert check_application_profile_tags("claims", own, cost_center=None, inherited_tags=inherited) == []
    inherited["one-more"] = "v"
    (problem,) = check_application_profile_tags("claims", own, cost_center=None, inherited_tags=inherited)
    assert "would carry 201 tags" in problem and "remove 1" in problem


# ---------------------------------------------------------------------------------------------------
# Quota


def test_the_quota_is_recorded_with_its_source():
    q = APPLICATION_PROFILE_QUOTA
    assert (q.service_code, q.quota_code, q.default_value, q.adjustable) == ("bedrock", "L-40EC9882", 1000, True)
    assert q.source.startswith("https://docs.aws.amazon.com/general/latest/gr/bedrock.html")
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", q.looked_up)


def test_counts_are_per_source_region():
    counts = application_profile_counts(["eu-central-1", "eu-west-1"], {"a": [SONNET, NOVA], "b": [NOVA]})
    assert counts == {"eu-central-1": 3, "eu-west-1": 3}


def test_the_quota_may_be_reached_but_not_exceeded():
    assert check_application_profile_quota({"eu-central-1": 1000}) == []


def test_fails_when_the_quota_is_exceeded():
    problems = check_application_profile_quota({"eu-west-1": 1001, "eu-central-1": 1200, "eu-north-1": 5}, 1000)
    assert [p.split(":")[0] for p in problems] == ["eu-central-1", "eu-west-1"]
    assert problems[0] == (
        "eu-central-1: 1,200 application inference profiles planned, above the quota of 1,000 (Service Quotas"
        " 'Inference profiles per account', code L-40EC9882, per account, per Region); request an increase with"
        " `aws service-quotas request-service-quota-increase --service-code bedrock --quota-code L-40EC9882"
        " --desired-value 1200 --region eu-central-1` and, once it is approved, set"
        " cost.application_profile_quota: 1200 (or remove profiles or applications)"
    )


def test_a_per_region_quota_overrides_the_default_only_where_given():
    counts = {"eu-central-1": 1500, "eu-west-1": 1500}
    problems = check_application_profile_quota(counts, {"eu-central-1": 2000})
    assert len(problems) == 1 and problems[0].startswith("eu-west-1: ")


# ---------------------------------------------------------------------------------------------------
# Budgets


def _budget_problems(**overrides):
    args = dict(
        name_prefix="acme-genai",
        applications=[BudgetedApplication("claims-assistant", 500), BudgetedApplication("contract-search", 250)],
        account_monthly_usd=None,
        thresholds=[("actual", 80), ("forecasted", 100)],
        emails=["platform-team@example.com"],
    )
    args.update(overrides)
    return check_budget_settings(**args)


def test_valid_budget_settings_pass():
    assert _budget_problems() == []
    assert _budget_problems(emails=[f"p{i}@example.com" for i in range(10)]) == []


def test_fails_with_11_emails():
    (problem,) = _budget_problems(emails=[f"p{i}@example.com" for i in range(11)])
    assert problem.startswith("alerts.emails: 11 addresses, but a budget notification takes at most 10")


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"thresholds": [("actual", p) for p in (10, 20, 30, 40, 50, 60)]}, "at most 5 notifications"),
        ({"thresholds": [("actual", 80), ("actual", 80)]}, "actual 80 % is listed twice"),
        ({"thresholds": [("actual", 0.05)]}, "is out of range"),
        ({"thresholds": [("predicted", 80)]}, "type 'predicted' is not allowed"),
        ({"thresholds": []}, "give at least one threshold"),
        ({"emails": ["a@example.com", "A@example.com"]}, "'A@example.com' is listed twice"),
        ({"emails": ["platform-team@example"]}, "is not an e-mail address"),
        ({"applications": [BudgetedApplication("a", 0)]}, "monthly_budget_usd 0 must be a positive number"),
        ({"applications": [BudgetedApplication("a", float("nan"))]}, "must be a positive number"),
        ({"applications": [BudgetedApplication("a", 1)] * 2}, "'a' has two budgets"),
        ({"account_monthly_usd": -5}, "budgets.account_monthly_usd: -5 must be a positive number"),
        ({"name_prefix": "team:x"}, "contains ':', '\\' or '/action/'"),
        ({"name_prefix": "x" * 90}, "AWS Budgets takes 1-100"),
    ],
)
def test_fails_on_each_kind_of_bad_budget_setting(overrides, expected):
    problems = _budget_problems(**overrides)
    assert problems and any(expected in p for p in problems), problems


def test_application_budgets_filter_on_the_cost_allocation_tag():
    assert application_cost_filters("cris-guard:application", "claims-assistant") == {
        "TagKeyValue": ["user:cris-guard:application$claims-assistant"]
    }


def test_cost_types_count_gross_consumption_including_marketplace():
    types = cost.BUDGET_COST_TYPES
    assert types["IncludeOtherSubscription"] is True  # Marketplace (third-party model) charges
    assert types["IncludeCredit"] is False and types["IncludeRefund"] is False
    assert types["UseBlended"] is False and types["UseAmortized"] is False


def test_the_default_account_budget_is_the_sum_of_application_budgets():
    apps = [BudgetedApplication("a", 500), BudgetedApplication("b", 250.5)]
    assert cost.default_account_monthly_usd(apps) == 750.5


# ---------------------------------------------------------------------------------------------------
# The whole configuration


def test_the_default_configuration_has_no_cost_problems(default_config):
    assert check_cost_governance(default_config) == []


def test_the_whole_configuration_is_checked_against_the_quota_in_every_source_region(default_config):
    # The default configuration plans 4 application profiles in each of its 2 source Regions.
    problems = check_cost_governance(default_config, quota=3)
    assert [p.split(":")[0] for p in problems] == ["eu-central-1", "eu-west-1"]
    assert check_cost_governance(default_config, quota=4) == []


def test_configuration_wide_tags_are_checked_with_each_application(default_config):
    config = default_config.model_copy(update={"tags": {**default_config.tags, "cris-guard:application": "x"}})
    problems = check_cost_governance(config)
    assert len(problems) == len(config.applications)
    assert all("configuration-wide tags set 'cris-guard:application'" in p for p in problems)


def test_a_budget_name_always_contains_a_letter_even_from_all_digit_parts():
    # Issue 17 asks that budget names never look like a number (whether AWS Budgets refuses all-digit names
    # is UNCONFIRMED). The fixed words "app" and "all-spend" guarantee a letter whatever the configuration
    # name, the application name and the fingerprint are, so the fingerprint itself needs none.
    for name in (
        cost.application_budget_name("2026", "1234", "12345678"),
        cost.account_budget_name("2026", "12345678"),
    ):
        assert re.search(r"[A-Za-z]", name), name
        assert not re.fullmatch(r"[\d\s+()-]+", name), name
