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
from cris_guard.assembly import AssemblyStack  # noqa: E402

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
    profiles: [us.anthropic.claude-sonnet-4-6]
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
                           config_label="config/default.yaml", assembly_label="cdk.out")


def scenario_count(run: rp.ScenarioRun) -> int:
    return len({(o.case.file, o.case.scenario.name) for o in run.report.outcomes})


@pytest.fixture(scope="module")
def lines(default_report):
    return default_report.render().splitlines()


def with_template(assembly, stack_name, mutate) -> list[AssemblyStack]:
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
        f"- Profile catalog: 23 EU profiles: shipped catalog as of {catalog.as_of} ({catalog.source})",
        f"- Catalog method: {catalog.method}",
        f"- Tools: {versions}",
    ]
    assert lines[8].startswith("> ⚠ **The profile catalog has never been refreshed from an AWS account.**")
    # Nothing that depends on the day the report is written (a diff of two reports is what changed).
    # The profile-catalog section shows the catalog's own dates (when a page was read, lifecycle dates):
    # data, not the day of writing.
    start = lines.index("## Profile catalog")
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("## "))
    text = "\n".join(lines[:start] + lines[end:]).replace(f"as of {catalog.as_of}", "as of <the catalog's date>")
    assert not re.search(r"generated|days before|left|\b20\d\d-\d\d-\d\d\b", text)


def test_no_warning_once_the_catalog_was_refreshed(assembly, default_config, catalog):
    refreshed = replace(catalog, method="refreshed from account 111122223333 with `python -m cris_guard.catalog refresh`")
    text = rp.build_report(default_config, refreshed, assembly, scenario_run=None, config_label="c.yaml").render()
    assert f"- Catalog method: {refreshed.method}" in text.splitlines()  # the report read this catalog
    assert "never been refreshed" not in text


def test_default_config_passes_with_every_scenario_held(default_report, lines, shipped_run):
    assert default_report.passed, [f"{c.where}: {c.text}" for c in default_report.failures]
    n = scenario_count(shipped_run)
    verdict = f"✔ PASS: 65 of 65 checks passed, {n} of {n} access scenarios held"
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
    start = lines.index("### From eu-central-1", lines.index("## Application access"))
    assert lines[start:start + 20] == [
        "### From eu-central-1",
        "",
        "#### claims-assistant",
        "",
        f"Role `{CLAIMS_ROLE}` in stack `{CENTRAL}`, trusted by `lambda.amazonaws.com` ✔",
        "",
        "| Approved profile | Destination Regions in the policy | Check |",
        "|---|---|---|",
        f"| `eu.anthropic.claude-sonnet-4-6` | {EU6} (6) | {ROUTE_OK} |",
        f"| `{NOVA_LITE}` | {EU6} (6) | {ROUTE_OK} |",
        "",
        "Application profiles ✔: `eu.amazon.nova-2-lite-v1:0` → `ApplicationAccessclaimsassistantProfileseuamazonnova2litev1094227E74`,"
        " `eu.anthropic.claude-sonnet-4-6` →"
        " `ApplicationAccessclaimsassistantProfileseuanthropicclaudesonnet463F1219D1`",
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
    assert lines.index("### From eu-west-1", start) > start


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
    assert len(acks) == 25  # the Athena results bucket adds one (replication)
    assert {a.stack for a in acks} == {CENTRAL, WEST}
    assert all(len(a.reason) >= 20 for a in acks)
    assert f"### {CENTRAL} (15)" in lines and f"### {WEST} (10)" in lines
    line = next(x for x in lines if x.startswith("- `NIST.800.53.R5-S3BucketReplicationEnabled` on `AuditTrail/AccessLogsBucket`"))
    assert line.startswith(
        "- `NIST.800.53.R5-S3BucketReplicationEnabled` on `AuditTrail/AccessLogsBucket`, `AuditTrail/Bucket`,"
        " `EvidenceQueries/ResultsBucket`, `InvocationLogging/AccessLogsBucket`, `InvocationLogging/Bucket`:"
        " Cross-Region replication would copy"
    )
    # "<account>" in a reason must not vanish as an HTML tag when GitHub renders the report.
    assert any("(\\<account\\>_CloudTrail_\\<region\\>)" in x for x in lines)
    assert "✔ `validation-report.json`: no unacknowledged findings." in lines


def test_scenario_table(lines, shipped_run):
    skipped = next(x for x in lines if x.startswith("Skipped (their `config_overrides` need their own synthesis): "))
    assert "enforced-application-profiles.yaml" in skipped
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
    stack = AssemblyStack("big", "eu-central-1", template, str(path))
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
                   "✔ PASS: 65 of 65 checks passed, 1 of 1 access scenarios held"]
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
    assert out[1] == "✘ FAIL: 64 of 65 checks passed, 1 of 1 access scenarios held"
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


