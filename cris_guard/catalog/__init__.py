"""The inference-profile catalog: which EU system-defined profiles exist, where each routes, and
where each model stands in its lifecycle.

Routing is data, not code. Destination sets differ per profile *and* per source Region
(cris-facts §1.1, §1.3), so nothing here derives them from the ``eu.`` prefix.

Two catalogs can be in force:

* the **shipped** one, ``data/eu_inference_profiles.json``, maintained with cris-guard from AWS's own
  pages (each profile names the URL it was read from and the date);
* a **project** catalog that a configuration names (``catalog: my-catalog.json``, relative to the
  configuration file), written by ``cris-guard catalog refresh --output`` from what an
  account reports, or by hand for a profile launched today. It layers over the shipped one
  (:func:`layer`): its profiles are added and, for a profile both have, its route from each source
  Region it lists wins. Every route remembers which catalog it came from.

A profile or route known only from a second-hand source carries an ``unconfirmed`` reason; the summary,
``catalog list`` and the review report show it as UNCONFIRMED.

Loading checks the data (profile-ID shape, real Region codes, the source Region among its own
destinations, consistent model IDs, dates that are dates) so that a bad edit fails, in one line naming
the file, the profile and the field, before any IAM is generated from it.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from cris_guard.regions import is_region_code

DEFAULT_CATALOG_PATH = Path(__file__).parent / "data" / "eu_inference_profiles.json"
SHIPPED = "shipped"  # the label of routes that come from DEFAULT_CATALOG_PATH

# botocore's InferenceProfileId shape (bedrock 2023-04-20 service-2.json): pattern [a-zA-Z0-9-:.]+,
# at most 64 characters. AWS's IDs do not all end in ':0' (eu.anthropic.claude-sonnet-4-6,
# eu.anthropic.claude-opus-4-6-v1), so nothing here assumes a version suffix. The 'eu.<provider>.'
# prefix is cris-guard's own rule: this catalog holds EU geographic profiles only.
PROFILE_ID_MAX_LENGTH = 64
_PROFILE_ID = re.compile(r"^eu\.[a-z0-9-]+\.[a-zA-Z0-9\-:.]+$")

LIFECYCLE_STATUSES = ("active", "legacy", "end-of-life")
_LIFECYCLE_DATES = ("legacy_date", "public_extended_access_date", "end_of_life_date")
_PROFILE_KEYS = {"model_id", "source", "as_of", "routes", "lifecycle", "unconfirmed", "unconfirmed_routes", "note"}
_LIFECYCLE_KEYS = {"status", *_LIFECYCLE_DATES, "replacement", "source", "unconfirmed"}
_TOP_KEYS = {"as_of", "source", "method", "not_included", "profiles", "guardrail_profiles", "description"}
_GUARDRAIL_PROFILE_KEYS = {"source", "as_of", "routes", "unconfirmed", "unconfirmed_routes", "note"}
# botocore's GuardrailCrossRegionGuardrailProfileId (bedrock 2023-04-20): [a-z0-9-]+[.]guardrail[.]v[0-9:]+,
# 15-30 characters. The catalog holds the EU one only ('eu.guardrail.v1:0', Bedrock User Guide,
# guardrails-cross-region-support.html); a project catalog may add later versions.
_GUARDRAIL_PROFILE_ID = re.compile(r"^eu\.guardrail\.v[0-9:]+$")


class CatalogError(ValueError):
    """A catalog file is missing or malformed; the message names the file, the profile, the field and the bad value."""


def is_profile_id(value: str) -> bool:
    """An EU system profile ID in botocore's InferenceProfileId shape (see ``_PROFILE_ID``)."""
    return len(value) <= PROFILE_ID_MAX_LENGTH and bool(_PROFILE_ID.match(value))


