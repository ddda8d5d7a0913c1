"""The review report: exact lines for the default configuration, and every kind of failure flagged ✘.

The default assembly is the session's ``default_assembly``; failing cases mutate deep copies of its
templates (pure section functions) or of its directory (the CLI, for the exit code).
"""

from __future__ import annotations

import copy
import datetime as dt
import importlib.metadata
import json
import os
import re
import shutil
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import pytest  # noqa: E402

from cris_guard import iam_policy  # noqa: E402
from cris_guard import report as rp  # noqa: E402
from cris_guard import scenarios as sc  # noqa: E402

from .conftest import REPO_ROOT  # noqa: E402

TODAY = dt.date(2026, 11, 22)
CENTRAL = "acme-genai-eu-central-1"
WEST = "acme-genai-eu-west-1"
CLAIMS_ROLE = "ApplicationAccessclaimsassistantAccess1F1352F3"
CLAIMS_POLICY = "ApplicationAccessclaimsassistantAccessPolicy17DD830BA"
NOVA_LITE = "eu.amazon.nova-2-lite-v1:0"
EU6 = "eu-central-1, eu-north-1, eu-south-1, eu-south-2, eu-west-1, eu-west-3"
ROUTE_OK = "✔ equals the catalog; all EU member-state Regions"
US_PROFILE_SCENARIO = """
scenarios:
  - name: US profile
    application: claims-assistant
    profiles: [us.anthropic.claude-sonnet-4-5-20250929-v1:0]
    expect: explicit-deny
"""


@pytest.fixture(scope="module")
def assembly(default_assembly):
    return rp.read_assembly(default_assembly.directory)


@pytest.fixture(scope="module")
def shipped_run(assembly, default_config, catalog):
    return rp.run_scenarios(sc.DEFAULT_SCENARIO_DIR, default_config, catalog, assembly.stacks)


@pytest.fixture(scope="module")
def default_report(assembly, default_config, catalog, shipped_run):
    return rp.build_report(default_config, catalog, assembly, scenario_run=shipped_run,
                           config_label="config/default.yaml", assembly_label="cdk.out", today=TODAY)


def scenario_count(run: rp.ScenarioRun) -> int:
    return len({(o.case.file, o.case.scenario.name) for o in run.report.outcomes})


@pytest.fixture(scope="module")
def lines(default_report):
    return default_report.render().splitlines()


def with_template(assembly, stack_name, mutate) -> list[rp.SynthesizedStack]:
    """The assembly's stacks, with ``mutate(template)`` applied to a deep copy of one template."""
    stacks = []
    for stack in assembly.stacks:
        if stack.name == stack_name:
            template = copy.deepcopy(dict(stack.template))
            mutate(template)
            stack = replace(stack, template=template)
        stacks.append(stack)
    return stacks


def statements(template, logical_id=CLAIMS_POLICY) -> list[dict]:
    return template["Resources"][logical_id]["Properties"]["PolicyDocument"]["Statement"]


def model_statement(template) -> dict:
    return next(s for s in statements(template) if s["Sid"].startswith(iam_policy.SID_ALLOW_MODELS_PREFIX))


def model_arn(region: str, model: str = "amazon.nova-2-lite-v1:0") -> dict:
    return {"Fn::Sub": f"arn:${{AWS::Partition}}:bedrock:{region}::foundation-model/{model}"}


def access_lines(stacks, config, catalog) -> tuple[list[str], rp.Section]:
    reviews, orphans = rp.review_access(stacks, config, catalog)
    section = rp.access_section(reviews, orphans, config)
    return section.render().splitlines(), section


def failed(section: rp.Section) -> list[str]:
    return [f"{c.where}: {c.text}" for c in section.checks if not c.passed]


# --- The default configuration ---------------------------------------------------------------------


def test_header_names_config_catalog_versions_and_warns_about_a_transcribed_catalog(lines, catalog):
    versions = (f"aws-cdk-lib {importlib.metadata.version('aws-cdk-lib')},"
                f" cdk-nag {importlib.metadata.version('cdk-nag')}")
    assert lines[:7] == [
        "# cris-guard review report: acme-genai",
        "",
        "- Configuration: `config/default.yaml`, residency **eu**, source Regions eu-central-1, eu-west-1, 2 applications",
        f"- Assembly: `cdk.out`, 2 stacks ({CENTRAL}, {WEST}), account 111122223333",
        f"- Profile catalog: 19 EU profiles as of {catalog.as_of} ({(TODAY - catalog.as_of).days} days before this"
        f" report), source {catalog.source}",
        f"- Catalog method: {catalog.method}",
        f"- Tools: {versions}; report generated 2026-11-22",
    ]
    assert lines[8].startswith("> ⚠ **The profile catalog has never been refreshed from an AWS account.**")


