"""The human summary `make synth` prints is read from the synthesized assembly."""

from __future__ import annotations

from pathlib import Path

from cris_guard.summary import main, render_summary


def test_summary_lists_stacks_routes_applications_and_outputs(default_config, catalog, default_assembly):
    text = render_summary(default_config, catalog, Path(default_assembly.directory))
    lines = text.splitlines()
    assert lines[0].startswith("cris-guard: synthesized 'acme-genai' (residency: eu)")
    assert "Stacks (2):" in lines
    assert any(line.startswith("  acme-genai-eu-central-1") and "eu-central-1" in line for line in lines)
    assert (
        "  eu-west-1     eu.amazon.nova-pro-v1:0                            -> eu-central-1, eu-north-1, eu-west-1, eu-west-3"
        in lines
    )
    assert any(line.startswith("  claims-assistant") and "budget 500 USD/month, role trusted by lambda.amazonaws.com" in line for line in lines)
    assert "  budgets (once per account) in eu-central-1: one per application + the account" in lines
    assert sum("RoleArn" in line for line in lines) == 4
    assert sum("ProfilesArns" in line for line in lines) == 4


def test_summary_without_an_assembly_is_one_line(tmp_path, capsys):
    assert main(["--assembly", str(tmp_path)]) == 2
    assert capsys.readouterr().err == f"cris-guard: {tmp_path}/manifest.json not found; run `make synth` first\n"
