"""The profile catalog in the report: every approved profile's lifecycle, which catalog each of its routes
came from, the page it was read from and its UNCONFIRMED marks."""

from __future__ import annotations

from cris_guard.catalog import SHIPPED, Catalog, lifecycle_of
from cris_guard.config import Config, lifecycle_warnings
from cris_guard.review.model import FAIL, WARN, Section, _cell, _code, _text


def _is_transcribed(catalog: Catalog) -> bool:
    """The shipped catalog as read from AWS's pages, never refreshed from an account (and no project catalog)."""
    method = catalog.method.lower()
    return not catalog.local_layers and ("transcribed" in method or "not yet refreshed" in method)


def catalog_section(config: Config, catalog: Catalog) -> Section:
    """Every approved profile: its lifecycle (dates, not "N days left": the report does not depend on the
    day), which catalog each route came from, the page it was read from, and UNCONFIRMED marks."""
    section = Section("Profile catalog")
    regions = config.all_source_regions
    approved: dict[str, list[str]] = {}
    for app in config.applications:
        for pid in app.profiles:
            approved.setdefault(pid, []).append(app.name)
    section.lines += [
        f"In force: {catalog.describe()}.",
        "",
        "| Profile | Applications | Lifecycle | Catalog (per source Region) | Source, read on | UNCONFIRMED |",
        "|---|---|---|---|---|---|",
    ]
    for pid in sorted(approved):
        profile = catalog.get(pid)
        if profile is None:
            section.lines.append(f"| {_code(pid)} | {_cell(', '.join(approved[pid]))} | {FAIL} not in the catalog | | | |")
            section.check(False, pid, "approved but not in the catalog in force")
            continue
        life = lifecycle_of(profile)
        mark = f"{WARN} " if life.is_legacy else ""
        recorded = "" if profile.lifecycle else " (not recorded)"
        origins: dict[str, list[str]] = {}
        for region in regions:
            if profile.destinations(region):
                origins.setdefault(profile.origin(region), []).append(region)
        where = "; ".join(f"{'shipped' if o == SHIPPED else _code(o)}: {', '.join(rs)}" for o, rs in sorted(origins.items()))
        doubts = [f"{r}: {profile.route_unconfirmed(r)}" for r in regions if profile.route_unconfirmed(r)]
        if life.unconfirmed:
            doubts.append(f"lifecycle: {life.unconfirmed}")
        section.lines.append(
            f"| {_code(pid)} | {_cell(', '.join(approved[pid]))} | {mark}{_cell(life.describe().removesuffix(' UNCONFIRMED'))}{recorded}"
            f" | {where or '-'} | {_cell(profile.source)}, {profile.as_of} | {_cell('; '.join(doubts)) or '-'} |"
        )
    warnings = lifecycle_warnings(config, catalog)
    if warnings:
        section.lines += ["", *(f"- {WARN} {_text(w)}" for w in warnings)]
    return section