EXAMPLE = REPO_ROOT / "docs" / "review-report-example.md"


def test_the_committed_example_is_the_current_report(default_report):
    """docs/review-report-example.md is the report of config/default.yaml (the session's assembly, account
    111122223333, shipped scenarios), byte for byte. After a change that alters the report, regenerate it with
    ``CRIS_GUARD_UPDATE_EXAMPLE=1 .venv/bin/python -m pytest -q tests/test_report.py -k committed_example``
    and review its diff: that diff is what the change does to the report."""
    text = default_report.render()
    if os.environ.get("CRIS_GUARD_UPDATE_EXAMPLE") == "1":
        EXAMPLE.write_text(text, encoding="utf-8")
    assert EXAMPLE.read_text(encoding="utf-8") == text, "regenerate docs/review-report-example.md (see the docstring)"
    assert "**Verdict: ✔ PASS: " in text


# --- Determinism and the residency map ---------------------------------------------------------------------

# The Mermaid subset the report writes (tests stand in for a parser: none is pinned for the tests).
MERMAID_LINE = re.compile(
    r"^(flowchart LR"
    r"|  (src|p|dst)_[A-Za-z0-9_]+\[\"[^\"]+\"\](:::outside)?"
    r"|  (src|p)_[A-Za-z0-9_]+ (-->|-\.->\|\"[^\"]+\"\|) (p|dst)_[A-Za-z0-9_]+"
    r"|  classDef outside [a-z-]+:#?[0-9a-z]+(,[a-z-]+:#?[0-9a-z]+)*)$"
)


def diagrams(text: str) -> dict[str, list[str]]:
    """Each ```mermaid block, by the heading above it (``From eu-central-1``)."""
    found, heading, block = {}, None, None
    for line in text.splitlines():
        if block is not None:
            if line == "```":
                found[heading], block = block, None
            else:
                block.append(line)
        elif line.startswith("#"):
            heading = line.lstrip("#").strip()
        elif line == "```mermaid":
            block = []
    return found


def edges(diagram: list[str]) -> set[tuple[str, str]]:
    return {(m[1], m[2]) for line in diagram if (m := re.match(r"^  (\S+) --> (\S+)$", line))}


def test_two_renders_of_the_same_assembly_are_byte_identical(assembly_copy, default_assembly, tmp_path, capsys):
    target, scenario_dir = assembly_copy
    first, second = tmp_path / "first.md", tmp_path / "second.md"
    assert rp.main(["--assembly", str(target), "--scenarios", str(scenario_dir), "--out", str(first)],
                   today=lambda: TODAY) == 0
    # Another day, another copy of the same templates: the same bytes.
    again = tmp_path / "again" / "cdk.out"
    shutil.copytree(default_assembly.directory, again)
    assert rp.main(["--assembly", str(again), "--scenarios", str(scenario_dir), "--out", str(second)],
                   today=lambda: TODAY + dt.timedelta(days=400)) == 0
    assert first.read_bytes() != b""
    assert first.read_text().replace(str(target), "X") == second.read_text().replace(str(again), "X")
    # The catalog's age goes to stderr only.
    err = capsys.readouterr().err
    assert err.count("cris-guard: warning: the profile catalog is ") == 1
    assert "refresh it with `cris-guard catalog refresh" in err


