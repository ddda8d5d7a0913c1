"""Access scenarios: what each application must and must not be able to do, checked offline.

A platform team writes expectations as data (``scenarios/*.yaml``, format in docs/iam.md). This module
synthesizes the app, extracts each application's *effective* IAM policies per source Region from the
templates (the managed and inline policies attached to the role tagged ``cris-guard:application``),
expands every scenario into the authorization checks Bedrock makes for that call
(:mod:`cris_guard.cris_checks`, cris-facts §2.3/§2.4), evaluates them with a real IAM evaluator
(:mod:`cris_guard.policy_eval`, the AGPL npm package ``@cloud-copilot/iam-simulate`` run as a separate
Node process, never linked) and reports each failure as one line: application, request, expected,
actual, and the statement that decided.

Expectations:

- ``allow``: every check of the call is allowed — and, for calls through an application profile,
  under every answer to the UNCONFIRMED questions (:data:`APPLICATION_PROFILE_VARIANTS`).
- ``deny``: at least one check is not allowed (least privilege; a broader grant elsewhere could allow it).
- ``explicit-deny``: as ``deny``, and even with ``bedrock:*`` (and ``bedrock-mantle:*``) on ``*`` granted
  by another policy the call's *first* check (the resource the caller named) is explicitly denied: the request is refused
  before anything is routed, whatever else the role is given.

The SCP layer. When the templates hold an ``AWS::Organizations::Policy`` of type ``SERVICE_CONTROL_POLICY``
(the organization guardrail, :mod:`cris_guard.scp`), every check is evaluated with the identity policies
*and* that SCP, as IAM does for a principal of a member account it is attached to. A scenario file may
add what-if SCPs (``service_control_policies``: name -> document) that scenarios opt into by name, and a
scenario may replace the role's policies with an identity layer that allows all of Bedrock
(``identity: allow-all``) to show what the SCPs alone decide.

Run ``cris-guard scenarios [--config FILE] [--scenarios DIR]``; exit code 1 when any fails.
"""

from __future__ import annotations

import concurrent.futures
import copy
import hashlib
import json
import os
import re
import sys
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, Protocol, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from cris_guard import cris_checks, scp
from cris_guard.catalog import Catalog
from cris_guard.config import Config, ConfigError, load_project, parse_config
from cris_guard.cost import APPLICATION_TAG_KEY
from cris_guard.iam_policy import guardrail_arn_parts
from cris_guard.policy_eval import Decision, Request, evaluate

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SCENARIO_DIR = REPO_ROOT / "scenarios"
# Templates use AWS::AccountId; scenarios resolve it to the configuration's account or this one.
DEFAULT_ACCOUNT = "111122223333"
EVALUATION_PARTITION = "aws"
# Set by EuInvokeAccess on each managed policy (eu_invoke_access.POLICY_NAME_METADATA_KEY; repeated here
# so that reading templates needs no CDK import).
POLICY_NAME_METADATA_KEY = "cris-guard:policy-name"

ACTIONS = {
    "InvokeModel": "bedrock:InvokeModel",
    "InvokeModelWithResponseStream": "bedrock:InvokeModelWithResponseStream",
    "GetInferenceProfile": "bedrock:GetInferenceProfile",
    # Batch inference and evaluation jobs: the caller's check on the model it names (cris_checks.JOB_ACTIONS).
    "CreateModelInvocationJob": "bedrock:CreateModelInvocationJob",
    "CreateEvaluationJob": "bedrock:CreateEvaluationJob",
    # The bedrock-mantle endpoint's inference action, on a mantle project.
    "bedrock-mantle:CreateInference": cris_checks.MANTLE_INFERENCE_ACTION,
    # A guardrail on its own (the ApplyGuardrail API), on a `guardrail` target.
    "ApplyGuardrail": cris_checks.GUARDRAIL_ACTION,
    # Stored responses of the Responses API, on a `responses_project` target.
    "GetInvoke": "bedrock:GetInvoke",
    "CancelInvoke": "bedrock:CancelInvoke",
    "DeleteInvoke": "bedrock:DeleteInvoke",
    # A call made with a Bedrock API key, on a `bearer_token` target.
    "CallWithBearerToken": "bedrock:CallWithBearerToken",
    "bedrock-mantle:CallWithBearerToken": "bedrock-mantle:CallWithBearerToken",
}
ActionName = Literal[
    "InvokeModel",
    "InvokeModelWithResponseStream",
    "GetInferenceProfile",
    "CreateModelInvocationJob",
    "CreateEvaluationJob",
    "bedrock-mantle:CreateInference",
    "ApplyGuardrail",
    "GetInvoke",
    "CancelInvoke",
    "DeleteInvoke",
    "CallWithBearerToken",
    "bedrock-mantle:CallWithBearerToken",
]
JOB_ACTION_NAMES = frozenset({"CreateModelInvocationJob", "CreateEvaluationJob"})
MANTLE_ACTION_NAMES = frozenset({"bedrock-mantle:CreateInference"})
INVOKE_ACTION_NAMES = frozenset({"InvokeModel", "InvokeModelWithResponseStream"})
GUARDRAIL_ACTION_NAMES = frozenset({"ApplyGuardrail"})
STORED_RESPONSE_ACTION_NAMES = frozenset({"GetInvoke", "CancelInvoke", "DeleteInvoke"})
BEARER_TOKEN_ACTION_NAMES = frozenset({"CallWithBearerToken", "bedrock-mantle:CallWithBearerToken"})
_PRINCIPAL = re.compile(r"^arn:aws(-[a-z]+)*:(iam|sts)::[0-9]{12}:(role|user|assumed-role)/[\w+=,.@/-]+$")
Expectation = Literal["allow", "deny", "explicit-deny"]

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
    """The same request, made by a principal that a broad grant elsewhere also covers."""
    return Request(request.principal, request.action, request.resource,
                   {**request.context, BROAD_GRANT_TAG: BROAD_GRANT_TAG_VALUE})


