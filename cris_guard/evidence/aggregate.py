"""Count classified inference events: totals, source x processing Region, per profile, per application, per
day, and the lists of violations, policy breaches and refused attempts that the reports show."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from cris_guard.evidence.classify import InferenceEvent
from cris_guard.evidence.sources import Batch, Window


@dataclass
class Evidence:
    """Everything the reports need, built incrementally (one batch at a time, so memory stays flat apart
    from the listed exceptions)."""

    window: Window
    sources: list[str]
    files_read: int = 0
    files_skipped: list[dict[str, str]] = field(default_factory=list)
    bytes_read: int = 0
    events_read: int = 0
    events_outside_window: int = 0
    inference_events: int = 0
    without_inference_region: int = 0
    by_inference_region: Counter = field(default_factory=Counter)
    by_route: Counter = field(default_factory=Counter)  # (source Region, processing Region)
    by_profile: Counter = field(default_factory=Counter)
    by_application: Counter = field(default_factory=Counter)
    by_verdict: Counter = field(default_factory=Counter)
    by_day: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))  # day -> processing Region
    violations: list[InferenceEvent] = field(default_factory=list)
    policy_breaches: list[InferenceEvent] = field(default_factory=list)
    refused: list[InferenceEvent] = field(default_factory=list)
    failed: list[InferenceEvent] = field(default_factory=list)
    unresolved: list[InferenceEvent] = field(default_factory=list)
    duplicates: int = 0
    _seen: set[str] = field(default_factory=set, repr=False)
    request_regions: dict[str, str] = field(default_factory=dict)  # requestID -> source Region (processed calls)
    cross_check: Any = None  # invocation_logs.CrossCheck, with --invocation-logs
    integrity: Any = None  # digests.Integrity, with --verify-digests
    sql: Any = None  # local_sql.SqlResult, with --engine duckdb

    def add_file(self, digest: DigestedBatch) -> None:
        """Account for one file or page (its events are added with :meth:`add_event`)."""
        if digest.skipped:
            self.files_skipped.append({"path": digest.origin, "reason": digest.skipped})
            if not digest.records:
                return
        self.files_read += 1
        self.bytes_read += digest.size
        self.events_read += digest.records
        self.events_outside_window += digest.records - digest.in_window


    def add_event(self, event: InferenceEvent) -> bool:
        """Count one inference call; ``False`` for a duplicate (the same ``eventID`` delivered twice, e.g. by an
        organization trail and an account trail into one bucket), which is counted apart and nothing else."""
        if event.event_id:
            if event.event_id in self._seen:
                self.duplicates += 1
                return False
            self._seen.add(event.event_id)
        self.inference_events += 1
        self.by_verdict[event.verdict] += 1
        if event.verdict == "refused":
            self.refused.append(event)
            return True
        if event.verdict == "failed":
            self.failed.append(event)
            return True
        if event.request_id:
            self.request_regions[event.request_id] = event.source_region
        if not event.inference_region_recorded:
            self.without_inference_region += 1
        self.by_inference_region[event.inference_region] += 1
        self.by_route[(event.source_region, event.inference_region)] += 1
        self.by_profile[event.profile_id or event.model_id or "(none)"] += 1
        self.by_application[event.application or "(not a cris-guard application)"] += 1
        self.by_day[event.event_time[:10]][event.inference_region] += 1
        if event.verdict == "violation":
            self.violations.append(event)
        elif event.verdict == "policy-breach":
            self.policy_breaches.append(event)
        elif event.verdict == "unresolved":
            self.unresolved.append(event)
        return True

    @property
    def passed(self) -> bool:
        return (not self.violations and not self.policy_breaches and (self.integrity is None or self.integrity.passed)
                and (self.sql is None or self.sql.agrees))

    def summary(self) -> dict:
        """``summary.json``: stable keys, sorted counts."""
        def brief(events: Iterable[InferenceEvent]) -> list[dict]:
            return [{"eventID": e.event_id, "eventTime": e.event_time, "awsRegion": e.source_region,
                     "inferenceRegion": e.inference_region, "modelId": e.model_id, "principal": e.principal,
                     "reason": e.reason} for e in events]
        return {
            "window": {"from": str(self.window.start) if self.window.start else None,
                       "to": str(self.window.end) if self.window.end else None},
            "sources": self.sources,
            "files_read": self.files_read,
            "files_skipped": self.files_skipped,
            "events_read": self.events_read,
            "events_outside_window": self.events_outside_window,
            "inference_events": self.inference_events,
            "without_inference_region": self.without_inference_region,
            "by_inference_region": dict(sorted(self.by_inference_region.items())),
            "by_verdict": dict(sorted(self.by_verdict.items())),
            "violations": brief(self.violations),
            "policy_breaches": brief(self.policy_breaches),
            "refused": brief(self.refused),
            "failed": brief(self.failed),
            "unresolved": brief(self.unresolved),
            "duplicates": self.duplicates,
            **({"invocation_log_cross_check": {"per_region": self.cross_check.rows(),
                                               "unreadable": self.cross_check.unreadable}}
               if self.cross_check is not None else {}),
            **({"integrity": self.integrity.summary()} if self.integrity is not None else {}),
            **({"sql": self.sql.summary()} if self.sql is not None else {}),
        }


@dataclass
class DigestedBatch:
    """A batch reduced to what the counts need: its counts and its inference events (the records themselves
    are dropped where they were read, so a worker process returns little)."""

    origin: str
    skipped: str
    size: int
    records: int
    in_window: int
    events: list[InferenceEvent]
    table_rows: list[bytes] = field(default_factory=list)  # --engine duckdb: the Bedrock records, as NDJSON
    sha256: str = ""  # the uncompressed file's hash, when the source computed it (--verify-digests on S3)


def digest_batch(batch: Batch, window: Window, policy, regions: frozenset[str] = frozenset(),
                 accounts: frozenset[str] = frozenset(), *, table_rows: bool = False) -> DigestedBatch:
    """Counts and inference events of ``batch``: records outside the window, or (when given) of other source
    Regions and accounts, are left out (a folder need not be in the S3 layout, so the path cannot decide).

    This loop runs once per record (millions per run), so it reads the scalar fields once and hands only
    Bedrock records to :func:`classify`. With ``table_rows``, every Bedrock record of the Regions and accounts
    asked for (in the window or not: the SQL decides that itself) also becomes a row of the local SQL table."""
    from cris_guard.evidence.classify import BEDROCK_EVENT_SOURCE, classify
    from cris_guard.evidence.sources import Record

    first = window.start.isoformat() if window.start else None
    last = window.end.isoformat() if window.end else None
    in_window = 0
    events = []
    rows: list[bytes] = []
    for r in batch.records:
        if isinstance(r, Record):
            time, region, account, source = r.eventTime, r.awsRegion, r.recipientAccountId, r.eventSource
        else:
            time, region, account, source = r.get("eventTime"), r.get("awsRegion"), r.get("recipientAccountId"), r.get("eventSource")
        if table_rows and source == BEDROCK_EVENT_SOURCE and (not regions or region in regions) and (
                not accounts or account in accounts):
            from cris_guard.evidence.local_sql import table_row

            rows.append(table_row(r, batch.origin))
        day = time[:10] if isinstance(time, str) else ""
        if len(day) == 10 and day[4] == "-" and day[7] == "-":  # ISO 8601, as CloudTrail writes: compare as text
            if (first and day < first) or (last and day > last):
                continue
        elif not window.contains_time(str(time or "")):
            continue
        if (regions and region not in regions) or (accounts and account not in accounts):
            continue
        in_window += 1
        if source == BEDROCK_EVENT_SOURCE and (event := classify(r, policy)) is not None:
            events.append(event)
    return DigestedBatch(batch.origin, batch.skipped, batch.size, len(batch.records), in_window, events, rows,
                         batch.sha256)
