"""Bedrock's per-call IAM checks (cris-facts §2.3, §2.4), built and then evaluated against AWS's own
example policies.

The builder tests need no evaluator. The evaluated scenarios run in one Node process per policy
set (the module fixture): every policy applies to every request, and the guardrail sets must deny
what the "examples" set allows.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from cris_guard.cris_checks import (
    application_inference_profile_arn,
    application_profile_call_checks,
    call_decision,
    direct_model_call_checks,
    foundation_model_arn,
    inference_profile_arn,
    mantle_inference_checks,
    profile_call_checks,
)
from cris_guard.policy_eval import Decision, Request, evaluate

PARTITION = "aws"
ACCOUNT = "111122223333"
PRINCIPAL = f"arn:aws:iam::{ACCOUNT}:role/app"
SOURCE = "eu-west-1"
EU6 = ("eu-west-1", "eu-central-1", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-3")

# One model per scenario in the shared policy set, so that scenarios cannot grant each other's calls.
GEO_MODEL = "anthropic.claude-sonnet-4-6"
GAP_MODEL = "anthropic.claude-haiku-4-5-20251001-v1:0"
GLOBAL_MODEL = "anthropic.claude-opus-4-5-20251101-v1:0"
NO_REGIONLESS_MODEL = "amazon.nova-2-lite-v1:0"
APP_MODEL = "cohere.embed-v4:0"
APP_SYSTEM_ONLY_MODEL = "twelvelabs.pegasus-1-2-v1:0"


def _profile(profile_id: str) -> str:
    return inference_profile_arn(partition=PARTITION, region=SOURCE, account=ACCOUNT, profile_id=profile_id)


def _app_profile(profile_id: str) -> str:
    return application_inference_profile_arn(
        partition=PARTITION, region=SOURCE, account=ACCOUNT, profile_id=profile_id
    )


def _model(region: str, model_id: str) -> str:
    return foundation_model_arn(partition=PARTITION, region=region, model_id=model_id)


def _policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _geographic_example(model_id: str, destinations: tuple[str, ...]) -> dict[str, Any]:
    """AWS's geographic CRIS example policy (cris-facts §2.3)."""
    profile = _profile(f"eu.{model_id}")
    return _policy(
        {
            "Sid": "GrantGeoCrisInferenceProfileAccess",
            "Effect": "Allow",
            "Action": "bedrock:InvokeModel",
            "Resource": profile,
        },
        {
            "Sid": "GrantGeoCrisModelAccess",
            "Effect": "Allow",
            "Action": "bedrock:InvokeModel",
            "Resource": [_model(region, model_id) for region in destinations],
            "Condition": {"StringEquals": {"bedrock:InferenceProfileArn": profile}},
        },
    )


def _global_example(model_id: str, *, with_regionless_part: bool = True) -> dict[str, Any]:
    """AWS's three-part global CRIS example policy (cris-facts §2.4)."""
    profile = _profile(f"global.{model_id}")
    statements = [
        {
            "Sid": "GrantGlobalCrisInferenceProfileRegionAccess",
            "Effect": "Allow",
            "Action": "bedrock:InvokeModel",
            "Resource": profile,
            "Condition": {"StringEquals": {"aws:RequestedRegion": SOURCE}},
        },
        {
            "Sid": "GrantGlobalCrisInferenceProfileInRegionModelAccess",
            "Effect": "Allow",
            "Action": "bedrock:InvokeModel",
            "Resource": _model(SOURCE, model_id),
            "Condition": {
                "StringEquals": {"aws:RequestedRegion": SOURCE, "bedrock:InferenceProfileArn": profile}
            },
        },
        {
            "Sid": "GrantGlobalCrisInferenceProfileGlobalModelAccess",
            "Effect": "Allow",
            "Action": "bedrock:InvokeModel",
            "Resource": _model("", model_id),
            "Condition": {
                "StringEquals": {"aws:RequestedRegion": "unspecified", "bedrock:InferenceProfileArn": profile}
            },
        },
    ]
    return _policy(*(statements if with_regionless_part else statements[:2]))


