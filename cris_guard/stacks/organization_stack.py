"""The organization guardrail stack: cris-guard's SCP, deployed in the management account.

One stack at the app root (the SCP belongs to the organization, not to an account's Stage), named
``<name>-organization-guardrail``, in ``organization_guardrail.region`` (default us-east-1: Organizations
is a global service whose endpoint is there; whether the CloudFormation type works elsewhere is
UNCONFIRMED, rollout-facts C3). ``AWS::Organizations::Policy`` can only be created from the management
account, with the SCP policy type enabled in the organization (rollout-facts C3).

The document comes from :func:`cris_guard.scp.build_scp`; its size is checked here, at synth, so an SCP
that Organizations would reject never reaches a deployment (:class:`cris_guard.scp.ScpTooLarge`, which
``app.py`` prints as one line).
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_organizations as organizations
from constructs import Construct

from cris_guard import scp
from cris_guard.config import Config
from cris_guard.constructs.eu_invoke_access import render_placeholders


def organization_stack_name(config: Config) -> str:
    return f"{config.name}-organization-guardrail"


def scp_policy_name(config: Config) -> str:
    return f"{config.name}-cris-guard-bedrock-eu"


class OrganizationGuardrailStack(cdk.Stack):
    """The SCP (``policy``, an L1 ``CfnPolicy``: there is no L2) attached to the configured targets.

    Attributes: ``document`` (the SCP with placeholders, as :mod:`cris_guard.scp` built it), ``size``
    (its :func:`cris_guard.scp.policy_size`) and ``policy``.
    """

    def __init__(self, scope: Construct, id: str, *, config: Config, **kwargs: Any) -> None:
        guardrail = config.organization_guardrail
        if guardrail is None:
            raise ValueError("organization_guardrail: not set in the configuration; add it or do not build this stack")
        super().__init__(
            scope,
            id,
            env=cdk.Environment(account=guardrail.management_account, region=guardrail.region),
            description=f"cris-guard organization guardrail for {config.name}: an SCP keeping Bedrock inference in the EU",
            **kwargs,
        )
        self.document = scp.build_scp(config)
        self.size = scp.check_size(self.document)
        self.policy = organizations.CfnPolicy(
            self,
            "Scp",
            name=scp_policy_name(config),
            type="SERVICE_CONTROL_POLICY",
            # A JSON object, not a string: CloudFormation's drift detection needs it (rollout-facts C2).
            # ${AWS::Partition} placeholders become Fn::Sub of the string holding them.
            content=render_placeholders(self.document, {}),
            description=(
                f"cris-guard ({config.name}): Bedrock only in EU member-state Regions and through eu. or"
                " application inference profiles; invocation logging, the cris-guard trail and stacks protected"
            ),
            target_ids=list(guardrail.target_ids),
        )
        cdk.CfnOutput(self, "PolicyId", value=self.policy.attr_id, description="ID of the cris-guard SCP")


def add_organization_guardrail(app: Construct, config: Config) -> cdk.Stack | None:
    """Add the SCP stack for the management account when the configuration asks for it."""
    if config.organization_guardrail is None:
        return None
    name = organization_stack_name(config)
    return OrganizationGuardrailStack(app, name, config=config, stack_name=name)
