"""The profile catalog: shipped data, lifecycle, project catalogs layered over it, load-time checks, and
the refresh tool (botocore Stubber on responses shaped like the real API: moto has none of these calls)."""

from __future__ import annotations

import copy
import datetime as dt
import json
import re

import boto3
import pytest
import yaml
from botocore.stub import Stubber

from cris_guard.catalog import (
    DEFAULT_CATALOG_PATH,
    SHIPPED,
    CatalogError,
    is_profile_id,
    layer,
    load_catalog,
    load_project_catalog,
    parse_catalog,
)
from cris_guard.catalog.__main__ import main as catalog_cli
from cris_guard.catalog.refresh import RefreshError, diff_catalogs, refresh_catalog
from cris_guard.config import ConfigError, lifecycle_warnings, load_project, parse_config

EU6 = ("eu-central-1", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-3")
CORE4 = ("eu-central-1", "eu-north-1", "eu-west-1", "eu-west-3")
SONNET_46 = "eu.anthropic.claude-sonnet-4-6"
SONNET_45 = "eu.anthropic.claude-sonnet-4-5-20250929-v1:0"
LLAMA_1B = "eu.meta.llama3-2-1b-instruct-v1:0"
TODAY = dt.date(2026, 12, 6)


def test_shipped_catalog_has_date_source_and_current_eu_profiles(catalog):
    assert catalog.as_of == dt.date(2026, 12, 6)
    assert catalog.source == "https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-support.html"
    assert len(catalog.profiles) == 23
    assert all(pid.startswith("eu.") for pid in catalog.profiles)
    # The profiles launched since the first catalog, with the IDs AWS uses (no ':0' suffix).
    for pid in (SONNET_46, "eu.anthropic.claude-opus-4-6-v1", "eu.anthropic.claude-opus-4-7", "eu.anthropic.claude-opus-4-8"):
        assert catalog.get(pid) is not None, pid


def test_every_shipped_profile_names_its_page_date_and_lifecycle(catalog):
    for pid, profile in catalog.profiles.items():
        assert profile.source.startswith("https://docs.aws.amazon.com/bedrock/"), pid
        assert profile.as_of is not None and profile.as_of <= dt.date(2026, 12, 6), pid
        assert profile.lifecycle is not None and profile.lifecycle.source.startswith("https://docs.aws.amazon.com/"), pid
        assert set(profile.route_origins.values()) == {SHIPPED}, pid


@pytest.mark.parametrize(
    ("profile", "status", "end_of_life"),
    [
        (SONNET_46, "active", None),
        (SONNET_45, "legacy", dt.date(2027, 4, 8)),
        (LLAMA_1B, "end-of-life", dt.date(2026, 7, 7)),
        ("eu.anthropic.claude-sonnet-4-20250514-v1:0", "end-of-life", dt.date(2026, 10, 14)),
        ("eu.anthropic.claude-3-haiku-20240307-v1:0", "end-of-life", dt.date(2026, 9, 10)),
        ("eu.anthropic.claude-3-sonnet-20240229-v1:0", "end-of-life", dt.date(2026, 7, 30)),
    ],
)
def test_lifecycle_from_aws_pages(catalog, profile, status, end_of_life):
    life = catalog.get(profile).lifecycle
    assert (life.status, life.end_of_life_date) == (status, end_of_life)


def test_second_hand_facts_are_marked_unconfirmed(catalog):
    # Claude 3.7 Sonnet: AWS lists an end of life for GovCloud only; the commercial date is second-hand.
    life = catalog.get("eu.anthropic.claude-3-7-sonnet-20250219-v1:0").lifecycle
    assert life.status == "legacy" and life.end_of_life_date is None
    assert "UNCONFIRMED" in life.describe() and "GovCloud" in life.unconfirmed
    assert not catalog.get(SONNET_46).lifecycle.unconfirmed


@pytest.mark.parametrize(
    ("profile", "source", "destinations"),
    [
        (SONNET_46, "eu-central-1", EU6),
        (SONNET_46, "eu-south-1", EU6),
        (SONNET_46, "eu-west-2", tuple(sorted((*EU6, "eu-west-2")))),
        (SONNET_46, "eu-central-2", tuple(sorted((*EU6, "eu-central-2")))),
        (SONNET_46, "il-central-1", ()),
        ("eu.anthropic.claude-sonnet-4-20250514-v1:0", "il-central-1", tuple(sorted((*EU6, "il-central-1")))),
        ("eu.amazon.nova-pro-v1:0", "eu-central-1", CORE4),
        ("eu.amazon.nova-pro-v1:0", "eu-south-1", tuple(sorted((*CORE4, "eu-south-1")))),
        ("eu.amazon.nova-pro-v1:0", "il-central-1", tuple(sorted((*CORE4, "eu-south-1", "il-central-1")))),
        ("eu.mistral.pixtral-large-2502-v1:0", "eu-west-3", CORE4),
        (LLAMA_1B, "eu-west-1", ("eu-central-1", "eu-west-1", "eu-west-3")),
        ("eu.twelvelabs.marengo-embed-3-0-v1:0", "eu-west-1", EU6),
        ("eu.twelvelabs.marengo-embed-3-0-v1:0", "eu-central-1", ()),
        ("eu.amazon.nova-2-lite-v1:0", "eu-west-2", ()),
    ],
)
def test_destinations_differ_per_profile_and_source(catalog, profile, source, destinations):
    assert catalog.destinations(profile, source) == destinations


@pytest.mark.parametrize(
    ("pid", "valid"),
    [
        ("eu.anthropic.claude-sonnet-4-6", True),
        ("eu.anthropic.claude-opus-4-6-v1", True),
        ("eu.amazon.nova-2-lite-v1:0", True),
        ("eu.anthropic.claude_sonnet", False),  # '_' is outside botocore's [a-zA-Z0-9-:.]
        ("eu.anthropic", False),
        ("us.anthropic.claude-sonnet-4-6", False),
        ("eu.a." + "x" * 60, False),  # longer than botocore's 64
    ],
)
def test_profile_id_shape_follows_botocore(pid, valid):
    assert is_profile_id(pid) is valid


def _doc():
    return json.loads(DEFAULT_CATALOG_PATH.read_text())


NOVA = "eu.amazon.nova-2-lite-v1:0"


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update(as_of="yesterday"), "as_of: 'yesterday' is not a date; use YYYY-MM-DD"),
        (lambda d: d.update(source="docs"), "source 'docs' must be an https:// URL"),
        (lambda d: d.pop("profiles"), "missing key 'profiles'"),
        (lambda d: d.update(extra=1), "unknown key 'extra'"),
        (lambda d: d["profiles"][NOVA].pop("source"), f"profiles.{NOVA}: missing 'source'; every entry names where"),
        (lambda d: d["profiles"][NOVA].pop("as_of"), f"profiles.{NOVA}: missing 'as_of'; every entry needs the date"),
        (lambda d: d["profiles"][NOVA].update(as_of="last week"), f"profiles.{NOVA}.as_of: 'last week' is not a date"),
        (lambda d: d["profiles"][NOVA]["lifecycle"].update(end_of_life_date="2027-13-01"),
         f"profiles.{NOVA}.lifecycle.end_of_life_date: '2027-13-01' is not a date"),
        (lambda d: d["profiles"][NOVA]["lifecycle"].update(status="deprecated"),
         f"profiles.{NOVA}.lifecycle.status: 'deprecated' is not one of ['active', 'legacy', 'end-of-life']"),
        (lambda d: d["profiles"][NOVA]["lifecycle"].update(status="end-of-life"),
         "status 'end-of-life' needs the end_of_life_date"),
        (lambda d: d["profiles"][NOVA]["lifecycle"].update(legacy_date="2027-01-01", end_of_life_date="2026-01-01"),
         "dates out of order"),
        (lambda d: d["profiles"][NOVA]["routes"].update({"eu-centrl-1": ["eu-central-1"]}),
         f"profiles.{NOVA}.routes: 'eu-centrl-1' is not a known Region code"),
        (lambda d: d["profiles"][NOVA]["routes"]["eu-west-1"].append("eu-west-9"),
         "routes.eu-west-1: 'eu-west-9' is not a known Region code"),
        (lambda d: d["profiles"][NOVA]["routes"].update({"eu-west-1": ["eu-central-1"]}),
         "routes.eu-west-1: the source Region must be among its destinations"),
        (lambda d: d["profiles"][NOVA].update(model_id="amazon.nova-lite-v1:0"),
         "model_id: 'amazon.nova-lite-v1:0' does not match the profile ID"),
        (lambda d: d["profiles"][NOVA].update(unconfirmed_routes={"eu-west-2": "x"}),
         "unconfirmed_routes: 'eu-west-2' is not one of its routes' sources"),
        (lambda d: d["profiles"].update({"us.amazon.nova-lite-v1:0": {"model_id": "x", "routes": {}}}),
         "'us.amazon.nova-lite-v1:0' is not an EU system profile ID"),
        (lambda d: d["profiles"].update({"eu.amazon.nova_lite": {}}), "'eu.amazon.nova_lite' is not an EU system profile ID"),
        (lambda d: d["profiles"][NOVA].update(colour="blue"), "unknown key 'colour'"),
    ],
)
def test_bad_catalog_fails_with_a_named_field(mutate, message):
    doc = _doc()
    mutate(doc)
    with pytest.raises(CatalogError) as info:
        parse_catalog(doc, origin="cat.json")
    assert message in str(info.value)
    assert str(info.value).startswith("cat.json: ")
    assert "\n" not in str(info.value)


