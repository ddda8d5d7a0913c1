"""Bedrock interface endpoints in an existing VPC, fenced to the approved EU profiles (issue 16).

``com.amazonaws.<region>.bedrock-runtime`` (and, when asked, ``bedrock`` for the read calls applications make)
in the configured subnets, with a security group of its own that admits HTTPS (443) only from the configured
security groups and CIDR ranges and has no egress rule (an interface endpoint answers on the connections made
to it; it opens none), and the endpoint policy of :func:`cris_guard.network.endpoint_policy`.

The VPC and subnets are given by ID, never looked up: synthesis stays offline and deterministic. Built on the
L1 ``CfnVPCEndpoint`` and ``CfnSecurityGroup``: the L2 ``InterfaceVpcEndpoint`` needs an ``IVpc`` with its
subnets' Availability Zones, which only a context lookup (or the user) could supply.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from constructs import Construct

from cris_guard import network
from cris_guard.iam_policy import ApprovedProfile


class BedrockEndpoints(Construct):
    """:param vpc_id: the VPC. :param subnet_ids: subnets for the endpoint's network interfaces.
    :param allowed_security_group_ids: / :param allowed_cidrs: who may connect on 443 (at least one).
    :param profiles: the approved profiles of every application in this Region (union).
    :param application_profile_arns: application inference profile ARN (token) -> the system profile it copies.
    :param private_dns: resolve the service's default DNS name to the endpoint inside the VPC.
    :param control_plane: also an endpoint for ``bedrock`` (read-only control-plane calls).
    :param guardrail_resources: guardrail (and guardrail-profile) ARNs the applications may apply here.
    :param responses_api: whether an application here uses the Responses API.

    Attributes: ``runtime`` (the bedrock-runtime ``CfnVPCEndpoint``), ``control_plane`` (or None),
    ``security_group``, ``policy`` (the runtime endpoint's document) and ``policy_size`` (its worst case)."""

    def __init__(self, scope: Construct, id: str, *, vpc_id: str, subnet_ids: Sequence[str],
                 allowed_security_group_ids: Sequence[str] = (), allowed_cidrs: Sequence[str] = (),
                 profiles: Sequence[ApprovedProfile], application_profile_arns: Mapping[str, str] | None = None,
                 private_dns: bool = True, control_plane: bool = False, guardrail_resources: Sequence[str] = (),
                 responses_api: bool = False) -> None:
        super().__init__(scope, id)
        if not subnet_ids:
            raise ValueError("subnet_ids: give at least one subnet of the VPC for the endpoint")
        if not allowed_security_group_ids and not allowed_cidrs:
            raise ValueError("allowed_security_group_ids / allowed_cidrs: name who may reach the endpoint on 443")
        region = cdk.Stack.of(self).region
        ingress = [ec2.CfnSecurityGroup.IngressProperty(ip_protocol="tcp", from_port=443, to_port=443,
                                                         source_security_group_id=sg,
                                                         description="HTTPS to Bedrock from an application")
                   for sg in allowed_security_group_ids]
        ingress += [ec2.CfnSecurityGroup.IngressProperty(ip_protocol="tcp", from_port=443, to_port=443, cidr_ip=cidr,
                                                          description="HTTPS to Bedrock from an application range")
                    for cidr in allowed_cidrs]
        self.security_group = ec2.CfnSecurityGroup(
            self, "SecurityGroup", vpc_id=vpc_id, group_description="cris-guard Bedrock endpoints: HTTPS in only",
            security_group_ingress=ingress,
            # No egress: CDK's way of saying "none" (an unreachable ICMP type), as ec2.SecurityGroup does with
            # allow_all_outbound=False; the endpoint answers on the connections made to it.
            security_group_egress=[ec2.CfnSecurityGroup.EgressProperty(
                ip_protocol="icmp", from_port=252, to_port=86, cidr_ip="255.255.255.255/32",
                description="Disallow all traffic")],
        )
        # Placeholders for token ARNs, counted at their worst-case length by the size check.
        placeholders = {f"${{ApplicationProfileArn:{pid}}}": pid for pid in (application_profile_arns or {}).values()}
        planned = network.endpoint_policy(region, profiles, placeholders, guardrail_resources=guardrail_resources,
                                          responses_api=responses_api)
        self.policy_size = network.endpoint_policy_size(region, planned, placeholders)
        tokens = {f"${{ApplicationProfileArn:{pid}}}": arn for arn, pid in (application_profile_arns or {}).items()}
        self.policy = _render(planned, tokens)
        self.runtime = ec2.CfnVPCEndpoint(
            self, "Runtime", service_name=network.service_name(region), vpc_endpoint_type="Interface",
            vpc_id=vpc_id, subnet_ids=list(subnet_ids), security_group_ids=[self.security_group.attr_group_id],
            private_dns_enabled=private_dns, policy_document=self.policy,
        )
        self.control_plane: ec2.CfnVPCEndpoint | None = None
        if control_plane:
            self.control_plane = ec2.CfnVPCEndpoint(
                self, "ControlPlane", service_name=network.service_name(region, network.CONTROL_PLANE_SERVICE),
                vpc_endpoint_type="Interface", vpc_id=vpc_id, subnet_ids=list(subnet_ids),
                security_group_ids=[self.security_group.attr_group_id], private_dns_enabled=private_dns,
                policy_document=network.control_plane_policy(),
            )


def _render(document: object, tokens: Mapping[str, str]) -> object:
    """``${AWS::Partition}``/``${AWS::AccountId}`` through ``Fn::Sub`` (as the role policies), application
    profile placeholders swapped for their token ARNs."""
    if isinstance(document, dict):
        return {k: _render(v, tokens) for k, v in document.items()}
    if isinstance(document, list):
        return [_render(v, tokens) for v in document]
    if isinstance(document, str):
        if document in tokens:
            return tokens[document]
        if "${AWS::" in document:
            return cdk.Fn.sub(document)
    return document
