"""Cross-check CloudTrail against Bedrock's model-invocation logs: does every inference call have a log record,
and every log record a CloudTrail event? Matched by CloudTrail ``requestID`` = invocation log ``requestId``.

Facts (``../shared/reference/evidence-facts.md`` §3): records live under
``<prefix>/AWSLogs/<account>/BedrockModelInvocationLogs/<region>/YYYY/MM/DD/HH/``; bodies over 100 KB go to
``…/HH/data/`` and Bedrock writes a permission-check object: neither is a record file, both are skipped.
Whether the two IDs always name the same request is UNCONFIRMED, so the counts are reported and never fail
the run. A record file is read as one JSON document or, failing that, as one JSON record per line.
"""

from __future__ import annotations

import gzip
import json
import re
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from cris_guard.evidence.sources import Window

_LOG_KEY = re.compile(r"/BedrockModelInvocationLogs/(?P<region>[a-z0-9-]+)/(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/(?P<h>\d{2})/")


def is_record_file(key: str) -> bool:
    """A log record file, not a large-payload ``data/`` object nor the permission-check object."""
    key = key.replace("\\", "/")
    name = key.rsplit("/", 1)[-1]
    return (_LOG_KEY.search(key) is not None and "/data/" not in key.split("/BedrockModelInvocationLogs/", 1)[1]
            and "permission-check" not in name and name.endswith((".json.gz", ".json")))


def records_of(data: bytes) -> Iterator[dict]:
    """The log records in one file's bytes (gzip or plain; a JSON document, a list, or JSON lines)."""
    text = (gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data).decode("utf-8")
    try:
        document = json.loads(text)
    except ValueError:
        for line in text.splitlines():
            if line.strip():
                yield json.loads(line)
        return
    if isinstance(document, list):
        yield from (r for r in document if isinstance(r, dict))
    elif isinstance(document, dict):
        yield document


@dataclass
class CrossCheck:
    """Counts per source Region; ``unreadable`` lists files with their reason."""

    log_records: Counter = field(default_factory=Counter)
    trail_events: Counter = field(default_factory=Counter)
    matched: Counter = field(default_factory=Counter)
    unreadable: list[dict[str, str]] = field(default_factory=list)

    def rows(self) -> list[dict]:
        regions = sorted(set(self.log_records) | set(self.trail_events))
        return [{"region": r, "cloudtrail_events": self.trail_events[r], "invocation_log_records": self.log_records[r],
                 "matched": self.matched[r], "cloudtrail_without_log": self.trail_events[r] - self.matched[r],
                 "log_without_cloudtrail": self.log_records[r] - self.matched[r]} for r in regions]


def cross_check(log_files: Iterable[tuple[str, bytes | None, str]], trail: dict[str, str], window: Window) -> CrossCheck:
    """``log_files``: (origin, bytes or None, error); ``trail``: CloudTrail requestID -> source Region of the
    processed inference calls in the window."""
    result = CrossCheck()
    for region in trail.values():
        result.trail_events[region] += 1
    seen: set[str] = set()
    for origin, data, error in log_files:
        if data is None:
            result.unreadable.append({"path": origin, "reason": error})
            continue
        try:
            records = list(records_of(data))
        except (OSError, EOFError, zlib.error, ValueError) as exc:
            result.unreadable.append({"path": origin, "reason": f"cannot be read ({exc.__class__.__name__})"})
            continue
        for record in records:
            if not isinstance(record, dict) or not window.contains_time(str(record.get("timestamp", ""))):
                continue
            request_id = str(record.get("requestId") or "")
            region = str(record.get("region") or "")
            if not request_id or request_id in seen:
                continue
            seen.add(request_id)
            result.log_records[region] += 1
            if request_id in trail:
                result.matched[trail[request_id]] += 1
    return result


def folder_log_files(root: Path, window: Window) -> Iterator[tuple[str, bytes | None, str]]:
    for path in sorted(root.rglob("*")):
        name = path.as_posix()
        if not path.is_file() or not is_record_file(name) or not window.contains_key(name.replace(
                "/BedrockModelInvocationLogs/", "/CloudTrail/")):
            continue
        try:
            yield str(path), path.read_bytes(), ""
        except OSError as exc:
            yield str(path), None, f"cannot be opened ({exc.__class__.__name__})"


def s3_log_files(client, bucket: str, prefix: str, window: Window) -> Iterator[tuple[str, bytes | None, str]]:
    """Every record file under ``s3://bucket/prefix`` (listed per account and Region by day)."""
    from cris_guard.evidence.sources import account_prefixes_of

    paginator = client.get_paginator("list_objects_v2")

    def children(path: str) -> list[str]:
        return [p["Prefix"] for page in paginator.paginate(Bucket=bucket, Prefix=path, Delimiter="/")
                for p in page.get("CommonPrefixes", [])]

    for account in account_prefixes_of(prefix, children):
        for region in children(f"{account}BedrockModelInvocationLogs/"):
            for day in window.days():
                for page in paginator.paginate(Bucket=bucket, Prefix=f"{region}{day:%Y/%m/%d}/"):
                    for obj in page.get("Contents", []):
                        key = obj["Key"]
                        if not is_record_file(key):
                            continue
                        try:
                            yield f"s3://{bucket}/{key}", client.get_object(Bucket=bucket, Key=key)["Body"].read(), ""
                        except Exception as exc:  # noqa: BLE001 - listed, never fatal
                            yield f"s3://{bucket}/{key}", None, f"cannot be downloaded ({exc.__class__.__name__})"
