"""Application access: what the templates give each application in each source Region, and its section.

:func:`review_access` reads every role tagged ``cris-guard:application`` (trust, attached policies,
the destination Regions each approved profile's grants reach, guardrails, projects, policy sizes and
residency denies) into :class:`AccessReview` objects; :func:`access_section` renders and checks them.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cris_guard import iam_policy, scenarios
from cris_guard.assembly import AssemblyStack, model_of
from cris_guard.catalog import Catalog
from cris_guard.config import Application, Config
from cris_guard.cost import APPLICATION_TAG_KEY
from cris_guard.regions import EU_MEMBER_STATE_REGIONS, supports
from cris_guard.review.model import Section, _as_list, _cell, _code, _percent, _show, _text
from cris_guard.review.placeholders import (
    INFERENCE_ACTIONS,
    _APPLICATION_PROFILE,
    _MODEL_ARN,
    _PROFILE_ARN,
    _PROJECT_ARN,
    _covers,
    _placeholder_form,
)
from cris_guard.stacks.access import application_guardrails


# A role's inline policies share one 10,240-character quota (cris-facts §7); cris-guard writes none.
INLINE_POLICY_MAX_CHARS = 10_240


@dataclass(frozen=True)
class PolicyReview:
    logical_id: str
    kind: str  # "managed" or "inline"
    size: int | None
    limit: int
    size_problem: str | None
    missing_denies: tuple[str, ...]
    changed_denies: tuple[str, ...]


@dataclass(frozen=True)
class RouteReview:
    profile_id: str
    found: tuple[str, ...]  # destination Regions granted in the policies, sorted
    expected: tuple[str, ...]  # the catalog's destinations from this source Region
    problems: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.problems


@dataclass
class AccessReview:
    """What the templates give one application in one source Region, and what is wrong with it."""

    application: str
    region: str
    stack: str
    role: str
    trusted: list[str]
    routes: list[RouteReview]
    application_profiles: dict[str, str]  # system profile ID -> logical ID
    policies: list[PolicyReview]
    expected_denies: tuple[str, ...]
    problems: list[str] = field(default_factory=list)  # grants the report cannot attribute, etc.
    guardrails: list[str] = field(default_factory=list)  # bedrock:ApplyGuardrail resources in the policies
    expected_guardrails: list[str] = field(default_factory=list)  # from the configuration, this Region
    projects: list[str] = field(default_factory=list)  # Responses API projects granted inference (this Region)
    responses_api: bool = False  # configured
    account: str | None = None  # the stack's account, when the template names one
    enforced: tuple[str, ...] = ()  # the configuration's organization-enforced guardrail ARNs


def _application_profiles_in(stack: AssemblyStack) -> dict[str, dict[str, str]]:
    """application -> {system profile ID it copies -> logical ID}, from the ``cris-guard:application`` tag."""
    by_application: dict[str, dict[str, str]] = defaultdict(dict)
    for logical_id, resource in stack.resources.items():
        if resource.get("Type") != "AWS::Bedrock::ApplicationInferenceProfile":
            continue
        copy_from = _placeholder_form(
            resource.get("Properties", {}).get("ModelSource", {}).get("CopyFrom", ""), stack.region, {})
        match = _PROFILE_ARN.match(copy_from) if isinstance(copy_from, str) else None
        if match is None:
            continue
        owner = scenarios.template_tags(resource).get(APPLICATION_TAG_KEY)
        if owner:
            by_application[owner][match["profile"]] = logical_id
    return by_application


def _role_policies(stack: AssemblyStack, role: str) -> tuple[list[tuple[str, str, Mapping]], list[str]]:
    """((logical ID, kind, raw document) for every policy attached to ``role``, problems)."""
    resources = stack.resources
    ref = {"Ref": role}
    found: dict[str, tuple[str, str, Mapping]] = {}
    problems = []
    role_props = resources[role].get("Properties", {})
    for index, inline in enumerate(role_props.get("Policies") or []):
        name = f"{role}.Policies[{index}]"
        found[name] = (name, "inline", inline.get("PolicyDocument", {}))
    for logical_id, resource in resources.items():
        kind = resource.get("Type")
        if kind in ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy") and ref in _as_list(
            resource.get("Properties", {}).get("Roles")
        ):
            found[logical_id] = (logical_id, "managed" if kind == "AWS::IAM::ManagedPolicy" else "inline",
                                 resource["Properties"].get("PolicyDocument", {}))
    for arn in _as_list(role_props.get("ManagedPolicyArns")):
        target = arn.get("Ref") if isinstance(arn, dict) and set(arn) == {"Ref"} else None
        if target in resources and resources[target].get("Type") == "AWS::IAM::ManagedPolicy":
            found.setdefault(target, (target, "managed", resources[target]["Properties"].get("PolicyDocument", {})))
        else:
            problems.append(f"managed policy {_show(arn)} is attached but not in the template, so it cannot be reviewed")
    return list(found.values()), problems


def review_access(
    stacks: Sequence[AssemblyStack], config: Config, catalog: Catalog
) -> tuple[list[AccessReview], list[str]]:
    """One :class:`AccessReview` per role tagged ``cris-guard:application``, plus problems that belong to
    no role (an application of the configuration without a role in a source Region)."""
    applications = {a.name: a for a in config.applications}
    reviews: list[AccessReview] = []
    for stack in stacks:
        by_application = _application_profiles_in(stack)
        for logical_id, resource in stack.resources.items():
            if resource.get("Type") != "AWS::IAM::Role":
                continue
            name = scenarios.template_tags(resource).get(APPLICATION_TAG_KEY)
            if not name:
                continue
            reviews.append(_review_role(stack, logical_id, applications.get(name), name, config, catalog,
                                        by_application.get(name, {})))
    expected = [(app.name, region) for region in config.source_regions for app in config.applications]
    seen = {(r.application, r.region) for r in reviews}
    orphans = [
        f"{name} in {region}: no role tagged {APPLICATION_TAG_KEY}={name} in the synthesized templates"
        for name, region in expected if (name, region) not in seen
    ]
    order = {key: i for i, key in enumerate(expected)}
    reviews.sort(key=lambda r: (order.get((r.application, r.region), len(order)), r.region, r.application))
    return reviews, orphans


def _review_role(
    stack: AssemblyStack,
    role: str,
    application: Application | None,
    name: str,
    config: Config,
    catalog: Catalog,
    own_application_profiles: Mapping[str, str],
) -> AccessReview:
    """Only the application's *own* application profiles stand for approved profiles: another
    application's profile in the policy stays an unresolved ``${LogicalId.Attribute}`` and is reported."""
    region = stack.region
    trust = stack.resources[role].get("Properties", {}).get("AssumeRolePolicyDocument", {})
    trusted = []
    for statement in _as_list(trust.get("Statement")):
        principal = statement.get("Principal")
        if isinstance(principal, dict):
            trusted += [_show(p) for kind in ("Service", "AWS", "Federated") for p in _as_list(principal.get(kind))]
        elif principal is not None:
            trusted.append(_show(principal))  # "*": anyone
    enforced = bool(application and application.require_application_profiles)
    expected_denies = {d["Sid"]: d for d in iam_policy.residency_denies(require_application_profiles=enforced)}
    review = AccessReview(
        application=name, region=region, stack=stack.name, role=role, trusted=trusted, routes=[],
        application_profiles=dict(sorted(own_application_profiles.items())), policies=[],
        expected_denies=tuple(expected_denies), account=stack.account,
        enforced=tuple(g.arn for g in config.enforced_guardrails),
    )
    if application is None:
        review.problems.append(f"role {role} is tagged for application {name!r}, which is not in the configuration")
    raw_policies, attach_problems = _role_policies(stack, role)
    review.problems.extend(attach_problems)
    application_profile_ids = {logical_id: pid for pid, logical_id in own_application_profiles.items()}
    lengths = iam_policy.worst_case_lengths(region, sorted(own_application_profiles))

    approved = list(application.profiles) if application else []
    granted: dict[str, set[str]] = defaultdict(set)  # system profile ID -> destination Regions granted
    granted_profiles: set[str] = set()
    for logical_id, kind, raw in raw_policies:
        document = _placeholder_form(raw, region, application_profile_ids)
        limit = iam_policy.MANAGED_POLICY_MAX_CHARS if kind == "managed" else INLINE_POLICY_MAX_CHARS
        try:
            size, size_problem = iam_policy.policy_size(document, lengths), None
        except ValueError as exc:
            size, size_problem = None, str(exc)
        statements = [s for s in _as_list(document.get("Statement")) if isinstance(s, dict)]
        by_sid = {s.get("Sid"): s for s in statements}
        review.policies.append(PolicyReview(
            logical_id=logical_id, kind=kind, size=size, limit=limit, size_problem=size_problem,
            missing_denies=tuple(sid for sid in expected_denies if sid not in by_sid),
            changed_denies=tuple(sid for sid, d in expected_denies.items() if sid in by_sid and by_sid[sid] != d),
        ))
        for statement in statements:
            _collect_grants(statement, f"{logical_id}#{statement.get('Sid', '?')}", region, catalog,
                            granted, granted_profiles, review.problems, review.projects)
            if statement.get("Effect") == "Allow" and any(
                _covers(_as_list(statement.get("Action")), a) for a in iam_policy.GUARDRAIL_ACTIONS
            ):
                review.guardrails += [_show(r) for r in _as_list(statement.get("Resource"))]
    if application is not None:
        grants = iam_policy.guardrails_in_region(name, region, application_guardrails(config, application, catalog))
        review.expected_guardrails = [r for g in grants for r in g.resources()]
        review.responses_api = application.responses_api

    review.routes = [
        _route_review(pid, region, catalog, granted.get(pid, ()), profile_granted=pid in granted_profiles)
        for pid in approved
    ]
    for pid in sorted((set(granted) | granted_profiles) - set(approved)):
        review.problems.append(f"grants {pid}, which the configuration does not approve for {name}")
    return review