@dataclass(frozen=True)
class Lifecycle:
    """A model's lifecycle as AWS publishes it (Bedrock User Guide, model-lifecycle.html): Active, then
    Legacy (still callable, with an announced end-of-life date), then end-of-life (calls fail)."""

    status: str = "active"
    legacy_date: _dt.date | None = None
    public_extended_access_date: _dt.date | None = None
    end_of_life_date: _dt.date | None = None
    replacement: str | None = None
    source: str = ""
    unconfirmed: str = ""

    def is_past_end_of_life(self, today: _dt.date) -> bool:
        """Past end-of-life on ``today``: the data says so, or the published date has come."""
        return self.status == "end-of-life" or (self.end_of_life_date is not None and self.end_of_life_date <= today)

    @property
    def is_legacy(self) -> bool:
        """Legacy by the data. Deliberately not judged from today's date, so that the review report,
        which shows this, stays the same for the same templates and catalog (only end-of-life, which
        refuses synthesis, is judged against the day)."""
        return self.status == "legacy"

    def describe(self) -> str:
        """``legacy (legacy since 2026-10-08, end of life 2027-04-08)``; dates, never "N days left"."""
        parts = []
        if self.legacy_date:
            parts.append(f"legacy since {self.legacy_date}")
        if self.public_extended_access_date:
            parts.append(f"extended access from {self.public_extended_access_date}")
        if self.end_of_life_date:
            parts.append(f"end of life {self.end_of_life_date}")
        if self.replacement:
            parts.append(f"replacement {self.replacement}")
        text = self.status + (f" ({', '.join(parts)})" if parts else "")
        return text + (" UNCONFIRMED" if self.unconfirmed else "")

    def to_document(self) -> dict:
        doc: dict = {"status": self.status}
        for key in _LIFECYCLE_DATES:
            value = getattr(self, key)
            if value is not None:
                doc[key] = value.isoformat()
        if self.replacement:
            doc["replacement"] = self.replacement
        if self.source:
            doc["source"] = self.source
        if self.unconfirmed:
            doc["unconfirmed"] = self.unconfirmed
        return doc


class _Routed:
    """What a profile and a guardrail profile share: routes per source Region, their provenance, and the
    catalog each route came from. Subclasses are frozen dataclasses with the attributes used here."""

    routes: Mapping[str, tuple[str, ...]]
    source: str
    as_of: _dt.date | None
    unconfirmed: str
    unconfirmed_routes: Mapping[str, str]
    note: str
    route_origins: Mapping[str, str]

    @property
    def source_regions(self) -> tuple[str, ...]:
        return tuple(sorted(self.routes))

    def destinations(self, source_region: str) -> tuple[str, ...]:
        """Destination Regions when called from ``source_region``; empty when there is no route."""
        return self.routes.get(source_region, ())

    def route_unconfirmed(self, source_region: str) -> str:
        """Why the route from ``source_region`` is UNCONFIRMED, or ``""`` when it is first-hand."""
        return self.unconfirmed_routes.get(source_region, "")

    def origin(self, source_region: str) -> str:
        """The catalog the route from ``source_region`` came from (``shipped`` or a file path)."""
        return self.route_origins.get(source_region, SHIPPED)

    def _document(self, head: dict, middle: dict) -> dict:
        """``head``, provenance, ``middle``, routes: the stored key order (reviewable diffs)."""
        doc: dict = {**head, "source": self.source, "as_of": self.as_of.isoformat() if self.as_of else ""}
        if self.unconfirmed:
            doc["unconfirmed"] = self.unconfirmed
        if self.note:
            doc["note"] = self.note
        doc.update(middle)
        doc["routes"] = {src: list(self.routes[src]) for src in sorted(self.routes)}
        own = {src: why for src, why in sorted(self.unconfirmed_routes.items()) if why != self.unconfirmed}
        if own:
            doc["unconfirmed_routes"] = own
        return doc

    def layered_over(self, theirs: _Routed | None, label: str, **keep):
        """This entry of a project catalog (``label``) over the same entry of the base catalog: its route
        from each source Region it lists wins, the base's other routes (with their origins and
        UNCONFIRMED marks) stay. ``keep`` names fields to take from ``theirs`` instead."""
        if theirs is None:
            return self
        kept = {src: d for src, d in theirs.routes.items() if src not in self.routes}
        return replace(
            self,  # type: ignore[type-var]
            routes=dict(sorted({**kept, **self.routes}.items())),
            unconfirmed_routes={**{s: w for s, w in theirs.unconfirmed_routes.items() if s in kept},
                                **self.unconfirmed_routes},
            route_origins={**{s: theirs.origin(s) for s in kept}, **{s: label for s in self.routes}},
            **keep,
        )


