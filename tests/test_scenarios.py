"""The access scenarios: the shipped ones hold, failures read well, and every statement matters.

The mutation test is the proof that the scenarios are not vacuous: removing or weakening any one
statement of the synthesized policies (or removing one of its actions, resources or fencing values)
makes at least one shipped scenario fail.
"""

from __future__ import annotations

import concurrent.futures
import copy
import dataclasses
import fnmatch
import json
import os

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import pytest  # noqa: E402

from cris_guard import cris_checks  # noqa: E402
from cris_guard import scp  # noqa: E402
from cris_guard import scenarios as sc  # noqa: E402
from cris_guard.policy_eval import evaluate  # noqa: E402

from .conftest import CDK_CONTEXT, TEST_ACCOUNT  # noqa: E402

REGION = "eu-central-1"


@pytest.fixture(scope="module")
def shipped(catalog, default_config, default_assembly):
    """The shipped scenario files, expanded against the synthesized default app (the session's
    ``default_assembly``) and against the variant with require_application_profiles."""
    files = sc.load_scenario_dir(sc.DEFAULT_SCENARIO_DIR)
    default_stacks = sc.stacks_from_assembly(default_assembly)

    def build(config):
        if config == default_config:
            return default_stacks
        return sc.synthesize(config, catalog, account=TEST_ACCOUNT, context=CDK_CONTEXT)

    entries = sc.prepare(files, default_config, catalog, build, account=TEST_ACCOUNT)
    default = next(e for e in entries if e.config == default_config)
    enforced = next(e for e in entries if e.config != default_config and e.config.organization_guardrail is None)
    guardrail = next(e for e in entries if e.config.organization_guardrail is not None)
    return dict(files=files, entries=entries, default=default, enforced=enforced, guardrail=guardrail,
                outdir=default_assembly.directory)


def test_every_shipped_scenario_holds(shipped):
    outcomes = [o for e in shipped["entries"] for o in sc.evaluate_cases(e.cases, e.inventory)]
    failures = [o.line() for o in outcomes if not o.passed]
    assert failures == []
    assert len(outcomes) > 300


def test_the_shipped_files_cover_the_required_cases(shipped):
    cases = [c for e in shipped["entries"] for c in e.cases if c.scenario.identity == "role"]

    def has(expect, predicate):
        return any(c.scenario.expect == expect and predicate(c) for c in cases)

    for app, profiles in (("claims-assistant", 2), ("contract-search", 2)):
        for region in ("eu-central-1", "eu-west-1"):
            for action in ("InvokeModel", "InvokeModelWithResponseStream"):
                allowed = {c.target for c in cases if c.scenario.expect == "allow" and c.application == app
                           and c.region == region and c.action == action and c.target.startswith("profile ")}
                assert len(allowed) == profiles
    assert has("explicit-deny", lambda c: "directly in" in c.target)
    for region in ("us-east-1", "eu-west-2", "eu-central-2"):
        assert has("explicit-deny", lambda c: f"in {region} as presented by eu." in c.target)
    assert has("explicit-deny", lambda c: c.target.startswith("profile global."))
    assert has("explicit-deny", lambda c: "Region-less model ARN" in c.target)
    assert has("explicit-deny", lambda c: c.target.startswith("profile us."))
    assert has("explicit-deny", lambda c: c.target.startswith("profile apac."))
    for action in ("CreateModelInvocationJob", "CreateEvaluationJob"):
        assert has("explicit-deny", lambda c: c.action == action and "directly in the Region-less model ARN" in c.target)
        assert has("explicit-deny", lambda c: c.action == action and c.target.endswith("directly in us-east-1"))
    assert has("explicit-deny", lambda c: c.action == "bedrock-mantle:CreateInference" and c.target.endswith("us-east-1"))
    assert has("deny", lambda c: c.target == "profile eu.anthropic.claude-haiku-4-5-20251001-v1:0")
    assert has("deny", lambda c: "application profile of contract-search" in c.target and c.application == "claims-assistant")
    # calls through application profiles are evaluated under every UNCONFIRMED variant
    variants = {c.variant for c in cases if c.scenario.expect == "allow" and c.variant}
    assert variants == {v.name for v in sc.APPLICATION_PROFILE_VARIANTS}


def test_scenarios_check_every_resource_the_policies_allow(shipped):
    """No Allow resource is untested: each is the resource of some check of an expected-allowed call."""
    entry = shipped["default"]
    allows = 0
    assert entry.inventory
    for (app, region), access in entry.inventory.items():
        checked = {r.resource for c in entry.cases if c.application == app and c.region == region
                   and c.scenario.expect == "allow" for r in c.checks}
        for policy in access.policies.values():
            for s in policy["Statement"]:
                if s["Effect"] == "Allow":
                    allows += 1
                    missing = set(_as_list(s["Resource"])) - checked
                    assert not missing, f"{app} {region} {s['Sid']}: {sorted(missing)}"
    assert allows >= 2 * len(entry.inventory)  # at least the profile and model statements of each


def _as_list(value):
    return [value] if isinstance(value, str) else list(value)


def _mutants(policies, only_sids=None):
    """(description, mutated policies, changed statements) for each way of breaking one statement."""
    for name, document in policies.items():
        for index, statement in enumerate(document["Statement"]):
            sid = statement.get("Sid", str(index + 1))
            if only_sids and sid not in only_sids:
                continue
            label = f"{name}#{sid}"

            def replaced(new, name=name, index=index, statement=statement):
                result = copy.deepcopy(policies)
                if new is None:
                    del result[name]["Statement"][index]
                    return result, [statement]
                result[name]["Statement"][index] = new
                return result, [statement, new]

            yield f"{label} removed", *replaced(None)
            if "Condition" in statement:
                yield f"{label} without its Condition", *replaced({k: v for k, v in statement.items() if k != "Condition"})
            actions = _as_list(statement["Action"])
            for action in actions if len(actions) > 1 else ():
                yield f"{label} without {action}", *replaced({**statement, "Action": [a for a in actions if a != action]})
            resources = _as_list(statement["Resource"])
            if len(resources) > 1:
                # every resource of a deny (each is a separate fence); the first and last of an allow
                # (test_scenarios_check_every_resource_the_policies_allow covers the rest)
                chosen = resources if statement["Effect"] == "Deny" else [resources[0], resources[-1]]
                for resource in chosen:
                    new = {**statement, "Resource": [r for r in resources if r != resource]}
                    yield f"{label} without {resource}", *replaced(new)
            if statement["Effect"] == "Allow":
                for operator, keys in statement.get("Condition", {}).items():
                    for key, values in keys.items():
                        values = _as_list(values)
                        for value in values if len(values) > 1 else ():
                            condition = {operator: {key: [v for v in values if v != value]}}
                            yield f"{label} without {key}={value}", *replaced({**statement, "Condition": condition})


