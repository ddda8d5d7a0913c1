"""Where CloudTrail records come from: a local folder, an S3 prefix, or CloudTrail LookupEvents.

Each source yields :class:`Batch` objects, one per file (or API page): the records it held, or why it could
not be read. A corrupt, truncated or unreadable file is a ``skipped`` batch with its path and reason: it never
stops the run and never vanishes silently; a file without Bedrock events still counts as read.

The window: CloudTrail names files by **delivery** time, and a file can hold earlier records, so a window
ending on day D reads the files of D+1 too (``../shared/reference/evidence-facts.md`` §2); records outside
the window are dropped by their ``eventTime``. Files are streamed one at a time, so memory stays flat.
"""

from __future__ import annotations

import datetime as _dt
import gzip
import json
import re
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

try:  # Intel ISA-L's inflate (the isal package, pinned): about twice zlib's speed, same results and errors.
    from isal.igzip import decompress as _gunzip
except ImportError:  # pragma: no cover - a platform without an isal wheel falls back to zlib
    _gunzip = gzip.decompress

# <prefix>/AWSLogs/[o-id/]<account>/CloudTrail/<region>/YYYY/MM/DD/<file>
_KEY_DATE = re.compile(r"/CloudTrail(?:-Digest)?/(?P<region>[a-z0-9-]+)/(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/")
_KEY_ACCOUNT = re.compile(r"AWSLogs/(?:o-[a-z0-9]+/)?(?P<account>\d{12})/CloudTrail/")
# LookupEvents: 2 requests per second per account and Region (evidence-facts §2).
LOOKUP_EVENTS_INTERVAL_SECONDS = 0.5


@dataclass
class Batch:
    """The records of one file or API page, or the reason it was skipped."""

    origin: str
    records: list[dict[str, Any]] = field(default_factory=list)
    skipped: str = ""
    size: int = 0
    sha256: str = ""  # hex SHA-256 of the uncompressed file, when asked for (--verify-digests on S3)


@dataclass(frozen=True)
class Window:
    """Inclusive days; ``None`` is open-ended."""

    start: _dt.date | None = None
    end: _dt.date | None = None

    def days(self) -> list[_dt.date]:
        """The days whose files to read: the window and the day after it (delivery-time file names)."""
        assert self.start is not None and self.end is not None
        count = (self.end - self.start).days + 2
        return [self.start + _dt.timedelta(days=i) for i in range(count)]

    def contains_time(self, event_time: str) -> bool:
        if self.start is None and self.end is None:
            return True
        try:
            day = _dt.date.fromisoformat(event_time[:10])
        except ValueError:
            return True  # kept and visible: a record whose time cannot be read is not dropped silently
        return (self.start is None or day >= self.start) and (self.end is None or day <= self.end)

    def contains_key(self, key: str) -> bool:
        """Whether a file's key or path (by its date folders) can hold records of the window."""
        match = _KEY_DATE.search(key.replace("\\", "/"))
        if match is None or self.start is None or self.end is None:
            return True
        day = _dt.date(int(match["y"]), int(match["m"]), int(match["d"]))
        return self.start <= day <= self.end + _dt.timedelta(days=1)


_RAW_NULL = msgspec.Raw(b"null")


class Record(msgspec.Struct):
    """The fields of a CloudTrail record that cris-guard reads, decoded lazily.

    Why a typed decoder and not ``json.loads``: the parse is the cost of reading CloudTrail (toolchain-notes:
    ``json`` + gzip ran at about 2.3x the time of ``gzip -dc``), and about 95 % of the records are not Bedrock
    calls. msgspec decodes the top-level scalars the filters need and keeps the nested objects as raw JSON
    text (no parse), skipping every other field; the nested objects are parsed on first access, which only
    the Bedrock inference records get. Measured on 300 MB of generated files: ``json.loads`` 4.2 s,
    ``orjson.loads`` 2.2 s, this decoder 0.44 s (``bench/evidence.py`` prints the end-to-end figures).
    ``get`` makes it read like the ``dict`` that :func:`cris_guard.evidence.classify.classify` expects."""

    eventTime: Any = None
    awsRegion: Any = None
    recipientAccountId: Any = None
    eventSource: Any = None
    eventName: Any = None
    eventID: Any = None
    requestID: Any = None
    errorCode: Any = None
    userIdentity: msgspec.Raw = _RAW_NULL
    requestParameters: msgspec.Raw = _RAW_NULL
    additionalEventData: msgspec.Raw = _RAW_NULL

    def get(self, key: str, default: Any = None) -> Any:
        value = getattr(self, key, default)
        if isinstance(value, msgspec.Raw):
            value = msgspec.json.decode(value)
        return default if value is None else value


