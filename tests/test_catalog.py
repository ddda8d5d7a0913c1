"""The profile catalog: shipped data, load-time checks, and the refresh tool (botocore Stubber)."""

from __future__ import annotations

import copy
import datetime as dt
import json

import boto3
import pytest
from botocore.stub import Stubber

from cris_guard.catalog import DEFAULT_CATALOG_PATH, CatalogError, load_catalog, parse_catalog
from cris_guard.catalog.__main__ import main as catalog_cli
from cris_guard.catalog.refresh import RefreshError, diff_catalogs, refresh_catalog

EU6 = ("eu-central-1", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-3")
CORE4 = ("eu-central-1", "eu-north-1", "eu-west-1", "eu-west-3")


def test_shipped_catalog_has_date_source_and_every_eu_profile(catalog):
    assert catalog.as_of == dt.date(2026, 11, 22)
    assert catalog.source == "https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-support.html"
    assert len(catalog.profiles) == 19
    assert all(pid.startswith("eu.") for pid in catalog.profiles)


@pytest.mark.parametrize(
    ("profile", "source", "destinations"),
    [
        ("eu.anthropic.claude-sonnet-4-5-20250929-v1:0", "eu-central-1", EU6),
        ("eu.anthropic.claude-sonnet-4-5-20250929-v1:0", "eu-west-2", tuple(sorted((*EU6, "eu-west-2")))),
        ("eu.anthropic.claude-sonnet-4-5-20250929-v1:0", "eu-central-2", tuple(sorted((*EU6, "eu-central-2")))),
        ("eu.anthropic.claude-sonnet-4-20250514-v1:0", "il-central-1", tuple(sorted((*EU6, "il-central-1")))),
        ("eu.amazon.nova-pro-v1:0", "eu-central-1", CORE4),
        ("eu.amazon.nova-pro-v1:0", "eu-south-1", tuple(sorted((*CORE4, "eu-south-1")))),
        ("eu.amazon.nova-pro-v1:0", "il-central-1", tuple(sorted((*CORE4, "eu-south-1", "il-central-1")))),
        ("eu.mistral.pixtral-large-2502-v1:0", "eu-west-3", CORE4),
        ("eu.meta.llama3-2-1b-instruct-v1:0", "eu-west-1", ("eu-central-1", "eu-west-1", "eu-west-3")),
        ("eu.twelvelabs.marengo-embed-3-0-v1:0", "eu-west-1", EU6),
        ("eu.twelvelabs.marengo-embed-3-0-v1:0", "eu-central-1", ()),
        ("eu.amazon.nova-2-lite-v1:0", "eu-west-2", ()),
    ],
)
def test_destinations_differ_per_profile_and_source(catalog, profile, source, destinations):
    assert catalog.destinations(profile, source) == destinations


def _doc():
    return json.loads(DEFAULT_CATALOG_PATH.read_text())


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update(as_of="yesterday"), "as_of 'yesterday' is not a date; use YYYY-MM-DD"),
        (lambda d: d.update(source="docs"), "source 'docs' must be an https:// URL"),
        (lambda d: d.pop("profiles"), "missing key 'profiles'"),
        (
            lambda d: d["profiles"]["eu.amazon.nova-2-lite-v1:0"]["routes"].update({"eu-centrl-1": ["eu-central-1"]}),
            "profiles.eu.amazon.nova-2-lite-v1:0.routes: 'eu-centrl-1' is not a known Region code",
        ),
        (
            lambda d: d["profiles"]["eu.amazon.nova-2-lite-v1:0"]["routes"]["eu-west-1"].append("eu-west-9"),
            "routes.eu-west-1: 'eu-west-9' is not a known Region code",
        ),
        (
            lambda d: d["profiles"]["eu.amazon.nova-2-lite-v1:0"]["routes"].update({"eu-west-1": ["eu-central-1"]}),
            "routes.eu-west-1: the source Region must be among its destinations",
        ),
        (
            lambda d: d["profiles"]["eu.amazon.nova-2-lite-v1:0"].update(model_id="amazon.nova-lite-v1:0"),
            "model_id: 'amazon.nova-lite-v1:0' does not match the profile ID",
        ),
        (
            lambda d: d["profiles"].update({"us.amazon.nova-lite-v1:0": {"model_id": "x", "routes": {}}}),
            "'us.amazon.nova-lite-v1:0' is not an EU system profile ID",
        ),
    ],
)
def test_bad_catalog_fails_with_a_named_field(mutate, message):
    doc = _doc()
    mutate(doc)
    with pytest.raises(CatalogError, match=None) as info:
        parse_catalog(doc, origin="cat.json")
    assert message in str(info.value)
    assert str(info.value).startswith("cat.json: ")