def _request_key(request):
    context = tuple(sorted((k, v if isinstance(v, str) else tuple(v)) for k, v in request.context.items()))
    return (request.action, request.resource, context)


def _applies(statement, request) -> bool:
    """Could ``statement`` match ``request`` at all (action and resource, conditions ignored)?

    Deliberately permissive (``*`` also spans ':'): it only chooses which checks are re-evaluated for a
    mutant; every other check keeps its decision under the unmutated policies, which is exact because a
    statement that cannot match a request cannot change its decision.
    """
    actions = [a.lower() for a in _as_list(statement["Action"])]
    return any(fnmatch.fnmatchcase(request.action.lower(), a) for a in actions) and any(
        fnmatch.fnmatchcase(request.resource, r) for r in _as_list(statement["Resource"])
    )


class _Evaluation:
    """The decisions on one (application, Region)'s cases, re-evaluating only what a mutant can change."""

    def __init__(self, cases, policies):
        self.cases = cases
        self.requests = {_request_key(r): r for c in cases for r in c.checks}
        for c in cases:
            if c.scenario.expect == "explicit-deny":
                broad = sc.with_broad_grant(c.checks[0])
                self.requests[_request_key(broad)] = broad
        self.base = self._run(policies, self.requests)

    @staticmethod
    def _run(policies, requests):
        keys = list(requests)
        everything = {**policies, sc.BROAD_GRANT_NAME: sc.BROAD_GRANT}
        return dict(zip(keys, evaluate(everything, [requests[k] for k in keys])))

    def outcomes(self, policies=None, changed=()):
        decided = dict(self.base)
        if policies is not None:
            decided.update(self._run(policies, {k: r for k, r in self.requests.items()
                                                if any(_applies(s, r) for s in changed)}))
        return [
            sc.judge(c, [decided[_request_key(r)] for r in c.checks],
                     decided[_request_key(sc.with_broad_grant(c.checks[0]))] if c.scenario.expect == "explicit-deny" else None)
            for c in self.cases
        ]


def test_breaking_any_statement_makes_a_scenario_fail(shipped):
    targets = [
        (shipped["default"], ("claims-assistant", REGION), None),
        (shipped["default"], ("contract-search", REGION), None),
        # enforcement only adds one statement; the others are the same as in the default config
        (shipped["enforced"], ("claims-assistant", REGION), {"DenyInferenceProfilesCalledDirectly"}),
    ]
    jobs = []
    for entry, key, only in targets:
        evaluation = _Evaluation([c for c in entry.cases if (c.application, c.region) == key],
                                 entry.inventory[key].policies)
        assert all(o.passed for o in evaluation.outcomes())  # the baseline holds
        for description, policies, changed in _mutants(entry.inventory[key].policies, only):
            jobs.append((f"{key[0]} {key[1]}: {description}", evaluation, policies, changed))
    assert len(jobs) > 80, len(jobs)

    def detected(job):
        _, evaluation, policies, changed = job
        return any(not o.passed for o in evaluation.outcomes(policies, changed))

    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        found = list(pool.map(detected, jobs))
    undetected = [job[0] for job, hit in zip(jobs, found) if not hit]
    assert not undetected, "undetected mutants:\n" + "\n".join(undetected)


def test_a_failing_scenario_is_one_readable_line(shipped, catalog, default_config, tmp_path):
    (tmp_path / "wrong.yaml").write_text(
        """
scenarios:
  - name: wrongly expects global to work
    application: claims-assistant
    source_regions: [eu-central-1]
    actions: [InvokeModel]
    profiles: [global.anthropic.claude-sonnet-4-6]
    expect: allow
  - name: wrongly expects the approved profile to be denied
    application: claims-assistant
    source_regions: [eu-central-1]
    actions: [InvokeModel]
    profiles: [eu.amazon.nova-2-lite-v1:0]
    expect: deny
  - name: wrongly expects an unapproved profile to be denied even with a broad grant
    application: claims-assistant
    source_regions: [eu-central-1]
    actions: [InvokeModel]
    profiles: [eu.anthropic.claude-haiku-4-5-20251001-v1:0]
    expect: explicit-deny
"""
    )
    files = sc.load_scenario_dir(tmp_path)
    stacks = sc.stacks_from_directory(shipped["outdir"])
    report = sc.run(files, default_config, catalog, lambda _c: stacks, account=TEST_ACCOUNT)
    lines = [o.line() for o in report.failures]
    assert len(lines) == 3
    assert lines[0] == (
        "FAIL wrong.yaml · wrongly expects global to work · claims-assistant in eu-central-1: InvokeModel profile"
        " global.anthropic.claude-sonnet-4-6: expected allow, got ExplicitlyDenied at bedrock:InvokeModel"
        f" on arn:aws:bedrock:eu-central-1:{TEST_ACCOUNT}:inference-profile/global.anthropic.claude-sonnet-4-6"
        " (aws:RequestedRegion=eu-central-1); decided by claims-assistant/Policy1#DenyNonEuInferenceProfiles"
    )
    assert "expected deny, got Allowed for every check; allowed by claims-assistant/Policy1#AllowInferenceProfiles," in lines[1]
    assert "claims-assistant/Policy1#AllowModelsThroughProfiles1" in lines[1]
    assert ("expected explicit-deny, got Allowed with bedrock:* granted elsewhere at the first check bedrock:InvokeModel"
            in lines[2])
    assert "decided by BroadGrantElsewhere#AllowAllOfBedrock" in lines[2]
    rendered = report.render()
    assert rendered.splitlines()[-1] == "3 scenarios, 3 calls: 0 held, 3 failed"


