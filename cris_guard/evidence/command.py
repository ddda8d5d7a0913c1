"""``cris-guard evidence``: read CloudTrail, classify every Bedrock inference call, write the evidence.

Exit status: 0 no violation and no policy breach; 1 at least one; 2 bad input (one line). A progress bar
shows on a terminal only.
"""

from __future__ import annotations

import concurrent.futures
import datetime as _dt
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from cris_guard.evidence.aggregate import DigestedBatch, Evidence, digest_batch
from cris_guard.evidence.classify import EvidencePolicy, classify
from cris_guard.evidence.invocation_logs import cross_check, folder_log_files, s3_log_files
from cris_guard.evidence.render import CsvWriter, write_outputs
from cris_guard.evidence.sources import (
    Batch,
    Window,
    folder_files,
    read_folder,
    read_lookup_events,
    read_s3,
    s3_keys,
)


class BadInput(ValueError):
    """One line, exit status 2."""


def profiles_from_account(regions: tuple[str, ...], config_path: Path | None, client_factory=None) -> dict[str, str]:
    """``--application-profiles-from-account``: what each application inference profile of the account copies,
    from ``bedrock:ListInferenceProfiles`` in ``regions`` (default: the configuration's source Regions)."""
    from cris_guard.catalog import load_catalog
    from cris_guard.evidence.app_profiles import resolve_from_account

    catalog = load_catalog()
    if config_path is not None:
        from cris_guard.config import ConfigError, load_project

        try:
            config, catalog = load_project(config_path)
        except ConfigError as exc:
            raise BadInput(str(exc).splitlines()[0]) from None
        regions = regions or tuple(config.source_regions)
    if not regions:
        raise BadInput("--application-profiles-from-account needs --region or --config (the Regions to list)")
    factory = client_factory or _boto3_client
    try:
        return resolve_from_account({r: factory("bedrock", r) for r in regions}, catalog)
    except Exception as exc:  # noqa: BLE001 - no credentials, access denied: one line and what to do instead
        raise BadInput(f"--application-profiles-from-account: bedrock:ListInferenceProfiles failed"
                       f" ({exc.__class__.__name__}); allow it, or pass --application-profiles FILE") from None


def policy_from(config_path: Path | None, assembly_dir: Path | None,
                application_profiles: Path | None = None, *, from_account: Mapping[str, str] | None = None
                ) -> EvidencePolicy | None:
    """What the configuration approves and, from the synthesized templates (``--assembly``), which roles
    are whose (matched as :meth:`EvidencePolicy.application_of` describes); ``application_profiles`` is a JSON
    file mapping each deployed application inference profile ID to the profile it copies (the IDs exist only
    after deployment, so the templates cannot say)."""
    # The file's entries win over what the account says (a person's correction).
    wrapped = {**(from_account or {}), **(_application_profiles(application_profiles) if application_profiles else {})}
    if assembly_dir is not None and config_path is None:
        raise BadInput("--assembly names the applications of a configuration; give --config too")
    if config_path is None:
        return EvidencePolicy(application_profiles=wrapped) if wrapped else None
    from cris_guard.config import ConfigError, load_project

    try:
        config, _ = load_project(config_path)
    except ConfigError as exc:
        raise BadInput(str(exc).splitlines()[0]) from None
    approved = {a.name: frozenset(a.profiles) for a in config.applications}
    roles: dict[str, str] = {}
    if assembly_dir is not None:
        from cris_guard.assembly import AssemblyError, read_assembly

        try:
            assembly = read_assembly(assembly_dir)
        except AssemblyError as exc:
            raise BadInput(str(exc)) from None
        for stack in assembly.stacks:
            for logical_id, resource in stack.resources.items():
                tags = {t.get("Key"): t.get("Value") for t in resource.get("Properties", {}).get("Tags", []) or []}
                application = tags.get("cris-guard:application")
                if resource.get("Type") == "AWS::IAM::Role" and application:
                    roles[f"{stack.stack_name}-{logical_id}"] = application
    return EvidencePolicy(approved=approved, roles=roles, application_profiles=wrapped)