def test_no_warning_once_the_catalog_was_refreshed(assembly, default_config, catalog):
    refreshed = replace(catalog, method="refreshed from account 111122223333 with `python -m cris_guard.catalog refresh`")
    text = rp.build_report(default_config, refreshed, assembly, scenario_run=None,
                           config_label="c.yaml", today=TODAY).render()
    assert f"- Catalog method: {refreshed.method}" in text.splitlines()  # the report read this catalog
    assert "never been refreshed" not in text


def test_default_config_passes_with_every_scenario_held(default_report, lines, shipped_run):
    assert default_report.passed, [f"{c.where}: {c.text}" for c in default_report.failures]
    n = scenario_count(shipped_run)
    verdict = f"✔ PASS: 56 of 56 checks passed, {n} of {n} access scenarios held"
    assert default_report.verdict() == verdict
    assert f"**Verdict: {verdict}.**" in lines
    assert "Failed checks:" not in lines


def planned_size(config, catalog, application: str, region: str) -> int:
    """The size iam_policy planned for the application's (single) policy: what the report must show."""
    app = next(a for a in config.applications if a.name == application)
    plan = iam_policy.plan_policies(
        application=app.name,
        source_region=region,
        profiles=iam_policy.approved_profiles(app.name, app.profiles, catalog, region),
        application_profile_arns={p: iam_policy.application_profile_placeholder(p) for p in app.profiles},
    )
    return plan.largest


def test_access_lines_show_role_trust_routes_profiles_policies_and_denies(lines, default_config, catalog):
    size = planned_size(default_config, catalog, "claims-assistant", "eu-central-1")
    start = lines.index("### From eu-central-1")
    assert lines[start:start + 20] == [
        "### From eu-central-1",
        "",
        "#### claims-assistant",
        "",
        f"Role `{CLAIMS_ROLE}` in stack `{CENTRAL}`, trusted by `lambda.amazonaws.com` ✔",
        "",
        "| Approved profile | Destination Regions in the policy | Check |",
        "|---|---|---|",
        f"| `eu.anthropic.claude-sonnet-4-5-20250929-v1:0` | {EU6} (6) | {ROUTE_OK} |",
        f"| `{NOVA_LITE}` | {EU6} (6) | {ROUTE_OK} |",
        "",
        "Application profiles ✔: `eu.amazon.nova-2-lite-v1:0` → `ApplicationAccessclaimsassistantProfileseuamazonnova2litev1094227E74`,"
        " `eu.anthropic.claude-sonnet-4-5-20250929-v1:0` →"
        " `ApplicationAccessclaimsassistantProfileseuanthropicclaudesonnet4520250929v1020E19FBC`",
        "",
        "1 managed policy (at most 10 per role) ✔; every policy must carry the denies DenyGlobalCrossRegionInference,"
        " DenyNonEuInferenceProfiles, DenyFoundationModelsWithoutProfile, DenyOutsideEuMemberStateRegions:",
        "",
        "| Policy | Size (characters) | Deny statements |",
        "|---|---|---|",
        f"| `{CLAIMS_POLICY}` | ✔ {size:,} of 6,144 ({size * 100 // 6144} %) | ✔ all 4 present |",
        "",
        "#### contract-search",
    ]
    # nova-pro routes to 4 Regions, not 6: read from the policy, and the same from both source Regions.
    nova_pro = f"| `eu.amazon.nova-pro-v1:0` | eu-central-1, eu-north-1, eu-west-1, eu-west-3 (4) | {ROUTE_OK} |"
    assert lines.count(nova_pro) == 2
    assert lines.index("### From eu-west-1") > start


def test_policy_sizes_are_the_sizes_iam_policy_planned(assembly, default_config, catalog):
    reviews, orphans = rp.review_access(assembly.stacks, default_config, catalog)
    assert orphans == []
    assert len(reviews) == 4
    for review in reviews:
        assert [p.size for p in review.policies] == [
            planned_size(default_config, catalog, review.application, review.region)]