def test_unreadable_catalog(tmp_path):
    bad = tmp_path / "c.json"
    bad.write_text("{")
    with pytest.raises(CatalogError, match=r"c.json:1: not valid JSON"):
        load_catalog(bad)
    with pytest.raises(CatalogError, match=r"nope.json: catalog file not found"):
        load_catalog(tmp_path / "nope.json")
    (tmp_path / "list.json").write_text("[]")
    with pytest.raises(CatalogError, match=r"list.json: a catalog must be a JSON object with a 'profiles' object"):
        load_catalog(tmp_path / "list.json")


def test_document_round_trip(catalog):
    assert parse_catalog(catalog.to_document(), "x") == catalog


# ---- project catalogs ---------------------------------------------------------------------------------

OPUS_5 = "eu.anthropic.claude-opus-5"


def _local_doc(**extra_profiles):
    """A hand-written project catalog: a profile launched today, and a changed route of a shipped one."""
    return {
        "profiles": {
            OPUS_5: {
                "model_id": "anthropic.claude-opus-5",
                "source": "https://docs.aws.amazon.com/bedrock/latest/userguide/model-card-anthropic-claude-opus-5.html",
                "as_of": "2026-12-06",
                "unconfirmed": "the card lists EU sources but not destinations; assumed EU-6",
                "lifecycle": {"status": "active"},
                "routes": {"eu-south-1": list(EU6), "eu-central-1": list(EU6)},
            },
            NOVA: {
                "model_id": "amazon.nova-2-lite-v1:0",
                "source": "GetInferenceProfile in eu-central-1 of 111122223333",
                "as_of": "2026-12-05",
                "routes": {"eu-central-1": ["eu-central-1", "eu-west-1"]},
            },
            **extra_profiles,
        }
    }


