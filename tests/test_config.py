"""Configuration validation: every bad value gets one line naming the field, the value and the fix."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
import yaml

from cris_guard.config import ConfigError, load_config, parse_config

from .conftest import REPO_ROOT

TODAY = dt.date(2026, 12, 6)  # end of life is judged against the day of synthesis: pinned here
BASE = {
    "name": "acme-genai",
    "residency": "eu",
    "source_regions": ["eu-central-1", "eu-west-1"],
    "applications": [
        {
            "name": "claims-assistant",
            "profiles": ["eu.anthropic.claude-sonnet-4-6", "eu.amazon.nova-2-lite-v1:0"],
            "monthly_budget_usd": 500,
            "trusted_services": ["lambda.amazonaws.com"],
        }
    ],
    "alerts": {"emails": ["platform-team@example.com"]},
}


def problems_for(catalog, mutate) -> list[str]:
    data = copy.deepcopy(BASE)
    mutate(data)
    with pytest.raises(ConfigError) as info:
        parse_config(data, catalog, origin="cfg.yaml", today=TODAY)
    lines = str(info.value).splitlines()
    assert all(line.startswith("cfg.yaml: ") for line in lines)
    assert all("Traceback" not in line for line in lines)
    return lines


def test_the_issue_example_is_valid(catalog):
    config = parse_config(copy.deepcopy(BASE), catalog)
    assert config.account is None
    assert config.trail_home_region == "eu-central-1"
    assert config.applications[0].monthly_budget_usd == 500


def test_default_config_is_valid(default_config):
    assert default_config.source_regions == ["eu-central-1", "eu-west-1"]
    assert [a.name for a in default_config.applications] == ["claims-assistant", "contract-search"]


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda d: d.update(source_regions=["us-east-1"]),
            "source_regions[0]: 'us-east-1' is not an EU member-state Region; use one of",
        ),
        (
            lambda d: d.update(source_regions=["eu-central-9"]),
            "source_regions[0]: 'eu-central-9' is not a known Region code; use one of",
        ),
        (
            lambda d: d.update(source_regions=["eu-west-2"]),
            "source_regions[0]: 'eu-west-2' (London, United Kingdom (not an EU member state)) adds itself as a"
            " destination when used as a source",
        ),
        (
            lambda d: d.update(source_regions=["eu-central-2"]),
            "source_regions[0]: 'eu-central-2' (Zurich, Switzerland (not an EU member state)) adds itself",
        ),
        (
            lambda d: d.update(source_regions=["il-central-1"]),
            "source_regions[0]: 'il-central-1' (Tel Aviv, Israel (not an EU member state)) adds itself",
        ),
        (lambda d: d.update(source_regions=[]), "source_regions: must not be empty; list at least one value"),
        (lambda d: d.update(applications=[]), "applications: must not be empty; list at least one value"),
        (
            lambda d: d["applications"][0].update(profiles=[]),
            "applications[0].profiles: must not be empty",
        ),
        (lambda d: d["alerts"].update(emails=[]), "alerts.emails: must not be empty"),
        (
            lambda d: d["alerts"].update(emails=["platform-team@example"]),
            "alerts.emails[0]: 'platform-team@example' is invalid; use a full address such as",
        ),
        (
            lambda d: d.update(account="11112222333"),
            "account: '11112222333' is not an AWS account ID; use the 12 digits",
        ),
        (
            lambda d: d["applications"][0].update(name="Claims_Assistant"),
            "applications[0].name: 'Claims_Assistant' is invalid; use 2-32 lowercase letters",
        ),
        (
            lambda d: d["applications"].append(copy.deepcopy(d["applications"][0])),
            "applications[1].name: 'claims-assistant' is already used by applications[0]; give each application"
            " a unique name",
        ),
        (
            lambda d: d["applications"][0].update(monthly_budget_usd=0),
            "applications[0].monthly_budget_usd: 0 must be positive",
        ),
        (
            lambda d: d["applications"][0].update(monthly_budget_usd=-5),
            "applications[0].monthly_budget_usd: -5 must be positive",
        ),
        (
            lambda d: d["applications"][0].update(montly_budget_usd=5),
            "applications[0].montly_budget_usd: unknown key; remove it or fix its spelling",
        ),
        (lambda d: d.update(residency="global"), "residency: 'global' is not allowed; input should be 'eu'"),
        (lambda d: d.pop("alerts"), "alerts: required key is missing"),
        (
            lambda d: d["applications"][0].update(trusted_services=["lambda"]),
            "applications[0].trusted_services[0]: 'lambda' is invalid; use a service principal such as",
        ),
        (
            lambda d: d["applications"][0]["profiles"].append("eu.amazon.nova-2-lite-v1:0"),
            "applications[0].profiles: 'eu.amazon.nova-2-lite-v1:0' is listed twice",
        ),
    ],
)
def test_bad_value_gets_one_clear_line(catalog, mutate, expected):
    lines = problems_for(catalog, mutate)
    assert len(lines) == 1, lines
    assert expected in lines[0]


@pytest.mark.parametrize(
    ("profile", "expected"),
    [
        (
            "global.anthropic.claude-sonnet-4-6",
            "applications[0].profiles[0]: 'global.anthropic.claude-sonnet-4-6' is not an EU geographic"
            " profile; under residency 'eu' use an 'eu.' profile",
        ),
        (
            "us.anthropic.claude-sonnet-4-6",
            "applications[0].profiles[0]: 'us.anthropic.claude-sonnet-4-6' is not an EU geographic",
        ),
        (
            "eu.anthropic.claude-sonnet-5",
            "applications[0].profiles[0]: 'eu.anthropic.claude-sonnet-5' is not in the shipped catalog; did you mean"
            " 'eu.anthropic.claude-sonnet-4-5-20250929-v1:0' or 'eu.anthropic.claude-sonnet-4-6'? to add it, run",
        ),
        (
            # callable only from eu-central-1, eu-west-1 and eu-west-3: no route from eu-central-1? it has one;
            # marengo is callable only from eu-west-1, so eu-central-1 has no route.
            "eu.twelvelabs.marengo-embed-3-0-v1:0",
            "applications[0].profiles[0]: 'eu.twelvelabs.marengo-embed-3-0-v1:0' has no route from source Region"
            " 'eu-central-1' (it is callable from ['eu-west-1']); remove the profile or the Region",
        ),
    ],
)
def test_bad_profile(catalog, profile, expected):
    lines = problems_for(catalog, lambda d: d["applications"][0].update(profiles=[profile]))
    assert len(lines) == 1, lines
    assert lines[0] == f"cfg.yaml: {expected}" or expected in lines[0]


def test_no_route_from_second_region_is_named(catalog):
    lines = problems_for(
        catalog,
        lambda d: (
            d.update(source_regions=["eu-west-1", "eu-south-1"]),
            d["applications"][0].update(profiles=["eu.mistral.pixtral-large-2502-v1:0"]),
        ),
    )
    assert lines == [
        "cfg.yaml: applications[0].profiles[0]: 'eu.mistral.pixtral-large-2502-v1:0' has no route from"
        " source Region 'eu-south-1' (it is callable from ['eu-central-1', 'eu-north-1', 'eu-west-1', 'eu-west-3']);"
        " remove the profile or the Region"
    ]


def test_route_leaving_residency_is_an_error(catalog):
    """A catalog route that reaches a non-EU Region is refused, even from an EU source."""
    from dataclasses import replace

    from cris_guard.catalog import Profile

    profile = catalog.get("eu.amazon.nova-2-lite-v1:0")
    leaky = replace(
        catalog,
        profiles={
            **catalog.profiles,
            profile.profile_id: Profile(
                profile.profile_id,
                profile.model_id,
                {**profile.routes, "eu-central-1": (*profile.routes["eu-central-1"], "eu-west-2")},
            ),
        },
    )
    data = copy.deepcopy(BASE)
    with pytest.raises(ConfigError) as info:
        parse_config(data, leaky, origin="cfg.yaml")
    assert str(info.value) == (
        "cfg.yaml: applications[0].profiles[1]: 'eu.amazon.nova-2-lite-v1:0' called from 'eu-central-1' routes to"
        " ['eu-west-2'] (the shipped catalog), outside residency 'eu'; choose another profile or source Region"
    )


def test_several_problems_give_several_lines(catalog):
    lines = problems_for(
        catalog,
        lambda d: (d.update(account="x"), d["alerts"].update(emails=["nope"])),
    )
    assert len(lines) == 2


def test_yaml_syntax_error_names_the_line(tmp_path, catalog):
    path = tmp_path / "broken.yaml"
    path.write_text("name: acme\nsource_regions: [eu-central-1\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, catalog)
    (line,) = str(info.value).splitlines()
    assert line.startswith(f"{path}:3: not valid YAML")


def test_missing_file(tmp_path, catalog):
    with pytest.raises(ConfigError, match="configuration file not found"):
        load_config(tmp_path / "nope.yaml", catalog)


def test_default_yaml_keys_are_documented():
    """The README's configuration reference names every top-level key of the model."""
    from cris_guard.config import Config

    readme = (REPO_ROOT / "README.md").read_text()
    for field in Config.model_fields:
        assert f"`{field}`" in readme, f"README configuration reference lacks `{field}`"
    assert yaml.safe_load((REPO_ROOT / "config" / "default.yaml").read_text())["residency"] == "eu"


