"""The evidence questions in SQL: the Athena named queries' text, run locally by DuckDB on the same generated
logs, give the same answers as the Python classifier, with and without a configuration; and a SQL that
drifts from the classifier is caught."""

from __future__ import annotations

import csv
import json
import re

import pytest
import sqlglot

from cris_guard.cli import main
from cris_guard.evidence.local_sql import LocalTable, compare, table_row
from cris_guard.evidence.queries import QUESTIONS, athena_queries, to_duckdb
from cris_guard.evidence.sources import parse_records

from .conftest import REPO_ROOT
from .test_evidence import ACCOUNT, EXPECTED_VERDICTS, record, sample_records, write_logs


@pytest.fixture(scope="module")
def logs(tmp_path_factory):
    root = tmp_path_factory.mktemp("sql-trail")
    write_logs(root, sample_records())  # the 20 MiB file is read by test_evidence; the SQL sees its Bedrock rows
    return root


def _rows(path):
    return list(csv.DictReader(path.open()))


def test_the_athena_sql_run_by_duckdb_gives_the_python_numbers(logs, tmp_path):
    out = tmp_path / "out"
    code = main(["evidence", str(logs), "--from", "2026-11-03", "--to", "2026-11-03", "--engine", "duckdb",
                 "--out", str(out)])
    assert code == 1  # the violations, as without --engine
    summary = json.loads((out / "summary.json").read_text())
    assert summary["sql"]["agrees"] is True and summary["sql"]["disagreements"] == []
    assert summary["by_verdict"] == dict(sorted(EXPECTED_VERDICTS.items()))
    assert [r["eventid"] for r in _rows(out / "queries" / "violations.csv")] == ["violation-bare", "violation-global"]
    assert [r["eventid"] for r in _rows(out / "queries" / "policy-breaches.csv")] == ["breach-bare-in-eu",
                                                                                      "breach-global-in-eu"]
    assert [r["eventid"] for r in _rows(out / "queries" / "refused.csv")] == ["refused-1", "refused-2"]
    routing = {(r["day"], r["inference_region"]): int(r["calls"]) for r in _rows(out / "queries" / "routing-by-day.csv")}
    assert routing == {("2026-11-03", "eu-central-1"): 3, ("2026-11-03", "eu-north-1"): 1,
                       ("2026-11-03", "eu-south-2"): 1, ("2026-11-03", "eu-west-1"): 2,
                       ("2026-11-03", "eu-west-3"): 1, ("2026-11-03", "us-east-1"): 2}
    # 14 Bedrock records (with one outside the window and one not an inference call) make 12 calls.
    assert (summary["sql"]["table_rows"], summary["inference_events"]) == (14, 12)
    assert "## The same questions in SQL" in (out / "evidence.md").read_text()


def test_with_a_configuration_the_sql_names_applications_and_approvals_as_python_does(default_assembly, tmp_path):
    root = tmp_path / "logs"
    write_logs(root, [record("ok"), record("not-approved", model="eu.amazon.nova-pro-v1:0"),
                      record("stranger", principal=f"arn:aws:sts::{ACCOUNT}:assumed-role/someone-else/s")])
    out = tmp_path / "out"
    code = main(["evidence", str(root), "--engine", "duckdb", "--config", str(REPO_ROOT / "config" / "default.yaml"),
                 "--assembly", default_assembly.directory, "--out", str(out)])
    assert code == 1
    assert json.loads((out / "summary.json").read_text())["sql"]["agrees"] is True
    usage = {(r["application"], r["profile_id"], r["verdict"]): int(r["calls"])
             for r in _rows(out / "queries" / "usage-by-application.csv")}
    assert usage == {("claims-assistant", "eu.anthropic.claude-sonnet-4-6", "ok"): 1,
                     ("claims-assistant", "eu.amazon.nova-pro-v1:0", "policy-breach"): 1,
                     ("", "eu.anthropic.claude-sonnet-4-6", "ok"): 1}


def test_compare_fails_when_the_sql_drifts_from_the_classifier(logs, tmp_path):
    """A SQL that forgot an EU Region (eu-south-2) calls an EU call a violation: the comparison names it."""
    from cris_guard.evidence.aggregate import Evidence, digest_batch
    from cris_guard.evidence.sources import Window, folder_files, read_folder

    window = Window()
    evidence = Evidence(window=window, sources=["test"])
    table = LocalTable()
    for batch in read_folder(folder_files(logs, window)):
        digested = digest_batch(batch, window, None, table_rows=True)
        evidence.add_file(digested)
        table.add(digested.table_rows)
        for event in digested.events:
            evidence.add_event(event)
    results = table.run("1970-01-01", "9999-12-30", {})
    assert compare(results, evidence) == []
    drifted = dict(results)
    drifted["violations"] = results["violations"] + [{"eventid": "ok-4"}]
    assert compare(drifted, evidence) == ["violations: SQL 3 call(s), Python 2"]


def test_the_named_queries_are_athena_sql_with_four_parameters():
    queries = athena_queries("cloudtrail_logs", approved={"a": ["eu.x"]}, roles={"r" * 30: "a"})
    assert [q.name for q in queries] == list(QUESTIONS) == ["violations", "policy-breaches", "routing-by-day",
                                                             "usage-by-application", "refused"]
    for query in queries:
        sqlglot.parse_one(query.sql, read="athena")  # raises on a syntax error
        assert query.sql.count("?") == 4 and "json_extract_scalar(additionaleventdata, '$.inferenceRegion')" in query.sql
        assert len(query.description) <= 1024 and "4 execution parameters" in query.description
        assert "?" in to_duckdb(query.sql)
    # A quote in a configured name cannot end the SQL string literal.
    assert "'it''s'" in athena_queries("t", approved={"it's": ["eu.x"]})[0].sql


def test_a_table_row_takes_its_partitions_from_the_s3_key_or_the_record():
    key = f"s3://b/AWSLogs/o-abc123def4/{ACCOUNT}/CloudTrail/eu-west-1/2026/11/04/f.json.gz"
    batch = parse_records(json.dumps({"Records": [record("x")]}).encode(), key)
    row = json.loads(table_row(batch.records[0], key))
    assert (row["account"], row["region"], row["timestamp"]) == (ACCOUNT, "eu-west-1", "2026/11/04")
    assert json.loads(row["additionaleventdata"]) == {"inferenceRegion": "eu-north-1"}
    assert row["useridentity"]["arn"].endswith("/s") and row["eventid"] == "x"
    loose = json.loads(table_row(record("y"), "/tmp/any.json"))
    assert (loose["account"], loose["region"], loose["timestamp"]) == (ACCOUNT, "eu-central-1", "2026/11/03")
    assert re.fullmatch(r"\{.*\}", loose["requestparameters"])