@pytest.fixture
def local_file(tmp_path):
    path = tmp_path / "team-catalog.json"
    path.write_text(json.dumps(_local_doc()))
    return path


def test_project_catalog_adds_profiles_and_its_routes_win(catalog, local_file):
    merged = load_project_catalog(local_file, catalog, label="team-catalog.json")
    assert merged.local_layers == ("team-catalog.json",)
    opus = merged.get(OPUS_5)
    assert opus.destinations("eu-south-1") == EU6 and opus.origin("eu-south-1") == "team-catalog.json"
    assert opus.route_unconfirmed("eu-central-1").startswith("the card lists EU sources")
    nova = merged.get(NOVA)
    # its route from eu-central-1 wins; its route from eu-west-1 stays the shipped one
    assert nova.destinations("eu-central-1") == ("eu-central-1", "eu-west-1")
    assert nova.origin("eu-central-1") == "team-catalog.json"
    assert nova.destinations("eu-west-1") == EU6 and nova.origin("eu-west-1") == SHIPPED
    # it records no lifecycle, so the shipped one stays
    assert nova.lifecycle == catalog.get(NOVA).lifecycle
    assert "+ project catalog team-catalog.json (2 profiles)" in merged.describe()
    # the shipped catalog is untouched
    assert catalog.get(OPUS_5) is None and catalog.get(NOVA).destinations("eu-central-1") == EU6


def _write_config(tmp_path, profiles, regions=("eu-south-1",), catalog_name="team-catalog.json"):
    data = {
        "name": "milan-genai", "residency": "eu", "source_regions": list(regions),
        "applications": [{"name": "copilot", "profiles": profiles, "monthly_budget_usd": 100,
                          "trusted_services": ["lambda.amazonaws.com"]}],
        "alerts": {"emails": ["a@example.com"]},
    }
    if catalog_name:
        data["catalog"] = catalog_name
    path = tmp_path / "milan.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_configuration_names_its_catalog_relative_to_itself(catalog, local_file, tmp_path):
    config, in_force = load_project(_write_config(tmp_path, [OPUS_5, SONNET_46]), catalog, today=TODAY)
    assert config.catalog == "team-catalog.json"
    assert in_force.get(OPUS_5).destinations("eu-south-1") == EU6


def test_a_sonnet_46_from_milan_validates_with_the_shipped_catalog(catalog, tmp_path):
    config, in_force = load_project(_write_config(tmp_path, [SONNET_46], catalog_name=None), catalog, today=TODAY)
    assert in_force.get(SONNET_46).destinations("eu-south-1") == EU6
    assert in_force.local_layers == ()


