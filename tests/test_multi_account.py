"""Several accounts: one CDK Stage per account (config `accounts:`), validated per account."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import aws_cdk as cdk
import pytest
import yaml
from aws_cdk import aws_sqs as sqs

from cris_guard import scenarios
from cris_guard.app_builder import build
from cris_guard.config import ConfigError, parse_config
from cris_guard.nag import failed_validations, register_nag_packs

from .conftest import REPO_ROOT

EXAMPLE = REPO_ROOT / "config" / "examples" / "two-accounts.yaml"


@pytest.fixture(scope="module")
def example_data():
    return yaml.safe_load(EXAMPLE.read_text())


@pytest.fixture(scope="module")
def example(two_accounts_example):
    return two_accounts_example[0]


@pytest.fixture(scope="module")
def synthesized(two_accounts_example):
    _, built, outdir, assembly = two_accounts_example
    return built, Path(outdir), {s.hierarchical_id: s for s in assembly.stacks_recursively}


def _problems(catalog, data) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(data, catalog, origin="t.yaml")
    return info.value.problems


# --- configuration ----------------------------------------------------------------------------------


def test_for_account_inherits_everything_but_account_regions_and_applications(example):
    prod, dev = example.accounts
    prod_config = example.for_account(prod)
    assert (prod_config.account, prod_config.source_regions) == ("111122223333", ["eu-central-1", "eu-west-1"])
    assert [a.name for a in prod_config.applications] == ["claims-assistant", "contract-search"]
    dev_config = example.for_account(dev)
    assert (dev_config.account, dev_config.source_regions) == ("444455556666", ["eu-west-3"])
    assert [a.name for a in dev_config.applications] == ["claims-assistant"]
    assert dev_config.organization_guardrail is None and dev_config.accounts is None
    assert dev_config.alerts == example.alerts and dev_config.tags == example.tags
    assert example.for_account(None) is example
    assert example.all_source_regions == ["eu-central-1", "eu-west-1", "eu-west-3"]


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda d: d.update(source_regions=["eu-west-1"]),
            "t.yaml: source_regions: is set next to accounts; with accounts, give each account its own"
            " source_regions and remove the top-level key",
        ),
        (
            lambda d: d.update(account="111122223333"),
            "t.yaml: account: '111122223333' is set next to accounts; with accounts, give each account its id"
            " and remove the top-level key",
        ),
        (lambda d: d.update(accounts=[]), "t.yaml: accounts: must not be empty"),
        (
            lambda d: d["accounts"][1].update(name="prod"),
            "t.yaml: accounts[1].name: 'prod' is already used by accounts[0]; give each account a unique name",
        ),
        (
            lambda d: d["accounts"][1].update(id="111122223333"),
            "t.yaml: accounts[1].id: '111122223333' is already used by accounts[0]",
        ),
        (
            lambda d: d["accounts"][1].update(applications=["claims"]),
            "t.yaml: accounts[1].applications[0]: 'claims' is not the name of an application; use one of"
            " ['claims-assistant', 'contract-search']",
        ),
        (lambda d: d["accounts"][0].update(id="12345"), "t.yaml: accounts[0].id: '12345' is invalid"),
        (
            lambda d: d["accounts"][1].update(id=444455556666),  # unquoted in YAML
            't.yaml: accounts[1].id: 444455556666 is a number, not text; quote it, e.g. "444455556666"',
        ),
        (
            lambda d: d["accounts"][0].update(name="Prod_1"),
            "t.yaml: accounts[0].name: 'Prod_1' is invalid; use 2-24 lowercase letters",
        ),
        (
            lambda d: d["accounts"][1].update(source_regions=["eu-west-2"]),
            "t.yaml: accounts[1].source_regions[0]: 'eu-west-2' (London",
        ),
        (
            lambda d: d["accounts"][1].update(applications=[]),
            "t.yaml: accounts[1].applications: is empty, so this account would govern no application",
        ),
        (
            lambda d: d["organization_guardrail"].update(allowed_regions=["eu-central-1", "eu-west-1"]),
            "t.yaml: organization_guardrail.allowed_regions: ['eu-central-1', 'eu-west-1'] leaves out source"
            " Region(s) ['eu-west-3']; the SCP would deny the inference profile call there",
        ),
        (
            lambda d: d["organization_guardrail"].update(target_ids=["ou-nope"]),
            "t.yaml: organization_guardrail.target_ids[0]: 'ou-nope' is invalid; use a root (r-abcd), an OU",
        ),
        (
            lambda d: d["organization_guardrail"].update(management_account="9999"),
            "t.yaml: organization_guardrail.management_account: '9999' is invalid",
        ),
        (
            lambda d: d["organization_guardrail"].update(region="eu-middle-9"),
            "t.yaml: organization_guardrail.region: 'eu-middle-9' is not a known Region code",
        ),
    ],
)
def test_bad_accounts_and_guardrail_values_get_one_clear_line(catalog, example_data, mutate, expected):
    data = copy.deepcopy(example_data)
    mutate(data)
    (line,) = _problems(catalog, data)
    assert line.startswith(expected), line


def test_a_problem_of_one_account_names_that_account(catalog, example_data):
    """eu-north-1 offers no application profiles: requiring them is refused there only."""
    data = copy.deepcopy(example_data)
    data["accounts"][1]["source_regions"] = ["eu-north-1"]
    data["organization_guardrail"]["allowed_regions"].append("eu-north-1")
    data["applications"][0]["require_application_profiles"] = True
    (line,) = _problems(catalog, data)
    assert line.startswith(
        "t.yaml: accounts[1] (dev): applications[0].require_application_profiles: true, but CloudFormation"
        " offers no application inference profiles in ['eu-north-1']"
    ), line


PROD_GUARDRAIL = "arn:aws:bedrock:eu-central-1:111122223333:guardrail/abc123def456"


def test_a_guardrail_goes_only_to_the_account_that_owns_it(catalog, example_data):
    data = copy.deepcopy(example_data)
    data["applications"][0]["guardrail_arns"] = [PROD_GUARDRAIL]
    config = parse_config(data, catalog, origin="t.yaml")
    prod, dev = (config.for_account(t) for t in config.accounts)
    assert prod.applications[0].guardrail_arns == [PROD_GUARDRAIL]
    assert dev.applications[0].guardrail_arns == []


def test_a_guardrail_of_an_account_that_does_not_run_the_application_is_refused(catalog, example_data):
    data = copy.deepcopy(example_data)
    data["applications"][1]["guardrail_arns"] = ["arn:aws:bedrock:eu-west-3:444455556666:guardrail/abc123def456"]
    assert _problems(catalog, data) == [
        "t.yaml: applications[1].guardrail_arns[0]: 'arn:aws:bedrock:eu-west-3:444455556666:guardrail/abc123def456'"
        " belongs to account '444455556666', which does not run 'contract-search'; use a guardrail of one of"
        " ['111122223333']"
    ]


def test_a_guardrail_outside_its_accounts_regions_is_refused_for_that_account(catalog, example_data):
    data = copy.deepcopy(example_data)
    data["applications"][0]["guardrail_arns"] = ["arn:aws:bedrock:eu-west-3:111122223333:guardrail/abc123def456"]
    assert _problems(catalog, data) == [
        "t.yaml: accounts[0] (prod): applications[0].guardrail_arns[0]: 'arn:aws:bedrock:eu-west-3:111122223333:"
        "guardrail/abc123def456' is in 'eu-west-3', not one of source_regions, so no role could use it"
        " (guardrails are regional); use a guardrail in one of ['eu-central-1', 'eu-west-1']"
    ]


def test_per_account_problems_name_the_application_by_its_index_in_the_file(catalog, example_data):
    """dev runs only contract-search, the file's applications[1]: the message must not say applications[0]."""
    data = copy.deepcopy(example_data)
    data["accounts"][1].update(applications=["contract-search"], source_regions=["eu-north-1"])
    data["organization_guardrail"]["allowed_regions"].append("eu-north-1")
    data["applications"][1]["require_application_profiles"] = True
    (line,) = _problems(catalog, data)
    assert line.startswith(
        "t.yaml: accounts[1] (dev): applications[1].require_application_profiles: true, but CloudFormation"
        " offers no application inference profiles in ['eu-north-1']"
    ), line