def _route_review(
    pid: str, region: str, catalog: Catalog, granted_regions: Iterable[str], *, profile_granted: bool
) -> RouteReview:
    """An approved profile's granted destination Regions against the catalog's route from ``region``."""
    expected = tuple(sorted(catalog.destinations(pid, region)))
    found = tuple(sorted(granted_regions))
    missing = [r for r in expected if r not in found]
    extra = [r for r in found if r not in expected]
    outside = [r for r in found if r not in EU_MEMBER_STATE_REGIONS]
    problems = []
    if not profile_granted:
        problems.append(f"the profile itself is not granted in {region}")
    if not expected:
        problems.append(f"the catalog has no route from {region}")
    if missing:
        problems.append(f"missing {', '.join(missing)}")
    if extra:
        problems.append(f"not in the catalog: {', '.join(extra)}")
    if outside:
        problems.append(f"outside the EU member-state Regions: {', '.join(outside)}")
    return RouteReview(pid, found, expected, tuple(problems))


def _collect_grants(
    statement: Mapping[str, Any],
    where: str,
    region: str,
    catalog: Catalog,
    granted: dict[str, set[str]],
    granted_profiles: set[str],
    problems: list[str],
    projects: list[str],
) -> None:
    """Attribute an Allow statement's Bedrock invoke grants to profiles: model ARNs to the profiles that
    fence them (``bedrock:InferenceProfileArn``), profile ARNs to themselves. Anything else is a problem."""
    if statement.get("Effect") != "Allow":
        return
    if "NotAction" in statement or "NotResource" in statement:
        problems.append(f"{where} uses NotAction/NotResource; review it by hand")
        return
    if not any(_covers(_as_list(statement.get("Action")), action) for action in INFERENCE_ACTIONS):
        return
    fences = _fencing_profiles(statement, where, region, problems)
    for resource in _as_list(statement.get("Resource")):
        model = _MODEL_ARN.match(resource)
        profile = _profile_of_region(resource, region)
        if model:
            owners = [pid for pid in fences if model_of(pid, catalog) == model["model"]]
            if not owners:
                why = "no bedrock:InferenceProfileArn fence" if not fences else "no fencing profile of that model"
                problems.append(f"{where} grants {resource} with {why}")
            for pid in owners:
                granted[pid].add(model["region"] or "(Region-less)")
        elif profile and "*" not in resource:
            granted_profiles.add(profile)
        elif (project := _PROJECT_ARN.match(resource)) and project["region"] == region and "*" not in resource:
            projects.append(resource)
        else:
            problems.append(f"{where} grants inference on {resource}, which is not a profile of this"
                            " source Region or a fenced model")