def test_a_local_entry_that_leaves_the_eu_is_refused_naming_the_file(catalog, tmp_path):
    doc = _local_doc()
    doc["profiles"][OPUS_5]["routes"]["eu-south-1"] = [*EU6, "eu-west-2"]
    (tmp_path / "team-catalog.json").write_text(json.dumps(doc))
    with pytest.raises(ConfigError) as info:
        load_project(_write_config(tmp_path, [OPUS_5]), catalog, today=TODAY)
    assert str(info.value) == (
        f"{tmp_path / 'milan.yaml'}: applications[0].profiles[0]: '{OPUS_5}' called from 'eu-south-1' routes to"
        " ['eu-west-2'] (catalog team-catalog.json), outside residency 'eu'; choose another profile or source Region"
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "catalog: {dir}/team-catalog.json: catalog file not found"),
        ("{nope", "catalog: {dir}/team-catalog.json:1: not valid JSON"),
        ('{"profiles": []}', "'profiles' must be a non-empty object keyed by profile ID"),
        (json.dumps({"profiles": {OPUS_5: {"model_id": "anthropic.claude-opus-5", "as_of": "2026-12-06",
                                           "routes": {"eu-south-1": ["eu-south-1"]}}}}),
         f"profiles.{OPUS_5}: missing 'source'"),
        (json.dumps({"profiles": {"eu.anthropic.Claude Opus": {}}}), "is not an EU system profile ID"),
        (json.dumps({"profiles": {OPUS_5: {"model_id": "anthropic.claude-opus-5", "source": "x", "as_of": "2026-12-06",
                                           "routes": {"eu-milan-1": ["eu-south-1"]}}}}),
         "'eu-milan-1' is not a known Region code"),
        (json.dumps({"profiles": {OPUS_5: {"model_id": "anthropic.claude-opus-5", "source": "x", "as_of": "2026-12-06",
                                           "lifecycle": {"status": "legacy", "end_of_life_date": "soon"},
                                           "routes": {"eu-south-1": ["eu-south-1"]}}}}),
         "lifecycle.end_of_life_date: 'soon' is not a date"),
    ],
)
def test_a_bad_project_catalog_is_one_line_naming_the_configuration_and_file(catalog, tmp_path, content, message):
    if content is not None:
        (tmp_path / "team-catalog.json").write_text(content)
    config_path = _write_config(tmp_path, [SONNET_46])
    with pytest.raises(ConfigError) as info:
        load_project(config_path, catalog, today=TODAY)
    text = str(info.value)
    assert "\n" not in text and "Traceback" not in text
    assert text.startswith(f"{config_path}: catalog: ")
    assert message.format(dir=tmp_path) in text


def test_a_profile_in_neither_catalog_names_both_ways_to_add_it(catalog, local_file, tmp_path):
    with pytest.raises(ConfigError) as info:
        load_project(_write_config(tmp_path, ["eu.anthropic.claude-sonnet-5"]), catalog, today=TODAY)
    text = str(info.value)
    assert "'eu.anthropic.claude-sonnet-5' is not in the shipped catalog or team-catalog.json" in text
    assert "catalog refresh --region <source Region> --output <project catalog>` with AWS credentials" in text
    assert "write a project catalog entry by hand (with its source and date" in text


# ---- lifecycle ----------------------------------------------------------------------------------------

def _app_config(profiles, regions=("eu-central-1",)):
    return {
        "name": "acme", "residency": "eu", "source_regions": list(regions),
        "applications": [{"name": "bot", "profiles": profiles, "monthly_budget_usd": 1,
                          "trusted_services": ["lambda.amazonaws.com"]}],
        "alerts": {"emails": ["a@example.com"]},
    }


def test_a_profile_past_its_end_of_life_is_one_line_with_the_date(catalog):
    with pytest.raises(ConfigError) as info:
        parse_config(_app_config([LLAMA_1B]), catalog, origin="c.yaml", today=TODAY)
    assert str(info.value) == (
        f"c.yaml: applications[0].profiles[0]: '{LLAMA_1B}' reached its end of life on 2026-07-07 (Bedrock model"
        " lifecycle), so calls to it fail; AWS names no replacement; choose an active profile"
        " (`cris-guard catalog list`)"
    )


def test_end_of_life_is_judged_against_the_day_of_synthesis(catalog):
    # Sonnet 4.5 is legacy with an end of life on 2027-04-08: fine the day before, refused on the day.
    parse_config(_app_config([SONNET_45]), catalog, today=dt.date(2027, 4, 7))
    with pytest.raises(ConfigError, match="reached its end of life on 2027-04-08"):
        parse_config(_app_config([SONNET_45]), catalog, today=dt.date(2027, 4, 8))
    # Without a date, the day of synthesis: Llama 3.2 1B's end of life (2026-07-07) has passed.
    with pytest.raises(ConfigError, match="reached its end of life on 2026-07-07"):
        parse_config(_app_config([LLAMA_1B]), catalog)