@dataclass(frozen=True)
class Profile(_Routed):
    """One system-defined inference profile: its routes (source Region -> destination Regions), where
    the data came from, and its model's lifecycle."""

    profile_id: str
    model_id: str
    routes: Mapping[str, tuple[str, ...]]
    source: str = ""
    as_of: _dt.date | None = None
    lifecycle: Lifecycle | None = None  # None: not recorded (a hand-written or refreshed entry may omit it)
    unconfirmed: str = ""  # the whole entry is second-hand: why
    unconfirmed_routes: Mapping[str, str] = field(default_factory=dict)  # source Region -> why
    note: str = ""
    # Which catalog each route came from (SHIPPED or a project catalog's path); filled in by the loader.
    route_origins: Mapping[str, str] = field(default_factory=dict, compare=False)

    def to_document(self) -> dict:
        middle = {"lifecycle": self.lifecycle.to_document()} if self.lifecycle is not None else {}
        return self._document({"model_id": self.model_id}, middle)


def is_guardrail_profile_id(value: str) -> bool:
    """An EU guardrail profile ID in botocore's GuardrailCrossRegionGuardrailProfileId shape."""
    return 15 <= len(value) <= 30 and bool(_GUARDRAIL_PROFILE_ID.match(value))


@dataclass(frozen=True)
class GuardrailProfile(_Routed):
    """A cross-Region guardrail profile (``eu.guardrail.v1:0``): a guardrail that uses it is evaluated in
    any of its destination Regions, and a caller needs ``bedrock:ApplyGuardrail`` on the profile in each
    (Bedrock User Guide, guardrail-profiles-permissions.html). No API lists these profiles (botocore has
    no ListGuardrailProfiles), so ``refresh`` cannot read them: they come from AWS's page or by hand."""

    profile_id: str
    routes: Mapping[str, tuple[str, ...]]
    source: str = ""
    as_of: _dt.date | None = None
    unconfirmed: str = ""
    unconfirmed_routes: Mapping[str, str] = field(default_factory=dict)
    note: str = ""
    route_origins: Mapping[str, str] = field(default_factory=dict, compare=False)

    def to_document(self) -> dict:
        return self._document({}, {})


@dataclass(frozen=True)
class Catalog:
    as_of: _dt.date | None
    source: str
    method: str
    profiles: Mapping[str, Profile]
    not_included: str = ""
    origin: str = field(default="", compare=False)
    # The catalogs layered into this one, first the base: ("shipped",) or ("shipped", "path/to/local.json").
    layers: tuple[str, ...] = field(default=(SHIPPED,), compare=False)
    guardrail_profiles: Mapping[str, GuardrailProfile] = field(default_factory=dict)

    def get(self, profile_id: str) -> Profile | None:
        return self.profiles.get(profile_id)

    def guardrail_profile(self, profile_id: str) -> GuardrailProfile | None:
        return self.guardrail_profiles.get(profile_id)

    def destinations(self, profile_id: str, source_region: str) -> tuple[str, ...]:
        profile = self.profiles.get(profile_id)
        return profile.destinations(source_region) if profile else ()

    def approvable(self, today: _dt.date | None = None) -> list[str]:
        """Profile IDs a configuration may approve on ``today`` (default: today): not past end of life."""
        today = today or _dt.date.today()
        return [pid for pid, p in self.profiles.items() if not lifecycle_of(p).is_past_end_of_life(today)]

    @property
    def local_layers(self) -> tuple[str, ...]:
        """The project catalogs layered over the shipped one (empty for the shipped catalog alone)."""
        return self.layers[1:]

    def describe(self) -> str:
        """One line for the summary and the review report header: what is in force."""
        text = f"{len(self.profiles)} EU profiles: shipped catalog as of {self.as_of} ({self.source})"
        for path in self.local_layers:
            count = sum(1 for p in self.profiles.values() if path in p.route_origins.values())
            text += f" + project catalog {path} ({count} profile{'s' if count != 1 else ''})"
        return text

    def to_document(self) -> dict:
        """The JSON document this catalog is stored as (stable key order, for reviewable diffs)."""
        doc: dict = {}
        if self.as_of is not None:
            doc["as_of"] = self.as_of.isoformat()
        if self.source:
            doc["source"] = self.source
        if self.method:
            doc["method"] = self.method
        if self.not_included:
            doc["not_included"] = self.not_included
        doc["profiles"] = {pid: p.to_document() for pid, p in sorted(self.profiles.items())}
        if self.guardrail_profiles:
            doc["guardrail_profiles"] = {gid: g.to_document() for gid, g in sorted(self.guardrail_profiles.items())}
        return doc


def _date(value: object, where: str) -> _dt.date:
    try:
        return _dt.date.fromisoformat(str(value))
    except ValueError:
        raise CatalogError(f"{where}: {value!r} is not a date; use YYYY-MM-DD") from None


