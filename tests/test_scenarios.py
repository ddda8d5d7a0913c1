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

from .conftest import TEST_ACCOUNT  # noqa: E402

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
        return sc.synthesize(config, catalog, account=TEST_ACCOUNT)

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
