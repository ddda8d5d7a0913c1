"""Rebuild the profile catalog from a real account and show what moved.

``python -m cris_guard.catalog refresh --region eu-central-1 [--region ...]`` lists the system-defined
``eu.`` inference profiles visible from each source Region (``ListInferenceProfiles``), reads each
one's models (``GetInferenceProfile``: one ``modelArn`` per destination Region, cris-facts §1.1), and
replaces the routes *from those source Regions* in the catalog. Routes from Regions not refreshed are
kept. The printed diff (profiles added or removed, destinations changed) belongs in the pull request
that commits the new catalog, so a reviewer sees exactly how the generated IAM will change.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable, Iterable
from dataclasses import replace

from cris_guard.catalog import Catalog, Profile

_MODEL_ARN = re.compile(r"^arn:[a-z-]+:bedrock:(?P<region>[a-z0-9-]+)::foundation-model/(?P<model>.+)$")

ClientFactory = Callable[[str], object]


class RefreshError(RuntimeError):
    """The account returned something the catalog cannot represent; the message says what."""


def fetch_routes(client, source_region: str) -> dict[str, tuple[str, tuple[str, ...]]]:
    """``{profile_id: (model_id, destinations)}`` for every ``eu.`` system profile seen from ``source_region``."""
    ids: list[str] = []
    kwargs: dict = {"typeEquals": "SYSTEM_DEFINED", "maxResults": 1000}
    while True:
        page = client.list_inference_profiles(**kwargs)
        ids += [s["inferenceProfileId"] for s in page.get("inferenceProfileSummaries", [])]
        if not page.get("nextToken"):
            break
        kwargs["nextToken"] = page["nextToken"]
    routes: dict[str, tuple[str, tuple[str, ...]]] = {}
    for pid in sorted(i for i in ids if i.startswith("eu.")):
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
        routes[pid] = (models.pop(), tuple(sorted(regions)))
    return routes


def refresh_catalog(
    old: Catalog,
    regions: Iterable[str],
    client_factory: ClientFactory,
    today: _dt.date | None = None,
) -> Catalog:
    """A new catalog with the routes from ``regions`` replaced by what the account reports."""
    regions = sorted(set(regions))
    routes: dict[str, dict[str, tuple[str, ...]]] = {
        pid: {src: d for src, d in p.routes.items() if src not in regions} for pid, p in old.profiles.items()
    }
    models = {pid: p.model_id for pid, p in old.profiles.items()}
    for region in regions:
        for pid, (model_id, dests) in fetch_routes(client_factory(region), region).items():
            if models.setdefault(pid, model_id) != model_id:
                raise RefreshError(f"{region}: {pid}: model {model_id!r} differs from {models[pid]!r}")
            routes.setdefault(pid, {})[region] = dests
    profiles = {
        pid: Profile(profile_id=pid, model_id=models[pid], routes=dict(sorted(r.items())))
        for pid, r in sorted(routes.items())
        if r
    }
    today = today or _dt.date.today()
    return replace(
        old,
        as_of=today,
        method=f"refreshed with GetInferenceProfile from {', '.join(regions)} on {today.isoformat()}",
        profiles=profiles,
    )


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