def test_a_named_replacement_is_shown(catalog, tmp_path):
    doc = _local_doc()
    doc["profiles"][OPUS_5]["lifecycle"] = {"status": "legacy", "end_of_life_date": "2026-12-01",
                                            "replacement": "eu.anthropic.claude-opus-5-5"}
    merged = layer(catalog, parse_catalog(doc, "team.json", label="team.json"))
    with pytest.raises(ConfigError, match="AWS names eu.anthropic.claude-opus-5-5 as its replacement"):
        parse_config(_app_config([OPUS_5]), merged, today=TODAY)


def test_a_legacy_profile_is_accepted_with_a_warning_naming_its_end_of_life(catalog):
    config = parse_config(_app_config([SONNET_45, SONNET_46]), catalog, today=TODAY)
    assert lifecycle_warnings(config, catalog) == [
        f"{SONNET_45} (approved for bot) is legacy since 2026-10-08, end of life 2027-04-08; plan the move to an"
        " active profile"
    ]


def test_default_configuration_and_examples_approve_current_profiles_only(catalog):
    from .conftest import REPO_ROOT

    for path in [REPO_ROOT / "config" / "default.yaml", *sorted((REPO_ROOT / "config" / "examples").glob("*.yaml"))]:
        config, in_force = load_project(path, catalog, today=TODAY)
        for app in config.applications:
            for pid in app.profiles:
                assert in_force.get(pid).lifecycle.status == "active", (path.name, pid)


def test_config_command_warns_about_legacy_profiles_on_stderr(tmp_path, capsys, monkeypatch):
    import types

    import cris_guard.config
    from cris_guard.config import main as config_cli

    class _CatalogDay(dt.date):  # the command judges end of life on its day; pin it to the catalog's day
        @classmethod
        def today(cls):
            return TODAY

    monkeypatch.setattr(cris_guard.config, "_dt", types.SimpleNamespace(date=_CatalogDay))
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(_app_config([SONNET_45])))
    assert config_cli([str(path)]) == 0
    err = capsys.readouterr().err
    assert f"cris-guard: warning: {SONNET_45} (approved for bot) is legacy since 2026-10-08, end of life 2027-04-08" in err


# ---- refresh (botocore Stubber: moto does not implement these calls) -------------------------------

ACCOUNT = "111122223333"


def _detail(region, pid, model, dests):
    return {
        "inferenceProfileName": pid,
        "inferenceProfileArn": f"arn:aws:bedrock:{region}:{ACCOUNT}:inference-profile/{pid}",
        "inferenceProfileId": pid,
        "status": "ACTIVE",
        "type": "SYSTEM_DEFINED",
        "models": [{"modelArn": f"arn:aws:bedrock:{r}::foundation-model/{model}"} for r in dests],
    }


def _model_summary(model, status="ACTIVE", **times):
    lifecycle = {"status": status, **times}
    return {"modelArn": f"arn:aws:bedrock:eu-central-1::foundation-model/{model}", "modelId": model,
            "modelLifecycle": lifecycle}


def _stubbed_client(region, profiles, models=()):
    """A real bedrock client whose responses come from ``profiles``: {pid: (model, dests)}: two pages of
    ListInferenceProfiles (one non-EU profile that must be ignored), GetInferenceProfile per EU profile,
    and ListFoundationModels for lifecycles."""
    client = boto3.client("bedrock", region_name=region, aws_access_key_id="x", aws_secret_access_key="x")
    stub = Stubber(client)
    items = list(profiles.items())
    first = [_detail(region, pid, m, d) for pid, (m, d) in items[:1]]
    first.append(_detail(region, "global.amazon.nova-2-lite-v1:0", "amazon.nova-2-lite-v1:0", ("us-east-1",)))
    stub.add_response("list_inference_profiles", {"inferenceProfileSummaries": first, "nextToken": "t1"},
                      {"typeEquals": "SYSTEM_DEFINED", "maxResults": 1000})
    stub.add_response("list_inference_profiles",
                      {"inferenceProfileSummaries": [_detail(region, pid, m, d) for pid, (m, d) in items[1:]]},
                      {"typeEquals": "SYSTEM_DEFINED", "maxResults": 1000, "nextToken": "t1"})
    for pid, (model, dests) in sorted(items):
        stub.add_response("get_inference_profile", _detail(region, pid, model, dests), {"inferenceProfileIdentifier": pid})
    stub.add_response("list_foundation_models", {"modelSummaries": list(models)}, {})
    stub.activate()
    return client, stub