# --- The UNCONFIRMED shape of a call through an application profile ------------------------------


@dataclass(frozen=True)
class ApplicationProfileVariant:
    """One answer to the open questions about calls through an application profile (cris-facts §6.3).

    ``presents``: which ARN Bedrock sets as ``bedrock:InferenceProfileArn`` at the model checks.
    ``system_profile_check``: whether Bedrock also authorizes the wrapped system profile, and if so
    whether that check carries ``bedrock:InferenceProfileArn`` (``"with-key"``) or not (``"without-key"``).
    """

    name: str
    presents: Literal["application", "system"]
    system_profile_check: Literal["none", "with-key", "without-key"]


APPLICATION_PROFILE_VARIANTS: tuple[ApplicationProfileVariant, ...] = (
    ApplicationProfileVariant("presents-application-arn", "application", "none"),
    ApplicationProfileVariant("presents-system-arn", "system", "none"),
    ApplicationProfileVariant("presents-application-arn+system-profile-check", "application", "with-key"),
    ApplicationProfileVariant("presents-system-arn+system-profile-check", "system", "with-key"),
    ApplicationProfileVariant("presents-application-arn+system-profile-check-without-key", "application", "without-key"),
    ApplicationProfileVariant("presents-system-arn+system-profile-check-without-key", "system", "without-key"),
)
# With require_application_profiles, a system-profile check that carries no InferenceProfileArn looks
# exactly like calling the system profile directly, which is what enforcement denies. The design
# accepts these two cases (docs/iam.md: why, and how to verify in a real account); they are evaluated
# for every other application and pinned by a test for enforced ones.
UNSUPPORTED_WITH_ENFORCEMENT = frozenset(
    {
        "presents-application-arn+system-profile-check-without-key",
        "presents-system-arn+system-profile-check-without-key",
    }
)


def variants_for(require_application_profiles: bool) -> tuple[ApplicationProfileVariant, ...]:
    if not require_application_profiles:
        return APPLICATION_PROFILE_VARIANTS
    return tuple(v for v in APPLICATION_PROFILE_VARIANTS if v.name not in UNSUPPORTED_WITH_ENFORCEMENT)


# --- Scenario file schema ------------------------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _unique(values: list[str] | None, what: str) -> list[str] | None:
    if values is not None:
        dupes = sorted({v for v in values if values.count(v) > 1})
        if dupes:
            raise ValueError(f"{what}: {dupes[0]!r} is listed twice")
        if not values:
            raise ValueError(f"{what}: must not be empty")
    return values


