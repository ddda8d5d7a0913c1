"""The organization guardrail SCP: its exact statements, its size, what each statement is for (evaluated
with an identity policy that allows everything, so only the SCP decides), and its stack."""

from __future__ import annotations

import copy
import fnmatch
import json
import os
import subprocess
import sys

import aws_cdk as cdk
import pytest
import yaml
from cfnlint.api import ManualArgs, lint

from cris_guard import iam_policy, nag, scp
from cris_guard.config import ConfigError, parse_config
from cris_guard.policy_eval import Request, evaluate
from cris_guard.stacks.organization_stack import add_organization_guardrail
from cris_guard.stacks.region_stack import logging_handler_role_name, trail_name

from .conftest import REPO_ROOT, TEST_ACCOUNT

MANAGEMENT = "999988887777"
GUARDRAIL = {"management_account": MANAGEMENT, "target_ids": ["ou-abcd-12345678"]}
EU6 = ["eu-central-1", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-3"]
SERVICES = ["bedrock:*", "bedrock-agentcore:*", "bedrock-mantle:*"]
EU_ROUTING = [
    "arn:${AWS::Partition}:bedrock:*:*:inference-profile/eu.*",
    "arn:${AWS::Partition}:bedrock:*:*:application-inference-profile/*",
]
BOOTSTRAP = "arn:${AWS::Partition}:iam::*:role/cdk-hnb659fds-cfn-exec-role-*"
HANDLERS = "arn:${AWS::Partition}:iam::*:role/acme-genai-bedrock-logging-config-*"
DEPLOYERS = "arn:${AWS::Partition}:iam::*:role/cdk-hnb659fds-deploy-role-*"
STACKS = [
    "arn:${AWS::Partition}:cloudformation:*:*:stack/acme-genai-eu-*/*",
    "arn:${AWS::Partition}:cloudformation:*:*:stack/acme-genai-budgets/*",
]


def _with_guardrail(catalog, default_config, **fields):
    data = default_config.model_dump(mode="python", exclude_none=True)
    data["organization_guardrail"] = {**GUARDRAIL, **fields}
    return parse_config(data, catalog)


@pytest.fixture(scope="module")
def plain(catalog, default_config):
    """The default configuration with a guardrail and no allowed_regions."""
    return _with_guardrail(catalog, default_config)


@pytest.fixture(scope="module")
def narrowed(catalog, default_config):
    """As ``plain``, with direct inference allowed only in the two source Regions."""
    return _with_guardrail(catalog, default_config, allowed_regions=["eu-central-1", "eu-west-1"])


# --- The document -------------------------------------------------------------------------------------


def test_statements_and_their_order(plain, narrowed):
    assert scp.sids(scp.build_scp(plain)) == [
        "DenyNonEuInferenceProfiles", "DenyGlobalCrossRegionInference", "DenyModelsThroughNonEuProfiles",
        "DenyBedrockOutsideEuMemberStates", "DenyBedrockApiKeys", "ProtectBedrockInvocationLogging", "ProtectCrisGuardTrail",
        "ProtectExemptRoles", "ProtectCrisGuardStacks", "ProtectExecutionRolePassing",
    ]
    assert scp.sids(scp.build_scp(narrowed)) == [
        scp.SID_DENY_NON_EU_PROFILES, scp.SID_DENY_GLOBAL, scp.SID_DENY_NON_EU_PROFILE_ROUTING, scp.SID_DENY_OUTSIDE_EU,
        scp.SID_DENY_OUTSIDE_ALLOWED, scp.SID_DENY_API_KEYS, scp.SID_PROTECT_LOGGING, scp.SID_PROTECT_TRAIL, scp.SID_PROTECT_EXEMPT_ROLES,
        scp.SID_PROTECT_STACKS, scp.SID_PROTECT_EXEC_ROLE_PASSING,
    ]
    document = scp.build_scp(narrowed)
    assert document["Version"] == "2012-10-17"
    assert {s["Effect"] for s in document["Statement"]} == {"Deny"}, "a deny-list SCP next to FullAWSAccess"


def test_inference_statements_exactly(narrowed):
    document = scp.build_scp(narrowed)
    assert scp.statement(document, scp.SID_DENY_NON_EU_PROFILES) == {
        "Sid": "DenyNonEuInferenceProfiles",
        "Effect": "Deny",
        "Action": "bedrock:*",
        "Resource": [f"arn:${{AWS::Partition}}:bedrock:*:*:inference-profile/{p}*" for p in
                     ("global.", "us.", "us-gov.", "apac.", "jp.", "au.", "ca.", "in.", "amer.", "sa.")],
    }
    assert scp.statement(document, scp.SID_DENY_GLOBAL) == {
        "Sid": "DenyGlobalCrossRegionInference", "Effect": "Deny", "Action": "bedrock:*", "Resource": "*",
        "Condition": {"StringEquals": {"aws:RequestedRegion": "unspecified"}},
    }
    assert scp.statement(document, scp.SID_DENY_NON_EU_PROFILE_ROUTING) == {
        "Sid": "DenyModelsThroughNonEuProfiles", "Effect": "Deny", "Action": "bedrock:*", "Resource": "*",
        "Condition": {"Null": {"bedrock:InferenceProfileArn": "false"},
                      "ArnNotLike": {"bedrock:InferenceProfileArn": EU_ROUTING}},
    }
    assert scp.statement(document, scp.SID_DENY_OUTSIDE_EU) == {
        "Sid": "DenyBedrockOutsideEuMemberStates", "Effect": "Deny", "Action": SERVICES, "Resource": "*",
        "Condition": {"StringNotEquals": {"aws:RequestedRegion": [*EU6, "unspecified"]}},
    }
    assert scp.statement(document, scp.SID_DENY_OUTSIDE_ALLOWED) == {
        "Sid": "DenyBedrockOutsideAllowedRegions", "Effect": "Deny", "Action": SERVICES,
        # EU guardrail profiles are routed like eu. inference profiles (guardrail-profiles-permissions.html).
        "NotResource": "arn:${AWS::Partition}:bedrock:*:*:guardrail-profile/eu.guardrail.*",
        "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-central-1", "eu-west-1", "unspecified"]},
                      "ArnNotLike": {"bedrock:InferenceProfileArn": EU_ROUTING}},
    }
    # Whole services, so at least everything the identity policies fence by Region.
    fenced = scp.statement(document, scp.SID_DENY_OUTSIDE_EU)["Action"]
    assert all(any(fnmatch.fnmatchcase(a, p) for p in fenced) for a in iam_policy.REGION_DENY_ACTIONS)
    assert {a.split(":")[0] for a in iam_policy.REGION_DENY_ACTIONS} <= {p.split(":")[0] for p in SERVICES}


