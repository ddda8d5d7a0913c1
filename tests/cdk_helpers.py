"""What the construct tests share: a stack in a fixed environment, one synthesized stack with lookups by
construct, and the two compliance checks (cdk-nag packs, cfn-lint) every construct must pass."""

from __future__ import annotations

import json
import os
from typing import Any

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import aws_cdk as cdk  # noqa: E402
import cdk_nag  # noqa: E402
from aws_cdk import aws_kms as kms  # noqa: E402
from aws_cdk import aws_sns as sns  # noqa: E402
from cfnlint.api import ManualArgs, lint  # noqa: E402
from constructs import Construct  # noqa: E402

ACCOUNT = "111122223333"


def env_stack(app: cdk.App, name: str, region: str) -> cdk.Stack:
    """A stack with a literal account and Region (so ARNs and conditions hold them, not tokens)."""
    return cdk.Stack(app, name, env=cdk.Environment(account=ACCOUNT, region=region))


def encrypted_topic(stack: cdk.Stack) -> sns.Topic:
    """A KMS-encrypted, TLS-only alert topic (``Alerts`` with key ``AlertsKey``) for alarms to notify."""
    key = kms.Key(stack, "AlertsKey", enable_key_rotation=True)
    return sns.Topic(stack, "Alerts", master_key=key, enforce_ssl=True)


def arn_of(logical_id: str) -> dict:
    return {"Fn::GetAtt": [logical_id, "Arn"]}


class Synth:
    """One stack of a synthesized app, with ``construct`` (the construct under test) and lookups by construct."""

    def __init__(self, app: cdk.App, stack: cdk.Stack, construct: Construct):
        self.app, self.stack, self.construct = app, stack, construct
        self.json: dict[str, Any] = app.synth().get_stack_by_name(stack.stack_name).template
        self.resources: dict[str, Any] = self.json["Resources"]

    def logical_id(self, construct) -> str:
        """The logical ID of an L1 element, or of an L2 construct's default child."""
        node = construct if isinstance(construct, cdk.CfnElement) else construct.node.default_child
        return self.stack.get_logical_id(node)

    def props(self, construct) -> dict[str, Any]:
        return self.resources[self.logical_id(construct)]["Properties"]

    def of_type(self, cfn_type: str) -> dict[str, Any]:
        return {k: v for k, v in self.resources.items() if v["Type"] == cfn_type}


def nag_findings(synth: Synth) -> list[tuple[str, list[str]]]:
    """Unacknowledged AwsSolutions and NIST 800-53 rev 5 findings in ``synth``'s stack."""
    findings = []
    for pack in (cdk_nag.AwsSolutionsChecks, cdk_nag.NIST80053R5Checks):
        for violation in pack(synth.app).validate_scope(synth.stack).violations:
            findings.append((violation.rule_name, [r.resource_logical_id for r in violation.violating_resources]))
    return findings


def cfn_lint_findings(synth: Synth, region: str) -> list[str]:
    return [str(m) for m in lint(json.dumps(synth.json), config=ManualArgs(regions=[region]))]