def test_enforcement_trade_off_is_pinned(shipped, catalog):
    """With require_application_profiles, the UNCONFIRMED variants the design cannot support (a
    system-profile check without bedrock:InferenceProfileArn) are denied by the enforcement deny, and
    only by it; without enforcement the same variants are allowed."""
    pid = "eu.amazon.nova-2-lite-v1:0"
    unsupported = [v for v in sc.APPLICATION_PROFILE_VARIANTS if v.name in sc.UNSUPPORTED_WITH_ENFORCEMENT]
    assert len(unsupported) == 2 and len(sc.variants_for(True)) == 4
    for variant in unsupported:
        for entry, enforced in ((shipped["enforced"], True), (shipped["default"], False)):
            access = entry.inventory[("claims-assistant", REGION)]
            profile_id, arn = access.application_profiles[pid]
            checks = sc._application_profile_call(
                pid, profile_id, arn, REGION, "bedrock:InvokeModel", "arn:aws:sts::111122223333:assumed-role/r/s",
                variant, catalog, TEST_ACCOUNT, "aws", "test")
            verdict = cris_checks.call_decision(evaluate(access.policies, checks))
            if not enforced:
                assert verdict.allowed, variant.name
            else:
                assert verdict.failed_check.request.resource.endswith(f":inference-profile/{pid}")
                assert verdict.failed_check.decision == "ExplicitlyDenied"
                assert verdict.failed_check.deciding == ("claims-assistant/Policy1#DenyInferenceProfilesCalledDirectly",)


@pytest.mark.parametrize(
    "body, message",
    [
        ("scenarios: [{name: bad-1, application: a, expect: allow, profiles: [p], colour: red}]", "colour"),
        ("scenarios: [{name: bad-2, application: a, expect: allow, profiles: [p], model: m, regions: [r]}]",
         "exactly one of profiles, application_profiles, model, mantle_project, responses_project, bearer_token or guardrail"),
        ("scenarios: [{name: bad-3, application: a, expect: maybe, profiles: [p]}]", "expect"),
        ("scenarios: [{name: bad-4, application: a, expect: deny, model: m, regions: [unspecified]}]", "needs presented_profile"),
        ("scenarios: [{name: bad-5, application: a, expect: deny, model: m, regions: [r], actions: [GetInferenceProfile]}]",
         "GetInferenceProfile is an action on a profile"),
        ("scenarios: [{name: bad-6, application: a, expect: deny, profiles: [p, p]}]", "listed twice"),
        ("scenarios: []", "at least 1"),
        ("scenarios: [{name: bad-7, application: a, expect: deny, profiles: [p], actions: [CreateModelInvocationJob]}]",
         "apply only to model targets"),
        ("scenarios: [{name: bad-8, application: a, expect: deny, model: m, regions: [r], presented_profile: p,"
         " actions: [CreateEvaluationJob]}]", "carry no bedrock:InferenceProfileArn"),
        ("scenarios: [{name: bad-9, application: a, expect: deny, mantle_project: default, regions: [r]}]",
         "mantle_project needs actions"),
        ("scenarios: [{name: bad-10, application: a, expect: deny, model: m, regions: [r],"
         " actions: [bedrock-mantle:CreateInference]}]", "applies only to mantle_project"),
        ("scenarios: [{name: bad-11, application: a, expect: deny, model: m, regions: [unspecified],"
         " actions: [InvokeModel, CreateModelInvocationJob]}]", "needs presented_profile for invoke actions"),
        ("scenarios: [{name: bad-12, application: a, expect: deny, profiles: [p], service_control_policies: [nope]}]",
         "are not defined in the file's service_control_policies"),
        ("service_control_policies: {x: {Version: '2012-10-17'}}\n"
         "scenarios: [{name: bad-13, application: a, expect: deny, profiles: [p]}]", "non-empty Statement list"),
        ("scenarios: [{name: bad-14, application: a, expect: deny, profiles: [p], identity: admin}]",
         r"scenarios\.0\.identity .*'role' or 'allow-all'"),
        ("config_overrides: {organization_guardrail: 7}\nscenarios: [{name: bad-15, application: a, expect: deny,"
         " profiles: [p]}]", "config_overrides.organization_guardrail"),
        ("scenarios: [{name: bad-16, application: a, expect: deny, bearer_token: true}]",
         r"bearer_token takes only the actions \['CallWithBearerToken', 'bedrock-mantle:CallWithBearerToken'\]"),
        ("scenarios: [{name: bad-17, application: a, expect: deny, profiles: [p], actions: [GetInvoke]}]",
         r"\['GetInvoke'\] apply only to responses_project targets"),
        ("scenarios: [{name: bad-18, application: a, expect: deny, profiles: [p], guardrail_profile: eu.guardrail.v1:0}]",
         "guardrail_profile needs guardrail"),
        ("scenarios: [{name: bad-19, application: a, expect: deny, model: m, regions: [r], api: responses}]",
         "api: responses applies to profiles"),
        ("scenarios: [{name: bad-20, application: a, expect: deny, bearer_token: true, principal: BedrockAPIKey,"
         " actions: [CallWithBearerToken]}]", "is not an IAM role, user or assumed-role ARN"),
        ("scenarios: [{name: bad-21, application: a, expect: deny, guardrail: g, actions: [InvokeModel]}]",
         r"guardrail takes only the actions \['ApplyGuardrail'\]"),
        ("scenarios: [{name: bad-22, application: a, expect: deny, responses_project: other, actions: [GetInvoke]}]",
         "responses_project"),
    ],
)
def test_scenario_files_are_strictly_validated(tmp_path, body, message):
    path = tmp_path / "bad.yaml"
    path.write_text(body)
    with pytest.raises(sc.ScenarioError, match=message) as info:
        sc.load_scenario_file(path)
    assert str(path) in str(info.value)


def test_unknown_names_are_reported_with_the_scenario(shipped, catalog, default_config, tmp_path):
    (tmp_path / "typo.yaml").write_text(
        "scenarios: [{name: typo, application: claims-asistant, expect: allow, profiles: [eu.amazon.nova-2-lite-v1:0]}]"
    )
    stacks = sc.stacks_from_directory(shipped["outdir"])
    with pytest.raises(sc.ScenarioError, match=r"typo.yaml: scenario 'typo': no application 'claims-asistant'"):
        sc.run(sc.load_scenario_dir(tmp_path), default_config, catalog, lambda _c: stacks)
    (tmp_path / "typo.yaml").write_text(
        "config_overrides: {applications: {nobody: {require_application_profiles: true}}}\n"
        "scenarios: [{name: typo, application: claims-assistant, expect: allow, profiles: [eu.amazon.nova-2-lite-v1:0]}]"
    )
    with pytest.raises(sc.ScenarioError, match="no application 'nobody'"):
        sc.run(sc.load_scenario_dir(tmp_path), default_config, catalog, lambda _c: stacks)


