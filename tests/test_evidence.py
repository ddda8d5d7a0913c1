"""Residency evidence from CloudTrail: generated sample logs with known content give exact counts and exit
codes, from a folder, from S3 (a local moto server is not needed: moto's in-process mock) and from LookupEvents
(botocore Stubber: moto has no LookupEvents)."""

from __future__ import annotations

import concurrent.futures
import csv
import datetime as dt
import gzip
import json
import re
from pathlib import Path

import boto3
import pytest
from botocore.stub import ANY, Stubber

from cris_guard.cli import main
from cris_guard.evidence.classify import EvidencePolicy, classify
from cris_guard.evidence.sources import Window, parse_records

from .conftest import REPO_ROOT

ACCOUNT = "111122223333"
# CloudFormation names a role <stack>-<logical ID>-<suffix>, truncated to 64 characters (the default app's
# claims-assistant role in eu-central-1 is ApplicationAccessclaimsassistantAccess1F1352F3).
ROLE = "arn:aws:sts::111122223333:assumed-role/acme-genai-eu-central-1-ApplicationAccessclaimsassist-AbCdEf1234/s"


def record(event_id, *, region="eu-central-1", inference_region="eu-north-1", model="eu.anthropic.claude-sonnet-4-6",
           name="Converse", error=None, day="2026-11-03", source="bedrock.amazonaws.com", principal=ROLE):
    r = {"eventVersion": "1.11", "eventID": event_id, "eventTime": f"{day}T10:00:00Z", "eventSource": source,
         "eventName": name, "awsRegion": region, "recipientAccountId": ACCOUNT,
         "userIdentity": {"type": "AssumedRole", "arn": principal},
         "requestParameters": {"modelId": model}}
    if inference_region is not None:
        r["additionalEventData"] = {"inferenceRegion": inference_region}
    if error:
        r["errorCode"], r["errorMessage"] = error, "not authorized"
    return r


def sample_records() -> list[dict]:
    """12 inference calls with known verdicts, and unrelated records."""
    return [
        record("ok-1"), record("ok-2", inference_region="eu-west-3"), record("ok-3", inference_region=None),
        record("ok-4", model="arn:aws:bedrock:eu-central-1:111122223333:inference-profile/eu.amazon.nova-2-lite-v1:0",
               inference_region="eu-south-2"),
        record("ok-app", model="arn:aws:bedrock:eu-central-1:111122223333:application-inference-profile/abcdefghijkl",
               inference_region="eu-west-1"),
        record("violation-global", model="global.anthropic.claude-sonnet-4-6", inference_region="us-east-1"),
        record("violation-bare", model="anthropic.claude-sonnet-4-6", region="us-east-1", inference_region=None),
        record("breach-global-in-eu", model="global.anthropic.claude-sonnet-4-6", inference_region="eu-west-1"),
        record("breach-bare-in-eu", model="anthropic.claude-sonnet-4-6", inference_region=None),
        record("refused-1", model="global.anthropic.claude-sonnet-4-6", error="AccessDenied", inference_region=None),
        record("refused-2", model="us.anthropic.claude-sonnet-4-6", error="AccessDeniedException", inference_region=None),
        record("stream-1", name="ConverseStream", inference_region="eu-central-1"),
        record("not-inference", name="ListFoundationModels"),
        record("other-service", source="s3.amazonaws.com", name="GetObject"),
        record("outside-window", day="2026-10-01"),
    ]


def write_logs(root: Path, records: list[dict], *, big: bool = False) -> None:
    """The S3 layout, records split over two days' files (the second day also holds the first day's
    records, as delivery-time names do), a corrupt file, a plain .json file, a file with no Bedrock
    event, and a 20 MiB file."""
    base = root / "AWSLogs" / ACCOUNT / "CloudTrail"
    day1 = base / "eu-central-1" / "2026" / "11" / "03"
    day2 = base / "eu-central-1" / "2026" / "11" / "04"
    us = base / "us-east-1" / "2026" / "11" / "03"
    for folder in (day1, day2, us):
        folder.mkdir(parents=True)
    eu = [r for r in records if r["awsRegion"] == "eu-central-1"]
    (day1 / f"{ACCOUNT}_CloudTrail_eu-central-1_20261103T1005Z_a.json.gz").write_bytes(
        gzip.compress(json.dumps({"Records": eu[:6]}).encode()))
    (day2 / f"{ACCOUNT}_CloudTrail_eu-central-1_20261104T0005Z_b.json").write_text(json.dumps({"Records": eu[6:]}))
    (us / f"{ACCOUNT}_CloudTrail_us-east-1_20261103T1005Z_c.json.gz").write_bytes(
        gzip.compress(json.dumps({"Records": [r for r in records if r["awsRegion"] == "us-east-1"]}).encode()))
    (day1 / f"{ACCOUNT}_CloudTrail_eu-central-1_20261103T1105Z_corrupt.json.gz").write_bytes(
        gzip.compress(b'{"Records": [')[:-4])
    if not big:
        return
    filler = [record(f"filler-{i}", source="ec2.amazonaws.com", name="DescribeInstances") for i in range(40_000)]
    big = json.dumps({"Records": filler}).encode()
    assert len(big) > 20 * 1024 * 1024 // 2
    (day1 / f"{ACCOUNT}_CloudTrail_eu-central-1_20261103T1205Z_big.json.gz").write_bytes(gzip.compress(big + b" " * (21 * 1024 * 1024 - len(big))))