class _Document(msgspec.Struct):
    Records: list[Record]


_DECODER = msgspec.json.Decoder(_Document)


def parse_records(data: bytes, origin: str, *, sha256: bool = False) -> Batch:
    """A CloudTrail file's bytes (gzip or plain JSON) as a batch; never raises.

    The fast path decodes into :class:`Record`; a file it cannot type (a record that is not an object, no
    ``Records`` list) is parsed again generically, so that it is read or skipped with the same reason as
    before, never lost to the faster decoder."""
    try:
        text = _gunzip(data) if data[:2] == b"\x1f\x8b" else data
    except (OSError, EOFError, zlib.error, ValueError, MemoryError) as exc:  # truncated or corrupt gzip
        return Batch(origin, skipped=f"cannot be read ({exc.__class__.__name__}: {str(exc)[:120]})", size=len(data))
    if sha256:
        import hashlib

        batch = parse_records(text, origin)
        batch.size, batch.sha256 = len(data), hashlib.sha256(text).hexdigest()
        return batch
    try:
        return Batch(origin, _DECODER.decode(text).Records, size=len(data))  # type: ignore[arg-type]
    except (msgspec.DecodeError, MemoryError):
        pass  # the generic parse below decides: unreadable JSON, no Records list, or odd records
    try:
        document = json.loads(text)
    except (ValueError, RecursionError, MemoryError) as exc:  # bad JSON
        return Batch(origin, skipped=f"cannot be read ({exc.__class__.__name__}: {str(exc)[:120]})", size=len(data))
    records = document.get("Records") if isinstance(document, dict) else None
    if not isinstance(records, list):
        return Batch(origin, skipped="not a CloudTrail log file (no 'Records' list)", size=len(data))
    return Batch(origin, [r for r in records if isinstance(r, dict)], size=len(data))


def key_in_scope(name: str, window: Window, regions: Iterable[str] = (), accounts: Iterable[str] = ()) -> bool:
    """Whether a log or digest file's key or path, by its date, Region and account folders, is in the
    window and filters (a name without those folders is in scope)."""
    regions, accounts = set(regions), set(accounts)
    name = name.replace("\\", "/")
    if not window.contains_key(name if name.startswith("/") else "/" + name):
        return False
    if regions and (m := _KEY_DATE.search("/" + name)) and m["region"] not in regions:
        return False
    return not (accounts and (m := _KEY_ACCOUNT.search(name)) and m["account"] not in accounts)


def folder_files(root: Path, window: Window, regions: Iterable[str] = (), accounts: Iterable[str] = ()) -> list[Path]:
    """Every ``.json.gz``/``.json`` file below ``root`` that the window, Regions and accounts can concern,
    sorted (digest files, ``CloudTrail-Digest/``, are not logs)."""
    found = []
    for path in sorted(root.rglob("*")):
        name = path.as_posix()
        if not path.is_file() or not (name.endswith(".json.gz") or name.endswith(".json")):
            continue
        if "/CloudTrail-Digest/" in name or not key_in_scope(name, window, regions, accounts):
            continue
        found.append(path)
    return found


def read_folder(files: Iterable[Path]) -> Iterator[Batch]:
    for path in files:
        try:
            data = path.read_bytes()
        except OSError as exc:
            yield Batch(str(path), skipped=f"cannot be opened ({exc.__class__.__name__})")
            continue
        yield parse_records(data, str(path))