def test_cli_prints_a_readable_report_and_sets_the_exit_code(shipped, tmp_path, capsys):
    code = sc.main(["--assembly", str(shipped["outdir"])])
    out = capsys.readouterr().out
    assert code == 0
    assert "ok   allowed.yaml · claims-assistant calls its approved system profiles" in out
    assert "AGPL" in out
    assert "0 failed" in out.splitlines()[-1]
    (tmp_path / "wrong.yaml").write_text(
        "scenarios: [{name: global works, application: claims-assistant, expect: allow,"
        " profiles: [global.anthropic.claude-sonnet-4-6]}]"
    )
    code = sc.main(["--assembly", str(shipped["outdir"]), "--scenarios", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 1
    assert "FAIL wrong.yaml · global works · claims-assistant in eu-central-1: InvokeModel" in out


def test_the_security_review_finding_is_closed(shipped):
    """The review's case: claims-assistant's policies plus bedrock:* on * elsewhere on the same principal
    (what grant_invoke onto an existing team role can meet) allowed CreateModelInvocationJob on the
    Region-less model ARN with aws:RequestedRegion=unspecified. It is now explicitly denied, by the
    global deny, in every policy of the application."""
    access = shipped["default"].inventory[("claims-assistant", REGION)]
    request = sc.with_broad_grant(cris_checks.direct_model_call_checks(
        action="bedrock:CreateModelInvocationJob", partition="aws", region="unspecified",
        model_id="anthropic.claude-sonnet-4-6", principal="arn:aws:sts::111122223333:assumed-role/r/s")[0])
    assert request.resource == "arn:aws:bedrock:::foundation-model/anthropic.claude-sonnet-4-6"
    assert access.policies
    for name, policy in access.policies.items():
        (decision,) = evaluate({name: policy, sc.BROAD_GRANT_NAME: sc.BROAD_GRANT}, [request])
        assert decision.decision == "ExplicitlyDenied", name
        assert decision.deciding == (f"{name}#DenyGlobalCrossRegionInference",)


# --- The SCP layer (scenarios/organization-guardrail.yaml) ---------------------------------------------
GUARDRAIL_FILE = "organization-guardrail.yaml"
GUARDRAIL_SCP = "scp/acme-genai-cris-guard-bedrock-eu"


def _guardrail_cases(shipped):
    return [c for c in shipped["guardrail"].cases if c.file == GUARDRAIL_FILE]


def _with_scp(cases, name, document):
    return [dataclasses.replace(c, service_control_policies={**c.service_control_policies, name: document})
            for c in cases]


def test_the_guardrail_file_evaluates_identity_policies_and_the_scp_together(shipped):
    entry = shipped["guardrail"]
    assert list(entry.service_control_policies) == [GUARDRAIL_SCP]
    document = entry.service_control_policies[GUARDRAIL_SCP]
    assert "${" not in json.dumps(document) and "arn:aws:bedrock:*:*:inference-profile/eu.*" in json.dumps(document)
    cases = _guardrail_cases(shipped)
    assert len(cases) > 150 and all(c.service_control_policies[GUARDRAIL_SCP] == document for c in cases)
    unguarded = [c for e in (shipped["default"], shipped["enforced"]) for c in e.cases]
    assert unguarded and all(not c.service_control_policies for c in unguarded)
    # The what-if SCP applies to the scenario that names it, and only there.
    classic = [c for c in cases if "classic-region-allow-list" in json.dumps(c.scenario.service_control_policies)]
    assert classic and all(set(c.service_control_policies) == {GUARDRAIL_SCP, "scp/classic-region-allow-list"}
                           for c in classic)
    outcomes = sc.evaluate_cases(classic, entry.inventory)
    for o in outcomes:
        assert o.passed, o.line()
        # the first routed destination: of the model, or of the guardrail's EU guardrail profile
        routed = ("on arn:aws:bedrock:eu-north-1::foundation-model/" if o.case.target.startswith("profile")
                  else "on arn:aws:bedrock:eu-north-1:111122223333:guardrail-profile/eu.guardrail.v1:0")
        assert routed in o.detail
        assert o.detail.endswith("decided by scp/classic-region-allow-list#DenyOutsideAllowedRegions")
    # The same calls without the classic SCP: allowed by the role and by cris-guard's SCP.
    same = [dataclasses.replace(c, service_control_policies={GUARDRAIL_SCP: document})
            for c in classic if c.scenario.identity == "role"]
    assert same
    assert all(cris_checks.call_decision(decisions).allowed for decisions in _decisions(same, entry.inventory))


def _decisions(cases, inventory):
    access = inventory[(cases[0].application, cases[0].region)]
    flat = evaluate(access.policies, [r for c in cases for r in c.checks],
                    service_control_policies=dict(cases[0].service_control_policies))
    result, it = [], iter(flat)
    for c in cases:
        result.append([next(it) for _ in c.checks])
    return result


def test_removing_the_cris_exemption_makes_the_guardrail_scenarios_fail(shipped):
    """The exemption is what separates cris-guard's Region allow-list from the classic one that breaks CRIS."""
    entry = shipped["guardrail"]
    mutant = copy.deepcopy(entry.service_control_policies[GUARDRAIL_SCP])
    del next(s for s in mutant["Statement"] if s["Sid"] == scp.SID_DENY_OUTSIDE_ALLOWED)["Condition"]["ArnNotLike"]
    outcomes = sc.evaluate_cases(_with_scp(_guardrail_cases(shipped), GUARDRAIL_SCP, mutant), entry.inventory)
    failed = [o for o in outcomes if not o.passed]
    assert {o.case.scenario.name for o in failed} >= {
        "claims-assistant's eu. profiles route to Stockholm, Milan, Spain and Paris under cris-guard's SCP",
        "contract-search's eu. profiles under cris-guard's SCP",
    }
    assert any(o.detail.endswith(f"decided by {GUARDRAIL_SCP}#{scp.SID_DENY_OUTSIDE_ALLOWED}") for o in failed)


@pytest.mark.parametrize("sid", [scp.SID_DENY_NON_EU_PROFILES, scp.SID_DENY_GLOBAL, scp.SID_DENY_NON_EU_PROFILE_ROUTING,
                                 scp.SID_DENY_OUTSIDE_EU, scp.SID_DENY_OUTSIDE_ALLOWED])
def test_every_inference_statement_of_the_scp_is_needed_by_a_scenario(shipped, sid):
    entry = shipped["guardrail"]
    mutant = copy.deepcopy(entry.service_control_policies[GUARDRAIL_SCP])
    mutant["Statement"] = [s for s in mutant["Statement"] if s["Sid"] != sid]
    outcomes = sc.evaluate_cases(_with_scp(_guardrail_cases(shipped), GUARDRAIL_SCP, mutant), entry.inventory)
    assert any(not o.passed for o in outcomes), f"no scenario notices {sid} missing"


# --- Which accounts the SCP binds: per_account and prepare leave it out where it does not apply ----------

SCP_TEMPLATE = {"Resources": {"Scp": {"Type": "AWS::Organizations::Policy", "Properties": {
    "Name": "acme-genai-cris-guard-bedrock-eu", "Type": "SERVICE_CONTROL_POLICY", "TargetIds": ["x"],
    "Content": {"Version": "2012-10-17", "Statement": [
        {"Sid": "DenyAll", "Effect": "Deny", "Action": "bedrock:*", "Resource": "*"}]}}}}}


def _with_targets(config, targets, management="999988887777"):
    from cris_guard.config import OrganizationGuardrail

    return config.model_copy(update={"organization_guardrail": OrganizationGuardrail(
        management_account=management, target_ids=targets)})


def _scp_stacks(runs):
    return {r.stage: [s.name for s in r.stacks if sc.holds_scp(s.template)] for r in runs}


def test_per_account_gives_the_scp_only_to_the_accounts_it_binds(multi_account_config):
    stacks = [sc.StackTemplate("acme-genai-eu-central-1", "eu-central-1", {"Resources": {}}, stage="prod"),
              sc.StackTemplate("acme-genai-eu-west-3", "eu-west-3", {"Resources": {}}, stage="dev"),
              sc.StackTemplate("acme-genai-organization-guardrail", "us-east-1", SCP_TEMPLATE)]
    guard = ["acme-genai-organization-guardrail"]
    for targets, management, expected in (
        (["ou-ab12-cdef3456"], "999988887777", {"prod": guard, "dev": guard}),  # assumed: OU membership unknown
        (["r-ab12"], "999988887777", {"prod": guard, "dev": guard}),
        (["111122223333"], "999988887777", {"prod": guard, "dev": []}),  # dev is not among the account IDs
        (["111122223333", "444455556666"], "999988887777", {"prod": guard, "dev": guard}),
        (["ou-ab12-cdef3456"], "444455556666", {"prod": guard, "dev": []}),  # dev is the management account
    ):
        runs = sc.per_account(_with_targets(multi_account_config, targets, management), stacks)
        assert _scp_stacks(runs) == expected, (targets, management)
        assert {r.stage: len(r.stacks) - len(_scp_stacks([r])[r.stage]) for r in runs} == {"prod": 1, "dev": 1}
    # Without a configured guardrail, an SCP found in the templates is assumed to apply everywhere, as before.
    assert _scp_stacks(sc.per_account(multi_account_config, stacks)) == {"prod": guard, "dev": guard}


def test_a_single_account_run_drops_the_scp_where_it_does_not_bind(default_config):
    stacks = [sc.StackTemplate("acme-genai-eu-central-1", "eu-central-1", {"Resources": {}}),
              sc.StackTemplate("acme-genai-organization-guardrail", "us-east-1", SCP_TEMPLATE)]
    only = _with_targets(default_config, ["444455556666"])
    assert default_config.account is None
    assert _scp_stacks(sc.per_account(only, stacks)) == {None: ["acme-genai-organization-guardrail"]}  # account unknown
    for account, kept in (("444455556666", True), ("111122223333", False), ("999988887777", False)):
        config = only.model_copy(update={"account": account})
        assert bool(_scp_stacks(sc.per_account(config, stacks))[None]) is kept, account
        assert [s.name for s in sc.without_unbound_scps(config, account, stacks)] == [s.name for s in stacks][:2 if kept else 1]


def test_scenarios_of_an_account_the_scp_does_not_bind_run_without_it(catalog, default_config, default_assembly,
                                                                      tmp_path):
    """prepare(): the guardrail in a single-account configuration's templates is left out for the management
    account, so a scenario that relies on the SCP fails there instead of passing on an SCP that never applies."""
    (tmp_path / "a.yaml").write_text(
        "scenarios:\n  - name: global refused by the SCP alone\n    application: claims-assistant\n"
        "    identity: allow-all\n    profiles: [global.anthropic.claude-sonnet-4-6]\n"
        "    expect: explicit-deny\n")
    files = sc.load_scenario_dir(tmp_path)
    stacks = [*sc.stacks_from_assembly(default_assembly),
              sc.StackTemplate("acme-genai-organization-guardrail", "us-east-1", SCP_TEMPLATE)]
    member = _with_targets(default_config, ["ou-ab12-cdef3456"]).model_copy(update={"account": TEST_ACCOUNT})
    (entry,) = sc.prepare(files, member, catalog, lambda _c: stacks)
    assert list(entry.service_control_policies) == ["scp/acme-genai-cris-guard-bedrock-eu"]
    assert sc.run(files, member, catalog, lambda _c: stacks).failures == []
    management = _with_targets(default_config, ["ou-ab12-cdef3456"], management=TEST_ACCOUNT).model_copy(
        update={"account": TEST_ACCOUNT})
    (entry,) = sc.prepare(files, management, catalog, lambda _c: stacks)
    assert entry.service_control_policies == {}
    failures = sc.run(files, management, catalog, lambda _c: stacks).failures
    assert failures and {o.case.scenario.name for o in failures} == {"global refused by the SCP alone"}


# --- The VPC endpoint layer (issue 16): via_endpoint, endpoint policies, network-bound roles -----------------
# Hand-made templates of the contract the endpoint constructs follow: a source-Region stack with a
# bedrock-runtime interface endpoint whose policy lets only the approved eu. profile (and the models through it)
# through and denies other geographies' profiles, and an application role whose managed policy denies profile
# calls from outside the endpoint's VPC (DenyOutsidePrivateNetwork). Both use the intrinsics the synthesized
# templates use (Fn::Sub of pseudo parameters, Fn::GetAtt of the application profile).

PN_REGION = "eu-central-1"
PN_VPC = "vpc-0a1b2c3d4e5f60789"
PN_PROFILE = "eu.anthropic.claude-sonnet-4-6"
PN_ENDPOINT = "vpce/Network/BedrockRuntime"
PN_POLICY = "claims-assistant/Policy1"
DATA_SCIENCE = f"arn:aws:iam::{TEST_ACCOUNT}:role/data-science"
PN_SCENARIOS = f"""
scenarios:
  - name: through the endpoint claims-assistant calls its approved eu. profile
    application: claims-assistant
    source_regions: [{PN_REGION}]
    via_endpoint: true
    profiles: [{PN_PROFILE}]
    expect: allow
  - name: through the endpoint claims-assistant calls through its application profile
    application: claims-assistant
    source_regions: [{PN_REGION}]
    via_endpoint: true
    actions: [InvokeModel]
    application_profiles: [{PN_PROFILE}]
    expect: allow
  - name: a global. profile through the endpoint is refused by the endpoint policy even with bedrock:* on *
    application: claims-assistant
    source_regions: [{PN_REGION}]
    identity: allow-all
    principal: {DATA_SCIENCE}
    via_endpoint: true
    profiles: [global.anthropic.claude-sonnet-4-6]
    expect: explicit-deny
  - name: the same principal outside the endpoint reaches the global. profile (what the endpoint adds)
    application: claims-assistant
    source_regions: [{PN_REGION}]
    identity: allow-all
    principal: {DATA_SCIENCE}
    actions: [InvokeModel]
    profiles: [global.anthropic.claude-sonnet-4-6]
    expect: allow
  - name: the network-bound role is refused from outside the VPC
    application: claims-assistant
    source_regions: [{PN_REGION}]
    profiles: [{PN_PROFILE}]
    expect: explicit-deny
  - name: the network-bound role is refused from outside the VPC through its application profile too
    application: claims-assistant
    source_regions: [{PN_REGION}]
    actions: [InvokeModel]
    application_profiles: [{PN_PROFILE}]
    expect: explicit-deny
"""
ENDPOINT_SCENARIO = "a global. profile through the endpoint is refused by the endpoint policy even with bedrock:* on *"
FENCE_SCENARIO = "the network-bound role is refused from outside the VPC"
VIA_ENDPOINT_SCENARIO = "through the endpoint claims-assistant calls its approved eu. profile"


def _arn(rest):
    return {"Fn::Sub": f"arn:${{AWS::Partition}}:bedrock:{rest}"}


def _private_network_stack(catalog, *, endpoint_denies=True, fence=True, fence_models=False, endpoint_policy=True):
    """The eu-central-1 stack of the contract, and how to break it: without the endpoint policy's denies,
    without the role's DenyOutsidePrivateNetwork, with a fence that also covers the foundation models (which
    the routed checks may not pass), or with an endpoint that has no PolicyDocument (AWS's full-access default)."""
    from cris_guard.assembly import model_of
    from cris_guard.cost import APPLICATION_TAG_KEY

    invoke = ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]
    profile = _arn(f"{PN_REGION}:${{AWS::AccountId}}:inference-profile/{PN_PROFILE}")
    app_profile = {"Fn::GetAtt": ["AppProfileSonnet", "InferenceProfileArn"]}
    model = model_of(PN_PROFILE, catalog)
    models = [_arn(f"{region}::foundation-model/{model}") for region in catalog.destinations(PN_PROFILE, PN_REGION)]
    through = {"StringEquals": {"bedrock:InferenceProfileArn": [profile, app_profile]}}
    role_statements = [
        {"Sid": "AllowInferenceProfiles", "Effect": "Allow", "Action": invoke, "Resource": [profile, app_profile]},
        {"Sid": "AllowModelsThroughProfiles1", "Effect": "Allow", "Action": invoke, "Resource": models,
         "Condition": through},
    ]
    if fence:
        fenced = [_arn(f"{PN_REGION}:${{AWS::AccountId}}:inference-profile/*"),
                  _arn(f"{PN_REGION}:${{AWS::AccountId}}:application-inference-profile/*")]
        role_statements.append({
            "Sid": "DenyOutsidePrivateNetwork", "Effect": "Deny", "Action": "bedrock:InvokeModel*",
            "Resource": fenced + ([_arn("*::foundation-model/*")] if fence_models else []),
            "Condition": {"StringNotEquals": {"aws:SourceVpc": [PN_VPC]}},
        })
    endpoint_statements = [
        {"Sid": "AllowApprovedEuProfiles", "Effect": "Allow", "Principal": "*", "Action": invoke, "Resource": [profile]},
        {"Sid": "AllowApplicationProfiles", "Effect": "Allow", "Principal": "*", "Action": invoke,
         "Resource": [app_profile]},
        {"Sid": "AllowModelsThroughApprovedProfiles", "Effect": "Allow", "Principal": "*", "Action": invoke,
         "Resource": models, "Condition": through},
    ]
    if endpoint_denies:
        endpoint_statements += [
            {"Sid": "DenyNonEuProfiles", "Effect": "Deny", "Principal": "*", "Action": "bedrock:InvokeModel*",
             "Resource": [_arn(f"*:*:inference-profile/{prefix}*") for prefix in ("global.", "us.", "apac.")]},
            {"Sid": "DenyGlobalCrossRegionInference", "Effect": "Deny", "Principal": "*",
             "Action": "bedrock:InvokeModel*", "Resource": "*",
             "Condition": {"StringEquals": {"aws:RequestedRegion": "unspecified"}}},
        ]
    tag = [{"Key": APPLICATION_TAG_KEY, "Value": "claims-assistant"}]
    endpoint = {"ServiceName": f"com.amazonaws.{PN_REGION}.bedrock-runtime", "VpcEndpointType": "Interface",
                "VpcId": PN_VPC, "SubnetIds": ["subnet-0a1b2c3d4e5f60781"], "PrivateDnsEnabled": True}
    if endpoint_policy:
        endpoint["PolicyDocument"] = {"Version": "2012-10-17", "Statement": endpoint_statements}
    resources = {
        "ClaimsRole": {"Type": "AWS::IAM::Role", "Properties": {"Tags": tag}},
        "ClaimsPolicy1": {"Type": "AWS::IAM::ManagedPolicy", "Metadata": {sc.POLICY_NAME_METADATA_KEY: PN_POLICY},
                          "Properties": {"Roles": [{"Ref": "ClaimsRole"}], "PolicyDocument": {
                              "Version": "2012-10-17", "Statement": role_statements}}},
        "AppProfileSonnet": {"Type": "AWS::Bedrock::ApplicationInferenceProfile", "Properties": {
            "InferenceProfileName": "claims-assistant-sonnet", "Tags": tag,
            "ModelSource": {"CopyFrom": profile}}},
        "BedrockRuntime": {"Type": "AWS::EC2::VPCEndpoint", "Properties": endpoint,
                           "Metadata": {"aws:cdk:path": f"acme-genai-{PN_REGION}/Network/BedrockRuntime"}},
        # The control-plane endpoint is not the runtime's: via_endpoint ignores it.
        "BedrockControlPlane": {"Type": "AWS::EC2::VPCEndpoint", "Properties": {
            "ServiceName": f"com.amazonaws.{PN_REGION}.bedrock", "VpcEndpointType": "Interface", "VpcId": PN_VPC,
            "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": "*", "Action": "bedrock:GetInferenceProfile", "Resource": "*"}]}}},
    }
    return [sc.StackTemplate(f"acme-genai-{PN_REGION}", PN_REGION, {"Resources": resources})]


