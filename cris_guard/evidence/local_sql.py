"""``cris-guard evidence --engine duckdb``: the Athena named queries, run on this machine by DuckDB.

Choice by measurement (``../shared/reference/toolchain-notes.md`` and ``bench/evidence.py``): DuckDB's own
``read_json`` over gzipped CloudTrail files ran at about 7x the time of ``gzip -dc`` and ran out of memory on
files over 32 MiB, while cris-guard's reader (ISA-L inflate and a typed msgspec decoder on every core) runs
below that floor. So the reader stays the reader, and DuckDB does what it is good at: it runs the *same SQL
text* as Athena (:mod:`cris_guard.evidence.queries`, transpiled by sqlglot) over a table shaped like the Glue
table, holding the Bedrock records the reader found. DuckDB is embedded (a PyPI wheel, pinned): nothing is
downloaded at run time, no extension is installed (``json`` is built in).

The rows are written as newline-delimited JSON to a temporary file and loaded with one ``read_json`` call
with explicit column types, which keeps memory flat and is much faster than inserting row by row.
"""

from __future__ import annotations

import csv
import re
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from cris_guard.evidence.render import csv_cell
from cris_guard.evidence.queries import PARTITION_KEYS, QUESTIONS, TABLE_COLUMNS, athena_queries, parameters, to_duckdb

TABLE = "cloudtrail_logs"
_KEY = re.compile(r"AWSLogs/(?:o-[a-z0-9]+/)?(?P<account>\d{12})/CloudTrail/(?P<region>[a-z0-9-]+)/(?P<day>\d{4}/\d{2}/\d{2})/")
_ENCODER = msgspec.json.Encoder()


def _text(value: Any) -> str | None:
    """A JSON-text column (``requestparameters``, ``additionaleventdata``): the nested object as JSON."""
    if value is None:
        return None
    if isinstance(value, msgspec.Raw):
        return None if bytes(value) == b"null" else bytes(value).decode()
    return _ENCODER.encode(value).decode()


def table_row(record: Any, origin: str) -> bytes:
    """One NDJSON line of the local table for a CloudTrail record (a :class:`~cris_guard.evidence.sources.Record`
    or a dict). The partition keys come from the file's S3 layout, else from the record itself."""
    identity = record.get("userIdentity")
    identity = identity if isinstance(identity, dict) else {}
    match = _KEY.search(origin.replace("\\", "/"))
    time = str(record.get("eventTime") or "")
    row = {
        "eventtime": time or None,
        "eventsource": record.get("eventSource"),
        "eventname": record.get("eventName"),
        "awsregion": record.get("awsRegion"),
        "errorcode": record.get("errorCode"),
        "requestparameters": _text(getattr(record, "requestParameters", None) if not isinstance(record, dict)
                                   else record.get("requestParameters")),
        "additionaleventdata": _text(getattr(record, "additionalEventData", None) if not isinstance(record, dict)
                                     else record.get("additionalEventData")),
        "requestid": record.get("requestID"),
        "eventid": record.get("eventID"),
        "recipientaccountid": record.get("recipientAccountId"),
        "useridentity": {k: (str(identity[k]) if identity.get(k) is not None else None)
                         for k in ("type", "principalid", "arn", "accountid", "invokedby", "accesskeyid", "username")},
        "account": match["account"] if match else record.get("recipientAccountId"),
        "region": match["region"] if match else record.get("awsRegion"),
        "timestamp": match["day"] if match else time[:10].replace("-", "/"),
    }
    return _ENCODER.encode({k: (v if v is None or isinstance(v, dict) else str(v)) for k, v in row.items()}) + b"\n"


def _duckdb_type(glue: str) -> str:
    if glue == "string":
        return "VARCHAR"
    members = glue[len("struct<"):-1].split(",")
    return "STRUCT(" + ", ".join(f"{m.split(':')[0]} VARCHAR" for m in members) + ")"


