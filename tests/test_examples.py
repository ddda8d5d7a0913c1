"""The shipped non-default example synthesizes cleanly and its access scenarios hold."""

from __future__ import annotations

import os
import subprocess
import sys

from .conftest import REPO_ROOT

EXAMPLE = REPO_ROOT / "config" / "examples" / "stockholm-paris.yaml"
SCENARIOS = REPO_ROOT / "config" / "examples" / "stockholm-paris-scenarios"


def test_stockholm_paris_example_synthesizes_nag_clean_and_its_scenarios_hold():
    """`python -m cris_guard.scenarios` synthesizes with the cdk-nag packs (a finding would fail it)."""
    env = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    result = subprocess.run(
        [sys.executable, "-m", "cris_guard.scenarios", "--config", str(EXAMPLE), "--scenarios", str(SCENARIOS)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().splitlines()[-1] == "7 scenarios, 84 calls: 84 held, 0 failed"