def _application_profile_policy(
    model_id: str, app_id: str, accepted_profile_arns: list[str]
) -> dict[str, Any]:
    return _policy(
        {
            "Sid": "GrantApplicationProfile",
            "Effect": "Allow",
            "Action": "bedrock:InvokeModel",
            "Resource": _app_profile(app_id),
        },
        {
            "Sid": "GrantModelsThroughProfile",
            "Effect": "Allow",
            "Action": "bedrock:InvokeModel",
            "Resource": [_model(region, model_id) for region in EU6],
            "Condition": {"ArnLike": {"bedrock:InferenceProfileArn": accepted_profile_arns}},
        },
    )


# The "models only through a profile" deny (cris-facts §2.3, SageMakerStudioBedrockAgentServiceRolePolicy
# uses the Allow form of the same Null condition).
MODELS_ONLY_THROUGH_PROFILES = _policy(
    {
        "Sid": "DenyDirectModelCalls",
        "Effect": "Deny",
        "Action": ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"],
        "Resource": "arn:aws:bedrock:*::foundation-model/*",
        "Condition": {"Null": {"bedrock:InferenceProfileArn": "true"}},
    }
)

# The IAM deny of global CRIS from the prerequisites page (cris-facts §2.5).
DENY_GLOBAL = _policy(
    {
        "Sid": "DenyGlobalCrossRegionInference",
        "Effect": "Deny",
        "Action": "bedrock:InvokeModel*",
        "Resource": "*",
        "Condition": {"StringEquals": {"aws:RequestedRegion": "unspecified"}},
    }
)

# A Region allow-list written as a deny, the shape of a Region SCP (cris-facts §2.5, §8.1), that forgot
# Stockholm and, like most such lists, "unspecified".
REGION_ALLOW_LIST_WITHOUT_STOCKHOLM = _policy(
    {
        "Sid": "DenyOutsideAllowedRegions",
        "Effect": "Deny",
        "Action": "bedrock:*",
        "Resource": "*",
        "Condition": {"StringNotEquals": {"aws:RequestedRegion": [r for r in EU6 if r != "eu-north-1"]}},
    }
)

APP_ID = "a1b2c3d4e5f6"
APP_SYSTEM_ONLY_ID = "f6e5d4c3b2a1"

POLICY_SETS: dict[str, dict[str, dict[str, Any]]] = {
    "examples": {
        "GeoCris": _geographic_example(GEO_MODEL, EU6),
        "GeoCrisWithoutStockholm": _geographic_example(GAP_MODEL, tuple(r for r in EU6 if r != "eu-north-1")),
        "GlobalCris": _global_example(GLOBAL_MODEL),
        "GlobalCrisWithoutRegionless": _global_example(NO_REGIONLESS_MODEL, with_regionless_part=False),
        "ModelsOnlyThroughProfiles": MODELS_ONLY_THROUGH_PROFILES,
        "AppProfileEitherArn": _application_profile_policy(
            APP_MODEL, APP_ID, [_app_profile(APP_ID), _profile(f"eu.{APP_MODEL}")]
        ),
        "AppProfileSystemArnOnly": _application_profile_policy(
            APP_SYSTEM_ONLY_MODEL, APP_SYSTEM_ONLY_ID, [_profile(f"eu.{APP_SYSTEM_ONLY_MODEL}")]
        ),
    },
    "eu_only": {
        "GeoCris": _geographic_example(GEO_MODEL, EU6),
        "GlobalCris": _global_example(GLOBAL_MODEL),
        "DenyGlobal": DENY_GLOBAL,
    },
    "region_allow_list": {
        "GeoCris": _geographic_example(GEO_MODEL, EU6),
        "GlobalCris": _global_example(GLOBAL_MODEL),
        "RegionAllowList": REGION_ALLOW_LIST_WITHOUT_STOCKHOLM,
    },
}


