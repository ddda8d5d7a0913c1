"""EuInvokeAccess: the synthesized role and managed policies, grants, validation, cdk-nag."""

from __future__ import annotations

import json
import os

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import aws_cdk as cdk  # noqa: E402
import pytest  # noqa: E402
from aws_cdk import aws_iam as iam  # noqa: E402

from cris_guard import iam_policy as ip  # noqa: E402
from cris_guard.constructs.application_profiles import ApplicationProfiles  # noqa: E402
from cris_guard.constructs.eu_invoke_access import EuInvokeAccess, PolicyError  # noqa: E402
from cris_guard.nag import register_nag_packs, violations  # noqa: E402
from cris_guard.scenarios import StackTemplate, extract_access  # noqa: E402

ACCOUNT = "111122223333"
SONNET = "eu.anthropic.claude-sonnet-4-6"
NOVA2 = "eu.amazon.nova-2-lite-v1:0"
EXISTING_ROLE = f"arn:aws:iam::{ACCOUNT}:role/existing-copilot-runtime"


def _stack(app, region="eu-central-1", name="Frankfurt"):
    return cdk.Stack(app, name, env=cdk.Environment(account=ACCOUNT, region=region))


@pytest.fixture(scope="module")
def built(catalog):
    app = cdk.App()
    register_nag_packs(app)
    stack = _stack(app)
    small = EuInvokeAccess(
        stack, "Small", application="claims-assistant", source_region="eu-central-1",
        profiles=ip.approved_profiles("claims-assistant", [SONNET, NOVA2], catalog, "eu-central-1"),
        trusted_services=["lambda.amazonaws.com"], trusted_role_arns=[EXISTING_ROLE],
    )
    every = [p for p in catalog.profiles if catalog.destinations(p, "eu-central-1")]
    profiles = ApplicationProfiles(stack, "BigProfiles", application="big-app", name_prefix="acme-genai",
                                   source_region="eu-central-1", profile_ids=every, cost_center=None, tags={})
    big = EuInvokeAccess(
        stack, "Big", application="big-app", source_region="eu-central-1",
        profiles=ip.approved_profiles("big-app", every, catalog, "eu-central-1"),
        trusted_services=["ecs-tasks.amazonaws.com"],
        application_profile_arns={pid: p.arn for pid, p in profiles.profiles.items()},
        require_application_profiles=True,
    )
    existing = iam.Role.from_role_arn(stack, "Existing", EXISTING_ROLE)
    grant = small.grant_invoke(existing)
    own_role = iam.Role(stack, "TeamRole", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    small.grant_invoke(own_role)
    dependent = cdk.CfnWaitConditionHandle(stack, "NeedsTheGrant")
    grant.apply_before(dependent)
    nag = violations(app, stack)
    template = app.synth().get_stack_by_name("Frankfurt").template
    return dict(app=app, stack=stack, small=small, big=big, grant=grant, template=template, nag=nag)


def _resources(template, kind):
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def _role_of(template, application):
    roles = [
        (k, v) for k, v in _resources(template, "AWS::IAM::Role").items()
        if {"Key": "cris-guard:application", "Value": application} in v["Properties"].get("Tags", [])
    ]
    assert len(roles) == 1
    return roles[0]


def test_role_trusts_exactly_the_configured_principals_and_carries_the_application_tag(built):
    logical, role = _role_of(built["template"], "claims-assistant")
    assert role["Properties"]["AssumeRolePolicyDocument"] == ip.trust_policy_document(
        ["lambda.amazonaws.com"], [EXISTING_ROLE]
    )
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"] == [
        {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}},
        {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"AWS": EXISTING_ROLE}},
    ]
    assert "ManagedPolicyArns" not in role["Properties"]  # attached from the policy side (Roles)
    assert "Policies" not in role["Properties"]  # no inline policies (NIST IAMNoInlinePolicy)


def test_synthesized_policies_are_exactly_the_planned_documents(built):
    stacks = [StackTemplate("Frankfurt", "eu-central-1", built["template"])]
    inventory = extract_access(stacks, account=ACCOUNT)
    for construct in (built["small"], built["big"]):
        access = inventory[(construct.application, "eu-central-1")]
        substitutions = {ip.PARTITION: "aws", ip.ACCOUNT: ACCOUNT}
        for pid, (_id, arn) in access.application_profiles.items():
            substitutions[ip.application_profile_placeholder(pid)] = arn
        planned = [json.loads(_sub(json.dumps(d), substitutions)) for d in construct.plan.documents]
        names = [f"{construct.application}/Policy{i}" for i in range(1, len(planned) + 1)]
        assert sorted(access.policies) == sorted(names)
        synthesized = [access.policies[name] for name in names]
        assert synthesized == planned


