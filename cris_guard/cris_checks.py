"""The IAM checks Bedrock performs for one runtime call, as requests for ``policy_eval.evaluate``.

A cross-Region inference call is not one authorization but several, and the call succeeds only if
every one is allowed (cris-facts §2.3, §2.4):

(a) the inference profile in the source Region, with ``aws:RequestedRegion`` = source Region and
    *no* ``bedrock:InferenceProfileArn`` key, so an Allow conditioned on that key never covers it;
(b) the foundation model in every destination Region ``r`` (for a global profile: the source
    Region only), with ``aws:RequestedRegion`` = ``r`` and ``bedrock:InferenceProfileArn`` = the
    profile ARN. This is why an FM statement or a Region SCP that misses one destination of a
    geographic profile makes calls fail intermittently;
(c) for a ``global.`` profile only, the Region-less ``arn:<p>:bedrock:::foundation-model/<model>``
    with ``aws:RequestedRegion`` = ``"unspecified"`` and the profile ARN.

A direct call on a foundation model is a single check in its Region with no profile ARN, which is
what the "models only through a profile" deny relies on. A batch or evaluation job request is modelled
as the caller's single check on the foundation model it names (never with a profile ARN; see
``JOB_ACTIONS``), and a bedrock-mantle inference as one check on a mantle project.

Pure functions of identifiers: no AWS calls, no CDK. Destination sets come from the catalog.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from cris_guard.policy_eval import Decision, Request

INVOKE_ACTIONS: frozenset[str] = frozenset({"bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"})
# A control-plane read of the profile named by inferenceProfileIdentifier (botocore bedrock
# GetInferenceProfile); it runs no inference. That it is authorized on the profile alone, with no model
# checks, is UNCONFIRMED (inferred from that; cris-facts §2.1 only says it is required).
PROFILE_ONLY_ACTIONS: frozenset[str] = frozenset({"bedrock:GetInferenceProfile"})
# Batch inference and evaluation jobs. Only the *caller's* check on the resource it names is modelled:
# the inference runs later under the job's service role, whose checks no policy of the caller sees.
# The Service Authorization Reference lists foundation-model (not inference-profile) resources and no
# bedrock:InferenceProfileArn key for them, so they are checked on model ARNs, without that key.
JOB_ACTIONS: frozenset[str] = frozenset({"bedrock:CreateModelInvocationJob", "bedrock:CreateEvaluationJob"})
# bedrock-mantle's inference action; its resource is a mantle project in the Region called.
MANTLE_INFERENCE_ACTION = "bedrock-mantle:CreateInference"
GUARDRAIL_ACTION = "bedrock:ApplyGuardrail"
SUPPORTED_ACTIONS: frozenset[str] = INVOKE_ACTIONS | PROFILE_ONLY_ACTIONS

REQUESTED_REGION_KEY = "aws:RequestedRegion"
INFERENCE_PROFILE_ARN_KEY = "bedrock:InferenceProfileArn"
GLOBAL_PROFILE_PREFIX = "global."
# The aws:RequestedRegion value of check (c); the string is literal, not a placeholder (§2.4).
UNSPECIFIED_REGION = "unspecified"


class CallDecision(NamedTuple):
    """Whether a whole call succeeds, and the check that stops it if it does not."""

    allowed: bool
    failed_check: Decision | None


def inference_profile_arn(*, partition: str, region: str, account: str, profile_id: str) -> str:
    """A system (cross-Region) profile ARN: it carries the caller's account and the source Region."""
    return f"arn:{partition}:bedrock:{region}:{account}:inference-profile/{profile_id}"


def application_inference_profile_arn(*, partition: str, region: str, account: str, profile_id: str) -> str:
    """An application inference profile ARN; ``profile_id`` is the generated short ID."""
    return f"arn:{partition}:bedrock:{region}:{account}:application-inference-profile/{profile_id}"


def foundation_model_arn(*, partition: str, region: str, model_id: str) -> str:
    """A foundation-model ARN. Its account field is always empty; ``region=""`` gives the
    Region-less ARN that global profiles are checked against."""
    return f"arn:{partition}:bedrock:{region}::foundation-model/{model_id}"