def _profile_of_region(value: str, region: str) -> str | None:
    """The profile ID in a system profile ARN of ``region`` or an application-profile placeholder."""
    match = _PROFILE_ARN.match(value) or _APPLICATION_PROFILE.match(value)
    if match and (match.re is _APPLICATION_PROFILE or match["region"] == region):
        return match["profile"]
    return None


def _fencing_profiles(statement: Mapping[str, Any], where: str, region: str, problems: list[str]) -> set[str]:
    """The profiles whose ARNs fence the statement (``bedrock:InferenceProfileArn``, exact operators only)."""
    fences: set[str] = set()
    for operator, keys in (statement.get("Condition") or {}).items():
        for key, values in (keys or {}).items():
            if key.lower() != iam_policy.INFERENCE_PROFILE_ARN_KEY.lower():
                continue
            if operator not in ("StringEquals", "ArnEquals"):
                problems.append(f"{where} fences with {operator}; only exact profile ARNs are reviewable")
                continue
            for value in _as_list(values):
                profile = _profile_of_region(value, region)
                if profile:
                    fences.add(profile)
                else:
                    problems.append(f"{where} is fenced by {value}, not a profile of this source Region")
    return fences


ROUTE_OK_TEXT = "equals the catalog; all EU member-state Regions"


def access_section(reviews: Sequence[AccessReview], orphans: Sequence[str], config: Config) -> Section:
    """Per source Region and application: role and trust, routes per approved profile, application
    profiles, policies with their sizes and denies."""
    section = Section("Application access")
    section.lines += [
        "Destination Regions are read from the foundation-model ARNs in the synthesized policies (each"
        " attributed to the approved profile whose ARN fences it with `bedrock:InferenceProfileArn`) and"
        " compared with the catalog. Sizes count as IAM does, at worst-case partition, account and ARN lengths.",
        "",
    ]
    for orphan in orphans:
        section.lines.append(f"- {section.check(False, 'access', orphan)} {_text(orphan)}")
    if orphans:
        section.lines.append("")
    apps = {a.name: a for a in config.applications}
    current_region = None
    for review in reviews:
        if review.region != current_region:
            current_region = review.region
            section.lines += [f"### From {review.region}", ""]
        _application_block(section, review, apps.get(review.application))
    return section


