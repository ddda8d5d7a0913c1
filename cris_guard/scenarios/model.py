"""The scenario file format (``scenarios/*.yaml``, docs/iam.md) and its loading.

The pydantic models a file is validated with (:class:`ScenarioFile`, :class:`Scenario`,
:class:`ConfigOverrides`), the actions a scenario may name, the loaders that turn a file or a
directory into :class:`LoadedFile` objects (one :class:`ScenarioError` line per problem), and the
configuration a file's ``config_overrides`` produce. Also the defaults every other module of
:mod:`cris_guard.scenarios` shares (the scenario directory, account and partition).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from cris_guard import cris_checks
from cris_guard.catalog import Catalog
from cris_guard.config import Config, ConfigError, parse_config

REPO_ROOT = Path(__file__).resolve().parent.parent.parent  # this file is cris_guard/scenarios/model.py
DEFAULT_SCENARIO_DIR = REPO_ROOT / "scenarios"
# Templates use AWS::AccountId; scenarios resolve it to the configuration's account or this one.
DEFAULT_ACCOUNT = "111122223333"
EVALUATION_PARTITION = "aws"

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
# The actions a bedrock-runtime endpoint serves that scenarios can name (via_endpoint): GetInferenceProfile
# and the job actions are control-plane (`bedrock` endpoint) calls, mantle has its own endpoint.
RUNTIME_ENDPOINT_ACTION_NAMES = frozenset({"InvokeModel", "InvokeModelWithResponseStream", "ApplyGuardrail"})
_PRINCIPAL = re.compile(r"^arn:aws(-[a-z]+)*:(iam|sts)::[0-9]{12}:(role|user|assumed-role)/[\w+=,.@/-]+$")
Expectation = Literal["allow", "deny", "explicit-deny"]


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
    # The calls go through the source Region's bedrock-runtime interface endpoint of the templates: the
    # request carries aws:SourceVpc (the endpoint's VPC) and aws:SourceVpce (extract.SOURCE_VPCE_PLACEHOLDER),
    # and the endpoint's policy is a layer of the evaluation (expand._through_endpoint says for which checks).
    # false: the call comes from outside any VPC endpoint (neither key, no endpoint layer).
    via_endpoint: bool = False

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
        if self.guardrail_profile is not None and self.guardrail is None:
            raise ValueError("guardrail_profile needs guardrail")
        if self.via_endpoint:
            if not actions <= RUNTIME_ENDPOINT_ACTION_NAMES:
                raise ValueError(
                    f"via_endpoint (the bedrock-runtime endpoint) supports the actions {sorted(RUNTIME_ENDPOINT_ACTION_NAMES)},"
                    f" not {sorted(actions - RUNTIME_ENDPOINT_ACTION_NAMES)}"
                )
            if self.presented_profile is not None:
                raise ValueError("via_endpoint applies to the call the caller makes (profiles, application_profiles,"
                                 " guardrail or a direct model call), not to presented_profile's single routed check")
        if target in special:
            return self
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