def _private_network_outcomes(catalog, default_config, directory, **breakage):
    stacks = _private_network_stack(catalog, **breakage)
    (entry,) = sc.prepare(sc.load_scenario_dir(directory), default_config, catalog, lambda _c: stacks,
                          account=TEST_ACCOUNT)
    return entry, sc.evaluate_cases(entry.cases, entry.inventory)


@pytest.fixture(scope="module")
def private_network(catalog, default_config, tmp_path_factory):
    directory = tmp_path_factory.mktemp("private-network")
    (directory / "private-network.yaml").write_text(PN_SCENARIOS)
    entry, outcomes = _private_network_outcomes(catalog, default_config, directory)
    return dict(directory=directory, entry=entry, outcomes=outcomes)


def _by_scenario(outcomes, name):
    found = [o for o in outcomes if o.case.scenario.name == name]
    assert found, name
    return found


def test_the_endpoint_of_the_templates_is_extracted_resolved(private_network):
    (endpoint,) = private_network["entry"].vpc_endpoints[PN_REGION]
    assert (endpoint.name, endpoint.vpc_id, endpoint.logical_id) == (PN_ENDPOINT, PN_VPC, "BedrockRuntime")
    text = json.dumps(endpoint.policy)
    assert "Fn::" not in text and "${" not in text
    access = private_network["entry"].inventory[("claims-assistant", PN_REGION)]
    ((_, app_arn),) = access.application_profiles.values()
    assert app_arn in text and f"arn:aws:bedrock:{PN_REGION}:{TEST_ACCOUNT}:inference-profile/{PN_PROFILE}" in text


