"""The governance stack for one EU source Region."""

from __future__ import annotations

import aws_cdk as cdk
from constructs import Construct

from cris_guard.catalog import Catalog
from cris_guard.config import Config
from cris_guard.constructs.alert_topic import AlertTopic


def region_stack_name(config: Config, region: str) -> str:
    """``<name>-<region>``: a person reading ``cdk ls`` knows which Region the stack governs."""
    return f"{config.name}-{region}"


class RegionGovernanceStack(cdk.Stack):
    """Everything cris-guard governs in one source Region.

    The stack is pinned to its Region (``env``), makes no context lookups, and so synthesizes with
    no AWS credentials. Application access, audit, cost and observability are added by their own
    constructs; this class only holds what they share: the alert topic.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: Config,
        catalog: Catalog,
        source_region: str,
        env: cdk.Environment,
    ) -> None:
        super().__init__(
            scope,
            id,
            env=env,
            description=(
                f"cris-guard governance for Amazon Bedrock cross-Region inference from {source_region}"
                f" (residency: {config.residency}; catalog as of {catalog.as_of})"
            ),
        )
        self.source_region = source_region
        self.alerts = AlertTopic(
            self,
            "Alerts",
            emails=config.alerts.emails,
            display_name=f"cris-guard {config.name} alerts ({source_region})",
        )