def test_application_profile_quota_is_checked_at_config_time(catalog):
    def many(d):
        d["applications"] = [
            {
                "name": f"app-{i:03d}",
                "profiles": catalog.approvable()[:10],
                "monthly_budget_usd": 1,
                "trusted_services": ["lambda.amazonaws.com"],
            }
            for i in range(101)
        ]
        d["source_regions"] = ["eu-west-1"]

    lines = problems_for(catalog, lambda d: many(d))
    assert lines == [
        line for line in lines if "eu-west-1: 1,010 application inference profiles planned, above the quota of 1,000" in line
    ]
    assert len(lines) == 1
    assert "set cost.application_profile_quota: 1010" in lines[0]


def test_raised_quota_is_accepted(catalog):
    data = copy.deepcopy(BASE)
    data["cost"] = {"application_profile_quota": {"eu-central-1": 5000, "eu-west-1": 5000}}
    assert parse_config(data, catalog).cost.application_profile_quota["eu-west-1"] == 5000
    data["cost"] = {"application_profile_quota": {"eu-north-1": 5000}}
    with pytest.raises(ConfigError, match=r"cost.application_profile_quota: 'eu-north-1' is not one of source_regions"):
        parse_config(data, catalog)


def test_required_application_profiles_need_a_region_that_offers_them(catalog):
    lines = problems_for(
        catalog,
        lambda d: (
            d.update(source_regions=["eu-central-1", "eu-north-1"]),
            d["applications"][0].update(require_application_profiles=True),
        ),
    )
    assert lines == [
        "cfg.yaml: applications[0].require_application_profiles: true, but CloudFormation offers no application"
        " inference profiles in ['eu-north-1'], so every call from there would be denied; set it to false or"
        " remove those source Regions"
    ]