def test_the_private_network_scenarios_hold(private_network):
    outcomes = private_network["outcomes"]
    assert [o.line() for o in outcomes if not o.passed] == []
    assert {o.case.scenario.name for o in outcomes} == {
        VIA_ENDPOINT_SCENARIO, "through the endpoint claims-assistant calls through its application profile",
        ENDPOINT_SCENARIO, "the same principal outside the endpoint reaches the global. profile (what the endpoint adds)",
        FENCE_SCENARIO, "the network-bound role is refused from outside the VPC through its application profile too"}


def test_an_application_call_through_the_endpoint_is_allowed_by_both_layers(private_network):
    """(a) Every check through the endpoint carries the network keys and the endpoint layer; both the role's and
    the endpoint policy's grants allow it, under both answers about the routed checks."""
    outcomes = _by_scenario(private_network["outcomes"], VIA_ENDPOINT_SCENARIO)
    assert len(outcomes) == 2 * len(sc.ENDPOINT_VARIANTS)  # two actions
    assert {o.case.variant for o in outcomes} == {v.name for v in sc.ENDPOINT_VARIANTS}
    for o in outcomes:
        assert o.passed and o.actual == "Allowed", o.line()
        assert o.case.endpoint == PN_ENDPOINT and f"through {PN_ENDPOINT}:" in o.case.describe()
        first, *routed = o.case.checks
        assert first.context[sc.SOURCE_VPC_KEY] == PN_VPC
        assert first.context[sc.SOURCE_VPCE_KEY] == sc.SOURCE_VPCE_PLACEHOLDER
        assert list(first.vpc_endpoint_policies) == [PN_ENDPOINT]
        assert routed and all(sc.is_routed_check(r) for r in routed)
        via = o.case.variant == "routed-checks-via-endpoint"
        for r in routed:
            assert (sc.SOURCE_VPC_KEY in r.context, bool(r.vpc_endpoint_policies)) == (via, via)
    # the decisions name both layers' grants
    case = outcomes[0].case
    access = private_network["entry"].inventory[("claims-assistant", PN_REGION)]
    decisions = evaluate(access.policies, list(case.checks))
    assert decisions[0].deciding == (f"{PN_POLICY}#AllowInferenceProfiles", f"{PN_ENDPOINT}#AllowApprovedEuProfiles")