def test_audit_lines(lines):
    assert "| eu-central-1 | ✔ `InvocationLogging8BB927FD` in `acme-genai-eu-central-1` | Text | ✔ 365 days | ✔ off |" in lines
    assert "| eu-west-1 | ✔ `InvocationLogging8BB927FD` in `acme-genai-eu-west-1` | Text | ✔ 365 days | ✔ off |" in lines
    assert "CloudTrail ✔: one trail, in eu-central-1 as configured." in lines
    assert (
        "- `AuditTrailFF0F2BB5` in `acme-genai-eu-central-1` (eu-central-1): ✔ multi-Region; ✔ log-file validation;"
        " ✔ KMS-encrypted; ✔ S3 expiry 365 days (configured 365); ✔ log group retention 365 days (configured 365)"
    ) in lines
    assert (
        f"| Residency violation | from eu-west-1: inference outside {EU6} |"
        f" `AuditAlarmsResidencyEuWest1AlarmE80DCE43` in `{CENTRAL}` | ✔ |"
    ) in lines
    assert f"| Trail stopped, deleted or changed | account | `AuditAlarmsTrailTamperingAlarm11364A33` in `{CENTRAL}` | ✔ |" in lines


def test_budget_lines(lines):
    common = "| actual > 80 %, forecasted > 100 % | 1 SNS topic, 1 e-mail address | ✔ |"
    assert f"| `acme-genai-all-spend-82d9b262` | `{CENTRAL}` | 750.00 USD monthly | none (all spend in the account) {common}" in lines
    assert (
        f"| `acme-genai-app-claims-assistant-82d9b262` | `{CENTRAL}` | 500.00 USD monthly |"
        f" TagKeyValue: `user:cris-guard:application$claims-assistant` {common}"
    ) in lines


def test_a_budget_that_differs_from_the_configuration_is_flagged(assembly, default_config):
    def halve(template):
        budget = template["Resources"]["ApplicationAccessclaimsassistantBudgetclaimsassistantE6096FBB"]
        budget["Properties"]["Budget"]["BudgetLimit"]["Amount"] = 250
        del template["Resources"]["ApplicationAccesscontractsearchBudgetcontractsearch54801E53"]

    section = rp.budgets_section(with_template(assembly, CENTRAL, halve), default_config)
    assert failed(section) == [
        "budget acme-genai-app-claims-assistant-82d9b262: amount 250, configured 500",
        "budgets: 0 budgets for contract-search, expected 1",
    ]


def test_every_cdk_nag_acknowledgment_is_listed_with_its_reason_per_stack(lines, assembly):
    acks = rp.acknowledgments(assembly.stacks)
    assert len(acks) == 24
    assert {a.stack for a in acks} == {CENTRAL, WEST}
    assert all(len(a.reason) >= 20 for a in acks)
    assert f"### {CENTRAL} (14)" in lines and f"### {WEST} (10)" in lines
    line = next(x for x in lines if x.startswith("- `NIST.800.53.R5-S3BucketReplicationEnabled` on `AuditTrail/AccessLogsBucket`"))
    assert line.startswith(
        "- `NIST.800.53.R5-S3BucketReplicationEnabled` on `AuditTrail/AccessLogsBucket`, `AuditTrail/Bucket`,"
        " `InvocationLogging/AccessLogsBucket`, `InvocationLogging/Bucket`: Cross-Region replication would copy"
    )
    # "<account>" in a reason must not vanish as an HTML tag when GitHub renders the report.
    assert any("(\\<account\\>_CloudTrail_\\<region\\>)" in x for x in lines)
    assert "✔ `validation-report.json`: no unacknowledged findings." in lines


def test_scenario_table(lines, shipped_run):
    assert "Skipped (their `config_overrides` need their own synthesis): enforced-application-profiles.yaml." in lines
    assert "| allowed.yaml · claims-assistant calls its approved system profiles | allow | 12 | ✔ held |" in lines
    calls = len(shipped_run.report.outcomes)
    assert f"{scenario_count(shipped_run)} scenarios, {calls} calls: {calls} held, 0 failed." in lines


def test_limit_lines(lines, assembly):
    assert [s.name for s in assembly.stacks] == [CENTRAL, WEST]
    for stack in assembly.stacks:
        size = Path(stack.template_full_path).stat().st_size
        resources, outputs = len(stack.resources), len(stack.template["Outputs"])
        row = (f"| `{stack.name}` | ✔ {resources} of 500 ({resources * 100 // 500} %) | ✔ {outputs} of 200 ({outputs * 100 // 200} %) |"
               f" ✔ {size:,} of 1,000,000 ({size * 100 // 1_000_000} %) |")
        assert row in lines