def test_log_retention_must_be_a_cloudwatch_value(catalog):
    lines = problems_for(catalog, lambda d: d.update(audit={"invocation_logs": {"cloudwatch_retention_days": 100}}))
    assert len(lines) == 1
    assert lines[0].startswith("cfg.yaml: audit.invocation_logs.cloudwatch_retention_days: 100 is not a CloudWatch Logs retention period; use one of [1, 3, 5")


def test_a_role_nobody_can_assume_is_refused(catalog):
    lines = problems_for(catalog, lambda d: d["applications"][0].pop("trusted_services"))
    assert lines == [
        "cfg.yaml: applications[0]: application 'claims-assistant' has no trusted_services and no trusted_role_arns,"
        " so nothing could assume its role; add e.g. trusted_services: [lambda.amazonaws.com] or a role ARN"
    ]


def test_validate_command(tmp_path, capsys):
    from cris_guard.config import main

    assert main([str(REPO_ROOT / "config" / "default.yaml")]) == 0
    assert "is valid: 2 applications in eu-central-1, eu-west-1" in capsys.readouterr().out
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\n")
    assert main([str(bad)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err and all(line.startswith(f"cris-guard: {bad}: ") for line in err)


def test_async_data_events_select_the_model_and_async_invoke_types(catalog):
    from cris_guard.config import BEDROCK_DATA_EVENT_TYPES
    from cris_guard.constructs.audit_trail import validate_data_event_resource_types

    data = copy.deepcopy(BASE)
    data["audit"] = {"cloudtrail": {"data_events": ["async", "guardrails"]}}
    config = parse_config(data, catalog)
    assert config.audit.cloudtrail.data_events == ["async", "guardrails"]
    # StartAsyncInvoke / GetAsyncInvoke / InvokeModelWithBidirectionalStream are data events (cris-facts §3).
    assert BEDROCK_DATA_EVENT_TYPES["async"] == ("AWS::Bedrock::Model", "AWS::Bedrock::AsyncInvoke")
    types = [t for kind in config.audit.cloudtrail.data_events for t in BEDROCK_DATA_EVENT_TYPES[kind]]
    assert validate_data_event_resource_types(types) == (
        "AWS::Bedrock::Model",
        "AWS::Bedrock::AsyncInvoke",
        "AWS::Bedrock::Guardrail",
    )


def test_every_data_event_option_maps_to_types_the_trail_accepts():
    from cris_guard.config import BEDROCK_DATA_EVENT_TYPES, CloudTrailSettings
    from cris_guard.constructs.audit_trail import validate_data_event_resource_types

    options = CloudTrailSettings.model_fields["data_events"].annotation.__args__[0].__args__
    assert sorted(options) == sorted(BEDROCK_DATA_EVENT_TYPES)
    validate_data_event_resource_types([t for kind in options for t in BEDROCK_DATA_EVENT_TYPES[kind]])


def test_an_unknown_data_event_option_is_refused(catalog):
    lines = problems_for(catalog, lambda d: d.update(audit={"cloudtrail": {"data_events": ["asynchronous"]}}))
    assert len(lines) == 1 and "audit.cloudtrail.data_events" in lines[0] and "async" in lines[0]


def test_replace_existing_configuration_defaults_to_false(catalog):
    assert parse_config(copy.deepcopy(BASE), catalog).audit.invocation_logs.replace_existing_configuration is False


def test_replace_existing_configuration_must_be_a_boolean(catalog):
    lines = problems_for(catalog, lambda d: d.update(audit={"invocation_logs": {"replace_existing_configuration": "maybe"}}))
    assert len(lines) == 1 and "audit.invocation_logs.replace_existing_configuration" in lines[0]


@pytest.mark.parametrize("replace", [False, True])
def test_replace_existing_configuration_reaches_every_regions_custom_resource(catalog, replace):
    from cris_guard.app_builder import build_app

    data = copy.deepcopy(BASE)
    data["audit"] = {"invocation_logs": {"replace_existing_configuration": replace}}
    assembly = build_app(parse_config(data, catalog), catalog, default_account="111122223333").synth()
    seen = []
    for stack in assembly.stacks:
        for resource in stack.template["Resources"].values():
            if resource["Type"] == "Custom::BedrockModelInvocationLogging":
                seen.append(resource["Properties"]["ReplaceExistingConfiguration"])
    assert seen == [replace, replace], "one custom resource per source Region, each with the setting"


GUARDRAIL = "arn:aws:bedrock:eu-central-1:111122223333:guardrail/abc123def456"


def test_guardrail_arns_default_to_none_and_accept_source_region_guardrails(catalog):
    assert parse_config(copy.deepcopy(BASE), catalog).applications[0].guardrail_arns == []
    data = copy.deepcopy(BASE)
    data["account"] = "111122223333"
    data["applications"][0]["guardrail_arns"] = [GUARDRAIL, "arn:aws:bedrock:eu-west-1:111122223333:guardrail/xyz"]
    assert parse_config(data, catalog).applications[0].guardrail_arns[0] == GUARDRAIL


@pytest.mark.parametrize(
    ("arns", "expected"),
    [
        (
            [f"{GUARDRAIL}:1"],
            f"applications[0].guardrail_arns[0]: '{GUARDRAIL}:1' is invalid; use a guardrail ARN such as"
            " arn:aws:bedrock:eu-central-1:111122223333:guardrail/abc123def456 (no version suffix, no wildcards)",
        ),
        (
            [GUARDRAIL, "arn:aws:bedrock:eu-central-1:111122223333:guardrail/*"],
            "applications[0].guardrail_arns[1]: 'arn:aws:bedrock:eu-central-1:111122223333:guardrail/*' is invalid;"
            " use a guardrail ARN such as",
        ),
        (["abc123def456"], "applications[0].guardrail_arns[0]: 'abc123def456' is invalid; use a guardrail ARN"),
        ([GUARDRAIL, GUARDRAIL], f"applications[0].guardrail_arns: '{GUARDRAIL}' is listed twice; list each guardrail once"),
        (
            [GUARDRAIL.replace("eu-central-1", "eu-north-1")],
            "applications[0].guardrail_arns[0]: 'arn:aws:bedrock:eu-north-1:111122223333:guardrail/abc123def456' is in"
            " 'eu-north-1', not one of source_regions, so no role could use it (guardrails are regional); use a"
            " guardrail in one of ['eu-central-1', 'eu-west-1']",
        ),
        (
            [GUARDRAIL.replace("eu-central-1", "us-east-1")],
            "applications[0].guardrail_arns[0]: 'arn:aws:bedrock:us-east-1:111122223333:guardrail/abc123def456' is in"
            " 'us-east-1', not one of source_regions",
        ),
    ],
)
def test_bad_guardrail_arns_get_one_clear_line(catalog, arns, expected):
    lines = problems_for(catalog, lambda d: d["applications"][0].update(guardrail_arns=arns))
    assert len(lines) == 1
    assert lines[0].startswith(f"cfg.yaml: {expected}")


def test_a_guardrail_of_another_account_is_refused_when_the_account_is_set(catalog):
    def mutate(d):
        d["account"] = "444455556666"
        d["applications"][0]["guardrail_arns"] = [GUARDRAIL]

    assert problems_for(catalog, mutate) == [
        f"cfg.yaml: applications[0].guardrail_arns[0]: '{GUARDRAIL}' belongs to account '111122223333', not the"
        " configured account '444455556666'; use a guardrail of account 444455556666 (a guardrail your"
        " organization enforces from its management account goes under enforced_guardrails)"
    ]
    # without a configured account, the guardrail's account is not checked
    data = copy.deepcopy(BASE)
    data["applications"][0]["guardrail_arns"] = [GUARDRAIL]
    assert parse_config(data, catalog).applications[0].guardrail_arns == [GUARDRAIL]


def test_at_most_ten_guardrails_per_application(catalog):
    arns = [f"arn:aws:bedrock:eu-central-1:111122223333:guardrail/g{i}" for i in range(11)]
    (line,) = problems_for(catalog, lambda d: d["applications"][0].update(guardrail_arns=arns))
    assert line.startswith("cfg.yaml: applications[0].guardrail_arns: has too many entries (11)")


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda d: d["applications"][0].update(trusted_services=["lambda.amazonaws.com", "lambda.amazonaws.com"]),
            "applications[0].trusted_services: 'lambda.amazonaws.com' is listed twice; list each principal once",
        ),
        (
            lambda d: d.update(audit={"cloudtrail": {"enabled": False, "existing_log_group_name": "bad name!"}}),
            "audit.cloudtrail.existing_log_group_name: 'bad name!' is invalid; use the log group's name",
        ),
        (
            lambda d: d.update(audit={"cloudtrail": {"existing_log_group_name": "/org/cloudtrail/main"}}),
            "audit.cloudtrail: existing_log_group_name '/org/cloudtrail/main' is set while enabled is true, so it"
            " would be ignored",
        ),
        (
            lambda d: d.update(audit={"cloudtrail": {"data_events": ["async", "async"]}}),
            "audit.cloudtrail.data_events: 'async' is listed twice; list each data-event kind once",
        ),
        (
            lambda d: d.update(audit={"cloudtrail": {"enabled": False}}),
            "audit: evidence.trail_bucket is missing: with cloudtrail.enabled: false, Athena needs the bucket",
        ),
        (
            lambda d: d.update(audit={"evidence": {"trail_bucket": "org-trail"}}),
            "audit: evidence.trail_bucket/trail_prefix/organization_id are set while cloudtrail.enabled is true",
        ),
        (
            lambda d: d.update(audit={"cloudtrail": {"enabled": False},
                                      "evidence": {"trail_bucket": "Org_Trail"}}),
            "audit.evidence.trail_bucket: 'Org_Trail' is invalid; use an S3 bucket name",
        ),
        (
            lambda d: d.update(audit={"evidence": {"bytes_scanned_cutoff_mb": 5}}),
            "audit.evidence.bytes_scanned_cutoff_mb:",
        ),
        (
            lambda d: d.update(audit={"cloudtrail": {"organization_trail": "org-main"}}),
            "audit.cloudtrail: organization_trail 'org-main' is set while enabled is true, so it would be ignored",
        ),
        (
            lambda d: d.update(audit={"cloudtrail": {"enabled": False, "organization_trail": "a b"},
                                      "evidence": {"athena": False}}),
            "audit.cloudtrail.organization_trail: 'a b' is invalid; use the trail's name or ARN",
        ),
        (
            lambda d: d.update(audit={"verifier_principals": ["arn:aws:iam::111122223333:role/a",
                                                              "arn:aws:iam::111122223333:role/a"]}),
            "audit.verifier_principals: 'arn:aws:iam::111122223333:role/a' is listed twice",
        ),
        (
            lambda d: d.update(audit={"evidence": {"auditor_principals": ["arn:aws:iam::1:user/x"]}}),
            "audit.evidence.auditor_principals[0]: 'arn:aws:iam::1:user/x' is invalid; use an IAM role ARN",
        ),
    ],
)
def test_values_that_would_be_silently_ignored_or_fail_at_deploy_are_refused(catalog, mutate, expected):
    lines = problems_for(catalog, mutate)
    assert len(lines) == 1, lines
    assert expected in lines[0]


