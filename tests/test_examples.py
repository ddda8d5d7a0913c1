"""The shipped non-default examples synthesize cleanly and their access scenarios hold."""

from __future__ import annotations

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
        # Private connectivity: the bedrock-runtime endpoint's policy and the network-bound role (docs/network.md).
        ("private-network.yaml", "private-network-scenarios", "8 scenarios, 56 calls: 56 held, 0 failed"),
    ],
)
def test_example_synthesizes_nag_clean_and_its_scenarios_hold(config, scenarios, summary, capsys, monkeypatch):
    """`cris-guard scenarios` synthesizes with the cdk-nag packs (a finding would fail it), in this process,
    with the feature flags of the working directory's cdk.json, as `cdk synth` would."""
    from cris_guard.cli import main

    monkeypatch.chdir(REPO_ROOT)
    code = main(["scenarios", "--config", str(EXAMPLES / config), "--scenarios", str(EXAMPLES / scenarios)])
    captured = capsys.readouterr()
    assert code == 0, captured.out + captured.err
    assert captured.out.strip().splitlines()[-1] == summary