# --- Failing cases ------------------------------------------------------------------------------------


def test_a_model_statement_missing_a_destination_region_is_flagged(assembly, default_config, catalog):
    def drop_paris(template):
        statement = model_statement(template)
        statement["Resource"].remove(model_arn("eu-west-3"))

    text, section = access_lines(with_template(assembly, CENTRAL, drop_paris), default_config, catalog)
    assert (f"| `{NOVA_LITE}` | eu-central-1, eu-north-1, eu-south-1, eu-south-2, eu-west-1 (5) |"
            " ✘ missing eu-west-3 |") in text
    assert failed(section) == [f"claims-assistant in eu-central-1: {NOVA_LITE}: missing eu-west-3"]


def test_a_non_eu_destination_region_is_flagged(assembly, default_config, catalog):
    def add_virginia(template):
        model_statement(template)["Resource"].append(model_arn("us-east-1"))

    text, section = access_lines(with_template(assembly, CENTRAL, add_virginia), default_config, catalog)
    assert (f"| `{NOVA_LITE}` | {EU6}, us-east-1 (7) | ✘ not in the catalog: us-east-1;"
            " outside the EU member-state Regions: us-east-1 |") in text
    assert len(failed(section)) == 1


def test_a_wildcard_region_is_flagged(assembly, default_config, catalog):
    def any_region(template):
        model_statement(template)["Resource"].append(model_arn("*"))

    text, _ = access_lines(with_template(assembly, CENTRAL, any_region), default_config, catalog)
    assert f"| `{NOVA_LITE}` | \\*, {EU6} (7) | ✘ not in the catalog: \\*; outside the EU member-state Regions: \\* |" in text


def test_a_policy_missing_a_deny_is_flagged(assembly, default_config, catalog):
    def drop_deny(template):
        statements(template)[:] = [s for s in statements(template) if s["Sid"] != iam_policy.SID_DENY_OUTSIDE_EU]

    text, section = access_lines(with_template(assembly, CENTRAL, drop_deny), default_config, catalog)
    row = next(x for x in text if x.startswith(f"| `{CLAIMS_POLICY}` |"))
    assert row.endswith("| ✘ missing DenyOutsideEuMemberStateRegions |")
    assert failed(section) == [
        f"claims-assistant in eu-central-1: {CLAIMS_POLICY}: missing DenyOutsideEuMemberStateRegions"]


def test_a_weakened_deny_is_flagged(assembly, default_config, catalog):
    def weaken(template):
        deny = next(s for s in statements(template) if s["Sid"] == iam_policy.SID_DENY_MODELS_WITHOUT_PROFILE)
        deny["Condition"] = {"Null": {"bedrock:InferenceProfileArn": "false"}}

    text, _ = access_lines(with_template(assembly, CENTRAL, weaken), default_config, catalog)
    row = next(x for x in text if x.startswith(f"| `{CLAIMS_POLICY}` |"))
    assert row.endswith("| ✘ differs from iam_policy: DenyFoundationModelsWithoutProfile |")


def test_unfenced_and_unapproved_grants_are_flagged(assembly, default_config, catalog):
    def widen(template):
        statements(template).append({"Sid": "Extra", "Effect": "Allow", "Action": "bedrock:InvokeModelWithResponseStream",
                                     "Resource": model_arn("us-east-1", "anthropic.claude-3-haiku")})
        statements(template)[0]["Resource"].append(
            {"Fn::Sub": "arn:${AWS::Partition}:bedrock:eu-central-1:${AWS::AccountId}:inference-profile/eu.amazon.nova-pro-v1:0"})

    _, section = access_lines(with_template(assembly, CENTRAL, widen), default_config, catalog)
    assert failed(section) == [
        "claims-assistant in eu-central-1: "
        f"{CLAIMS_POLICY}#Extra grants arn:${{AWS::Partition}}:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku"
        " with no bedrock:InferenceProfileArn fence",
        "claims-assistant in eu-central-1: grants eu.amazon.nova-pro-v1:0, which the configuration does not approve"
        " for claims-assistant",
    ]


