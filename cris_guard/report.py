"""The review report a person reads in a pull request: ``cris-guard report``.

A template diff of thousands of lines of IAM JSON is not reviewable. This module reads what was
actually synthesized (a cloud assembly: ``manifest.json``, the templates, the stacks' metadata and
``validation-report.json``) next to the configuration and the profile catalog, and writes one
Markdown page: for every application and source Region the destination Regions its policies *really*
grant per approved profile (parsed from the model ARNs in the templates, then compared with the
catalog), the residency denies in every policy, policy sizes, audit and budget settings, every cdk-nag
acknowledgment with its reason, the access scenarios' results and CloudFormation limits. A Mermaid
diagram per source Region draws source → approved profile → destination Regions from the same parsed
grants. A multi-account assembly (one CDK Stage per account, read by :mod:`cris_guard.assembly`) gets
one part per account; an SCP gets an "Organization guardrail" section; every stack is listed with its
stage, account and whether it could be a StackSet as it is.

The report is deterministic: nothing depends on the date (the catalog's age goes to stderr) or on
dict/set order, so two reports of the same templates are byte-identical and their diff is what a change
does to residency.

Every line marked ✘ is a failed check; any ✘, or any failing scenario, makes the command exit 1 so
that CI can gate on it. Sections are pure functions of parsed templates (:class:`AssemblyStack`)
and return :class:`Section` objects; :func:`main` is the thin CLI around them.

    cris-guard report [--config F] [--assembly cdk.out] [--scenarios DIR] [--out FILE]
"""

from __future__ import annotations

import datetime as _dt
import fnmatch
import importlib.metadata
import json
import re
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cris_guard import iam_policy, scenarios, scp
from cris_guard.assembly import (
    STACKSET_TEMPLATE_URL_BYTE_LIMIT,
    AssemblyError,
    AssemblyStack,
    CloudAssembly,
    read_assembly,
    stackset_readiness,
)
from cris_guard.catalog import SHIPPED, Catalog, lifecycle_of
from cris_guard.config import DEFAULT_CONFIG_PATH, AccountTarget, Application, Config, ConfigError, lifecycle_warnings, load_project
from cris_guard.constructs.audit_alarms import (
    DIMENSION_SOURCE_REGION,
    METRIC_EVIDENCE_TAMPERING,
    METRIC_LOGGING_CONFIGURATION_CHANGES,
    METRIC_RESIDENCY_VIOLATIONS,
    METRIC_TRAIL_CONFIGURATION_CHANGES,
    METRIC_UNGOVERNED_REGION_INVOCATIONS,
)
from cris_guard.constructs.invocation_logging import CUSTOM_RESOURCE_TYPE as INVOCATION_LOGGING_TYPE
from cris_guard.cost import (
    APPLICATION_TAG_KEY,
    BudgetedApplication,
    application_cost_filters,
    default_account_monthly_usd,
)
from cris_guard.nag import PACKS
from cris_guard.regions import EU_MEMBER_STATE_REGIONS, supports
from cris_guard.stacks.access import (
    STACK_OUTPUT_LIMIT,
    STACK_RESOURCE_LIMIT,
    STACK_TEMPLATE_BYTE_LIMIT,
    application_guardrails,
    check_stack_limits,
)

OK = "✔"
FAIL = "✘"
WARN = "⚠"
REPORT_FILE_NAME = "review-report.md"
# Failing calls listed per failed scenario; the rest are counted (the scenarios CLI with -v lists all).
MAX_FAILED_CALLS_SHOWN = 5
# A role's inline policies share one 10,240-character quota (cris-facts §7); cris-guard writes none.
INLINE_POLICY_MAX_CHARS = 10_240
ORGANIZATIONS_POLICY_TYPE = "AWS::Organizations::Policy"
# A catalog older than this is worth refreshing; said on stderr, because a report body that depended on
# today's date would differ between two runs on the same templates.
CATALOG_AGE_WARNING_DAYS = 90


# --- The cloud assembly ---------------------------------------------------------------------------
#
# Read by cris_guard.assembly (nested Stage assemblies included).


def _is_guardrail_stack(stack: AssemblyStack) -> bool:
    return any(r.get("Type") == ORGANIZATIONS_POLICY_TYPE for r in stack.resources.values())


# --- Checks and sections ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    passed: bool
    where: str
    text: str


@dataclass
class Section:
    title: str
    lines: list[str] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    counts_as: str = "checks"  # how the verdict line counts this section's checks
    level: int = 2  # heading level: 2 at the top, 3 inside an account's part of a multi-account report
    where_prefix: str = ""  # "prod: " inside an account's part, so failed checks name the account

    def check(self, passed: bool, where: str, text: str) -> str:
        """Record a check and return its mark for the line that shows it."""
        self.checks.append(Check(passed, self.where_prefix + where, text))
        return OK if passed else FAIL

    def render(self) -> str:
        """The section; its own headings (``### From eu-central-1``) move down with its level."""
        shift = "#" * (self.level - 2)
        body, fenced = [], False
        for line in self.lines:
            if line.startswith("```"):
                fenced = not fenced
            body.append(shift + line if shift and not fenced and line.startswith("#") else line)
        return "\n".join([f"{'#' * self.level} {self.title}", "", *body]).rstrip() + "\n"


def _text(value: object) -> str:
    """Free text (reasons, findings) as Markdown that renders as written: ``<account>`` would otherwise
    be swallowed as an HTML tag, and a pair of ``*`` would turn into emphasis."""
    return re.sub(r"([<>*])", r"\\\1", str(value)).replace("\n", " ")


def _cell(value: object) -> str:
    return _text(value).replace("|", "\\|")


def _code(value: object) -> str:
    return f"`{value}`"