def test_protection_statements_exactly(plain):
    document = scp.build_scp(plain)
    not_exempt = {"ArnNotLike": {"aws:PrincipalArn": [BOOTSTRAP, HANDLERS]}}
    assert scp.statement(document, scp.SID_PROTECT_LOGGING) == {
        "Sid": "ProtectBedrockInvocationLogging", "Effect": "Deny",
        "Action": ["bedrock:PutModelInvocationLoggingConfiguration", "bedrock:DeleteModelInvocationLoggingConfiguration"],
        "Resource": "*", "Condition": not_exempt,
    }
    assert scp.statement(document, scp.SID_PROTECT_TRAIL) == {
        "Sid": "ProtectCrisGuardTrail", "Effect": "Deny",
        "Action": ["cloudtrail:StopLogging", "cloudtrail:DeleteTrail", "cloudtrail:UpdateTrail",
                   "cloudtrail:PutEventSelectors", "cloudtrail:PutInsightSelectors"],
        "Resource": "arn:${AWS::Partition}:cloudtrail:*:*:trail/acme-genai-bedrock-audit", "Condition": not_exempt,
    }
    roles = scp.statement(document, scp.SID_PROTECT_EXEMPT_ROLES)
    assert roles["Resource"] == [HANDLERS], "the bootstrap role is not protected (cdk bootstrap must keep working)"
    assert roles["Condition"] == not_exempt
    assert {"iam:CreateRole", "iam:UpdateAssumeRolePolicy", "iam:AttachRolePolicy", "iam:PutRolePolicy",
            "iam:PassRole"} <= set(roles["Action"])
    assert not any(a.startswith(("iam:Get", "iam:List")) for a in roles["Action"]), "reads stay allowed"
    not_deployer = {"ArnNotLike": {"aws:PrincipalArn": [DEPLOYERS]}}
    assert scp.statement(document, scp.SID_PROTECT_STACKS) == {
        "Sid": "ProtectCrisGuardStacks", "Effect": "Deny",
        "Action": ["cloudformation:DeleteStack", "cloudformation:UpdateStack", "cloudformation:CreateChangeSet",
                   "cloudformation:ExecuteChangeSet", "cloudformation:ContinueUpdateRollback",
                   "cloudformation:RollbackStack", "cloudformation:CancelUpdateStack", "cloudformation:SetStackPolicy",
                   "cloudformation:UpdateTerminationProtection", "cloudformation:CreateStackRefactor",
                   "cloudformation:ExecuteStackRefactor"],
        "Resource": STACKS, "Condition": not_deployer,
    }
    assert scp.statement(document, scp.SID_PROTECT_EXEC_ROLE_PASSING) == {
        "Sid": "ProtectExecutionRolePassing", "Effect": "Deny", "Action": "iam:PassRole", "Resource": [BOOTSTRAP],
        "Condition": not_deployer,
    }


def test_no_allowed_regions_means_no_direct_inference_fence(plain):
    assert scp.SID_DENY_OUTSIDE_ALLOWED not in scp.sids(scp.build_scp(plain))


def test_custom_exempt_patterns_replace_the_default(catalog, default_config):
    team = "arn:aws:iam::*:role/platform-logging-admin"
    bootstrap = "arn:aws:iam::*:role/cdk-myqual-cfn-exec-role-*"  # another qualifier: still not protected
    config = _with_guardrail(catalog, default_config, exempt_role_arn_patterns=[bootstrap, team])
    document = scp.build_scp(config)
    for sid in (scp.SID_PROTECT_LOGGING, scp.SID_PROTECT_TRAIL, scp.SID_PROTECT_EXEMPT_ROLES):
        assert scp.statement(document, sid)["Condition"] == {"ArnNotLike": {"aws:PrincipalArn": [bootstrap, team]}}
    assert scp.statement(document, scp.SID_PROTECT_EXEMPT_ROLES)["Resource"] == [team]
    assert scp.statement(document, scp.SID_PROTECT_EXEC_ROLE_PASSING)["Resource"] == [bootstrap]
    only_bootstrap = _with_guardrail(catalog, default_config, exempt_role_arn_patterns=[bootstrap])
    assert scp.SID_PROTECT_EXEMPT_ROLES not in scp.sids(scp.build_scp(only_bootstrap))
    # No CDK execution role exempt (a StackSet roll-out): nothing to keep from being passed.
    stacksets = _with_guardrail(catalog, default_config, exempt_role_arn_patterns=["arn:aws:iam::*:role/stacksets-exec-*", team])
    assert scp.SID_PROTECT_EXEC_ROLE_PASSING not in scp.sids(scp.build_scp(stacksets))
    assert scp.SID_PROTECT_STACKS in scp.sids(scp.build_scp(stacksets))


