"""The README's example of `cris-guard evidence`: sample CloudTrail files, the report, and a picture of it.

    .venv/bin/python tools/render_evidence.py --out docs/evidence.png

Writes two weeks of generated CloudTrail traffic of the default configuration's two applications (routed
over the EU destination Regions of their profiles from eu-central-1 and eu-west-1, with one call through a
``global.`` profile that ran in us-east-1, one direct model call, and refused attempts) into a scratch folder,
runs ``cris-guard evidence --engine duckdb --config config/default.yaml --assembly cdk.out`` on it (run
``make synth`` first), and screenshots the self-contained ``evidence.html`` with headless Chromium.

Chromium is Debian's ``chromium`` package; when it is missing this script installs it with apt-get (as root),
since nothing else in the project needs a browser. No network is used by the page itself: it is self-contained.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
ACCOUNT = "111122223333"
ROLES = {  # as CloudFormation names the default configuration's roles (<stack>-<logical ID>-<suffix>)
    "claims-assistant": "acme-genai-{region}-ApplicationAccessclaimsassist-Q1W2E3R4T5Y6",
    "contract-search": "acme-genai-{region}-ApplicationAccesscontractsear-A9S8D7F6G5H4",
}
PROFILES = {"claims-assistant": ["eu.anthropic.claude-sonnet-4-6", "eu.amazon.nova-2-lite-v1:0"],
            "contract-search": ["eu.cohere.embed-v4:0", "eu.amazon.nova-pro-v1:0"]}


def _record(rng: random.Random, n: int, day: dt.date, region: str, app: str, model: str, inference: str | None,
            error: str | None = None) -> dict:
    role = ROLES[app].format(region=region)
    record = {"eventVersion": "1.11", "eventID": f"{n:08d}-0000-4000-8000-{rng.getrandbits(48):012x}",
              "eventTime": f"{day}T{rng.randrange(7, 20):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}Z",
              "eventSource": "bedrock.amazonaws.com", "eventName": rng.choice(["Converse", "InvokeModel", "ConverseStream"]),
              "awsRegion": region, "recipientAccountId": ACCOUNT, "requestID": f"req-{n}",
              "userIdentity": {"type": "AssumedRole", "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/session"},
              "requestParameters": {"modelId": model}}
    if inference:
        record["additionalEventData"] = {"inferenceRegion": inference}
    if error:
        record["errorCode"], record["errorMessage"] = error, "not authorized"
    return record


def write_sample(root: Path) -> None:
    from cris_guard.catalog import load_catalog

    catalog, rng, n = load_catalog(), random.Random(2026), 0
    start = dt.date(2026, 11, 16)
    for offset in range(14):
        day = start + dt.timedelta(days=offset)
        for region in ("eu-central-1", "eu-west-1"):
            records = []
            for app, profiles in PROFILES.items():
                for _ in range(rng.randrange(40, 90) if day.weekday() < 5 else rng.randrange(5, 15)):
                    profile = rng.choice(profiles)
                    n += 1
                    records.append(_record(rng, n, day, region, app, profile, rng.choice(catalog.destinations(profile, region))))
            if offset == 9 and region == "eu-central-1":
                records.append(_record(rng, 90001, day, region, "claims-assistant", "global.anthropic.claude-sonnet-4-6",
                                       "us-east-1"))
                records.append(_record(rng, 90002, day, region, "contract-search", "anthropic.claude-sonnet-4-6", None))
                records.append(_record(rng, 90003, day, region, "contract-search", "us.anthropic.claude-sonnet-4-6",
                                       None, "AccessDenied"))
            folder = root / "AWSLogs" / ACCOUNT / "CloudTrail" / region / f"{day:%Y/%m/%d}"
            folder.mkdir(parents=True, exist_ok=True)
            name = f"{ACCOUNT}_CloudTrail_{region}_{day:%Y%m%d}T2355Z_sample.json.gz"
            (folder / name).write_bytes(gzip.compress(json.dumps({"Records": records}).encode()))


def _chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        if path := shutil.which(name):
            return path
    print("installing Debian's chromium (apt-get) for the screenshot", file=sys.stderr)
    subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", "chromium"], check=True)
    return shutil.which("chromium") or sys.exit("chromium is not installed; install Debian's chromium package")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "docs" / "evidence.png")
    parser.add_argument("--assembly", type=Path, default=REPO_ROOT / "cdk.out")
    args = parser.parse_args()
    if not (args.assembly / "manifest.json").is_file():
        sys.exit(f"{args.assembly}: no synthesized app; run `make synth` first")
    work = Path(tempfile.mkdtemp(prefix="cris-guard-evidence-"))
    try:
        write_sample(work / "trail")
        subprocess.run([sys.executable, "-m", "cris_guard", "evidence", str(work / "trail"), "--from", "2026-11-16",
                        "--to", "2026-11-29", "--engine", "duckdb", "--config", str(REPO_ROOT / "config" / "default.yaml"),
                        "--assembly", str(args.assembly), "--out", str(work / "evidence")], check=False)
        subprocess.run([_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                        "--disable-component-update", "--no-first-run", "--hide-scrollbars", f"--user-data-dir={work / 'profile'}",
                        "--window-size=1000,1150", f"--screenshot={args.out.resolve()}",
                        (work / "evidence" / "evidence.html").as_uri()], check=True, capture_output=True)
        print(f"wrote {args.out}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
