"""``cris-guard catalog list|refresh``: show the catalog in force, or write a project catalog
from what an account reports.

Exit status: 0 all good; 1 a check failed (``refresh --dry-run`` found differences, or the AWS API
refused); 2 bad input (a missing or malformed catalog or configuration), always one line.
"""

from __future__ import annotations

import datetime as _dt
import sys
from dataclasses import dataclass
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError

from cris_guard.catalog import (
    DEFAULT_CATALOG_PATH,
    SHIPPED,
    Catalog,
    CatalogError,
    layer,
    lifecycle_of,
    load_catalog,
    write_catalog,
)
from cris_guard.catalog.refresh import RefreshError, diff_against_account, refresh_catalog
from cris_guard.regions import EU_MEMBER_STATE_REGIONS, is_region_code


class _BadInput(Exception):
    pass


@dataclass(frozen=True)
class CatalogOptions:
    """What ``cris-guard catalog list|refresh`` was given (cris_guard.cli parses it)."""

    catalog: str | None = None  # base catalog file (default: the shipped one)
    config: str | None = None  # configuration whose project catalog is layered over the base
    region: tuple[str, ...] = ()
    output: str | None = None
    profile: str | None = None
    dry_run: bool = False


def _in_force(args: CatalogOptions) -> tuple[Catalog, Path | None]:
    """The catalog in force: shipped (or ``--catalog``) plus the configuration's project catalog."""
    base = load_catalog(args.catalog)
    if not args.config:
        return base, None
    from cris_guard.config import ConfigError, _read_yaml, project_catalog

    try:
        file, data = _read_yaml(args.config)
        name = data.get("catalog") if isinstance(data, dict) else None
        local = (file.parent / name) if isinstance(name, str) and not Path(name).is_absolute() else (Path(name) if name else None)
        return project_catalog(data, file, base), local
    except ConfigError as exc:
        raise _BadInput(str(exc)) from None


def _print_routes(entry) -> None:
    """One line per source Region: destinations, and whether they leave the EU, come from a project
    catalog or are UNCONFIRMED."""
    for src in entry.source_regions:
        dests = entry.destinations(src)
        flags = [] if set(dests) <= EU_MEMBER_STATE_REGIONS else ["leaves EU member states"]
        if entry.origin(src) != SHIPPED:
            flags.append(f"from {entry.origin(src)}")
        if entry.route_unconfirmed(src):
            flags.append(f"UNCONFIRMED: {entry.route_unconfirmed(src)}")
        flag = f"   ({'; '.join(flags)})" if flags else ""
        print(f"    from {src:<13} -> {', '.join(dests)}{flag}")


def _list(args: CatalogOptions) -> int:
    catalog, _ = _in_force(args)
    print(f"{len(catalog.profiles)} EU inference profiles in force: shipped catalog as of {catalog.as_of}"
          + "".join(f" + project catalog {p}" for p in catalog.local_layers))
    print(f"method: {catalog.method}")
    print(f"source: {catalog.source}")
    for pid, profile in catalog.profiles.items():
        life = lifecycle_of(profile)
        recorded = "" if profile.lifecycle else " (not recorded)"
        print(f"{pid}   [{life.describe()}{recorded}]")
        print(f"    source: {profile.source} (read {profile.as_of})")
        _print_routes(profile)
    for gid, guardrail in catalog.guardrail_profiles.items():
        print(f"{gid}   [guardrail profile: ApplyGuardrail is checked in each destination]")
        print(f"    source: {guardrail.source} (read {guardrail.as_of})")
        _print_routes(guardrail)
    if catalog.not_included:
        print(f"not included: {catalog.not_included}")
    return 0


def _refresh(args: CatalogOptions, client_factory=None, today: _dt.date | None = None) -> int:
    bad = [r for r in args.region if not is_region_code(r)]
    if bad:
        raise _BadInput(f"--region: {bad[0]!r} is not a known Region code; use e.g. eu-central-1")
    if not args.output and not args.dry_run:
        raise _BadInput("refresh: --output is missing; name the project catalog file to write (e.g. --output"
                        " config/my-catalog.json), or pass --dry-run to only print the differences")
    output = Path(args.output) if args.output else None
    if output is not None and output.resolve() == DEFAULT_CATALOG_PATH.resolve():
        raise _BadInput(f"--output: {output} is cris-guard's shipped catalog, which refresh never rewrites; write a"
                        " project catalog and name it under `catalog:` in your configuration")
    in_force, configured = _in_force(args)
    existing = None
    if output is not None and output.exists():
        existing = load_catalog(output, label=str(output))
        if configured is None or configured.resolve() != output.resolve():
            in_force = layer(in_force, existing)
    if client_factory is None:
        import boto3

        session = boto3.Session(profile_name=args.profile) if args.profile else boto3.Session()

        def client_factory(region: str):
            return session.client("bedrock", region_name=region)

    try:
        new, reported = refresh_catalog(existing, args.region, client_factory, today=today)
    except RefreshError as exc:
        print(f"cris-guard: refresh failed: {exc}", file=sys.stderr)
        return 1
    changes = diff_against_account(in_force, reported, new)
    print(f"catalog refresh from {', '.join(sorted(set(args.region)))}: {len(changes) or 'no'} difference(s)"
          " from the catalog in force")
    for line in changes:
        print(f"  {line}")
    if args.dry_run:
        print("dry run: nothing written" + ("; exit 1 because the catalog in force differs" if changes else ""))
        return 1 if changes else 0
    write_catalog(new, output)
    print(f"wrote {output} ({len(new.profiles)} profiles); name it under `catalog:` in your configuration")
    return 0


def command(action: str, options: CatalogOptions, client_factory=None, today: _dt.date | None = None) -> int:
    """``cris-guard catalog list|refresh``: 0 all good; 1 refresh --dry-run found differences or the AWS API
    refused; 2 bad input (one line)."""
    try:
        if action == "list":
            return _list(options)
        return _refresh(options, client_factory, today)
    except (CatalogError, _BadInput) as exc:
        print(f"cris-guard: {exc}", file=sys.stderr)
        return 2
    except (BotoCoreError, ClientError) as exc:  # credentials, network, AccessDenied: one line, no traceback
        print(f"cris-guard: refresh failed: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `… list | head`
        return 0


def main(argv: list[str] | None = None, client_factory=None, today: _dt.date | None = None) -> int:
    """``python -m cris_guard.catalog [--catalog F] [--config C] list|refresh …``: an alias of
    ``cris-guard catalog list|refresh …`` (kept for one release); the options before the action move after it."""
    from cris_guard.cli import main as cli_main

    args = list(sys.argv[1:] if argv is None else argv)
    leading: list[str] = []
    while len(args) >= 2 and args[0] in ("--catalog", "--config"):
        leading += args[:2]
        args = args[2:]
    action, rest = (args[0], args[1:]) if args else ("--help", [])
    return cli_main(["catalog", action, *leading, *rest], client_factory=client_factory, today=today)

if __name__ == "__main__":
    sys.exit(main())