def _text(raw: Mapping, key: str, where: str, *, required: bool) -> str:
    value = raw.get(key)
    if value is None:
        if required:
            raise CatalogError(f"{where}: missing '{key}'; {_NEEDS[key]}")
        return ""
    if not isinstance(value, str) or not value.strip():
        raise CatalogError(f"{where}.{key}: {value!r} must be non-empty text; {_NEEDS.get(key, 'give a value')}")
    return value.strip()


_NEEDS = {
    "source": "every entry names where its routes came from (an AWS documentation URL, or the account and"
              " Region a refresh read them in)",
    "as_of": "every entry needs the date (YYYY-MM-DD) its source was read",
    "model_id": "give the foundation model ID, the profile ID without its 'eu.' prefix",
}


def parse_catalog(doc: object, origin: str = "<catalog>", *, label: str = SHIPPED) -> Catalog:
    """Validate a catalog document and build a :class:`Catalog`; raise :class:`CatalogError`.

    ``label`` is recorded as the origin of every route (:data:`SHIPPED` or the project catalog's path).
    """
    if not isinstance(doc, dict):
        raise CatalogError(f"{origin}: a catalog must be a JSON object with a 'profiles' object keyed by profile ID"
                           " (see 'The profile catalog' in README.md)")
    unknown = sorted(set(doc) - _TOP_KEYS)
    if unknown:
        raise CatalogError(f"{origin}: unknown key {unknown[0]!r}; the keys are {sorted(_TOP_KEYS)}")
    if "profiles" not in doc:
        raise CatalogError(f"{origin}: missing key 'profiles' (an object keyed by profile ID)")
    as_of = _date(doc["as_of"], f"{origin}: as_of") if "as_of" in doc else None
    source = str(doc.get("source", ""))
    if source and not source.startswith("https://"):
        raise CatalogError(f"{origin}: source {source!r} must be an https:// URL")
    raw_profiles = doc["profiles"]
    if not isinstance(raw_profiles, dict) or (not raw_profiles and not doc.get("guardrail_profiles")):
        raise CatalogError(f"{origin}: 'profiles' must be a non-empty object keyed by profile ID")
    profiles = {pid: _parse_profile(pid, raw, origin, label) for pid, raw in raw_profiles.items()}
    raw_guardrails = doc.get("guardrail_profiles", {})
    if not isinstance(raw_guardrails, dict):
        raise CatalogError(f"{origin}: 'guardrail_profiles' must be an object keyed by guardrail profile ID")
    guardrail_profiles = {gid: _parse_guardrail_profile(gid, raw, origin, label) for gid, raw in raw_guardrails.items()}
    return Catalog(
        as_of=as_of,
        source=source,
        method=str(doc.get("method", "")),
        profiles=profiles,
        not_included=str(doc.get("not_included", "")),
        origin=origin,
        layers=(label,),
        guardrail_profiles=guardrail_profiles,
    )


def _provenance(raw: Mapping, where: str, routes: Mapping[str, tuple[str, ...]]) -> tuple[str, _dt.date, str, dict[str, str]]:
    """``source``, ``as_of``, ``unconfirmed`` and the per-route UNCONFIRMED reasons of an entry."""
    source = _text(raw, "source", where, required=True)
    if "as_of" not in raw:
        raise CatalogError(f"{where}: missing 'as_of'; {_NEEDS['as_of']}")
    as_of = _date(raw["as_of"], f"{where}.as_of")
    unconfirmed = _text(raw, "unconfirmed", where, required=False)
    own = raw.get("unconfirmed_routes", {})
    if not isinstance(own, dict) or not all(isinstance(v, str) and v.strip() for v in own.values()):
        raise CatalogError(f"{where}.unconfirmed_routes: must map source Regions to the reason each route is UNCONFIRMED")
    for src in own:
        if src not in routes:
            raise CatalogError(f"{where}.unconfirmed_routes: {src!r} is not one of its routes' sources {sorted(routes)}")
    return source, as_of, unconfirmed, {src: own.get(src) or unconfirmed for src in routes if own.get(src) or unconfirmed}