def _display_path(path: Path | str) -> str:
    """A path as a reader of the repository knows it: relative to the repository when inside it."""
    resolved = Path(path).resolve()
    if resolved.is_relative_to(scenarios.REPO_ROOT):
        return str(resolved.relative_to(scenarios.REPO_ROOT))
    return str(path)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _percent(size: int, limit: int) -> str:
    return f"{size:,} of {limit:,} ({size * 100 // limit} %)"


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _show(value: Any) -> str:
    """A template value as a reviewer reads it: ``Fn::Sub`` text, ``<Ref>``, ``<Resource.Attribute>``."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float, bool)):
        return json.dumps(value)
    if isinstance(value, dict) and len(value) == 1:
        (key, arg), = value.items()
        if key == "Ref":
            return f"<{arg}>"
        if key == "Fn::GetAtt":
            return f"<{'.'.join(arg) if isinstance(arg, list) else arg}>"
        if key == "Fn::Sub":
            return arg if isinstance(arg, str) else str(arg[0])
        if key == "Fn::Join":
            return str(arg[0]).join(_show(p) for p in arg[1])
    return json.dumps(value, sort_keys=True)


# --- Policies in placeholder form ---------------------------------------------------------------------
#
# Template values are turned back into the placeholder form iam_policy plans with (``${AWS::Partition}``,
# ``${AWS::AccountId}``, ``${ApplicationProfileArn:<profile id>}``). Then iam_policy.policy_size counts a
# synthesized policy exactly as EuInvokeAccess counted it (each placeholder at its worst-case length),
# and the deny statements can be compared with iam_policy.residency_denies as they are defined.

_PSEUDO = {"AWS::Partition": iam_policy.PARTITION, "AWS::AccountId": iam_policy.ACCOUNT}
_PARTITION_RE = r"(?:\$\{AWS::Partition\}|[a-z0-9-]+|\*)"
_ACCOUNT_RE = r"(?:\$\{AWS::AccountId\}|[0-9]{12}|\*|)"
_MODEL_ARN = re.compile(rf"^arn:{_PARTITION_RE}:bedrock:(?P<region>[^:]*):{_ACCOUNT_RE}:foundation-model/(?P<model>.+)$")
_PROFILE_ARN = re.compile(rf"^arn:{_PARTITION_RE}:bedrock:(?P<region>[^:]*):{_ACCOUNT_RE}:inference-profile/(?P<profile>.+)$")
_APPLICATION_PROFILE = re.compile(r"^\$\{ApplicationProfileArn:(?P<profile>[^}]+)\}$")
# The Responses API's project (iam_policy.SID_ALLOW_RESPONSES).
_PROJECT_ARN = re.compile(rf"^arn:{_PARTITION_RE}:bedrock:(?P<region>[^:]*):{_ACCOUNT_RE}:project/(?P<project>.+)$")


def _placeholder_form(value: Any, region: str, application_profiles: Mapping[str, str]) -> Any:
    """``application_profiles``: logical ID of an ApplicationInferenceProfile -> the system profile it copies."""
    if isinstance(value, list):
        return [_placeholder_form(v, region, application_profiles) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        (key, arg), = value.items()
        if key == "Ref":
            if arg == "AWS::Region":
                return region
            return _PSEUDO.get(arg, f"${{{arg}}}")
        if key == "Fn::GetAtt":
            target, attribute = arg if isinstance(arg, list) else str(arg).split(".", 1)
            if target in application_profiles and attribute in ("InferenceProfileArn", "InferenceProfileIdentifier"):
                return iam_policy.application_profile_placeholder(application_profiles[target])
            return f"${{{target}.{attribute}}}"
        if key == "Fn::Sub":
            text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
            for name, sub in variables.items():
                text = text.replace(f"${{{name}}}", str(_placeholder_form(sub, region, application_profiles)))
            return text.replace("${AWS::Region}", region)
        if key == "Fn::Join":
            separator, parts = arg
            return separator.join(str(_placeholder_form(p, region, application_profiles)) for p in parts)
        if key.startswith("Fn::"):
            return f"${{{key}}}"
    return {k: _placeholder_form(v, region, application_profiles) for k, v in value.items()}


# The actions that run inference on the resource they name: an Allow of any of them is attributed.
# InvokeModel also authorizes Converse and StartAsyncInvoke, InvokeModelWithResponseStream authorizes
# ConverseStream (cris-facts §2.1: botocore bedrock-runtime operation docs; iam_policy's action notes).
INFERENCE_ACTIONS = (*iam_policy.INVOKE_ACTIONS, "bedrock:InvokeModelWithBidirectionalStream")


def _covers(patterns: Iterable[str], action: str) -> bool:
    # IAM matches actions case-insensitively, with * and ? wildcards (IAM User Guide, "IAM JSON policy
    # elements: Action": "The prefix and the action name are case insensitive").
    return any(fnmatch.fnmatchcase(action.lower(), str(p).lower()) for p in patterns)


# --- 2. Application access ----------------------------------------------------------------------------


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
        owner = scenarios._tags(resource).get(APPLICATION_TAG_KEY)
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
            name = scenarios._tags(resource).get(APPLICATION_TAG_KEY)
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
            owners = [pid for pid in fences if _model_of(pid, catalog) == model["model"]]
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


def _model_of(profile_id: str, catalog: Catalog) -> str:
    profile = catalog.get(profile_id)
    return profile.model_id if profile else profile_id.split(".", 1)[-1]


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
    for resource in resources:
        match = _GUARDRAIL_RESOURCE.match(resource)
        if match is None:
            parts.append(_code(resource))
        elif match["kind"] == "guardrail":
            other = f", account {match['account']}" if account and match["account"] != account else ""
            other += ", enforced by the organization" if resource in enforced else ""
            parts.append(f"guardrail {_code(match['id'])} ({match['region']}{other})")
        elif parts and " with profile " in parts[-1] and f"`{match['id']}`" in parts[-1]:
            parts[-1] += f", {match['region']}"
        elif parts:
            parts[-1] += f" with profile {_code(match['id'])} in {match['region']}"
        else:
            parts.append(_code(resource))
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


# --- 1. Residency map ---------------------------------------------------------------------------------
#
# One Mermaid flowchart per source Region (GitHub and GitLab render ```mermaid blocks in pull requests).
# It is drawn from the same parsed grants as the access section, never from the configuration: one node
# per approved profile, aggregated over applications, so 200 applications still give one edge set per
# profile. Node IDs are derived from names and every list is sorted, so a diff of two reports shows the
# edges a change adds or removes. The syntax is a deliberately small subset (flowchart, quoted labels,
# --> and -.->|"label"| edges, classDef); tests/test_report.py checks every line against it.

MERMAID_OUTSIDE_CLASS = "outside"


def _mermaid_id(prefix: str, name: str) -> str:
    return f"{prefix}_{re.sub(r'[^A-Za-z0-9]', '_', name)}"


def _mermaid_label(text: str) -> str:
    return '"' + text.replace('"', "#quot;") + '"'


def residency_diagram(region: str, reviews: Sequence[AccessReview]) -> list[str]:
    """The flowchart for one source Region: source → approved profile → destination Regions granted."""
    approving: dict[str, list[str]] = defaultdict(list)  # profile ID -> applications approving it
    granting: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))  # profile -> Region -> apps
    for review in reviews:
        for route in review.routes:
            approving[route.profile_id].append(review.application)
            for destination in route.found:
                granting[route.profile_id][destination] += 1
    source = _mermaid_id("src", region)
    lines = ["flowchart LR", f"  {source}[{_mermaid_label(f'{region} (source Region)')}]"]
    ids: dict[str, str] = {}
    for pid in sorted(approving):
        node = _mermaid_id("p", pid)
        while node in ids.values():  # two IDs that differ only in punctuation
            node += "_"
        ids[pid] = node
        count = len(approving[pid])
        suffix = "" if granting[pid] else ", no destination granted"
        label = f"{pid} · {count} application{'s' if count != 1 else ''}{suffix}"
        lines.append(f"  {node}[{_mermaid_label(label)}]")
    destinations = sorted({d for regions in granting.values() for d in regions})
    for destination in destinations:
        if destination in EU_MEMBER_STATE_REGIONS:
            lines.append(f"  {_mermaid_id('dst', destination)}[{_mermaid_label(destination)}]")
        else:
            label = f"{destination} {FAIL} outside the EU member states"
            lines.append(f"  {_mermaid_id('dst', destination)}[{_mermaid_label(label)}]:::{MERMAID_OUTSIDE_CLASS}")
    for pid in sorted(approving):
        lines.append(f"  {source} --> {ids[pid]}")
        for destination, count in sorted(granting[pid].items()):
            total = len(approving[pid])
            if count == total:
                lines.append(f"  {ids[pid]} --> {_mermaid_id('dst', destination)}")
            else:  # only some applications' policies grant it: the access section flags them
                lines.append(f"  {ids[pid]} -.->|{_mermaid_label(f'{count} of {total} applications')}|"
                             f" {_mermaid_id('dst', destination)}")
    if any(d not in EU_MEMBER_STATE_REGIONS for d in destinations):
        lines.append(f"  classDef {MERMAID_OUTSIDE_CLASS} fill:#fdd,stroke:#c00,stroke-width:2px,color:#600")
    return lines


def residency_map_section(reviews: Sequence[AccessReview], config: Config) -> Section:
    section = Section("Residency map")
    section.lines += [
        "Destination Regions each approved profile's policies grant, per source Region, aggregated over the"
        " applications (read from the templates, as in the access section below; a dotted edge is granted"
        f" to only some of them, a red node is outside the EU member states).",
        "",
    ]
    regions = list(config.source_regions) + sorted({r.region for r in reviews} - set(config.source_regions))
    for region in regions:
        here = [r for r in reviews if r.region == region]
        section.lines += [f"### From {region}", "", "```mermaid", *residency_diagram(region, here), "```", ""]
    return section


# --- 3. Audit -------------------------------------------------------------------------------------------


Found = tuple[AssemblyStack, str, Mapping[str, Any]]  # (stack, logical ID, resource)


def _find(stacks: Sequence[AssemblyStack], resource_type: str) -> list[Found]:
    return [(s, lid, r) for s in stacks for lid, r in s.resources.items() if r.get("Type") == resource_type]


def _props(resource: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return (resource or {}).get("Properties") or {}


def _ref_target(stack: AssemblyStack, value: Any) -> Mapping[str, Any] | None:
    if isinstance(value, dict) and set(value) == {"Ref"}:
        return stack.resources.get(value["Ref"])
    if isinstance(value, dict) and set(value) == {"Fn::GetAtt"}:
        return stack.resources.get(value["Fn::GetAtt"][0])
    return None


def _bucket_expiry(bucket: Mapping[str, Any] | None) -> int | None:
    rules = (_props(bucket).get("LifecycleConfiguration") or {}).get("Rules") or []
    days = [r["ExpirationInDays"] for r in rules if r.get("Status") == "Enabled" and r.get("ExpirationInDays")]
    return min(days) if days else None


def _days(value: int | None) -> str:
    return f"{value} days" if value is not None else "never (no expiry)"


def audit_section(stacks: Sequence[AssemblyStack], config: Config) -> Section:
    """Invocation logging per source Region, the trail, and the alarms on the trail's log group."""
    section = Section("Residency alarms and audit")
    _invocation_logging_rows(section, stacks, config)
    _trail_lines(section, stacks, config)
    _alarm_rows(section, stacks, config)
    return section