def profile_call_checks(
    *,
    action: str,
    partition: str,
    account: str,
    source_region: str,
    profile_id: str,
    model_id: str,
    destinations: Sequence[str],
    principal: str,
) -> list[Request]:
    """The checks for calling system profile ``profile_id`` from ``source_region``.

    ``destinations`` is the profile's destination set *for this source Region* (it can differ per
    source, cris-facts §1.1); it normally includes the source. For a ``global.`` profile pass
    ``[source_region]``: Bedrock checks the source-Region model plus the Region-less model (§2.4),
    never the individual Regions it may route to.
    """
    profile_arn = inference_profile_arn(
        partition=partition, region=source_region, account=account, profile_id=profile_id
    )
    return _routed_call_checks(
        action=action,
        partition=partition,
        source_region=source_region,
        profile_resource=profile_arn,
        presented_profile_arn=profile_arn,
        model_id=model_id,
        destinations=destinations,
        global_routing=profile_id.startswith(GLOBAL_PROFILE_PREFIX),
        principal=principal,
    )


def application_profile_call_checks(
    *,
    action: str,
    partition: str,
    account: str,
    source_region: str,
    application_profile_id: str,
    system_profile_id: str | None,
    model_id: str,
    destinations: Sequence[str],
    presented_profile_arn: str,
    principal: str,
) -> list[Request]:
    """The checks for calling an application inference profile from ``source_region``.

    ``system_profile_id`` is the system profile the application profile copies from, or ``None``
    when it wraps a foundation model in one Region (then ``destinations`` is that Region). A
    ``global.`` system profile adds the Region-less model check.
    """
    # UNCONFIRMED (cris-facts §2.5, §6.3): whether Bedrock presents the application profile ARN or
    # the underlying system profile ARN as bedrock:InferenceProfileArn at the model checks. Callers
    # evaluate both values and require a policy to give the same answer either way.
    application_arn = application_inference_profile_arn(
        partition=partition, region=source_region, account=account, profile_id=application_profile_id
    )
    return _routed_call_checks(
        action=action,
        partition=partition,
        source_region=source_region,
        profile_resource=application_arn,
        presented_profile_arn=presented_profile_arn,
        model_id=model_id,
        destinations=destinations,
        global_routing=(system_profile_id or "").startswith(GLOBAL_PROFILE_PREFIX),
        principal=principal,
    )


def direct_model_call_checks(
    *, action: str, partition: str, region: str, model_id: str, principal: str
) -> list[Request]:
    """The single check for calling a foundation model directly (on-demand, no profile), or for
    creating a batch/evaluation job on it. ``region=UNSPECIFIED_REGION`` names the Region-less model
    ARN with ``aws:RequestedRegion = "unspecified"``, which only a job action can name directly."""
    _require_action(action, INVOKE_ACTIONS | JOB_ACTIONS)
    if region == UNSPECIFIED_REGION and action not in JOB_ACTIONS:
        raise ValueError("the Region-less model ARN is checked only as part of a call through a global profile")
    return [
        Request(
            principal=principal,
            action=action,
            resource=foundation_model_arn(
                partition=partition, region="" if region == UNSPECIFIED_REGION else region, model_id=model_id
            ),
            context={REQUESTED_REGION_KEY: region},
        )
    ]


def mantle_inference_checks(*, partition: str, account: str, region: str, project_id: str, principal: str) -> list[Request]:
    """The check for ``bedrock-mantle:CreateInference`` on a mantle project in ``region``."""
    return [
        Request(
            principal=principal,
            action=MANTLE_INFERENCE_ACTION,
            resource=f"arn:{partition}:bedrock-mantle:{region}:{account}:project/{project_id}",
            context={REQUESTED_REGION_KEY: region},
        )
    ]


def guardrail_checks(
    *, partition: str, guardrail_arn: str, source_region: str, profile_id: str | None,
    destinations: Sequence[str], principal: str,
) -> list[Request]:
    """The checks for applying a guardrail (ApplyGuardrail, or Converse/InvokeModel naming it) from
    ``source_region``: the guardrail itself, and, when it uses a guardrail profile, the profile in every
    destination Region from the source, each in its own Region (Bedrock User Guide,
    guardrail-profiles-permissions.html; the guardrail profile ARN carries the guardrail's account).
    Which condition keys these checks carry beyond ``aws:RequestedRegion`` is not documented."""
    account = guardrail_arn.split(":")[4]
    checks = [Request(principal=principal, action=GUARDRAIL_ACTION, resource=guardrail_arn,
                      context={REQUESTED_REGION_KEY: source_region})]
    for region in ([] if profile_id is None else sorted(destinations)):
        checks.append(Request(
            principal=principal, action=GUARDRAIL_ACTION,
            resource=guardrail_profile_arn(partition=partition, region=region, account=account, profile_id=profile_id),
            context={REQUESTED_REGION_KEY: region},
        ))
    return checks


