"""A read-only role for ``cris-guard verify``: exactly the API calls it makes, for a scheduled job or an auditor.

The policy is :data:`cris_guard.verify.checks.READ_ONLY_ACTIONS`, nothing else: describing stacks, reading the
invocation-logging configuration, the trail, the application roles and their policies, the account's
authorization details and IAM's policy simulator, the organization's SCPs, budgets, topic subscriptions,
cost-allocation tags, alarms and inference profiles. None of these actions changes anything. Most of them
support no resource-level permissions (Service Authorization Reference), so the policy names ``*``; the
acknowledgment says so.
"""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct

from cris_guard.nag import acknowledge
from cris_guard.verify.checks import READ_ONLY_ACTIONS


class VerifierRole(Construct):
    """:param principals: role ARNs that may assume it (an auditor's role, a scheduled job's role)."""

    def __init__(self, scope: Construct, id: str, *, principals: Sequence[str]) -> None:
        super().__init__(scope, id)
        if not principals:
            raise ValueError("principals: give at least one role ARN that may assume the verifier role")
        self.role = iam.Role(
            self, "Role",
            assumed_by=iam.CompositePrincipal(*(iam.ArnPrincipal(arn) for arn in principals)),
            description="cris-guard verify: read-only checks of the deployed governance",
            max_session_duration=cdk.Duration.hours(1),
        )
        self.policy = iam.ManagedPolicy(
            self, "Policy", roles=[self.role], description="cris-guard verify: the read-only calls it makes",
            statements=[iam.PolicyStatement(sid="CrisGuardVerifyReadOnly", actions=list(READ_ONLY_ACTIONS),
                                            resources=["*"])],
        )
        acknowledge(
            self.policy, "AwsSolutions-IAM5[Resource::*]",
            "Read-only describe/list/get actions of cris-guard verify; most support no resource-level permissions,"
            " and the others (GetRole, GetPolicy, GetBucketPolicy) must reach roles and buckets with generated names.",
        )