class Scenario(_Model):
    """One expectation; it expands to every (application, source Region, action, target) combination.

    ``application`` is a name, a list of names, or ``"*"`` for every application of the configuration
    (use it for residency expectations, so that a new application is covered without editing them).
    Exactly one target: ``profiles`` (calls through system profiles), ``application_profiles`` (calls
    through ``owner``'s application profile wrapping each listed system profile; default owner: the
    application itself) or ``model`` with ``regions`` (a direct call, or with ``presented_profile`` the
    single model check a call through that profile would make; region ``unspecified`` is global
    CRIS's Region-less model ARN) or ``mantle_project`` with ``regions`` (``bedrock-mantle:CreateInference``
    on that mantle project in each Region).

    Job actions (``CreateModelInvocationJob``, ``CreateEvaluationJob``) apply to ``model`` targets
    without ``presented_profile``: they are checked on the model ARN and carry no profile ARN
    (cris_checks.JOB_ACTIONS); region ``unspecified`` names the Region-less model ARN.
    """

    name: Annotated[str, Field(min_length=3)]
    application: str | list[str]
    expect: Expectation
    source_regions: list[str] | None = None
    actions: list[ActionName] = Field(default_factory=lambda: ["InvokeModel", "InvokeModelWithResponseStream"])
    profiles: list[str] | None = None
    application_profiles: list[str] | None = None
    owner: str | None = None
    model: str | None = None
    regions: list[str] | None = None
    presented_profile: str | None = None
    destinations: list[str] | None = None
    mantle_project: str | None = None
    # A guardrail the call names (with profiles: Converse/InvokeModel with that guardrail; alone: the
    # ApplyGuardrail API), and the guardrail profile it uses: its checks are added in every destination
    # Region of the profile from the source Region (catalog guardrail_profiles; outside the catalog: the
    # source Region only).
    guardrail: str | None = None
    guardrail_profile: str | None = None
    # "responses": calls through `profiles` are Responses API calls, which also check the account's
    # default project (InvokeModel) in the source Region.
    api: Literal["invoke", "responses"] = "invoke"
    # Target: the Responses API's stored responses on the default project (GetInvoke, CancelInvoke, DeleteInvoke).
    responses_project: Literal["default"] | None = None
    # Target: a call made with a Bedrock API key (CallWithBearerToken, bedrock-mantle:CallWithBearerToken).
    bearer_token: bool = False
    # Who calls, when not the application's role: an IAM role, user or assumed-role ARN (e.g. the IAM
    # user a long-term API key creates). Mostly with identity: allow-all, so that only the SCPs decide.
    principal: str | None = None
    # What-if SCPs of this file (ScenarioFile.service_control_policies) added for this scenario only.
    service_control_policies: list[str] | None = None
    # "role": the application role's policies from the templates. "allow-all": instead of them, one
    # identity policy allowing bedrock:* and bedrock-mantle:* on *, so that only the SCPs decide.
    identity: Literal["role", "allow-all"] = "role"
    # With a multi-account configuration (`accounts:`): the account names (Stages) this scenario runs
    # in. Default: every account. Not allowed for a single-account configuration.
    accounts: list[str] | None = None

    @field_validator("source_regions", "profiles", "application_profiles", "regions", "destinations", "actions",
                     "service_control_policies", "accounts", mode="before")
    @classmethod
    def _not_a_single_value(cls, value):
        if isinstance(value, str):
            raise ValueError(f"{value!r} is a single value; write it as a list: [{value}]")
        return value

    @field_validator("source_regions", "profiles", "application_profiles", "regions", "destinations", "actions",
                     "service_control_policies", "accounts")
    @classmethod
    def _lists(cls, value, info):
        return _unique(value, info.field_name)

    @field_validator("application")
    @classmethod
    def _applications(cls, value):
        if isinstance(value, list):
            _unique(value, "application")
        return value

    def applications(self, config: Config) -> list[str]:
        if self.application == "*":
            return [a.name for a in config.applications]
        return [self.application] if isinstance(self.application, str) else list(self.application)

    @field_validator("principal")
    @classmethod
    def _principal_arn(cls, value: str | None) -> str | None:
        if value is not None and not _PRINCIPAL.match(value):
            raise ValueError(f"{value!r} is not an IAM role, user or assumed-role ARN with an account ID")
        return value

    @model_validator(mode="after")
    def _target(self) -> Scenario:
        names = ("profiles", "application_profiles", "model", "mantle_project", "responses_project")
        targets = [t for t in names if getattr(self, t) is not None]
        if self.bearer_token:
            targets.append("bearer_token")
        if self.guardrail is not None and not targets:
            targets.append("guardrail")
        if len(targets) != 1:
            raise ValueError(
                "give exactly one of profiles, application_profiles, model, mantle_project, responses_project,"
                f" bearer_token or guardrail (got {targets or 'none'})"
            )
        (target,) = targets
        actions = set(self.actions)
        special = {"guardrail": GUARDRAIL_ACTION_NAMES, "responses_project": STORED_RESPONSE_ACTION_NAMES,
                   "bearer_token": BEARER_TOKEN_ACTION_NAMES}
        for kind, allowed in special.items():
            if target == kind and not actions <= allowed:
                raise ValueError(f"{kind} takes only the actions {sorted(allowed)} (got {sorted(actions - allowed)})")
            if target != kind and actions & allowed:
                raise ValueError(f"{sorted(actions & allowed)} apply only to {kind} targets")
        if target in special:
            if self.guardrail_profile is not None and self.guardrail is None:
                raise ValueError("guardrail_profile needs guardrail")
            return self
        if self.guardrail_profile is not None and self.guardrail is None:
            raise ValueError("guardrail_profile needs guardrail")
        if self.guardrail is not None and (target != "profiles" or not actions <= INVOKE_ACTION_NAMES):
            raise ValueError("guardrail applies to profiles with InvokeModel/InvokeModelWithResponseStream"
                             " (Converse with a guardrail), or alone with actions: [ApplyGuardrail]")
        if self.api == "responses" and (target != "profiles" or not actions <= INVOKE_ACTION_NAMES):
            raise ValueError("api: responses applies to profiles with InvokeModel/InvokeModelWithResponseStream")
        jobs = JOB_ACTION_NAMES.intersection(self.actions)
        if jobs and self.model is None:
            raise ValueError(f"{sorted(jobs)} apply only to model targets (a job is checked on the model it names)")
        if jobs and self.presented_profile is not None:
            raise ValueError(f"{sorted(jobs)} carry no bedrock:InferenceProfileArn; drop presented_profile")
        if self.mantle_project is not None:
            if set(self.actions) != MANTLE_ACTION_NAMES:
                raise ValueError("mantle_project needs actions: [bedrock-mantle:CreateInference] and no other action")
            if not self.regions:
                raise ValueError("mantle_project needs regions: the Regions the mantle endpoint is called in")
            if cris_checks.UNSPECIFIED_REGION in self.regions:
                raise ValueError("region 'unspecified' applies only to model targets")
            return self
        if MANTLE_ACTION_NAMES.intersection(self.actions):
            raise ValueError("bedrock-mantle:CreateInference applies only to mantle_project targets")
        if self.owner is not None and self.application_profiles is None:
            raise ValueError("owner applies only to application_profiles")
        if self.destinations is not None and self.profiles is None:
            raise ValueError("destinations applies only to profiles (for profiles outside the catalog)")
        if self.model is not None:
            if not self.regions:
                raise ValueError("model needs regions: the Regions the model is called in")
            if "GetInferenceProfile" in self.actions:
                raise ValueError("GetInferenceProfile is an action on a profile, not on a model")
            if cris_checks.UNSPECIFIED_REGION in self.regions and self.presented_profile is None and set(self.actions) - JOB_ACTION_NAMES:
                raise ValueError(
                    "region 'unspecified' (the Region-less model ARN) needs presented_profile for invoke actions"
                )
        elif self.regions is not None or self.presented_profile is not None:
            raise ValueError("regions and presented_profile apply only to model (regions also to mantle_project)")
        return self


class ConfigOverrides(_Model):
    """Field overrides per application name, and an ``organization_guardrail`` to add (or replace),
    applied to the configuration under test."""

    applications: dict[str, dict[str, Any]] = Field(default_factory=dict)
    organization_guardrail: dict[str, Any] | None = None

    @field_validator("organization_guardrail", mode="before")
    @classmethod
    def _guardrail_mapping(cls, value: Any) -> Any:
        if value is not None and not isinstance(value, dict):
            raise ValueError(f"{value!r} is not a mapping; write the configuration's organization_guardrail keys,"
                             " e.g. {management_account: \"999988887777\", target_ids: [ou-abcd-12345678]}")
        return value