def test_unreadable_catalog(tmp_path):
    bad = tmp_path / "c.json"
    bad.write_text("{")
    with pytest.raises(CatalogError, match=r"c.json:1: not valid JSON"):
        load_catalog(bad)


def test_document_round_trip(catalog):
    assert parse_catalog(catalog.to_document(), "x") == catalog


# ---- refresh (botocore Stubber: moto does not implement these calls) -------------------------------

ACCOUNT = "111122223333"


def _profile_arn(region, pid):
    return f"arn:aws:bedrock:{region}:{ACCOUNT}:inference-profile/{pid}"


def _detail(region, pid, model, dests):
    return {
        "inferenceProfileName": pid,
        "inferenceProfileArn": _profile_arn(region, pid),
        "inferenceProfileId": pid,
        "status": "ACTIVE",
        "type": "SYSTEM_DEFINED",
        "models": [{"modelArn": f"arn:aws:bedrock:{r}::foundation-model/{model}"} for r in dests],
    }


def _stubbed_client(region, profiles):
    """A real bedrock client whose responses come from ``profiles``: {pid: (model, dests)}."""
    client = boto3.client("bedrock", region_name=region, aws_access_key_id="x", aws_secret_access_key="x")
    stub = Stubber(client)
    items = list(profiles.items())
    # two pages, to prove pagination; plus one non-EU profile that must be ignored
    first = [_detail(region, pid, m, d) for pid, (m, d) in items[:1]]
    first.append(_detail(region, "global.amazon.nova-2-lite-v1:0", "amazon.nova-2-lite-v1:0", ("us-east-1",)))
    stub.add_response(
        "list_inference_profiles",
        {"inferenceProfileSummaries": first, "nextToken": "t1"},
        {"typeEquals": "SYSTEM_DEFINED", "maxResults": 1000},
    )
    stub.add_response(
        "list_inference_profiles",
        {"inferenceProfileSummaries": [_detail(region, pid, m, d) for pid, (m, d) in items[1:]]},
        {"typeEquals": "SYSTEM_DEFINED", "maxResults": 1000, "nextToken": "t1"},
    )
    for pid, (model, dests) in sorted(items):
        stub.add_response(
            "get_inference_profile", _detail(region, pid, model, dests), {"inferenceProfileIdentifier": pid}
        )
    stub.activate()
    return client, stub


def test_refresh_replaces_routes_of_queried_regions_and_prints_a_diff(catalog):
    seen = {
        # nova-2-lite gains eu-west-2 as a destination (a change a reviewer must see)
        "eu.amazon.nova-2-lite-v1:0": ("amazon.nova-2-lite-v1:0", (*EU6, "eu-west-2")),
        # a brand-new profile
        "eu.anthropic.claude-sonnet-4-6": ("anthropic.claude-sonnet-4-6", EU6),
        "eu.amazon.nova-pro-v1:0": ("amazon.nova-pro-v1:0", CORE4),
    }
    client, stub = _stubbed_client("eu-central-1", seen)
    new = refresh_catalog(catalog, ["eu-central-1"], lambda region: client, today=dt.date(2026, 12, 1))
    stub.assert_no_pending_responses()
    assert new.as_of == dt.date(2026, 12, 1)
    assert "GetInferenceProfile from eu-central-1" in new.method
    # routes from other sources are kept
    assert new.destinations("eu.amazon.nova-2-lite-v1:0", "eu-west-1") == EU6
    assert new.destinations("eu.amazon.nova-2-lite-v1:0", "eu-central-1") == tuple(sorted((*EU6, "eu-west-2")))
    diff = diff_catalogs(catalog, new)
    assert "~ route eu.amazon.nova-2-lite-v1:0 from eu-central-1: +eu-west-2" in diff
    assert "+ profile eu.anthropic.claude-sonnet-4-6 (sources: eu-central-1)" in diff
    # profiles not reported from eu-central-1 lose that route
    assert "- route eu.anthropic.claude-sonnet-4-5-20250929-v1:0 from eu-central-1 (was -> " + ", ".join(EU6) + ")" in diff
    # marengo was never callable from eu-central-1: unchanged
    assert not [line for line in diff if "marengo" in line]