def _invocation_logging_rows(section: Section, stacks: Sequence[AssemblyStack], config: Config) -> None:
    wanted = config.audit.invocation_logs
    section.lines += ["| Source Region | Invocation logging | Payloads logged | S3 expiry | CloudWatch Logs |",
                      "|---|---|---|---|---|"]
    by_region: dict[str, list[Found]] = defaultdict(list)
    for found in _find(stacks, INVOCATION_LOGGING_TYPE):
        by_region[found[0].region].append(found)
    for region in config.source_regions:
        where = f"invocation logging in {region}"
        entries = by_region.get(region, [])
        mark = section.check(len(entries) == 1, where, f"{len(entries)} logging configurations, expected 1")
        if len(entries) != 1:
            section.lines.append(f"| {region} | {mark} {len(entries)} found, expected 1 | | | |")
            continue
        stack, lid, resource = entries[0]
        props = _props(resource)
        payloads = [k for k in ("Text", "Image", "Embedding", "Video", "Audio") if props.get(f"{k}DataDeliveryEnabled")]
        expiry = _bucket_expiry(_ref_target(stack, props.get("BucketName")))
        expiry_mark = section.check(expiry == wanted.retention_days, where,
                                    f"logs expire after {_days(expiry)}, configured {wanted.retention_days} days")
        if "LogGroupName" in props:
            retention = _props(_ref_target(stack, props["LogGroupName"])).get("RetentionInDays")
            ok = wanted.cloudwatch_logs and retention == wanted.cloudwatch_retention_days
            text = f"CloudWatch Logs retention {_days(retention)}, configured {wanted.cloudwatch_retention_days} days"
            cloudwatch = f"{section.check(ok, where, text)} {_days(retention)}"
        else:
            cloudwatch = f"{section.check(not wanted.cloudwatch_logs, where, 'no CloudWatch Logs delivery')} off"
        section.lines.append(f"| {region} | {mark} {_code(lid)} in {_code(stack.name)} | {', '.join(payloads) or 'none'}"
                             f" | {expiry_mark} {_days(expiry)} | {cloudwatch} |")
    section.lines.append("")


def _trail_lines(section: Section, stacks: Sequence[AssemblyStack], config: Config) -> None:
    wanted = config.audit.cloudtrail
    trails = _find(stacks, "AWS::CloudTrail::Trail")
    home = config.trail_home_region
    if wanted.enabled:
        ok = len(trails) == 1 and trails[0][0].region == home
        text = f"{len(trails)} trail{'s' if len(trails) != 1 else ''} synthesized, expected one in {home}"
        mark = section.check(ok, "CloudTrail", text)
        section.lines.append(f"CloudTrail {mark}: {f'one trail, in {home} as configured' if ok else text}.")
    else:
        mark = section.check(not trails, "CloudTrail", "a trail is synthesized although cloudtrail.enabled is false")
        existing = wanted.existing_log_group_name
        section.lines.append(f"CloudTrail {mark}: disabled in the configuration; "
                             + (f"alarms read the existing log group {_code(existing)}." if existing else "no alarms on a trail."))
    for stack, lid, resource in trails:
        props = _props(resource)
        expiry = _bucket_expiry(_ref_target(stack, props.get("S3BucketName")))
        retention = _props(_ref_target(stack, props.get("CloudWatchLogsLogGroupArn"))).get("RetentionInDays")
        parts = [
            f"{section.check(ok, f'CloudTrail {lid}', text)} {text}"
            for ok, text in (
                (props.get("IsMultiRegionTrail") is True, "multi-Region"),
                (props.get("EnableLogFileValidation") is True, "log-file validation"),
                ("KMSKeyId" in props, "KMS-encrypted"),
                (expiry == wanted.retention_days, f"S3 expiry {_days(expiry)} (configured {wanted.retention_days})"),
                (retention == wanted.log_group_retention_days,
                 f"log group retention {_days(retention)} (configured {wanted.log_group_retention_days})"),
            )
        ]
        section.lines.append(f"- {_code(lid)} in {_code(stack.name)} ({stack.region}): {'; '.join(parts)}")
    section.lines.append("")


ACCOUNT_ALARMS = (
    (METRIC_UNGOVERNED_REGION_INVOCATIONS, "Inference in an ungoverned Region"),
    (METRIC_TRAIL_CONFIGURATION_CHANGES, "Trail stopped, deleted or changed"),
    (METRIC_LOGGING_CONFIGURATION_CHANGES, "Invocation logging changed by someone else"),
    (METRIC_EVIDENCE_TAMPERING, "Audit evidence deleted, shortened or unlocked"),
)


