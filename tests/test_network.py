"""Private connectivity (issue 16): the Bedrock interface endpoints, their security group and endpoint policy,
the network-bound role's deny, and the one-line errors for bad `network:` values."""

from __future__ import annotations

import copy
import os

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import aws_cdk as cdk  # noqa: E402
import pytest  # noqa: E402

from cris_guard import iam_policy, network  # noqa: E402
from cris_guard.constructs.bedrock_endpoint import BedrockEndpoints  # noqa: E402
from cris_guard.regions import NON_EU_PROFILE_PREFIXES  # noqa: E402

from .cdk_helpers import ACCOUNT, Synth, cfn_lint_findings, env_stack, nag_findings  # noqa: E402

REGION = "eu-central-1"
VPC = "vpc-0a1b2c3d4e5f60789"
PROFILES = ["eu.anthropic.claude-sonnet-4-6", "eu.amazon.nova-pro-v1:0"]


@pytest.fixture(scope="module")
def synth(catalog) -> Synth:
    app = cdk.App()
    stack = env_stack(app, "Network", REGION)
    approved = iam_policy.approved_profiles("a", PROFILES, catalog, REGION)
    construct = BedrockEndpoints(stack, "BedrockEndpoints", vpc_id=VPC, subnet_ids=["subnet-0a1b2c3d4e5f60781"],
                                 allowed_security_group_ids=["sg-0a1b2c3d4e5f60789"], allowed_cidrs=["10.20.0.0/16"],
                                 profiles=approved, control_plane=True)
    return Synth(app, stack, construct)


def _sub(text: str) -> dict:
    return {"Fn::Sub": text}


def test_the_endpoint_policy_names_exactly_the_approved_profiles_and_their_destinations(synth, catalog):
    props = synth.props(synth.construct.runtime)
    assert props["ServiceName"] == "com.amazonaws.eu-central-1.bedrock-runtime" and props["VpcId"] == VPC
    assert props["PrivateDnsEnabled"] is True and props["VpcEndpointType"] == "Interface"
    statements = {s["Sid"]: s for s in props["PolicyDocument"]["Statement"]}
    assert list(statements) == ["AllowApprovedEuProfiles", "AllowModelsThroughApprovedProfiles", "DenyNonEuProfiles",
                                "DenyGlobalCrossRegionInference", "DenyOutsideEuMemberStateRegions"]
    profile_arns = [_sub(f"arn:${{AWS::Partition}}:bedrock:{REGION}:${{AWS::AccountId}}:inference-profile/{p}")
                    for p in sorted(PROFILES)]
    assert statements["AllowApprovedEuProfiles"]["Resource"] == profile_arns
    assert all(s["Principal"] == "*" for s in statements.values())
    models = statements["AllowModelsThroughApprovedProfiles"]
    expected_models = sorted({f"arn:${{AWS::Partition}}:bedrock:{r}::foundation-model/{catalog.get(p).model_id}"
                              for p in PROFILES for r in catalog.destinations(p, REGION)})
    assert models["Resource"] == [_sub(m) for m in expected_models]
    assert models["Condition"] == {"StringEquals": {"bedrock:InferenceProfileArn": profile_arns}}
    assert statements["DenyNonEuProfiles"]["Resource"] == [
        _sub(f"arn:${{AWS::Partition}}:bedrock:*:*:inference-profile/{p}*") for p in NON_EU_PROFILE_PREFIXES]
    assert synth.construct.policy_size <= network.ENDPOINT_POLICY_MAX_CHARS


def test_the_security_group_admits_443_from_what_is_configured_and_sends_nothing(synth):
    sg = synth.props(synth.construct.security_group)
    assert [(r["IpProtocol"], r["FromPort"], r["ToPort"], r.get("SourceSecurityGroupId"), r.get("CidrIp"))
            for r in sg["SecurityGroupIngress"]] == [("tcp", 443, 443, "sg-0a1b2c3d4e5f60789", None),
                                                     ("tcp", 443, 443, None, "10.20.0.0/16")]
    assert sg["SecurityGroupEgress"] == [{"CidrIp": "255.255.255.255/32", "Description": "Disallow all traffic",
                                          "FromPort": 252, "IpProtocol": "icmp", "ToPort": 86}]
    control = synth.props(synth.construct.control_plane)
    assert control["ServiceName"] == "com.amazonaws.eu-central-1.bedrock"
    assert control["PolicyDocument"]["Statement"][0]["Action"] == list(network.CONTROL_PLANE_ACTIONS)


