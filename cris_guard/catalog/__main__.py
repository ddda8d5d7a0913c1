"""``python -m cris_guard.catalog {list,refresh}``: show the catalog, or rebuild it from an account."""

from __future__ import annotations

import argparse
import sys

from botocore.exceptions import BotoCoreError, ClientError

from cris_guard.catalog import DEFAULT_CATALOG_PATH, CatalogError, load_catalog, write_catalog
from cris_guard.catalog.refresh import RefreshError, diff_catalogs, refresh_catalog
from cris_guard.regions import EU_MEMBER_STATE_REGIONS


def _list(args: argparse.Namespace) -> int:
    catalog = load_catalog(args.catalog)
    print(f"{len(catalog.profiles)} EU inference profiles, as of {catalog.as_of} ({catalog.method})")
    print(f"source: {catalog.source}")
    for pid, profile in catalog.profiles.items():
        print(pid)
        for src in profile.source_regions:
            dests = profile.destinations(src)
            flag = "" if set(dests) <= EU_MEMBER_STATE_REGIONS else "   (leaves EU member states)"
            print(f"    from {src:<13} -> {', '.join(dests)}{flag}")
    if catalog.not_included:
        print(f"not included: {catalog.not_included}")
    return 0


def _refresh(args: argparse.Namespace, client_factory=None) -> int:
    old = load_catalog(args.catalog)
    if client_factory is None:
        import boto3

        session = boto3.Session(profile_name=args.profile) if args.profile else boto3.Session()

        def client_factory(region: str):
            return session.client("bedrock", region_name=region)

    try:
        new = refresh_catalog(old, args.region, client_factory)
    except RefreshError as exc:
        print(f"cris-guard: refresh failed: {exc}", file=sys.stderr)
        return 1
    changes = diff_catalogs(old, new)
    print(f"catalog refresh from {', '.join(sorted(set(args.region)))}: {len(changes) or 'no'} change(s)")
    for line in changes:
        print(f"  {line}")
    if args.dry_run:
        print("dry run: catalog file not written")
    else:
        write_catalog(new, args.catalog or DEFAULT_CATALOG_PATH)
        print(f"wrote {args.catalog or DEFAULT_CATALOG_PATH}")
    return 0


def main(argv: list[str] | None = None, client_factory=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cris_guard.catalog", description=__doc__)
    parser.add_argument("--catalog", default=None, help="catalog JSON file (default: the shipped one)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="show every profile and where it routes from each source Region")
    refresh = sub.add_parser("refresh", help="rebuild routes from a real account (needs AWS credentials)")
    refresh.add_argument("--region", action="append", required=True, help="source Region to query (repeatable)")
    refresh.add_argument("--profile", default=None, help="AWS named profile for credentials")
    refresh.add_argument("--dry-run", action="store_true", help="print the diff, do not write the file")
    args = parser.parse_args(argv)
    try:
        if args.command == "list":
            return _list(args)
        return _refresh(args, client_factory)
    except CatalogError as exc:
        print(f"cris-guard: {exc}", file=sys.stderr)
        return 2
    except (BotoCoreError, ClientError) as exc:  # credentials, network, AccessDenied: one line, no traceback
        print(f"cris-guard: refresh failed: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `… list | head`
        return 0


if __name__ == "__main__":
    sys.exit(main())
