"""Shared fixtures: the catalog, the default configuration, and the default app synthesized once."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

# Importing cris_guard silences jsii's Node end-of-life banner before any test imports aws_cdk.
from cris_guard.catalog import load_catalog
from cris_guard.cdk_context import cdk_json_context
from cris_guard.config import load_config

REPO_ROOT = Path(__file__).resolve().parent.parent
TEST_ACCOUNT = "111122223333"
# What `cdk synth` gives the app besides the configuration: cdk.json's context, the CDK feature flags above
# all. cdk.App() does not read cdk.json (the CLI passes it through the environment), so the shared
# syntheses below pass it, and synthesize what `make synth` and `cdk deploy` do. Tests that build a bare
# cdk.App() see a library user's app without flags; tests/test_feature_flags.py synthesizes both ways.
CDK_CONTEXT = cdk_json_context(REPO_ROOT / "cdk.json")
# The day the catalog's lifecycle data was last checked. Fixtures that approve a legacy profile judge
# end of life on this day, so they keep working after that profile's published end of life.
CATALOG_DAY = dt.date(2026, 12, 6)


@pytest.fixture(scope="session")
def catalog():
    return load_catalog()


@pytest.fixture(scope="session")
def default_config(catalog):
    return load_config(REPO_ROOT / "config" / "default.yaml", catalog)


SYNTH_CACHE_ENV = "CRIS_GUARD_SYNTH_CACHE"


def _synthesis_key(name: str, configuration: bytes) -> str:
    """A digest of everything a cached synthesis depends on: cris-guard's code and data, the configuration,
    cdk.json (the feature flags), the pinned dependencies (and the installed aws-cdk-lib), this file (the
    test account), Python."""
    import hashlib
    import importlib.metadata
    import sys

    digest = hashlib.sha256(name.encode() + b"\0" + configuration + b"\0")
    inputs = sorted(p for p in (REPO_ROOT / "cris_guard").rglob("*") if p.is_file() and p.suffix in (".py", ".json"))
    inputs += [REPO_ROOT / "cdk.json", REPO_ROOT / "constraints.txt", REPO_ROOT / "package-lock.json", Path(__file__)]
    for path in inputs:
        digest.update(str(path.relative_to(REPO_ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update(f"{TEST_ACCOUNT} {sys.version} {importlib.metadata.version('aws-cdk-lib')}".encode())
    return digest.hexdigest()[:32]


def cached_synthesis(name: str, configuration: bytes, outdir: Path, synthesize):
    """``synthesize()`` (which writes a cloud assembly to ``outdir``), or a copy of the assembly a previous run
    synthesized from the same inputs (``.cache/synth/<key>``; about 10 s per test worker and app). Each session
    gets its own copy, so a test that writes into the assembly (the report does) never changes the cache.
    ``CRIS_GUARD_SYNTH_CACHE=off`` synthesizes every time."""
    import os
    import shutil

    from aws_cdk import cx_api

    cached = REPO_ROOT / ".cache" / "synth" / _synthesis_key(name, configuration)
    use_cache = os.environ.get(SYNTH_CACHE_ENV, "") != "off"
    if use_cache and (cached / "manifest.json").is_file():
        shutil.copytree(cached, outdir, dirs_exist_ok=True)
        return cx_api.CloudAssembly(str(outdir))
    assembly = synthesize()
    if use_cache:
        staging = cached.parent / f"{cached.name}.{os.getpid()}"
        try:
            shutil.copytree(outdir, staging)
            os.replace(staging, cached)  # atomic; another worker may have won the race, which is fine
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)
    return assembly


@pytest.fixture(scope="session")
def default_assembly(catalog, default_config, tmp_path_factory):
    """The default configuration synthesized once per session as ``cdk synth`` does (cdk.json's feature
    flags, a fixed test account; cached on disk, see :func:`cached_synthesis`)."""
    from cris_guard.app_builder import build_app

    outdir = tmp_path_factory.mktemp("cdk.out")
    return cached_synthesis(
        "default", (REPO_ROOT / "config" / "default.yaml").read_bytes(), outdir,
        lambda: build_app(default_config, catalog, outdir=str(outdir), default_account=TEST_ACCOUNT,
                          context=CDK_CONTEXT).synth())


@pytest.fixture(scope="session")
def default_templates(default_assembly) -> dict[str, dict]:
    """Stack name -> synthesized template (plain JSON)."""
    return {s.stack_name: s.template for s in default_assembly.stacks}


def minimal_config(catalog, name: str, regions: list[str]):
    """A one-application configuration in ``regions`` (for tests about placement, not content)."""
    from cris_guard.config import parse_config

    return parse_config(
        {
            "name": name,
            "residency": "eu",
            "source_regions": regions,
            "applications": [
                {
                    "name": "app",
                    "profiles": ["eu.amazon.nova-2-lite-v1:0"],
                    "monthly_budget_usd": 1,
                    "trusted_services": ["lambda.amazonaws.com"],
                }
            ],
            "alerts": {"emails": ["a@example.com"]},
        },
        catalog,
    )


# Two accounts (one CDK Stage each), without an organization guardrail: tests/test_report.py,
# test_summary.py and test_assembly.py read it.
MULTI_ACCOUNT_CONFIG = {
    "name": "acme-genai",
    "residency": "eu",
    "accounts": [
        {"name": "prod", "id": "111122223333", "source_regions": ["eu-central-1", "eu-west-1"]},
        {"name": "dev", "id": "444455556666", "source_regions": ["eu-west-3"], "applications": ["claims-assistant"]},
    ],
    "applications": [
        {"name": "claims-assistant", "profiles": ["eu.anthropic.claude-sonnet-4-6"],
         "monthly_budget_usd": 500, "trusted_services": ["lambda.amazonaws.com"]},
        {"name": "contract-search", "profiles": ["eu.amazon.nova-pro-v1:0"],
         "monthly_budget_usd": 250, "trusted_services": ["ecs-tasks.amazonaws.com"]},
    ],
    "alerts": {"emails": ["platform-team@example.com"]},
}


@pytest.fixture(scope="session")
def multi_account_config(catalog):
    from cris_guard.config import parse_config

    return parse_config(MULTI_ACCOUNT_CONFIG, catalog)


@pytest.fixture(scope="session")
def multi_account_assembly(catalog, multi_account_config, tmp_path_factory):
    """MULTI_ACCOUNT_CONFIG synthesized once per session: cdk.out with assembly-prod/ and assembly-dev/."""
    from cris_guard.app_builder import build_app

    import json

    outdir = tmp_path_factory.mktemp("cdk.out-multi")
    return cached_synthesis("multi-account", json.dumps(MULTI_ACCOUNT_CONFIG, sort_keys=True).encode(), outdir,
                            lambda: build_app(multi_account_config, catalog, outdir=str(outdir),
                                              context=CDK_CONTEXT).synth())


@pytest.fixture(scope="session")
def two_accounts_example(catalog, tmp_path_factory):
    """config/examples/two-accounts.yaml (two Stages and the organization guardrail), built and
    synthesized once per session: (config, CrisGuardApp, cdk.out directory, cloud assembly)."""
    from cris_guard.app_builder import build
    from cris_guard.config import load_config

    config = load_config(REPO_ROOT / "config" / "examples" / "two-accounts.yaml", catalog)
    outdir = tmp_path_factory.mktemp("cdk.out-two-accounts")
    built = build(config, catalog, outdir=str(outdir), context=CDK_CONTEXT)
    return config, built, outdir, built.app.synth()


@pytest.fixture(scope="session")
def milan_legacy_example(catalog, tmp_path_factory):
    """config/examples/milan.yaml (a project catalog entry, UNCONFIRMED routes) with a legacy profile added,
    synthesized once per session: (config, catalog in force, cdk.out directory, cloud assembly)."""
    import yaml

    from cris_guard.app_builder import build_app
    from cris_guard.config import load_project

    folder = tmp_path_factory.mktemp("milan")
    data = yaml.safe_load((REPO_ROOT / "config" / "examples" / "milan.yaml").read_text())
    data["applications"][0]["profiles"].append("eu.anthropic.claude-sonnet-4-5-20250929-v1:0")
    (folder / "milan-catalog.json").write_text((REPO_ROOT / "config" / "examples" / "milan-catalog.json").read_text())
    (folder / "milan.yaml").write_text(yaml.safe_dump(data))
    config, in_force = load_project(folder / "milan.yaml", catalog, today=CATALOG_DAY)
    outdir = folder / "cdk.out"
    assembly = build_app(config, in_force, outdir=str(outdir), default_account=TEST_ACCOUNT, context=CDK_CONTEXT).synth()
    return config, in_force, outdir, assembly