def test_trail_home_region_per_account(catalog, example_data):
    data = copy.deepcopy(example_data)
    data.setdefault("audit", {})["cloudtrail"] = {"home_region": "eu-west-1"}
    assert _problems(catalog, data) == [
        "t.yaml: audit.cloudtrail.home_region: 'eu-west-1' is not a source Region of accounts[1] (dev,"
        " ['eu-west-3']); set accounts[1].trail_home_region to one of them"
    ]
    data["accounts"][1]["trail_home_region"] = "eu-west-3"
    config = parse_config(data, catalog, origin="t.yaml")
    prod, dev = (config.for_account(t) for t in config.accounts)
    assert (prod.trail_home_region, dev.trail_home_region) == ("eu-west-1", "eu-west-3")
    data["accounts"][1]["trail_home_region"] = "eu-central-1"
    assert _problems(catalog, data) == [
        "t.yaml: accounts[1].trail_home_region: 'eu-central-1' is not one of its source_regions; use one of ['eu-west-3']"
    ]


def test_per_region_quota_and_account_budget_per_account(catalog, example_data):
    data = copy.deepcopy(example_data)
    data["cost"] = {"application_profile_quota": {"eu-central-1": 500, "eu-west-3": 100}}
    data["budgets"] = {"account_monthly_usd": 5000}
    data["accounts"][1]["account_monthly_usd"] = 300
    config = parse_config(data, catalog, origin="t.yaml")
    prod, dev = (config.for_account(t) for t in config.accounts)
    assert prod.cost.application_profile_quota == {"eu-central-1": 500}
    assert dev.cost.application_profile_quota == {"eu-west-3": 100}
    assert (prod.budgets.account_monthly_usd, dev.budgets.account_monthly_usd) == (5000, 300)
    data["cost"]["application_profile_quota"]["eu-north-1"] = 10
    assert _problems(catalog, data) == [
        "t.yaml: cost.application_profile_quota: 'eu-north-1' is not a source Region of any account; use one of"
        " ['eu-central-1', 'eu-west-1', 'eu-west-3']"
    ]