def _application_profiles(path: Path) -> dict[str, str]:
    import json

    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BadInput(f"--application-profiles {str(path)!r} cannot be read ({exc.__class__.__name__}); give a JSON"
                       " object mapping application inference profile IDs to the profile each copies") from None
    if not isinstance(document, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in document.items()):
        raise BadInput(f"--application-profiles {str(path)!r} must be a JSON object of ID -> profile ID, e.g."
                       ' {"abcdefghijkl": "eu.anthropic.claude-sonnet-4-6"}')
    return document


def run(
    *,
    source: str | None,
    lookup_events: bool,
    window: Window,
    accounts: tuple[str, ...],
    regions: tuple[str, ...],
    out: Path,
    policy: EvidencePolicy | None,
    client_factory: Callable[[str, str | None], object] | None = None,
    progress: bool | None = None,
    invocation_logs: str | None = None,
    public_keys: Path | None = None,
    verify_digests: bool = False,
    engine: str = "python",
) -> Evidence:
    """Read, classify, count and write; the :class:`Evidence` it wrote."""
    if verify_digests and source is None:
        raise BadInput("--verify-digests checks trail files: give a folder or s3://bucket/prefix, not --lookup-events"
                       " (LookupEvents has no digest files)")
    keys = _public_keys(public_keys) if verify_digests and public_keys is not None else {}
    if public_keys is not None and not verify_digests:
        raise BadInput("--public-keys is only used with --verify-digests; add it or drop --public-keys")
    if invocation_logs and not invocation_logs.startswith("s3://") and not Path(invocation_logs).is_dir():
        raise BadInput(f"--invocation-logs {invocation_logs!r} is not a folder or s3://bucket/prefix")
    batches, total, label = _batches(source, lookup_events, window, accounts, regions, client_factory,
                                     hash_files=verify_digests)
    evidence = Evidence(window=window, sources=[label])
    table = None
    if engine == "duckdb":
        try:
            import duckdb  # noqa: F401
            import sqlglot  # noqa: F401
        except ImportError:
            raise BadInput("--engine duckdb needs DuckDB and sqlglot: pip install 'cris-guard[local-sql]'") from None
        from cris_guard.evidence.local_sql import LocalTable

        table = LocalTable()
    writer = CsvWriter(out / "events.csv")
    hashed: list[tuple[str, str]] = []  # (origin, SHA-256) of each S3 object read, for --verify-digests
    show = sys.stderr.isatty() if progress is None else progress
    try:
        import click

        with click.progressbar(length=total or 0, label="reading CloudTrail", file=sys.stderr,
                               hidden=not show or not total) as bar:
            for digested in _digested(batches, window, policy, source, total, frozenset(regions), frozenset(accounts),
                                      table_rows=table is not None):
                evidence.add_file(digested)
                if verify_digests:
                    hashed.append((digested.origin, digested.sha256))
                if table is not None:
                    table.add(digested.table_rows)
                for event in digested.events:
                    if evidence.add_event(event):
                        writer.write(event)
                bar.update(1)
    finally:
        writer.close()
    if evidence.files_read == 0:
        raise BadInput(f"nothing was read from {label}: no CloudTrail file or LookupEvents page in the window and"
                       f" filters ({len(evidence.files_skipped)} skipped); check the source, --from/--to, --region and"
                       " --account")
    if verify_digests:
        evidence.integrity = _integrity(str(source), window, regions, accounts, keys, hashed, client_factory)
    if invocation_logs:
        evidence.cross_check = cross_check(_log_files(invocation_logs, window, client_factory),
                                           evidence.request_regions, window)
    if table is not None:
        _run_sql(evidence, table, window, policy, out)
    write_outputs(evidence, out)
    return evidence


def _run_sql(evidence: Evidence, table, window: Window, policy: EvidencePolicy | None, out: Path) -> None:
    """The named queries on DuckDB, their CSVs in ``out/queries/``, and the comparison with the Python counts."""
    from cris_guard.evidence.local_sql import SqlResult, compare, write_results

    rows = table.rows
    results = table.run((window.start or _dt.date(1970, 1, 1)).isoformat(),
                        (window.end or _dt.date(9999, 12, 30)).isoformat(), sql_policy(policy))
    write_results(results, out / "queries")
    evidence.sql = SqlResult(rows=results, disagreements=compare(results, evidence), table_rows=rows)