def test_the_residency_map_has_one_valid_diagram_per_source_region(lines):
    found = diagrams("\n".join(lines))
    assert sorted(found) == ["From eu-central-1", "From eu-west-1"]
    for diagram in found.values():
        bad = [line for line in diagram if not MERMAID_LINE.match(line)]
        assert bad == []
        assert diagram[0] == "flowchart LR"
    central = found["From eu-central-1"]
    assert central[:2] == ["flowchart LR", '  src_eu_central_1["eu-central-1 (source Region)"]']
    assert '  p_eu_amazon_nova_pro_v1_0["eu.amazon.nova-pro-v1:0 · 1 application"]' in central
    nova_pro = {d for p, d in edges(central) if p == "p_eu_amazon_nova_pro_v1_0"}
    assert nova_pro == {"dst_eu_central_1", "dst_eu_north_1", "dst_eu_west_1", "dst_eu_west_3"}
    assert ("src_eu_central_1", "p_eu_amazon_nova_2_lite_v1_0") in edges(central)
    assert "classDef" not in "\n".join(central)  # no Region outside the EU, so nothing marked


def test_a_non_eu_destination_is_marked_in_the_diagram(assembly, default_config, catalog):
    def add_virginia(template):
        model_statement(template)["Resource"].append(model_arn("us-east-1"))

    reviews, _ = rp.review_access(with_template(assembly, CENTRAL, add_virginia), default_config, catalog)
    diagram = rp.residency_diagram("eu-central-1", [r for r in reviews if r.region == "eu-central-1"])
    assert '  dst_us_east_1["us-east-1 ✘ outside the EU member states"]:::outside' in diagram
    assert "  p_eu_amazon_nova_2_lite_v1_0 --> dst_us_east_1" in diagram
    assert diagram[-1].startswith("  classDef outside fill:")
    assert all(MERMAID_LINE.match(line) for line in diagram)


def test_a_destination_only_some_applications_get_is_a_dotted_edge(assembly, default_config, catalog):
    def drop_paris(template):
        model_statement(template)["Resource"].remove(model_arn("eu-west-3"))

    reviews, _ = rp.review_access(assembly.stacks, default_config, catalog)
    claims = next(r for r in reviews if (r.application, r.region) == ("claims-assistant", "eu-central-1"))
    changed, _ = rp.review_access(with_template(assembly, CENTRAL, drop_paris), default_config, catalog)
    without_paris = next(r for r in changed if (r.application, r.region) == ("claims-assistant", "eu-central-1"))
    twin = replace(without_paris, application="claims-assistant-2")  # a second application, missing Paris
    diagram = rp.residency_diagram("eu-central-1", [claims, twin])
    assert f'  p_eu_amazon_nova_2_lite_v1_0["{NOVA_LITE} · 2 applications"]' in diagram
    assert '  p_eu_amazon_nova_2_lite_v1_0 -.->|"1 of 2 applications"| dst_eu_west_3' in diagram
    assert "  p_eu_amazon_nova_2_lite_v1_0 --> dst_eu_south_2" in diagram
    assert all(MERMAID_LINE.match(line) for line in diagram)


@pytest.fixture(scope="module")
def without_spain(catalog, default_config, tmp_path_factory):
    """config/default.yaml synthesized with a catalog in which nova-2-lite no longer routes to eu-south-2."""
    from cris_guard.app_builder import build_app
    from cris_guard.catalog import parse_catalog
    from cris_guard.config import load_config

    document = catalog.to_document()
    routes = document["profiles"][NOVA_LITE]["routes"]
    for source, destinations in routes.items():
        if source != "eu-south-2":
            destinations.remove("eu-south-2")
    changed = parse_catalog(document)
    config = load_config(REPO_ROOT / "config" / "default.yaml", changed)
    outdir = tmp_path_factory.mktemp("cdk.out-without-spain")
    build_app(config, changed, outdir=str(outdir), default_account="111122223333").synth()
    return changed, rp.read_assembly(outdir)