# --- synthesis ----------------------------------------------------------------------------------------


def test_one_stage_per_account_with_its_own_regions_and_account(synthesized):
    built, outdir, stacks = synthesized
    staged = {k: (s.stack_name, s.environment.account, s.environment.region) for k, s in stacks.items() if "/" in k}
    assert staged == {
        "prod/acme-genai-eu-central-1": ("acme-genai-eu-central-1", "111122223333", "eu-central-1"),
        "prod/acme-genai-eu-west-1": ("acme-genai-eu-west-1", "111122223333", "eu-west-1"),
        "dev/acme-genai-eu-west-3": ("acme-genai-eu-west-3", "444455556666", "eu-west-3"),
    }
    assert (outdir / "assembly-prod" / "manifest.json").is_file()
    assert (outdir / "assembly-dev" / "manifest.json").is_file()
    assert sorted(built.accounts) == ["dev", "prod"]


def _roles(template: dict) -> list[str]:
    return sorted(
        tag["Value"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::IAM::Role"
        for tag in r["Properties"].get("Tags", [])
        if tag["Key"] == "cris-guard:application"
    )


def test_each_account_gets_only_its_applications(synthesized):
    _, _, stacks = synthesized
    assert _roles(stacks["prod/acme-genai-eu-central-1"].template) == ["claims-assistant", "contract-search"]
    assert _roles(stacks["dev/acme-genai-eu-west-3"].template) == ["claims-assistant"]


def test_each_account_gets_its_own_trail_and_budgets(synthesized):
    _, _, stacks = synthesized

    def count(key: str, resource_type: str) -> int:
        return sum(r["Type"] == resource_type for r in stacks[key].template["Resources"].values())

    assert count("prod/acme-genai-eu-central-1", "AWS::CloudTrail::Trail") == 1
    assert count("prod/acme-genai-eu-west-1", "AWS::CloudTrail::Trail") == 0
    assert count("dev/acme-genai-eu-west-3", "AWS::CloudTrail::Trail") == 1
    # Budgets are per account: dev (eu-west-3 has AWS::Budgets::Budget) budgets only its application.
    assert count("dev/acme-genai-eu-west-3", "AWS::Budgets::Budget") == 2  # claims-assistant + account
    assert count("prod/acme-genai-eu-central-1", "AWS::Budgets::Budget") == 3


def test_app_tags_reach_the_stages(synthesized):
    _, _, stacks = synthesized
    for key in ("prod/acme-genai-eu-west-1", "dev/acme-genai-eu-west-3"):
        topics = [r for r in stacks[key].template["Resources"].values() if r["Type"] == "AWS::SNS::Topic"]
        assert topics, key
        for topic in topics:
            tags = {t["Key"]: t["Value"] for t in topic["Properties"]["Tags"]}
            assert tags["cris-guard:managed-by"] == "cris-guard" and tags["owner"] == "platform-team", key


def test_the_stages_pass_the_nag_packs(synthesized):
    _, outdir, _ = synthesized
    assert (outdir / "validation-report.json").is_file()  # else failed_validations has nothing to read
    assert failed_validations(outdir) == []


def test_failed_validations_reports_findings_in_a_stage_that_the_cli_does_not_fail_on(tmp_path):
    """The CLI runs apps with failSynthOnValidationErrors=false and then misses staged findings."""
    app = cdk.App(outdir=str(tmp_path), context={"@aws-cdk/core:failSynthOnValidationErrors": False})
    register_nag_packs(app)
    stage = cdk.Stage(app, "prod", env=cdk.Environment(account="111122223333", region="eu-central-1"))
    sqs.Queue(cdk.Stack(stage, "S"), "Q")
    app.synth()  # does not raise in this mode
    lines = failed_validations(tmp_path)
    assert any(line.startswith("AwsSolutions-SQS4 at prod/S/Q/Resource: ") for line in lines), lines
    assert len(lines) == len(set(lines))


def test_failed_validations_is_empty_without_a_report_and_names_a_corrupt_one(tmp_path):
    assert failed_validations(tmp_path) == []
    (tmp_path / "validation-report.json").write_text("{")
    (line,) = failed_validations(tmp_path)
    assert line.startswith(f"{tmp_path / 'validation-report.json'}: unreadable validation report")


def test_moving_a_single_account_into_accounts_replaces_nothing(catalog, default_config, tmp_path):
    """`stack_name` is explicit and budget names ignore the Stage, so adopting `accounts:` updates the
    deployed stacks in place: same stacks, logical IDs and types, and only in-place property changes."""
    single = build(default_config, catalog, outdir=str(tmp_path / "single"), default_account="111122223333")
    multi_config = default_config.model_copy(
        update={
            "account": None,
            "source_regions": [],
            "accounts": [
                parse_config(
                    {**_minimal_multi(default_config)}, catalog
                ).accounts[0]
            ],
        }
    )
    multi = build(multi_config, catalog, outdir=str(tmp_path / "multi"))
    single_stacks = {s.stack_name: s for s in single.app.synth().stacks_recursively}
    multi_stacks = {s.stack_name: s for s in multi.app.synth().stacks_recursively}
    assert sorted(single_stacks) == sorted(multi_stacks) == ["acme-genai-eu-central-1", "acme-genai-eu-west-1"]
    budgets_seen = 0
    changed: list[str] = []
    for name, stack in single_stacks.items():
        before, after = stack.template["Resources"], multi_stacks[name].template["Resources"]
        assert sorted(before) == sorted(after), name
        for logical_id, resource in before.items():
            assert resource["Type"] == after[logical_id]["Type"], f"{name} {logical_id}"
            budgets_seen += resource["Type"] == "AWS::Budgets::Budget"
            if resource.get("Properties") != after[logical_id].get("Properties"):
                changed.append(f"{resource['Type']} {_changed_keys(resource['Properties'], after[logical_id]['Properties'])}")
    assert budgets_seen == 3  # budget names (create-only) are unchanged: no budget is replaced
    # CDK derives two values from the construct path, which gains the Stage name. Both are updated in
    # place: a statement ID in the access-log buckets' policies, the provider function's description.
    assert sorted(set(changed)) == ["AWS::Lambda::Function ['Description']", "AWS::S3::BucketPolicy ['PolicyDocument']"]
    assert len(changed) == 5


def _changed_keys(before: dict, after: dict) -> list[str]:
    return sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))


