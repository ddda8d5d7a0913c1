"""The shipped non-default examples synthesize cleanly and their access scenarios hold."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from .conftest import REPO_ROOT

EXAMPLES = REPO_ROOT / "config" / "examples"


@pytest.mark.parametrize(
    ("config", "scenarios", "summary"),
    [
        # Guardrail profiles, an enforced guardrail, the Responses API, two Regions.
        ("stockholm-paris.yaml", "stockholm-paris-scenarios", "18 scenarios, 113 calls: 113 held, 0 failed"),
        # A project catalog: the generated IAM follows its hand-written entry (eu.anthropic.claude-opus-5).
        ("milan.yaml", "milan-scenarios", "5 scenarios, 44 calls: 44 held, 0 failed"),
    ],
)
def test_example_synthesizes_nag_clean_and_its_scenarios_hold(config, scenarios, summary):
    """`cris-guard scenarios` synthesizes with the cdk-nag packs (a finding would fail it)."""
    env = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    result = subprocess.run(
        [sys.executable, "-m", "cris_guard", "scenarios", "--config", str(EXAMPLES / config),
         "--scenarios", str(EXAMPLES / scenarios)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().splitlines()[-1] == summary
