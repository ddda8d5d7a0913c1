"""The inference-profile catalog: which EU system-defined profiles exist and where each routes.

Routing is data, not code. Destination sets differ per profile *and* per source Region
(cris-facts §1.1, §1.3), so nothing here derives them from the ``eu.`` prefix. The data lives in
``data/eu_inference_profiles.json`` with an ``as_of`` date and a source URL, and is rebuilt from a real
account with ``python -m cris_guard.catalog refresh`` (see :mod:`cris_guard.catalog.refresh`).

Loading checks the data (real Region codes, the source Region among its own destinations, consistent
model IDs) so that a bad edit fails before any IAM is generated from it.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cris_guard.regions import is_region_code

DEFAULT_CATALOG_PATH = Path(__file__).parent / "data" / "eu_inference_profiles.json"

_PROFILE_ID = re.compile(r"^eu\.[a-z0-9-]+\.[A-Za-z0-9.:_-]+$")


class CatalogError(ValueError):
    """The catalog file is malformed; the message names the profile, the field and the bad value."""


@dataclass(frozen=True)
class Profile:
    """One system-defined inference profile and its routes (source Region -> destination Regions)."""

    profile_id: str
    model_id: str
    routes: Mapping[str, tuple[str, ...]]

    @property
    def source_regions(self) -> tuple[str, ...]:
        return tuple(sorted(self.routes))

    def destinations(self, source_region: str) -> tuple[str, ...]:
        """Destination Regions when called from ``source_region``; empty when there is no route."""
        return self.routes.get(source_region, ())


@dataclass(frozen=True)
class Catalog:
    as_of: _dt.date
    source: str
    method: str
    profiles: Mapping[str, Profile]
    not_included: str = ""
    origin: str = field(default="", compare=False)

    def get(self, profile_id: str) -> Profile | None:
        return self.profiles.get(profile_id)

    def destinations(self, profile_id: str, source_region: str) -> tuple[str, ...]:
        profile = self.profiles.get(profile_id)
        return profile.destinations(source_region) if profile else ()

    def to_document(self) -> dict:
        """The JSON document this catalog is stored as (stable key order, for reviewable diffs)."""
        doc: dict = {
            "as_of": self.as_of.isoformat(),
            "source": self.source,
            "method": self.method,
        }
        if self.not_included:
            doc["not_included"] = self.not_included
        doc["profiles"] = {
            pid: {
                "model_id": p.model_id,
                "routes": {src: list(p.routes[src]) for src in sorted(p.routes)},
            }
            for pid, p in sorted(self.profiles.items())
        }
        return doc


def parse_catalog(doc: object, origin: str = "<catalog>") -> Catalog:
    """Validate a catalog document and build a :class:`Catalog`; raise :class:`CatalogError`."""
    if not isinstance(doc, dict):
        raise CatalogError(f"{origin}: the catalog must be a JSON object with 'as_of', 'source' and 'profiles'")
    for key in ("as_of", "source", "method", "profiles"):
        if key not in doc:
            raise CatalogError(f"{origin}: missing key '{key}'")
    try:
        as_of = _dt.date.fromisoformat(str(doc["as_of"]))
    except ValueError:
        raise CatalogError(f"{origin}: as_of {doc['as_of']!r} is not a date; use YYYY-MM-DD") from None
    if not str(doc["source"]).startswith("https://"):
        raise CatalogError(f"{origin}: source {doc['source']!r} must be an https:// URL")
    raw_profiles = doc["profiles"]
    if not isinstance(raw_profiles, dict) or not raw_profiles:
        raise CatalogError(f"{origin}: 'profiles' must be a non-empty object keyed by profile ID")
    profiles = {pid: _parse_profile(pid, raw, origin) for pid, raw in raw_profiles.items()}
    return Catalog(
        as_of=as_of,
        source=str(doc["source"]),
        method=str(doc["method"]),
        profiles=profiles,
        not_included=str(doc.get("not_included", "")),
        origin=origin,
    )


def _parse_profile(pid: str, raw: object, origin: str) -> Profile:
    where = f"{origin}: profiles.{pid}"
    if not _PROFILE_ID.match(pid):
        raise CatalogError(f"{where}: {pid!r} is not an EU system profile ID (expected 'eu.<provider>.<model>')")
    if not isinstance(raw, dict) or set(raw) != {"model_id", "routes"}:
        raise CatalogError(f"{where}: expected exactly the keys 'model_id' and 'routes'")
    model_id = raw["model_id"]
    if model_id != pid[len("eu.") :]:
        raise CatalogError(f"{where}.model_id: {model_id!r} does not match the profile ID; expected {pid[3:]!r}")
    routes_raw = raw["routes"]
    if not isinstance(routes_raw, dict) or not routes_raw:
        raise CatalogError(f"{where}.routes: must map at least one source Region to its destination Regions")
    routes: dict[str, tuple[str, ...]] = {}
    for source, dests in routes_raw.items():
        if not is_region_code(source):
            raise CatalogError(f"{where}.routes: {source!r} is not a known Region code")
        if not isinstance(dests, list) or not dests:
            raise CatalogError(f"{where}.routes.{source}: must be a non-empty list of Region codes")
        for dest in dests:
            if not is_region_code(dest):
                raise CatalogError(f"{where}.routes.{source}: {dest!r} is not a known Region code")
        if len(set(dests)) != len(dests):
            raise CatalogError(f"{where}.routes.{source}: lists a destination twice: {dests}")
        # Bedrock always authorizes the model in the source Region too (cris-facts §2.3); a route
        # without it means the data was mistyped.
        if source not in dests:
            raise CatalogError(f"{where}.routes.{source}: the source Region must be among its destinations")
        routes[source] = tuple(sorted(dests))
    return Profile(profile_id=pid, model_id=model_id, routes=routes)


def load_catalog(path: Path | str | None = None) -> Catalog:
    """Load and check the catalog file (default: the one shipped with cris-guard)."""
    file = Path(path) if path else DEFAULT_CATALOG_PATH
    try:
        doc = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CatalogError(f"{file}: catalog file not found") from None
    except json.JSONDecodeError as exc:
        raise CatalogError(f"{file}:{exc.lineno}: not valid JSON ({exc.msg})") from None
    return parse_catalog(doc, origin=str(file))


def write_catalog(catalog: Catalog, path: Path | str) -> None:
    Path(path).write_text(json.dumps(catalog.to_document(), indent=2) + "\n", encoding="utf-8")


__all__ = [
    "DEFAULT_CATALOG_PATH",
    "Catalog",
    "CatalogError",
    "Profile",
    "load_catalog",
    "parse_catalog",
    "write_catalog",
]