class ScenarioFile(_Model):
    description: str | None = None
    config_overrides: ConfigOverrides | None = None
    # What-if SCPs (name -> policy document), e.g. a classic Region allow-list; scenarios opt in by name.
    service_control_policies: dict[str, dict[str, Any]] = Field(default_factory=dict)
    scenarios: Annotated[list[Scenario], Field(min_length=1)]

    @field_validator("service_control_policies", mode="before")
    @classmethod
    def _mapping(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            raise ValueError(f"{value!r} is not a mapping; write name: policy document, e.g."
                             " {my-scp: {Version: \"2012-10-17\", Statement: [...]}}")
        return value

    @field_validator("service_control_policies")
    @classmethod
    def _documents(cls, value: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        for name, document in value.items():
            if not isinstance(document.get("Statement"), list) or not document["Statement"]:
                raise ValueError(f"{name}: a policy document needs a non-empty Statement list")
        return value

    @model_validator(mode="after")
    def _known_scps(self) -> ScenarioFile:
        for s in self.scenarios:
            unknown = sorted(set(s.service_control_policies or ()) - set(self.service_control_policies))
            if unknown:
                raise ValueError(
                    f"scenario {s.name!r}: service_control_policies {unknown} are not defined in the file's"
                    f" service_control_policies ({sorted(self.service_control_policies) or 'none'}); define them"
                    " there or fix the names"
                )
        return self


class ScenarioError(Exception):
    """A scenario file is invalid or refers to something that does not exist; one line per problem."""


@dataclass(frozen=True)
class LoadedFile:
    path: Path
    content: ScenarioFile

    @property
    def label(self) -> str:
        return self.path.name


def load_scenario_file(path: Path | str) -> LoadedFile:
    file = Path(path)
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{file}: not valid YAML ({exc})") from None
    try:
        return LoadedFile(file, ScenarioFile.model_validate(data))
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"])
            where = _scenario_name(data, err["loc"])
            message = err["msg"].removeprefix("Value error, ")
            lines.append(f"{file}: {loc}{where}: {message}" if loc else f"{file}: {message}")
        raise ScenarioError("\n".join(lines)) from None


def _scenario_name(data: Any, loc: Sequence[Any]) -> str:
    try:
        if loc[0] == "scenarios" and isinstance(loc[1], int):
            return f" ({data['scenarios'][loc[1]].get('name', '?')!r})"
    except (IndexError, KeyError, TypeError, AttributeError):
        pass
    return ""


def load_scenario_dir(directory: Path | str) -> list[LoadedFile]:
    files = sorted(Path(directory).glob("*.yaml"))
    if not files:
        raise ScenarioError(f"{directory}: no *.yaml scenario files")
    return [load_scenario_file(f) for f in files]


def apply_overrides(config: Config, overrides: ConfigOverrides | None, catalog: Catalog) -> Config:
    if overrides is None or (not overrides.applications and overrides.organization_guardrail is None):
        return config
    data = config.model_dump(mode="python", exclude_none=True)
    if overrides.organization_guardrail is not None:
        data["organization_guardrail"] = dict(overrides.organization_guardrail)
    names = [a["name"] for a in data["applications"]]
    for name, fields in overrides.applications.items():
        if name not in names:
            raise ScenarioError(f"config_overrides: no application {name!r} in the configuration ({names})")
        data["applications"][names.index(name)].update(fields)
    try:
        return parse_config(data, catalog, origin="<config with scenario overrides>")
    except ConfigError as exc:
        raise ScenarioError(str(exc)) from None


# --- Templates -> effective policies ----------------------------------------------------------------


@dataclass(frozen=True)
class StackTemplate:
    name: str
    region: str
    template: Mapping[str, Any]
    stage: str | None = None  # the CDK Stage (account name) of a multi-account assembly; None at the root
    account: str | None = None  # None: environment-agnostic or unknown


def stacks_from_assembly(assembly: Any) -> list[StackTemplate]:
    """From an in-memory ``cx_api.CloudAssembly`` (``app.synth()``), stacks of nested Stages included."""
    stacks = []
    for s in assembly.stacks_recursively:
        stage = s.hierarchical_id.rsplit("/", 1)[0] if "/" in s.hierarchical_id else None
        account = s.environment.account if s.environment.account.isdigit() else None
        stacks.append(StackTemplate(s.stack_name, s.environment.region, s.template, stage=stage, account=account))
    return stacks


_S = TypeVar("_S", bound="_HasTemplate")


class _HasTemplate(Protocol):
    @property
    def template(self) -> Mapping[str, Any]: ...


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


def _is_scp(resource: Mapping[str, Any]) -> bool:
    return (resource.get("Type") == "AWS::Organizations::Policy"
            and (resource.get("Properties") or {}).get("Type") == "SERVICE_CONTROL_POLICY")


def holds_scp(template: Mapping[str, Any]) -> bool:
    """Whether a template holds an SCP (``AWS::Organizations::Policy`` of type ``SERVICE_CONTROL_POLICY``)."""
    return any(_is_scp(r) for r in (template.get("Resources") or {}).values())


def without_unbound_scps(config: Config, account_id: str | None, stacks: Iterable[_S]) -> list[_S]:
    """``stacks`` without those holding an SCP when ``config.organization_guardrail`` does not bind
    ``account_id`` (:func:`cris_guard.scp.guardrail_applies` is ``False``: the management account, or an
    account no account-ID target lists). When it cannot be decided offline (OU or root targets), the SCP
    is kept: assumed to apply. Without a configured guardrail every SCP found is kept, as before.
    ``config`` is the whole configuration (``for_account`` drops the guardrail)."""
    stacks = list(stacks)
    if config.organization_guardrail is None or scp.guardrail_applies(config, account_id) is not False:
        return stacks
    return [s for s in stacks if not holds_scp(s.template)]


def check_scenario_accounts(files: Sequence[LoadedFile], config: Config) -> None:
    """Every account a scenario names must be one of the configuration's accounts. (A single-account
    configuration has none; :func:`expand` refuses ``accounts`` there.)"""
    if config.accounts is None:
        return
    names = [t.name for t in config.accounts]
    for loaded in files:
        for s in loaded.content.scenarios:
            unknown = [name for name in s.accounts or () if name not in names]
            if unknown:
                raise ScenarioError(
                    f"{loaded.label}: scenario {s.name!r}: accounts: {unknown[0]!r} is not an account of the"
                    f" configuration; use one of {names}"
                )


def stacks_from_directory(directory: Path | str) -> list[StackTemplate]:
    """From a ``cdk.out`` directory, nested Stage assemblies included (:mod:`cris_guard.assembly`)."""
    from cris_guard.assembly import AssemblyError, read_assembly

    try:
        assembly = read_assembly(directory)
    except AssemblyError as exc:
        raise ScenarioError(str(exc)) from None
    return [StackTemplate(s.name, s.region or "unknown", s.template, stage=s.stage, account=s.account)
            for s in assembly.stacks]


class UnresolvableError(ValueError):
    """A template value uses an intrinsic function the scenario runner cannot evaluate offline."""


@dataclass
class ApplicationAccess:
    """What the templates give one application in one source Region."""

    application: str
    region: str
    stack: str
    role: str
    policies: dict[str, dict]
    application_profiles: dict[str, tuple[str, str]] = field(default_factory=dict)  # pid -> (id, arn)


Inventory = dict[tuple[str, str], ApplicationAccess]


def _fake_profile_id(stack: str, logical_id: str) -> str:
    # Application profile IDs are generated by Bedrock (observed: 12 lowercase alphanumerics, cris-facts §2.2).
    return hashlib.sha256(f"{stack}/{logical_id}".encode()).hexdigest()[:12]


def _tags(resource: Mapping[str, Any]) -> dict[str, Any]:
    tags = resource.get("Properties", {}).get("Tags") or []
    if isinstance(tags, dict):
        return dict(tags)
    return {t.get("Key"): t.get("Value") for t in tags if isinstance(t, dict)}


class _Resolver:
    def __init__(self, stack: StackTemplate, account: str, partition: str) -> None:
        self.pseudo = {
            "AWS::Partition": partition,
            "AWS::AccountId": account,
            "AWS::Region": stack.region,
            "AWS::URLSuffix": "amazonaws.com",
        }
        self.stack = stack
        self.refs: dict[str, str] = {}
        self.getatts: dict[tuple[str, str], str] = {}

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (key, arg), = value.items()
            if key == "Ref":
                if arg in self.pseudo:
                    return self.pseudo[arg]
                if arg in self.refs:
                    return self.refs[arg]
                raise UnresolvableError(f"{self.stack.name}: cannot resolve Ref {arg!r} offline")
            if key == "Fn::GetAtt":
                target = tuple(arg if isinstance(arg, list) else str(arg).split(".", 1))
                if target in self.getatts:
                    return self.getatts[target]
                raise UnresolvableError(f"{self.stack.name}: cannot resolve Fn::GetAtt {list(target)} offline")
            if key == "Fn::Join":
                separator, parts = arg
                resolved = [self.resolve(p) for p in parts]
                if not all(isinstance(p, str) for p in resolved):
                    raise UnresolvableError(f"{self.stack.name}: Fn::Join of non-strings {resolved!r}")
                return separator.join(resolved)
            if key == "Fn::Sub":
                template, variables = (arg, {}) if isinstance(arg, str) else (arg[0], self.resolve(arg[1]))
                return re.sub(r"\$\{([^}!][^}]*)\}", lambda m: self._sub_variable(m.group(1), variables), template)
            if key.startswith("Fn::") or key == "Condition":
                raise UnresolvableError(f"{self.stack.name}: {key} is not supported by the scenario runner")
        return {k: self.resolve(v) for k, v in value.items()}

    def _sub_variable(self, name: str, variables: Mapping[str, Any]) -> str:
        if name in variables:
            return variables[name]
        if "." in name:
            return self.resolve({"Fn::GetAtt": name.split(".", 1)})
        return self.resolve({"Ref": name})


def extract_access(
    stacks: Iterable[StackTemplate], *, account: str = DEFAULT_ACCOUNT, partition: str = EVALUATION_PARTITION
) -> Inventory:
    """Every application's role, effective policies and application profiles, per source Region."""
    inventory: Inventory = {}
    for stack in stacks:
        resources: Mapping[str, Mapping[str, Any]] = stack.template.get("Resources", {})
        resolver = _Resolver(stack, account, partition)
        profiles_by_app: dict[str, dict[str, tuple[str, str]]] = defaultdict(dict)
        for logical_id, resource in resources.items():
            if resource.get("Type") != "AWS::Bedrock::ApplicationInferenceProfile":
                continue
            profile_id = _fake_profile_id(stack.name, logical_id)
            arn = cris_checks.application_inference_profile_arn(
                partition=partition, region=stack.region, account=account, profile_id=profile_id
            )
            resolver.refs[logical_id] = arn
            resolver.getatts[(logical_id, "InferenceProfileArn")] = arn
            resolver.getatts[(logical_id, "InferenceProfileIdentifier")] = arn
            resolver.getatts[(logical_id, "InferenceProfileId")] = profile_id
            owner = _tags(resource).get(APPLICATION_TAG_KEY)
            copy_from = resolver.resolve(resource["Properties"].get("ModelSource", {}).get("CopyFrom", ""))
            marker = f":{stack.region}:{account}:inference-profile/"
            if owner and isinstance(copy_from, str) and marker in copy_from:
                profiles_by_app[owner][copy_from.split(marker, 1)[1]] = (profile_id, arn)
        for logical_id, resource in resources.items():
            if resource.get("Type") != "AWS::IAM::Role":
                continue
            application = _tags(resource).get(APPLICATION_TAG_KEY)
            if not application:
                continue
            key = (application, stack.region)
            if key in inventory:
                raise ScenarioError(
                    f"application {application!r} has two roles in {stack.region}"
                    f" ({inventory[key].stack}/{inventory[key].role} and {stack.name}/{logical_id})"
                )
            inventory[key] = ApplicationAccess(
                application=application,
                region=stack.region,
                stack=stack.name,
                role=logical_id,
                policies=_attached_policies(resolver, resources, logical_id),
                application_profiles=dict(profiles_by_app.get(application, {})),
            )
    return inventory


# How SCPs are named in reports ("scp/<name>#<Sid>"), apart from identity policies.
SCP_LABEL_PREFIX = "scp/"


def extract_service_control_policies(
    stacks: Iterable[StackTemplate], *, account: str = DEFAULT_ACCOUNT, partition: str = EVALUATION_PARTITION
) -> dict[str, dict]:
    """Every SCP in the templates (``AWS::Organizations::Policy``, type ``SERVICE_CONTROL_POLICY``), by
    ``scp/<Name>``, with ``AWS::Partition``-style references resolved as for the identity policies.

    All of them apply to every scenario of these templates. Stacks holding an SCP that does not bind the
    account (the management account; an account the account-ID targets leave out) are removed before,
    by :func:`without_unbound_scps` (in :func:`per_account` and :func:`prepare`).
    """
    found: dict[str, dict] = {}
    for stack in stacks:
        resolver = _Resolver(stack, account, partition)
        for logical_id, resource in stack.template.get("Resources", {}).items():
            if not _is_scp(resource):
                continue
            props = resource["Properties"]
            name = f"{SCP_LABEL_PREFIX}{resolver.resolve(props.get('Name', logical_id))}"
            content = resolver.resolve(props["Content"])
            if isinstance(content, str):  # Content may also be given as a JSON string
                content = json.loads(content)
            if name in found:
                raise ScenarioError(f"{stack.name}/{logical_id}: a second SCP named {name!r} in the templates")
            found[name] = content
    return found


def _policy_name(stack: str, logical_id: str, resource: Mapping[str, Any]) -> str:
    """A readable name for reports: the name EuInvokeAccess records (``claims-assistant/Policy1``),
    else the construct path when CDK recorded it, else the logical ID."""
    metadata = resource.get("Metadata") or {}
    name = metadata.get(POLICY_NAME_METADATA_KEY)
    if isinstance(name, str):
        return name
    path = metadata.get("aws:cdk:path")
    if isinstance(path, str):
        return path.removeprefix(f"{stack}/").removesuffix("/Resource")
    return logical_id


def _attached_policies(resolver: _Resolver, resources: Mapping[str, Mapping[str, Any]], role: str) -> dict[str, dict]:
    ref = {"Ref": role}
    policies: dict[str, dict] = {}
    stack = resolver.stack.name
    role_props = resources[role].get("Properties", {})
    for index, inline in enumerate(role_props.get("Policies") or []):
        policies[f"{_policy_name(stack, role, resources[role])}.Policies[{index}]"] = resolver.resolve(inline["PolicyDocument"])
    for logical_id, resource in resources.items():
        kind = resource.get("Type")
        if kind in ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy") and ref in (
            resource.get("Properties", {}).get("Roles") or []
        ):
            policies[_policy_name(stack, logical_id, resource)] = resolver.resolve(resource["Properties"]["PolicyDocument"])
    for arn in role_props.get("ManagedPolicyArns") or []:
        if isinstance(arn, dict) and set(arn) == {"Ref"} and arn["Ref"] in resources:
            target = resources[arn["Ref"]]
            policies.setdefault(_policy_name(stack, arn["Ref"], target), resolver.resolve(target["Properties"]["PolicyDocument"]))
        else:
            raise ScenarioError(
                f"{resolver.stack.name}/{role}: managed policy {resolver.resolve(arn)!r} is not in the template;"
                " the runner cannot evaluate policies it cannot read"
            )
    return policies


# --- Scenarios -> calls -> checks --------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One call (or single check) a scenario expects something of."""

    file: str
    scenario: Scenario
    application: str
    region: str
    action: str
    target: str
    variant: str | None
    checks: tuple[Request, ...]
    problem: str | None = None  # set when the case cannot be built (e.g. a missing application profile)
    # Every SCP in effect for the call (name -> document): the templates' and the scenario's what-ifs.
    service_control_policies: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def describe(self) -> str:
        variant = f" [{self.variant}]" if self.variant else ""
        return f"{self.application} in {self.region}: {self.action} {self.target}{variant}"


def _principal(config: Config, application: str, region: str, account: str) -> str:
    return f"arn:aws:sts::{account}:assumed-role/{config.name}-{application}-{region}/scenario"


def _model_of(profile_id: str, catalog: Catalog) -> str:
    profile = catalog.get(profile_id)
    return profile.model_id if profile else profile_id.split(".", 1)[1]


def expand(
    loaded: LoadedFile,
    config: Config,
    catalog: Catalog,
    inventory: Inventory,
    *,
    account: str = DEFAULT_ACCOUNT,
    partition: str = EVALUATION_PARTITION,
    service_control_policies: Mapping[str, Mapping[str, Any]] | None = None,
    stage: str | None = None,
) -> list[Case]:
    """Every call each scenario of ``loaded`` describes, with the checks Bedrock would make for it.

    ``service_control_policies`` are the templates' SCPs (:func:`extract_service_control_policies`);
    each case also gets the what-if SCPs its scenario names. ``stage`` is the account (Stage) name when
    ``config`` is one account of a multi-account configuration; scenarios limited to other accounts
    are skipped."""
    apps = {a.name: a for a in config.applications}
    cases: list[Case] = []
    for s in loaded.content.scenarios:
        where = f"{loaded.label}: scenario {s.name!r}"
        if s.accounts is not None:
            if stage is None:
                raise ScenarioError(f"{where}: accounts is set, but the configuration has no accounts; remove it")
            if stage not in s.accounts:
                continue
        scps = {**(service_control_policies or {}),
                **{f"{SCP_LABEL_PREFIX}{n}": loaded.content.service_control_policies[n]
                   for n in s.service_control_policies or ()}}
        for name in [*s.applications(config), s.owner]:
            if name is not None and name not in apps:
                raise ScenarioError(f"{where}: no application {name!r} in the configuration ({sorted(apps)})")
        regions = s.source_regions or list(config.source_regions)
        for region in regions:
            if region not in config.source_regions:
                raise ScenarioError(f"{where}: {region!r} is not a source Region of the configuration")
        for application in s.applications(config):
            for region in regions:
                for action_name in s.actions:
                    call = _Call(loaded.label, s, application, region, action_name,
                                 s.principal or _principal(config, application, region, account), account,
                                 partition, where, scps)
                    if s.bearer_token:
                        cases.append(call.case("a Bedrock API key call", cris_checks.bearer_token_checks(
                            action=call.action, region=region, principal=call.principal)))
                    elif s.responses_project is not None:
                        cases.append(call.case(f"Responses API project {s.responses_project}",
                                               cris_checks.responses_project_checks(
                                                   action=call.action, partition=partition, account=account,
                                                   region=region, principal=call.principal)))
                    elif s.guardrail is not None and s.profiles is None:
                        cases.append(call.case(f"guardrail {s.guardrail}", _guardrail_checks(call, catalog)))
                    elif s.profiles is not None:
                        cases.extend(_profile_cases(call, catalog))
                    elif s.application_profiles is not None:
                        enforced = apps[application].require_application_profiles
                        cases.extend(_application_profile_cases(call, catalog, inventory, enforced))
                    elif s.mantle_project is not None:
                        cases.extend(_mantle_cases(call))
                    else:
                        cases.extend(_model_cases(call))
    return cases


@dataclass(frozen=True)
class _Call:
    file: str
    scenario: Scenario
    application: str
    region: str
    action_name: str
    principal: str
    account: str
    partition: str
    where: str
    service_control_policies: Mapping[str, Mapping[str, Any]]

    @property
    def action(self) -> str:
        return ACTIONS[self.action_name]

    def case(self, target: str, checks: Sequence[Request], variant: str | None = None, problem: str | None = None) -> Case:
        return Case(self.file, self.scenario, self.application, self.region, self.action_name, target, variant,
                    tuple(checks), problem, self.service_control_policies)


def _profile_cases(call: _Call, catalog: Catalog) -> list[Case]:
    s = call.scenario
    extra: list[Request] = []
    what = ""
    if s.api == "responses":
        extra += cris_checks.responses_project_checks(action="bedrock:InvokeModel", partition=call.partition,
                                                      account=call.account, region=call.region, principal=call.principal)
        what += " (Responses API)"
    if s.guardrail is not None:
        extra += _guardrail_checks(call, catalog)
        what += f" with guardrail {s.guardrail.rsplit('/', 1)[-1]}" + (f" ({s.guardrail_profile})" if s.guardrail_profile else "")
    return [
        call.case(f"profile {pid}{what}", [*_profile_call(s, pid, call.region, call.action, call.principal, catalog,
                                                          call.account, call.partition, call.where), *extra])
        for pid in s.profiles or ()
    ]


def _guardrail_checks(call: _Call, catalog: Catalog) -> list[Request]:
    s = call.scenario
    parts = guardrail_arn_parts(s.guardrail or "")
    if parts is None:
        raise ScenarioError(f"{call.where}: guardrail {s.guardrail!r} is not a guardrail ARN"
                            " (arn:aws:bedrock:<region>:<account>:guardrail/<id>)")
    if parts["region"] != call.region:
        raise ScenarioError(f"{call.where}: guardrail {s.guardrail!r} is in {parts['region']}, but the call is from"
                            f" {call.region}; guardrails are regional: set source_regions: [{parts['region']}]")
    profile = catalog.guardrail_profile(s.guardrail_profile) if s.guardrail_profile else None
    destinations = profile.destinations(call.region) if profile else (call.region,)
    if s.guardrail_profile and profile is not None and not destinations:
        raise ScenarioError(f"{call.where}: {s.guardrail_profile} has no route from {call.region}")
    return cris_checks.guardrail_checks(partition=call.partition, guardrail_arn=s.guardrail,
                                        source_region=call.region, profile_id=s.guardrail_profile,
                                        destinations=destinations, principal=call.principal)


def _application_profile_cases(call: _Call, catalog: Catalog, inventory: Inventory, enforced: bool) -> list[Case]:
    owner = call.scenario.owner or call.application
    access = inventory.get((owner, call.region))
    cases = []
    for pid in call.scenario.application_profiles or ():
        target = f"application profile of {owner} for {pid}"
        found = access.application_profiles.get(pid) if access else None
        if found is None:
            problem = f"no application profile of {owner!r} for {pid} in {call.region} in the synthesized templates"
            cases.append(call.case(target, (), problem=problem))
            continue
        profile_id, app_arn = found
        # GetInferenceProfile is authorized on the profile alone: no routing, no variants.
        variants = [None] if call.action_name == "GetInferenceProfile" else variants_for(enforced)
        for variant in variants:
            checks = _application_profile_call(pid, profile_id, app_arn, call.region, call.action, call.principal,
                                               variant, catalog, call.account, call.partition, call.where)
            cases.append(call.case(target, checks, variant.name if variant else None))
    return cases


def _mantle_cases(call: _Call) -> list[Case]:
    s = call.scenario
    return [
        call.case(f"mantle project {s.mantle_project} in {region}",
                  cris_checks.mantle_inference_checks(partition=call.partition, account=call.account, region=region,
                                                      project_id=s.mantle_project, principal=call.principal))
        for region in s.regions or ()
    ]


def _model_cases(call: _Call) -> list[Case]:
    s = call.scenario
    cases = []
    for model_region in s.regions or ():
        regionless = model_region == cris_checks.UNSPECIFIED_REGION
        shown = "the Region-less model ARN" if regionless else model_region
        if s.presented_profile is None:
            checks = cris_checks.direct_model_call_checks(
                action=call.action, partition=call.partition, region=model_region, model_id=s.model,
                principal=call.principal)
            cases.append(call.case(f"model {s.model} directly in {shown}", checks))
            continue
        # The single model check a call through presented_profile (from the source Region) would make.
        presented = cris_checks.inference_profile_arn(
            partition=call.partition, region=call.region, account=call.account, profile_id=s.presented_profile)
        check = Request(
            principal=call.principal,
            action=call.action,
            resource=cris_checks.foundation_model_arn(
                partition=call.partition, region="" if regionless else model_region, model_id=s.model),
            context={cris_checks.REQUESTED_REGION_KEY: model_region, cris_checks.INFERENCE_PROFILE_ARN_KEY: presented},
        )
        cases.append(call.case(f"model {s.model} in {shown} as presented by {s.presented_profile}", [check]))
    return cases


def _profile_call(s, pid, region, action, principal, catalog, account, partition, where) -> list[Request]:
    if s.destinations is not None:
        destinations = list(s.destinations)
    elif catalog.get(pid) is not None:
        destinations = list(catalog.destinations(pid, region))
        if not destinations:
            raise ScenarioError(f"{where}: {pid} has no route from {region}; pick another profile or give destinations")
    else:
        # Outside the catalog (another geography, global.): the source-Region model check, plus for
        # global. the Region-less one (cris_checks adds it).
        destinations = [region]
    return cris_checks.profile_call_checks(
        action=action, partition=partition, account=account, source_region=region, profile_id=pid,
        model_id=_model_of(pid, catalog), destinations=destinations, principal=principal)


def _application_profile_call(pid, profile_id, app_arn, region, action, principal, variant, catalog, account,
                              partition, where) -> list[Request]:
    system_arn = cris_checks.inference_profile_arn(partition=partition, region=region, account=account, profile_id=pid)
    presented = app_arn if variant is None or variant.presents == "application" else system_arn
    destinations = list(catalog.destinations(pid, region))
    if not destinations:
        raise ScenarioError(f"{where}: {pid} has no route from {region}")
    checks = cris_checks.application_profile_call_checks(
        action=action, partition=partition, account=account, source_region=region,
        application_profile_id=profile_id, system_profile_id=pid, model_id=_model_of(pid, catalog),
        destinations=destinations, presented_profile_arn=presented, principal=principal)
    if variant is not None and variant.system_profile_check != "none":
        context = {cris_checks.REQUESTED_REGION_KEY: region}
        if variant.system_profile_check == "with-key":
            context[cris_checks.INFERENCE_PROFILE_ARN_KEY] = presented
        checks.insert(1, Request(principal=principal, action=action, resource=system_arn, context=context))
    return checks


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
                                     extract_service_control_policies(stacks, account=acct))
        entry = prepared[key]
        entry.cases.extend(expand(loaded, file_config, catalog, entry.inventory, account=acct,
                                  service_control_policies=entry.service_control_policies, stage=stage))
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
    config: Config, catalog: Catalog, *, account: str = DEFAULT_ACCOUNT, outdir: str | None = None
) -> list[StackTemplate]:
    """The templates ``make synth`` produces for ``config`` (``app_builder.build_app``, cdk-nag packs
    included). With ``outdir`` the cloud assembly is kept there; otherwise a temporary directory is used."""
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    from cris_guard.app_builder import build_app

    def build(directory: str) -> list[StackTemplate]:
        assembly = build_app(config, catalog, outdir=directory, default_account=account).synth()
        return [StackTemplate(s.name, s.region, copy.deepcopy(dict(s.template))) for s in stacks_from_assembly(assembly)]

    if outdir is not None:
        return build(outdir)
    with tempfile.TemporaryDirectory(prefix="cris-guard-scenarios-") as directory:
        return build(directory)