def _alarm_rows(section: Section, stacks: Sequence[AssemblyStack], config: Config) -> None:
    """Alarms exist wherever the trail's log group does: cris-guard's trail or an existing one."""
    trail = config.audit.cloudtrail
    expected = trail.enabled or trail.existing_log_group_name is not None
    absent = "missing" if expected else "none (no trail log group configured)"
    alarms = _find(stacks, "AWS::CloudWatch::Alarm")
    filters = _find(stacks, "AWS::Logs::MetricFilter")

    def alarms_for(metric: str, source_region: str | None = None) -> list[Found]:
        return [a for a in alarms if _props(a[2]).get("MetricName") == metric and (
            source_region is None or {"Name": DIMENSION_SOURCE_REGION, "Value": source_region}
            in (_props(a[2]).get("Dimensions") or []))]

    section.lines += ["| Alarm | Scope | Where | Check |", "|---|---|---|---|"]
    for region in config.source_regions:
        where = f"residency alarm for {region}"
        hits = alarms_for(METRIC_RESIDENCY_VIOLATIONS, region)
        if not hits:
            section.lines.append(f"| Residency violation | from {region} | {absent} | {section.check(not expected, where, 'missing')} |")
            continue
        stack, lid, resource = hits[0]
        allowed = _residency_allow_list(filters, region)
        outside = [r for r in allowed if r not in EU_MEMBER_STATE_REGIONS]
        has_action = bool(_props(resource).get("AlarmActions"))
        text = (f"inference outside {', '.join(allowed) or '(no metric filter found)'}"
                + (f" (not EU: {', '.join(outside)})" if outside else "")
                + ("" if has_action else "; no alarm action"))
        mark = section.check(has_action and bool(allowed) and not outside, where, text)
        section.lines.append(f"| Residency violation | from {region}: {_cell(text)} | {_code(lid)} in {_code(stack.name)} | {mark} |")
    for metric, label in ACCOUNT_ALARMS:
        hits = alarms_for(metric)
        mark = section.check(bool(hits) or not expected, f"alarm {label}", "missing")
        where = f"{_code(hits[0][1])} in {_code(hits[0][0].name)}" if hits else absent
        section.lines.append(f"| {label} | account | {where} | {mark} |")
    section.lines.append("")


def _residency_allow_list(filters: Sequence[Found], region: str) -> list[str]:
    """The Regions the residency metric filter for ``region`` accepts (its ``inferenceRegion != "…"`` terms)."""
    for _stack, _lid, resource in filters:
        props = _props(resource)
        metrics = [t.get("MetricName") for t in props.get("MetricTransformations") or []]
        pattern = props.get("FilterPattern")
        if METRIC_RESIDENCY_VIOLATIONS in metrics and isinstance(pattern, str) and f'($.awsRegion = "{region}")' in pattern:
            return re.findall(r'\$\.additionalEventData\.inferenceRegion != "([^"]+)"', pattern)
    return []


# --- 4. Budgets ----------------------------------------------------------------------------------------


# "user:<tag key>$": the budgets' filter value for an application, less the application's name.
APPLICATION_COST_FILTER_PREFIX = application_cost_filters(APPLICATION_TAG_KEY, "")["TagKeyValue"][0]


def budgets_section(stacks: Sequence[AssemblyStack], config: Config) -> Section:
    """Every budget with amount, filter, thresholds and subscribers, checked against the configuration:
    one per application (by its cost-allocation tag) and one account-wide (no filter)."""
    section = Section("Budgets")
    section.lines += ["| Budget | Stack | Amount | Filter | Thresholds | Alerts to | Check |", "|---|---|---|---|---|---|---|"]
    amounts: dict[str | None, float] = {a.name: float(a.monthly_budget_usd) for a in config.applications}
    account = config.budgets.account_monthly_usd
    amounts[None] = float(account if account is not None else default_account_monthly_usd(
        [BudgetedApplication(a.name, a.monthly_budget_usd) for a in config.applications]))
    thresholds = sorted((t.type.upper(), float(t.percent)) for t in config.budgets.thresholds)
    seen: list[str | None] = []
    for stack, lid, resource in _find(stacks, "AWS::Budgets::Budget"):
        seen.append(_budget_row(section, stack, lid, resource, amounts, thresholds))
    section.lines.append("")
    for owner in amounts:
        count = seen.count(owner)
        if count != 1:
            text = f"{count} budgets for {owner or 'the whole account'}, expected 1"
            section.lines.append(f"- {section.check(False, 'budgets', text)} {text}")
    return section


def _budget_row(section: Section, stack: AssemblyStack, lid: str, resource: Mapping[str, Any],
                amounts: Mapping[str | None, float], thresholds: list[tuple[str, float]]) -> str | None:
    """Add the budget's row; return the application it is for (None: account-wide, or unknown)."""
    props = _props(resource)
    budget = props.get("Budget") or {}
    limit = budget.get("BudgetLimit") or {}
    filters = budget.get("CostFilters") or {}
    amount = float(limit.get("Amount", 0))
    owners = [v.removeprefix(APPLICATION_COST_FILTER_PREFIX) for v in _as_list(filters.get("TagKeyValue"))
              if isinstance(v, str) and v.startswith(APPLICATION_COST_FILTER_PREFIX)]
    owner = owners[0] if len(owners) == 1 else None
    notifications = props.get("NotificationsWithSubscribers") or []
    found = sorted((n.get("Notification", {}).get("NotificationType"), float(n.get("Notification", {}).get("Threshold", 0)))
                   for n in notifications)
    subscribers = {(s.get("SubscriptionType"), _show(s.get("Address"))) for n in notifications for s in n.get("Subscribers") or []}

    problems = []
    if owner is None and filters:
        problems.append("a filter that is neither one application's tag nor none")
    elif owner is not None and owner not in amounts:
        problems.append(f"application {owner!r} is not in the configuration")
    elif amount != amounts[owner]:
        problems.append(f"amount {amount:g}, configured {amounts[owner]:g}")
    if found != thresholds:
        problems.append(f"thresholds differ from the configuration ({', '.join(f'{k.lower()} {p:g} %' for k, p in thresholds)})")
    name = budget.get("BudgetName", lid)
    mark = section.check(not problems, f"budget {name}", "; ".join(problems))

    # Values in code spans: "user:<key>$<value>" must not start GitHub's $…$ math.
    filter_text = "; ".join(f"{k}: {', '.join(_code(v) for v in _as_list(v))}" for k, v in filters.items())
    topics = sum(kind == "SNS" for kind, _ in subscribers)
    emails = sum(kind == "EMAIL" for kind, _ in subscribers)
    alerts = ", ".join(filter(None, (
        f"{topics} SNS topic{'s' if topics != 1 else ''}" if topics else "",
        f"{emails} e-mail address{'es' if emails != 1 else ''}" if emails else ""))) or "nobody"
    cells = [
        _code(name),
        _code(stack.name),
        f"{amount:,.2f} {limit.get('Unit', '')} {str(budget.get('TimeUnit', '')).lower()}",
        _cell(filter_text or "none (all spend in the account)"),
        ", ".join(f"{kind.lower()} > {pct:g} %" for kind, pct in found),
        alerts,
        " ".join([mark, _cell("; ".join(problems))]).strip(),
    ]
    section.lines.append(f"| {' | '.join(cells)} |")
    return owner if owner is not None or not filters else f"(unrecognized filter on {name})"


# --- 5. cdk-nag acknowledgments ---------------------------------------------------------------------


@dataclass(frozen=True)
class Acknowledgment:
    stack: str
    path: str  # construct path inside the stack
    rule: str
    reason: str