def test_the_diagram_follows_the_templates(without_spain, lines, default_config, catalog):
    changed_catalog, changed_assembly = without_spain
    spain = ("p_eu_amazon_nova_2_lite_v1_0", "dst_eu_south_2")
    before = diagrams("\n".join(lines))["From eu-central-1"]
    assert spain in edges(before)
    # Rendered against the catalog the templates were made from: it passes, and the edge is gone.
    report = rp.build_report(default_config, changed_catalog, changed_assembly, scenario_run=None, config_label="c")
    after = diagrams(report.render())["From eu-central-1"]
    assert edges(before) - edges(after) == {spain}
    assert edges(after) - edges(before) == set()
    assert report.passed, [f"{c.where}: {c.text}" for c in report.failures]
    # Against today's catalog (a config or catalog change not yet synthesized): the map still shows what
    # the templates grant, and the access section flags the difference.
    stale = rp.build_report(default_config, catalog, changed_assembly, scenario_run=None, config_label="c")
    assert edges(diagrams(stale.render())["From eu-central-1"]) == edges(after)
    assert [c.text for c in stale.failures] == [f"{NOVA_LITE}: missing eu-south-2"] * 2  # claims-assistant, 2 Regions


# --- Several accounts and the organization guardrail ------------------------------------------------------


@pytest.fixture(scope="module")
def multi_report(multi_account_assembly, multi_account_config, catalog):
    assembly = rp.read_assembly(multi_account_assembly.directory)
    return rp.build_report(multi_account_config, catalog, assembly, scenario_run=None,
                           config_label="multi.yaml", assembly_label="cdk.out")


def test_a_multi_account_report_has_one_part_per_account(multi_report):
    text = multi_report.render()
    lines = text.splitlines()
    assert multi_report.passed, [f"{c.where}: {c.text}" for c in multi_report.failures]
    assert lines[2] == ("- Configuration: `multi.yaml`, residency **eu**, 2 accounts (prod 111122223333: eu-central-1,"
                        " eu-west-1; dev 444455556666: eu-west-3), 2 applications")
    assert lines[3] == ("- Assembly: `cdk.out`, 3 stacks (dev/acme-genai-eu-west-3, prod/acme-genai-eu-central-1,"
                        " prod/acme-genai-eu-west-1), account 111122223333, 444455556666")
    headings = [x for x in lines if x.startswith("## ")]
    assert headings == ["## Profile catalog", "## Account prod (111122223333)", "## Account dev (444455556666)", "## cdk-nag acknowledgments",
                        "## checkov skips", "## CloudFormation limits", "## Deployment"]
    prod = lines[lines.index("## Account prod (111122223333)"):lines.index("## Account dev (444455556666)")]
    assert prod[2] == ("Stage `prod` ✔: 2 stacks (acme-genai-eu-central-1, acme-genai-eu-west-1) in account 111122223333;"
                       " source Regions eu-central-1, eu-west-1; 2 applications (claims-assistant, contract-search).")
    assert [x for x in prod if x.startswith("### ")] == [
        "### Residency map", "### Application access", "### Residency alarms and audit", "### Evidence", "### Budgets", "### Access scenarios"]
    assert [x for x in prod if x.startswith("#### From")] == ["#### From eu-central-1", "#### From eu-west-1"] * 2
    dev = lines[lines.index("## Account dev (444455556666)"):lines.index("## cdk-nag acknowledgments")]
    assert "##### claims-assistant" in dev and "##### contract-search" not in dev
    assert sorted(diagrams("\n".join(dev))) == ["From eu-west-3"]
    assert "| `prod/acme-genai-eu-west-1` | prod | 111122223333 | eu-west-1 |" in "\n".join(lines)
    assert "### dev/acme-genai-eu-west-3 (15)" in lines


