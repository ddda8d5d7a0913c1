"""Placing every application's access (role, policies, application profiles, budget) into stacks.

CloudFormation allows 500 resources per stack and a 1 MB template (cris-facts §7; botocore's
CreateStack documentation says "max size: 1 MB" for TemplateURL, and cdk deploy uploads templates to
S3). Applications are placed *by position* in the configuration into fixed-capacity shards: shard 0
lives in the source Region's governance stack, shards 1, 2, … in overflow stacks
``<prefix>-apps-2``, ``<prefix>-apps-3``, …. Because the capacities are constants (a
:class:`ShardLayout`, sized for the worst case an application may reach) and do not depend on what
the applications contain, appending an application never changes a logical ID in any existing stack.

Consequences an operator must know (also in docs/iam.md):

- **Append applications; do not reorder or remove from the middle.** Moving an application to another
  position can move it to another stack, which replaces its role (new role ARN) and its application
  profiles. Removing one shifts every later application by one position; the application at each
  shard boundary moves stack.
- The layout numbers are a contract: changing :data:`DEFAULT_LAYOUT` moves applications too.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import aws_cdk as cdk
from constructs import Construct

from cris_guard.catalog import Catalog
from cris_guard.config import Application, Config
from cris_guard.constructs.eu_invoke_access import EuInvokeAccess
from cris_guard.iam_policy import (
    MAX_MANAGED_POLICIES_PER_ROLE,
    GuardrailGrant,
    PolicyError,
    approved_profiles,
    guardrail_grants,
)

# CloudFormation limits (cris-facts §7, CloudFormation quotas page).
# Resources per template: 500 (raised from 200 in October 2020).
STACK_RESOURCE_LIMIT = 500
# Template body from S3: "1 MB". Whether that is 10^6 or 2^20 bytes is UNCONFIRMED; 10^6 is safe.
STACK_TEMPLATE_BYTE_LIMIT = 1_000_000
# Outputs per template: 200.
STACK_OUTPUT_LIMIT = 200
# Application profiles are created per (application, approved profile) in the application's shard.
# 19 = the EU system profiles in the catalog when this layout was fixed. It is a budget, not a
# lookup: an application approving more profiles is refused (raising it re-shards, see above).
MAX_APPLICATION_PROFILES_PER_APPLICATION = 19
# Other per-application resources created in the application's scope: its AWS Budgets budget
# (app_builder creates it there, in the budgets Region only).
OTHER_RESOURCES_PER_APPLICATION = 1
# Worst case per application: its role, up to 10 managed policies, one application profile per
# approved profile, its budget. (Policy attachments are properties, not resources; the application
# profiles' CfnOutput is an output, 1 per application, far below the 200-outputs limit.)
RESOURCES_PER_APPLICATION = (
    1 + MAX_MANAGED_POLICIES_PER_ROLE + MAX_APPLICATION_PROFILES_PER_APPLICATION + OTHER_RESOURCES_PER_APPLICATION
)
# Template bytes one application adds, as CDK writes templates (indented JSON). Measured for the worst
# case the budgets allow (19 profiles with 6 destinations each, application profiles, enforcement,
# budget, and its share of the Region's dashboard): about 74,400 bytes
# (tests/test_access_sharding.py re-measures it on every run). 90,000 leaves about 20% margin.
TEMPLATE_BYTES_PER_APPLICATION = 90_000

ApplicationProfilesFactory = Callable[[Construct, Application, str], Mapping[str, str]]
"""``(scope, application, source_region) -> {system profile ID: application profile ARN}``.