def _application_block(section: Section, review: AccessReview, app: Application | None) -> None:
    where = f"{review.application} in {review.region}"
    lines = section.lines
    expected_trust = (app.trusted_services + app.trusted_role_arns) if app else []
    mark = section.check(sorted(review.trusted) == sorted(expected_trust), where,
                         f"trusted principals {review.trusted} differ from the configuration's {expected_trust}")
    trusted = ", ".join(_code(t) for t in review.trusted) or "(nobody)"
    enforced = "; application profiles required" if app and app.require_application_profiles else ""
    lines += [f"#### {review.application}", "",
              f"Role {_code(review.role)} in stack {_code(review.stack)}, trusted by {trusted} {mark}{enforced}", ""]

    lines += ["| Approved profile | Destination Regions in the policy | Check |", "|---|---|---|"]
    for route in review.routes:
        text = "; ".join(route.problems)
        mark = section.check(route.passed, where, f"{route.profile_id}: {text}")
        found = f"{', '.join(route.found) or '(none)'} ({len(route.found)})"
        lines.append(f"| {_code(route.profile_id)} | {_cell(found)} | {mark} {_cell(ROUTE_OK_TEXT if route.passed else text)} |")
    lines.append("")
    for problem in review.problems:
        lines.append(f"- {section.check(False, where, problem)} {_text(problem)}")
    if review.problems:
        lines.append("")

    listing = ", ".join(f"{_code(pid)} → {_code(lid)}" for pid, lid in review.application_profiles.items())
    if supports("AWS::Bedrock::ApplicationInferenceProfile", review.region):
        missing = [p for p in (app.profiles if app else []) if p not in review.application_profiles]
        mark = section.check(not missing, where, f"no application profile for {', '.join(missing)}")
        lines.append(f"Application profiles {mark}: {listing or '(none)'}"
                     + (f"; missing for {', '.join(missing)}" if missing else ""))
    else:
        lines.append(f"Application profiles: none (CloudFormation in {review.region} has no"
                     f" AWS::Bedrock::ApplicationInferenceProfile){': ' + listing if listing else ''}")

    if review.guardrails or review.expected_guardrails:
        same = sorted(set(review.guardrails)) == sorted(set(review.expected_guardrails))
        mark = section.check(same, where, f"guardrails granted {review.guardrails}, configured {review.expected_guardrails}")
        lines.append(f"Guardrails (bedrock:ApplyGuardrail) {mark}: {_guardrail_text(review.guardrails, review.account, review.enforced)}"
                     + ("" if same else f"; configured: {', '.join(review.expected_guardrails) or '(none)'}"))

    if review.projects or review.responses_api:
        ok = bool(review.projects) == review.responses_api
        mark = section.check(ok, where, f"Responses API projects granted {review.projects}, responses_api"
                                        f" {review.responses_api}")
        lines.append(f"Responses API (project grant) {mark}: {', '.join(_code(p) for p in review.projects) or '(none)'}"
                     + ("" if ok else f"; configured responses_api: {str(review.responses_api).lower()}"))

    managed = sum(p.kind == "managed" for p in review.policies)
    limit = iam_policy.MAX_MANAGED_POLICIES_PER_ROLE
    mark = section.check(1 <= managed <= limit, where, f"{managed} managed policies (1 to {limit} expected)")
    lines += [
        "",
        f"{managed} managed {'policy' if managed == 1 else 'policies'} (at most {limit} per role) {mark};"
        f" every policy must carry the denies {', '.join(review.expected_denies)}:",
        "",
        "| Policy | Size (characters) | Deny statements |",
        "|---|---|---|",
    ]
    for policy in review.policies:
        lines.append(f"| {_code(policy.logical_id)}{' (inline)' if policy.kind == 'inline' else ''}"
                     f" | {_size_cell(section, where, policy)} | {_deny_cell(section, where, policy, review)} |")
    lines.append("")


