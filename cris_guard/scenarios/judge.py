"""Evaluation and judging: the checks of every case through the offline IAM evaluator, and the report.

:func:`evaluate_cases` runs :func:`cris_guard.policy_eval.evaluate` once per policy set (with the broad
grant that ``explicit-deny`` expectations are held against), :func:`judge` turns the decisions into an
:class:`Outcome` per case and :class:`Report` renders them. :func:`prepare` and :func:`run` take loaded
files from a configuration to a report (:func:`per_account`: once per account of a multi-account
configuration); :func:`synthesize` builds the templates when no ``cdk.out`` is given.
"""

from __future__ import annotations

import concurrent.futures
import copy
import dataclasses
import json
import os
import tempfile
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cris_guard import cris_checks
from cris_guard.catalog import Catalog
from cris_guard.config import Config
from cris_guard.cost import APPLICATION_TAG_KEY
from cris_guard.policy_eval import Decision, Request, evaluate
from cris_guard.scenarios.expand import Case, expand
from cris_guard.scenarios.extract import (
    Inventory,
    StackTemplate,
    VpcEndpoint,
    extract_access,
    extract_service_control_policies,
    extract_vpc_endpoints,
    stacks_from_assembly,
    without_unbound_scps,
)
from cris_guard.scenarios.model import DEFAULT_ACCOUNT, LoadedFile, apply_overrides

# "A later, broader grant elsewhere": what explicit-deny expectations are evaluated against. The grant
# applies only to requests carrying BROAD_GRANT_TAG, so one evaluator run can hold both the plain
# requests and their broad-grant copies; cris-guard's policies never read principal tags, so a copy
# is decided exactly as the request would be with bedrock:* and bedrock-mantle:* on * attached to the role.
BROAD_GRANT_NAME = "BroadGrantElsewhere"
BROAD_GRANT_TAG = "aws:PrincipalTag/cris-guard-scenario"
BROAD_GRANT_TAG_VALUE = "broad-grant-elsewhere"
BROAD_GRANT = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "AllowAllOfBedrock",
            "Effect": "Allow",
            "Action": ["bedrock:*", "bedrock-mantle:*"],
            "Resource": "*",
            "Condition": {"StringEquals": {BROAD_GRANT_TAG: BROAD_GRANT_TAG_VALUE}},
        }
    ],
}


def with_broad_grant(request: Request) -> Request:
    """The same request (through the same VPC endpoint, if any), made by a principal that a broad grant
    elsewhere also covers."""
    return dataclasses.replace(request, context={**request.context, BROAD_GRANT_TAG: BROAD_GRANT_TAG_VALUE})


@dataclass(frozen=True)
class AccountRun:
    """What one account's scenarios run against: its configuration, Stage name and stacks."""

    stage: str | None
    config: Config
    stacks: list[StackTemplate]


def per_account(config: Config, stacks: Sequence[StackTemplate]) -> list[AccountRun]:
    """Split a (possibly multi-account) assembly into one run per account.

    Single account: one run with every stack. Several: each account's Stage stacks plus the stacks at
    the assembly root (the organization guardrail). Either way the SCP stacks are left out for an
    account the configured guardrail does not bind (:func:`without_unbound_scps`).
    """
    if not config.multi_account:
        return [AccountRun(None, config, without_unbound_scps(config, config.account, stacks))]
    root = [s for s in stacks if s.stage is None]
    return [
        AccountRun(t.name, config.for_account(t),
                   without_unbound_scps(config, t.id, [s for s in stacks if s.stage == t.name] + root))
        for t in config.accounts or ()
    ]


# --- Evaluation ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    case: Case
    passed: bool
    actual: str
    detail: str

    def line(self) -> str:
        status = "PASS" if self.passed else "FAIL"
        return (
            f"{status} {self.case.file} · {self.case.scenario.name} · {self.case.describe()}:"
            f" expected {self.case.scenario.expect}, got {self.actual}{self.detail}"
        )


def _fmt_request(request: Request) -> str:
    context = ", ".join(f"{k}={v}" for k, v in sorted(request.context.items()))
    return f"{request.action} on {request.resource} ({context})"


def _fmt_deciding(decision: Decision) -> str:
    if decision.deciding:
        return "decided by " + ", ".join(decision.deciding)
    layers = decision.implicitly_denied_by
    if "vpce" in layers:
        # The endpoint policy's names are the request's vpc_endpoint_policies (vpce/...).
        endpoint = ", ".join(decision.request.vpc_endpoint_policies) or "the VPC endpoint policy"
        if "identity" in layers:
            return f"no statement allows it: neither the identity policies nor {endpoint}"
        return f"the identity policies allow it, but no statement of {endpoint} does"
    return "no statement allows it"