# --- guardrail profiles, enforced guardrails, Responses API ----------------------------------------------

FRA_GUARDRAIL = "arn:aws:bedrock:eu-central-1:111122223333:guardrail/abc123def456"
ORG_GUARDRAIL = "arn:aws:bedrock:eu-central-1:999988887777:guardrail/orgbaseline1"


def test_guardrails_with_profiles_enforced_guardrails_and_responses_are_accepted(catalog):
    data = copy.deepcopy(BASE)
    data["applications"][0].update(guardrails=[{"arn": FRA_GUARDRAIL, "profile": "eu.guardrail.v1:0"}],
                                   responses_api=True)
    data["enforced_guardrails"] = [{"arn": ORG_GUARDRAIL, "profile": "eu.guardrail.v1:0"}]
    config = parse_config(data, catalog, today=TODAY)
    assert [(g.arn, g.profile) for g in config.applications[0].guardrail_uses()] == [(FRA_GUARDRAIL, "eu.guardrail.v1:0")]
    assert config.applications[0].responses_api is True
    assert config.enforced_guardrails[0].arn == ORG_GUARDRAIL


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d["applications"][0].update(guardrails=[{"arn": FRA_GUARDRAIL, "profile": "eu.guardrail.v9:0"}]),
         "applications[0].guardrails[0].profile: 'eu.guardrail.v9:0' is not a guardrail profile of the catalog in"
         " force (it has ['eu.guardrail.v1:0'])"),
        (lambda d: d["applications"][0].update(guardrails=[{"arn": FRA_GUARDRAIL, "profile": "us.guardrail.v1:0"}]),
         "applications[0].guardrails[0].profile: 'us.guardrail.v1:0' is not a guardrail profile of the catalog"),
        (lambda d: d["applications"][0].update(guardrails=[{"arn": FRA_GUARDRAIL, "profile": "arn:aws:bedrock:x"}]),
         "applications[0].guardrails[0].profile: 'arn:aws:bedrock:x' is not a guardrail profile ID; use one such as"
         " eu.guardrail.v1:0"),
        (lambda d: d["applications"][0].update(guardrail_arns=[FRA_GUARDRAIL], guardrails=[{"arn": FRA_GUARDRAIL}]),
         f"applications[0]: guardrails: '{FRA_GUARDRAIL}' is listed twice"),
        (lambda d: d["applications"][0].update(responses_api=True, require_application_profiles=True),
         "applications[0].responses_api: true with require_application_profiles: true, but the Responses API does"
         " not accept application inference profiles"),
        (lambda d: d.update(enforced_guardrails=[{"arn": "arn:aws:bedrock:eu-west-3:999988887777:guardrail/org1"}]),
         "enforced_guardrails[0]: 'arn:aws:bedrock:eu-west-3:999988887777:guardrail/org1' is in 'eu-west-3', not a"
         " source Region of the configuration"),
        (lambda d: d.update(enforced_guardrails=[{"arn": ORG_GUARDRAIL}, {"arn": ORG_GUARDRAIL}]),
         f"enforced_guardrails[1]: '{ORG_GUARDRAIL}' is listed twice"),
    ],
)
def test_bad_guardrail_settings_get_one_clear_line(catalog, mutate, expected):
    lines = problems_for(catalog, mutate)
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"cfg.yaml: {expected}"), lines[0]