def _minimal_multi(config) -> dict:
    data = json.loads(config.model_dump_json(exclude_none=True))
    data.pop("source_regions")
    data["accounts"] = [{"name": "prod", "id": "111122223333", "source_regions": config.source_regions}]
    return data


def test_the_readme_selectors_pick_one_accounts_stacks_with_the_pinned_cli(synthesized):
    """README "Roll-out to many accounts": `cdk deploy 'prod/*'` selects exactly the prod Stage's stacks.

    The pinned CLI reads the already synthesized assembly (`--app <dir>`), so nothing is synthesized twice.
    """
    _, outdir, _ = synthesized
    cdk_cli = REPO_ROOT / "node_modules" / ".bin" / "cdk"
    env = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20", "CDK_DISABLE_VERSION_CHECK": "1"}

    def listed(selector: str) -> list[str]:
        result = subprocess.run(
            [str(cdk_cli), "ls", "--no-notices", "--app", str(outdir), selector],
            cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
        )
        assert result.returncode == 0, result.stderr[-2000:]
        return sorted(line.split(" ")[0] for line in result.stdout.splitlines() if line.strip())

    assert listed("prod/*") == ["prod/acme-genai-eu-central-1", "prod/acme-genai-eu-west-1"]
    # Every account's Stage, but not the management account's guardrail stack at the top level.
    assert listed("*/*") == ["dev/acme-genai-eu-west-3", "prod/acme-genai-eu-central-1", "prod/acme-genai-eu-west-1"]
    assert "acme-genai-organization-guardrail" in listed("**")


