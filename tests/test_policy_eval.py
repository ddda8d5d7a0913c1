"""The offline IAM evaluator adapter: real decisions, statement attribution, and loud failures.

Every request that should evaluate cleanly runs in one Node process (the module fixture); each
input error needs its own run because the evaluator stops at the first one.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from cris_guard import policy_eval
from cris_guard.policy_eval import (
    CACHE_ENV,
    Decision,
    EvaluationError,
    EvaluatorUnavailable,
    Request,
    evaluate,
)

ACCOUNT = "111122223333"
PRINCIPAL = f"arn:aws:iam::{ACCOUNT}:role/app"
EU_PROFILE = f"arn:aws:bedrock:eu-west-1:{ACCOUNT}:inference-profile/eu.model-a"
EU_PROFILES = f"arn:aws:bedrock:eu-west-1:{ACCOUNT}:inference-profile/eu.*"
US_PROFILE = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:inference-profile/us.model-a"
GLOBAL_PROFILE = f"arn:aws:bedrock:eu-west-1:{ACCOUNT}:inference-profile/global.model-a"
REGIONLESS_MODEL_A = "arn:aws:bedrock:::foundation-model/model-a"

POLICIES: dict[str, dict[str, Any]] = {
    "grants": {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ProfilesInSource",
                "Effect": "Allow",
                "Action": ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"],
                "Resource": f"arn:aws:bedrock:eu-west-1:{ACCOUNT}:inference-profile/*",
            },
            {  # no Sid: reported by its 1-based index
                "Effect": "Allow",
                "Action": "bedrock:InvokeModel*",
                "Resource": "arn:aws:bedrock:eu-*::foundation-model/model-a",
                "Condition": {"ArnLike": {"bedrock:InferenceProfileArn": EU_PROFILES}},
            },
            {
                "Sid": "RegionlessExact",
                "Effect": "Allow",
                "Action": "bedrock:InvokeModel",
                "Resource": REGIONLESS_MODEL_A,
                "Condition": {"StringEquals": {"aws:RequestedRegion": "unspecified"}},
            },
            {
                "Sid": "AnyRegionModelW",
                "Effect": "Allow",
                "Action": "bedrock:InvokeModel",
                "Resource": "arn:aws:bedrock:*::foundation-model/model-w",
            },
        ],
    },
    # The "deny global CRIS" SCP of cris-facts §2.5, used here as an identity policy.
    "guardrails": {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyGlobalCris",
                "Effect": "Deny",
                "Action": "bedrock:*",
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"aws:RequestedRegion": "unspecified"},
                    "ArnLike": {
                        "bedrock:InferenceProfileArn": "arn:aws:bedrock:*:*:inference-profile/global.*"
                    },
                },
            }
        ],
    },
}


def _request(
    resource: str, *, region: str, profile_arn: str | None = None, action: str = "bedrock:InvokeModel"
) -> Request:
    context = {"aws:RequestedRegion": region}
    if profile_arn is not None:
        context["bedrock:InferenceProfileArn"] = profile_arn
    return Request(principal=PRINCIPAL, action=action, resource=resource, context=context)


# name -> (request, expected decision, expected deciding statements)
CASES: dict[str, tuple[Request, str, tuple[str, ...]]] = {
    "profile": (
        _request(EU_PROFILE, region="eu-west-1"),
        "Allowed",
        ("grants#ProfilesInSource",),
    ),
    "profile_streaming": (
        _request(EU_PROFILE, region="eu-west-1", action="bedrock:InvokeModelWithResponseStream"),
        "Allowed",
        ("grants#ProfilesInSource",),
    ),
    "model_via_eu_profile": (
        _request(
            "arn:aws:bedrock:eu-north-1::foundation-model/model-a",
            region="eu-north-1",
            profile_arn=EU_PROFILE,
        ),
        "Allowed",
        ("grants#2",),
    ),
    "model_via_us_profile": (
        _request(
            "arn:aws:bedrock:eu-north-1::foundation-model/model-a",
            region="eu-north-1",
            profile_arn=US_PROFILE,
        ),
        "ImplicitlyDenied",
        (),
    ),
    # ArnLike on an absent key does not match: a direct call is not covered by the profile grant.
    "model_without_profile": (
        _request("arn:aws:bedrock:eu-north-1::foundation-model/model-a", region="eu-north-1"),
        "ImplicitlyDenied",
        (),
    ),
    "model_outside_eu": (
        _request(
            "arn:aws:bedrock:us-east-1::foundation-model/model-a",
            region="us-east-1",
            profile_arn=EU_PROFILE,
        ),
        "ImplicitlyDenied",
        (),
    ),
    # Both deny conditions must hold: "unspecified" alone, without a global profile ARN, is not denied.
    "regionless_exact_resource": (
        _request(REGIONLESS_MODEL_A, region="unspecified"),
        "Allowed",
        ("grants#RegionlessExact",),
    ),
    "regionless_via_global_profile": (
        _request(REGIONLESS_MODEL_A, region="unspecified", profile_arn=GLOBAL_PROFILE),
        "ExplicitlyDenied",
        ("guardrails#DenyGlobalCris",),
    ),
    # `arn:aws:bedrock:eu-*::...` needs a Region starting with "eu-"; the Region-less ARN has none.
    "regionless_not_matched_by_eu_wildcard": (
        _request(REGIONLESS_MODEL_A, region="eu-west-1", profile_arn=EU_PROFILE),
        "ImplicitlyDenied",
        (),
    ),
    # A `*` Region matches the empty Region (glob semantics). Whether IAM itself does so is
    # UNCONFIRMED (cris-facts design implication 3); the simulator does, and policies must not rely on it.
    "regionless_matched_by_star_region": (
        _request("arn:aws:bedrock:::foundation-model/model-w", region="unspecified"),
        "Allowed",
        ("grants#AnyRegionModelW",),
    ),
}


@pytest.fixture(scope="module")
def decisions() -> dict[str, Decision]:
    results = evaluate(POLICIES, [request for request, _, _ in CASES.values()])
    return dict(zip(CASES, results, strict=True))


@pytest.mark.parametrize("case", list(CASES))
def test_decision_and_deciding_statements(decisions: dict[str, Decision], case: str) -> None:
    request, expected_decision, expected_deciding = CASES[case]
    decision = decisions[case]
    assert decision.request is request  # results come back in request order
    assert (decision.decision, decision.deciding) == (expected_decision, expected_deciding)
    assert decision.allowed is (expected_decision == "Allowed")
    # without an endpoint, an implicit deny can only be the identity policies'
    assert decision.implicitly_denied_by == (("identity",) if expected_decision == "ImplicitlyDenied" else ())


def test_no_requests_needs_no_evaluator(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    assert evaluate(POLICIES, []) == []


def test_missing_node_says_how_to_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    with pytest.raises(EvaluatorUnavailable) as excinfo:
        evaluate(POLICIES, [CASES["profile"][0]])
    message = str(excinfo.value)
    assert "node" in message and "npm ci" in message
    assert "\n" not in message


def test_missing_node_modules_says_how_to_fix(tmp_path: Path) -> None:
    with pytest.raises(EvaluatorUnavailable, match="iam-simulate is missing; run `npm ci`"):
        evaluate(POLICIES, [CASES["profile"][0]], repo_root=tmp_path)


def test_invalid_policy_is_an_error_naming_the_policy() -> None:
    statement = {"Effect": "Alow", "Action": "bedrock:*", "Resource": "*"}
    broken = {"broken": {"Version": "2012-10-17", "Statement": [statement]}}
    with pytest.raises(EvaluationError, match="broken.*Effect"):
        evaluate(broken, [CASES["profile"][0]])


def test_context_key_the_action_ignores_is_an_error() -> None:
    # GetInferenceProfile has no bedrock:InferenceProfileArn key; silently dropping it would let a
    # wrong check pass.
    request = _request(
        EU_PROFILE, region="eu-west-1", profile_arn=EU_PROFILE, action="bedrock:GetInferenceProfile"
    )
    with pytest.raises(EvaluationError, match="bedrock:InferenceProfileArn do not apply"):
        evaluate(POLICIES, [request])


def test_list_for_single_valued_key_is_an_error() -> None:
    request = Request(
        principal=PRINCIPAL,
        action="bedrock:InvokeModel",
        resource=EU_PROFILE,
        context={"aws:RequestedRegion": ["eu-west-1", "eu-west-3"]},
    )
    with pytest.raises(EvaluationError, match="aws:RequestedRegion is single-valued"):
        evaluate(POLICIES, [request])


# --- The SCP layer -------------------------------------------------------------------------------------
SCP_PRINCIPAL = f"arn:aws:sts::{ACCOUNT}:assumed-role/app/session"
ALLOW_ALL_BEDROCK = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "AllowBedrock", "Effect": "Allow", "Action": "bedrock:*", "Resource": "*"}],
}
SCPS: dict[str, dict[str, Any]] = {
    "no-global": {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyGlobal",
                "Effect": "Deny",
                "Action": "bedrock:*",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:RequestedRegion": "unspecified"}},
            },
            {
                "Sid": "OnlyAppMayLog",
                "Effect": "Deny",
                "Action": "bedrock:PutModelInvocationLoggingConfiguration",
                "Resource": "*",
                "Condition": {"ArnNotLike": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/app"}},
            },
        ],
    },
    # An SCP Allow never grants: it only lets identity policies' grants through (rollout-facts C4).
    "allows-everything": {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "AllowAll", "Effect": "Allow", "Action": "*", "Resource": "*"}],
    },
}


def _scp_request(resource: str, *, region: str, action: str = "bedrock:InvokeModel", principal: str = SCP_PRINCIPAL,
                 profile_arn: str | None = None, **extra: str) -> Request:
    context = {"aws:RequestedRegion": region, **extra}
    if profile_arn is not None:
        context["bedrock:InferenceProfileArn"] = profile_arn
    return Request(principal=principal, action=action, resource=resource, context=context)


SCP_CASES: dict[str, tuple[Request, str, tuple[str, ...]]] = {
    # Allowed: only the identity policy's grant is named, never FullAWSAccess or the SCP's Allow.
    "identity_allows_scp_silent": (
        _scp_request("arn:aws:bedrock:eu-west-1::foundation-model/model-a", region="eu-west-1"),
        "Allowed",
        ("identity#AllowBedrock",),
    ),
    # The Region-less model ARN goes through the simulator's unsafe path; the SCP statement is still named.
    "scp_denies_regionless": (
        _scp_request(REGIONLESS_MODEL_A, region="unspecified", profile_arn=GLOBAL_PROFILE),
        "ExplicitlyDenied",
        ("no-global#DenyGlobal",),
    ),
    # aws:PrincipalArn is derived from the session: the role ARN, which the exemption names.
    "principal_arn_derived_from_session": (
        _scp_request("*", region="eu-west-1", action="bedrock:PutModelInvocationLoggingConfiguration"),
        "Allowed",
        ("identity#AllowBedrock",),
    ),
    "other_role_is_not_exempt": (
        _scp_request("*", region="eu-west-1", action="bedrock:PutModelInvocationLoggingConfiguration",
                     principal=f"arn:aws:sts::{ACCOUNT}:assumed-role/admin/session"),
        "ExplicitlyDenied",
        ("no-global#OnlyAppMayLog",),
    ),
    # A request's own aws:PrincipalArn wins over the derived one.
    "explicit_principal_arn_wins": (
        _scp_request("*", region="eu-west-1", action="bedrock:PutModelInvocationLoggingConfiguration",
                     **{"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/someone-else"}),
        "ExplicitlyDenied",
        ("no-global#OnlyAppMayLog",),
    ),
}


@pytest.fixture(scope="module")
def scp_decisions() -> dict[str, Decision]:
    results = evaluate({"identity": ALLOW_ALL_BEDROCK}, [r for r, _, _ in SCP_CASES.values()],
                       service_control_policies=SCPS)
    return dict(zip(SCP_CASES, results, strict=True))


@pytest.mark.parametrize("case", list(SCP_CASES))
def test_scp_decisions_and_deciding_statements(scp_decisions: dict[str, Decision], case: str) -> None:
    _, expected_decision, expected_deciding = SCP_CASES[case]
    decision = scp_decisions[case]
    assert (decision.decision, decision.deciding) == (expected_decision, expected_deciding)


def test_without_scps_the_same_requests_are_allowed() -> None:
    results = evaluate({"identity": ALLOW_ALL_BEDROCK}, [r for r, _, _ in SCP_CASES.values()])
    assert {d.decision for d in results} == {"Allowed"}


def test_an_scp_allow_grants_nothing() -> None:
    request = _scp_request("arn:aws:bedrock:eu-west-1::foundation-model/model-a", region="eu-west-1")
    (decision,) = evaluate({}, [request], service_control_policies=SCPS)
    assert (decision.decision, decision.deciding) == ("ImplicitlyDenied", ())


def test_an_scp_named_like_an_identity_policy_is_an_error() -> None:
    request = _scp_request("arn:aws:bedrock:eu-west-1::foundation-model/model-a", region="eu-west-1")
    with pytest.raises(EvaluationError, match="SCP name \"identity\" is also an identity policy"):
        evaluate({"identity": ALLOW_ALL_BEDROCK}, [request], service_control_policies={"identity": SCPS["no-global"]})


# --- The VPC endpoint layer ------------------------------------------------------------------------------
VPC_ID = "vpc-0a1b2c3d4e5f60789"
VPCE_ID = "vpce-0123456789abcdef0"
ENDPOINT_NAME = "vpce/runtime"
# The contract shape of a bedrock-runtime endpoint policy: Principal "*", the EU profiles and the models
# through them allowed, global inference denied (on the profile and on the Region-less model check).
ENDPOINT_POLICY: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "AllowEuProfiles", "Effect": "Allow", "Principal": "*", "Action": "bedrock:InvokeModel*",
         "Resource": EU_PROFILES},
        {"Sid": "AllowModelsThroughEuProfiles", "Effect": "Allow", "Principal": "*", "Action": "bedrock:InvokeModel*",
         "Resource": "arn:aws:bedrock:*::foundation-model/*",
         "Condition": {"ArnLike": {"bedrock:InferenceProfileArn": EU_PROFILES}}},
        {"Sid": "DenyGlobalProfiles", "Effect": "Deny", "Principal": "*", "Action": "bedrock:InvokeModel*",
         "Resource": "arn:aws:bedrock:*:*:inference-profile/global.*"},
        {"Sid": "DenyRegionless", "Effect": "Deny", "Principal": "*", "Action": "bedrock:InvokeModel*", "Resource": "*",
         "Condition": {"StringEquals": {"aws:RequestedRegion": "unspecified"}}},
    ],
}
# A network-bound principal: bedrock:* on *, but no profile call from outside the VPC.
NETWORK_BOUND: dict[str, dict[str, Any]] = {
    "identity": ALLOW_ALL_BEDROCK,
    "fence": {
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "DenyOutsidePrivateNetwork", "Effect": "Deny", "Action": "bedrock:InvokeModel*",
            "Resource": [f"arn:aws:bedrock:eu-west-1:{ACCOUNT}:inference-profile/*",
                         f"arn:aws:bedrock:eu-west-1:{ACCOUNT}:application-inference-profile/*"],
            "Condition": {"StringNotEquals": {"aws:SourceVpc": [VPC_ID]}},
        }],
    },
}


def _endpoint_request(resource: str, *, region: str, profile_arn: str | None = None, vpc: str | None = VPC_ID,
                      endpoint: dict[str, Any] | None = ENDPOINT_POLICY) -> Request:
    """A request through the endpoint (``endpoint``, with the network keys of ``vpc``); ``endpoint=None``: none."""
    request = _scp_request(resource, region=region, profile_arn=profile_arn)
    context = dict(request.context)
    if vpc is not None:
        context.update({"aws:SourceVpc": vpc, "aws:SourceVpce": VPCE_ID})
    return dataclasses.replace(request, context=context,
                               vpc_endpoint_policies={ENDPOINT_NAME: endpoint} if endpoint is not None else {})


# name -> (request, expected decision, expected deciding statements, expected implicitly_denied_by)
ENDPOINT_CASES: dict[str, tuple[Request, str, tuple[str, ...], tuple[str, ...]]] = {
    # Both layers allow: both grants are named.
    "eu_profile_through_endpoint": (
        _endpoint_request(EU_PROFILE, region="eu-west-1"),
        "Allowed", ("identity#AllowBedrock", f"{ENDPOINT_NAME}#AllowEuProfiles"), (),
    ),
    "model_through_endpoint": (
        _endpoint_request("arn:aws:bedrock:eu-north-1::foundation-model/model-a", region="eu-north-1",
                          profile_arn=EU_PROFILE),
        "Allowed", ("identity#AllowBedrock", f"{ENDPOINT_NAME}#AllowModelsThroughEuProfiles"), (),
    ),
    # bedrock:* on * does not help: the endpoint policy's deny decides, and is named like an SCP's.
    "global_profile_through_endpoint": (
        _endpoint_request(GLOBAL_PROFILE, region="eu-west-1"),
        "ExplicitlyDenied", (f"{ENDPOINT_NAME}#DenyGlobalProfiles",), (),
    ),
    # Not allowed by the endpoint, not denied either: an implicit deny of the endpoint layer alone.
    "us_profile_through_endpoint": (
        _endpoint_request(US_PROFILE, region="us-east-1"),
        "ImplicitlyDenied", (), ("vpce",),
    ),
    # The Region-less model ARN goes through the simulator's unsafe path, which leaves the endpoint layer
    # out: iam_simulate.mjs evaluates it there on its own and combines it.
    "regionless_denied_by_endpoint": (
        _endpoint_request(REGIONLESS_MODEL_A, region="unspecified", profile_arn=GLOBAL_PROFILE),
        "ExplicitlyDenied", (f"{ENDPOINT_NAME}#DenyRegionless",), (),
    ),
    "regionless_not_allowed_by_endpoint": (
        _endpoint_request(REGIONLESS_MODEL_A, region="eu-west-1", profile_arn=US_PROFILE),
        "ImplicitlyDenied", (), ("vpce",),
    ),
    "regionless_allowed_through_endpoint": (
        _endpoint_request(REGIONLESS_MODEL_A, region="eu-west-1", profile_arn=EU_PROFILE),
        "Allowed", ("identity#AllowBedrock", f"{ENDPOINT_NAME}#AllowModelsThroughEuProfiles"), (),
    ),
    # The role's network fence: from outside any endpoint (no aws:SourceVpc), or from another VPC.
    "eu_profile_from_outside_the_vpc": (
        _endpoint_request(EU_PROFILE, region="eu-west-1", vpc=None, endpoint=None),
        "ExplicitlyDenied", ("fence#DenyOutsidePrivateNetwork",), (),
    ),
    "eu_profile_from_another_vpc": (
        _endpoint_request(EU_PROFILE, region="eu-west-1", vpc="vpc-0fffffffffffffff0"),
        "ExplicitlyDenied", ("fence#DenyOutsidePrivateNetwork",), (),
    ),
    # Without an endpoint layer the global profile is the identity policies' to decide: allowed.
    "global_profile_without_endpoint": (
        _endpoint_request(GLOBAL_PROFILE, region="eu-west-1", endpoint=None),
        "Allowed", ("identity#AllowBedrock",), (),
    ),
}


@pytest.fixture(scope="module")
def endpoint_decisions() -> dict[str, Decision]:
    results = evaluate(NETWORK_BOUND, [r for r, _, _, _ in ENDPOINT_CASES.values()])
    return dict(zip(ENDPOINT_CASES, results, strict=True))


@pytest.mark.parametrize("case", list(ENDPOINT_CASES))
def test_endpoint_layer_decisions_and_deciding_statements(endpoint_decisions: dict[str, Decision], case: str) -> None:
    _, expected_decision, expected_deciding, expected_layers = ENDPOINT_CASES[case]
    decision = endpoint_decisions[case]
    assert (decision.decision, decision.deciding, decision.implicitly_denied_by) == (
        expected_decision, expected_deciding, expected_layers)


def test_a_changed_endpoint_policy_is_evaluated_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The on-disk cache keys a request by its endpoint policies too: the same request through an endpoint
    whose deny was removed gets its own decision, and both are served from the cache afterwards."""
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    strict = _endpoint_request(GLOBAL_PROFILE, region="eu-west-1")
    relaxed_policy = {**ENDPOINT_POLICY, "Statement": [
        *[s for s in ENDPOINT_POLICY["Statement"] if s["Effect"] == "Allow"],
        {"Sid": "AllowEverything", "Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"},
    ]}
    relaxed = dataclasses.replace(strict, vpc_endpoint_policies={ENDPOINT_NAME: relaxed_policy})
    assert [d.decision for d in evaluate(NETWORK_BOUND, [strict])] == ["ExplicitlyDenied"]
    assert [d.decision for d in evaluate(NETWORK_BOUND, [relaxed])] == ["Allowed"]
    (cache_file,) = tmp_path.glob("*.json")
    assert len(json.loads(cache_file.read_text())) == 2

    def no_evaluator(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("evaluated again although cached")

    monkeypatch.setattr(policy_eval, "_run", no_evaluator)
    assert [d.decision for d in evaluate(NETWORK_BOUND, [relaxed, strict])] == ["Allowed", "ExplicitlyDenied"]


def test_an_endpoint_policy_without_principal_is_an_error_naming_it() -> None:
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    with pytest.raises(EvaluationError, match=f"{ENDPOINT_NAME}.*Principal is required"):
        evaluate(NETWORK_BOUND, [_endpoint_request(EU_PROFILE, region="eu-west-1", endpoint=policy)])


def test_an_endpoint_policy_named_like_an_identity_policy_is_an_error() -> None:
    request = dataclasses.replace(_endpoint_request(EU_PROFILE, region="eu-west-1"),
                                  vpc_endpoint_policies={"fence": ENDPOINT_POLICY})
    with pytest.raises(EvaluationError, match="VPC endpoint policy name \"fence\" is also an identity policy"):
        evaluate(NETWORK_BOUND, [request])