def test_application_profile_calls_through_the_endpoint_combine_both_variant_sets(private_network):
    outcomes = _by_scenario(private_network["outcomes"],
                            "through the endpoint claims-assistant calls through its application profile")
    expected = {f"{a.name}+{e.name}" for a in sc.APPLICATION_PROFILE_VARIANTS for e in sc.ENDPOINT_VARIANTS}
    assert {o.case.variant for o in outcomes} == expected
    for o in outcomes:
        assert o.passed, o.line()
        # the UNCONFIRMED system-profile check is made in the source Region: it is never a routed check
        for r in o.case.checks:
            if ":inference-profile/" in r.resource:
                assert r.context[sc.SOURCE_VPC_KEY] == PN_VPC and r.vpc_endpoint_policies


def test_a_global_profile_through_the_endpoint_is_denied_by_the_endpoint_policy_even_with_bedrock_star(private_network):
    """(b) data-science (bedrock:* on *, not a cris-guard application): the endpoint policy's deny refuses the
    global. profile at the first check; the same principal outside the endpoint is allowed."""
    outcomes = _by_scenario(private_network["outcomes"], ENDPOINT_SCENARIO)
    assert outcomes
    for o in outcomes:
        assert o.passed and o.actual == "ExplicitlyDenied", o.line()
        assert f"on arn:aws:bedrock:{PN_REGION}:{TEST_ACCOUNT}:inference-profile/global.anthropic.claude-sonnet-4-6" in o.detail
        assert f"aws:SourceVpc={PN_VPC}, aws:SourceVpce={sc.SOURCE_VPCE_PLACEHOLDER}" in o.detail
        assert o.detail.endswith(f"decided by {PN_ENDPOINT}#DenyNonEuProfiles")
        assert o.case.describe().startswith(f"claims-assistant in {PN_REGION} as {DATA_SCIENCE} through {PN_ENDPOINT}:")
    (outside,) = _by_scenario(private_network["outcomes"],
                              "the same principal outside the endpoint reaches the global. profile (what the endpoint adds)")
    assert outside.passed and outside.actual == "Allowed" and outside.case.endpoint is None


