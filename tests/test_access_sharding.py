"""stacks/access.py: fixed-capacity shards, the resource budget, and append-only stability."""

from __future__ import annotations

import datetime as dt
import os

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import aws_cdk as cdk  # noqa: E402
import pytest  # noqa: E402

from cris_guard.catalog import parse_catalog  # noqa: E402
from cris_guard.config import parse_config  # noqa: E402
from cris_guard.iam_policy import PolicyError  # noqa: E402
from cris_guard.nag import register_nag_packs, violations  # noqa: E402
from cris_guard.stacks.access import (  # noqa: E402
    DEFAULT_LAYOUT,
    MAX_APPLICATION_PROFILES_PER_APPLICATION,
    RESOURCES_PER_APPLICATION,
    TEMPLATE_BYTES_PER_APPLICATION,
    ShardLayout,
    add_application_access,
    application_profiles_from_config,
    overflow_stack_name,
)

ACCOUNT = "111122223333"
REGION = "eu-central-1"
PREFIX = "acme-genai-eu-central-1"
CATALOG_DAY = dt.date(2026, 12, 6)  # end of life judged on the catalog's day, not the day the tests run
SONNET = "eu.anthropic.claude-sonnet-4-6"
NOVA2 = "eu.amazon.nova-2-lite-v1:0"


def config_with(catalog, names, profiles=(SONNET, NOVA2), regions=(REGION,), **app_fields):
    data = {
        "name": "acme-genai",
        "residency": "eu",
        "source_regions": list(regions),
        "alerts": {"emails": ["platform-team@example.com"]},
        "applications": [
            {"name": n, "profiles": list(profiles), "monthly_budget_usd": 10, "trusted_services": ["lambda.amazonaws.com"], **app_fields}
            for n in names
        ],
    }
    return parse_config(data, catalog, today=CATALOG_DAY)


def synth(catalog, config, *, layout=DEFAULT_LAYOUT, profiles=True, region=REGION):
    app = cdk.App()
    register_nag_packs(app)
    env = cdk.Environment(account=ACCOUNT, region=region)
    region_stack = cdk.Stack(app, f"acme-genai-{region}", env=env)
    accesses = add_application_access(
        app, region_stack, config=config, catalog=catalog, source_region=region, env=env,
        stack_name_prefix=f"acme-genai-{region}", layout=layout,
        application_profiles=application_profiles_from_config(config) if profiles else None,
    )
    stacks = [c for c in app.node.children if isinstance(c, cdk.Stack)]
    nag = {s.stack_name: violations(app, s) for s in stacks}
    assembly = app.synth()
    return dict(accesses=accesses, nag=nag, templates={s.stack_name: s.template for s in assembly.stacks})