def test_custom_deployer_patterns_replace_the_default(catalog, default_config, plain):
    assert scp.deployer_principals(plain) == scp.default_deployer_principals(plain) == scp.default_deployer_principals() == [DEPLOYERS]
    pipeline = "arn:aws:iam::123456789012:role/cdk-myqual-deploy-role-123456789012-eu-central-1"
    config = _with_guardrail(catalog, default_config, deployer_role_arn_patterns=[pipeline, "arn:aws:iam::*:role/break-glass"])
    document = scp.build_scp(config)
    for sid in (scp.SID_PROTECT_STACKS, scp.SID_PROTECT_EXEC_ROLE_PASSING):
        assert scp.statement(document, sid)["Condition"] == {
            "ArnNotLike": {"aws:PrincipalArn": [pipeline, "arn:aws:iam::*:role/break-glass"]}}
    # Deployers are not exempt from the trail and logging protection: CloudFormation acts for them.
    assert pipeline not in json.dumps(scp.statement(document, scp.SID_PROTECT_TRAIL))


def test_deployer_patterns_are_validated(catalog, default_config):
    from cris_guard.config import ConfigError

    for bad, why in (([], "must not be empty"), (["arn:aws:iam::*:user/ci"], "IAM role ARN"),
                     ([DEPLOYERS.replace("${AWS::Partition}", "aws")] * 2, "pattern")):
        with pytest.raises(ConfigError, match="organization_guardrail.deployer_role_arn_patterns") as info:
            _with_guardrail(catalog, default_config, deployer_role_arn_patterns=bad)
        assert why in str(info.value), str(info.value)


def test_protected_names_match_what_the_region_stacks_create(plain):
    assert scp.trail_name(plain) == trail_name(plain) == "acme-genai-bedrock-audit"
    pattern = scp.logging_handler_role_pattern(plain).replace(scp.PARTITION, "aws")
    for region in EU6:
        arn = f"arn:aws:iam::{TEST_ACCOUNT}:role/{logging_handler_role_name(plain, region)}"
        assert fnmatch.fnmatchcase(arn, pattern), arn
    assert scp.default_exempt_principals(plain) == [BOOTSTRAP, HANDLERS]
    assert scp.STACKSETS_EXEC_ROLE_PATTERN not in scp.default_exempt_principals(plain)
    assert scp.stack_patterns(plain) == STACKS


def test_the_stack_protection_leaves_other_teams_stacks_with_the_same_prefix_alone(plain):
    patterns = [p.replace("${AWS::Partition}", "aws") for p in scp.stack_patterns(plain)]

    def protected(name: str) -> bool:
        return any(fnmatch.fnmatchcase(f"arn:aws:cloudformation:eu-west-1:{TEST_ACCOUNT}:stack/{name}/{STACK_ID}", p)
                   for p in patterns)

    assert [n for n in ("acme-genai-eu-west-1", "acme-genai-eu-west-1-apps-2", "acme-genai-budgets") if not protected(n)] == []
    assert [n for n in ("acme-genai-chatbot", "acme-genai-budgets-v2", "CDKToolkit") if protected(n)] == []


def test_a_custom_bootstrap_qualifier_gets_its_own_deploy_role_as_deployer(catalog, plain):
    """An exempt cdk-<q>-cfn-exec-role-* without deployer patterns must not lock out cdk-<q>-deploy-role-*."""
    guardrail = plain.organization_guardrail.model_copy(update={"exempt_role_arn_patterns": [
        "arn:aws:iam::*:role/cdk-crisguard-cfn-exec-role-*", "arn:aws:iam::*:role/acme-genai-bedrock-logging-config-*",
    ]})
    config = plain.model_copy(update={"organization_guardrail": guardrail})
    assert scp.deployer_principals(config) == ["arn:aws:iam::*:role/cdk-crisguard-deploy-role-*"]
    document = scp.build_scp(config)
    passing = scp.statement(document, scp.SID_PROTECT_EXEC_ROLE_PASSING)
    assert passing["Resource"] == ["arn:aws:iam::*:role/cdk-crisguard-cfn-exec-role-*"]
    assert passing["Condition"]["ArnNotLike"]["aws:PrincipalArn"] == ["arn:aws:iam::*:role/cdk-crisguard-deploy-role-*"]


def test_build_scp_needs_the_guardrail(default_config):
    with pytest.raises(ValueError, match="organization_guardrail: not set"):
        scp.build_scp(default_config)


# --- Size ----------------------------------------------------------------------------------------------


def test_size_counts_every_character_with_the_worst_case_partition(narrowed):
    document = scp.build_scp(narrowed)
    text = json.dumps(document).replace("${AWS::Partition}", "aws-us-gov")
    assert scp.policy_size(document) == len(text)
    compact = len(json.dumps(document, separators=(",", ":")).replace("${AWS::Partition}", "aws"))
    assert scp.policy_size(document) > compact + 250, "whitespace and the longest partition are counted"


def test_default_configuration_sizes(plain, narrowed):
    # The figures docs/organization.md quotes; update both together.
    assert scp.policy_size(scp.build_scp(plain)) == 4063
    assert scp.policy_size(scp.build_scp(narrowed)) == 4541