def acknowledgments(stacks: Sequence[AssemblyStack]) -> list[Acknowledgment]:
    """Every acknowledged finding. CDK Validations (cdk-nag 3) records ``Validations.of(x).acknowledge``
    as ``aws:cdk:acknowledged-rules`` metadata on the construct's path (``Annotation::<rule>: reason``);
    cdk-nag's optional v2-compatible aspect also writes ``cdk_nag.rules_to_suppress`` into a resource's
    template metadata. Both are read."""
    found = {a for stack in stacks for a in (*_validations_acknowledgments(stack), *_nag_v2_acknowledgments(stack))}
    return sorted(found, key=lambda a: (a.stack, a.rule, a.path))


def _validations_acknowledgments(stack: AssemblyStack) -> Iterator[Acknowledgment]:
    for path, entries in stack.metadata.items():
        shown_path = path.removeprefix(stack.construct_path).lstrip("/") or "(stack)"
        for entry in entries:
            if entry.get("type") == "aws:cdk:acknowledged-rules" and isinstance(entry.get("data"), dict):
                for rule, reason in entry["data"].items():
                    yield Acknowledgment(stack.name, shown_path, str(rule).removeprefix("Annotation::"), str(reason))


def _nag_v2_acknowledgments(stack: AssemblyStack) -> Iterator[Acknowledgment]:
    for logical_id, resource in stack.resources.items():
        metadata = resource.get("Metadata") or {}
        path = str(metadata.get("aws:cdk:path", logical_id)).removeprefix(f"{stack.name}/").removesuffix("/Resource")
        for rule in (metadata.get("cdk_nag") or {}).get("rules_to_suppress") or []:
            rule_id = rule.get("id", "?")
            for applies in rule.get("applies_to") or [None]:
                shown = f"{rule_id}[{applies}]" if isinstance(applies, str) else rule_id
                yield Acknowledgment(stack.name, path, shown, str(rule.get("reason", "")))


def nag_section(stacks: Sequence[AssemblyStack], validation_report: Mapping[str, Any] | None) -> Section:
    section = Section("cdk-nag acknowledgments")
    packs = ", ".join(p.__name__ for p in PACKS)
    found = acknowledgments(stacks)
    section.lines += [f"Packs: {packs}. {len(found)} acknowledged findings; each is an exception a reviewer accepts.", ""]
    by_stack: dict[str, dict[tuple[str, str], list[str]]] = defaultdict(lambda: defaultdict(list))
    for ack in found:
        by_stack[ack.stack][(ack.rule, ack.reason)].append(ack.path)
    for stack in stacks:
        grouped = by_stack.get(stack.name)
        if not grouped:
            section.lines += [f"### {stack.name}: none", ""]
            continue
        count = sum(len(paths) for paths in grouped.values())
        section.lines += [f"### {stack.name} ({count})", ""]
        for (rule, reason), paths in sorted(grouped.items()):
            section.lines.append(f"- {_code(rule)} on {', '.join(_code(p) for p in sorted(paths))}: {_text(reason)}")
        section.lines.append("")
    violations = []
    per_pack: dict[str, int] = {p.__name__: 0 for p in PACKS}
    for plugin in (validation_report or {}).get("pluginReports") or []:
        name = (plugin.get("summary") or {}).get("pluginName") or plugin.get("pluginName") or "?"
        per_pack.setdefault(name, 0)
        for violation in plugin.get("violations") or []:
            per_pack[name] += 1
            resources = ", ".join(r.get("resourceLogicalId", "?") for r in violation.get("violatingResources") or [])
            violations.append(f"{name}: {violation.get('ruleName', '?')} on {resources}: {violation.get('description', '')}")
    if validation_report is not None:
        section.lines += ["Unacknowledged findings per pack: " + ", ".join(
            f"{name} {count}" for name, count in sorted(per_pack.items())) + ".", ""]
    if validation_report is None:
        section.lines.append(f"{WARN} `validation-report.json` not found in the assembly.")
    elif violations:
        section.lines.append("Unacknowledged findings in `validation-report.json`:")
        for v in violations:
            section.lines.append(f"- {section.check(False, 'cdk-nag', v)} {_cell(v)}")
    else:
        section.lines.append(f"{section.check(True, 'cdk-nag', 'no findings')} `validation-report.json`: no unacknowledged findings.")
    section.lines.append("")
    return section


# --- 6. Access scenarios -------------------------------------------------------------------------------


@dataclass
class ScenarioRun:
    """The scenarios evaluated against the assembly (``report`` is None when they could not run)."""

    directory: Path | None
    report: scenarios.Report | None = None
    skipped: list[str] = field(default_factory=list)
    error: str | None = None


def run_scenarios(directory: Path, config: Config, catalog: Catalog, stacks: Sequence[AssemblyStack],
                  *, stage: str | None = None, top_config: Config | None = None) -> ScenarioRun:
    """Evaluate the scenario files against these templates (files with ``config_overrides`` need their
    own synthesis and are skipped, as ``cris-guard scenarios --assembly`` does). For one
    account of a multi-account configuration, ``config`` is that account's, ``stage`` its name and
    ``top_config`` the whole configuration (to check the account names scenarios use)."""
    run = ScenarioRun(directory)
    try:
        files = scenarios.load_scenario_dir(directory)
        scenarios.check_scenario_accounts(files, top_config or config)
        run.skipped = [f.label for f in files if f.content.config_overrides is not None]
        files = [f for f in files if f.content.config_overrides is None]
        if files:
            templates = [scenarios.StackTemplate(s.name, s.region, s.template, stage=s.stage, account=s.account)
                         for s in stacks]
            run.report = scenarios.run(files, config, catalog, lambda _config: templates,
                                       account=config.account or scenarios.DEFAULT_ACCOUNT, stage=stage)
    except (scenarios.ScenarioError, scenarios.UnresolvableError, ConfigError) as exc:
        run.error = str(exc)
    return run


def scenarios_section(run: ScenarioRun | None) -> Section:
    section = Section("Access scenarios", counts_as="access scenarios")
    if run is None or run.directory is None:
        section.lines += [f"{WARN} Not run: no scenario directory for this configuration (pass `--scenarios DIR`).", ""]
        return section
    section.lines.append(
        f"{_code(_display_path(run.directory))} evaluated offline against these templates by `@cloud-copilot/iam-simulate`"
        " (AGPL-3.0-or-later, run as a separate Node process)."
    )
    if run.skipped:
        section.lines.append(f"Skipped (their `config_overrides` need their own synthesis): {', '.join(run.skipped)}.")
    section.lines.append("")
    if run.error is not None:
        section.lines += [f"{section.check(False, 'scenarios', run.error)} Could not run: {_cell(run.error)}", ""]
        return section
    if run.report is None:
        section.lines += [f"{WARN} No scenario to run against the assembly.", ""]
        return section
    groups: dict[tuple[str, str], list[scenarios.Outcome]] = defaultdict(list)
    for outcome in run.report.outcomes:
        groups[(outcome.case.file, outcome.case.scenario.name)].append(outcome)
    ordered = sorted(groups.items(), key=lambda item: all(o.passed for o in item[1]))  # failures first, stable
    section.lines += ["| Scenario | Expectation | Calls | Result |", "|---|---|---|---|"]
    for (file, name), outcomes in ordered:
        failed = [o for o in outcomes if not o.passed]
        mark = section.check(not failed, "scenarios", f"{file} · {name}: {len(failed)} of {len(outcomes)} calls failed")
        result = f"{mark} {len(failed)} failed" if failed else f"{mark} held"
        section.lines.append(f"| {_cell(file)} · {_cell(name)} | {outcomes[0].case.scenario.expect} | {len(outcomes)} | {result} |")
    total = len(run.report.outcomes)
    failures = run.report.failures
    section.lines += ["", f"{len(groups)} scenarios, {total} calls: {total - len(failures)} held, {len(failures)} failed.", ""]
    for (file, name), outcomes in ordered:
        failed = [o for o in outcomes if not o.passed]
        if not failed:
            continue
        section.lines.append(f"**{FAIL} {_cell(file)} · {_cell(name)}** (expect {outcomes[0].case.scenario.expect}):")
        for outcome in failed[:MAX_FAILED_CALLS_SHOWN]:
            section.lines.append(f"- {_text(outcome.case.describe())}: got {_text(outcome.actual + outcome.detail)}")
        if len(failed) > MAX_FAILED_CALLS_SHOWN:
            section.lines.append(f"- … and {len(failed) - MAX_FAILED_CALLS_SHOWN} more"
                                 " (`cris-guard scenarios --assembly … -v` lists every call)")
        section.lines.append("")
    return section