def s3_keys(client, bucket: str, prefix: str, window: Window, regions: Iterable[str], accounts: Iterable[str],
            folder: str = "CloudTrail") -> list[str]:
    """The log keys to read under ``s3://bucket/prefix``: listed by day prefix when the layout is known
    (accounts and Regions given, or discovered one level at a time), never the whole bucket.
    ``folder="CloudTrail-Digest"`` lists the trail's digest files the same way."""
    paginator = client.get_paginator("list_objects_v2")

    def children(path: str) -> list[str]:
        found = []
        for page in paginator.paginate(Bucket=bucket, Prefix=path, Delimiter="/"):
            found += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
        return found

    account_prefixes = account_prefixes_of(prefix, children)
    wanted_accounts = set(accounts)
    keys: list[str] = []
    for account_prefix in account_prefixes:
        account = account_prefix.strip("/").rsplit("/", 1)[-1]
        if wanted_accounts and account not in wanted_accounts:
            continue
        region_prefixes = ([f"{account_prefix}{folder}/{r}/" for r in regions] if regions
                           else children(f"{account_prefix}{folder}/"))
        for region_prefix in region_prefixes:
            for day in window.days():
                day_prefix = f"{region_prefix}{day:%Y/%m/%d}/"
                for page in paginator.paginate(Bucket=bucket, Prefix=day_prefix):
                    keys += [o["Key"] for o in page.get("Contents", []) if o["Key"].endswith((".json.gz", ".json"))]
    return keys


def account_prefixes_of(prefix: str, children: Callable[[str], list[str]]) -> list[str]:
    """``.../AWSLogs/[o-id/]<account>/`` prefixes below ``prefix``, which may stop anywhere: before ``AWSLogs/``,
    at it, at an organization ID, or at an account (parsed by position, not guessed)."""
    base = prefix.strip("/")
    parts = base.split("/") if base else []
    if "AWSLogs" in parts:
        head = parts[: parts.index("AWSLogs") + 1]
        rest = parts[len(head):]
    else:
        head, rest = [*parts, "AWSLogs"], []
    root = "/".join(head) + "/"
    if rest and rest[0].startswith("o-"):
        root, rest = f"{root}{rest[0]}/", rest[1:]
        orgs = [root]
    else:
        orgs = None
    if rest:  # an account is named
        return [f"{root}{rest[0]}/"]
    found: list[str] = []
    for child in (children(root) if orgs is None else [root]):
        name = child[len(root):].strip("/") if orgs is None else ""
        if orgs is None and name.startswith("o-"):
            found += children(child)
        elif orgs is None:
            found.append(child)
        else:
            found += children(child)
    return found


def read_s3(client, bucket: str, keys: Iterable[str], *, sha256: bool = False) -> Iterator[Batch]:
    for key in keys:
        origin = f"s3://{bucket}/{key}"
        try:
            data = client.get_object(Bucket=bucket, Key=key)["Body"].read()
        except Exception as exc:  # noqa: BLE001 - any client or network error: listed, never fatal
            yield Batch(origin, skipped=f"cannot be downloaded ({exc.__class__.__name__}: {str(exc)[:120]})")
            continue
        yield parse_records(data, origin, sha256=sha256)


def read_lookup_events(client, window: Window, *, sleep: Callable[[float], None] | None = None) -> Iterator[Batch]:
    """CloudTrail ``LookupEvents`` for ``eventSource = bedrock.amazonaws.com`` in the window (last 90 days,
    no trail needed), every page, at most 2 requests per second. Each event's ``CloudTrailEvent`` is the record."""
    kwargs: dict[str, Any] = {
        "LookupAttributes": [{"AttributeKey": "EventSource", "AttributeValue": "bedrock.amazonaws.com"}],
        "MaxResults": 50,
    }
    if window.start is not None:
        kwargs["StartTime"] = _dt.datetime.combine(window.start, _dt.time.min, tzinfo=_dt.timezone.utc)
    if window.end is not None:
        kwargs["EndTime"] = _dt.datetime.combine(window.end + _dt.timedelta(days=1), _dt.time.min, tzinfo=_dt.timezone.utc)
    page_number = 0
    while True:
        if page_number:
            (sleep or time.sleep)(LOOKUP_EVENTS_INTERVAL_SECONDS)
        page = client.lookup_events(**kwargs)
        page_number += 1
        batch = Batch(f"LookupEvents page {page_number}")
        unreadable = []
        for event in page.get("Events", []):
            try:
                batch.records.append(json.loads(event["CloudTrailEvent"]))
            except (KeyError, TypeError, ValueError):
                unreadable.append(Batch(f"LookupEvents event {event.get('EventId', '?')}",
                                        skipped="no readable CloudTrailEvent"))
        yield batch
        yield from unreadable
        if not page.get("NextToken"):
            return
        kwargs["NextToken"] = page["NextToken"]
