"""Scenarios -> calls -> checks: every call a scenario describes, with the authorization checks Bedrock makes.

:func:`expand` turns each scenario of a loaded file into :class:`Case` objects, one per (application,
source Region, action, target[, variant]), each holding the requests :mod:`cris_guard.cris_checks`
says Bedrock authorizes for that call. Calls through an application profile are expanded once per
answer to the UNCONFIRMED questions about them (:data:`APPLICATION_PROFILE_VARIANTS`), and calls through
a VPC endpoint (``via_endpoint``) once per answer to those about the routed checks (:data:`ENDPOINT_VARIANTS`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from cris_guard import cris_checks
from cris_guard.assembly import model_of
from cris_guard.catalog import Catalog
from cris_guard.config import Config
from cris_guard.iam_policy import guardrail_arn_parts
from cris_guard.policy_eval import Request
from cris_guard.scenarios.extract import SCP_LABEL_PREFIX, SOURCE_VPCE_PLACEHOLDER, Inventory, VpcEndpoint
from cris_guard.scenarios.model import (
    ACTIONS,
    DEFAULT_ACCOUNT,
    EVALUATION_PARTITION,
    LoadedFile,
    Scenario,
    ScenarioError,
)

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


# --- Calls through a VPC endpoint (via_endpoint) -------------------------------------------------------
#
# A call with `via_endpoint: true` is made through the source Region's bedrock-runtime interface endpoint
# (extract.extract_vpc_endpoints). The endpoint receives the request, so the checks of the source Region that
# are not routed -- the first check (the resource the caller named: profile, application profile, guardrail,
# or a model called directly), the UNCONFIRMED system-profile check of an application-profile call, the
# guardrail, the Responses API project -- carry aws:SourceVpc (the endpoint's VpcId) and aws:SourceVpce
# (SOURCE_VPCE_PLACEHOLDER), and are evaluated with the endpoint's policy as the VPC endpoint layer.
#
# The routed checks -- the foundation model in each destination Region, global CRIS's Region-less model ARN,
# a guardrail profile in each destination Region -- are authorizations Bedrock makes on the caller's behalf
# after it has accepted the request, and two things about them are UNCONFIRMED (no AWS documentation found):
# whether AWS evaluates the source Region's endpoint policy for them, and whether their request context still
# carries aws:SourceVpc/aws:SourceVpce.
#
# Evaluating the endpoint policy there too is the stricter choice for `allow`: an endpoint policy can only
# take permissions away (a request must be allowed by it *and* by the identity policies), so a call allowed
# with the endpoint layer on every check is also allowed with it on fewer. But that alone proves an `allow`
# only if nothing that can match a routed check reads the network keys, because for the keys no answer is
# stricter in general: without aws:SourceVpc a StringNotEquals deny (a network fence) matches and a
# StringEquals allow fails; with it, a StringEquals deny can match. And for `deny` the endpoint layer on the
# routed checks is the laxer choice: a call can be denied only because the endpoint policy refuses a routed
# check that, in AWS, it may never see.
#
# So a call through an endpoint is evaluated under both coherent answers (ENDPOINT_VARIANTS, like the
# application-profile variants): the routed checks with the endpoint layer and the network keys, and the
# routed checks with neither; every expectation must hold under both. Then:
# - an `allow` that holds, holds in AWS whichever the answers are (also mixed: the layer without the keys,
#   or the keys without the layer), provided the endpoint policy itself does not read aws:SourceVpc or
#   aws:SourceVpce (cris-guard's does not);
# - `explicit-deny` judges the first check, which the endpoint always sees: the same under every answer;
# - a `deny` that holds, holds under both coherent answers; under a mixed one only if the check it fails at
#   is one the endpoint always sees (the report names that check).
# A call without routed checks (a direct model call, ApplyGuardrail without a guardrail profile) has one case.


@dataclass(frozen=True)
class EndpointVariant:
    """One answer to the open questions about the routed checks of a call through a VPC endpoint: whether they
    are evaluated with the source Region's endpoint policy and carry ``aws:SourceVpc``/``aws:SourceVpce``."""

    name: str
    routed_checks_through_endpoint: bool


ENDPOINT_VARIANTS: tuple[EndpointVariant, ...] = (
    EndpointVariant("routed-checks-via-endpoint", True),
    EndpointVariant("routed-checks-without-endpoint", False),
)
SOURCE_VPC_KEY = "aws:SourceVpc"
SOURCE_VPCE_KEY = "aws:SourceVpce"


def is_routed_check(request: Request) -> bool:
    """A check Bedrock makes in a destination Region (or Region-less) for a routed call: on a foundation model
    or a guardrail profile. (A model the caller calls directly is its call's first check, never routed.)"""
    return ":foundation-model/" in request.resource or ":guardrail-profile/" in request.resource


def through_endpoint(request: Request, endpoint: VpcEndpoint) -> Request:
    """``request`` as the endpoint forwards it: with the network keys and the endpoint policy as a layer."""
    context = {**request.context, SOURCE_VPC_KEY: endpoint.vpc_id, SOURCE_VPCE_KEY: SOURCE_VPCE_PLACEHOLDER}
    return dataclasses.replace(request, context=context,
                               vpc_endpoint_policies={**request.vpc_endpoint_policies, endpoint.name: endpoint.policy})