def sql_policy(policy: EvidencePolicy | None) -> dict:
    """The configuration's part of the named queries (approved profiles, roles, application profiles)."""
    if policy is None:
        return {}
    return {"approved": {a: sorted(p) for a, p in policy.approved.items()}, "roles": dict(policy.roles),
            "application_profiles": dict(policy.application_profiles)}


def _digest_file(path: Path, window: Window, policy: EvidencePolicy | None, regions: frozenset[str],
                 accounts: frozenset[str], table_rows: bool = False) -> DigestedBatch:
    """In a worker process: read, parse and classify one file; return only counts and inference events.
    Never raises: a file that breaks the reader is a skipped file with its reason."""
    try:
        return digest_batch(next(read_folder([path])), window, policy, regions, accounts, table_rows=table_rows)
    except Exception as exc:  # noqa: BLE001 - one pathological file must not stop the run
        return DigestedBatch(str(path), f"cannot be processed ({exc.__class__.__name__})", 0, 0, 0, [])


def _digested(batches, window: Window, policy: EvidencePolicy | None, source: str | None, total: int,
              regions: frozenset[str] = frozenset(), accounts: frozenset[str] = frozenset(), *, table_rows: bool = False):
    """Batches reduced to counts and events, in order. A local folder's files are parsed on every core (the
    parse, not the decompression, is the cost: toolchain-notes); S3 objects and LookupEvents pages in this
    process, as they arrive."""
    files = getattr(batches, "files", None)
    workers = min(os.cpu_count() or 1, 8)
    if files is None or workers < 2 or total < 4:
        yield from (digest_batch(b, window, policy, regions, accounts, table_rows=table_rows) for b in batches)
        return
    done = 0
    try:
        with concurrent.futures.ProcessPoolExecutor(max_workers=workers) as pool:
            n = len(files)
            for result in pool.map(_digest_file, files, [window] * n, [policy] * n, [regions] * n, [accounts] * n,
                                   [table_rows] * n, chunksize=1):
                done += 1
                yield result
    except concurrent.futures.process.BrokenProcessPool:
        # A worker died (out of memory, killed): read what is left in this process, one file at a time.
        yield from (_digest_file(path, window, policy, regions, accounts, table_rows) for path in files[done:])


class _FolderBatches:
    """The folder's batches, with the file list the parallel reader needs."""

    def __init__(self, files: list[Path]):
        self.files = files

    def __iter__(self):
        return read_folder(self.files)


def _public_keys(path: Path) -> dict[str, bytes]:
    import json

    from cris_guard.evidence.digests import load_public_keys

    try:
        return load_public_keys(json.loads(Path(path).read_text(encoding="utf-8")))
    except (OSError, ValueError, AttributeError) as exc:
        raise BadInput(f"--public-keys {str(path)!r} cannot be read as the JSON of `aws cloudtrail list-public-keys`"
                       f" ({exc.__class__.__name__})") from None


def _integrity(source: str, window: Window, regions, accounts, keys: dict[str, bytes],
               hashed: list[tuple[str, str]], client_factory):
    """Check the files read against the trail's digests: a folder's ``CloudTrail-Digest`` files, or the S3
    prefix's (listed by day like the logs, each with its signature from its S3 metadata). Without
    ``--public-keys`` the keys come from ``cloudtrail:ListPublicKeys`` in each Region of the digests."""
    from cris_guard.evidence.digests import (
        LogFile,
        _key_of,
        public_keys_from_account,
        s3_digest_files,
        verify,
        verify_folder,
    )
    from cris_guard.evidence.sources import _KEY_DATE, key_in_scope

    in_scope = lambda key: key_in_scope(key, window, regions, accounts)  # noqa: E731
    if source.startswith("s3://"):
        bucket, _, prefix = source[5:].partition("/")
        client = (client_factory or _boto3_client)("s3", None)
        digests = s3_digest_files(client, bucket, s3_keys(client, bucket, prefix, window, regions, accounts,
                                                          folder="CloudTrail-Digest"))
        digest_regions = {m["region"] for d in digests if (m := _KEY_DATE.search("/" + d.key))}
        keys = keys or _account_keys(digest_regions, window, client_factory, public_keys_from_account)

        def log_file(origin: str, sha256: str) -> LogFile:
            def digest() -> str:
                if not sha256:
                    raise OSError("not downloaded")
                return sha256
            return LogFile(_key_of(origin.split("/", 3)[3]), origin, digest)

        return verify(digests, [log_file(o, h) for o, h in hashed], keys, in_scope)
    root = Path(source)
    if not keys:
        digest_regions = {m["region"] for p in root.rglob("*") if "/CloudTrail-Digest/" in p.as_posix()
                          and (m := _KEY_DATE.search(p.as_posix()))}
        keys = _account_keys(digest_regions, window, client_factory, public_keys_from_account)
    return verify_folder(root, folder_files(root, window, regions, accounts), keys, in_scope)