def test_capacity_is_derived_from_the_per_application_worst_case():
    # role + up to 10 managed policies + one application profile per approved profile (<= 19) + budget
    assert RESOURCES_PER_APPLICATION == 1 + 10 + 19 + 1 == 31
    assert MAX_APPLICATION_PROFILES_PER_APPLICATION == 19
    assert TEMPLATE_BYTES_PER_APPLICATION == 90_000
    # the smaller of the resource and the template-byte capacity
    assert DEFAULT_LAYOUT.first_shard_capacity == min((500 - 200) // 31, (1_000_000 - 350_000) // 90_000) == 7
    assert DEFAULT_LAYOUT.overflow_shard_capacity == min((500 - 10) // 31, (1_000_000 - 20_000) // 90_000) == 10
    assert [DEFAULT_LAYOUT.shard_of(p) for p in (0, 6, 7, 16, 17, 26, 27)] == [0, 0, 1, 1, 2, 2, 3]
    assert DEFAULT_LAYOUT.shard_count(200) == 21  # 7 + 20 * 10 = 207 >= 200
    assert DEFAULT_LAYOUT.shard_count(2) == 1
    # every shard stays within CloudFormation's limits even when every application is at its worst case
    first, overflow = DEFAULT_LAYOUT.first_shard_capacity, DEFAULT_LAYOUT.overflow_shard_capacity
    assert 200 + first * RESOURCES_PER_APPLICATION <= 500
    assert 350_000 + first * TEMPLATE_BYTES_PER_APPLICATION <= 1_000_000
    assert 10 + overflow * RESOURCES_PER_APPLICATION <= 500
    assert 20_000 + overflow * TEMPLATE_BYTES_PER_APPLICATION <= 1_000_000
    assert overflow_stack_name(PREFIX, 1) == f"{PREFIX}-apps-2"
    with pytest.raises(ValueError):
        overflow_stack_name(PREFIX, 0)
    with pytest.raises(ValueError, match="no room"):
        ShardLayout(region_stack_reserved=480)


def test_the_budgets_hold_for_the_real_app_at_its_worst_case(catalog, tmp_path, monkeypatch):
    """Measured on app_builder's real app, including what other constructs add per application (its
    budget, its share of the dashboard): one worst-case application costs at most its budgets, and
    the governance stack's own content fits its reservation. The cdk-nag packs are not run here (they
    change no template; the next test and the app's tests run them): half this test's time. The two
    syntheses are cached like the session's (tests/conftest.py, keyed by cris-guard's code and this file)."""
    from pathlib import Path

    from cris_guard import app_builder
    from cris_guard.app_builder import build

    from .conftest import cached_synthesis

    monkeypatch.setattr(app_builder, "register_nag_packs", lambda app: None)

    every = sorted(catalog.approvable(CATALOG_DAY))  # every approvable profile routes from eu-west-1

    def measure(count):
        config = config_with(catalog, [f"application-with-a-long-name-{i:02d}" for i in range(count)], profiles=every,
                             regions=("eu-west-1",), require_application_profiles=True, cost_center="CC-000000000001",
                             tags={"data-classification": "x" * 60})
        outdir = tmp_path / f"out{count}"
        assembly = cached_synthesis(
            f"worst-case-{count}", Path(__file__).read_bytes(), outdir,
            lambda: build(config, catalog, outdir=str(outdir), default_account=ACCOUNT).app.synth())
        (stack,) = assembly.stacks
        return os.path.getsize(stack.template_full_path), len(stack.template["Resources"])

    (bytes1, resources1), (bytes2, resources2) = measure(1), measure(2)
    assert resources2 - resources1 <= RESOURCES_PER_APPLICATION
    assert bytes2 - bytes1 <= TEMPLATE_BYTES_PER_APPLICATION
    assert resources1 - (resources2 - resources1) <= DEFAULT_LAYOUT.region_stack_reserved
    assert bytes1 - (bytes2 - bytes1) <= DEFAULT_LAYOUT.region_stack_reserved_bytes


def test_an_application_at_its_worst_case_stays_within_its_budget(catalog):
    # From eu-west-1 every approvable catalog profile routes: up to 19 profiles and application profiles, enforced.
    every = sorted(catalog.approvable(CATALOG_DAY))
    assert all(catalog.destinations(p, "eu-west-1") for p in every)
    assert 16 <= len(every) <= MAX_APPLICATION_PROFILES_PER_APPLICATION
    config = config_with(catalog, ["everything"], profiles=every, regions=("eu-west-1",), require_application_profiles=True)
    result = synth(catalog, config, region="eu-west-1")
    access = result["accesses"]["everything"]
    scope = access.node.scope  # the application's scope: its access and its application profiles
    created = [c for c in scope.node.find_all() if isinstance(c, cdk.CfnResource)]
    assert len(created) <= RESOURCES_PER_APPLICATION
    assert 1 < len(access.policies) <= 10
    assert result["nag"] == {"acme-genai-eu-west-1": []}


def test_appending_an_application_changes_no_existing_stack(catalog):
    small = ShardLayout(region_stack_reserved=440, overflow_stack_reserved=410, resources_per_application=30)  # 2 in shard 0, 3 per overflow
    assert (small.first_shard_capacity, small.overflow_shard_capacity) == (2, 3)
    names = [f"team-{i:02d}" for i in range(6)]
    before = synth(catalog, config_with(catalog, names[:5]), layout=small)
    after = synth(catalog, config_with(catalog, names), layout=small)
    assert sorted(before["templates"]) == [PREFIX, f"{PREFIX}-apps-2"]
    assert sorted(after["templates"]) == [PREFIX, f"{PREFIX}-apps-2", f"{PREFIX}-apps-3"]
    for name, template in before["templates"].items():
        assert after["templates"][name] == template, name
    # overflow stacks get the same cdk-nag coverage (packs are registered on the app)
    assert after["nag"] == {name: [] for name in after["templates"]}
    roles = lambda t: sum(r["Type"] == "AWS::IAM::Role" for r in t["Resources"].values())  # noqa: E731
    assert [roles(after["templates"][n]) for n in (PREFIX, f"{PREFIX}-apps-2", f"{PREFIX}-apps-3")] == [2, 3, 1]


def test_logical_ids_depend_on_the_application_name_and_its_shard_only(catalog):
    one = synth(catalog, config_with(catalog, ["alpha", "beta"]), profiles=False)["templates"][PREFIX]
    two = synth(catalog, config_with(catalog, ["beta", "alpha"]), profiles=False)["templates"][PREFIX]
    assert one["Resources"] == two["Resources"]


def test_overflow_stacks_are_pinned_to_the_source_region(catalog):
    small = ShardLayout(region_stack_reserved=440, overflow_stack_reserved=410, resources_per_application=30)
    app = cdk.App()
    env = cdk.Environment(account=ACCOUNT, region=REGION)
    region_stack = cdk.Stack(app, PREFIX, env=env)
    config = config_with(catalog, ["a1", "a2", "a3"])
    add_application_access(app, region_stack, config=config, catalog=catalog, source_region=REGION, env=env,
                           stack_name_prefix=PREFIX, layout=small)
    overflow = app.node.find_child(f"{PREFIX}-apps-2")
    assert (overflow.region, overflow.account) == (REGION, ACCOUNT)
    assert "overflow stack 2 (applications 3-5 of the configuration)" in overflow.template_options.description


def test_an_application_over_the_profile_budget_is_refused():
    profiles = {
        f"eu.example.model-{i:02d}-v1:0": {"model_id": f"example.model-{i:02d}-v1:0", "source": "https://example.com", "as_of": "2026-01-01",
                                         "routes": {REGION: [REGION]}}
        for i in range(20)
    }
    catalog = parse_catalog({"as_of": "2026-01-01", "source": "https://example.com", "method": "test", "profiles": profiles})
    config = config_with(catalog, ["greedy"], profiles=sorted(profiles))
    app = cdk.App()
    env = cdk.Environment(account=ACCOUNT, region=REGION)
    with pytest.raises(PolicyError, match=r"applications\[0\] 'greedy': approves 20 profiles.*budgets 19"):
        add_application_access(app, cdk.Stack(app, PREFIX, env=env), config=config, catalog=catalog,
                               source_region=REGION, env=env, stack_name_prefix=PREFIX)


def test_an_application_creating_more_than_its_budget_is_refused(catalog):
    tight = ShardLayout(resources_per_application=3)  # role + 1 policy + 2 application profiles = 4
    app = cdk.App()
    env = cdk.Environment(account=ACCOUNT, region=REGION)
    config = config_with(catalog, ["roomy"])
    with pytest.raises(PolicyError, match=r"applications\[0\] 'roomy' in eu-central-1: creates 4 resources, more than the 3"):
        add_application_access(app, cdk.Stack(app, PREFIX, env=env), config=config, catalog=catalog, source_region=REGION,
                               env=env, stack_name_prefix=PREFIX, layout=tight,
                               application_profiles=application_profiles_from_config(config))