def test_a_stage_for_the_wrong_account_or_an_unknown_stage_is_flagged(multi_account_assembly, multi_account_config, catalog):
    assembly = rp.read_assembly(multi_account_assembly.directory)
    moved = replace(assembly, stacks=tuple(replace(s, account="999999999999") if s.stage == "dev" else s
                                           for s in assembly.stacks))
    report = rp.build_report(multi_account_config, catalog, moved, scenario_run=None, config_label="m")
    assert [f"{c.where}: {c.text}" for c in report.failures] == [
        "dev: stage: stage dev's stacks are for account 999999999999, configured 444455556666"]
    fewer = multi_account_config.model_copy(update={"accounts": multi_account_config.accounts[:1]})
    report = rp.build_report(fewer, catalog, assembly, scenario_run=None, config_label="m")
    assert [f"{c.where}: {c.text}" for c in report.failures] == [
        "deployment: stage dev is in the assembly but not in the configuration's accounts"]


SCP_CONTENT = {
    "Version": "2012-10-17",
    "Statement": [{
        "Sid": "DenyBedrockOutsideEu", "Effect": "Deny", "Action": ["bedrock:InvokeModel", "bedrock:Converse"],
        "Resource": "*",
        "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-central-1", "eu-west-1"]},
                      "ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/cdk-hnb659fds-cfn-exec-role-*"}},
    }],
}


def add_guardrail_stack(directory: Path, content) -> None:
    """A root stack holding an SCP, as cris_guard/stacks/organization_stack.py synthesizes one."""
    template = {"Resources": {"GuardrailPolicy1234": {"Type": "AWS::Organizations::Policy", "Properties": {
        "Name": "acme-genai-bedrock-residency", "Type": "SERVICE_CONTROL_POLICY",
        "TargetIds": ["ou-ab12-cdef3456"], "Content": content}}}}
    (directory / "acme-genai-organization-guardrail.template.json").write_text(json.dumps(template))
    manifest = json.loads((directory / "manifest.json").read_text())
    manifest["artifacts"]["acme-genai-organization-guardrail"] = {
        "type": "aws:cloudformation:stack", "environment": "aws://999988887777/us-east-1",
        "properties": {"templateFile": "acme-genai-organization-guardrail.template.json"}}
    (directory / "manifest.json").write_text(json.dumps(manifest))