def _sub(text, substitutions):
    for placeholder, value in substitutions.items():
        text = text.replace(placeholder, value)
    return text


def test_partition_and_account_come_from_the_stack(built):
    text = json.dumps([p["Properties"]["PolicyDocument"] for p in _resources(built["template"], "AWS::IAM::ManagedPolicy").values()])
    assert "arn:aws:" not in text
    assert ACCOUNT not in text
    assert '{"Fn::Sub": "arn:${AWS::Partition}:bedrock:eu-central-1:${AWS::AccountId}:inference-profile/eu.' in text
    assert '{"Fn::Sub": "arn:${AWS::Partition}:bedrock:eu-north-1::foundation-model/' in text
    assert '{"Fn::Sub": "arn:${AWS::Partition}:bedrock:*::foundation-model/*"}' in text


def test_application_profile_arns_are_the_profiles_own_attributes(built):
    text = json.dumps(_resources(built["template"], "AWS::IAM::ManagedPolicy"))
    assert '"InferenceProfileArn"]' in text
    assert "${ApplicationProfileArn" not in text


def test_sizes_at_worst_case_resolution_match_the_plan(built):
    # Resolve the synthesized documents at the longest partition and a 12-digit account; without
    # application profiles the count is exact.
    stacks = [StackTemplate("Frankfurt", "eu-central-1", built["template"])]
    worst = extract_access(stacks, account="123456789012", partition="aws-us-gov")
    small = worst[("claims-assistant", "eu-central-1")]
    assert [ip.policy_size(d) for d in small.policies.values()] == list(built["small"].policy_sizes)
    big = worst[("big-app", "eu-central-1")]
    planned_sizes = built["big"].policy_sizes
    assert len(big.policies) == len(planned_sizes) > 1
    for index, planned in enumerate(planned_sizes, start=1):
        size = ip.policy_size(big.policies[f"big-app/Policy{index}"])
        assert size <= planned <= ip.MANAGED_POLICY_MAX_CHARS