def test_a_guardrail_profile_routing_outside_the_eu_is_refused_naming_its_catalog(catalog):
    from cris_guard.catalog import layer, parse_catalog

    local = parse_catalog({"guardrail_profiles": {"eu.guardrail.v2:0": {
        "source": "hand-written", "as_of": "2026-12-06",
        "routes": {"eu-central-1": ["eu-central-1", "eu-west-2"]}}}, "profiles": {}}, "g.json", label="g.json")
    data = copy.deepcopy(BASE)
    data["applications"][0]["guardrails"] = [{"arn": FRA_GUARDRAIL, "profile": "eu.guardrail.v2:0"}]
    with pytest.raises(ConfigError) as info:
        parse_config(data, layer(catalog, local), origin="cfg.yaml", today=TODAY)
    assert str(info.value) == (
        "cfg.yaml: applications[0].guardrails[0].profile: 'eu.guardrail.v2:0' used from 'eu-central-1' routes to"
        " ['eu-west-2'] (catalog g.json), outside residency 'eu'; use a guardrail without a cross-Region profile,"
        " or one in another Region"
    )


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d.update(organization_guardrail={"management_account": "555566667777", "target_ids": ["ou-abcd-12345678"]},
                            enforced_guardrails=[{"arn": ORG_GUARDRAIL}]),
         f"enforced_guardrails[0]: '{ORG_GUARDRAIL}' belongs to account '999988887777', not the management account"
         " '555566667777'"),
        (lambda d: d.update(account="999988887777", enforced_guardrails=[{"arn": ORG_GUARDRAIL}]),
         f"enforced_guardrails[0]: '{ORG_GUARDRAIL}' belongs to '999988887777', one of the configuration's own accounts"),
        (lambda d: (d.update(enforced_guardrails=[{"arn": ORG_GUARDRAIL}]),
                    d["applications"][0].update(guardrail_arns=[ORG_GUARDRAIL])),
         f"applications[0].guardrail_arns[0]: '{ORG_GUARDRAIL}' is also in enforced_guardrails"),
    ],
)
def test_enforced_guardrails_belong_to_the_management_account_and_are_listed_once(catalog, mutate, expected):
    lines = problems_for(catalog, mutate)
    assert len(lines) == 1 and lines[0].startswith(f"cfg.yaml: {expected}"), lines


