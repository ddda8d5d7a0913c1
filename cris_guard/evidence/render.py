"""Write the evidence for people and machines: ``evidence.md``, a self-contained ``evidence.html`` (inline
SVG chart, no external resources: it opens offline), ``events.csv`` and ``summary.json``."""

from __future__ import annotations

import csv
import html
import json
from collections.abc import Sequence
from pathlib import Path

from cris_guard.evidence.aggregate import Evidence
from cris_guard.evidence.classify import InferenceEvent
from cris_guard.regions import EU_MEMBER_STATE_REGIONS

CSV_FIELDS = ("eventID", "eventTime", "eventName", "account", "awsRegion", "inferenceRegion",
              "inferenceRegionRecorded", "modelId", "target", "profile", "principal", "application", "errorCode",
              "verdict", "reason")
_LISTED = 200  # events listed per kind in the reports; the CSV has every one


def csv_cell(value: object) -> str:
    """A cell a spreadsheet would run as a formula (caller-chosen modelId, principal) gets a leading quote."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def _md(value: str) -> str:
    """A caller-chosen value (modelId, principal) as one Markdown table cell: no column or row breaks."""
    return str(value).replace("|", "\\|").replace("\r", " ").replace("\n", " ").replace("`", "'")


def _window_text(evidence: Evidence) -> str:
    return f"{evidence.window.start or 'the beginning'} to {evidence.window.end or 'the end'} (UTC days, inclusive)"


def _verdict_line(evidence: Evidence) -> str:
    if evidence.integrity is not None and not evidence.integrity.passed:
        return ("**Log-file integrity check failed**: a log or digest file was changed after CloudTrail delivered it"
                " (see the integrity section); the counts below rest on those files.")
    if evidence.passed:
        return (f"**No violation and no policy breach** in {evidence.inference_events:,} inference calls: every call"
                " that was processed ran in an EU member-state Region through an eu. profile.")
    return (f"**{len(evidence.violations):,} violation(s)** (processed outside the EU member-state Regions) and"
            f" **{len(evidence.policy_breaches):,} policy breach(es)** in {evidence.inference_events:,} inference calls.")


def markdown(evidence: Evidence) -> str:
    lines = [
        "# cris-guard residency evidence", "",
        f"- Window: {_window_text(evidence)}",
        f"- Sources: {', '.join(evidence.sources)}",
        f"- Files read: {evidence.files_read:,}; skipped: {len(evidence.files_skipped):,}; records: {evidence.events_read:,}"
        f" ({evidence.events_outside_window:,} outside the window)",
        f"- Inference calls: {evidence.inference_events:,} (duplicates of an eventID ignored: {evidence.duplicates:,}); "
        + ", ".join(f"{k}: {v:,}" for k, v in sorted(evidence.by_verdict.items())),
        f"- Calls without `additionalEventData.inferenceRegion` (counted as processed in their source Region; whether"
        f" such records mean \"not re-routed\" is UNCONFIRMED): {evidence.without_inference_region:,}",
        "", _verdict_line(evidence), "",
        "## Where inference ran (source Region -> processing Region)", "",
        "| Source Region | Processing Region | Calls | EU member state |", "|---|---|---:|---|",
    ]
    for (src, dst), count in sorted(evidence.by_route.items()):
        lines.append(f"| {src} | {dst} | {count:,} | {'yes' if dst in EU_MEMBER_STATE_REGIONS else '**no**'} |")
    lines += ["", "## Per profile or model", "", "| Called | Calls |", "|---|---:|"]
    lines += [f"| `{k}` | {v:,} |" for k, v in sorted(evidence.by_profile.items())]
    lines += ["", "## Per application", "", "| Application | Calls |", "|---|---:|"]
    lines += [f"| {k} | {v:,} |" for k, v in sorted(evidence.by_application.items())]
    for title, events in (("Violations", evidence.violations), ("Policy breaches", evidence.policy_breaches),
                          ("Unresolved application profiles (processed in the EU; which profile they wrap is not known)",
                           evidence.unresolved),
                          ("Failed calls (an error other than a refusal; processed in the EU as far as recorded)",
                           evidence.failed),
                          ("Refused attempts (the guard at work)", evidence.refused)):
        lines += ["", f"## {title}: {len(events):,}", ""]
        if events:
            lines += ["| eventID | Time | Principal | Called | Source -> processing | Why |", "|---|---|---|---|---|---|"]
            lines += [f"| {_md(e.event_id)} | {_md(e.event_time)} | {_md(e.principal)} | `{_md(e.model_id)}` |"
                      f" {_md(e.source_region)} -> {_md(e.inference_region)} | {_md(e.reason)} |" for e in events[:_LISTED]]
            if len(events) > _LISTED:
                lines.append(f"\n({len(events) - _LISTED:,} more in events.csv)")
    if evidence.cross_check is not None:
        lines += ["", "## Invocation-log cross-check", "",
                  "CloudTrail `requestID` matched against the invocation log's `requestId` (that they always name the"
                  " same request is UNCONFIRMED: the counts are shown, not judged).", "",
                  "| Source Region | CloudTrail calls | Log records | Matched | CloudTrail without log | Log without CloudTrail |",
                  "|---|---:|---:|---:|---:|---:|"]
        lines += [f"| {r['region']} | {r['cloudtrail_events']:,} | {r['invocation_log_records']:,} | {r['matched']:,} |"
                  f" {r['cloudtrail_without_log']:,} | {r['log_without_cloudtrail']:,} |" for r in evidence.cross_check.rows()]
        lines += [f"- unreadable log file `{u['path']}`: {u['reason']}" for u in evidence.cross_check.unreadable]
    if evidence.integrity is not None:
        check = evidence.integrity
        lines += ["", "## Log-file integrity (CloudTrail digests)", "",
                  f"- Digests with a valid signature: {len(check.digests_valid):,}; invalid: {len(check.digests_invalid):,};"
                  f" not verifiable: {len(check.digests_unverifiable):,}",
                  f"- Log files matching their digest: {len(check.logs_valid):,}; changed: {len(check.logs_invalid):,};"
                  f" in no digest: {len(check.logs_not_in_a_digest):,}"]
        lines += [f"- **{item['path']}**: {item['reason']}" for item in check.digests_invalid + check.logs_invalid]
        lines += [f"- {item['path']}: {item['reason']}" for item in check.digests_unverifiable]
    if evidence.sql is not None:
        sql = evidence.sql
        lines += ["", "## The same questions in SQL (Athena's named queries, run locally by DuckDB)", "",
                  f"- Bedrock records loaded: {sql.table_rows:,}; answers: "
                  + ("**the same as above**" if sql.agrees else "**different** (please report this as a cris-guard bug)"),
                  *[f"- {d}" for d in sql.disagreements],
                  *[f"- `{name}`: {len(rows):,} row(s), in `queries/{name}.csv`" for name, rows in sql.rows.items()]]
    lines += ["", f"## What could not be read: {len(evidence.files_skipped):,}", ""]
    lines += [f"- `{s['path']}`: {s['reason']}" for s in evidence.files_skipped] or ["Nothing."]
    lines += ["", "CloudTrail shows where each call was processed as Bedrock recorded it; it cannot show calls made"
              " outside the trail's accounts and Regions, nor what a model provider stores (see README).", ""]
    return "\n".join(lines)


# EU Regions: no red, so that red means one thing in the chart - processed outside the EU.
_COLORS = ("#1f6feb", "#2da44e", "#bf8700", "#8250df", "#0a7d87", "#9a6700", "#57606a", "#bc4c00")
_OUTSIDE = "#cf222e"


def _chart(evidence: Evidence) -> str:
    """Calls per processing Region per day: stacked bars, inline SVG."""
    days = sorted(evidence.by_day)
    regions = sorted({r for day in days for r in evidence.by_day[day]})
    if not days:
        return "<p>No processed inference call in the window.</p>"
    top = max(sum(evidence.by_day[d].values()) for d in days) or 1
    width, height, pad = max(320, 28 * len(days) + 80), 260, 40
    bar = (width - pad - 20) / len(days)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height + 40 + 18 * len(regions)}"'
             ' role="img" aria-label="Calls per processing Region per day">',
             f'<line x1="{pad}" y1="{height}" x2="{width - 10}" y2="{height}" stroke="#57606a"/>',
             f'<text x="4" y="14" font-size="11">{top:,}</text>']
    for i, day in enumerate(days):
        y = height
        for j, region in enumerate(regions):
            value = evidence.by_day[day].get(region, 0)
            if not value:
                continue
            h = (height - 20) * value / top
            y -= h
            color = _COLORS[j % len(_COLORS)] if region in EU_MEMBER_STATE_REGIONS else _OUTSIDE
            parts.append(f'<rect x="{pad + i * bar + 2:.1f}" y="{y:.1f}" width="{max(bar - 4, 1):.1f}" height="{h:.1f}"'
                         f' fill="{color}"><title>{html.escape(day)} {html.escape(region)}: {value:,}</title></rect>')
        outside = sum(v for r, v in evidence.by_day[day].items() if r not in EU_MEMBER_STATE_REGIONS)
        if outside:  # however thin its bar segment, a day with calls processed outside the EU is marked
            parts.append(f'<text x="{pad + i * bar + bar / 2:.1f}" y="{max(y - 4, 10):.1f}" font-size="11"'
                         f' font-weight="bold" text-anchor="middle" fill="{_OUTSIDE}">▲{outside:,}</text>')
        if len(days) <= 31 or i % max(1, len(days) // 15) == 0:
            parts.append(f'<text x="{pad + i * bar + 2:.1f}" y="{height + 14}" font-size="9">{html.escape(day[5:])}</text>')
    for j, region in enumerate(regions):
        color = _COLORS[j % len(_COLORS)] if region in EU_MEMBER_STATE_REGIONS else _OUTSIDE
        y = height + 34 + 18 * j
        parts.append(f'<rect x="{pad}" y="{y - 10}" width="12" height="12" fill="{color}"/>'
                     f'<text x="{pad + 18}" y="{y}" font-size="12">{html.escape(region)}'
                     f'{"" if region in EU_MEMBER_STATE_REGIONS else " (outside the EU: ▲ marks the days)"}</text>')
    parts.append("</svg>")
    return "".join(parts)


def html_report(evidence: Evidence) -> str:
    """Self-contained: inline CSS and SVG, the Markdown tables as HTML; opens offline."""
    body = [f"<h1>cris-guard residency evidence</h1><p>{html.escape(_window_text(evidence))}</p>",
            f"<p class='{'ok' if evidence.passed else 'bad'}'>{html.escape(_verdict_line(evidence).replace('**', ''))}</p>",
            "<h2>Calls per processing Region per day</h2>", _chart(evidence)]
    table_lines: list[str] = []
    for line in markdown(evidence).splitlines()[2:]:
        if line.startswith("## "):
            body += _flush(table_lines) + [f"<h2>{html.escape(line[3:])}</h2>"]
        elif line.startswith("|"):
            table_lines.append(line)
        elif line.strip():
            body += _flush(table_lines) + [f"<p>{html.escape(line.lstrip('- ').replace('**', '').replace('`', ''))}</p>"]
    body += _flush(table_lines)
    style = ("body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse}"
             "td,th{border:1px solid #d0d7de;padding:3px 8px;font-size:13px}.ok{color:#1a7f37}.bad{color:#cf222e;"
             "font-weight:bold}")
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>cris-guard residency evidence</title>"
            f"<style>{style}</style></head><body>{''.join(body)}</body></html>\n")


def _flush(table_lines: list[str]) -> list[str]:
    if not table_lines:
        return []
    rows = [[c.strip().strip("`") for c in line.strip("|").split("|")] for line in table_lines if not set(line) <= set("|-:")]
    table_lines.clear()
    head, *rest = rows
    out = "<table><tr>" + "".join(f"<th>{html.escape(c)}</th>" for c in head) + "</tr>"
    out += "".join("<tr>" + "".join(f"<td>{html.escape(c.replace('**', ''))}</td>" for c in row) + "</tr>" for row in rest)
    return [out + "</table>"]


def write_outputs(evidence: Evidence, out: Path) -> Sequence[Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "evidence.md", out / "evidence.html", out / "summary.json"]
    paths[0].write_text(markdown(evidence), encoding="utf-8")
    paths[1].write_text(html_report(evidence), encoding="utf-8")
    paths[2].write_text(json.dumps(evidence.summary(), indent=2) + "\n", encoding="utf-8")
    return paths


class CsvWriter:
    """``events.csv``, written as events are classified (one row per inference event)."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._handle = path.open("w", newline="", encoding="utf-8")
        self._writer = csv.DictWriter(self._handle, fieldnames=CSV_FIELDS)
        self._writer.writeheader()

    def write(self, event: InferenceEvent) -> None:
        self._writer.writerow({k: csv_cell(v) for k, v in event.row().items()})

    def close(self) -> None:
        self._handle.close()