# --- 7. CloudFormation limits ----------------------------------------------------------------------------


def limits_section(stacks: Sequence[AssemblyStack]) -> Section:
    section = Section("CloudFormation limits")
    # check_stack_limits names stacks by stack_name; the same name can be in two Stages, so pass the unique one.
    over = check_stack_limits(_AssemblyView([_LimitsView(s.name, s.template, s.template_full_path) for s in stacks]))
    section.lines += ["| Stack | Resources | Outputs | Template bytes |", "|---|---|---|---|"]
    for stack in stacks:
        resources = len(stack.resources)
        outputs = len(stack.template.get("Outputs") or {})
        size = Path(stack.template_full_path).stat().st_size
        cells = []
        for what, value, limit in (("resources", resources, STACK_RESOURCE_LIMIT),
                                   ("outputs", outputs, STACK_OUTPUT_LIMIT),
                                   ("template bytes", size, STACK_TEMPLATE_BYTE_LIMIT)):
            mark = section.check(value <= limit, f"stack {stack.name}", f"{value:,} {what}, more than {limit:,}")
            cells.append(f"{mark} {_percent(value, limit)}")
        section.lines.append(f"| {_code(stack.name)} | {' | '.join(cells)} |")
    section.lines.append("")
    for problem in over:  # the same limits, as check_stack_limits words them
        section.lines.append(f"- {FAIL} {problem}")
    if over:
        section.lines.append("")
    return section


@dataclass(frozen=True)
class _AssemblyView:
    stacks: Sequence[Any]


@dataclass(frozen=True)
class _LimitsView:
    stack_name: str
    template: Mapping[str, Any]
    template_full_path: str


# --- 8. Organization guardrail ---------------------------------------------------------------------------


def _scp_size(document: Any) -> tuple[int, int, str]:
    """(characters, limit, how counted): :func:`cris_guard.scp.policy_size`, as the SCP is planned. A
    placeholder it will not guess the length of falls back to the minified JSON (every character counts in
    an SCP, rollout-facts C2; whether CloudFormation minifies a JSON-object Content is UNCONFIRMED)."""
    if isinstance(document, str):
        return len(document), scp.SCP_SIZE_LIMIT, "as written (a string Content is sent as it is)"
    try:
        return scp.policy_size(document), scp.SCP_SIZE_LIMIT, "cris_guard.scp.policy_size"
    except ValueError as exc:
        return len(json.dumps(document, separators=(",", ":"))), scp.SCP_SIZE_LIMIT, f"minified JSON; {exc}"


def _condition_text(condition: Any) -> str:
    parts = []
    for operator, keys in sorted((condition or {}).items()):
        for key, values in sorted((keys or {}).items()):
            shown = ", ".join(_code(_show(v)) for v in _as_list(values))
            parts.append(f"{operator} {_code(key)} {'[' + shown + ']' if isinstance(values, list) else shown}")
    return "; ".join(parts)


def _bound_accounts(config: Config) -> list[str]:
    """Which of the configuration's accounts the guardrail binds (cris_guard.scp.guardrail_scope); the
    access scenarios of an account it does not bind run without the SCP."""
    guardrail = config.organization_guardrail
    assert guardrail is not None
    lines = [f"Accounts it binds (SCPs never bind the management account, {guardrail.management_account}; the access"
             " scenarios of an account it does not bind run without it):"]
    for target in config.targets():
        name, account = (f"{_code(target.name)} {target.id}", target.id) if target is not None else (
            f"account {config.account}" if config.account else "the deploying account", config.account)
        scope = scp.guardrail_scope(config, account)
        mark = {True: f"{OK} ", False: f"{WARN} ", None: ""}[scope.applies]
        lines.append(f"- {mark}{name}: {scope.label}, {_text(scope.reason)}")
    return lines


def organization_section(stacks: Sequence[AssemblyStack], config: Config) -> Section | None:
    """Every SCP in the assembly (``AWS::Organizations::Policy``): targets, statements and size."""
    found = _find(stacks, ORGANIZATIONS_POLICY_TYPE)
    wanted = config.organization_guardrail
    if not found and wanted is None:
        return None
    section = Section("Organization guardrail")
    if not found:
        text = "organization_guardrail is configured, but the assembly has no AWS::Organizations::Policy"
        section.lines += [f"- {section.check(False, 'organization guardrail', text)} {_text(text)}", ""]
        return section
    for stack, lid, resource in found:
        props = _props(resource)
        where = f"SCP {lid}"
        targets = [_show(t) for t in _as_list(props.get("TargetIds"))]
        content = _placeholder_form(props.get("Content"), stack.region or "", {})
        document = content
        if isinstance(content, str):
            try:
                document = json.loads(content)
            except json.JSONDecodeError:
                document = {}
        size, limit, how = _scp_size(content)
        section.lines.append(f"#### {_code(props.get('Name', lid))} ({_show(props.get('Type', '?'))})")
        section.lines.append("")
        section.lines.append(f"{_code(lid)} in stack {_code(stack.name)} (account {stack.account or 'from credentials'},"
                             f" {stack.region}).")
        if wanted is not None:
            same = sorted(targets) == sorted(wanted.target_ids)
            mark = section.check(same, where, f"attached to {targets}, configured {wanted.target_ids}")
            section.lines.append(f"Targets {mark}: {', '.join(_code(t) for t in targets) or '(none)'}"
                                 + ("" if same else f"; configured: {', '.join(wanted.target_ids)}"))
        else:
            section.lines.append(f"Targets: {', '.join(_code(t) for t in targets) or '(none)'}")
        mark = section.check(size <= limit, where, f"{size:,} characters, more than {limit:,}")
        section.lines += [f"Size {mark}: {_percent(size, limit)} characters ({how}).", ""]
        if wanted is not None:
            section.lines += [*_bound_accounts(config), ""]
        section.lines += ["| Sid | Effect | Actions | Resources | Conditions |", "|---|---|---|---|---|"]
        for statement in _as_list((document or {}).get("Statement")):
            if not isinstance(statement, dict):
                continue
            actions = _as_list(statement.get("Action")) or [f"not {a}" for a in _as_list(statement.get("NotAction"))]
            resources = _as_list(statement.get("Resource")) or [f"not {r}" for r in _as_list(statement.get("NotResource"))]
            section.lines.append(
                f"| {_code(statement.get('Sid', '-'))} | {statement.get('Effect', '?')}"
                f" | {', '.join(_code(_show(a)) for a in actions)} | {', '.join(_code(_show(r)) for r in resources)}"
                f" | {_condition_text(statement.get('Condition')).replace('|', chr(92) + '|') or '-'} |")
        section.lines.append("")
    return section