def command(
    *, config_path: Path | None = None, scenario_dir: Path = DEFAULT_SCENARIO_DIR, assembly: Path | None = None,
    verbose: bool = False,
) -> int:
    """``cris-guard scenarios``: evaluate the access scenarios; 0 all held, 1 one failed, 2 bad input."""
    try:
        config, catalog = load_project(config_path)
        files = load_scenario_dir(scenario_dir)
        check_scenario_accounts(files, config)
        # Files with config_overrides need a synthesis of their own: only the single-account run without
        # --assembly makes one. Otherwise (a given cdk.out, or one synthesis for every account) they are
        # skipped here and left to pytest.
        if config.multi_account or assembly is not None:
            skipped = [f.label for f in files if f.content.config_overrides is not None]
            files = [f for f in files if f.content.config_overrides is None]
        else:
            skipped = []
        reports: list[tuple[str, Report]] = []
        if config.multi_account:
            # Each account's stacks are evaluated with its own configuration.
            stacks = (stacks_from_directory(assembly) if assembly is not None
                      else synthesize(config, catalog))
            for entry in per_account(config, stacks):
                account = entry.config.account or DEFAULT_ACCOUNT
                report = run(files, entry.config, catalog, lambda _config, _s=entry.stacks: _s,
                             account=account, stage=entry.stage)
                reports.append((f"account {entry.stage} ({account})", report))
        else:
            account = config.account or DEFAULT_ACCOUNT
            if assembly is not None:
                stacks = stacks_from_directory(assembly)
                report = run(files, config, catalog, lambda _config: stacks, account=account)
            else:
                report = run(files, config, catalog, lambda c: synthesize(c, catalog, account=account), account=account)
            reports.append((f"account {account}", report))
    except (ConfigError, ScenarioError, UnresolvableError) as exc:
        for line in str(exc).splitlines():
            print(f"cris-guard: {line}", file=sys.stderr)
        return 2
    header = [
        f"cris-guard access scenarios: {scenario_dir} against {config_path or 'config/default.yaml'}"
        f" (partition {EVALUATION_PARTITION})",
        "evaluator: @cloud-copilot/iam-simulate (AGPL-3.0-or-later, run as a separate Node process)",
        *([f"skipped (need their own synthesis, not --assembly): {', '.join(skipped)}"] if skipped else []),
    ]
    print("\n".join(header))
    for title, report in reports:
        report.header = ["", f"== {title} =="] if config.multi_account else [f"({title})", ""]
        print(report.render(verbose=verbose))
    return 0 if all(report.passed for _, report in reports) else 1


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m cris_guard.scenarios``: an alias of ``cris-guard scenarios`` (kept for one release)."""
    from cris_guard.cli import main as cli_main

    return cli_main(["scenarios", *(sys.argv[1:] if argv is None else argv)])

if __name__ == "__main__":
    sys.exit(main())