def test_an_attached_policy_outside_the_template_is_flagged(assembly, default_config, catalog):
    def attach_aws_managed(template):
        template["Resources"][CLAIMS_ROLE]["Properties"]["ManagedPolicyArns"] = [
            "arn:aws:iam::aws:policy/AmazonBedrockFullAccess"]

    _, section = access_lines(with_template(assembly, CENTRAL, attach_aws_managed), default_config, catalog)
    assert failed(section) == [
        "claims-assistant in eu-central-1: managed policy arn:aws:iam::aws:policy/AmazonBedrockFullAccess is attached"
        " but not in the template, so it cannot be reviewed"]


def test_a_missing_role_is_flagged(assembly, default_config, catalog):
    def drop_role(template):
        del template["Resources"][CLAIMS_ROLE]

    _, section = access_lines(with_template(assembly, WEST, drop_role), default_config, catalog)
    assert failed(section) == [
        "access: claims-assistant in eu-west-1: no role tagged cris-guard:application=claims-assistant in the"
        " synthesized templates"]


def test_unacknowledged_findings_in_the_validation_report_are_flagged(assembly):
    report = {"pluginReports": [{"summary": {"pluginName": "AwsSolutionsChecks", "status": "failure"}, "violations": [
        {"ruleName": "AwsSolutions-S1", "description": "The S3 Bucket has server access logs disabled.",
         "violatingResources": [{"resourceLogicalId": "Bucket83908E77"}]}]}]}
    section = rp.nag_section(assembly.stacks, report)
    assert ("- ✘ AwsSolutionsChecks: AwsSolutions-S1 on Bucket83908E77: The S3 Bucket has server access logs"
            " disabled.") in section.render().splitlines()


def test_a_stack_over_a_cloudformation_limit_is_flagged(tmp_path):
    template = {"Resources": {f"R{i}": {"Type": "AWS::SNS::Topic"} for i in range(501)}}
    path = tmp_path / "big.template.json"
    path.write_text(json.dumps(template))
    stack = rp.SynthesizedStack("big", "eu-central-1", template, str(path))
    section = rp.limits_section([stack])
    text = section.render().splitlines()
    assert text[4].startswith("| `big` | ✘ 501 of 500 (100 %) | ✔ 0 of 200 (0 %) |")
    assert "- ✘ stack big: 501 resources, more than CloudFormation's 500" in text


def test_failing_scenarios_come_first_with_the_deciding_statement(tmp_path, assembly, default_config, catalog):
    (tmp_path / "mixed.yaml").write_text(US_PROFILE_SCENARIO + """
  - name: claims-assistant calls a profile it was not approved for
    application: claims-assistant
    source_regions: [eu-central-1]
    actions: [InvokeModel]
    profiles: [eu.amazon.nova-pro-v1:0]
    expect: allow
""")
    section = rp.scenarios_section(rp.run_scenarios(tmp_path, default_config, catalog, assembly.stacks))
    text = section.render().splitlines()
    table = text.index("| Scenario | Expectation | Calls | Result |")
    assert text[table + 2:table + 4] == [
        "| mixed.yaml · claims-assistant calls a profile it was not approved for | allow | 1 | ✘ 1 failed |",
        "| mixed.yaml · US profile | explicit-deny | 4 | ✔ held |",
    ]
    assert "**✘ mixed.yaml · claims-assistant calls a profile it was not approved for** (expect allow):" in text
    detail = next(x for x in text if x.startswith("- claims-assistant in eu-central-1: InvokeModel profile eu.amazon.nova-pro-v1:0"))
    assert detail.endswith("no statement allows it")
    assert [c.passed for c in section.checks] == [False, True]


# --- The CLI --------------------------------------------------------------------------------------------


@pytest.fixture
def assembly_copy(tmp_path, default_assembly):
    target = tmp_path / "cdk.out"
    shutil.copytree(default_assembly.directory, target)
    scenario_dir = tmp_path / "scenarios"
    scenario_dir.mkdir()
    (scenario_dir / "us.yaml").write_text(US_PROFILE_SCENARIO)
    return target, scenario_dir


def test_cli_writes_the_report_into_the_assembly_and_exits_0(assembly_copy, capsys):
    target, scenario_dir = assembly_copy
    code = rp.main(["--assembly", str(target), "--scenarios", str(scenario_dir)], today=lambda: TODAY)
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert out == [f"cris-guard review report: {target / 'review-report.md'}",
                   "✔ PASS: 56 of 56 checks passed, 1 of 1 access scenarios held"]
    assert (target / "review-report.md").read_text().startswith("# cris-guard review report: acme-genai\n")