def test_the_organization_guardrail_section_lists_targets_statements_and_size(tmp_path, multi_account_assembly,
                                                                              multi_account_config, catalog):
    from cris_guard.config import OrganizationGuardrail

    target = tmp_path / "cdk.out"
    shutil.copytree(multi_account_assembly.directory, target)
    add_guardrail_stack(target, SCP_CONTENT)
    config = multi_account_config.model_copy(update={"organization_guardrail": OrganizationGuardrail(
        management_account="999988887777", target_ids=["ou-ab12-cdef3456"])})
    report = rp.build_report(config, catalog, rp.read_assembly(target), scenario_run=None, config_label="m")
    assert report.passed, [f"{c.where}: {c.text}" for c in report.failures]
    lines = report.render().splitlines()
    start = lines.index("## Organization guardrail")
    size, limit, _ = rp._scp_size(SCP_CONTENT)
    assert limit == 5_120
    assert lines[start + 2:start + 13] == [
        "#### `acme-genai-bedrock-residency` (SERVICE_CONTROL_POLICY)",
        "",
        "`GuardrailPolicy1234` in stack `acme-genai-organization-guardrail` (account 999988887777, us-east-1).",
        "Targets ✔: `ou-ab12-cdef3456`",
        f"Size ✔: {size:,} of 5,120 ({size * 100 // 5120} %) characters ({rp._scp_size(SCP_CONTENT)[2]}).",
        "",
        "Accounts it binds (SCPs never bind the management account, 999988887777; the access scenarios of an account"
        " it does not bind run without it):",
        "- `prod` 111122223333: assumed to apply, if the account is under ou-ab12-cdef3456 (OU and root membership"
        " cannot be resolved offline)",
        "- `dev` 444455556666: assumed to apply, if the account is under ou-ab12-cdef3456 (OU and root membership"
        " cannot be resolved offline)",
        "",
        "| Sid | Effect | Actions | Resources | Conditions |",
    ]
    assert lines[start + 14] == (
        "| `DenyBedrockOutsideEu` | Deny | `bedrock:InvokeModel`, `bedrock:Converse` | `*` |"
        " ArnNotLike `aws:PrincipalArn` `arn:aws:iam::*:role/cdk-hnb659fds-cfn-exec-role-*`;"
        " StringNotEquals `aws:RequestedRegion` [`eu-central-1`, `eu-west-1`] |")
    assert "| `acme-genai-organization-guardrail` | - | 999988887777 | us-east-1 | 1 | yes |" in lines
    # Over 5,120 characters, or attached elsewhere: ✘.
    big = copy.deepcopy(SCP_CONTENT)
    big["Statement"][0]["Action"] = [f"bedrock:Action{i:04d}" for i in range(300)]
    add_guardrail_stack(target, big)
    other = config.model_copy(update={"organization_guardrail": config.organization_guardrail.model_copy(
        update={"target_ids": ["r-ab12"]})})
    report = rp.build_report(other, catalog, rp.read_assembly(target), scenario_run=None, config_label="m")
    failures = [f"{c.where}: {c.text}" for c in report.failures]
    assert failures[0] == "SCP GuardrailPolicy1234: attached to ['ou-ab12-cdef3456'], configured ['r-ab12']"
    assert failures[1].startswith("SCP GuardrailPolicy1234: ") and failures[1].endswith("characters, more than 5,120")
    assert len(failures) == 2


def _bound_lines(report) -> list[str]:
    lines = report.render().splitlines()
    start = next(i for i, x in enumerate(lines) if x.startswith("Accounts it binds"))
    return lines[start + 1:lines.index("", start)]


def test_the_guardrail_section_shows_the_accounts_it_does_not_bind(tmp_path, multi_account_assembly,
                                                                  multi_account_config, catalog):
    """Listed by ID: bound. Left out of account-ID targets, or the management account: not bound (⚠, no failure:
    it may be intended, but that account's access scenarios run without the SCP)."""
    from cris_guard.config import OrganizationGuardrail

    target = tmp_path / "cdk.out"
    shutil.copytree(multi_account_assembly.directory, target)
    add_guardrail_stack(target, SCP_CONTENT)
    assembly = rp.read_assembly(target)
    for guardrail, expected in (
        (OrganizationGuardrail(management_account="999988887777", target_ids=["111122223333"]), [
            "- ✔ `prod` 111122223333: applies, attached to the account itself (target_ids)",
            "- ⚠ `dev` 444455556666: does not apply, not among target_ids, which are all account IDs"]),
        (OrganizationGuardrail(management_account="444455556666", target_ids=["r-ab12"]), [
            "- `prod` 111122223333: assumed to apply, if the account is under r-ab12 (OU and root membership cannot be"
            " resolved offline)",
            "- ⚠ `dev` 444455556666: does not apply, the management account: SCPs never apply there"]),
    ):
        config = multi_account_config.model_copy(update={"organization_guardrail": guardrail})
        report = rp.build_report(config, catalog, assembly, scenario_run=None, config_label="m")
        assert _bound_lines(report) == expected
        assert [c.text for c in report.failures] == [f"attached to ['ou-ab12-cdef3456'], configured {guardrail.target_ids}"]