# --- access scenarios per account ------------------------------------------------------------------------

SCENARIOS = REPO_ROOT / "config" / "examples" / "two-accounts-scenarios"


def _run_scenarios_cli(*args: str):
    env = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    return subprocess.run([sys.executable, "-m", "cris_guard.scenarios", *args], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=600, check=False)


def test_the_example_scenarios_hold_per_account_with_the_scp(synthesized):
    _, outdir, _ = synthesized
    result = _run_scenarios_cli("--config", str(EXAMPLE), "--scenarios", str(SCENARIOS), "--assembly", str(outdir))
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "== account prod (111122223333) ==" in out and "== account dev (444455556666) ==" in out
    prod, dev = out.split("== account prod (111122223333) ==")[1].split("== account dev (444455556666) ==")
    assert prod.strip().splitlines()[-1] == "6 scenarios, 80 calls: 80 held, 0 failed"
    assert dev.strip().splitlines()[-1] == "5 scenarios, 28 calls: 28 held, 0 failed"
    assert "contract-search runs in prod only" in prod and "contract-search" not in dev


def test_without_the_guardrail_stack_the_scp_scenarios_fail(catalog, example, synthesized):
    """The SCP at the assembly root is what refuses global profiles when the role allows everything."""

    _, outdir, _ = synthesized
    files = scenarios.load_scenario_dir(SCENARIOS)
    stacks = scenarios.stacks_from_directory(outdir)
    (prod, _dev) = scenarios.per_account(example, stacks)
    assert any(s.stage is None for s in prod.stacks)  # the guardrail goes along with each account
    without_scp = [s for s in prod.stacks if s.stage is not None]
    report = scenarios.run(files, prod.config, catalog, lambda _c: without_scp, account=prod.config.account, stage="prod")
    failed = sorted({o.case.scenario.name for o in report.failures})
    assert failed == [
        "direct calls outside the SCP's allowed Regions are refused by the SCP even when the role allows everything",
        "global and other geographies' profiles are refused by the SCP in every account, whatever the role allows",
    ]


def test_a_scenario_naming_an_unknown_account_is_refused(tmp_path, example):

    (tmp_path / "a.yaml").write_text(
        "scenarios:\n  - name: typo\n    application: claims-assistant\n    accounts: [staging]\n"
        "    profiles: [eu.amazon.nova-2-lite-v1:0]\n    expect: allow\n"
    )
    files = scenarios.load_scenario_dir(tmp_path)
    with pytest.raises(scenarios.ScenarioError) as info:
        scenarios.check_scenario_accounts(files, example)
    assert str(info.value) == (
        "a.yaml: scenario 'typo': accounts: 'staging' is not an account of the configuration; use one of ['prod', 'dev']"
    )


def test_accounts_in_a_scenario_of_a_single_account_configuration_is_refused(tmp_path, catalog, default_config):

    (tmp_path / "a.yaml").write_text(
        "scenarios:\n  - name: misplaced\n    application: claims-assistant\n    accounts: [prod]\n"
        "    profiles: [eu.amazon.nova-2-lite-v1:0]\n    expect: allow\n"
    )
    files = scenarios.load_scenario_dir(tmp_path)
    with pytest.raises(scenarios.ScenarioError, match=r"^a.yaml: scenario 'misplaced': accounts is set, but the configuration has no accounts; remove it$"):
        scenarios.run(files, default_config, catalog, lambda _c: [], account="111122223333")


def test_a_per_account_guardrail_problem_names_the_arn_by_its_index_in_the_file(catalog, example_data):
    """dev gets only its own guardrails: the second ARN of the file must be reported as guardrail_arns[1]."""
    data = copy.deepcopy(example_data)
    data["applications"][0]["guardrail_arns"] = [PROD_GUARDRAIL, "arn:aws:bedrock:eu-central-1:444455556666:guardrail/abc123def456"]
    assert _problems(catalog, data) == [
        "t.yaml: accounts[1] (dev): applications[0].guardrail_arns[1]: 'arn:aws:bedrock:eu-central-1:444455556666:"
        "guardrail/abc123def456' is in 'eu-central-1', not one of source_regions, so no role could use it"
        " (guardrails are regional); use a guardrail in one of ['eu-west-3']"
    ]


def test_duplicate_application_names_are_reported_once_with_the_files_indices(catalog, example_data):
    data = copy.deepcopy(example_data)
    data["applications"].append(copy.deepcopy(data["applications"][0]))
    assert _problems(catalog, data) == [
        "t.yaml: applications[2].name: 'claims-assistant' is already used by applications[0]; give each"
        " application a unique name"
    ]
