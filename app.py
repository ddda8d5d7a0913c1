#!/usr/bin/env python3
"""cris-guard CDK entry point: ``cdk synth [-c config=path/to/file.yaml]``.

This file is the only place that reads files and environment variables (style.md: data flows one
way). Invalid input exits with one line per problem and status 2, never a traceback: configuration
errors are found before any construct is built, and the few limits only a construct can check (an
application whose policies cannot fit IAM's limits, a dashboard over CloudWatch's) raise ValueError
subclasses with a message written for people.
"""

import os
import sys

# Importing cris_guard also silences jsii's Node end-of-life banner (cris_guard/__init__.py).
from cris_guard.catalog import CatalogError, load_catalog
from cris_guard.config import ConfigError, governance_warnings, load_project


def _fail(exc: Exception) -> int:
    for line in str(exc).splitlines():
        print(f"cris-guard: {line}", file=sys.stderr)
    return 2


def main() -> int:
    # Import aws_cdk only after the configuration is valid: a bad file fails in a fraction of a second.
    import aws_cdk as cdk

    probe = cdk.App()
    config_path = probe.node.try_get_context("config") or os.environ.get("CRIS_GUARD_CONFIG") or None
    try:
        base = load_catalog(probe.node.try_get_context("catalog"))
        config, catalog = load_project(config_path, base)
    except (ConfigError, CatalogError) as exc:
        return _fail(exc)
    for line in governance_warnings(config, catalog):
        print(f"cris-guard: warning: {line}", file=sys.stderr)

    from cris_guard.app_builder import build_app

    try:
        app = build_app(config, catalog, default_account=os.environ.get("CDK_DEFAULT_ACCOUNT"))
    except ValueError as exc:  # our constructs' limit checks; jsii errors are RuntimeError and propagate
        return _fail(exc)
    app.synth()
    # cdk-nag findings in stacks inside Stages (several accounts) do not fail `cdk synth` by themselves.
    from cris_guard.nag import failed_validations

    failures = failed_validations(app.outdir)
    for line in failures:
        print(f"cris-guard: cdk-nag: {line}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