def test_cli_runs_each_account_s_scenarios_with_the_scp_only_where_it_binds(tmp_path, multi_account_assembly,
                                                                           monkeypatch, capsys):
    import yaml

    from .conftest import MULTI_ACCOUNT_CONFIG

    target = tmp_path / "cdk.out"
    shutil.copytree(multi_account_assembly.directory, target)
    add_guardrail_stack(target, SCP_CONTENT)
    scenario_dir = tmp_path / "scenarios"
    scenario_dir.mkdir()
    seen: dict[str | None, list[str]] = {}

    def fake_run(directory, config, catalog, stacks, *, stage=None, top_config=None):
        seen[stage] = sorted(s.name for s in stacks if rp._is_guardrail_stack(s))
        return rp.ScenarioRun(directory, error="not run in this test")

    # The command looks run_scenarios up in its own module (cris_guard.report is an alias of cris_guard.review).
    monkeypatch.setattr(importlib.import_module("cris_guard.review.command"), "run_scenarios", fake_run)
    for targets, expected in ((["111122223333"], {"prod": ["acme-genai-organization-guardrail"], "dev": []}),
                              (["ou-ab12-cdef3456"], {"prod": ["acme-genai-organization-guardrail"],
                                                      "dev": ["acme-genai-organization-guardrail"]})):
        data = {**MULTI_ACCOUNT_CONFIG,
                "organization_guardrail": {"management_account": "999988887777", "target_ids": targets}}
        config_file = tmp_path / "multi.yaml"
        config_file.write_text(yaml.safe_dump(data))
        seen.clear()
        rp.main(["--config", str(config_file), "--assembly", str(target), "--scenarios", str(scenario_dir),
                 "--out", str(tmp_path / "r.md")], today=lambda: TODAY)
        assert seen == expected, targets
    capsys.readouterr()


def test_a_configured_guardrail_that_was_not_synthesized_is_flagged(multi_report, multi_account_assembly,
                                                                    multi_account_config, catalog):
    from cris_guard.config import OrganizationGuardrail

    config = multi_account_config.model_copy(update={"organization_guardrail": OrganizationGuardrail(
        management_account="999988887777", target_ids=["ou-ab12-cdef3456"])})
    assembly = rp.read_assembly(multi_account_assembly.directory)
    if any(rp._is_guardrail_stack(s) for s in assembly.stacks):
        pytest.skip("this assembly has a guardrail stack")
    report = rp.build_report(config, catalog, assembly, scenario_run=None, config_label="m")
    assert [f"{c.where}: {c.text}" for c in report.failures] == [
        "organization guardrail: organization_guardrail is configured, but the assembly has no AWS::Organizations::Policy"]


def test_a_guardrail_grant_the_configuration_does_not_name_is_flagged(assembly, default_config, catalog):
    guardrail = "arn:aws:bedrock:eu-central-1:111122223333:guardrail/abc123def456"

    def add_guardrail(template):
        statements(template).append(
            {"Sid": iam_policy.SID_ALLOW_GUARDRAILS, "Effect": "Allow", "Action": "bedrock:ApplyGuardrail", "Resource": guardrail}
        )

    text, section = access_lines(with_template(assembly, CENTRAL, add_guardrail), default_config, catalog)
    assert "Guardrails (bedrock:ApplyGuardrail) ✘: guardrail `abc123def456` (eu-central-1); configured: (none)" in text
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
    assert "Guardrails (bedrock:ApplyGuardrail) ✔: guardrail `abc123def456` (eu-central-1)" in text
    assert failed(section) == []


# --- The CI example ----------------------------------------------------------------------------------------


def test_the_github_actions_example_runs_make_test_and_posts_the_report():
    import yaml

    workflow_file = REPO_ROOT / "examples" / "github-actions" / "cris-guard.yml"
    workflow = yaml.safe_load(workflow_file.read_text())
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert "pull_request" in triggers
    assert workflow["permissions"] == {"contents": "read", "pull-requests": "write"}
    steps = workflow["jobs"]["review"]["steps"]
    uses = [s["uses"] for s in steps if "uses" in s]
    # Every action pinned to a release or a commit, never a moving branch or major tag.
    assert all(re.fullmatch(r"[\w.-]+/[\w.-]+@(v\d+\.\d+\.\d+|[0-9a-f]{40})", u) for u in uses), uses
    setup = {s["uses"].split("@")[0]: s.get("with", {}) for s in steps if "uses" in s}
    assert setup["actions/setup-python"]["python-version"] == "3.11"
    assert setup["actions/setup-node"]["node-version"] == "20"
    assert any(s.get("run") == "make test" for s in steps)
    assert setup["actions/upload-artifact"]["path"] == f"cdk.out/{rp.REPORT_FILE_NAME}"
    assert "65_536" in workflow_file.read_text()
    assert setup["marocchino/sticky-pull-request-comment"]["path"] == "cdk.out/review-report-comment.md"