# --- 9. Deployment -----------------------------------------------------------------------------------------


def deployment_section(assembly: CloudAssembly, config: Config) -> Section:
    """Every stack with its stage, account and Region, and whether its template could be a StackSet as it is."""
    section = Section("Deployment")
    section.lines += [
        "What `cdk deploy` deploys, by stack (select a Stage's stacks with `cdk deploy '<stage>/*'`). StackSet-ready:"
        " whether the template could be rolled out with a CloudFormation StackSet as it is (not a check).",
        "",
    ]
    expected = [t.name for t in config.targets() if t is not None]
    for stage in assembly.stages:
        if stage not in expected:
            text = f"stage {stage} is in the assembly but not in the configuration's accounts"
            section.lines.append(f"- {section.check(False, 'deployment', text)} {_text(text)}")
    for stack in assembly.stacks_in(None):
        if config.multi_account and not _is_guardrail_stack(stack):
            text = f"stack {stack.name} is at the root of a multi-account assembly, outside every account's Stage"
            section.lines.append(f"- {section.check(False, 'deployment', text)} {_text(text)}")
    if section.checks:
        section.lines.append("")
    section.lines += ["| Stack | Stage | Account | Region | Resources | StackSet-ready |", "|---|---|---|---|---|---|"]
    for stack in assembly.stacks:
        reasons = stackset_readiness(stack)
        ready = "yes" if not reasons else "no: " + "; ".join(reasons)
        section.lines.append(
            f"| {_code(stack.name)} | {stack.stage or '-'} | {stack.account or 'from credentials'}"
            f" | {stack.region or 'any'} | {len(stack.resources)} | {_cell(ready)} |")
    section.lines += ["", f"StackSet limits used: TemplateURL at most {STACKSET_TEMPLATE_URL_BYTE_LIMIT:,} bytes"
                      " (UNCONFIRMED whether 1 MB applies); see cris_guard/assembly.py.", ""]
    return section


# --- The whole report ------------------------------------------------------------------------------------


def _is_transcribed(catalog: Catalog) -> bool:
    """The shipped catalog as read from AWS's pages, never refreshed from an account (and no project catalog)."""
    method = catalog.method.lower()
    return not catalog.local_layers and ("transcribed" in method or "not yet refreshed" in method)


def catalog_section(config: Config, catalog: Catalog) -> Section:
    """Every approved profile: its lifecycle (dates, not "N days left": the report does not depend on the
    day), which catalog each route came from, the page it was read from, and UNCONFIRMED marks."""
    section = Section("Profile catalog")
    regions = config.all_source_regions
    approved: dict[str, list[str]] = {}
    for app in config.applications:
        for pid in app.profiles:
            approved.setdefault(pid, []).append(app.name)
    section.lines += [
        f"In force: {catalog.describe()}.",
        "",
        "| Profile | Applications | Lifecycle | Catalog (per source Region) | Source, read on | UNCONFIRMED |",
        "|---|---|---|---|---|---|",
    ]
    for pid in sorted(approved):
        profile = catalog.get(pid)
        if profile is None:
            section.lines.append(f"| {_code(pid)} | {_cell(', '.join(approved[pid]))} | {FAIL} not in the catalog | | | |")
            section.check(False, pid, "approved but not in the catalog in force")
            continue
        life = lifecycle_of(profile)
        mark = f"{WARN} " if life.is_legacy else ""
        recorded = "" if profile.lifecycle else " (not recorded)"
        origins: dict[str, list[str]] = {}
        for region in regions:
            if profile.destinations(region):
                origins.setdefault(profile.origin(region), []).append(region)
        where = "; ".join(f"{'shipped' if o == SHIPPED else _code(o)}: {', '.join(rs)}" for o, rs in sorted(origins.items()))
        doubts = [f"{r}: {profile.route_unconfirmed(r)}" for r in regions if profile.route_unconfirmed(r)]
        if life.unconfirmed:
            doubts.append(f"lifecycle: {life.unconfirmed}")
        section.lines.append(
            f"| {_code(pid)} | {_cell(', '.join(approved[pid]))} | {mark}{_cell(life.describe().removesuffix(' UNCONFIRMED'))}{recorded}"
            f" | {where or '-'} | {_cell(profile.source)}, {profile.as_of} | {_cell('; '.join(doubts)) or '-'} |"
        )
    warnings = lifecycle_warnings(config, catalog)
    if warnings:
        section.lines += ["", *(f"- {WARN} {_text(w)}" for w in warnings)]
    return section


def _versions(assembly: CloudAssembly) -> str:
    def installed(name: str) -> str:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            return "not installed"

    cdk = assembly.library_versions.get("aws-cdk-lib") or f"{installed('aws-cdk-lib')} (installed)"
    return f"aws-cdk-lib {cdk}, cdk-nag {installed('cdk-nag')}"


def _accounts_text(accounts: Iterable[str | None]) -> str:
    named = [a for a in accounts if a is not None]
    agnostic = "environment-agnostic (from credentials at deploy time)"
    if not named:
        return agnostic
    return ", ".join(named) + (f" and {agnostic}" if None in accounts else "")


@dataclass
class ReviewReport:
    header: list[str]
    sections: list[Section]

    @property
    def checks(self) -> list[Check]:
        return [c for s in self.sections for c in s.checks]

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if not c.passed]

    @property
    def passed(self) -> bool:
        return not self.failures

    def verdict(self) -> str:
        """One line: PASS or FAIL, checks passed and access scenarios held."""
        counted: dict[str, list[Check]] = {"checks": [], "access scenarios": []}
        for section in self.sections:
            counted.setdefault(section.counts_as, []).extend(section.checks)
        checks, held = counted["checks"], counted["access scenarios"]
        parts = [f"{sum(c.passed for c in checks)} of {len(checks)} checks passed"]
        if held:
            parts.append(f"{sum(c.passed for c in held)} of {len(held)} access scenarios held")
        else:
            parts.append("no access scenario evaluated")
        return f"{OK + ' PASS' if self.passed else FAIL + ' FAIL'}: {', '.join(parts)}"

    def render(self) -> str:
        lines = list(self.header)
        lines += ["", f"**Verdict: {self.verdict()}.**", ""]
        if self.failures:
            lines.append("Failed checks:")
            lines += [f"- {FAIL} {c.where}: {_cell(c.text)}" for c in self.failures]
            lines.append("")
        return "\n".join(lines) + "\n" + "\n".join(s.render() for s in self.sections)


ScenarioRuns = Mapping[str | None, ScenarioRun]  # per account (Stage name; None: the single account)


def _account_sections(
    config: Config,
    catalog: Catalog,
    stacks: Sequence[AssemblyStack],
    run: ScenarioRun | None,
    *,
    level: int,
    prefix: str,
    with_scenarios: bool,
) -> list[Section]:
    """What one account's templates grant and record: the residency map, access, audit and budgets."""
    reviews, orphans = review_access(stacks, config, catalog)
    sections = [
        residency_map_section(reviews, config),
        access_section(reviews, orphans, config),
        audit_section(stacks, config),
        budgets_section(stacks, config),
    ]
    if with_scenarios:
        sections.append(scenarios_section(run))
    for section in sections:
        section.level, section.where_prefix = level, prefix
    return sections