@dataclass
class SqlResult:
    """What the named queries returned locally, and whether it agrees with the Python classifier."""

    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    disagreements: list[str] = field(default_factory=list)
    table_rows: int = 0

    @property
    def agrees(self) -> bool:
        return not self.disagreements

    def summary(self) -> dict:
        return {"engine": "duckdb", "table_rows": self.table_rows, "agrees": self.agrees,
                "disagreements": self.disagreements, "rows": {name: len(rows) for name, rows in self.rows.items()}}


class LocalTable:
    """The Bedrock records of a run, spooled to NDJSON, then loaded into DuckDB and queried."""

    def __init__(self) -> None:
        self._spool = tempfile.NamedTemporaryFile(prefix="cris-guard-", suffix=".ndjson")  # noqa: SIM115
        self.rows = 0

    def add(self, lines: list[bytes]) -> None:
        if lines:
            self._spool.writelines(lines)
            self.rows += len(lines)

    def run(self, first_day: str, last_day: str, policy: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
        """Each named query's rows (the Athena text, transpiled), for the window's days."""
        import duckdb

        self._spool.flush()
        con = duckdb.connect(":memory:", config={"threads": 2, "autoinstall_known_extensions": False,
                                                 "autoload_known_extensions": True})
        try:
            columns = {name: _duckdb_type(kind) for name, kind in TABLE_COLUMNS + PARTITION_KEYS}
            if self.rows:
                spec = "{" + ", ".join(f"'{k}': '{v}'" for k, v in columns.items()) + "}"
                con.execute(f"CREATE TABLE {TABLE} AS SELECT * FROM read_json(?, format = 'newline_delimited',"
                            f" columns = {spec}, maximum_object_size = 16777216)", [self._spool.name])
            else:
                con.execute(f"CREATE TABLE {TABLE} (" + ", ".join(f'"{k}" {v}' for k, v in columns.items()) + ")")
            results = {}
            for query in athena_queries(TABLE, **policy):
                cursor = con.execute(to_duckdb(query.sql), parameters(first_day, last_day))
                names = [d[0] for d in cursor.description]
                results[query.name] = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
            return results
        finally:
            con.close()
            self._spool.close()


def compare(results: dict[str, list[dict[str, Any]]], evidence) -> list[str]:
    """Where the SQL answers differ from the Python classifier's counts (empty when they agree)."""
    differences = []

    def ids(name: str) -> list[str]:
        return sorted(str(r["eventid"]) for r in results.get(name, []))

    for name, events in (("violations", evidence.violations), ("policy-breaches", evidence.policy_breaches),
                         ("refused", evidence.refused)):
        python = sorted(e.event_id for e in events)
        if ids(name) != python:
            differences.append(f"{name}: SQL {len(ids(name))} call(s), Python {len(python)}")
    by_day = Counter({(r["day"], r["inference_region"]): int(r["calls"]) for r in results.get("routing-by-day", [])})
    python_days = Counter({(day, region): n for day, regions in evidence.by_day.items() for region, n in regions.items()})
    if by_day != python_days:
        differences.append(f"routing-by-day: SQL {sum(by_day.values())} call(s), Python {sum(python_days.values())}")
    usage: Counter = Counter()
    for r in results.get("usage-by-application", []):
        usage[r["application"] or "(not a cris-guard application)"] += int(r["calls"])
    if usage != evidence.by_application:
        differences.append(f"usage-by-application: SQL {dict(sorted(usage.items()))}, Python"
                           f" {dict(sorted(evidence.by_application.items()))}")
    return differences


def write_results(results: dict[str, list[dict[str, Any]]], folder: Path) -> None:
    """``queries/<name>.csv``, one file per named query, with a header row even when empty."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in QUESTIONS:
        rows = results.get(name, [])
        with (folder / f"{name}.csv").open("w", newline="", encoding="utf-8") as handle:
            if rows:
                writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
                writer.writeheader()
                writer.writerows({k: csv_cell(v) for k, v in row.items()} for row in rows)
            else:
                handle.write("(no rows)\n")

