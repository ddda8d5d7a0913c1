"""The organization guardrail stack (placeholder until the SCP lands)."""

from __future__ import annotations

import aws_cdk as cdk
from constructs import Construct

from cris_guard.config import Config


def add_organization_guardrail(app: Construct, config: Config) -> cdk.Stack | None:
    """Add the SCP stack for the management account when the configuration asks for it."""
    return None