def _profile_call(model_id: str, prefix: str, action: str = "bedrock:InvokeModel") -> list[Request]:
    return profile_call_checks(
        action=action,
        partition=PARTITION,
        account=ACCOUNT,
        source_region=SOURCE,
        profile_id=f"{prefix}.{model_id}",
        model_id=model_id,
        destinations=EU6 if prefix == "eu" else (SOURCE,),
        principal=PRINCIPAL,
    )


def _app_profile_call(model_id: str, app_id: str, presented_profile_arn: str) -> list[Request]:
    return application_profile_call_checks(
        action="bedrock:InvokeModel",
        partition=PARTITION,
        account=ACCOUNT,
        source_region=SOURCE,
        application_profile_id=app_id,
        system_profile_id=f"eu.{model_id}",
        model_id=model_id,
        destinations=EU6,
        presented_profile_arn=presented_profile_arn,
        principal=PRINCIPAL,
    )


def _direct_call(model_id: str) -> list[Request]:
    return direct_model_call_checks(
        action="bedrock:InvokeModel",
        partition=PARTITION,
        region=SOURCE,
        model_id=model_id,
        principal=PRINCIPAL,
    )


# (policy set, call name) -> the call's checks
CALLS: dict[tuple[str, str], list[Request]] = {
    ("examples", "geo"): _profile_call(GEO_MODEL, "eu"),
    ("examples", "geo_streaming"): _profile_call(GEO_MODEL, "eu", "bedrock:InvokeModelWithResponseStream"),
    ("examples", "geo_get_profile"): _profile_call(GEO_MODEL, "eu", "bedrock:GetInferenceProfile"),
    ("examples", "geo_missing_destination"): _profile_call(GAP_MODEL, "eu"),
    ("examples", "global"): _profile_call(GLOBAL_MODEL, "global"),
    ("examples", "global_missing_regionless"): _profile_call(NO_REGIONLESS_MODEL, "global"),
    ("examples", "direct"): _direct_call(GEO_MODEL),
    ("examples", "app_presents_app_arn"): _app_profile_call(APP_MODEL, APP_ID, _app_profile(APP_ID)),
    ("examples", "app_presents_system_arn"): _app_profile_call(
        APP_MODEL, APP_ID, _profile(f"eu.{APP_MODEL}")
    ),
    ("examples", "system_only_presents_app_arn"): _app_profile_call(
        APP_SYSTEM_ONLY_MODEL, APP_SYSTEM_ONLY_ID, _app_profile(APP_SYSTEM_ONLY_ID)
    ),
    ("examples", "system_only_presents_system_arn"): _app_profile_call(
        APP_SYSTEM_ONLY_MODEL, APP_SYSTEM_ONLY_ID, _profile(f"eu.{APP_SYSTEM_ONLY_MODEL}")
    ),
    ("eu_only", "geo"): _profile_call(GEO_MODEL, "eu"),
    ("eu_only", "global"): _profile_call(GLOBAL_MODEL, "global"),
    ("region_allow_list", "geo"): _profile_call(GEO_MODEL, "eu"),
    ("region_allow_list", "global"): _profile_call(GLOBAL_MODEL, "global"),
}


Outcomes = Mapping[tuple[str, str], list[Decision]]


@pytest.fixture(scope="module")
def outcomes() -> Outcomes:
    """Evaluate every call, one ``evaluate`` (one Node process) per policy set."""
    results: dict[tuple[str, str], list[Decision]] = {}
    for set_name, policies in POLICY_SETS.items():
        keys = [key for key in CALLS if key[0] == set_name]
        decisions = iter(evaluate(policies, [check for key in keys for check in CALLS[key]]))
        for key in keys:
            results[key] = [next(decisions) for _ in CALLS[key]]
    return results


# --- building the checks -------------------------------------------------------------------------