def _account_keys(digest_regions: set[str], window: Window, client_factory, fetch) -> dict[str, bytes]:
    if not digest_regions:
        return {}
    start = _dt.datetime.combine(window.start, _dt.time.min, tzinfo=_dt.timezone.utc) if window.start else None
    end = (_dt.datetime.combine(window.end + _dt.timedelta(days=2), _dt.time.min, tzinfo=_dt.timezone.utc)
           if window.end else None)
    factory = client_factory or _boto3_client
    try:
        return fetch([factory("cloudtrail", region) for region in sorted(digest_regions)], start, end)
    except Exception as exc:  # noqa: BLE001 - no credentials, access denied: say what to do instead
        raise BadInput(f"--verify-digests: cloudtrail:ListPublicKeys failed ({exc.__class__.__name__}); allow it, or"
                       " pass --public-keys FILE with what `aws cloudtrail list-public-keys` prints") from None


def _log_files(location: str, window: Window, client_factory):
    if location.startswith("s3://"):
        bucket, _, prefix = location[5:].partition("/")
        if not bucket or window.start is None or window.end is None:
            raise BadInput("--invocation-logs s3://bucket/prefix needs a bucket, --from and --to")
        return s3_log_files((client_factory or _boto3_client)("s3", None), bucket, prefix, window)
    root = Path(location)
    if not root.is_dir():
        raise BadInput(f"--invocation-logs {location!r} is not a folder or s3://bucket/prefix")
    return folder_log_files(root, window)


def _batches(source, lookup_events, window, accounts, regions, client_factory,
             hash_files: bool = False) -> tuple[Iterator[Batch], int, str]:
    if lookup_events:
        if source:
            raise BadInput("give either a SOURCE (folder or s3://bucket/prefix) or --lookup-events, not both")
        if not regions:
            raise BadInput("--lookup-events needs --region (LookupEvents reads one Region at a time)")
        factory = client_factory or _boto3_client
        batches = (b for region in regions for b in read_lookup_events(factory("cloudtrail", region), window))
        return batches, 0, f"CloudTrail LookupEvents in {', '.join(regions)}"
    if not source:
        raise BadInput("SOURCE is missing; give a folder of CloudTrail files, s3://bucket/prefix, or --lookup-events")
    if source.startswith("s3://"):
        bucket, _, prefix = source[5:].partition("/")
        if not bucket:
            raise BadInput(f"SOURCE {source!r} names no bucket; use s3://bucket/prefix")
        if window.start is None or window.end is None:
            raise BadInput("reading from S3 needs --from and --to (files are listed by day, never the whole bucket)")
        client = (client_factory or _boto3_client)("s3", None)
        keys = s3_keys(client, bucket, prefix, window, regions, accounts)
        return read_s3(client, bucket, keys, sha256=hash_files), len(keys), source
    root = Path(source)
    if not root.is_dir():
        raise BadInput(f"SOURCE {source!r} is not a folder; give a folder of CloudTrail files or s3://bucket/prefix")
    files = folder_files(root, window, regions, accounts)
    return _FolderBatches(files), len(files), str(root)


def _boto3_client(service: str, region: str | None):
    import boto3

    return boto3.client(service, region_name=region) if region else boto3.client(service)


def parse_day(value: str | None, option: str) -> _dt.date | None:
    if value is None:
        return None
    try:
        return _dt.date.fromisoformat(value)
    except ValueError:
        raise BadInput(f"{option} {value!r} is not a date; use YYYY-MM-DD") from None
