"""Build the CDK app from a validated configuration. ``app.py`` and the tests both use this."""

from __future__ import annotations

import aws_cdk as cdk

from cris_guard.catalog import Catalog
from cris_guard.config import Config
from cris_guard.nag import register_nag_packs
from cris_guard.stacks.region_stack import RegionGovernanceStack, region_stack_name


def build_app(
    config: Config,
    catalog: Catalog,
    *,
    outdir: str | None = None,
    default_account: str | None = None,
    context: dict | None = None,
) -> cdk.App:
    """One governance stack per source Region, with cdk-nag packs registered on the whole app.

    ``default_account`` is the account to use when the configuration names none (``app.py`` passes
    ``CDK_DEFAULT_ACCOUNT``); with neither, stacks are environment-agnostic in the account but still
    pinned to their Region.
    """
    app = cdk.App(outdir=outdir, context=context or {})
    register_nag_packs(app)
    account = config.account or default_account
    for key, value in config.resource_tags.items():
        cdk.Tags.of(app).add(key, value)
    for region in config.source_regions:
        env = cdk.Environment(account=account, region=region)
        RegionGovernanceStack(
            app,
            region_stack_name(config, region),
            config=config,
            catalog=catalog,
            source_region=region,
            env=env,
        )
    return app