SEEN_FROM_FRANKFURT = {
    # nova-2-lite gains eu-west-2 as a destination (a change a reviewer must see)
    NOVA: ("amazon.nova-2-lite-v1:0", (*EU6, "eu-west-2")),
    # a brand-new profile
    "eu.anthropic.claude-opus-5": ("anthropic.claude-opus-5", EU6),
    "eu.amazon.nova-pro-v1:0": ("amazon.nova-pro-v1:0", CORE4),
    SONNET_46: ("anthropic.claude-sonnet-4-6", EU6),
    # and sonnet 4.5, in the shipped catalog, is no longer reported from eu-central-1
}
MODELS_IN_FRANKFURT = [
    _model_summary("anthropic.claude-sonnet-4-6"),
    _model_summary("amazon.nova-pro-v1:0", "LEGACY", legacyTime=dt.datetime(2027, 1, 1, tzinfo=dt.timezone.utc),
                   endOfLifeTime=dt.datetime(2027, 7, 1, 12, tzinfo=dt.timezone.utc)),
]


def test_refresh_builds_a_project_catalog_with_routes_and_lifecycle(catalog):
    client, stub = _stubbed_client("eu-central-1", SEEN_FROM_FRANKFURT, MODELS_IN_FRANKFURT)
    new, reported = refresh_catalog(None, ["eu-central-1"], lambda region: client, today=TODAY)
    stub.assert_no_pending_responses()
    assert sorted(new.profiles) == sorted(SEEN_FROM_FRANKFURT)
    assert new.destinations(NOVA, "eu-central-1") == tuple(sorted((*EU6, "eu-west-2")))
    opus = new.get("eu.anthropic.claude-opus-5")
    assert (opus.source, opus.as_of) == ("Amazon Bedrock GetInferenceProfile in eu-central-1", TODAY)
    assert opus.lifecycle is None  # not listed by ListFoundationModels: not recorded, never guessed
    pro = new.get("eu.amazon.nova-pro-v1:0").lifecycle
    assert (pro.status, pro.legacy_date, pro.end_of_life_date) == ("legacy", dt.date(2027, 1, 1), dt.date(2027, 7, 1))
    assert "global.amazon.nova-2-lite-v1:0" not in new.profiles
    # the written file parses back as a project catalog
    assert parse_catalog(new.to_document(), "x", label="x").get(NOVA).routes == new.get(NOVA).routes


def test_refresh_cli_writes_a_project_file_and_prints_the_diff_against_the_catalog_in_force(catalog, tmp_path, capsys):
    out = tmp_path / "team.json"
    client, _ = _stubbed_client("eu-central-1", SEEN_FROM_FRANKFURT, MODELS_IN_FRANKFURT)
    code = catalog_cli(["refresh", "--region", "eu-central-1", "--output", str(out)],
                       client_factory=lambda r: client, today=TODAY)
    printed = capsys.readouterr().out
    assert code == 0
    assert f"+ profile eu.anthropic.claude-opus-5 (sources: eu-central-1)" in printed
    assert f"~ route {NOVA} from eu-central-1: +eu-west-2" in printed
    assert (f"- route {SONNET_45} from eu-central-1: no longer reported (the catalog in force has -> "
            + ", ".join(EU6)) in printed
    assert "marengo" not in printed  # never callable from eu-central-1: unchanged
    assert ("~ lifecycle eu.amazon.nova-pro-v1:0: active UNCONFIRMED -> legacy (legacy since 2027-01-01, end of"
            " life 2027-07-01)") in printed
    assert "~ lifecycle eu.anthropic.claude-sonnet-4-6" not in printed  # ACTIVE, as the catalog says
    assert f"wrote {out} (4 profiles)" in printed
    assert sorted(json.loads(out.read_text())["profiles"]) == sorted(SEEN_FROM_FRANKFURT)
    # the package's own data is never rewritten
    assert load_catalog() == catalog


def test_refresh_keeps_routes_of_regions_not_queried_in_an_existing_file(tmp_path, capsys):
    out = tmp_path / "team.json"
    out.write_text(json.dumps(_local_doc()))
    seen = {SONNET_46: ("anthropic.claude-sonnet-4-6", EU6)}
    client, _ = _stubbed_client("eu-south-1", seen)
    assert catalog_cli(["refresh", "--region", "eu-south-1", "--output", str(out)],
                       client_factory=lambda r: client, today=TODAY) == 0
    written = load_catalog(out, label="team")
    assert written.destinations(OPUS_5, "eu-central-1") == EU6  # eu-central-1 was not queried: kept
    assert written.destinations(OPUS_5, "eu-south-1") == ()  # queried, no longer reported: gone
    assert written.get(OPUS_5).route_unconfirmed("eu-central-1")  # its mark stays with the kept route
    assert written.destinations(SONNET_46, "eu-south-1") == EU6


def test_refresh_dry_run_writes_nothing_and_exits_1_on_differences(tmp_path, capsys):
    out = tmp_path / "team.json"
    client, _ = _stubbed_client("eu-central-1", SEEN_FROM_FRANKFURT, MODELS_IN_FRANKFURT)
    assert catalog_cli(["refresh", "--region", "eu-central-1", "--output", str(out), "--dry-run"],
                       client_factory=lambda r: client, today=TODAY) == 1
    assert "dry run: nothing written; exit 1 because the catalog in force differs" in capsys.readouterr().out
    assert not out.exists()


