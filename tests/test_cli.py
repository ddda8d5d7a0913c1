"""The `cris-guard` command: every subcommand, its help, and one exit-code contract (0 / 1 / 2)."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from cris_guard import __version__
from cris_guard.cli import main

from .conftest import REPO_ROOT

COMMANDS = [["check"], ["summary"], ["report"], ["scenarios"], ["catalog"], ["catalog", "list"], ["catalog", "refresh"],
            ["evidence"]]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_help_with_an_example(command, capsys):
    assert main([*command, "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Usage: cris-guard {' '.join(command)}")
    if command != ["catalog"]:
        assert "Example:" in out and "cris-guard " in out.split("Example:")[1]


def test_version_comes_from_the_package(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"cris-guard, version {__version__}"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["report", "--bogus"], "cris-guard: No such option '--bogus'"),
        (["frobnicate"], "cris-guard: No such command 'frobnicate'"),
        (["catalog", "refresh"], "cris-guard: Missing option '--region'"),
        (["scenarios", "--scenarios", "/nonexistent/dir"], "cris-guard: /nonexistent/dir: no *.yaml scenario files"),
        (["check", "/nonexistent/c.yaml"], "cris-guard: /nonexistent/c.yaml: configuration file not found"),
        (["summary", "--assembly", "/nonexistent/cdk.out"], "cris-guard: /nonexistent/cdk.out/manifest.json not found"),
        (["report", "--assembly", "/nonexistent/cdk.out", "--no-scenarios"], "cris-guard: /nonexistent/cdk.out/manifest.json not found"),
        (["catalog", "list", "--catalog", "/nonexistent/c.json"], "cris-guard: /nonexistent/c.json: catalog file not found"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "Traceback" not in err, err


def test_check_accepts_a_valid_configuration(capsys):
    assert main(["check", str(REPO_ROOT / "config" / "examples" / "milan.yaml")]) == 0
    assert "milan.yaml is valid: 1 applications in eu-south-1" in capsys.readouterr().out


def test_catalog_list_and_a_dry_run_that_finds_differences(capsys):
    assert main(["catalog", "list", "--config", str(REPO_ROOT / "config" / "examples" / "milan.yaml")]) == 0
    assert "+ project catalog" in capsys.readouterr().out
    import boto3
    from botocore.stub import Stubber

    client = boto3.client("bedrock", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x")
    stub = Stubber(client)
    stub.add_response("list_inference_profiles", {"inferenceProfileSummaries": []})
    stub.add_response("list_foundation_models", {"modelSummaries": []})
    stub.activate()
    # The account reports nothing from eu-west-1: every shipped route from there is a difference: exit 1.
    assert main(["catalog", "refresh", "--region", "eu-west-1", "--dry-run"], client_factory=lambda r: client) == 1
    assert "no longer reported" in capsys.readouterr().out


def test_summary_and_report_of_the_session_assembly(default_assembly, tmp_path, capsys):
    target = tmp_path / "cdk.out"
    shutil.copytree(default_assembly.directory, target)
    assert main(["summary", "--assembly", str(target)]) == 0
    assert capsys.readouterr().out.startswith("cris-guard: synthesized 'acme-genai'")
    out = tmp_path / "report.md"
    assert main(["report", "--assembly", str(target), "--no-scenarios", "--out", str(out)]) == 0
    assert out.read_text().startswith("# cris-guard review report: acme-genai")
    # A template that grants more than the configuration says fails a check: exit 1.
    stack = next(target.glob("acme-genai-eu-central-1.template.json"))
    stack.write_text(stack.read_text().replace('"eu-north-1"', '"us-east-1"', 1))
    code = main(["report", "--assembly", str(target), "--no-scenarios", "--out", str(out)])
    assert code == 1
    report = out.read_text()
    assert "**Verdict: ✘ FAIL: 64 of 65 checks passed, no access scenario evaluated.**" in report
    (failure,) = [line for line in report.splitlines() if line.startswith("- ✘ ")]
    assert failure.startswith("- ✘ claims-assistant in eu-central-1: ApplicationAccessclaimsassistantAccessPolicy")
    assert failure.endswith(": differs from iam_policy: DenyOutsideEuMemberStateRegions")


def test_the_former_module_entry_points_are_aliases(capsys):
    from cris_guard.catalog.__main__ import main as catalog_alias
    from cris_guard.config import main as config_alias

    default, milan = str(REPO_ROOT / "config" / "default.yaml"), str(REPO_ROOT / "config" / "examples" / "milan.yaml")
    assert config_alias([default]) == 0
    alias_check = capsys.readouterr()
    assert main(["check", default]) == 0
    assert capsys.readouterr() == alias_check
    assert catalog_alias(["--config", milan, "list"]) == 0
    alias_list = capsys.readouterr()
    assert main(["catalog", "list", "--config", milan]) == 0
    assert capsys.readouterr() == alias_list and "+ project catalog" in alias_list.out


@pytest.mark.skipif(shutil.which("cris-guard", path=str(REPO_ROOT / ".venv" / "bin")) is None,
                    reason="the console script is installed by `make setup` (pip install -e .)")
def test_the_console_script_runs():
    script = shutil.which("cris-guard", path=str(REPO_ROOT / ".venv" / "bin"))
    result = subprocess.run([script, "check", str(REPO_ROOT / "config" / "default.yaml")], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    result = subprocess.run([sys.executable, "-m", "cris_guard", "--help"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "Usage: cris-guard" in result.stdout


def test_an_installed_package_without_the_evaluator_or_default_config_says_so_in_one_line(monkeypatch, tmp_path, capsys,
                                                                                          default_assembly):
    """A wheel ships neither config/default.yaml nor the npm evaluator: one line each, exit 2, no traceback."""
    import cris_guard.config as config_module
    import cris_guard.policy_eval as policy_eval

    monkeypatch.setattr(config_module, "DEFAULT_CONFIG_PATH", tmp_path / "config" / "default.yaml")
    assert main(["check"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no configuration given" in err and "--config path/to/file.yaml" in err
    monkeypatch.setattr(policy_eval, "evaluator_root", lambda: tmp_path)
    code = main(["scenarios", "--config", str(REPO_ROOT / "config" / "default.yaml"),
                 "--scenarios", str(REPO_ROOT / "scenarios"), "--assembly", default_assembly.directory])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "IAM evaluator unavailable" in err, err


@pytest.mark.parametrize(
    ("cdk_json", "message"),
    [
        ("{not json", "cdk.json: cannot be read as JSON (Expecting property name enclosed in double quotes: line 1 column 2"
                      " (char 1)); fix it, as `cdk synth` reads it too"),
        ("[]", "cdk.json: is a JSON list; it must be an object with \"app\" and \"context\""),
        ('{"context": ["@aws-cdk/core:explicitStackTags"]}', 'cdk.json: "context" is a JSON list; it must be an object of CDK'
                                                             " context keys"),
    ],
)
def test_scenarios_without_an_assembly_say_in_one_line_what_is_wrong_with_cdk_json(
    cdk_json, message, tmp_path, monkeypatch, capsys
):
    # Without --assembly the scenarios synthesize with ./cdk.json's feature flags, as `cdk synth` would.
    (tmp_path / "cdk.json").write_text(cdk_json)
    monkeypatch.chdir(tmp_path)
    code = main(["scenarios", "--config", str(REPO_ROOT / "config" / "default.yaml"), "--scenarios", str(REPO_ROOT / "scenarios")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and message in err and "Traceback" not in err, err
