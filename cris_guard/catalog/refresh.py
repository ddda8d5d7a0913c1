"""Build a project catalog from what an account reports, and show how it differs from the catalog in force.

``cris-guard catalog refresh --region eu-central-1 [--region ...] --output my-catalog.json``
lists the system-defined ``eu.`` inference profiles visible from each source Region
(``ListInferenceProfiles``, every page), reads each one's models (``GetInferenceProfile``: one
``modelArn`` per destination Region, cris-facts §1.1) and each model's lifecycle
(``ListFoundationModels``: ``modelLifecycle``, with ``legacyTime``, ``publicExtendedAccessTime`` and
``endOfLifeTime``), and writes a **project catalog**: never the package's own data. When the output
file already exists, its routes from Regions not queried are kept.

The printed diff compares the catalog in force (shipped, plus the configuration's project catalog)
with what the account reported from the queried Regions: profiles added or no longer reported,
destinations changed. It belongs in the pull request that commits the file, so a reviewer sees exactly
how the generated IAM will change.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from cris_guard.catalog import Catalog, Lifecycle, Profile, is_profile_id

_MODEL_ARN = re.compile(r"^arn:[a-z-]+:bedrock:(?P<region>[a-z0-9-]+)::foundation-model/(?P<model>.+)$")
_STATUS = {"ACTIVE": "active", "LEGACY": "legacy"}
_RANK = {"active": 0, "legacy": 1, "end-of-life": 2}

ClientFactory = Callable[[str], object]


class RefreshError(RuntimeError):
    """The account returned something the catalog cannot represent; the message says what."""


@dataclass(frozen=True)
class Reported:
    """What one source Region reported for one profile."""

    model_id: str
    destinations: tuple[str, ...]


def _paged(call: Callable[..., dict], key: str, **kwargs) -> list[dict]:
    items: list[dict] = []
    while True:
        page = call(**kwargs)
        items += page.get(key, [])
        if not page.get("nextToken"):
            return items
        kwargs["nextToken"] = page["nextToken"]


def fetch_routes(client, source_region: str) -> dict[str, Reported]:
    """``{profile_id: Reported}`` for every ``eu.`` system profile seen from ``source_region``."""
    summaries = _paged(client.list_inference_profiles, "inferenceProfileSummaries",
                       typeEquals="SYSTEM_DEFINED", maxResults=1000)
    routes: dict[str, Reported] = {}
    for pid in sorted(s["inferenceProfileId"] for s in summaries if s["inferenceProfileId"].startswith("eu.")):
        if not is_profile_id(pid):
            raise RefreshError(f"{source_region}: profile ID {pid!r} does not have the shape cris-guard expects"
                               " ('eu.<provider>.<model>', botocore's InferenceProfileId); report it as a cris-guard bug")
        detail = client.get_inference_profile(inferenceProfileIdentifier=pid)
        regions: set[str] = set()
        models: set[str] = set()
        for model in detail.get("models", []):
            match = _MODEL_ARN.match(model.get("modelArn", ""))
            if not match:
                raise RefreshError(f"{source_region}: {pid}: unexpected model ARN {model.get('modelArn')!r}")
            regions.add(match["region"])
            models.add(match["model"])
        if len(models) != 1:
            raise RefreshError(f"{source_region}: {pid}: expected one foundation model, got {sorted(models)}")
        regions.add(source_region)  # Bedrock always checks the model in the source Region too (cris-facts §2.3)
        routes[pid] = Reported(models.pop(), tuple(sorted(regions)))
    return routes


def _day(value) -> _dt.date | None:
    return value.date() if isinstance(value, _dt.datetime) else value


def fetch_lifecycles(client, source_region: str) -> dict[str, Lifecycle]:
    """``{model_id: Lifecycle}`` from ``ListFoundationModels`` in ``source_region``."""
    response = client.list_foundation_models()
    lifecycles: dict[str, Lifecycle] = {}
    for summary in response.get("modelSummaries", []):
        raw = summary.get("modelLifecycle") or {}
        status = _STATUS.get(raw.get("status", ""), "active")
        end = _day(raw.get("endOfLifeTime"))
        lifecycles[summary["modelId"]] = Lifecycle(
            status=status,
            legacy_date=_day(raw.get("legacyTime")),
            public_extended_access_date=_day(raw.get("publicExtendedAccessTime")),
            end_of_life_date=end,
            source=f"Amazon Bedrock ListFoundationModels in {source_region}",
        )
    return lifecycles


def _worst(a: Lifecycle | None, b: Lifecycle | None) -> Lifecycle | None:
    """Lifecycle can differ per Region (model-lifecycle-legacy.html); keep the most advanced one."""
    if a is None or b is None:
        return a or b
    if _RANK[a.status] != _RANK[b.status]:
        return b if _RANK[b.status] > _RANK[a.status] else a
    # Same status: the earliest published end of life (a missing date is the latest).
    far = _dt.date.max
    return b if (b.end_of_life_date or far) < (a.end_of_life_date or far) else a


def refresh_catalog(
    existing: Catalog | None,
    regions: Iterable[str],
    client_factory: ClientFactory,
    today: _dt.date | None = None,
) -> tuple[Catalog, dict[str, dict[str, Reported]]]:
    """A project catalog with the routes from ``regions`` replaced by what the account reports.

    ``existing`` is the project catalog file being rewritten (routes from other Regions are kept), or
    ``None``. Returns the new catalog and the raw report ``{region: {profile_id: Reported}}``."""
    regions = sorted(set(regions))
    today = today or _dt.date.today()
    reported: dict[str, dict[str, Reported]] = {}
    lifecycles: dict[str, Lifecycle | None] = {}
    for region in regions:
        client = client_factory(region)
        reported[region] = fetch_routes(client, region)
        models = fetch_lifecycles(client, region)
        for pid, seen in reported[region].items():
            lifecycles[pid] = _worst(lifecycles.get(pid), models.get(seen.model_id))
    old = dict(existing.profiles) if existing else {}
    routes: dict[str, dict[str, tuple[str, ...]]] = {
        pid: {src: d for src, d in p.routes.items() if src not in regions} for pid, p in old.items()
    }
    model_ids = {pid: p.model_id for pid, p in old.items()}
    for region, seen in reported.items():
        for pid, r in seen.items():
            if model_ids.setdefault(pid, r.model_id) != r.model_id:
                raise RefreshError(f"{region}: {pid}: model {r.model_id!r} differs from {model_ids[pid]!r}")
            routes.setdefault(pid, {})[region] = r.destinations
    queried = ", ".join(regions)
    profiles: dict[str, Profile] = {}
    for pid, r in sorted(routes.items()):
        if not r:
            continue
        before = old.get(pid)
        fresh = any(pid in reported[region] for region in regions)
        profiles[pid] = Profile(
            profile_id=pid,
            model_id=model_ids[pid],
            routes=dict(sorted(r.items())),
            source=f"Amazon Bedrock GetInferenceProfile in {queried}" if fresh else before.source,
            as_of=today if fresh else before.as_of,
            lifecycle=lifecycles.get(pid) if fresh else before.lifecycle,
            unconfirmed_routes={s: w for s, w in (before.unconfirmed_routes if before else {}).items() if s in r and s not in regions},
            note=before.note if before else "",
            route_origins={},
        )
    catalog = Catalog(
        as_of=today,
        source="",
        method=f"refreshed with ListInferenceProfiles/GetInferenceProfile from {queried} on {today.isoformat()}",
        profiles=profiles,
        layers=("<refresh>",),
        # No API lists guardrail profiles: an existing file's hand-written ones are kept as they are.
        guardrail_profiles=dict(existing.guardrail_profiles) if existing else {},
        not_included=existing.not_included if existing else "",
    )
    return catalog, reported


def diff_against_account(
    in_force: Catalog, reported: Mapping[str, Mapping[str, Reported]], refreshed: Catalog | None = None
) -> list[str]:
    """What the account reported from each queried Region against the catalog in force: lines for the
    pull request. ``+``: new to the catalog in force; ``-``: no longer reported; ``~``: destinations or
    (with ``refreshed``, the catalog :func:`refresh_catalog` built) lifecycle status or end of life changed."""
    lines: list[str] = []
    seen_anywhere = {pid for seen in reported.values() for pid in seen}
    for pid in sorted(seen_anywhere - set(in_force.profiles)):
        sources = [r for r, seen in reported.items() if pid in seen]
        lines.append(f"+ profile {pid} (sources: {', '.join(sources)})")
    for pid in sorted(set(in_force.profiles)):
        profile = in_force.profiles[pid]
        for region, seen in sorted(reported.items()):
            before = set(profile.destinations(region))
            after = set(seen[pid].destinations) if pid in seen else set()
            if before == after:
                continue
            if not before:
                lines.append(f"+ route {pid} from {region} -> {', '.join(sorted(after))}")
            elif not after:
                lines.append(f"- route {pid} from {region}: no longer reported (the catalog in force has ->"
                             f" {', '.join(sorted(before))}; remove the profile from configurations that use it there)")
            else:
                change = [f"+{r}" for r in sorted(after - before)] + [f"-{r}" for r in sorted(before - after)]
                lines.append(f"~ route {pid} from {region}: {' '.join(change)}")
        fresh = refreshed.get(pid) if refreshed is not None else None
        now, was = (fresh.lifecycle if fresh else None), profile.lifecycle
        if now is not None and (was is None or (now.status, now.end_of_life_date) != (was.status, was.end_of_life_date)):
            lines.append(f"~ lifecycle {pid}: {was.describe() if was else 'not recorded'} -> {now.describe()}")
    return lines


def diff_catalogs(old: Catalog, new: Catalog) -> list[str]:
    """Human-readable lines: profiles added/removed, routes added/removed, destinations changed."""
    lines: list[str] = []
    for pid in sorted(set(old.profiles) | set(new.profiles)):
        before, after = old.profiles.get(pid), new.profiles.get(pid)
        if before is None:
            lines.append(f"+ profile {pid} (sources: {', '.join(after.source_regions)})")
            continue
        if after is None:
            lines.append(f"- profile {pid} (was callable from: {', '.join(before.source_regions)})")
            continue
        for src in sorted(set(before.routes) | set(after.routes)):
            b, a = set(before.destinations(src)), set(after.destinations(src))
            if not b:
                lines.append(f"+ route {pid} from {src} -> {', '.join(sorted(a))}")
            elif not a:
                lines.append(f"- route {pid} from {src} (was -> {', '.join(sorted(b))})")
            elif a != b:
                change = [f"+{r}" for r in sorted(a - b)] + [f"-{r}" for r in sorted(b - a)]
                lines.append(f"~ route {pid} from {src}: {' '.join(change)}")
    return lines