def _account_heading(target: AccountTarget, account_config: Config, stacks: Sequence[AssemblyStack]) -> Section:
    section = Section(f"Account {target.name} ({target.id})", where_prefix=f"{target.name}: ")
    accounts = sorted({s.account or "from credentials" for s in stacks})
    ok = bool(stacks) and accounts == [target.id]
    text = (f"stage {target.name} has no stack in the assembly" if not stacks
            else f"stage {target.name}'s stacks are for account {', '.join(accounts)}, configured {target.id}")
    mark = section.check(ok, "stage", text)
    section.lines += [
        f"Stage {_code(target.name)} {mark}: {_plural(len(stacks), 'stack')} ({', '.join(s.stack_name for s in stacks) or 'none'})"
        f" in account {', '.join(accounts) or '-'}; source Regions {', '.join(account_config.source_regions)};"
        f" {_plural(len(account_config.applications), 'application')}"
        f" ({', '.join(a.name for a in account_config.applications)}).",
        "",
    ]
    return section


def build_report(
    config: Config,
    catalog: Catalog,
    assembly: CloudAssembly,
    *,
    scenario_run: ScenarioRun | ScenarioRuns | None,
    config_label: str,
    assembly_label: str | None = None,
) -> ReviewReport:
    """Every section for ``assembly``; ``scenario_run`` comes from :func:`run_scenarios` (None: not run),
    one per account (by Stage name) for a multi-account configuration.

    Nothing in the report depends on the date or on dict/set order: two reports of the same templates are
    byte-identical, so the diff of two reports is what a change does."""
    stacks = list(assembly.stacks)
    runs: Mapping[str | None, ScenarioRun | None]
    runs = scenario_run if isinstance(scenario_run, Mapping) else {None: scenario_run}
    if config.multi_account:
        where = "; ".join(f"{t.name} {t.id}: {', '.join(t.source_regions)}" for t in config.targets() if t is not None)
        scope = f"{len(config.accounts or [])} accounts ({where})"
    else:
        scope = f"source Regions {', '.join(config.source_regions)}"
    header = [
        f"# cris-guard review report: {config.name}",
        "",
        f"- Configuration: {_code(config_label)}, residency **{config.residency}**, {scope}, {len(config.applications)} applications",
        f"- Assembly: {_code(assembly_label or _display_path(assembly.directory))}, {len(stacks)} stacks"
        f" ({', '.join(s.name for s in stacks)}), account {_accounts_text(assembly.accounts)}",
        f"- Profile catalog: {catalog.describe()}",
        f"- Catalog method: {catalog.method}",
        f"- Tools: {_versions(assembly)}",
    ]
    if _is_transcribed(catalog):
        header += [
            "",
            f"> {WARN} **The profile catalog has never been refreshed from an AWS account.** Destination Regions"
            " below are checked against AWS's published pages as read, not against what Bedrock reports."
            " Run `cris-guard catalog refresh --config <your configuration> --region <each source Region>"
            " --output <project catalog>` with credentials, name the file under `catalog:` and commit both.",
        ]
    guardrail = organization_section(stacks, config)
    sections = [catalog_section(config, catalog)]
    if not config.multi_account:
        own = [s for s in stacks if not _is_guardrail_stack(s) and s.stage is None]
        sections += _account_sections(config, catalog, own, runs.get(None), level=2, prefix="", with_scenarios=False)
        sections += [nag_section(stacks, assembly.validation_report), scenarios_section(runs.get(None)),
                     limits_section(stacks)]
    else:
        for target in config.targets():
            assert target is not None
            account_config = config.for_account(target)
            own = assembly.stacks_in(target.name)
            sections.append(_account_heading(target, account_config, own))
            sections += _account_sections(account_config, catalog, own, runs.get(target.name), level=3,
                                          prefix=f"{target.name}: ", with_scenarios=True)
        sections += [nag_section(stacks, assembly.validation_report), limits_section(stacks)]
    if guardrail is not None:
        sections.append(guardrail)
    sections.append(deployment_section(assembly, config))
    return ReviewReport(header, sections)


def default_scenario_dir(config_path: Path | None) -> Path | None:
    """The shipped scenarios describe config/default.yaml only; other configurations bring their own."""
    if config_path is None or Path(config_path).resolve() == DEFAULT_CONFIG_PATH.resolve():
        return scenarios.DEFAULT_SCENARIO_DIR
    return None


def catalog_age_warning(catalog: Catalog, today: _dt.date) -> str | None:
    """For stderr, not the report: the report's text must not depend on the day it is written."""
    age = (today - catalog.as_of).days
    if age <= CATALOG_AGE_WARNING_DAYS:
        return None
    return (f"cris-guard: warning: the profile catalog is {age} days old (as of {catalog.as_of}); refresh it with"
            " `cris-guard catalog refresh --region <each source Region> --output <project catalog>`")


def command(
    *, config_path: Path | None = None, assembly_dir: Path = Path("cdk.out"), scenario_dir: Path | None = None,
    no_scenarios: bool = False, out: Path | None = None, today: Callable[[], _dt.date] = _dt.date.today,
) -> int:
    """``cris-guard report``: write the Markdown review report of a synthesized cloud assembly; 0 every
    check passed, 1 a check or scenario failed, 2 bad input."""
    try:
        config, catalog = load_project(config_path)
        assembly = read_assembly(assembly_dir)
    except (ConfigError, AssemblyError) as exc:
        print(f"cris-guard: {exc}", file=sys.stderr)
        return 2
    warning = catalog_age_warning(catalog, today())
    if warning:
        print(warning, file=sys.stderr)
    directory = None if no_scenarios else (scenario_dir or default_scenario_dir(config_path))
    runs: ScenarioRun | dict[str | None, ScenarioRun] | None = None
    # The guardrail stack goes along, to the accounts it binds (scenarios.without_unbound_scps: not the
    # management account, not an account that account-ID targets leave out): the scenario runner
    # evaluates an SCP it finds in the templates too. Unlike scenarios.per_account, an account gets only
    # the guardrail from outside its Stage, not every root stack: a workload stack at the root (flagged in
    # the Deployment section) is not in any account's run.
    guardrails = [s for s in assembly.stacks if _is_guardrail_stack(s)]
    if directory and config.multi_account:
        runs = {t.name: run_scenarios(directory, config.for_account(t), catalog,
                                      assembly.stacks_in(t.name) + scenarios.without_unbound_scps(config, t.id, guardrails),
                                      stage=t.name, top_config=config)
                for t in config.targets() if t is not None}
    elif directory:
        runs = run_scenarios(directory, config, catalog,
                             scenarios.without_unbound_scps(config, config.account, assembly.stacks))
    report = build_report(config, catalog, assembly, scenario_run=runs,
                          config_label=str(config_path or "config/default.yaml"), assembly_label=str(assembly_dir))
    out = out or assembly_dir / REPORT_FILE_NAME
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report.render(), encoding="utf-8")
    print(f"cris-guard review report: {out}")
    print(report.verdict())
    return 0 if report.passed else 1



def main(argv: Sequence[str] | None = None, *, today: Callable[[], _dt.date] = _dt.date.today) -> int:
    """``python -m cris_guard.report``: an alias of ``cris-guard report`` (kept for one release)."""
    from cris_guard.cli import main as cli_main

    return cli_main(["report", *(sys.argv[1:] if argv is None else argv)], today=today)

if __name__ == "__main__":
    sys.exit(main())