def test_the_catalog_section_shows_lifecycle_origin_and_unconfirmed_marks(milan_legacy_example):
    config, in_force, outdir, _ = milan_legacy_example
    report = rp.build_report(config, in_force, rp.read_assembly(outdir), scenario_run=None, config_label="milan.yaml")
    lines = report.render().splitlines()
    assert report.passed, [f"{c.where}: {c.text}" for c in report.failures]
    assert "- Profile catalog: 24 EU profiles: shipped catalog as of 2026-12-06 (https://docs.aws.amazon.com/bedrock/" \
           "latest/userguide/inference-profiles-support.html) + project catalog milan-catalog.json (1 profile)" in lines
    assert not any("never been refreshed" in line for line in lines)  # a project catalog is in force
    assert ("| `eu.anthropic.claude-opus-5` | legal-copilot | active | `milan-catalog.json`: eu-south-1 |"
            " https://docs.aws.amazon.com/bedrock/latest/userguide/model-card-anthropic-claude-opus-5.html, 2026-12-06 |"
            " eu-south-1: the model card lists the EU source Regions but not the destinations; verify with"
            " GetInferenceProfile from eu-south-1 |") in lines
    assert ("| `eu.anthropic.claude-sonnet-4-5-20250929-v1:0` | legal-copilot | ⚠ legacy (legacy since 2026-10-08,"
            " extended access from 2027-01-08, end of life 2027-04-08) | shipped: eu-south-1 |") in "\n".join(lines)
    assert ("- ⚠ eu.anthropic.claude-sonnet-4-5-20250929-v1:0 (approved for legal-copilot) is legacy since 2026-10-08,"
            " end of life 2027-04-08; plan the move to an active profile") in lines
    # the access section checks the granted destinations against the catalog in force, project entry included
    assert not [c for c in report.checks if not c.passed]


def test_guardrail_profiles_enforced_guardrails_and_the_responses_api_are_reviewed(catalog, tmp_path):
    from cris_guard.app_builder import build_app
    from cris_guard.config import load_project

    config, in_force = load_project(REPO_ROOT / "config" / "examples" / "stockholm-paris.yaml", catalog)
    build_app(config, in_force, outdir=str(tmp_path)).synth()
    report = rp.build_report(config, in_force, rp.read_assembly(tmp_path), scenario_run=None, config_label="sp.yaml")
    lines = report.render().splitlines()
    assert report.passed, [f"{c.where}: {c.text}" for c in report.failures]
    eu6 = "eu-central-1, eu-north-1, eu-south-1, eu-south-2, eu-west-1, eu-west-3"
    assert (f"Guardrails (bedrock:ApplyGuardrail) ✔: guardrail `abc123def456` (eu-west-3) with profile"
            f" `eu.guardrail.v1:0` in {eu6}; guardrail `orgbaseline1` (eu-west-3, account 999988887777, enforced by"
            f" the organization) with profile `eu.guardrail.v1:0` in {eu6}") in lines
    assert ("Responses API (project grant) ✔: `arn:${AWS::Partition}:bedrock:eu-north-1:${AWS::AccountId}:project/default`"
            in lines)
    # A policy without the guardrail profile it needs fails the check (the review compares with the config).
    wrong = config.model_copy(update={"enforced_guardrails": []})
    broken = rp.build_report(wrong, in_force, rp.read_assembly(tmp_path), scenario_run=None, config_label="sp.yaml")
    assert any("guardrails granted" in c.text for c in broken.failures)
