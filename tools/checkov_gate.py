"""The verdict of `make scan`: checkov's JSON results for cdk.out, as one line and an exit status.

    .scan-venv/bin/python tools/checkov_gate.py .build/checkov-results.json cdk.out

checkov itself exits 1 on a failed check, but 0 when a template could not be parsed (it then scans fewer
templates and reports the rest as passed) and 0 when it found no template at all. This script fails on
those too. Standard library only: it runs in checkov's own virtual environment (.scan-venv).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

COUNTS = ("passed", "failed", "skipped", "parsing_errors", "resource_count")


def summarize(results: object) -> dict[str, object]:
    """Totals over checkov's ``-o json`` output: one report (a dict with ``summary``), one per framework
    (a list of them), or a bare summary when nothing was found."""
    reports = results if isinstance(results, list) else [results]
    totals: dict[str, object] = {key: 0 for key in COUNTS}
    versions = set()
    for report in reports:
        summary = report.get("summary", report) if isinstance(report, dict) else {}
        for key in COUNTS:
            totals[key] = int(totals[key]) + int(summary.get(key, 0) or 0)  # type: ignore[call-overload]
        if summary.get("checkov_version"):
            versions.add(str(summary["checkov_version"]))
    totals["checkov_version"] = ", ".join(sorted(versions)) or "?"
    return totals


def verdict(totals: dict[str, object], templates: int) -> tuple[bool, str]:
    line = (
        f"checkov {totals['checkov_version']}: {templates} templates, {totals['resource_count']} resources:"
        f" {totals['passed']} passed, {totals['failed']} failed, {totals['skipped']} skipped,"
        f" {totals['parsing_errors']} parsing errors"
    )
    problems = []
    if totals["failed"]:
        problems.append("fix each failed check, or skip it with a specific reason (cris_guard.checkov.checkov_skip)")
    if totals["parsing_errors"]:
        problems.append("checkov could not parse a template, so it was not checked")
    if not templates or not totals["resource_count"]:
        problems.append("no template was scanned; run `make synth` first")
    return not problems, line + "".join(f"\ncheckov: FAIL: {p}" for p in problems)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: checkov_gate.py RESULTS_JSON ASSEMBLY_DIR", file=sys.stderr)
        return 2
    results_file, assembly = Path(argv[0]), Path(argv[1])
    try:
        results = json.loads(results_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"checkov: FAIL: no readable results in {results_file} ({exc})", file=sys.stderr)
        return 1
    templates = len(list(assembly.rglob("*.template.json")))
    ok, text = verdict(summarize(results), templates)
    print(text)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