def test_responses_api_next_to_enforced_guardrails_warns(catalog):
    from cris_guard.config import governance_warnings

    data = copy.deepcopy(BASE)
    data["enforced_guardrails"] = [{"arn": ORG_GUARDRAIL}]
    data["applications"][0]["responses_api"] = True
    config = parse_config(data, catalog, today=TODAY)
    assert governance_warnings(config, catalog) == [
        "claims-assistant has responses_api: true, and guardrails do not apply to the Responses API (AWS), so its"
        " Responses calls run without the organization's enforced guardrails"
    ]
    data["enforced_guardrails"] = []
    assert governance_warnings(parse_config(data, catalog, today=TODAY), catalog) == []


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d.update(enforced_guardrails=ORG_GUARDRAIL),
         f"enforced_guardrails: '{ORG_GUARDRAIL}' is a single value; write a list of {{arn, profile}} entries"),
        (lambda d: d["applications"][0].update(guardrails={"arn": FRA_GUARDRAIL}),
         f"applications[0].guardrails: {{'arn': '{FRA_GUARDRAIL}'}} is a single value; write a list of {{arn, profile}} entries"),
        (lambda d: d.update(organization_guardrail={"management_account": "999988887777",
                                                    "target_ids": ["ou-abcd-12345678"], "api_keys": False}),
         "organization_guardrail.api_keys: False is a YAML boolean; write api_keys: deny or api_keys: allow"),
    ],
)
def test_common_yaml_slips_in_the_new_keys_get_a_fix(catalog, mutate, expected):
    lines = problems_for(catalog, mutate)
    assert len(lines) == 1 and lines[0].startswith(f"cfg.yaml: {expected}"), lines
