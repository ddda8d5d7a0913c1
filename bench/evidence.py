#!/usr/bin/env python3
"""Benchmark `cris-guard evidence` on generated CloudTrail files, against the floor of merely decompressing them.

    .venv/bin/python bench/evidence.py [--megabytes 512,2048] [--workdir /tmp/cris-guard-evidence-bench]

A generator writes realistic CloudTrail files in the S3 layout (mixed services, about 5 % Bedrock inference
calls, some files over 16 MiB uncompressed) until the uncompressed total reaches ``--megabytes``. The benchmark
then times, in the same run and on the same files:

- the floor: ``gzip -dc <files> > /dev/null`` (plain decompression, no parsing);
- ``cris-guard evidence <folder>`` (decompress, parse, classify, count, write the reports);

and prints events per second, MB per second, peak memory (the largest RSS of any one process: the command or
one of its per-core reader processes, so the total is at most that times the cores plus one) and the ratio
``evidence seconds / floor seconds``. The issue's goal is a ratio of 1.0 or less on the 2-core machine with
peak memory under 1 GB at any size; this script measures, it does not assert.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ACCOUNT = "111122223333"
OTHER = [("ec2.amazonaws.com", "DescribeInstances"), ("s3.amazonaws.com", "GetObject"),
         ("sts.amazonaws.com", "AssumeRole"), ("kms.amazonaws.com", "Decrypt"), ("logs.amazonaws.com", "PutLogEvents")]
EU = ["eu-central-1", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-3"]


def _record(rng: random.Random, index: int, day: str) -> dict:
    base = {"eventVersion": "1.11", "eventID": f"{index:012x}-bench", "eventTime": f"{day}T{rng.randrange(24):02d}:00:00Z",
            "awsRegion": "eu-central-1", "recipientAccountId": ACCOUNT, "sourceIPAddress": "10.0.0.1",
            "userAgent": "aws-sdk-python/1.44.5 Python/3.11 exec-env/AWS_Lambda_python3.11",
            "userIdentity": {"type": "AssumedRole", "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/app-role-{index % 7}/s",
                             "accountId": ACCOUNT},
            "requestID": f"req-{index}", "readOnly": False, "managementEvent": True, "eventType": "AwsApiCall"}
    if rng.random() < 0.05:
        base.update(eventSource="bedrock.amazonaws.com", eventName=rng.choice(["Converse", "InvokeModel", "ConverseStream"]),
                    requestParameters={"modelId": "eu.anthropic.claude-sonnet-4-6"},
                    additionalEventData={"inferenceRegion": rng.choice(EU)})
    else:
        source, name = rng.choice(OTHER)
        # Random hex, so that the files compress about as real CloudTrail does (roughly 4:1), not 60:1.
        words = [f"{rng.getrandbits(64):016x}" for _ in range(rng.randrange(6, 40))]
        base.update(eventSource=source, eventName=name, requestParameters={"instanceIds": words, "key": "/".join(words[:4])},
                    responseElements=None)
    return base


def generate(folder: Path, megabytes: int, seed: int = 7) -> tuple[list[Path], int, int]:
    """Files until ``megabytes`` uncompressed; every 10th file is large (over 16 MiB)."""
    rng = random.Random(seed)
    day_folder = folder / "AWSLogs" / ACCOUNT / "CloudTrail" / "eu-central-1" / "2026" / "11" / "03"
    day_folder.mkdir(parents=True, exist_ok=True)
    files, total, events, index, number = [], 0, 0, 0, 0
    while total < megabytes * 1024 * 1024:
        count = 25_000 if number % 10 == 9 else 2_500
        records = [_record(rng, index + i, "2026-11-03") for i in range(count)]
        index += count
        raw = json.dumps({"Records": records}).encode()
        path = day_folder / f"{ACCOUNT}_CloudTrail_eu-central-1_20261103T{number % 24:02d}{number % 60:02d}Z_{number:05d}.json.gz"
        path.write_bytes(gzip.compress(raw, compresslevel=6))
        files.append(path)
        total += len(raw)
        events += count
        number += 1
    return files, total, events


def _timed(command: list[str]) -> tuple[float, float]:
    """Wall seconds and the child's peak RSS in MB."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    subprocess.run(command, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    peak = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before) / 1024
    return seconds, peak


def measure(workdir: Path, megabytes: int) -> dict:
    """Generate ``megabytes`` of files in ``workdir``, time the floor and the command on them, print and return."""
    shutil.rmtree(workdir, ignore_errors=True)
    files, total, events = generate(workdir / "trail", megabytes)
    compressed = sum(p.stat().st_size for p in files)
    print(f"\n{megabytes:,} MB: generated {len(files)} files: {total / 2**20:,.0f} MB uncompressed,"
          f" {compressed / 2**20:,.0f} MB gzipped, {events:,} events")
    floor, _ = _timed(["sh", "-c", "gzip -dc \"$@\" > /dev/null", "gzip", *map(str, files)])
    evidence, peak = _timed([sys.executable, "-m", "cris_guard", "evidence", str(workdir / "trail"),
                             "--out", str(workdir / "out")])
    print(f"  floor (gzip -dc):    {floor:6.2f} s  {total / 2**20 / floor:7.1f} MB/s")
    print(f"  cris-guard evidence: {evidence:6.2f} s  {total / 2**20 / evidence:7.1f} MB/s"
          f"  {events / evidence:,.0f} events/s  peak RSS {peak:,.0f} MB")
    print(f"  ratio evidence/floor: {evidence / floor:.2f} (goal: at most 1.0)")
    shutil.rmtree(workdir, ignore_errors=True)
    return {"megabytes": megabytes, "ratio": evidence / floor, "peak_mb": peak}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--megabytes", default="512,2048",
                        help="uncompressed sizes to generate, comma-separated (default 512,2048: memory must not grow)")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/cris-guard-evidence-bench"))
    args = parser.parse_args()
    try:
        sizes = [int(v) for v in args.megabytes.split(",") if v.strip()]
    except ValueError:
        parser.error(f"--megabytes {args.megabytes!r}: give sizes in MB, e.g. 512,2048")
    import os

    print(f"cores: {os.cpu_count()}; peak RSS is the largest of any one process (the command or one reader)")
    results = [measure(args.workdir / f"{size}mb", size) for size in sizes]
    if len(results) > 1:
        print("\nsize -> ratio, peak RSS: " + "; ".join(
            f"{r['megabytes']:,} MB -> {r['ratio']:.2f}, {r['peak_mb']:,.0f} MB" for r in results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