def evaluate_cases(cases: Sequence[Case], inventory: Inventory, *, max_workers: int = 4) -> list[Outcome]:
    """Evaluate all cases, one evaluator run per (application, Region, identity layer, SCPs) policy set,
    runs in parallel."""
    groups: dict[tuple[str, str, str, str], list[Case]] = defaultdict(list)
    for case in cases:
        scps = json.dumps(case.service_control_policies, sort_keys=True)
        groups[(case.application, case.region, case.scenario.identity, scps)].append(case)

    def run(key: tuple[str, str, str, str]) -> list[Outcome]:
        group = groups[key]
        buildable = [c for c in group if c.problem is None]
        strict = [c for c in buildable if c.scenario.expect == "explicit-deny"]
        scps = dict(group[0].service_control_policies)
        if key[2] == "allow-all":
            # Only the broad grant: every request carries its tag, so each is its own broad-grant copy.
            policies = {BROAD_GRANT_NAME: BROAD_GRANT}
            requests = [with_broad_grant(r) for c in buildable for r in c.checks]
            requests += [with_broad_grant(c.checks[0]) for c in strict]
        else:
            access = inventory.get(key[:2])
            if access is None:
                return [Outcome(c, False, "no role", f": no role tagged {APPLICATION_TAG_KEY}={key[0]} in {key[1]}"
                                " in the synthesized templates") for c in group]
            policies = {**access.policies, BROAD_GRANT_NAME: BROAD_GRANT}
            requests = [r for c in buildable for r in c.checks] + [with_broad_grant(c.checks[0]) for c in strict]
        decisions = iter(evaluate(policies, requests, service_control_policies=scps))
        by_case = {id(c): [next(decisions) for _ in c.checks] for c in buildable}
        broad_by_case = {id(c): next(decisions) for c in strict}
        return [judge(c, by_case.get(id(c)), broad_by_case.get(id(c))) for c in group]

    with concurrent.futures.ThreadPoolExecutor(max_workers=max_workers) as pool:
        results = list(pool.map(run, list(groups)))
    order = {id(c): i for i, c in enumerate(cases)}
    return sorted((o for r in results for o in r), key=lambda o: order[id(o.case)])


def judge(case: Case, decisions: Sequence[Decision] | None, broad: Decision | None) -> Outcome:
    """The outcome of one case from the decisions on its checks (in order) and, for ``explicit-deny``,
    the decision on its first check with the broad grant added."""
    if case.problem is not None or decisions is None:
        return Outcome(case, False, "nothing to evaluate", f": {case.problem}")
    verdict = cris_checks.call_decision(decisions)
    expect = case.scenario.expect
    if expect == "allow":
        if verdict.allowed:
            return Outcome(case, True, "Allowed", "")
        failed = verdict.failed_check
        return Outcome(case, False, failed.decision, f" at {_fmt_request(failed.request)}; {_fmt_deciding(failed)}")
    if verdict.allowed:
        deciding = sorted({d for decision in decisions for d in decision.deciding})
        return Outcome(case, False, "Allowed", f" for every check; allowed by {', '.join(deciding)}")
    failed = verdict.failed_check
    where = f" at {_fmt_request(failed.request)}; {_fmt_deciding(failed)}"
    if expect == "deny":
        return Outcome(case, True, failed.decision, where)
    if broad is None or broad.decision != "ExplicitlyDenied":
        got = broad.decision if broad else "no evaluation"
        return Outcome(
            case, False, f"{got} with bedrock:* granted elsewhere",
            f" at the first check {_fmt_request(case.checks[0])}"
            + (f"; {_fmt_deciding(broad)}" if broad else ""),
        )
    return Outcome(case, True, "ExplicitlyDenied", f" at {_fmt_request(broad.request)}; {_fmt_deciding(broad)}")


# --- Running files ------------------------------------------------------------------------------------