def guardrail_profile_arn(*, partition: str, region: str, account: str, profile_id: str) -> str:
    """A guardrail profile in one Region, in the guardrail owner's account (guardrail-profiles-permissions.html)."""
    return f"arn:{partition}:bedrock:{region}:{account}:guardrail-profile/{profile_id}"


def responses_project_arn(*, partition: str, region: str, account: str) -> str:
    """The account's default project, which the Responses API authorizes (inference-responses-api.html)."""
    return f"arn:{partition}:bedrock:{region}:{account}:project/default"


def responses_project_checks(*, action: str, partition: str, account: str, region: str, principal: str) -> list[Request]:
    """The project check of a Responses API call: ``bedrock:InvokeModel`` when a response is created
    (besides the inference target's checks), GetInvoke/CancelInvoke/DeleteInvoke on stored responses."""
    return [Request(principal=principal, action=action,
                    resource=responses_project_arn(partition=partition, region=region, account=account),
                    context={REQUESTED_REGION_KEY: region})]


def bearer_token_checks(*, action: str, region: str, principal: str) -> list[Request]:
    """A call made with a Bedrock API key: ``bedrock:CallWithBearerToken`` (or the mantle one) on ``*``, as AWS's
    deny examples write it (Bedrock User Guide, api-keys-permissions.html). Which resource and condition keys
    Bedrock really presents for this check is UNCONFIRMED; the SCP's deny is on ``*``, so it matches either way."""
    return [Request(principal=principal, action=action, resource="*", context={REQUESTED_REGION_KEY: region})]


def call_decision(decisions: Sequence[Decision]) -> CallDecision:
    """Combine the decisions on one call's checks, given in the order the builders return them.

    The call succeeds only if every check is Allowed. Otherwise ``failed_check`` is the first check
    that is not (profile before models), the one a failure report names. Bedrock's AccessDenied
    message also names a single resource (cris-facts §2.5: SCP errors name one ``foundation-model``
    ARN); which one it names when several checks fail is UNCONFIRMED (no AWS source found).
    """
    if not decisions:
        raise ValueError("a call has at least one check; got no decisions")
    failed = next((decision for decision in decisions if not decision.allowed), None)
    return CallDecision(allowed=failed is None, failed_check=failed)


def _routed_call_checks(
    *,
    action: str,
    partition: str,
    source_region: str,
    profile_resource: str,
    presented_profile_arn: str,
    model_id: str,
    destinations: Sequence[str],
    global_routing: bool,
    principal: str,
) -> list[Request]:
    _require_action(action, SUPPORTED_ACTIONS)
    checks = [
        Request(
            principal=principal,
            action=action,
            resource=profile_resource,
            context={REQUESTED_REGION_KEY: source_region},
        )
    ]
    if action in PROFILE_ONLY_ACTIONS:
        return checks
    # A bare string is a Sequence[str] too, and would silently become one "Region" per character.
    if isinstance(destinations, str) or not destinations:
        raise ValueError(f"destinations must be a non-empty list of Region codes, got {destinations!r}")
    checks.extend(
        Request(
            principal=principal,
            action=action,
            resource=foundation_model_arn(partition=partition, region=region, model_id=model_id),
            context={REQUESTED_REGION_KEY: region, INFERENCE_PROFILE_ARN_KEY: presented_profile_arn},
        )
        for region in destinations
    )
    if global_routing:
        checks.append(
            Request(
                principal=principal,
                action=action,
                resource=foundation_model_arn(partition=partition, region="", model_id=model_id),
                context={
                    REQUESTED_REGION_KEY: UNSPECIFIED_REGION,
                    INFERENCE_PROFILE_ARN_KEY: presented_profile_arn,
                },
            )
        )
    return checks


def _require_action(action: str, allowed: frozenset[str]) -> None:
    if action not in allowed:
        raise ValueError(f"unsupported action {action!r}; expected one of {sorted(allowed)}")