def test_size_is_in_utf8_bytes_and_refuses_unknown_placeholders():
    assert scp.policy_size({"Sid": "é"}) == len('{"Sid": "é"}') + 1
    with pytest.raises(ValueError, match="unresolved placeholder"):
        scp.policy_size({"Resource": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/x"})


def _padded(size: int) -> dict:
    document = {"Sid": ""}
    document["Sid"] = "x" * (size - scp.policy_size(document))
    assert scp.policy_size(document) == size
    return document


def test_scp_too_large_is_one_line_naming_size_limit_and_fix():
    assert scp.check_size(_padded(5120)) == 5120
    with pytest.raises(scp.ScpTooLarge) as info:
        scp.check_size(_padded(5121))
    assert str(info.value) == (
        "organization_guardrail: the SCP is 5,121 characters, over the 5,120-character SCP limit by 1 (counted with"
        " whitespace); list fewer or shorter exempt_role_arn_patterns, deployer_role_arn_patterns,"
        " api_key_exempt_principal_arn_patterns or allowed_regions"
    )
    assert isinstance(info.value, ValueError)


def _overflowing(catalog, default_config):
    patterns = [f"arn:aws:iam::*:role/platform-team-logging-administrators-number-{n:02d}-*" for n in range(12)]
    return _with_guardrail(catalog, default_config, exempt_role_arn_patterns=patterns)


def test_the_stack_refuses_an_overflowing_scp_at_synth(catalog, default_config):
    with pytest.raises(scp.ScpTooLarge, match=r"the SCP is [0-9,]+ characters, over the 5,120"):
        add_organization_guardrail(cdk.App(), _overflowing(catalog, default_config))


def test_app_py_prints_the_size_error_as_one_line_with_exit_2(catalog, default_config, tmp_path):
    data = yaml.safe_load((REPO_ROOT / "config" / "default.yaml").read_text())
    data["organization_guardrail"] = _overflowing(catalog, default_config).organization_guardrail.model_dump(exclude_none=True)
    path = tmp_path / "big.yaml"
    path.write_text(yaml.safe_dump(data))
    env = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20", "CRIS_GUARD_CONFIG": str(path),
           "CDK_OUTDIR": str(tmp_path / "out")}
    result = subprocess.run([sys.executable, "app.py"], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("cris-guard:")]
    assert len(lines) == 1 and "over the 5,120-character SCP limit" in lines[0], result.stderr[-2000:]
    assert "exempt_role_arn_patterns" in lines[0]


# --- What each statement does (identity policy allows everything; only the SCP decides) ---------------

ROLE_SESSION = f"arn:aws:sts::{TEST_ACCOUNT}:assumed-role/{{}}/s"
ADMIN = ROLE_SESSION.format("admin")
HANDLER = ROLE_SESSION.format("acme-genai-bedrock-logging-config-eu-central-1")
CFN_EXEC = ROLE_SESSION.format(f"cdk-hnb659fds-cfn-exec-role-{TEST_ACCOUNT}-eu-central-1")
DEPLOYER = ROLE_SESSION.format(f"cdk-hnb659fds-deploy-role-{TEST_ACCOUNT}-eu-central-1")
API_KEY_USER = f"arn:aws:iam::{TEST_ACCOUNT}:user/BedrockAPIKey-abcd"
ALLOW_ALL = {"Version": "2012-10-17", "Statement": [
    {"Sid": "AllowAll", "Effect": "Allow",
     "Action": ["bedrock:*", "bedrock-agentcore:*", "bedrock-mantle:*", "cloudformation:*", "cloudtrail:*", "iam:*"],
     "Resource": "*"}]}
MODEL = "anthropic.claude-sonnet-4-6"


def _model(region: str, profile: str | None = None, *, action: str = "bedrock:InvokeModel") -> Request:
    context = {"aws:RequestedRegion": region}
    if profile is not None:
        context["bedrock:InferenceProfileArn"] = f"arn:aws:bedrock:eu-central-1:{TEST_ACCOUNT}:inference-profile/{profile}"
    resource = f"arn:aws:bedrock:{region if region != 'unspecified' else ''}::foundation-model/{MODEL}"
    return Request(ADMIN, action, resource, context)


def _call(principal: str, action: str, resource: str, region: str = "eu-central-1") -> Request:
    return Request(principal, action, resource, {"aws:RequestedRegion": region})


TRAIL = f"arn:aws:cloudtrail:eu-central-1:{TEST_ACCOUNT}:trail/acme-genai-bedrock-audit"
STACK_ID = "0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d"
GOVERNANCE_STACK = f"arn:aws:cloudformation:eu-central-1:{TEST_ACCOUNT}:stack/acme-genai-eu-central-1/{STACK_ID}"
OVERFLOW_STACK = f"arn:aws:cloudformation:eu-west-1:{TEST_ACCOUNT}:stack/acme-genai-eu-west-1-apps-2/{STACK_ID}"
OTHER_STACK = f"arn:aws:cloudformation:eu-central-1:{TEST_ACCOUNT}:stack/payments-api/{STACK_ID}"
CFN_EXEC_ROLE = f"arn:aws:iam::{TEST_ACCOUNT}:role/cdk-hnb659fds-cfn-exec-role-{TEST_ACCOUNT}-eu-central-1"
HANDLER_ROLE = f"arn:aws:iam::{TEST_ACCOUNT}:role/acme-genai-bedrock-logging-config-eu-central-1"
# statement -> requests only that statement denies (each must be Allowed once the statement is removed)
PROBES: dict[str, list[Request]] = {
    scp.SID_DENY_NON_EU_PROFILES: [
        _call(ADMIN, "bedrock:InvokeModel", f"arn:aws:bedrock:eu-central-1:{TEST_ACCOUNT}:inference-profile/us.{MODEL}"),
        _call(ADMIN, "bedrock:GetInferenceProfile",
              f"arn:aws:bedrock:eu-central-1:{TEST_ACCOUNT}:inference-profile/global.{MODEL}"),
    ],
    # The Region-less check presented with an eu. ARN: nothing but the "unspecified" deny refuses it.
    scp.SID_DENY_GLOBAL: [_model("unspecified", f"eu.{MODEL}")],
    scp.SID_DENY_NON_EU_PROFILE_ROUTING: [_model("eu-central-1", f"xx.{MODEL}")],
    scp.SID_DENY_OUTSIDE_EU: [_model("us-east-1", f"eu.{MODEL}"), _model("eu-west-2", f"eu.{MODEL}")],
    scp.SID_DENY_OUTSIDE_ALLOWED: [
        _model("eu-north-1"),
        _model("eu-west-3", action="bedrock:CreateModelInvocationJob"),
        _call(ADMIN, "bedrock-mantle:CreateInference", f"arn:aws:bedrock-mantle:eu-north-1:{TEST_ACCOUNT}:project/default",
              "eu-north-1"),
        # Not only inference: a whole-service allow-list (reads and guardrails too), with the CRIS exemption.
        _call(ADMIN, "bedrock:ApplyGuardrail", f"arn:aws:bedrock:eu-north-1:{TEST_ACCOUNT}:guardrail/abc123def456",
              "eu-north-1"),
        _call(ADMIN, "bedrock:GetInferenceProfile",
              f"arn:aws:bedrock:eu-south-1:{TEST_ACCOUNT}:inference-profile/eu.{MODEL}", "eu-south-1"),
    ],
    scp.SID_PROTECT_LOGGING: [
        _call(ADMIN, "bedrock:PutModelInvocationLoggingConfiguration", "*"),
        _call(ADMIN, "bedrock:DeleteModelInvocationLoggingConfiguration", "*"),
    ],
    scp.SID_PROTECT_TRAIL: [_call(ADMIN, "cloudtrail:StopLogging", TRAIL), _call(ADMIN, "cloudtrail:DeleteTrail", TRAIL)],
    scp.SID_PROTECT_EXEMPT_ROLES: [
        _call(ADMIN, "iam:UpdateAssumeRolePolicy", HANDLER_ROLE),
        _call(ADMIN, "iam:CreateRole", f"arn:aws:iam::{TEST_ACCOUNT}:role/acme-genai-bedrock-logging-config-evil"),
        _call(ADMIN, "iam:PassRole", HANDLER_ROLE),
    ],
    # The confused deputy: CloudFormation would delete the trail with the stack's (exempt) service role.
    scp.SID_PROTECT_STACKS: [
        _call(ADMIN, "cloudformation:DeleteStack", GOVERNANCE_STACK),
        _call(ADMIN, "cloudformation:ExecuteChangeSet", GOVERNANCE_STACK),
        _call(ADMIN, "cloudformation:UpdateStack", OVERFLOW_STACK, "eu-west-1"),
        _call(ADMIN, "cloudformation:ContinueUpdateRollback", GOVERNANCE_STACK),
        _call(ADMIN, "cloudformation:CreateStackRefactor", GOVERNANCE_STACK),
        # The execution role is exempt from the trail protection, not a deployer.
        _call(CFN_EXEC, "cloudformation:DeleteStack", GOVERNANCE_STACK),
    ],
    # A stack of another name that runs with the exempt execution role.
    scp.SID_PROTECT_EXEC_ROLE_PASSING: [_call(ADMIN, "iam:PassRole", CFN_EXEC_ROLE)],
    # API keys: the IAM user a long-term key creates, and a role's short-term key, on both endpoints.
    scp.SID_DENY_API_KEYS: [
        _call(API_KEY_USER, "bedrock:CallWithBearerToken", "*"),
        _call(ADMIN, "bedrock-mantle:CallWithBearerToken", "*"),
    ],
}
# A model check of a call through an application profile, whichever ARN Bedrock presents there
# (UNCONFIRMED, cris-facts §6.3): the application profile's or the eu. system profile's.
APP_PROFILE_CHECK = Request(
    ADMIN, "bedrock:InvokeModelWithResponseStream", f"arn:aws:bedrock:eu-north-1::foundation-model/{MODEL}",
    {"aws:RequestedRegion": "eu-north-1",
     "bedrock:InferenceProfileArn": f"arn:aws:bedrock:eu-central-1:{TEST_ACCOUNT}:application-inference-profile/abcdefghijkl"},
)
# Requests the SCP must let through.
PASSES: list[Request] = [
    # CRIS: an eu. call from Frankfurt routed to Stockholm, Milan, Spain and Paris (not allowed_regions).
    _call(ADMIN, "bedrock:InvokeModel", f"arn:aws:bedrock:eu-central-1:{TEST_ACCOUNT}:inference-profile/eu.{MODEL}"),
    *[_model(region, f"eu.{MODEL}") for region in EU6],
    APP_PROFILE_CHECK,
    _model("eu-central-1"),  # direct, in an allowed Region
    _call(HANDLER, "bedrock:PutModelInvocationLoggingConfiguration", "*"),
    _call(CFN_EXEC, "cloudtrail:UpdateTrail", TRAIL),
    _call(CFN_EXEC, "iam:CreateRole", HANDLER_ROLE),
    _call(ADMIN, "cloudtrail:StopLogging", f"arn:aws:cloudtrail:eu-central-1:{TEST_ACCOUNT}:trail/someone-elses"),
    # The documented gap: a role with a bootstrap-like name is not protected (cdk bootstrap creates it).
    _call(ADMIN, "iam:CreateRole", f"arn:aws:iam::{TEST_ACCOUNT}:role/cdk-hnb659fds-cfn-exec-role-x"),
    # cdk deploy / cdk destroy / cdk rollback: the deploy role calls CloudFormation and passes the execution role.
    *[_call(DEPLOYER, action, GOVERNANCE_STACK) for action in scp.STACK_ACTIONS],
    _call(DEPLOYER, "iam:PassRole", CFN_EXEC_ROLE),
    # Stacks of other names are not the SCP's business; nor is deleting a change set (no resource changes).
    *[_call(ADMIN, action, OTHER_STACK) for action in scp.STACK_ACTIONS],
    _call(ADMIN, "cloudformation:DeleteChangeSet", GOVERNANCE_STACK),
    _call(ADMIN, "cloudformation:DescribeStacks", GOVERNANCE_STACK),
    # Bedrock reads and guardrails in an allowed Region.
    _call(ADMIN, "bedrock:ApplyGuardrail", f"arn:aws:bedrock:eu-west-1:{TEST_ACCOUNT}:guardrail/abc123def456", "eu-west-1"),
    # A guardrail's EU guardrail profile checked in its destination Regions, allowed_regions or not.
    *[_call(ADMIN, "bedrock:ApplyGuardrail", f"arn:aws:bedrock:{r}:{TEST_ACCOUNT}:guardrail-profile/eu.guardrail.v1:0", r)
      for r in EU6],
]


def _rendered(config) -> dict:
    """The SCP as CloudFormation resolves it in the commercial partition."""
    return json.loads(json.dumps(scp.build_scp(config)).replace("${AWS::Partition}", "aws"))


def _decisions(document: dict, requests: list[Request]) -> list[str]:
    return [d.decision for d in evaluate({"identity": ALLOW_ALL}, requests, service_control_policies={"guardrail": document})]


@pytest.fixture(scope="module")
def narrowed_scp(narrowed) -> dict:
    return _rendered(narrowed)


def test_each_statement_denies_its_probes_and_the_scp_lets_cris_through(narrowed_scp):
    probes = [r for requests in PROBES.values() for r in requests]
    results = evaluate({"identity": ALLOW_ALL}, probes + PASSES, service_control_policies={"guardrail": narrowed_scp})
    by_probe = iter(results[: len(probes)])
    for sid, requests in PROBES.items():
        for request in requests:
            decision = next(by_probe)
            assert decision.decision == "ExplicitlyDenied", (sid, request)
            assert f"guardrail#{sid}" in decision.deciding, (sid, request, decision.deciding)
    refused = [(d.request, d.deciding) for d in results[len(probes):] if not d.allowed]
    assert refused == []


def test_removing_any_statement_lets_its_probes_through(narrowed_scp):
    for sid, requests in PROBES.items():
        mutant = copy.deepcopy(narrowed_scp)
        mutant["Statement"] = [s for s in mutant["Statement"] if s["Sid"] != sid]
        assert _decisions(mutant, requests) == ["Allowed"] * len(requests), sid


def test_without_the_cris_exemption_the_region_allow_list_breaks_cris(narrowed_scp):
    """The classic Region allow-list is DenyDirectInferenceOutsideAllowedRegions without its ArnNotLike: the
    eu. call's model check in Stockholm carries aws:RequestedRegion=eu-north-1 and is refused (cris-facts §8.1)."""
    routed = [_model(region, f"eu.{MODEL}") for region in ("eu-north-1", "eu-south-1", "eu-south-2", "eu-west-3")]
    assert _decisions(narrowed_scp, routed) == ["Allowed"] * 4
    classic = copy.deepcopy(narrowed_scp)
    del scp.statement(classic, scp.SID_DENY_OUTSIDE_ALLOWED)["Condition"]["ArnNotLike"]
    assert _decisions(classic, routed) == ["ExplicitlyDenied"] * 4
    # The allowed source Regions themselves are unaffected either way.
    assert _decisions(classic, [_model("eu-west-1", f"eu.{MODEL}")]) == ["Allowed"]


def test_without_allowed_regions_direct_calls_stay_allowed_in_the_eu(plain):
    assert _decisions(_rendered(plain), [_model("eu-north-1"), _model("us-east-1")]) == ["Allowed", "ExplicitlyDenied"]


# Bedrock calls that are not InvokeModel*, a job or bedrock-mantle:CreateInference, but process data in the
# Region they are called in: the EU-6 fence covers the whole service prefixes.
def _beyond_inference(region: str) -> list[Request]:
    arn = f"arn:aws:bedrock:{region}:{TEST_ACCOUNT}"
    return [
        _call(ADMIN, "bedrock:ApplyGuardrail", f"{arn}:guardrail/abc123def456", region),
        _call(ADMIN, "bedrock:Rerank", "*", region),
        _call(ADMIN, "bedrock:Retrieve", f"{arn}:knowledge-base/ABCDEFGHIJ", region),
        _call(ADMIN, "bedrock:InvokeInlineAgent", "*", region),
        _call(ADMIN, "bedrock:InvokeFlow", f"{arn}:flow/ABCDEFGHIJ/alias/ABCDEFGHIJ", region),
        _call(ADMIN, "bedrock:InvokeDataAutomationAsync", f"{arn}:data-automation-project/abcdef123456", region),
        _call(ADMIN, "bedrock:ListFoundationModels", "*", region),
        _call(ADMIN, "bedrock-agentcore:InvokeAgentRuntime",
              f"arn:aws:bedrock-agentcore:{region}:{TEST_ACCOUNT}:runtime/agent-AbCdEf1234", region),
        _call(ADMIN, "bedrock-mantle:CreateInference", f"arn:aws:bedrock-mantle:{region}:{TEST_ACCOUNT}:project/default",
              region),
    ]


def test_the_eu_fence_covers_all_of_bedrock_not_only_inference(plain):
    document = _rendered(plain)
    outside = [r for region in ("us-east-1", "eu-west-2", "eu-central-2") for r in _beyond_inference(region)]
    results = evaluate({"identity": ALLOW_ALL}, outside, service_control_policies={"guardrail": document})
    assert [(d.request.action, d.request.context["aws:RequestedRegion"]) for d in results if d.deciding !=
            (f"guardrail#{scp.SID_DENY_OUTSIDE_EU}",)] == []
    inside = [r for region in EU6 for r in _beyond_inference(region)]
    assert set(_decisions(document, inside)) == {"Allowed"}, "without allowed_regions, every EU-6 Region"
    # The fence as it was (inference actions only) let them through in us-east-1.
    old = copy.deepcopy(document)
    scp.statement(old, scp.SID_DENY_OUTSIDE_EU)["Action"] = list(iam_policy.REGION_DENY_ACTIONS)
    leaked = [d.request.action for d in evaluate({"identity": ALLOW_ALL}, _beyond_inference("us-east-1"),
                                                  service_control_policies={"guardrail": old}) if d.allowed]
    assert leaked == [r.action for r in _beyond_inference("us-east-1")[:-1]]


def test_the_allowed_regions_fence_keeps_the_cris_exemption_for_every_action(narrowed_scp):
    """eu. CRIS still routes anywhere in the EU-6; everything else of Bedrock stays in allowed_regions."""
    routed = [_model(region, f"eu.{MODEL}", action=action) for region in EU6
              for action in ("bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream")]
    assert set(_decisions(narrowed_scp, routed)) == {"Allowed"}
    assert set(_decisions(narrowed_scp, _beyond_inference("eu-central-1") + _beyond_inference("eu-west-1"))) == {"Allowed"}
    for region in ("eu-north-1", "eu-south-1", "eu-south-2", "eu-west-3"):
        results = evaluate({"identity": ALLOW_ALL}, _beyond_inference(region),
                           service_control_policies={"guardrail": narrowed_scp})
        assert {d.deciding for d in results} == {(f"guardrail#{scp.SID_DENY_OUTSIDE_ALLOWED}",)}, region


# --- Which accounts the SCP binds ------------------------------------------------------------------------


@pytest.mark.parametrize(("targets", "account", "applies", "reason"), [
    (["ou-abcd-12345678"], MANAGEMENT, False, "the management account"),
    ([MANAGEMENT, "111122223333"], MANAGEMENT, False, "the management account"),  # listed, yet never bound
    (["111122223333", "444455556666"], "111122223333", True, "attached to the account itself"),
    (["111122223333"], "444455556666", False, "not among target_ids, which are all account IDs"),
    (["111122223333", "ou-abcd-12345678"], "111122223333", True, "attached to the account itself"),
    (["111122223333", "ou-abcd-12345678"], "444455556666", None, "if the account is under ou-abcd-12345678"),
    (["r-ab12"], "444455556666", None, "if the account is under r-ab12"),
    (["111122223333"], None, None, "from the deploying credentials"),
])
def test_guardrail_applies(catalog, default_config, targets, account, applies, reason):
    config = _with_guardrail(catalog, default_config, target_ids=targets)
    scope = scp.guardrail_scope(config, account)
    assert scp.guardrail_applies(config, account) is applies
    assert (scope.applies, scope.label) == (applies, {True: "applies", False: "does not apply",
                                                      None: "assumed to apply"}[applies])
    assert reason in scope.reason
    with pytest.raises(ValueError, match="organization_guardrail: not set"):
        scp.guardrail_applies(default_config, account)


# --- The stack -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def two_accounts(two_accounts_example):
    """The multi-account example (it has an organization_guardrail), synthesized once per session."""
    config, built, _, assembly = two_accounts_example
    return config, built, assembly


def test_the_guardrail_is_one_stack_at_the_app_root(two_accounts):
    config, built, assembly = two_accounts
    stack = built.guardrail
    assert stack is not None and stack.node.scope is built.app and cdk.Stage.of(stack) is built.app
    assert stack.stack_name == f"{config.name}-organization-guardrail"
    assert (stack.account, stack.region) == ("999988887777", "us-east-1")
    assert [s.stack_name for s in assembly.stacks if s.stack_name.endswith("-organization-guardrail")] == [stack.stack_name]
    nested = [s for s in assembly.stacks_recursively if s.stack_name.endswith("-organization-guardrail")]
    assert len(nested) == 1, "no account Stage carries a guardrail"


def test_the_policy_resource(two_accounts):
    config, built, assembly = two_accounts
    template = assembly.get_stack_by_name(built.guardrail.stack_name).template
    (logical_id,) = template["Resources"]
    resource = template["Resources"][logical_id]
    assert resource["Type"] == "AWS::Organizations::Policy"
    props = resource["Properties"]
    assert props["Type"] == "SERVICE_CONTROL_POLICY"
    assert props["Name"] == f"{config.name}-cris-guard-bedrock-eu"
    assert props["TargetIds"] == ["ou-ab12-cdef3456"]
    assert 1 <= len(props["Description"]) <= 512
    assert {"Key": "cris-guard:managed-by", "Value": "cris-guard"} in props["Tags"]
    assert isinstance(props["Content"], dict), "a JSON object, for drift detection"

    def resolve(value):
        if isinstance(value, dict) and set(value) == {"Fn::Sub"}:
            return value["Fn::Sub"].replace("${AWS::Partition}", "aws")
        if isinstance(value, dict):
            return {k: resolve(v) for k, v in value.items()}
        return [resolve(v) for v in value] if isinstance(value, list) else value

    assert resolve(props["Content"]) == _rendered(config)
    assert built.guardrail.size == scp.policy_size(scp.build_scp(config)) <= scp.SCP_SIZE_LIMIT
    assert template["Outputs"]["PolicyId"]["Value"] == {"Fn::GetAtt": [logical_id, "Id"]}


def test_every_account_trail_has_the_name_the_scp_protects(two_accounts):
    config, _, assembly = two_accounts
    trails = [r["Properties"] for s in assembly.stacks_recursively for r in s.template["Resources"].values()
              if r["Type"] == "AWS::CloudTrail::Trail"]
    assert len(trails) == len(config.accounts) and {t["TrailName"] for t in trails} == {scp.trail_name(config)}


def test_every_stack_cris_guard_deploys_is_one_the_scp_protects(two_accounts):
    """ProtectCrisGuardStacks names stacks by <name>-*: each Stage keeps the stack names (no Stage prefix)."""
    config, _, assembly = two_accounts
    patterns = [p.replace("${AWS::Partition}", "aws") for p in scp.stack_patterns(config)]
    # Every stack of the member accounts; the guardrail stack lives in the management account.
    names = [s.stack_name for s in assembly.stacks_recursively if s.environment.account != config.organization_guardrail.management_account]
    assert len(names) == 3
    for name in names:
        arn = f"arn:aws:cloudformation:eu-west-1:{TEST_ACCOUNT}:stack/{name}/{STACK_ID}"
        assert any(fnmatch.fnmatchcase(arn, p) for p in patterns), name


def test_the_guardrail_stack_passes_the_nag_packs_and_cfn_lint(two_accounts):
    _, built, assembly = two_accounts
    assert nag.violations(built.app, built.guardrail) == []
    template = assembly.get_stack_by_name(built.guardrail.stack_name).template
    assert [str(m) for m in lint(json.dumps(template), config=ManualArgs(regions=["us-east-1"]))] == []


def test_no_guardrail_stack_without_the_configuration_key(default_config):
    app = cdk.App()
    assert add_organization_guardrail(app, default_config) is None
    assert app.node.children == []


# --- API keys and the global-deny variant ---------------------------------------------------------------


def test_api_key_statement_exactly_and_its_exemptions(catalog, default_config):
    exempt = ["arn:aws:iam::*:user/BedrockAPIKey-legacy-*", "arn:aws:iam::111122223333:role/crm-*"]
    config = _with_guardrail(catalog, default_config, api_key_exempt_principal_arn_patterns=exempt)
    assert scp.statement(scp.build_scp(config), scp.SID_DENY_API_KEYS) == {
        "Sid": "DenyBedrockApiKeys", "Effect": "Deny",
        "Action": ["bedrock:CallWithBearerToken", "bedrock-mantle:CallWithBearerToken"], "Resource": "*",
        "Condition": {"ArnNotLike": {"aws:PrincipalArn": exempt}},
    }
    document = _rendered(config)
    legacy = f"arn:aws:iam::{TEST_ACCOUNT}:user/BedrockAPIKey-legacy-crm"
    assert _decisions(document, [_call(legacy, "bedrock:CallWithBearerToken", "*"),
                                 _call(API_KEY_USER, "bedrock:CallWithBearerToken", "*")]) == ["Allowed", "ExplicitlyDenied"]
    # The size check counts the exemptions with the rest.
    assert scp.policy_size(scp.build_scp(config)) == scp.policy_size(scp.build_scp(_with_guardrail(catalog, default_config))) + 139


def test_api_keys_allow_drops_the_statement(catalog, default_config):
    config = _with_guardrail(catalog, default_config, api_keys="allow")
    assert scp.SID_DENY_API_KEYS not in scp.sids(scp.build_scp(config))


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"api_key_exempt_principal_arn_patterns": ["BedrockAPIKey-*"]},
         "organization_guardrail.api_key_exempt_principal_arn_patterns[0]: 'BedrockAPIKey-*' is invalid; use an IAM"
         " role or user ARN pattern such as arn:aws:iam::111122223333:user/BedrockAPIKey-*"),
        ({"api_key_exempt_principal_arn_patterns": ["arn:aws:s3:::bucket"]}, "[0]: 'arn:aws:s3:::bucket' is invalid"),
        ({"api_keys": "allow", "api_key_exempt_principal_arn_patterns": ["arn:aws:iam::*:user/x"]},
         "api_key_exempt_principal_arn_patterns: set, but api_keys is 'allow'"),
        ({"api_key_exempt_principal_arn_patterns": ["arn:aws:iam::*:user/*"]},
         "'arn:aws:iam::*:user/*' exempts every principal name; name the users or roles"),
        ({"api_keys": "maybe"}, "organization_guardrail.api_keys: 'maybe' is not allowed"),
        ({"global_deny": "none"}, "organization_guardrail.global_deny: 'none' is not allowed"),
    ],
)
def test_bad_api_key_and_global_deny_settings_are_one_line(catalog, default_config, fields, message):
    data = default_config.model_dump(mode="python", exclude_none=True)
    data["organization_guardrail"] = {**GUARDRAIL, **fields}
    with pytest.raises(ConfigError) as info:
        parse_config(data, catalog, origin="c.yaml")
    lines = str(info.value).splitlines()
    assert len(lines) == 1 and message in lines[0], lines