def test_geographic_call_checks_profile_then_every_destination() -> None:
    profile = _profile(f"eu.{GEO_MODEL}")
    checks = _profile_call(GEO_MODEL, "eu")
    assert [(c.resource, dict(c.context)) for c in checks] == [
        (profile, {"aws:RequestedRegion": SOURCE}),
        *[
            (_model(r, GEO_MODEL), {"aws:RequestedRegion": r, "bedrock:InferenceProfileArn": profile})
            for r in EU6
        ],
    ]
    assert {(c.principal, c.action) for c in checks} == {(PRINCIPAL, "bedrock:InvokeModel")}


def test_global_call_adds_the_regionless_model_check() -> None:
    profile = _profile(f"global.{GLOBAL_MODEL}")
    checks = _profile_call(GLOBAL_MODEL, "global")
    assert [(c.resource, dict(c.context)) for c in checks] == [
        (profile, {"aws:RequestedRegion": SOURCE}),
        (
            _model(SOURCE, GLOBAL_MODEL),
            {"aws:RequestedRegion": SOURCE, "bedrock:InferenceProfileArn": profile},
        ),
        (
            f"arn:aws:bedrock:::foundation-model/{GLOBAL_MODEL}",
            {"aws:RequestedRegion": "unspecified", "bedrock:InferenceProfileArn": profile},
        ),
    ]


def test_get_inference_profile_checks_the_profile_only() -> None:
    checks = _profile_call(GEO_MODEL, "eu", "bedrock:GetInferenceProfile")
    assert [c.resource for c in checks] == [_profile(f"eu.{GEO_MODEL}")]


def test_application_profile_call_checks_the_application_profile_and_presents_the_given_arn() -> None:
    presented = _profile(f"eu.{APP_MODEL}")
    checks = _app_profile_call(APP_MODEL, APP_ID, presented)
    assert checks[0].resource == f"arn:aws:bedrock:{SOURCE}:{ACCOUNT}:application-inference-profile/{APP_ID}"
    assert "bedrock:InferenceProfileArn" not in checks[0].context
    assert [c.resource for c in checks[1:]] == [_model(r, APP_MODEL) for r in EU6]
    assert {c.context["bedrock:InferenceProfileArn"] for c in checks[1:]} == {presented}


def test_application_profile_over_a_global_profile_adds_the_regionless_check() -> None:
    checks = application_profile_call_checks(
        action="bedrock:InvokeModel",
        partition=PARTITION,
        account=ACCOUNT,
        source_region=SOURCE,
        application_profile_id=APP_ID,
        system_profile_id=f"global.{GLOBAL_MODEL}",
        model_id=GLOBAL_MODEL,
        destinations=(SOURCE,),
        presented_profile_arn=_app_profile(APP_ID),
        principal=PRINCIPAL,
    )
    assert checks[-1].resource == f"arn:aws:bedrock:::foundation-model/{GLOBAL_MODEL}"
    assert checks[-1].context["aws:RequestedRegion"] == "unspecified"


def test_direct_model_call_is_one_check_without_a_profile_arn() -> None:
    (check,) = _direct_call(GEO_MODEL)
    assert check.resource == _model(SOURCE, GEO_MODEL)
    assert dict(check.context) == {"aws:RequestedRegion": SOURCE}


