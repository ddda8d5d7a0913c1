"""Build the CDK app from a validated configuration. ``app.py``, the tests and the benchmark use this."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import aws_cdk as cdk
from constructs import Construct

from cris_guard.catalog import Catalog
from cris_guard.config import Application, Config
from cris_guard.constructs.alert_topic import AlertTopic
from cris_guard.constructs.application_profiles import ApplicationProfiles
from cris_guard.constructs.budgets import BedrockBudgets
from cris_guard.constructs.eu_invoke_access import EuInvokeAccess
from cris_guard.cost import BudgetedApplication, default_account_monthly_usd
from cris_guard.nag import register_nag_packs
from cris_guard.regions import supports
from cris_guard.stacks.access import add_application_access, application_profiles_for
from cris_guard.stacks.organization_stack import add_organization_guardrail
from cris_guard.stacks.region_stack import RegionGovernanceStack, region_stack_name


@dataclass
class AccountBuild:
    """What was built for one account: its Region stacks and application access."""

    scope: Construct  # the App (single account) or the account's Stage
    config: Config  # the account's own configuration (Config.for_account)
    region_stacks: dict[str, RegionGovernanceStack]
    access: dict[str, dict[str, EuInvokeAccess]]  # source Region -> application -> access


@dataclass
class CrisGuardApp:
    """The built app and the constructs the benchmark and tests inspect.

    ``region_stacks`` and ``access`` are those of the first (for a single-account configuration, the
    only) account; ``accounts`` has every account by Stage name (``None`` for the single account).
    """

    app: cdk.App
    region_stacks: dict[str, RegionGovernanceStack]
    access: dict[str, dict[str, EuInvokeAccess]]  # source Region -> application -> access
    accounts: dict[str | None, AccountBuild] = field(default_factory=dict)
    guardrail: cdk.Stack | None = None


def build(
    config: Config,
    catalog: Catalog,
    *,
    outdir: str | None = None,
    default_account: str | None = None,
    context: Mapping[str, Any] | None = None,
) -> CrisGuardApp:
    """One governance stack per source Region (plus overflow stacks for many applications).

    Single account (no ``accounts`` key): the stacks sit directly in the app, as ``<name>-<region>``.
    ``default_account`` is used when the configuration names no account (``app.py`` passes
    ``CDK_DEFAULT_ACCOUNT``); with neither, stacks are environment-agnostic in the account but still
    pinned to their Region.

    Several accounts: one CDK Stage per account, named after it (``cdk.out/assembly-<name>/``, CLI
    selector ``'<name>/*'``), each holding the same stacks for that account's source Regions.

    With ``organization_guardrail``, one more stack (the SCP) for the management account. cdk-nag packs
    are registered on the app; they check every stack, including those in Stages.

    ``context`` is the app's CDK context (feature flags above all): ``cdk synth`` passes cdk.json's
    through the environment, an in-process build gets it here (:func:`cris_guard.cdk_context.cdk_json_context`).
    """
    app = cdk.App(outdir=outdir, context=dict(context) if context else None)
    register_nag_packs(app)
    _tag(app, config.resource_tags)

    builds: dict[str | None, AccountBuild] = {}
    for target in config.targets():
        if target is None:
            builds[None] = _build_account(app, config, catalog, config.account or default_account)
            continue
        stage = cdk.Stage(app, target.name, env=cdk.Environment(account=target.id))
        # Tag aspects of the App stop at a Stage boundary (measured: the stage's templates carried no
        # tags); cdk-nag's validation plugins on the App do check the Stage's stacks (measured too).
        _tag(stage, config.resource_tags)
        builds[target.name] = _build_account(stage, config.for_account(target), catalog, target.id)
    first = next(iter(builds.values()))
    return CrisGuardApp(
        app=app,
        region_stacks=first.region_stacks,
        access=first.access,
        accounts=builds,
        guardrail=add_organization_guardrail(app, config),
    )


def _tag(scope: Construct, tags: Mapping[str, str]) -> None:
    """``tags`` on every taggable resource under ``scope`` and on every stack (CloudFormation's stack
    tags, which it also copies to the stack's taggable resources at deploy time).

    The stacks are tagged explicitly: with the recommended ``@aws-cdk/core:explicitStackTags`` flag
    (cdk.json sets it), ``Tags.of(scope).add`` skips stacks, and the deployed stacks would carry no tags;
    an app that sets no flags would still tag them. Explicitly, both deploy the same tags."""
    for key, value in tags.items():
        cdk.Tags.of(scope).add(key, value)
        cdk.Tags.of(scope).add(key, value, include_resource_types=["aws:cdk:stack"])


def _build_account(app: Construct, config: Config, catalog: Catalog, account: str | None) -> AccountBuild:
    """Everything one account gets, under ``app`` (the App or the account's Stage)."""
    envs = {region: cdk.Environment(account=account, region=region) for region in config.source_regions}
    stacks = {
        region: RegionGovernanceStack(
            app, region_stack_name(config, region), config=config, catalog=catalog, source_region=region, env=envs[region]
        )
        for region in config.source_regions
    }
    home = stacks[config.trail_home_region]
    audit_alarms = home.add_audit_alarms()

    # Budgets: once per account. Per-application budgets sit next to the application's access in its
    # shard (so 200 applications do not pile 200 budgets into one stack); the account-wide budget sits
    # in the governance stack. Where no source Region's CloudFormation has AWS::Budgets::Budget, all of
    # them go to a separate stack in the fallback Region.
    budgeted = [BudgetedApplication(a.name, a.monthly_budget_usd) for a in config.applications]
    budgets_stack: cdk.Stack | None = stacks.get(config.budgets_region)
    if budgets_stack is not None:
        budget_topic = stacks[config.budgets_region].alerts
    else:
        budgets_stack = cdk.Stack(
            app,
            f"{config.name}-budgets",
            stack_name=f"{config.name}-budgets",
            env=cdk.Environment(account=account, region=config.budgets_region),
            description=(
                "cris-guard AWS Budgets for Amazon Bedrock (account-wide; no source Region's CloudFormation"
                " offers AWS::Budgets::Budget, and budgets process no personal data)"
            ),
        )
        budget_topic = AlertTopic(
            budgets_stack, "Alerts", emails=config.alerts.emails, display_name=f"cris-guard {config.name} budget alerts"
        )
    budget_topic.allow_budgets_publish()

    def add_budgets(scope: Construct, id: str, applications: list[BudgetedApplication], *, account_wide: bool) -> None:
        BedrockBudgets(
            scope,
            id,
            name_prefix=config.name,
            applications=applications,
            account_monthly_usd=config.budgets.account_monthly_usd or default_account_monthly_usd(budgeted),
            thresholds=[(t.type, t.percent) for t in config.budgets.thresholds],
            alert_topic=budget_topic.topic,
            emails=config.alerts.emails,
            include_account_budget=account_wide,
        )

    if config.budgets_region not in stacks:
        add_budgets(budgets_stack, "ApplicationBudgets", budgeted, account_wide=False)
    add_budgets(budgets_stack, "AccountBudget", [], account_wide=True)

    result = AccountBuild(scope=app, config=config, region_stacks=stacks, access={})
    home_profiles: dict[str, str] = {}  # the trail home stack's application profile IDs -> the profile each copies
    for region, stack in stacks.items():
        profiles_here: dict[str, ApplicationProfiles] = {}

        def per_application(
            scope: Construct, application: Application, source_region: str, _profiles=profiles_here
        ) -> Mapping[str, str] | None:
            arns = None
            if supports("AWS::Bedrock::ApplicationInferenceProfile", source_region):
                profiles = application_profiles_for(scope, config, application, source_region)
                _profiles[application.name] = profiles
                arns = {pid: p.arn for pid, p in profiles.profiles.items()}
            if source_region == config.budgets_region:
                own = [b for b in budgeted if b.name == application.name]
                add_budgets(scope, "Budget", own, account_wide=False)
            return arns

        result.access[region] = add_application_access(
            app,
            stack,
            config=config,
            catalog=catalog,
            source_region=region,
            env=envs[region],
            stack_name_prefix=region_stack_name(config, region),
            application_profiles=per_application,
        )
        in_this_stack = {
            f"{name} {pid}": p.profile_id
            for name, profiles in profiles_here.items()
            if cdk.Stack.of(profiles) is stack
            for pid, p in profiles.profiles.items()
        }
        stack.add_dashboard(
            residency_metric=audit_alarms.metric_residency_violations(region) if audit_alarms else None,
            application_profile_ids=in_this_stack,
        )
        stack.add_bedrock_endpoints(result.access[region], {
            p.arn: pid for profiles in profiles_here.values() if cdk.Stack.of(profiles) is stack
            for pid, p in profiles.profiles.items()})
        if stack is home:
            home_profiles.update({
                p.profile_id: pid
                for profiles in profiles_here.values()
                if cdk.Stack.of(profiles) is stack
                for pid, p in profiles.profiles.items()
            })
    home.add_evidence_queries(roles=_application_roles(result), application_profiles=home_profiles)
    home.add_verifier_role()
    return result


def _application_roles(build: AccountBuild) -> dict[str, str]:
    """``<stack name>-<role logical ID>`` -> application for every application role of the account: how
    CloudFormation begins the role's name, which the evidence matches callers against (known at synthesis,
    in any Region's stack, unlike the role names themselves)."""
    roles: dict[str, str] = {}
    for access in build.access.values():
        for name, construct in access.items():
            stack = cdk.Stack.of(construct.role)
            logical_id = stack.resolve(stack.get_logical_id(construct.role.node.default_child))
            roles[f"{stack.stack_name}-{logical_id}"] = name
    return roles


def build_app(
    config: Config,
    catalog: Catalog,
    *,
    outdir: str | None = None,
    default_account: str | None = None,
    context: Mapping[str, Any] | None = None,
) -> cdk.App:
    """The CDK app only (see :func:`build`)."""
    return build(config, catalog, outdir=outdir, default_account=default_account, context=context).app