@dataclass
class Report:
    outcomes: list[Outcome]
    header: list[str] = field(default_factory=list)

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.passed]

    @property
    def passed(self) -> bool:
        return not self.failures

    def render(self, *, verbose: bool = False) -> str:
        lines = list(self.header)
        by_scenario: dict[tuple[str, str], list[Outcome]] = defaultdict(list)
        for o in self.outcomes:
            by_scenario[(o.case.file, o.case.scenario.name)].append(o)
        for (file, name), outcomes in by_scenario.items():
            bad = [o for o in outcomes if not o.passed]
            expect = outcomes[0].case.scenario.expect
            status = "FAIL" if bad else "ok  "
            checks = sum(len(o.case.checks) for o in outcomes)
            lines.append(f"{status} {file} · {name} (expect {expect}: {len(outcomes)} calls, {checks} checks)")
            for o in bad if not verbose else outcomes:
                lines.append("     " + o.line())
        total = len(self.outcomes)
        lines.append(
            f"{len(by_scenario)} scenarios, {total} calls: {total - len(self.failures)} held,"
            f" {len(self.failures)} failed"
        )
        return "\n".join(lines)


Builder = Callable[[Config], list[StackTemplate]]


@dataclass
class Prepared:
    """The calls of the scenario files that share one configuration, and that configuration's access
    (identity policies per application and Region, and the SCPs of its templates)."""

    config: Config
    inventory: Inventory
    cases: list[Case]
    service_control_policies: dict[str, dict] = field(default_factory=dict)
    vpc_endpoints: dict[str, list[VpcEndpoint]] = field(default_factory=dict)  # bedrock-runtime endpoints by Region


def prepare(
    files: Sequence[LoadedFile],
    config: Config,
    catalog: Catalog,
    build: Builder,
    *,
    account: str | None = None,
    stage: str | None = None,
) -> list[Prepared]:
    """Build each distinct configuration once (the base one plus each file's overrides) and expand the
    files' scenarios into calls against it."""
    acct = account or config.account or DEFAULT_ACCOUNT
    prepared: dict[str, Prepared] = {}
    for loaded in files:
        file_config = apply_overrides(config, loaded.content.config_overrides, catalog)
        key = file_config.model_dump_json()
        if key not in prepared:
            # A single-account configuration still holds its guardrail (for_account drops it, and
            # per_account has filtered for each account already).
            stacks = without_unbound_scps(file_config, file_config.account, build(file_config))
            prepared[key] = Prepared(file_config, extract_access(stacks, account=acct), [],
                                     extract_service_control_policies(stacks, account=acct),
                                     extract_vpc_endpoints(stacks, account=acct))
        entry = prepared[key]
        entry.cases.extend(expand(loaded, file_config, catalog, entry.inventory, account=acct,
                                  service_control_policies=entry.service_control_policies, stage=stage,
                                  vpc_endpoints=entry.vpc_endpoints))
    return list(prepared.values())


def run(
    files: Sequence[LoadedFile],
    config: Config,
    catalog: Catalog,
    build: Builder,
    *,
    account: str | None = None,
    stage: str | None = None,
) -> Report:
    """Evaluate ``files`` against the app ``build`` synthesizes for ``config`` (plus each file's overrides).

    For one account of a multi-account configuration pass ``config.for_account(target)``, its stacks
    and ``stage=target.name`` (:func:`per_account` does all three)."""
    outcomes: list[Outcome] = []
    for entry in prepare(files, config, catalog, build, account=account, stage=stage):
        outcomes.extend(evaluate_cases(entry.cases, entry.inventory))
    file_rank = {f.label: i for i, f in enumerate(files)}
    scenario_rank = {id(s): i for f in files for i, s in enumerate(f.content.scenarios)}
    outcomes.sort(key=lambda o: (file_rank[o.case.file], scenario_rank[id(o.case.scenario)]))  # stable
    return Report(outcomes)


def synthesize(
    config: Config, catalog: Catalog, *, account: str = DEFAULT_ACCOUNT, outdir: str | None = None,
    context: Mapping[str, Any] | None = None,
) -> list[StackTemplate]:
    """The templates ``make synth`` produces for ``config`` (``app_builder.build_app``, cdk-nag packs
    included), given ``context`` (cdk.json's, as ``cdk synth`` passes it: its feature flags).
    With ``outdir`` the cloud assembly is kept there; otherwise a temporary directory is used."""
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    from cris_guard.app_builder import build_app

    def build(directory: str) -> list[StackTemplate]:
        assembly = build_app(config, catalog, outdir=directory, default_account=account, context=context).synth()
        return [StackTemplate(s.name, s.region, copy.deepcopy(dict(s.template))) for s in stacks_from_assembly(assembly)]

    if outdir is not None:
        return build(outdir)
    with tempfile.TemporaryDirectory(prefix="cris-guard-scenarios-") as directory:
        return build(directory)