def _parse_guardrail_profile(gid: str, raw: object, origin: str, label: str) -> GuardrailProfile:
    where = f"{origin}: guardrail_profiles.{gid}"
    if not isinstance(gid, str) or not is_guardrail_profile_id(gid):
        raise CatalogError(f"{where}: {gid!r} is not an EU guardrail profile ID; expected 'eu.guardrail.v<version>'"
                           " such as eu.guardrail.v1:0 (botocore's GuardrailCrossRegionGuardrailProfileId)")
    if not isinstance(raw, dict):
        raise CatalogError(f"{where}: must be an object with 'source', 'as_of' and 'routes'")
    unknown = sorted(set(raw) - _GUARDRAIL_PROFILE_KEYS)
    if unknown:
        raise CatalogError(f"{where}: unknown key {unknown[0]!r}; the keys are {sorted(_GUARDRAIL_PROFILE_KEYS)}")
    routes = _parse_routes(raw.get("routes"), f"{where}.routes")
    source, as_of, unconfirmed, unconfirmed_routes = _provenance(raw, where, routes)
    return GuardrailProfile(
        profile_id=gid, routes=routes, source=source, as_of=as_of, unconfirmed=unconfirmed,
        unconfirmed_routes=unconfirmed_routes, note=str(raw.get("note", "")),
        route_origins={src: label for src in routes},
    )


def _parse_profile(pid: str, raw: object, origin: str, label: str) -> Profile:
    where = f"{origin}: profiles.{pid}"
    if not is_profile_id(pid):
        raise CatalogError(
            f"{where}: {pid!r} is not an EU system profile ID; expected 'eu.<provider>.<model>' of letters, digits,"
            f" '-', ':' and '.', at most {PROFILE_ID_MAX_LENGTH} characters (botocore's InferenceProfileId)"
        )
    if not isinstance(raw, dict):
        raise CatalogError(f"{where}: must be an object with 'model_id', 'source', 'as_of' and 'routes'")
    unknown = sorted(set(raw) - _PROFILE_KEYS)
    if unknown:
        raise CatalogError(f"{where}: unknown key {unknown[0]!r}; the keys are {sorted(_PROFILE_KEYS)}")
    model_id = _text(raw, "model_id", where, required=True)
    if model_id != pid[len("eu.") :]:
        raise CatalogError(f"{where}.model_id: {model_id!r} does not match the profile ID; expected {pid[3:]!r}")
    routes = _parse_routes(raw.get("routes"), f"{where}.routes")
    source, as_of, unconfirmed, unconfirmed_routes = _provenance(raw, where, routes)
    lifecycle = _parse_lifecycle(raw["lifecycle"], f"{where}.lifecycle") if "lifecycle" in raw else None
    return Profile(
        profile_id=pid, model_id=model_id, routes=routes, source=source, as_of=as_of, lifecycle=lifecycle,
        unconfirmed=unconfirmed, unconfirmed_routes=unconfirmed_routes, note=str(raw.get("note", "")),
        route_origins={src: label for src in routes},
    )


def _parse_routes(raw: object, where: str) -> dict[str, tuple[str, ...]]:
    if not isinstance(raw, dict) or not raw:
        raise CatalogError(f"{where}: must map at least one source Region to its destination Regions")
    routes: dict[str, tuple[str, ...]] = {}
    for source, dests in raw.items():
        if not is_region_code(source):
            raise CatalogError(f"{where}: {source!r} is not a known Region code")
        if not isinstance(dests, list) or not dests:
            raise CatalogError(f"{where}.{source}: must be a non-empty list of Region codes")
        for dest in dests:
            if not isinstance(dest, str) or not is_region_code(dest):
                raise CatalogError(f"{where}.{source}: {dest!r} is not a known Region code")
        if len(set(dests)) != len(dests):
            raise CatalogError(f"{where}.{source}: lists a destination twice: {dests}")
        # Bedrock always authorizes the model in the source Region too (cris-facts §2.3); a route
        # without it means the data was mistyped.
        if source not in dests:
            raise CatalogError(f"{where}.{source}: the source Region must be among its destinations")
        routes[source] = tuple(sorted(dests))
    return dict(sorted(routes.items()))