def test_global_deny_variants(catalog, default_config):
    strict = scp.statement(scp.build_scp(_with_guardrail(catalog, default_config)), scp.SID_DENY_GLOBAL)
    assert strict["Condition"] == {"StringEquals": {"aws:RequestedRegion": "unspecified"}}
    narrow_config = _with_guardrail(catalog, default_config, global_deny="global-profiles")
    narrow = scp.statement(scp.build_scp(narrow_config), scp.SID_DENY_GLOBAL)
    assert narrow["Condition"] == {
        "StringEquals": {"aws:RequestedRegion": "unspecified"},
        "Null": {"bedrock:InferenceProfileArn": "false"},
    }
    # A Region-less check without a profile key, as Nova web grounding makes (bedrock:InvokeTool on
    # system-tool/amazon.nova_grounding; the pinned simulator has no resource type for system-tool, so a
    # Region-less model check without bedrock:InferenceProfileArn stands in for it). Refused by the
    # default, allowed by AWS's narrower form.
    grounding = _model("unspecified")
    assert _decisions(_rendered(_with_guardrail(catalog, default_config)), [grounding]) == ["ExplicitlyDenied"]
    # Global CRIS stays refused with the narrower form: its Region-less model check and its profile check.
    # An application profile wrapping a global. profile presents its own ARN at the Region-less check
    # (UNCONFIRMED, cris-facts §6.3): refused too, also with allowed_regions (which exempts application profiles).
    through_app = Request(ADMIN, "bedrock:InvokeModel", f"arn:aws:bedrock:::foundation-model/{MODEL}", {
        "aws:RequestedRegion": "unspecified",
        "bedrock:InferenceProfileArn": f"arn:aws:bedrock:eu-central-1:{TEST_ACCOUNT}:application-inference-profile/abcdefghijkl"})
    for document in (_rendered(narrow_config),
                     _rendered(_with_guardrail(catalog, default_config, global_deny="global-profiles",
                                               allowed_regions=["eu-central-1", "eu-west-1"]))):
        assert _decisions(document, [grounding, _model("unspecified", f"global.{MODEL}"), through_app,
                                     _call(ADMIN, "bedrock:InvokeModel",
                                           f"arn:aws:bedrock:eu-central-1:{TEST_ACCOUNT}:inference-profile/global.{MODEL}")]
                          ) == ["Allowed", "ExplicitlyDenied", "ExplicitlyDenied", "ExplicitlyDenied"]