def test_nag_and_cfn_lint_are_clean(synth):
    assert nag_findings(synth) == []
    assert cfn_lint_findings(synth, REGION) == []


def test_fails_when_the_endpoint_policy_would_exceed_the_endpoint_policy_limit(catalog, monkeypatch):
    approved = iam_policy.approved_profiles("a", PROFILES, catalog, REGION)
    size = network.endpoint_policy_size(REGION, network.endpoint_policy(REGION, approved))
    monkeypatch.setattr(network, "ENDPOINT_POLICY_MAX_CHARS", size - 1)
    with pytest.raises(iam_policy.PolicyError, match=f"needs {size:,} characters at worst, over AWS's {size - 1:,}"):
        network.endpoint_policy(REGION, approved)


def test_a_network_bound_role_denies_calls_from_outside_its_vpc(catalog):
    approved = iam_policy.approved_profiles("a", PROFILES, catalog, REGION)
    bound = iam_policy.access_statements(application="a", source_region=REGION, profiles=approved,
                                         private_network_vpcs=[VPC])
    free = iam_policy.access_statements(application="a", source_region=REGION, profiles=approved)
    (deny,) = [d for d in bound.denies if d["Sid"] == "DenyOutsidePrivateNetwork"]
    assert deny == {
        "Sid": "DenyOutsidePrivateNetwork", "Effect": "Deny", "Action": "bedrock:InvokeModel*",
        "Resource": [f"arn:${{AWS::Partition}}:bedrock:{REGION}:${{AWS::AccountId}}:inference-profile/*",
                     f"arn:${{AWS::Partition}}:bedrock:{REGION}:${{AWS::AccountId}}:application-inference-profile/*"],
        "Condition": {"StringNotEquals": {"aws:SourceVpc": [VPC]}}}
    assert [d["Sid"] for d in bound.denies][:-1] == [d["Sid"] for d in free.denies]


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    """config/examples/private-network.yaml, synthesized once for this module: (config, cloud assembly)."""
    from cris_guard.app_builder import build_app
    from cris_guard.config import load_project

    from .conftest import REPO_ROOT

    config, in_force = load_project(REPO_ROOT / "config" / "examples" / "private-network.yaml")
    outdir = tmp_path_factory.mktemp("privnet")
    return config, build_app(config, in_force, outdir=str(outdir)).synth()


def test_the_example_places_the_endpoint_and_binds_only_the_network_bound_application(example):
    template = example[1].get_stack_by_name("privnet-eu-central-1").template
    endpoints = [r for r in template["Resources"].values() if r["Type"] == "AWS::EC2::VPCEndpoint"]
    assert sorted(e["Properties"]["ServiceName"] for e in endpoints) == [
        "com.amazonaws.eu-central-1.bedrock", "com.amazonaws.eu-central-1.bedrock-runtime"]
    runtime = next(e for e in endpoints if e["Properties"]["ServiceName"].endswith("bedrock-runtime"))
    statements = {s["Sid"]: s for s in runtime["Properties"]["PolicyDocument"]["Statement"]}
    assert [r["Fn::Sub"].rsplit("/", 1)[1] for r in statements["AllowApprovedEuProfiles"]["Resource"]] == [
        "eu.amazon.nova-2-lite-v1:0", "eu.anthropic.claude-sonnet-4-6", "eu.cohere.embed-v4:0"]
    # Both applications' application profiles, by their deploy-time ARNs.
    assert len(statements["AllowApplicationProfiles"]["Resource"]) == 3
    assert all("Fn::GetAtt" in r for r in statements["AllowApplicationProfiles"]["Resource"])
    sids = {}
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::IAM::ManagedPolicy":
            role = template["Resources"][resource["Properties"]["Roles"][0]["Ref"]]["Properties"]
            name = next((t["Value"] for t in role.get("Tags", []) if t["Key"] == "cris-guard:application"), None)
            if name:
                sids[name] = {s.get("Sid") for s in resource["Properties"]["PolicyDocument"]["Statement"]}
    assert "DenyOutsidePrivateNetwork" in sids["claims-assistant"]
    assert "DenyOutsidePrivateNetwork" not in sids["contract-search"]