def test_refresh_dry_run_against_a_configurations_catalog_in_force(catalog, local_file, tmp_path, capsys):
    # The account reports from eu-south-1 what the shipped catalog says, plus Opus 5 over EU-6: the
    # configuration's project catalog (local_file) already has Opus 5, so against it nothing differs.
    seen = {p: (catalog.get(p).model_id, catalog.destinations(p, "eu-south-1"))
            for p in catalog.profiles if catalog.destinations(p, "eu-south-1")}
    seen[OPUS_5] = ("anthropic.claude-opus-5", EU6)
    config_path = _write_config(tmp_path, [SONNET_46])
    client, _ = _stubbed_client("eu-south-1", seen)
    assert catalog_cli(["--config", str(config_path), "refresh", "--region", "eu-south-1", "--dry-run"],
                       client_factory=lambda r: client, today=TODAY) == 0
    out = capsys.readouterr().out
    assert "no difference(s) from the catalog in force" in out and f"+ profile {OPUS_5}" not in out
    # Against the shipped catalog alone, the same answer adds a profile: exit 1.
    client, _ = _stubbed_client("eu-south-1", seen)
    assert catalog_cli(["refresh", "--region", "eu-south-1", "--dry-run"],
                       client_factory=lambda r: client, today=TODAY) == 1
    assert f"+ profile {OPUS_5} (sources: eu-south-1)" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["refresh", "--region", "eu-central-1"], "refresh: --output is missing"),
        (["refresh", "--region", "eu-centrl-1", "--dry-run"], "--region: 'eu-centrl-1' is not a known Region code"),
        (["refresh", "--region", "eu-central-1", "--output", str(DEFAULT_CATALOG_PATH)],
         "is cris-guard's shipped catalog, which refresh never rewrites"),
        (["--catalog", "/nonexistent/c.json", "list"], "/nonexistent/c.json: catalog file not found"),
    ],
)
def test_refresh_and_list_bad_input_is_one_line_with_exit_2(argv, message, capsys):
    assert catalog_cli(argv, client_factory=lambda r: pytest.fail("no AWS call on bad input")) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_refresh_api_failure_is_one_line(tmp_path, capsys):
    client = boto3.client("bedrock", region_name="eu-central-1", aws_access_key_id="x", aws_secret_access_key="x")
    stub = Stubber(client)
    stub.add_client_error("list_inference_profiles", "AccessDeniedException",
                          "not authorized to perform bedrock:ListInferenceProfiles")
    stub.activate()
    out = tmp_path / "team.json"
    code = catalog_cli(["refresh", "--region", "eu-central-1", "--output", str(out)], client_factory=lambda r: client)
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1 and "AccessDeniedException" in err and "Traceback" not in err
    assert not out.exists()