def test_a_network_bound_role_is_denied_outside_the_vpc_by_its_own_deny(private_network):
    """(c) Without the endpoint the first check carries no aws:SourceVpc, and the role's DenyOutsidePrivateNetwork
    refuses it (even with bedrock:* granted elsewhere); through the endpoint the same calls are allowed (a)."""
    for name in (FENCE_SCENARIO, "the network-bound role is refused from outside the VPC through its application profile too"):
        for o in _by_scenario(private_network["outcomes"], name):
            assert o.passed and o.actual == "ExplicitlyDenied", o.line()
            assert o.case.endpoint is None and sc.SOURCE_VPC_KEY not in o.case.checks[0].context
            assert o.detail.endswith(f"decided by {PN_POLICY}#DenyOutsidePrivateNetwork")


@pytest.mark.parametrize("breakage, scenario, got", [
    ({"endpoint_denies": False}, ENDPOINT_SCENARIO, "ImplicitlyDenied with bedrock:* granted elsewhere"),
    ({"endpoint_policy": False}, ENDPOINT_SCENARIO, "Allowed"),
    ({"fence": False}, FENCE_SCENARIO, "Allowed"),
])
def test_removing_the_endpoint_deny_or_the_network_fence_makes_the_named_scenario_fail(
        private_network, catalog, default_config, breakage, scenario, got):
    """(d) issue 16's done-when: without the endpoint policy's deny (or without any endpoint policy: AWS's
    full-access default), or without the role's DenyOutsidePrivateNetwork, the scenario that relies on it fails."""
    _, outcomes = _private_network_outcomes(catalog, default_config, private_network["directory"], **breakage)
    failed = {o.case.scenario.name for o in outcomes if not o.passed}
    assert scenario in failed
    assert all(o.actual == got for o in outcomes if o.case.scenario.name == scenario and not o.passed)
    if breakage == {"endpoint_denies": False}:
        detail = next(o.detail for o in outcomes if o.case.scenario.name == scenario)
        assert detail.endswith(f"the identity policies allow it, but no statement of {PN_ENDPOINT} does")


def test_a_fence_on_the_routed_model_checks_is_caught(private_network, catalog, default_config):
    """The issue's "no false denial on the routed calls": whether the model checks in the destination Regions carry
    aws:SourceVpc is UNCONFIRMED, so a fence that also covers foundation models fails the allowed call through the
    endpoint, in the variant where the routed checks do not see the endpoint."""
    _, outcomes = _private_network_outcomes(catalog, default_config, private_network["directory"], fence_models=True)
    failed = [o for o in outcomes if not o.passed]
    assert failed and {o.case.variant.rsplit("+", 1)[-1] for o in failed} == {"routed-checks-without-endpoint"}
    assert VIA_ENDPOINT_SCENARIO in {o.case.scenario.name for o in failed}
    assert all(":foundation-model/" in o.detail and o.detail.endswith(f"decided by {PN_POLICY}#DenyOutsidePrivateNetwork")
               for o in failed)


def test_via_endpoint_in_a_region_without_an_endpoint_is_an_error(catalog, default_config, tmp_path):
    (tmp_path / "x.yaml").write_text(
        "scenarios: [{name: no endpoint there, application: claims-assistant, via_endpoint: true,"
        f" profiles: [{PN_PROFILE}]}}]".replace("}]", ", expect: allow}]"))
    stacks = _private_network_stack(catalog)
    with pytest.raises(sc.ScenarioError) as info:
        sc.prepare(sc.load_scenario_dir(tmp_path), default_config, catalog, lambda _c: stacks)
    assert str(info.value) == (
        "x.yaml: scenario 'no endpoint there': via_endpoint: no bedrock-runtime VPC endpoint in eu-west-1 in the"
        " synthesized templates (an AWS::EC2::VPCEndpoint for com.amazonaws.eu-west-1.bedrock-runtime); configure"
        " one for eu-west-1, or limit the scenario's source_regions to Regions that have one")
    (tmp_path / "x.yaml").write_text(
        "scenarios: [{name: direct elsewhere, application: claims-assistant, via_endpoint: true,"
        f" source_regions: [{PN_REGION}], model: anthropic.claude-sonnet-4-6, regions: [eu-west-1], expect: deny}}]")
    with pytest.raises(sc.ScenarioError, match="a direct call in eu-west-1 does not go through eu-central-1's endpoint"):
        sc.prepare(sc.load_scenario_dir(tmp_path), default_config, catalog, lambda _c: stacks)


@pytest.mark.parametrize("body, message", [
    ("scenarios: [{name: bad-ve-1, application: a, expect: allow, profiles: [p], via_endpoint: true,"
     " actions: [GetInferenceProfile]}]", r"via_endpoint \(the bedrock-runtime endpoint\) supports the actions"),
    ("scenarios: [{name: bad-ve-2, application: a, expect: deny, model: m, regions: [r], presented_profile: p,"
     " via_endpoint: true}]", "not to presented_profile's single routed check"),
    ("scenarios: [{name: bad-ve-3, application: a, expect: deny, mantle_project: default, regions: [r],"
     " actions: [bedrock-mantle:CreateInference], via_endpoint: true}]", "not \\['bedrock-mantle:CreateInference'\\]"),
    ("scenarios: [{name: bad-ve-4, application: a, expect: deny, profiles: [p], via_endpoint: [yes]}]",
     r"scenarios\.0\.via_endpoint \('bad-ve-4'\)"),
])
def test_via_endpoint_is_strictly_validated(tmp_path, body, message):
    path = tmp_path / "bad.yaml"
    path.write_text(body)
    with pytest.raises(sc.ScenarioError, match=message) as info:
        sc.load_scenario_file(path)
    assert str(path) in str(info.value) and len(str(info.value).splitlines()) == 1


def test_an_endpoint_without_a_policy_has_the_full_access_default(catalog):
    endpoints = sc.extract_vpc_endpoints(_private_network_stack(catalog, endpoint_policy=False))
    ((endpoint,),) = endpoints.values()
    assert endpoint.policy == sc.DEFAULT_ENDPOINT_POLICY
