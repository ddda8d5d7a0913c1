"""What the synthesized templates give each application: reading stacks and their policies.

Stacks come from a ``cdk.out`` directory (:mod:`cris_guard.assembly`) or an in-memory assembly as
:class:`StackTemplate` objects. :func:`extract_access` finds every role tagged ``cris-guard:application``
with the identity policies attached to it (template values resolved offline by :class:`_Resolver`) and
the application profiles it owns; :func:`extract_service_control_policies` finds the SCPs, and
:func:`without_unbound_scps` drops them for an account the configured guardrail does not bind;
:func:`extract_vpc_endpoints` finds the bedrock-runtime interface endpoints and their endpoint policies,
which scenarios with ``via_endpoint: true`` go through.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

from cris_guard import cris_checks, scp
from cris_guard.config import Config
from cris_guard.cost import APPLICATION_TAG_KEY
from cris_guard.scenarios.model import DEFAULT_ACCOUNT, EVALUATION_PARTITION, ScenarioError

# Set by EuInvokeAccess on each managed policy (eu_invoke_access.POLICY_NAME_METADATA_KEY; repeated here
# so that reading templates needs no CDK import).
POLICY_NAME_METADATA_KEY = "cris-guard:policy-name"
# The ID every bedrock-runtime endpoint of the templates stands for in scenarios: the request context's
# aws:SourceVpce, and the endpoint's Ref / Fn::GetAtt Id in any policy that names it. A real endpoint ID is
# only known after deployment; this one has the shape AWS gives them (vpce- and 17 hex digits) and belongs
# to nobody.
SOURCE_VPCE_PLACEHOLDER = "vpce-0123456789abcdef0"
# How endpoint policies are named in reports ("vpce/<endpoint>#<Sid>"), apart from identity policies and SCPs.
VPCE_LABEL_PREFIX = "vpce/"
RUNTIME_SERVICE = "bedrock-runtime"
# What AWS attaches to an endpoint created without a policy (AWS PrivateLink guide, "Control access to VPC
# endpoints using endpoint policies": "If you don't attach an endpoint policy, we attach the default endpoint
# policy", which "grants full access to the endpoint"; its document, with the Version IAM evaluation needs).
DEFAULT_ENDPOINT_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}],
}


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


def template_tags(resource: Mapping[str, Any]) -> dict[str, Any]:
    """A template resource's tags as a mapping, whichever form its type uses (a list of Key/Value, or a map)."""
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


def _stack_resolver(
    stack: StackTemplate, account: str, partition: str
) -> tuple[_Resolver, dict[str, dict[str, tuple[str, str]]]]:
    """A resolver for ``stack`` that knows its application profiles' synthetic IDs and ARNs and its
    bedrock-runtime endpoints' placeholder ID, and each application's profiles (owner -> system profile ID ->
    (profile ID, ARN))."""
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
        owner = template_tags(resource).get(APPLICATION_TAG_KEY)
        copy_from = resolver.resolve(resource["Properties"].get("ModelSource", {}).get("CopyFrom", ""))
        marker = f":{stack.region}:{account}:inference-profile/"
        if owner and isinstance(copy_from, str) and marker in copy_from:
            profiles_by_app[owner][copy_from.split(marker, 1)[1]] = (profile_id, arn)
    for logical_id, resource in resources.items():
        if _is_runtime_endpoint(resolver, resource):
            resolver.refs[logical_id] = SOURCE_VPCE_PLACEHOLDER
            resolver.getatts[(logical_id, "Id")] = SOURCE_VPCE_PLACEHOLDER
    return resolver, profiles_by_app


def extract_access(
    stacks: Iterable[StackTemplate], *, account: str = DEFAULT_ACCOUNT, partition: str = EVALUATION_PARTITION
) -> Inventory:
    """Every application's role, effective policies and application profiles, per source Region."""
    inventory: Inventory = {}
    for stack in stacks:
        resources: Mapping[str, Mapping[str, Any]] = stack.template.get("Resources", {})
        resolver, profiles_by_app = _stack_resolver(stack, account, partition)
        for logical_id, resource in resources.items():
            if resource.get("Type") != "AWS::IAM::Role":
                continue
            application = template_tags(resource).get(APPLICATION_TAG_KEY)
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


# --- VPC endpoints -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VpcEndpoint:
    """A bedrock-runtime interface endpoint of the templates, with its endpoint policy resolved.

    ``name`` is how reports name its policy (``vpce/<construct path or logical ID>``); ``vpc_id`` is the
    request context's ``aws:SourceVpc`` for calls through it, and :data:`SOURCE_VPCE_PLACEHOLDER` its
    ``aws:SourceVpce``."""

    name: str
    region: str
    stack: str
    logical_id: str
    vpc_id: str
    policy: Mapping[str, Any]


def _is_runtime_endpoint(resolver: _Resolver, resource: Mapping[str, Any]) -> bool:
    """Whether ``resource`` is an ``AWS::EC2::VPCEndpoint`` for bedrock-runtime in its stack's Region."""
    if resource.get("Type") != "AWS::EC2::VPCEndpoint":
        return False
    try:
        service = resolver.resolve((resource.get("Properties") or {}).get("ServiceName"))
    except UnresolvableError:
        return False
    return service == f"com.amazonaws.{resolver.stack.region}.{RUNTIME_SERVICE}"


def extract_vpc_endpoints(
    stacks: Iterable[StackTemplate], *, account: str = DEFAULT_ACCOUNT, partition: str = EVALUATION_PARTITION
) -> dict[str, list[VpcEndpoint]]:
    """Every bedrock-runtime interface endpoint (``AWS::EC2::VPCEndpoint`` whose ``ServiceName`` is
    ``com.amazonaws.<the stack's Region>.bedrock-runtime``), by Region, with its ``PolicyDocument`` resolved
    as the role policies are (``Fn::Sub`` of pseudo parameters, ``Fn::GetAtt`` of the stack's application
    profiles). An endpoint without a policy has AWS's default one, full access
    (:data:`DEFAULT_ENDPOINT_POLICY`). Endpoints of other services are ignored."""
    found: dict[str, list[VpcEndpoint]] = defaultdict(list)
    for stack in stacks:
        resolver, _ = _stack_resolver(stack, account, partition)
        for logical_id, resource in (stack.template.get("Resources") or {}).items():
            if not _is_runtime_endpoint(resolver, resource):
                continue
            where = f"{stack.name}/{logical_id}"
            props = resource.get("Properties") or {}
            if props.get("VpcEndpointType") != "Interface":
                raise ScenarioError(f"{where}: a bedrock-runtime endpoint must be VpcEndpointType Interface"
                                    f" (got {props.get('VpcEndpointType')!r}; CloudFormation's default is Gateway)")
            vpc_id = resolver.resolve(props.get("VpcId"))
            if not isinstance(vpc_id, str) or not vpc_id.startswith("vpc-"):
                raise ScenarioError(f"{where}: VpcId {vpc_id!r} is not a VPC ID; scenarios need it as aws:SourceVpc")
            policy = resolver.resolve(props["PolicyDocument"]) if "PolicyDocument" in props else DEFAULT_ENDPOINT_POLICY
            if isinstance(policy, str):  # PolicyDocument may also be given as a JSON string
                policy = json.loads(policy)
            name = f"{VPCE_LABEL_PREFIX}{_policy_name(stack.name, logical_id, resource)}"
            found[stack.region].append(VpcEndpoint(name, stack.region, stack.name, logical_id, vpc_id, policy))
    return dict(found)


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
