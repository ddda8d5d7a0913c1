"""The bedrock-runtime VPC endpoint policy: only the approved EU profiles go through the endpoint (issue 16).

An interface endpoint's policy is a resource policy on the endpoint: every call through it must be allowed by
it as well as by the caller's own policies, whoever the caller is (VPC user guide, "Control access to VPC
endpoints using endpoint policies"). cris-guard's allows, for ``Principal: *``:

- the inference actions on the approved ``eu.`` system profiles of the Region's applications (the profile
  check in the source Region);
- the same actions on the foundation models in exactly those profiles' destination Regions, fenced by
  ``bedrock:InferenceProfileArn`` as the role policies are (whether the source Region's endpoint policy is
  evaluated for the model checks Bedrock makes in the destination Regions is UNCONFIRMED; allowing them here
  keeps routed calls working if it is);
- the application inference profiles of those applications (exact ARNs where they are in the same stack);

and it denies explicitly, whatever the allows say, ``global.`` and every other non-EU geography's profiles,
the Region-less model check of global inference, and any inference whose ``aws:RequestedRegion`` is outside
the EU member-state Regions. A policy is at most 20,480 characters including white space (AWS PrivateLink
quotas, "Characters per VPC endpoint policy", not adjustable): :func:`endpoint_policy` checks the worst case.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from cris_guard import cris_checks
from cris_guard.iam_policy import (
    DENY_ACTIONS,
    GUARDRAIL_ACTIONS,
    RESPONSES_ACTIONS,
    INFERENCE_PROFILE_ARN_KEY,
    INVOKE_ACTIONS,
    PARTITION,
    PROFILE_ACTIONS,
    REQUESTED_REGION_KEY,
    UNSPECIFIED_REGION,
    ApprovedProfile,
    PolicyError,
    foundation_model_arn,
    policy_size,
    system_profile_arn,
    worst_case_lengths,
)
from cris_guard.regions import EU_MEMBER_STATE_REGIONS, NON_EU_PROFILE_PREFIXES

ENDPOINT_POLICY_MAX_CHARS = 20_480  # AWS PrivateLink quotas: "Characters per VPC endpoint policy", not adjustable
RUNTIME_SERVICE = "bedrock-runtime"
CONTROL_PLANE_SERVICE = "bedrock"
SID_ALLOW_PROFILES = "AllowApprovedEuProfiles"
SID_ALLOW_APPLICATION_PROFILES = "AllowApplicationProfiles"
SID_ALLOW_MODELS = "AllowModelsThroughApprovedProfiles"
SID_ALLOW_GUARDRAILS = "AllowGuardrails"
SID_ALLOW_RESPONSES = "AllowResponsesProject"
SID_DENY_NON_EU_PROFILES = "DenyNonEuProfiles"
SID_DENY_GLOBAL = "DenyGlobalCrossRegionInference"
SID_DENY_OUTSIDE_EU = "DenyOutsideEuMemberStateRegions"
# Read-only control-plane calls applications make (the `bedrock` endpoint, when asked for).
CONTROL_PLANE_ACTIONS = ("bedrock:GetInferenceProfile", "bedrock:ListInferenceProfiles",
                         "bedrock:GetFoundationModel", "bedrock:ListFoundationModels")


def service_name(region: str, service: str = RUNTIME_SERVICE) -> str:
    return f"com.amazonaws.{region}.{service}"


def endpoint_policy(source_region: str, profiles: Iterable[ApprovedProfile],
                    application_profile_arns: Mapping[str, str] | None = None, *,
                    guardrail_resources: Iterable[str] = (), responses_api: bool = False) -> dict:
    """The bedrock-runtime endpoint policy of ``source_region``: ``profiles`` are every approved profile of the
    Region's applications; ``application_profile_arns`` maps a placeholder or ARN to its system profile ID (the
    placeholders are counted at their worst-case length); ``guardrail_resources`` are the guardrails (and their
    guardrail profiles' ARNs) the applications here are granted ``bedrock:ApplyGuardrail`` on, and
    ``responses_api`` whether one of them uses the Responses API: the endpoint lets those through too, or a
    Converse call with a guardrail, or a Responses call, would be refused at the endpoint. Raises
    :class:`PolicyError` when it cannot fit."""
    ordered = sorted({p.profile_id: p for p in profiles}.values(), key=lambda p: p.profile_id)
    if not ordered:
        raise PolicyError(f"{source_region}: no approved profile, so the endpoint would let nothing through")
    system = [system_profile_arn(source_region, p.profile_id) for p in ordered]
    models = sorted({foundation_model_arn(r, p.model_id) for p in ordered for r in p.destinations})
    app_arns = sorted(application_profile_arns or {})
    statements: list[dict] = [
        {"Sid": SID_ALLOW_PROFILES, "Effect": "Allow", "Principal": "*", "Action": list(PROFILE_ACTIONS),
         "Resource": system},
    ]
    if app_arns:
        statements.append({"Sid": SID_ALLOW_APPLICATION_PROFILES, "Effect": "Allow", "Principal": "*",
                           "Action": list(PROFILE_ACTIONS), "Resource": app_arns})
    statements.append({"Sid": SID_ALLOW_MODELS, "Effect": "Allow", "Principal": "*", "Action": list(INVOKE_ACTIONS),
                       "Resource": models,
                       "Condition": {"StringEquals": {INFERENCE_PROFILE_ARN_KEY: sorted(system + app_arns)}}})
    guardrails = sorted(set(guardrail_resources))
    if guardrails:
        statements.append({"Sid": SID_ALLOW_GUARDRAILS, "Effect": "Allow", "Principal": "*",
                           "Action": list(GUARDRAIL_ACTIONS), "Resource": guardrails})
    if responses_api:
        project = cris_checks.responses_project_arn(partition=PARTITION, region=source_region,
                                                    account="${AWS::AccountId}")
        statements.append({"Sid": SID_ALLOW_RESPONSES, "Effect": "Allow", "Principal": "*",
                           "Action": list(RESPONSES_ACTIONS), "Resource": project})
    any_region_profile = f"arn:{PARTITION}:bedrock:*:*:inference-profile"
    statements += [
        {"Sid": SID_DENY_NON_EU_PROFILES, "Effect": "Deny", "Principal": "*", "Action": DENY_ACTIONS,
         "Resource": [f"{any_region_profile}/{prefix}*" for prefix in NON_EU_PROFILE_PREFIXES]},
        {"Sid": SID_DENY_GLOBAL, "Effect": "Deny", "Principal": "*", "Action": DENY_ACTIONS, "Resource": "*",
         "Condition": {"StringEquals": {REQUESTED_REGION_KEY: UNSPECIFIED_REGION}}},
        {"Sid": SID_DENY_OUTSIDE_EU, "Effect": "Deny", "Principal": "*", "Action": DENY_ACTIONS, "Resource": "*",
         "Condition": {"StringNotEquals": {REQUESTED_REGION_KEY: [*sorted(EU_MEMBER_STATE_REGIONS),
                                                                     UNSPECIFIED_REGION]}}},
    ]
    document = {"Version": "2012-10-17", "Statement": statements}
    size = endpoint_policy_size(source_region, document, application_profile_arns)
    if size > ENDPOINT_POLICY_MAX_CHARS:
        raise PolicyError(f"{source_region}: the bedrock-runtime endpoint policy needs {size:,} characters at worst,"
                          f" over AWS's {ENDPOINT_POLICY_MAX_CHARS:,}; approve fewer profiles in this Region or"
                          " split the applications over two VPCs")
    return document


def endpoint_policy_size(source_region: str, document: Mapping,
                         application_profile_arns: Mapping[str, str] | None = None) -> int:
    """Characters of ``document`` with every placeholder at its longest (as IAM counts them, white space
    included in the compact rendering CloudFormation passes)."""
    return policy_size(document, worst_case_lengths(source_region, (application_profile_arns or {}).values()))


def control_plane_policy() -> dict:
    """The ``bedrock`` (control-plane) endpoint policy: only the read calls applications make."""
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "AllowReadOnlyControlPlane", "Effect": "Allow", "Principal": "*", "Action": list(CONTROL_PLANE_ACTIONS),
         "Resource": "*"}]}