@pytest.mark.parametrize(
    "build, message",
    [
        # not an IAM action (cris-facts §2.1)
        (lambda: _profile_call(GEO_MODEL, "eu", "bedrock:Converse"), "unsupported action 'bedrock:Converse'"),
        (lambda: direct_model_call_checks(
            action="bedrock:GetInferenceProfile",
            partition=PARTITION,
            region=SOURCE,
            model_id=GEO_MODEL,
            principal=PRINCIPAL,
        ), "unsupported action 'bedrock:GetInferenceProfile'"),
        (lambda: profile_call_checks(
            action="bedrock:InvokeModel",
            partition=PARTITION,
            account=ACCOUNT,
            source_region=SOURCE,
            profile_id=f"eu.{GEO_MODEL}",
            model_id=GEO_MODEL,
            destinations="eu-west-1",  # a string, not a list of Regions
            principal=PRINCIPAL,
        ), "destinations must be a non-empty list of Region codes, got 'eu-west-1'"),
        # the Region-less ARN is only ever checked as part of a call through a global profile
        (lambda: direct_model_call_checks(
            action="bedrock:InvokeModel", partition=PARTITION, region="unspecified", model_id=GEO_MODEL,
            principal=PRINCIPAL,
        ), "Region-less model ARN is checked only as part of a call through a global profile"),
        # jobs are checked on the model they name, never as a routed call through a profile
        (lambda: _profile_call(GEO_MODEL, "eu", "bedrock:CreateModelInvocationJob"),
         "unsupported action 'bedrock:CreateModelInvocationJob'"),
    ],
    ids=["unsupported-action", "direct-get-profile", "destinations-string", "direct-invoke-regionless",
         "job-through-a-profile"],
)
def test_invalid_input_is_rejected(build: Callable[[], list[Request]], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        build()


def test_call_decision_needs_every_check_and_reports_the_first_failure() -> None:
    checks = _profile_call(GAP_MODEL, "eu")
    allowed = [Decision(request=c, decision="Allowed", deciding=("p#1",)) for c in checks]
    assert call_decision(allowed) == (True, None)

    failing = list(allowed)
    failing[2] = Decision(request=checks[2], decision="ImplicitlyDenied", deciding=())
    failing[4] = Decision(request=checks[4], decision="ExplicitlyDenied", deciding=("p#Deny",))
    assert call_decision(failing) == (False, failing[2])

    with pytest.raises(ValueError, match="at least one check"):
        call_decision([])


# --- evaluated against AWS's example policies ----------------------------------------------------


def test_geographic_example_allows_every_destination(outcomes: Outcomes) -> None:
    decisions = outcomes["examples", "geo"]
    assert call_decision(decisions) == (True, None)
    assert [d.deciding for d in decisions] == [("GeoCris#GrantGeoCrisInferenceProfileAccess",)] + [
        ("GeoCris#GrantGeoCrisModelAccess",)
    ] * len(EU6)


def test_geographic_example_missing_one_destination_denies_the_call(outcomes: Outcomes) -> None:
    decisions = outcomes["examples", "geo_missing_destination"]
    allowed, failed = call_decision(decisions)
    assert not allowed
    assert failed is not None
    assert failed.request.resource == _model("eu-north-1", GAP_MODEL)
    assert failed.decision == "ImplicitlyDenied"
    assert [d.request.resource for d in decisions if not d.allowed] == [_model("eu-north-1", GAP_MODEL)]


def test_geographic_example_does_not_cover_streaming_or_get_profile(outcomes: Outcomes) -> None:
    # AWS's example grants bedrock:InvokeModel only: ConverseStream and GetInferenceProfile are denied
    # at the profile check (cris-facts §2.1, §8.8).
    for call in ("geo_streaming", "geo_get_profile"):
        allowed, failed = call_decision(outcomes["examples", call])
        assert not allowed
        assert failed is not None and failed.request.resource == _profile(f"eu.{GEO_MODEL}")


def test_global_three_part_example_allows_a_global_call(outcomes: Outcomes) -> None:
    decisions = outcomes["examples", "global"]
    assert call_decision(decisions) == (True, None)
    assert [d.deciding for d in decisions] == [
        ("GlobalCris#GrantGlobalCrisInferenceProfileRegionAccess",),
        ("GlobalCris#GrantGlobalCrisInferenceProfileInRegionModelAccess",),
        ("GlobalCris#GrantGlobalCrisInferenceProfileGlobalModelAccess",),
    ]


def test_global_example_without_the_regionless_part_denies(outcomes: Outcomes) -> None:
    allowed, failed = call_decision(outcomes["examples", "global_missing_regionless"])
    assert not allowed
    assert failed is not None
    assert failed.request.resource == f"arn:aws:bedrock:::foundation-model/{NO_REGIONLESS_MODEL}"
    assert failed.decision == "ImplicitlyDenied"


def test_null_profile_arn_deny_blocks_direct_model_calls_only(outcomes: Outcomes) -> None:
    (decision,) = outcomes["examples", "direct"]
    assert decision.decision == "ExplicitlyDenied"
    assert decision.deciding == ("ModelsOnlyThroughProfiles#DenyDirectModelCalls",)
    # The same deny is in force for the profile calls above, which stay allowed.
    assert call_decision(outcomes["examples", "geo"]).allowed


def test_application_profile_policy_accepting_both_arns_allows_either_presentation(
    outcomes: Outcomes,
) -> None:
    assert call_decision(outcomes["examples", "app_presents_app_arn"]).allowed
    assert call_decision(outcomes["examples", "app_presents_system_arn"]).allowed


def test_application_profile_policy_accepting_only_the_system_arn_depends_on_the_unconfirmed_fact(
    outcomes: Outcomes,
) -> None:
    assert call_decision(outcomes["examples", "system_only_presents_system_arn"]).allowed
    allowed, failed = call_decision(outcomes["examples", "system_only_presents_app_arn"])
    assert not allowed
    assert failed is not None and failed.request.resource == _model(EU6[0], APP_SYSTEM_ONLY_MODEL)


def test_deny_on_unspecified_region_blocks_global_but_not_geographic(outcomes: Outcomes) -> None:
    assert call_decision(outcomes["eu_only", "geo"]).allowed
    allowed, failed = call_decision(outcomes["eu_only", "global"])
    assert not allowed
    assert failed is not None
    assert failed.request.resource == f"arn:aws:bedrock:::foundation-model/{GLOBAL_MODEL}"
    assert failed.decision == "ExplicitlyDenied"
    assert failed.deciding == ("DenyGlobal#DenyGlobalCrossRegionInference",)


def test_region_allow_list_denies_at_each_missing_region_value(outcomes: Outcomes) -> None:
    # Destination checks carry aws:RequestedRegion = the destination, and the global check carries
    # "unspecified", so a Region list must name every destination and "unspecified" (cris-facts §2.5).
    geo_allowed, geo_failed = call_decision(outcomes["region_allow_list", "geo"])
    global_allowed, global_failed = call_decision(outcomes["region_allow_list", "global"])
    assert not geo_allowed and not global_allowed
    assert geo_failed is not None and global_failed is not None
    assert geo_failed.request.resource == _model("eu-north-1", GEO_MODEL)
    assert global_failed.request.resource == f"arn:aws:bedrock:::foundation-model/{GLOBAL_MODEL}"
    for failed in (geo_failed, global_failed):
        assert failed.decision == "ExplicitlyDenied"
        assert failed.deciding == ("RegionAllowList#DenyOutsideAllowedRegions",)


@pytest.mark.parametrize("action", ["bedrock:CreateModelInvocationJob", "bedrock:CreateEvaluationJob"])
def test_a_job_is_one_check_on_the_model_it_names_without_a_profile_arn(action: str) -> None:
    (in_region,) = direct_model_call_checks(
        action=action, partition=PARTITION, region=SOURCE, model_id=GEO_MODEL, principal=PRINCIPAL)
    assert (in_region.action, in_region.resource) == (action, _model(SOURCE, GEO_MODEL))
    assert dict(in_region.context) == {"aws:RequestedRegion": SOURCE}
    (regionless,) = direct_model_call_checks(
        action=action, partition=PARTITION, region="unspecified", model_id=GEO_MODEL, principal=PRINCIPAL)
    assert regionless.resource == f"arn:aws:bedrock:::foundation-model/{GEO_MODEL}"
    assert dict(regionless.context) == {"aws:RequestedRegion": "unspecified"}


def test_mantle_inference_is_one_check_on_the_project_in_the_region_called() -> None:
    (check,) = mantle_inference_checks(
        partition=PARTITION, account=ACCOUNT, region="us-east-1", project_id="default", principal=PRINCIPAL)
    assert check.action == "bedrock-mantle:CreateInference"
    assert check.resource == f"arn:aws:bedrock-mantle:us-east-1:{ACCOUNT}:project/default"
    assert dict(check.context) == {"aws:RequestedRegion": "us-east-1"}