Called once per application and source Region with the application's own scope (inside its shard),
before its access is created; whatever it creates counts against the application's resource budget.
"""


@dataclass(frozen=True)
class ShardLayout:
    """How many applications each stack holds. Every number is part of the deployed layout.

    A shard's capacity is the smaller of what its resource and its template-byte budgets allow, each
    after what the stack holds besides application access:

    - ``region_stack_reserved`` / ``region_stack_reserved_bytes``: the governance stack's own resources
      (alert topic, logging, trail, dashboard, alarms, account budget…); about 50 resources and
      265,000 bytes for the default configuration, so shard 0 holds fewer applications.
    - ``overflow_stack_reserved`` / ``overflow_stack_reserved_bytes``: CDK's metadata and slack.
    """

    stack_resource_limit: int = STACK_RESOURCE_LIMIT
    stack_template_byte_limit: int = STACK_TEMPLATE_BYTE_LIMIT
    region_stack_reserved: int = 200
    region_stack_reserved_bytes: int = 350_000
    overflow_stack_reserved: int = 10
    overflow_stack_reserved_bytes: int = 20_000
    resources_per_application: int = RESOURCES_PER_APPLICATION
    template_bytes_per_application: int = TEMPLATE_BYTES_PER_APPLICATION

    def __post_init__(self) -> None:
        if self.first_shard_capacity < 1 or self.overflow_shard_capacity < 1:
            raise ValueError(f"{self} leaves no room for a single application")

    @property
    def first_shard_capacity(self) -> int:
        return min(
            (self.stack_resource_limit - self.region_stack_reserved) // self.resources_per_application,
            (self.stack_template_byte_limit - self.region_stack_reserved_bytes) // self.template_bytes_per_application,
        )

    @property
    def overflow_shard_capacity(self) -> int:
        return min(
            (self.stack_resource_limit - self.overflow_stack_reserved) // self.resources_per_application,
            (self.stack_template_byte_limit - self.overflow_stack_reserved_bytes) // self.template_bytes_per_application,
        )

    def shard_of(self, position: int) -> int:
        """Shard of the application at ``position`` (0-based) in the configuration."""
        if position < 0:
            raise ValueError(f"position must be >= 0, got {position}")
        if position < self.first_shard_capacity:
            return 0
        return 1 + (position - self.first_shard_capacity) // self.overflow_shard_capacity

    def shard_count(self, applications: int) -> int:
        return self.shard_of(applications - 1) + 1 if applications else 1


# Governance stack: min((500 - 200) // 31, (1,000,000 - 350,000) // 90,000) = min(9, 7) = 7 applications.
# Overflow stacks:  min((500 - 10) // 31, (1,000,000 - 20,000) // 90,000) = min(15, 10) = 10 applications.
DEFAULT_LAYOUT = ShardLayout()

ACCESS_CONTAINER_ID = "ApplicationAccess"


def overflow_stack_name(stack_name_prefix: str, shard: int) -> str:
    """``<prefix>-apps-<n>`` with n = shard + 1: the governance stack is, in effect, apps-1."""
    if shard < 1:
        raise ValueError("shard 0 lives in the governance stack")
    return f"{stack_name_prefix}-apps-{shard + 1}"


def add_application_access(
    app: cdk.App,
    region_stack: cdk.Stack,
    *,
    config: Config,
    catalog: Catalog,
    source_region: str,
    env: cdk.Environment,
    stack_name_prefix: str,
    application_profiles: ApplicationProfilesFactory | None = None,
    layout: ShardLayout = DEFAULT_LAYOUT,
) -> dict[str, EuInvokeAccess]:
    """Create every application's :class:`EuInvokeAccess` for ``source_region``; name -> construct.

    Construct paths are ``ApplicationAccess/<application name>/Access`` inside the shard's stack (and
    ``…/<application name>/<whatever the factory creates>``), so logical IDs depend only on the
    application's name and its shard. ``application_profiles`` (default: none are created) is called
    per application; see :func:`application_profiles_from_config`.
    """
    for position, application in enumerate(config.applications):
        if len(application.profiles) > MAX_APPLICATION_PROFILES_PER_APPLICATION:
            raise PolicyError(
                f"applications[{position}] {application.name!r}: approves {len(application.profiles)} profiles;"
                f" the stack layout budgets {MAX_APPLICATION_PROFILES_PER_APPLICATION} application profiles per"
                " application. Split it into two applications"
            )
    stacks: dict[int, cdk.Stack] = {0: region_stack}
    result: dict[str, EuInvokeAccess] = {}
    for position, application in enumerate(config.applications):
        shard = layout.shard_of(position)
        stack = stacks.get(shard)
        if stack is None:
            name = overflow_stack_name(stack_name_prefix, shard)
            stack = cdk.Stack(
                app,
                name,
                env=env,
                stack_name=name,  # kept inside a Stage too (see RegionGovernanceStack)
                description=(
                    f"cris-guard application access from {source_region}, overflow stack {shard + 1}"
                    f" (applications {_first_position(layout, shard) + 1}-"
                    f"{_first_position(layout, shard + 1)} of the configuration)"
                ),
            )
            stacks[shard] = stack
        container = stack.node.try_find_child(ACCESS_CONTAINER_ID) or Construct(stack, ACCESS_CONTAINER_ID)
        scope = Construct(container, application.name)
        profile_arns = application_profiles(scope, application, source_region) if application_profiles else None
        access = result[application.name] = EuInvokeAccess(
            scope,
            "Access",
            application=application.name,
            source_region=source_region,
            profiles=approved_profiles(application.name, application.profiles, catalog, source_region),
            trusted_services=application.trusted_services,
            trusted_role_arns=application.trusted_role_arns,
            application_profile_arns=profile_arns,
            require_application_profiles=application.require_application_profiles,
            # All of the application's guardrails and the organization's enforced ones; EuInvokeAccess
            # keeps those of source_region.
            guardrail_arns=application_guardrails(config, application, catalog),
            responses_api=application.responses_api,
            private_network_vpcs=([config.network[source_region].vpc_id]
                                  if application.require_private_network and source_region in config.network else ()),
        )
        cdk.CfnOutput(
            scope,
            "RoleArn",
            value=access.role.role_arn,
            description=f"IAM role of {application.name} in {source_region}: the only access to its approved eu. profiles",
        )
        created = sum(isinstance(c, cdk.CfnResource) for c in scope.node.find_all())
        if created > layout.resources_per_application:
            raise PolicyError(
                f"applications[{position}] {application.name!r} in {source_region}: creates {created} resources,"
                f" more than the {layout.resources_per_application} the stack layout reserves per application;"
                " approve fewer profiles for it (or change the layout before the first deployment)"
            )
    return result


def _first_position(layout: ShardLayout, shard: int) -> int:
    if shard == 0:
        return 0
    return layout.first_shard_capacity + (shard - 1) * layout.overflow_shard_capacity


def check_stack_limits(assembly) -> list[str]:
    """One line per synthesized stack over a CloudFormation limit (resources, outputs, template bytes).

    For a cloud assembly (``app.synth()``). The shard layout is designed so that this is always empty;
    calling it after synthesis (``app.py``, the benchmark) turns a wrong budget into a synth failure
    instead of a failed deployment.
    """
    problems = []
    for stack in assembly.stacks:
        template = stack.template
        resources = len(template.get("Resources", {}))
        outputs = len(template.get("Outputs", {}))
        size = os.path.getsize(stack.template_full_path)
        for what, value, limit in (
            ("resources", resources, STACK_RESOURCE_LIMIT),
            ("outputs", outputs, STACK_OUTPUT_LIMIT),
            ("template bytes", size, STACK_TEMPLATE_BYTE_LIMIT),
        ):
            if value > limit:
                problems.append(f"stack {stack.stack_name}: {value} {what}, more than CloudFormation's {limit}")
    return problems


def application_guardrails(config: Config, application: Application, catalog: Catalog) -> tuple[GuardrailGrant, ...]:
    """The application's guardrails, then the organization's enforced ones, each with its guardrail
    profile's routes from the catalog."""
    uses = [*application.guardrail_uses(), *config.enforced_guardrails]
    return guardrail_grants([(u.arn, u.profile) for u in uses], catalog)