EXPECTED_VERDICTS = {"ok": 5, "unresolved": 1, "violation": 2, "policy-breach": 2, "refused": 2}


@pytest.fixture(scope="module")
def logs(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("trail")
    write_logs(root, sample_records(), big=True)
    return root


def test_classification_of_each_kind_of_record():
    verdicts = {r["eventID"]: (e.verdict if (e := classify(r)) else None) for r in sample_records()}
    assert verdicts["ok-3"] == "ok"  # no additionalEventData: processed in its source Region, EU
    assert verdicts["violation-global"] == "violation" and verdicts["violation-bare"] == "violation"
    assert verdicts["breach-global-in-eu"] == "policy-breach" and verdicts["breach-bare-in-eu"] == "policy-breach"
    assert verdicts["refused-1"] == "refused" and verdicts["ok-app"] == "unresolved"
    assert verdicts["not-inference"] is None and verdicts["other-service"] is None
    event = classify(record("x", inference_region=None))
    assert (event.inference_region, event.inference_region_recorded) == ("eu-central-1", False)


def test_a_profile_the_application_is_not_approved_for_is_a_policy_breach():
    policy = EvidencePolicy(approved={"claims-assistant": frozenset({"eu.amazon.nova-2-lite-v1:0"})},
                            roles={"acme-genai-eu-central-1-ApplicationAccessclaimsassistantAccess1F1352F3": "claims-assistant"})
    event = classify(record("x"), policy)
    assert (event.application, event.verdict) == ("claims-assistant", "policy-breach")
    assert event.reason == "claims-assistant is not approved for eu.anthropic.claude-sonnet-4-6"
    assert classify(record("y", model="eu.amazon.nova-2-lite-v1:0"), policy).verdict == "ok"


def test_a_corrupt_or_foreign_file_is_skipped_with_a_reason():
    assert parse_records(gzip.compress(b"{")[:-3], "f").skipped.startswith("cannot be read (")
    assert parse_records(b'{"Items": []}', "f").skipped == "not a CloudTrail log file (no 'Records' list)"
    assert parse_records(b'{"Records": []}', "f").records == []


def test_evidence_from_a_folder_counts_exactly_and_exits_1_on_violations(logs, tmp_path):
    out = tmp_path / "out"
    code = main(["evidence", str(logs), "--from", "2026-11-03", "--to", "2026-11-03", "--out", str(out)])
    assert code == 1
    summary = json.loads((out / "summary.json").read_text())
    assert summary["window"] == {"from": "2026-11-03", "to": "2026-11-03"}
    assert summary["files_read"] == 4  # the day, the day after (delivery time), us-east-1, the 20 MiB file
    assert [s["reason"][:18] for s in summary["files_skipped"]] == ["cannot be read (EO"]
    assert summary["inference_events"] == 12
    assert summary["by_verdict"] == dict(sorted(EXPECTED_VERDICTS.items()))
    assert summary["by_inference_region"] == {"eu-central-1": 3, "eu-north-1": 1, "eu-south-2": 1, "eu-west-1": 2,
                                              "eu-west-3": 1, "us-east-1": 2}
    assert sorted(v["eventID"] for v in summary["violations"]) == ["violation-bare", "violation-global"]
    assert sorted(v["eventID"] for v in summary["policy_breaches"]) == ["breach-bare-in-eu", "breach-global-in-eu"]
    assert summary["without_inference_region"] == 3
    rows = list(csv.DictReader((out / "events.csv").open()))
    assert len(rows) == 12 and {r["verdict"] for r in rows} == set(EXPECTED_VERDICTS)
    html = (out / "evidence.html").read_text()
    assert "<svg" in html and "http" not in html.split("<body>", 1)[1].replace('xmlns="http://www.w3.org/2000/svg"', "")
    # Red means "outside the EU" only, and a day with such calls is marked however thin its segment.
    assert 'fill="#cf222e">▲2</text>' in html
    assert all("us-east-1" in rect for rect in re.findall(r'<rect[^>]*fill="#cf222e"><title>[^<]*', html))
    md = (out / "evidence.md").read_text()
    assert "| eu-central-1 | us-east-1 | 1 | **no** |" in md and "violation-global" in md


def test_evidence_without_violations_exits_0(tmp_path):
    root = tmp_path / "logs"
    write_logs(root, [record("ok-1"), record("ok-2", inference_region="eu-west-3")])
    assert main(["evidence", str(root), "--out", str(tmp_path / "out")]) == 0
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["by_verdict"] == {"ok": 2}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["evidence"], "SOURCE is missing"),
        (["evidence", "/nonexistent"], "is not a folder"),
        (["evidence", "s3://bucket/prefix"], "reading from S3 needs --from and --to"),
        (["evidence", ".", "--from", "3 Nov"], "--from '3 Nov' is not a date"),
        (["evidence", "--lookup-events"], "--lookup-events needs --region"),
    ],
)
def test_bad_input_is_one_line_exit_2(argv, message, capsys, tmp_path):
    assert main([*argv, "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err


def test_evidence_from_s3_lists_by_day(logs, tmp_path):
    from moto import mock_aws

    with mock_aws():
        s3 = boto3.client("s3", region_name="eu-central-1")
        s3.create_bucket(Bucket="trail", CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
        keys = [f"org/{path.relative_to(logs).as_posix()}" for path in logs.rglob("*")
                if path.is_file() and "big" not in path.name]
        for key in keys:
            s3.put_object(Bucket="trail", Key=key, Body=(logs / key.removeprefix("org/")).read_bytes())
        # a copy in a day folder outside the window: listed, it would double the counts
        in_window = next(key for key in keys if "/2026/11/03/" in key and key.endswith(".json.gz"))
        s3.put_object(Bucket="trail", Key=in_window.replace("/2026/11/03/", "/2026/10/01/"),
                      Body=(logs / in_window.removeprefix("org/")).read_bytes())
        listings = []
        s3.meta.events.register("provide-client-params.s3.ListObjectsV2",
                                lambda params, **_: listings.append((params["Prefix"], params.get("Delimiter"))))
        code = main(["evidence", "s3://trail/org", "--from", "2026-11-03", "--to", "2026-11-03",
                     "--out", str(tmp_path / "out")], client_factory=lambda service, region: s3)
    # Objects are listed only under the window's day folders (and the day after); levels above them one at a time.
    by_day = [prefix for prefix, delimiter in listings if delimiter is None]
    assert by_day and all(prefix.endswith(("/2026/11/03/", "/2026/11/04/")) for prefix in by_day), by_day
    assert all(prefix.count("/") < by_day[0].count("/") for prefix, delimiter in listings if delimiter == "/")
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert code == 1
    assert summary["inference_events"] == 12 and summary["by_verdict"] == dict(sorted(EXPECTED_VERDICTS.items()))
    assert len(summary["files_skipped"]) == 1 and summary["files_skipped"][0]["path"].startswith("s3://trail/org/AWSLogs/")


def test_evidence_from_lookup_events_is_paginated_and_paced(tmp_path, monkeypatch):
    client = boto3.client("cloudtrail", region_name="eu-central-1", aws_access_key_id="x", aws_secret_access_key="x")
    stub = Stubber(client)
    events = [r for r in sample_records() if r["awsRegion"] == "eu-central-1" and r["eventTime"].startswith("2026-11-03")]

    def page(items, token=None):
        body = {"Events": [{"EventId": r["eventID"], "CloudTrailEvent": json.dumps(r)} for r in items]}
        if token:
            body["NextToken"] = token
        return body

    expected = {"LookupAttributes": [{"AttributeKey": "EventSource", "AttributeValue": "bedrock.amazonaws.com"}],
                "MaxResults": 50, "StartTime": ANY, "EndTime": ANY}
    stub.add_response("lookup_events", page(events[:5], "t1"), expected)
    stub.add_response("lookup_events", page(events[5:]), {**expected, "NextToken": "t1"})
    stub.activate()
    sleeps = []
    monkeypatch.setattr("cris_guard.evidence.sources.time.sleep", sleeps.append)
    code = main(["evidence", "--lookup-events", "--region", "eu-central-1", "--from", "2026-11-03", "--to", "2026-11-03",
                 "--out", str(tmp_path / "out")], client_factory=lambda service, region: client)
    stub.assert_no_pending_responses()
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert code == 1 and sleeps == [0.5]
    assert summary["inference_events"] == 11  # the us-east-1 call is recorded in us-east-1, not read here


def test_a_window_reads_the_day_after_but_keeps_only_the_window():
    window = Window(dt.date(2026, 11, 3), dt.date(2026, 11, 3))
    assert window.days() == [dt.date(2026, 11, 3), dt.date(2026, 11, 4)]
    assert window.contains_key("x/AWSLogs/1/CloudTrail/eu-central-1/2026/11/04/f.json.gz")
    assert not window.contains_key("x/AWSLogs/1/CloudTrail/eu-central-1/2026/11/05/f.json.gz")
    assert not window.contains_time("2026-11-04T00:00:01Z") and window.contains_time("2026-11-03T23:59:59Z")


def test_config_and_assembly_name_the_application(default_assembly, tmp_path):
    root = tmp_path / "logs"
    write_logs(root, [record("x")])
    out = tmp_path / "out"
    code = main(["evidence", str(root), "--config", str(REPO_ROOT / "config" / "default.yaml"),
                 "--assembly", default_assembly.directory, "--out", str(out)])
    rows = list(csv.DictReader((out / "events.csv").open()))
    assert code == 0 and len(rows) == 1
    assert (rows[0]["application"], rows[0]["verdict"]) == ("claims-assistant", "ok")


def test_invocation_log_cross_check_counts_both_ways(tmp_path):
    from cris_guard.evidence.invocation_logs import is_record_file

    trail = tmp_path / "trail"
    calls = [record(f"c{i}", inference_region="eu-west-3") for i in range(4)]
    for i, r in enumerate(calls):
        r["requestID"] = f"req-{i}"
    write_logs(trail, calls)
    logs = tmp_path / "logs" / "AWSLogs" / ACCOUNT / "BedrockModelInvocationLogs" / "eu-central-1" / "2026" / "11" / "03" / "10"
    (logs / "data").mkdir(parents=True)

    def log_record(request_id):
        return {"schemaType": "ModelInvocationLog", "timestamp": "2026-11-03T10:00:01Z", "accountId": ACCOUNT,
                "region": "eu-central-1", "requestId": request_id, "operation": "Converse",
                "modelId": "eu.anthropic.claude-sonnet-4-6"}

    # JSON lines, gzip; req-3 has no log record; req-9 has no CloudTrail event
    lines = "\n".join(json.dumps(log_record(r)) for r in ("req-0", "req-1", "req-2", "req-9"))
    (logs / "20261103T1000Z_abc.json.gz").write_bytes(gzip.compress(lines.encode()))
    (logs / "data" / "req-0_input.json.gz").write_bytes(gzip.compress(b'{"big": "payload"}'))
    (logs / "amazon-bedrock-logs-permission-check").write_text("")
    (logs / "20261103T1001Z_bad.json.gz").write_bytes(b"\x1f\x8bnot gzip")
    assert not is_record_file(str(logs / "data" / "req-0_input.json.gz"))
    out = tmp_path / "out"
    assert main(["evidence", str(trail), "--from", "2026-11-03", "--to", "2026-11-03",
                 "--invocation-logs", str(tmp_path / "logs"), "--out", str(out)]) == 0
    check = json.loads((out / "summary.json").read_text())["invocation_log_cross_check"]
    assert check["per_region"] == [{"region": "eu-central-1", "cloudtrail_events": 4, "invocation_log_records": 4,
                                    "matched": 3, "cloudtrail_without_log": 1, "log_without_cloudtrail": 1}]
    assert [u["path"].rsplit("/", 1)[-1] for u in check["unreadable"]] == ["20261103T1001Z_bad.json.gz"]
    assert "| eu-central-1 | 4 | 4 | 3 | 1 | 1 |" in (out / "evidence.md").read_text()


# ---- log-file integrity (digests in AWS's documented structure, signed with a key pair made here) ---------

def _sign_chain(root: Path, private_key, fingerprint: str) -> list[Path]:
    """Two hourly digests over the log files below ``root``, chained, as CloudTrail writes them."""
    import hashlib

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    logs = sorted(p for p in root.rglob("*.json*") if "CloudTrail-Digest" not in p.as_posix())
    folder = root / "AWSLogs" / ACCOUNT / "CloudTrail-Digest" / "eu-central-1" / "2026" / "11" / "04"
    folder.mkdir(parents=True)
    previous_key, previous_signature, paths = None, None, []
    for hour, chunk in enumerate((logs[:2], logs[2:])):
        key = f"AWSLogs/{ACCOUNT}/CloudTrail-Digest/eu-central-1/2026/11/04/{ACCOUNT}_CloudTrail-Digest_eu-central-1_main_eu-central-1_20261104T0{hour}0000Z.json.gz"
        document = {
            "awsAccountId": ACCOUNT, "digestStartTime": f"2026-11-03T2{hour}:00:00Z", "digestEndTime": f"2026-11-04T0{hour}:00:00Z",
            "digestS3Bucket": "trail-bucket", "digestS3Object": key, "digestPublicKeyFingerprint": fingerprint,
            "digestSignatureAlgorithm": "SHA256withRSA", "previousDigestS3Bucket": "trail-bucket" if previous_key else None,
            "previousDigestS3Object": previous_key, "previousDigestHashValue": None, "previousDigestHashAlgorithm": "SHA-256",
            "previousDigestSignature": previous_signature,
            "logFiles": [{"s3Bucket": "trail-bucket", "s3Object": p.relative_to(root).as_posix(), "hashAlgorithm": "SHA-256",
                          "hashValue": hashlib.sha256(gzip.decompress(p.read_bytes()) if p.name.endswith(".gz") else p.read_bytes()).hexdigest()}
                         for p in chunk],
        }
        inflated = json.dumps(document).encode()
        text = (f"{document['digestEndTime']}\ntrail-bucket/{key}\n{hashlib.sha256(inflated).hexdigest()}\n"
                f"{'null' if previous_signature is None else previous_signature}").encode()
        signature = private_key.sign(text, padding.PKCS1v15(), hashes.SHA256()).hex()
        path = root / key
        path.write_bytes(gzip.compress(inflated))
        paths.append(path)
        previous_key, previous_signature = key, signature
    (paths[-1].parent / (paths[-1].name + ".signature")).write_text(previous_signature)  # the newest's S3 metadata
    return paths


@pytest.fixture
def signed(tmp_path):
    import base64

    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    root = tmp_path / "trail"
    write_logs(root, [record("ok-1"), record("ok-2", inference_region="eu-west-3")])
    (next(root.rglob("*corrupt*"))).unlink()  # only intact logs: the digests list every file
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    der = key.public_key().public_bytes(Encoding.DER, PublicFormat.PKCS1)
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps({"PublicKeyList": [{"Value": base64.b64encode(der).decode(), "Fingerprint": "fp1",
                                                    "ValidityStartTime": "2026-01-01", "ValidityEndTime": "2027-01-01"}]}))
    return root, _sign_chain(root, key, "fp1"), keys


def test_verify_digests_passes_on_intact_logs(signed, tmp_path):
    root, digests, keys = signed
    out = tmp_path / "out"
    assert main(["evidence", str(root), "--verify-digests", "--public-keys", str(keys), "--out", str(out)]) == 0
    integrity = json.loads((out / "summary.json").read_text())["integrity"]
    assert integrity["digests_valid"] == 2 and integrity["logs_valid"] == 3
    assert integrity["logs_invalid"] == [] and integrity["digests_invalid"] == [] and integrity["logs_not_in_a_digest"] == []


def test_verify_digests_names_a_changed_log_file(signed, tmp_path):
    root, _, keys = signed
    log = next(p for p in root.rglob("*_a.json.gz"))
    log.write_bytes(gzip.compress(gzip.decompress(log.read_bytes()).replace(b"ok-2", b"ok-3")))  # one byte
    out = tmp_path / "out"
    assert main(["evidence", str(root), "--verify-digests", "--public-keys", str(keys), "--out", str(out)]) == 1
    integrity = json.loads((out / "summary.json").read_text())["integrity"]
    assert integrity["logs_invalid"] == [{"path": str(log), "reason": "SHA-256 differs from its digest (changed)"}]
    assert "Log-file integrity check failed" in (out / "evidence.md").read_text()


def test_verify_digests_names_a_changed_digest(signed, tmp_path):
    root, digests, keys = signed
    document = json.loads(gzip.decompress(digests[0].read_bytes()))
    document["logFiles"][0]["hashValue"] = "0" * 64
    digests[0].write_bytes(gzip.compress(json.dumps(document).encode()))
    out = tmp_path / "out"
    assert main(["evidence", str(root), "--verify-digests", "--public-keys", str(keys), "--out", str(out)]) == 1
    integrity = json.loads((out / "summary.json").read_text())["integrity"]
    assert integrity["digests_invalid"] == [{"path": str(digests[0]), "reason": "signature does not match (changed or forged)"}]
    assert integrity["digests_valid"] == 1 and len(integrity["logs_not_in_a_digest"]) == 2



def test_a_failed_call_routed_outside_the_eu_is_a_violation_and_failed_calls_are_listed():
    routed = classify(record("f1", model="global.x", inference_region="us-east-1", error="ModelStreamErrorException"))
    assert routed.verdict == "violation"
    throttled = classify(record("f2", inference_region=None, error="ThrottlingException"))
    assert throttled.verdict == "failed"
    # Made in a non-EU source Region, failed, no processing Region recorded: nothing shows it was processed
    # (a failed call, listed), while the same call that succeeded there is a violation.
    failed_abroad = classify(record("f3", region="us-east-1", inference_region=None, error="ThrottlingException"))
    assert (failed_abroad.verdict, failed_abroad.inference_region) == ("failed", "us-east-1")
    assert classify(record("f4", region="us-east-1", inference_region=None)).verdict == "violation"


def test_failed_calls_are_listed_in_the_summary_and_the_report(tmp_path):
    root = tmp_path / "logs"
    write_logs(root, [record("ok-1"), record("f2", inference_region=None, error="ThrottlingException")])
    out = tmp_path / "out"
    assert main(["evidence", str(root), "--out", str(out)]) == 0
    assert [e["eventID"] for e in json.loads((out / "summary.json").read_text())["failed"]] == ["f2"]
    assert any(line.startswith("| f2 |") for line in (out / "evidence.md").read_text().splitlines())


def test_a_model_id_that_looks_like_a_formula_is_quoted_in_the_csv(tmp_path):
    root = tmp_path / "logs"
    write_logs(root, [record("x", model='=HYPERLINK("http://example.com")', inference_region="us-east-1")])
    out = tmp_path / "out"
    main(["evidence", str(root), "--out", str(out)])
    (row,) = csv.DictReader((out / "events.csv").open())
    assert row["modelId"] == "'" + '=HYPERLINK("http://example.com")'


def test_an_application_profile_is_judged_by_the_profile_it_wraps():
    arn = "arn:aws:bedrock:eu-central-1:111122223333:application-inference-profile/abcdefghijkl"
    wraps_global = EvidencePolicy(application_profiles={"abcdefghijkl": "global.anthropic.claude-sonnet-4-6"})
    assert classify(record("a", model=arn, inference_region="eu-west-1"), wraps_global).verdict == "policy-breach"
    wraps_eu = EvidencePolicy(application_profiles={"abcdefghijkl": "eu.anthropic.claude-sonnet-4-6"})
    assert classify(record("b", model=arn, inference_region="eu-west-1"), wraps_eu).verdict == "ok"
    assert classify(record("c", model=arn, inference_region="eu-west-1")).verdict == "unresolved"


def test_the_same_event_delivered_twice_is_counted_once(tmp_path):
    root = tmp_path / "logs"
    write_logs(root, [record("dup-1", model="global.x", inference_region="us-east-1")])
    shutil_copy = root / "AWSLogs" / ACCOUNT / "CloudTrail" / "eu-central-1" / "2026" / "11" / "03"
    data = next(shutil_copy.glob("*_a.json.gz")).read_bytes()
    (shutil_copy / f"{ACCOUNT}_CloudTrail_eu-central-1_20261103T1006Z_orgtrail.json.gz").write_bytes(data)
    out = tmp_path / "out"
    assert main(["evidence", str(root), "--out", str(out)]) == 1
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["inference_events"], summary["duplicates"], len(summary["violations"])) == (1, 1, 1)


def test_region_and_account_filters_apply_to_records_in_any_folder(tmp_path):
    flat = tmp_path / "flat"
    flat.mkdir()
    (flat / "export.json").write_text(json.dumps({"Records": [record("eu"), record("us", region="us-east-1",
                                                                                     inference_region="us-east-1")]}))
    out = tmp_path / "out"
    assert main(["evidence", str(flat), "--region", "eu-central-1", "--out", str(out)]) == 0
    assert json.loads((out / "summary.json").read_text())["inference_events"] == 1

    foreign = record("foreign")
    foreign["recipientAccountId"] = "999999999999"
    (flat / "export.json").write_text(json.dumps({"Records": [record("ours"), foreign]}))
    assert main(["evidence", str(flat), "--account", ACCOUNT, "--out", str(out)]) == 0
    assert json.loads((out / "summary.json").read_text())["inference_events"] == 1


def test_nothing_read_is_bad_input_not_a_pass(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["evidence", str(tmp_path / "empty"), "--out", str(tmp_path / "out")]) == 2
    assert "nothing was read from" in capsys.readouterr().err


def test_a_caller_chosen_model_id_cannot_break_the_markdown_table(tmp_path):
    root = tmp_path / "logs"
    write_logs(root, [record("x", model="global.x| fake | cells\n| row", inference_region="us-east-1")])
    out = tmp_path / "out"
    main(["evidence", str(root), "--out", str(out)])
    line = next(l for l in (out / "evidence.md").read_text().splitlines() if l.startswith("| x |"))
    assert line.count(" | ") == 5 and "\\|" in line


def test_verify_digests_fails_when_a_listed_log_or_a_chain_link_is_deleted(signed, tmp_path):
    root, digests, keys = signed
    log = next(root.rglob("*_c.json.gz"))
    log.unlink()
    out = tmp_path / "out"
    assert main(["evidence", str(root), "--verify-digests", "--public-keys", str(keys), "--out", str(out)]) == 1
    integrity = json.loads((out / "summary.json").read_text())["integrity"]
    assert integrity["passed"] is False and integrity["logs_missing"] == [log.relative_to(root).as_posix()]


def test_verify_digests_fails_when_a_digest_in_the_chain_is_deleted(signed, tmp_path):
    root, digests, keys = signed
    digests[0].unlink()
    out = tmp_path / "out"
    assert main(["evidence", str(root), "--verify-digests", "--public-keys", str(keys), "--out", str(out)]) == 1
    integrity = json.loads((out / "summary.json").read_text())["integrity"]
    assert integrity["passed"] is False and integrity["digests_missing"] == [digests[0].relative_to(root).as_posix()]


def test_verify_digests_fails_when_no_valid_digest_vouches_for_a_log(signed, tmp_path):
    root, _, keys = signed
    document = json.loads(keys.read_text())
    document["PublicKeyList"][0]["Fingerprint"] = "another"
    keys.write_text(json.dumps(document))
    out = tmp_path / "out"
    assert main(["evidence", str(root), "--verify-digests", "--public-keys", str(keys), "--out", str(out)]) == 1
    integrity = json.loads((out / "summary.json").read_text())["integrity"]
    assert integrity["digests_valid"] == 0 and len(integrity["digests_unverifiable"]) == 2
    assert len(integrity["logs_not_in_a_digest"]) == 3


def test_the_parallel_reader_gives_the_same_evidence_as_the_serial_one(logs, tmp_path, monkeypatch):
    import cris_guard.evidence.command as command

    assert len(list(logs.rglob("*.json*"))) >= 4  # enough files for the worker processes
    pools, real_pool = [], concurrent.futures.ProcessPoolExecutor

    def spy(max_workers):
        pools.append(max_workers)
        return real_pool(max_workers=max_workers)

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", spy)
    monkeypatch.setattr(command.os, "cpu_count", lambda: 2)
    main(["evidence", str(logs), "--from", "2026-11-03", "--to", "2026-11-03", "--out", str(tmp_path / "parallel")])
    assert pools == [2]  # the parallel path was taken, on both cores
    monkeypatch.setattr(command.os, "cpu_count", lambda: 1)
    main(["evidence", str(logs), "--from", "2026-11-03", "--to", "2026-11-03", "--out", str(tmp_path / "serial")])
    assert (tmp_path / "parallel" / "summary.json").read_text() == (tmp_path / "serial" / "summary.json").read_text()
    assert (tmp_path / "parallel" / "events.csv").read_text() == (tmp_path / "serial" / "events.csv").read_text()
    assert pools == [2]  # one core: no pool


def test_when_a_worker_dies_the_rest_is_read_in_this_process(logs, tmp_path, monkeypatch):
    import cris_guard.evidence.command as command

    class DiesAfterOneFile:
        def __init__(self, max_workers):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def map(self, fn, *iterables, chunksize=1):
            yield fn(*next(zip(*iterables)))
            raise concurrent.futures.process.BrokenProcessPool("a worker was killed")

    argv = ["evidence", str(logs), "--from", "2026-11-03", "--to", "2026-11-03", "--out"]
    monkeypatch.setattr(command.os, "cpu_count", lambda: 1)
    main([*argv, str(tmp_path / "serial")])
    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", DiesAfterOneFile)
    monkeypatch.setattr(command.os, "cpu_count", lambda: 2)
    main([*argv, str(tmp_path / "broken")])
    assert (tmp_path / "broken" / "summary.json").read_text() == (tmp_path / "serial" / "summary.json").read_text()



def test_application_profiles_file_resolves_calls_through_them(logs, tmp_path):
    mapping = tmp_path / "app-profiles.json"
    mapping.write_text(json.dumps({"abcdefghijkl": "eu.anthropic.claude-sonnet-4-6"}))
    out = tmp_path / "out"
    main(["evidence", str(logs), "--from", "2026-11-03", "--to", "2026-11-03", "--application-profiles", str(mapping),
          "--out", str(out)])
    assert json.loads((out / "summary.json").read_text())["by_verdict"]["ok"] == 6
    mapping.write_text("[]")
    assert main(["evidence", str(logs), "--application-profiles", str(mapping), "--out", str(out)]) == 2


def _upload_signed(s3, root: Path) -> None:
    """The signed folder as the trail writes it to S3: the newest digest's signature in its S3 metadata."""
    s3.create_bucket(Bucket="trail-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    for path in root.rglob("*"):
        if not path.is_file() or path.name.endswith(".signature"):
            continue
        sidecar = path.with_name(path.name + ".signature")
        metadata = {"signature": sidecar.read_text(), "signature-algorithm": "SHA256withRSA"} if sidecar.is_file() else {}
        s3.put_object(Bucket="trail-bucket", Key=path.relative_to(root).as_posix(), Body=path.read_bytes(),
                      Metadata=metadata)


def test_verify_digests_straight_from_s3_passes_and_names_a_changed_object(signed, tmp_path):
    from moto import mock_aws

    root, _, keys = signed
    argv = ["evidence", "s3://trail-bucket", "--from", "2026-11-03", "--to", "2026-11-03", "--verify-digests",
            "--public-keys", str(keys)]
    with mock_aws():
        s3 = boto3.client("s3", region_name="eu-central-1")
        _upload_signed(s3, root)
        assert main([*argv, "--out", str(tmp_path / "ok")], client_factory=lambda service, region: s3) == 0
        integrity = json.loads((tmp_path / "ok" / "summary.json").read_text())["integrity"]
        # Both digests verify: the newest through its S3 metadata signature, no sidecar file needed.
        assert (integrity["digests_valid"], integrity["logs_valid"], integrity["digests_unverifiable"]) == (2, 3, [])
        key = next(p.relative_to(root).as_posix() for p in root.rglob("*_a.json.gz"))
        body = gzip.compress(gzip.decompress((root / key).read_bytes()).replace(b"ok-2", b"ok-3"))
        s3.put_object(Bucket="trail-bucket", Key=key, Body=body)
        assert main([*argv, "--out", str(tmp_path / "bad")], client_factory=lambda service, region: s3) == 1
    integrity = json.loads((tmp_path / "bad" / "summary.json").read_text())["integrity"]
    assert integrity["logs_invalid"] == [{"path": f"s3://trail-bucket/{key}",
                                          "reason": "SHA-256 differs from its digest (changed)"}]


def test_verify_digests_takes_the_public_keys_from_the_account_when_no_file_is_given(signed, tmp_path):
    root, _, keys = signed
    document = json.loads(keys.read_text())
    import base64

    client = boto3.client("cloudtrail", region_name="eu-central-1")
    with Stubber(client) as stub:
        stub.add_response("list_public_keys", {"PublicKeyList": [
            {"Value": base64.b64decode(document["PublicKeyList"][0]["Value"]), "Fingerprint": "fp1"}]},
            {"StartTime": dt.datetime(2026, 11, 3, tzinfo=dt.timezone.utc),
             "EndTime": dt.datetime(2026, 11, 5, tzinfo=dt.timezone.utc)})
        code = main(["evidence", str(root), "--from", "2026-11-03", "--to", "2026-11-03", "--verify-digests",
                     "--out", str(tmp_path / "out")], client_factory=lambda service, region: client)
        stub.assert_no_pending_responses()
    assert code == 0
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["integrity"]["digests_valid"] == 2


def test_verify_digests_without_keys_or_permission_is_one_line_exit_2(signed, tmp_path, capsys):
    root, _, _ = signed
    client = boto3.client("cloudtrail", region_name="eu-central-1")
    with Stubber(client) as stub:
        stub.add_client_error("list_public_keys", "AccessDeniedException")
        code = main(["evidence", str(root), "--verify-digests", "--out", str(tmp_path / "out")],
                    client_factory=lambda service, region: client)
    assert code == 2
    assert capsys.readouterr().err.strip() == (
        "cris-guard: --verify-digests: cloudtrail:ListPublicKeys failed (AccessDeniedException); allow it, or pass"
        " --public-keys FILE with what `aws cloudtrail list-public-keys` prints")


def test_application_profiles_are_resolved_from_the_account_by_their_routes(logs, tmp_path, catalog):
    from cris_guard.evidence.app_profiles import wrapped_profile

    sonnet = "eu.anthropic.claude-sonnet-4-6"
    routes = catalog.destinations(sonnet, "eu-central-1")
    models = [f"arn:aws:bedrock:{r}::foundation-model/anthropic.claude-sonnet-4-6" for r in routes]
    assert wrapped_profile("eu-central-1", models, catalog) == sonnet
    assert wrapped_profile("eu-central-1", models[:1], catalog) == "anthropic.claude-sonnet-4-6"  # a model copy
    assert wrapped_profile("eu-central-1", [*models, models[0].replace(routes[0], "us-east-1")], catalog) == (
        "a cross-Region copy of anthropic.claude-sonnet-4-6 reaching us-east-1")
    assert wrapped_profile("eu-central-1", models[:2], catalog) == ""  # no catalog profile routes so: unresolved

    client = boto3.client("bedrock", region_name="eu-central-1")
    with Stubber(client) as stub:
        stub.add_response("list_inference_profiles", {"inferenceProfileSummaries": [
            {"inferenceProfileName": "p", "inferenceProfileArn": "arn:aws:bedrock:eu-central-1:111122223333:"
             "application-inference-profile/abcdefghijkl", "inferenceProfileId": "abcdefghijkl", "status": "ACTIVE",
             "type": "APPLICATION", "models": [{"modelArn": m} for m in models]}], "nextToken": "t"},
            {"typeEquals": "APPLICATION"})
        stub.add_response("list_inference_profiles", {"inferenceProfileSummaries": []},
                          {"typeEquals": "APPLICATION", "nextToken": "t"})
        out = tmp_path / "out"
        main(["evidence", str(logs), "--from", "2026-11-03", "--to", "2026-11-03", "--region", "eu-central-1",
              "--application-profiles-from-account", "--out", str(out)], client_factory=lambda service, region: client)
        stub.assert_no_pending_responses()
    summary = json.loads((out / "summary.json").read_text())
    # ok-app is judged through the eu. profile it copies (5 ok without it); --region leaves the us-east-1 call out.
    assert summary["by_verdict"]["ok"] == 6 and "unresolved" not in summary["by_verdict"]
    assert main(["evidence", str(logs), "--application-profiles-from-account", "--out", str(out)]) == 2