_GUARDRAIL_RESOURCE = re.compile(
    r"^arn:[^:]+:bedrock:(?P<region>[^:]+):(?P<account>[^:]+):(?P<kind>guardrail|guardrail-profile)/(?P<id>.+)$")


def _guardrail_text(resources: Sequence[str], account: str | None, enforced: Sequence[str] = ()) -> str:
    """``guardrail `abc` (eu-west-3) with profile `eu.guardrail.v1:0` in eu-central-1, …`` per guardrail; the
    profile ARNs follow their guardrail in the policy (iam_policy.GuardrailGrant.resources)."""
    parts: list[str] = []
    last_profile = None  # the guardrail profile whose Regions the current item is listing
    for resource in resources:
        match = _GUARDRAIL_RESOURCE.match(resource)
        if match is None or (match["kind"] != "guardrail" and not parts):
            parts.append(_code(resource))
            last_profile = None
        elif match["kind"] == "guardrail":
            other = f", account {match['account']}" if account and match["account"] != account else ""
            other += ", enforced by the organization" if resource in enforced else ""
            parts.append(f"guardrail {_code(match['id'])} ({match['region']}{other})")
            last_profile = None
        elif match["id"] == last_profile:
            parts[-1] += f", {match['region']}"
        else:
            parts[-1] += f" with profile {_code(match['id'])} in {match['region']}"
            last_profile = match["id"]
    return "; ".join(parts) or "(none)"


def _size_cell(section: Section, where: str, policy: PolicyReview) -> str:
    if policy.size is None:
        text = f"cannot size: {policy.size_problem}"
        return f"{section.check(False, where, f'{policy.logical_id}: {text}')} {_cell(text)}"
    mark = section.check(policy.size <= policy.limit, where,
                         f"{policy.logical_id}: {policy.size:,} characters, more than {policy.limit:,}")
    return f"{mark} {_percent(policy.size, policy.limit)}"


def _deny_cell(section: Section, where: str, policy: PolicyReview, review: AccessReview) -> str:
    problems = []
    if policy.missing_denies:
        problems.append(f"missing {', '.join(policy.missing_denies)}")
    if policy.changed_denies:
        problems.append(f"differs from iam_policy: {', '.join(policy.changed_denies)}")
    mark = section.check(not problems, where, f"{policy.logical_id}: {'; '.join(problems)}")
    return f"{mark} all {len(review.expected_denies)} present" if not problems else f"{mark} {_cell('; '.join(problems))}"