def application_profiles_for(scope: Construct, config: Config, application: Application, source_region: str):
    """The application's tagged ``ApplicationProfiles`` (child ``Profiles`` of ``scope``)."""
    from cris_guard.constructs.application_profiles import ApplicationProfiles

    return ApplicationProfiles(
        scope,
        "Profiles",
        application=application.name,
        name_prefix=config.name,
        source_region=source_region,
        profile_ids=application.profiles,
        cost_center=application.cost_center,
        tags=application.tags,
    )


def application_profiles_from_config(config: Config) -> ApplicationProfilesFactory:
    """A factory creating each application's :func:`application_profiles_for` and returning their ARNs."""

    def create(scope: Construct, application: Application, source_region: str) -> Mapping[str, str]:
        profiles = application_profiles_for(scope, config, application, source_region)
        return {pid: profile.arn for pid, profile in profiles.profiles.items()}

    return create


__all__ = [
    "DEFAULT_LAYOUT",
    "STACK_TEMPLATE_BYTE_LIMIT",
    "TEMPLATE_BYTES_PER_APPLICATION",
    "check_stack_limits",
    "MAX_APPLICATION_PROFILES_PER_APPLICATION",
    "RESOURCES_PER_APPLICATION",
    "STACK_RESOURCE_LIMIT",
    "ApplicationProfilesFactory",
    "ShardLayout",
    "add_application_access",
    "application_profiles_for",
    "application_profiles_from_config",
    "overflow_stack_name",
]