def test_refresh_removes_a_profile_with_no_routes_left(catalog):
    only = {p: (catalog.get(p).model_id, catalog.destinations(p, "eu-west-1")) for p in catalog.profiles if catalog.destinations(p, "eu-west-1") and p != "eu.twelvelabs.marengo-embed-2-7-v1:0"}
    client, _ = _stubbed_client("eu-west-1", only)
    new = refresh_catalog(catalog, ["eu-west-1"], lambda region: client)
    assert "- profile eu.twelvelabs.marengo-embed-2-7-v1:0 (was callable from: eu-west-1)" in diff_catalogs(catalog, new)
    assert new.get("eu.twelvelabs.marengo-embed-2-7-v1:0") is None


def test_refresh_api_failure_is_one_line(catalog, tmp_path, capsys):
    client = boto3.client("bedrock", region_name="eu-central-1", aws_access_key_id="x", aws_secret_access_key="x")
    stub = Stubber(client)
    stub.add_client_error("list_inference_profiles", "AccessDeniedException", "not authorized to perform bedrock:ListInferenceProfiles")
    stub.activate()
    target = tmp_path / "cat.json"
    target.write_text(DEFAULT_CATALOG_PATH.read_text())
    code = catalog_cli(["--catalog", str(target), "refresh", "--region", "eu-central-1"], client_factory=lambda r: client)
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1 and "AccessDeniedException" in err and "Traceback" not in err
    assert target.read_text() == DEFAULT_CATALOG_PATH.read_text()


def test_refresh_cli_writes_file_and_dry_run_does_not(catalog, tmp_path, capsys):
    target = tmp_path / "cat.json"
    target.write_text(DEFAULT_CATALOG_PATH.read_text())
    seen = {"eu.amazon.nova-2-lite-v1:0": ("amazon.nova-2-lite-v1:0", EU6)}
    client, _ = _stubbed_client("eu-central-1", seen)
    assert catalog_cli(["--catalog", str(target), "refresh", "--region", "eu-central-1", "--dry-run"], client_factory=lambda r: client) == 0
    out = capsys.readouterr().out
    assert "dry run: catalog file not written" in out
    assert target.read_text() == DEFAULT_CATALOG_PATH.read_text()
    client, _ = _stubbed_client("eu-central-1", seen)
    assert catalog_cli(["--catalog", str(target), "refresh", "--region", "eu-central-1"], client_factory=lambda r: client) == 0
    written = load_catalog(target)
    assert written.destinations("eu.amazon.nova-2-lite-v1:0", "eu-central-1") == EU6
    assert written.destinations("eu.anthropic.claude-sonnet-4-5-20250929-v1:0", "eu-central-1") == ()
    assert written.destinations("eu.anthropic.claude-sonnet-4-5-20250929-v1:0", "eu-west-1") == EU6


def test_refresh_rejects_a_profile_with_two_models(catalog):
    client = boto3.client("bedrock", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x")
    stub = Stubber(client)
    pid = "eu.amazon.nova-2-lite-v1:0"
    stub.add_response("list_inference_profiles", {"inferenceProfileSummaries": [_detail("eu-west-1", pid, "amazon.nova-2-lite-v1:0", EU6)]})
    bad = _detail("eu-west-1", pid, "amazon.nova-2-lite-v1:0", EU6)
    bad["models"].append({"modelArn": "arn:aws:bedrock:eu-west-1::foundation-model/amazon.other-v1:0"})
    stub.add_response("get_inference_profile", bad)
    stub.activate()
    with pytest.raises(RefreshError, match="expected one foundation model"):
        refresh_catalog(catalog, ["eu-west-1"], lambda r: client)


def test_list_command(capsys):
    assert catalog_cli(["list"]) == 0
    out = capsys.readouterr().out
    assert "19 EU inference profiles, as of 2026-11-22" in out
    assert "from eu-west-2     -> eu-central-1, eu-north-1, eu-south-1, eu-south-2, eu-west-1, eu-west-2, eu-west-3   (leaves EU member states)" in out