def test_the_review_report_lists_each_endpoint_and_fails_when_its_deny_is_gone(example):
    from dataclasses import replace

    from cris_guard.assembly import read_assembly
    from cris_guard.review.network_section import network_section

    config, assembly = example
    stacks = read_assembly(assembly.directory).stacks
    section = network_section(stacks, config)
    assert [c.passed for c in section.checks] == [True] * 4
    text = section.render()
    assert ("`eu.amazon.nova-2-lite-v1:0`, `eu.anthropic.claude-sonnet-4-6`, `eu.cohere.embed-v4:0`; 3 application"
            " profile(s); 7 guardrail and guardrail-profile ARN(s)") in text
    assert "Network-bound applications (`require_private_network`;" in text and "): claims-assistant." in text

    def without_deny(stack):
        template = copy.deepcopy(dict(stack.template))
        for resource in template["Resources"].values():
            if resource["Type"] == "AWS::EC2::VPCEndpoint":
                document = resource["Properties"]["PolicyDocument"]
                document["Statement"] = [st for st in document["Statement"] if st["Sid"] != "DenyNonEuProfiles"]
        return replace(stack, template=template)

    failed = [c.text for c in network_section([without_deny(s) for s in stacks], config).checks if not c.passed]
    assert failed == ["denies global., other geographies and non-EU Regions"]


BASE = {"name": "acme", "residency": "eu", "source_regions": ["eu-central-1"], "alerts": {"emails": ["a@example.com"]},
        "applications": [{"name": "app", "profiles": ["eu.anthropic.claude-sonnet-4-6"], "monthly_budget_usd": 10,
                          "trusted_services": ["lambda.amazonaws.com"]}],
        "network": {"eu-central-1": {"vpc_id": VPC, "subnet_ids": ["subnet-0a1b2c3d4e5f60781"],
                                     "allowed_cidrs": ["10.0.0.0/16"]}}}


@pytest.mark.parametrize(("mutate", "expected"), [
    (lambda d: d["network"]["eu-central-1"].update(vpc_id="vpc-123"),
     "network.eu-central-1.vpc_id: 'vpc-123' is invalid; use the VPC's ID"),
    (lambda d: d["network"]["eu-central-1"].update(subnet_ids=[]), "network.eu-central-1.subnet_ids:"),
    (lambda d: d["network"]["eu-central-1"].update(subnet_ids=["sg-0a1b2c3d4e5f60789"]),
     "network.eu-central-1.subnet_ids[0]: 'sg-0a1b2c3d4e5f60789' is invalid; use a subnet ID"),
    (lambda d: d["network"]["eu-central-1"].update(allowed_cidrs=[]),
     "network.eu-central-1: neither allowed_security_group_ids nor allowed_cidrs is set"),
    (lambda d: d["network"]["eu-central-1"].update(allowed_cidrs=["0.0.0.0/0"]),
     "network.eu-central-1.allowed_cidrs[0]: '0.0.0.0/0' admits every address"),
    (lambda d: d["network"]["eu-central-1"].update(allowed_cidrs=["10.0.0.1/16"]),
     "network.eu-central-1.allowed_cidrs[0]: '10.0.0.1/16' is not a CIDR range"),
    (lambda d: d["network"].update({"eu-west-3": d["network"]["eu-central-1"]}),
     "network: 'eu-west-3' is not one of source_regions"),
    (lambda d: (d.pop("network"), d["applications"][0].update(require_private_network=True)),
     "applications[0].require_private_network: true, but network names no VPC for ['eu-central-1']"),
])
def test_bad_network_values_are_one_clear_line(catalog, tmp_path, capsys, mutate, expected):
    import yaml

    from cris_guard.cli import main

    data = copy.deepcopy(BASE)
    mutate(data)
    path = tmp_path / "cfg.yaml"
    path.write_text(yaml.safe_dump(data))
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and expected in err[0], err


def test_guardrails_and_the_responses_api_are_let_through_when_applications_here_use_them(catalog):
    approved = iam_policy.approved_profiles("a", PROFILES, catalog, REGION)
    guardrail = "arn:${AWS::Partition}:bedrock:eu-central-1:${AWS::AccountId}:guardrail/abc123def456"
    document = network.endpoint_policy(REGION, approved, guardrail_resources=[guardrail], responses_api=True)
    statements = {s["Sid"]: s for s in document["Statement"]}
    assert statements["AllowGuardrails"]["Resource"] == [guardrail]
    assert statements["AllowGuardrails"]["Action"] == ["bedrock:ApplyGuardrail"]
    assert statements["AllowResponsesProject"]["Action"] == list(iam_policy.RESPONSES_ACTIONS)
    assert "AllowGuardrails" not in {s["Sid"] for s in network.endpoint_policy(REGION, approved)["Statement"]}