def _through_endpoint(case: Case, endpoint: VpcEndpoint) -> list[Case]:
    """The cases of one call made through ``endpoint``: one per :data:`ENDPOINT_VARIANTS` when it has routed
    checks, else one."""
    if case.problem is not None:
        return [dataclasses.replace(case, endpoint=endpoint.name)]
    routed = [index > 0 and is_routed_check(r) for index, r in enumerate(case.checks)]
    variants: Sequence[EndpointVariant | None] = ENDPOINT_VARIANTS if any(routed) else (None,)
    cases = []
    for variant in variants:
        checks = tuple(
            r if is_routed and variant is not None and not variant.routed_checks_through_endpoint
            else through_endpoint(r, endpoint)
            for r, is_routed in zip(case.checks, routed, strict=True)
        )
        name = case.variant if variant is None else "+".join(n for n in (case.variant, variant.name) if n)
        cases.append(dataclasses.replace(case, checks=checks, variant=name, endpoint=endpoint.name))
    return cases


def _endpoint_in(region: str, vpc_endpoints: Mapping[str, Sequence[VpcEndpoint]], where: str) -> VpcEndpoint:
    found = list(vpc_endpoints.get(region, ()))
    if not found:
        raise ScenarioError(
            f"{where}: via_endpoint: no bedrock-runtime VPC endpoint in {region} in the synthesized templates"
            f" (an AWS::EC2::VPCEndpoint for com.amazonaws.{region}.bedrock-runtime); configure one for {region},"
            " or limit the scenario's source_regions to Regions that have one"
        )
    if len(found) > 1:
        raise ScenarioError(
            f"{where}: via_endpoint: {len(found)} bedrock-runtime VPC endpoints in {region}"
            f" ({', '.join(e.name for e in found)}); the scenario runner supports one per Region"
        )
    return found[0]


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
    # The VPC endpoint the call goes through (its policy's name, vpce/...), for via_endpoint scenarios.
    endpoint: str | None = None

    def describe(self) -> str:
        variant = f" [{self.variant}]" if self.variant else ""
        caller = f" as {self.scenario.principal}" if self.scenario.principal else ""
        through = f" through {self.endpoint}" if self.endpoint else ""
        return f"{self.application} in {self.region}{caller}{through}: {self.action} {self.target}{variant}"


def _principal(config: Config, application: str, region: str, account: str) -> str:
    return f"arn:aws:sts::{account}:assumed-role/{config.name}-{application}-{region}/scenario"


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
    vpc_endpoints: Mapping[str, Sequence[VpcEndpoint]] | None = None,
) -> list[Case]:
    """Every call each scenario of ``loaded`` describes, with the checks Bedrock would make for it.

    ``service_control_policies`` are the templates' SCPs (:func:`extract_service_control_policies`);
    each case also gets the what-if SCPs its scenario names. ``stage`` is the account (Stage) name when
    ``config`` is one account of a multi-account configuration; scenarios limited to other accounts
    are skipped. ``vpc_endpoints`` are the templates' bedrock-runtime endpoints by Region
    (:func:`extract_vpc_endpoints`), which ``via_endpoint`` scenarios go through."""
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
        endpoints = {region: _endpoint_in(region, vpc_endpoints or {}, where) for region in regions if s.via_endpoint}
        for application in s.applications(config):
            for region in regions:
                for action_name in s.actions:
                    call = _Call(loaded.label, s, application, region, action_name,
                                 s.principal or _principal(config, application, region, account), account,
                                 partition, where, scps, endpoints.get(region))
                    before = len(cases)
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
                    if call.endpoint is not None:
                        cases[before:] = [v for c in cases[before:] for v in _through_endpoint(c, call.endpoint)]
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
    endpoint: VpcEndpoint | None = None

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
    if profile is not None and not destinations:
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
        if call.endpoint is not None and model_region != call.region:
            raise ScenarioError(
                f"{call.where}: via_endpoint: a direct call in {model_region} does not go through {call.region}'s"
                f" endpoint (endpoints are regional); give regions: [{call.region}]"
            )
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
        model_id=model_of(pid, catalog), destinations=destinations, principal=principal)


def _application_profile_call(pid, profile_id, app_arn, region, action, principal, variant, catalog, account,
                              partition, where) -> list[Request]:
    system_arn = cris_checks.inference_profile_arn(partition=partition, region=region, account=account, profile_id=pid)
    presented = app_arn if variant is None or variant.presents == "application" else system_arn
    destinations = list(catalog.destinations(pid, region))
    if not destinations:
        raise ScenarioError(f"{where}: {pid} has no route from {region}")
    checks = cris_checks.application_profile_call_checks(
        action=action, partition=partition, account=account, source_region=region,
        application_profile_id=profile_id, system_profile_id=pid, model_id=model_of(pid, catalog),
        destinations=destinations, presented_profile_arn=presented, principal=principal)
    if variant is not None and variant.system_profile_check != "none":
        context = {cris_checks.REQUESTED_REGION_KEY: region}
        if variant.system_profile_check == "with-key":
            context[cris_checks.INFERENCE_PROFILE_ARN_KEY] = presented
        checks.insert(1, Request(principal=principal, action=action, resource=system_arn, context=context))
    return checks