def test_cli_exits_1_when_a_check_fails(assembly_copy, tmp_path, capsys):
    target, scenario_dir = assembly_copy
    template_file = target / f"{CENTRAL}.template.json"
    template = json.loads(template_file.read_text())
    model_statement(template)["Resource"].append(model_arn("us-east-1"))
    template_file.write_text(json.dumps(template, indent=1))
    out_file = tmp_path / "pr" / "report.md"
    code = rp.main(["--assembly", str(target), "--scenarios", str(scenario_dir), "--out", str(out_file)],
                   today=lambda: TODAY)
    out = capsys.readouterr().out.splitlines()
    assert code == 1
    assert out[1] == "✘ FAIL: 55 of 56 checks passed, 1 of 1 access scenarios held"
    text = out_file.read_text()
    assert ("- ✘ claims-assistant in eu-central-1: eu.amazon.nova-2-lite-v1:0: not in the catalog: us-east-1;"
            " outside the EU member-state Regions: us-east-1") in text.splitlines()


def test_cli_exits_2_without_an_assembly(tmp_path, capsys):
    assert rp.main(["--assembly", str(tmp_path / "nothing")]) == 2
    assert "manifest.json not found" in capsys.readouterr().err


def test_cli_exits_2_with_one_line_naming_an_unreadable_template(assembly_copy, capsys):
    target, _ = assembly_copy
    template_file = target / f"{CENTRAL}.template.json"
    template_file.write_text("{ truncated")
    assert rp.main(["--assembly", str(target), "--no-scenarios"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1
    assert err[0].startswith(f"cris-guard: {template_file}: not valid JSON (")
    assert err[0].endswith("synthesize again (`make synth`)")
    template_file.unlink()
    assert rp.main(["--assembly", str(target), "--no-scenarios"]) == 2
    assert capsys.readouterr().err == (f"cris-guard: {template_file} not found, though manifest.json names it;"
                                       " synthesize again (`make synth`)\n")


def test_shipped_scenarios_are_the_default_only_for_the_default_config():
    assert rp.default_scenario_dir(None) == sc.DEFAULT_SCENARIO_DIR
    assert rp.default_scenario_dir(REPO_ROOT / "config" / "default.yaml") == sc.DEFAULT_SCENARIO_DIR
    assert rp.default_scenario_dir(REPO_ROOT / "config" / "examples" / "stockholm-paris.yaml") is None


def test_the_committed_example_shows_the_current_access_section(lines):
    """docs/review-report-example.md is the report for config/default.yaml (`make synth`, then
    `python -m cris_guard.report --out docs/review-report-example.md`). Its roles, routes, application
    profiles and denies must be current; policy sizes may lag a statement change by a few characters."""
    example = (REPO_ROOT / "docs" / "review-report-example.md").read_text().splitlines()

    def access(text):
        section = text[text.index("## Application access"):text.index("## Residency alarms and audit")]
        return [re.sub(r"✔ [\d,]+ of 6,144 \(\d+ %\)", "✔ (size) of 6,144", line) for line in section]

    assert access(example) == access(lines)
    assert "**Verdict: ✔ PASS: " in "\n".join(example)


def test_a_guardrail_grant_the_configuration_does_not_name_is_flagged(assembly, default_config, catalog):
    guardrail = "arn:aws:bedrock:eu-central-1:111122223333:guardrail/abc123def456"

    def add_guardrail(template):
        statements(template).append(
            {"Sid": iam_policy.SID_ALLOW_GUARDRAILS, "Effect": "Allow", "Action": "bedrock:ApplyGuardrail", "Resource": guardrail}
        )

    text, section = access_lines(with_template(assembly, CENTRAL, add_guardrail), default_config, catalog)
    assert f"Guardrails (bedrock:ApplyGuardrail) ✘: `{guardrail}`; configured: (none)" in text
    assert len(failed(section)) == 1
    configured = default_config.model_copy(
        update={
            "applications": [
                default_config.applications[0].model_copy(update={"guardrail_arns": [guardrail]}),
                default_config.applications[1],
            ]
        }
    )
    text, section = access_lines(with_template(assembly, CENTRAL, add_guardrail), configured, catalog)
    assert f"Guardrails (bedrock:ApplyGuardrail) ✔: `{guardrail}`" in text
    assert failed(section) == []