def _parse_lifecycle(raw: object, where: str) -> Lifecycle:
    if not isinstance(raw, dict):
        raise CatalogError(f"{where}: must be an object with 'status' ({', '.join(LIFECYCLE_STATUSES)}) and dates")
    unknown = sorted(set(raw) - _LIFECYCLE_KEYS)
    if unknown:
        raise CatalogError(f"{where}: unknown key {unknown[0]!r}; the keys are {sorted(_LIFECYCLE_KEYS)}")
    status = raw.get("status")
    if status not in LIFECYCLE_STATUSES:
        raise CatalogError(f"{where}.status: {status!r} is not one of {list(LIFECYCLE_STATUSES)}")
    dates = {key: _date(raw[key], f"{where}.{key}") for key in _LIFECYCLE_DATES if raw.get(key) is not None}
    ordered = [dates[k] for k in _LIFECYCLE_DATES if k in dates]
    if ordered != sorted(ordered):
        raise CatalogError(f"{where}: dates out of order {[str(d) for d in ordered]}; legacy, then extended access,"
                           " then end of life")
    if status == "end-of-life" and "end_of_life_date" not in dates:
        raise CatalogError(f"{where}: status 'end-of-life' needs the end_of_life_date AWS published")
    replacement = raw.get("replacement")
    if replacement is not None and not (isinstance(replacement, str) and replacement.strip()):
        raise CatalogError(f"{where}.replacement: {replacement!r} must be a profile or model ID")
    return Lifecycle(
        status=status, replacement=replacement, source=str(raw.get("source", "")),
        unconfirmed=str(raw.get("unconfirmed", "")), **dates,
    )


def layer(base: Catalog, local: Catalog) -> Catalog:
    """``local`` over ``base``: its profiles are added; for a profile both have, its route from each
    source Region it lists wins (routes from other sources stay), and so do its provenance, UNCONFIRMED
    marks and (when it records one) lifecycle."""
    label = local.layers[-1]
    profiles = dict(base.profiles)
    for pid, mine in local.profiles.items():
        theirs = base.profiles.get(pid)
        life = {} if theirs is None or mine.lifecycle is not None else {"lifecycle": theirs.lifecycle}
        profiles[pid] = mine.layered_over(theirs, label, **life)
    guardrails = dict(base.guardrail_profiles)
    for gid, mine in local.guardrail_profiles.items():
        guardrails[gid] = mine.layered_over(base.guardrail_profiles.get(gid), label)
    return replace(base, profiles=dict(sorted(profiles.items())), layers=(*base.layers, label),
                   guardrail_profiles=dict(sorted(guardrails.items())))


def _read_document(file: Path) -> object:
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CatalogError(f"{file}: catalog file not found") from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as exc:
        raise CatalogError(f"{file}: cannot read the catalog file ({exc.__class__.__name__})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CatalogError(f"{file}:{exc.lineno}: not valid JSON ({exc.msg})") from None


def load_catalog(path: Path | str | None = None, *, label: str | None = None) -> Catalog:
    """Load and check a catalog file (default: the one shipped with cris-guard)."""
    file = Path(path) if path else DEFAULT_CATALOG_PATH
    return parse_catalog(_read_document(file), origin=str(file), label=label or (SHIPPED if not path else str(file)))


def load_project_catalog(path: Path | str, base: Catalog | None = None, *, label: str | None = None) -> Catalog:
    """A project catalog file layered over ``base`` (default: the shipped catalog)."""
    local = load_catalog(path, label=label or str(path))
    return layer(base or load_catalog(), local)


def write_catalog(catalog: Catalog, path: Path | str) -> None:
    Path(path).write_text(json.dumps(catalog.to_document(), indent=2) + "\n", encoding="utf-8")


def lifecycle_of(profile: Profile) -> Lifecycle:
    """The profile's lifecycle, ``active`` when the catalog records none."""
    return profile.lifecycle or Lifecycle()


def unconfirmed_approved(catalog: Catalog, profile_ids: Iterable[str], regions: Iterable[str]) -> list[str]:
    """``'<pid> from <region>: <why>'`` for each approved route that is UNCONFIRMED."""
    lines = []
    for region in regions:
        for pid in profile_ids:
            profile = catalog.get(pid)
            why = profile.route_unconfirmed(region) if profile else ""
            if why:
                lines.append(f"{pid} from {region}: {why}")
    return lines


__all__ = [
    "DEFAULT_CATALOG_PATH",
    "LIFECYCLE_STATUSES",
    "SHIPPED",
    "Catalog",
    "CatalogError",
    "GuardrailProfile",
    "is_guardrail_profile_id",
    "Lifecycle",
    "Profile",
    "is_profile_id",
    "layer",
    "lifecycle_of",
    "load_catalog",
    "load_project_catalog",
    "parse_catalog",
    "unconfirmed_approved",
    "write_catalog",
]
