"""The offline IAM evaluator adapter: real decisions, statement attribution, and loud failures.

Every request that should evaluate cleanly runs in one Node process (the module fixture); each
input error needs its own run because the evaluator stops at the first one.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from cris_guard.policy_eval import (
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