def test_refresh_rejects_a_profile_with_two_models():
    client = boto3.client("bedrock", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x")
    stub = Stubber(client)
    stub.add_response("list_inference_profiles",
                      {"inferenceProfileSummaries": [_detail("eu-west-1", NOVA, "amazon.nova-2-lite-v1:0", EU6)]})
    bad = _detail("eu-west-1", NOVA, "amazon.nova-2-lite-v1:0", EU6)
    bad["models"].append({"modelArn": "arn:aws:bedrock:eu-west-1::foundation-model/amazon.other-v1:0"})
    stub.add_response("get_inference_profile", bad)
    stub.activate()
    with pytest.raises(RefreshError, match="expected one foundation model"):
        refresh_catalog(None, ["eu-west-1"], lambda r: client)


def test_diff_catalogs(catalog):
    changed = copy.deepcopy(catalog.to_document())
    changed["profiles"][NOVA]["routes"]["eu-west-1"].remove("eu-south-2")
    del changed["profiles"][LLAMA_1B]
    assert diff_catalogs(catalog, parse_catalog(changed)) == [
        f"~ route {NOVA} from eu-west-1: -eu-south-2",
        f"- profile {LLAMA_1B} (was callable from: eu-central-1, eu-west-1, eu-west-3)",
    ]


def test_list_command_shows_lifecycle_origin_and_unconfirmed_marks(local_file, tmp_path, capsys):
    assert catalog_cli(["list"]) == 0
    out = capsys.readouterr().out
    assert "23 EU inference profiles in force: shipped catalog as of 2026-12-06" in out
    assert re.search(rf"^{re.escape(SONNET_45)}   \[legacy \(legacy since 2026-10-08, extended access from"
                     r" 2027-01-08, end of life 2027-04-08\)\]$", out, re.M)
    assert ("from eu-west-2     -> eu-central-1, eu-north-1, eu-south-1, eu-south-2, eu-west-1, eu-west-2, eu-west-3"
            "   (leaves EU member states)") in out
    guardrails = out[out.index("eu.guardrail.v1:0   [guardrail profile"):]
    assert "    from eu-central-1  -> eu-central-1, eu-north-1, eu-south-1, eu-south-2, eu-west-1, eu-west-3\n" in guardrails
    assert ("    from il-central-1  -> eu-central-1, eu-north-1, eu-south-1, eu-south-2, eu-west-1, eu-west-3,"
            " il-central-1   (leaves EU member states)") in guardrails
    config_path = _write_config(tmp_path, [OPUS_5])
    assert catalog_cli(["--config", str(config_path), "list"]) == 0
    out = capsys.readouterr().out
    assert "24 EU inference profiles in force: shipped catalog as of 2026-12-06 + project catalog team-catalog.json" in out
    assert ("from eu-south-1    -> " + ", ".join(EU6) + "   (from team-catalog.json; UNCONFIRMED: the card lists EU"
            " sources but not destinations; assumed EU-6)") in out


# ---- guardrail profiles ---------------------------------------------------------------------------------

def test_shipped_eu_guardrail_profile_routes(catalog):
    profile = catalog.guardrail_profile("eu.guardrail.v1:0")
    assert profile.source == "https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-cross-region-support.html"
    for source in EU6:
        assert profile.destinations(source) == EU6
    assert profile.destinations("il-central-1") == tuple(sorted((*EU6, "il-central-1")))
    # London has its own uk.guardrail.v1:0 and Zurich is in no guardrail profile.
    assert profile.destinations("eu-west-2") == () and profile.destinations("eu-central-2") == ()


@pytest.mark.parametrize(
    ("entry_id", "entry", "message"),
    [
        ("us.guardrail.v1:0", {"source": "x", "as_of": "2026-12-06", "routes": {"us-east-1": ["us-east-1"]}},
         "'us.guardrail.v1:0' is not an EU guardrail profile ID"),
        ("eu.guardrail.v2:0", {"as_of": "2026-12-06", "routes": {"eu-west-1": ["eu-west-1"]}},
         "guardrail_profiles.eu.guardrail.v2:0: missing 'source'"),
        ("eu.guardrail.v2:0", {"source": "x", "as_of": "soon", "routes": {"eu-west-1": ["eu-west-1"]}},
         "guardrail_profiles.eu.guardrail.v2:0.as_of: 'soon' is not a date"),
        ("eu.guardrail.v2:0", {"source": "x", "as_of": "2026-12-06", "routes": {"eu-west-1": ["eu-west-3"]}},
         "routes.eu-west-1: the source Region must be among its destinations"),
    ],
)
def test_bad_guardrail_profile_entries_are_one_line(entry_id, entry, message):
    with pytest.raises(CatalogError) as info:
        parse_catalog({"profiles": {}, "guardrail_profiles": {entry_id: entry}}, origin="g.json")
    assert message in str(info.value) and "\n" not in str(info.value)


def test_a_project_catalog_layers_guardrail_profile_routes(catalog):
    local = parse_catalog({"profiles": {}, "guardrail_profiles": {"eu.guardrail.v1:0": {
        "source": "hand", "as_of": "2026-12-06", "routes": {"eu-west-1": ["eu-west-1", "eu-west-3"]}}}},
        "g.json", label="g.json")
    merged = layer(catalog, local).guardrail_profile("eu.guardrail.v1:0")
    assert merged.destinations("eu-west-1") == ("eu-west-1", "eu-west-3") and merged.origin("eu-west-1") == "g.json"
    assert merged.destinations("eu-central-1") == EU6 and merged.origin("eu-central-1") == SHIPPED


def test_refresh_keeps_an_existing_files_guardrail_profiles_and_notes(tmp_path):
    out = tmp_path / "team.json"
    doc = _local_doc()
    doc["not_included"] = "eu.anthropic.claude-opus-5-5: waiting for the model card"
    doc["profiles"][OPUS_5]["note"] = "hand-written after the launch"
    doc["guardrail_profiles"] = {"eu.guardrail.v2:0": {"source": "hand", "as_of": "2026-12-06",
                                                      "routes": {"eu-west-1": ["eu-west-1"]}}}
    out.write_text(json.dumps(doc))
    client, _ = _stubbed_client("eu-south-1", {SONNET_46: ("anthropic.claude-sonnet-4-6", EU6)})
    assert catalog_cli(["refresh", "--region", "eu-south-1", "--output", str(out)],
                       client_factory=lambda r: client, today=TODAY) == 0
    written = json.loads(out.read_text())
    assert written["guardrail_profiles"] == doc["guardrail_profiles"]
    assert written["not_included"] == doc["not_included"]
    assert written["profiles"][OPUS_5]["note"] == "hand-written after the launch"