def test_a_large_application_is_split_over_several_attached_policies(built):
    big = built["big"]
    assert 1 < len(big.policies) <= 10
    logical, _ = _role_of(built["template"], "big-app")
    attached = [
        p for p in _resources(built["template"], "AWS::IAM::ManagedPolicy").values()
        if {"Ref": logical} in p["Properties"]["Roles"]
    ]
    assert len(attached) == len(big.policies)
    for policy in attached:
        sids = [s["Sid"] for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
        assert sids == [
            "DenyGlobalCrossRegionInference", "DenyNonEuInferenceProfiles", "DenyFoundationModelsWithoutProfile",
            "DenyOutsideEuMemberStateRegions", "DenyInferenceProfilesCalledDirectly",
        ]


def test_grant_invoke_attaches_the_same_managed_policies(built):
    grant = built["grant"]
    assert grant.success
    template = built["template"]
    small_policies = [
        p for k, p in _resources(template, "AWS::IAM::ManagedPolicy").items() if "Small" in k
    ]
    assert small_policies
    team_role = next(k for k in _resources(template, "AWS::IAM::Role") if k.startswith("TeamRole"))
    for policy in small_policies:
        roles = policy["Properties"]["Roles"]
        assert "existing-copilot-runtime" in roles
        assert {"Ref": team_role} in roles
    dependent = next(v for v in template["Resources"].values() if v["Type"] == "AWS::CloudFormation::WaitConditionHandle")
    assert set(dependent["DependsOn"]) == {k for k in _resources(template, "AWS::IAM::ManagedPolicy") if "Small" in k}
    assert "DefaultPolicy" not in json.dumps(template)  # nothing copied into inline policies


def test_grant_invoke_refuses_principals_without_identity_policies(built):
    class ServiceGrantee:
        grant_principal = iam.ServicePrincipal("lambda.amazonaws.com")

    with pytest.raises(TypeError, match="must be an IAM role, user or group"):
        built["small"].grant_invoke(ServiceGrantee())


def test_cdk_nag_is_clean_without_acknowledgments(built):
    assert built["nag"] == []


def test_validation_fails_early_with_the_application_named(catalog):
    app = cdk.App()
    stack = _stack(app, name="Other")
    profiles = ip.approved_profiles("claims-assistant", [SONNET], catalog, "eu-central-1")
    with pytest.raises(PolicyError, match="'claims-assistant': no trusted_services"):
        EuInvokeAccess(stack, "NoTrust", application="claims-assistant", source_region="eu-central-1", profiles=profiles)
    with pytest.raises(PolicyError, match="differs from the stack's Region 'eu-central-1'"):
        EuInvokeAccess(stack, "WrongRegion", application="claims-assistant", source_region="eu-west-1",
                       profiles=ip.approved_profiles("claims-assistant", [SONNET], catalog, "eu-west-1"),
                       trusted_services=["lambda.amazonaws.com"])
    with pytest.raises(PolicyError, match="requires application profiles"):
        EuInvokeAccess(stack, "Enforced", application="claims-assistant", source_region="eu-central-1",
                       profiles=profiles, trusted_services=["lambda.amazonaws.com"], require_application_profiles=True)


GUARDRAIL_FRA = f"arn:aws:bedrock:eu-central-1:{ACCOUNT}:guardrail/abc123def456"
GUARDRAIL_DUB = f"arn:aws:bedrock:eu-west-1:{ACCOUNT}:guardrail/dub111"


def _guardrail_statements(template):
    found = []
    for policy in _resources(template, "AWS::IAM::ManagedPolicy").values():
        found += [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s.get("Sid") == "AllowGuardrails"]
    return found


def test_guardrails_of_the_source_region_are_granted_and_others_left_out(catalog):
    app = cdk.App()
    stack = _stack(app, name="Guarded")
    access = EuInvokeAccess(
        stack, "Access", application="claims-assistant", source_region="eu-central-1",
        profiles=ip.approved_profiles("claims-assistant", [SONNET], catalog, "eu-central-1"),
        trusted_services=["lambda.amazonaws.com"], guardrail_arns=[GUARDRAIL_DUB, GUARDRAIL_FRA],
    )
    assert access.guardrail_arns == (GUARDRAIL_FRA,)
    template = app.synth().get_stack_by_name("Guarded").template
    assert _guardrail_statements(template) == [
        {"Sid": "AllowGuardrails", "Effect": "Allow", "Action": "bedrock:ApplyGuardrail", "Resource": GUARDRAIL_FRA}
    ]
    # planned == synthesized, sizes included
    stacks = [StackTemplate("Guarded", "eu-central-1", template)]
    synthesized = extract_access(stacks, account=ACCOUNT)[("claims-assistant", "eu-central-1")].policies
    planned = [json.loads(_sub(json.dumps(d), {ip.PARTITION: "aws", ip.ACCOUNT: ACCOUNT})) for d in access.plan.documents]
    assert [synthesized[f"claims-assistant/Policy{i}"] for i in range(1, len(planned) + 1)] == planned
    with pytest.raises(PolicyError, match="is not a guardrail ARN"):
        EuInvokeAccess(
            stack, "Bad", application="claims-assistant", source_region="eu-central-1",
            profiles=ip.approved_profiles("claims-assistant", [SONNET], catalog, "eu-central-1"),
            trusted_services=["lambda.amazonaws.com"], guardrail_arns=[f"{GUARDRAIL_FRA}:1"],
        )


def test_the_access_stacks_pass_each_applications_guardrails_through(catalog):
    from cris_guard.config import parse_config
    from cris_guard.stacks.access import add_application_access

    config = parse_config(
        {
            "name": "acme-genai", "residency": "eu", "account": ACCOUNT,
            "source_regions": ["eu-central-1", "eu-west-1"],
            "applications": [
                {"name": "guarded", "profiles": [SONNET], "monthly_budget_usd": 10,
                 "trusted_services": ["lambda.amazonaws.com"], "guardrail_arns": [GUARDRAIL_FRA]},
                {"name": "plain", "profiles": [SONNET], "monthly_budget_usd": 10,
                 "trusted_services": ["lambda.amazonaws.com"]},
            ],
            "alerts": {"emails": ["platform-team@example.com"]},
        },
        catalog,
    )
    app = cdk.App()
    built = {}
    for region in config.source_regions:
        env = cdk.Environment(account=ACCOUNT, region=region)
        stack = cdk.Stack(app, f"acme-genai-{region}", env=env)
        built[region] = add_application_access(app, stack, config=config, catalog=catalog, source_region=region,
                                               env=env, stack_name_prefix="acme-genai")
    assert built["eu-central-1"]["guarded"].guardrail_arns == (GUARDRAIL_FRA,)
    assert built["eu-central-1"]["plain"].guardrail_arns == ()
    assert built["eu-west-1"]["guarded"].guardrail_arns == ()
    assembly = app.synth()
    central = assembly.get_stack_by_name("acme-genai-eu-central-1").template
    west = assembly.get_stack_by_name("acme-genai-eu-west-1").template
    assert [s["Resource"] for s in _guardrail_statements(central)] == [GUARDRAIL_FRA]
    assert _guardrail_statements(west) == []
