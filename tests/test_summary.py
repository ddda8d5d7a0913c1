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
    # The alert-subscription deadline (issue 17): one mail per Region stack's topic, 48 hours.
    assert lines[-3:] == [
        "Alerts go to: platform-team@example.com",
        "  After the first deploy each address gets 2 confirmation mails (one per alert topic): confirm within 48 hours, or SNS deletes the",
        "  subscription and alerts reach no one there. `cris-guard verify` lists pending subscriptions.",
    ]


def test_summary_without_an_assembly_is_one_line(tmp_path, capsys):
    assert main(["--assembly", str(tmp_path)]) == 2
    assert capsys.readouterr().err == f"cris-guard: {tmp_path}/manifest.json not found; synthesize first (`make synth`)\n"


def test_every_stack_says_whether_it_is_stackset_ready(default_config, catalog, default_assembly):
    lines = render_summary(default_config, catalog, Path(default_assembly.directory)).splitlines()
    central = next(line for line in lines if line.startswith("  acme-genai-eu-central-1 "))
    assert central.endswith("acme-genai-eu-central-1.template.json  StackSet-ready: no (2 file assets,"
                            " CheckBootstrapVersion rule, names account 111122223333)")


def test_a_multi_account_summary_lists_each_account_and_its_stage(multi_account_config, catalog, multi_account_assembly):
    lines = render_summary(multi_account_config, catalog, Path(multi_account_assembly.directory)).splitlines()
    prod = lines.index("Account prod (111122223333), stage 'prod' (deploy with `cdk deploy 'prod/*'`):")
    dev = lines.index("Account dev (444455556666), stage 'dev' (deploy with `cdk deploy 'dev/*'`):")
    assert prod < dev
    assert lines[prod + 1] == "  Stacks (2):"
    assert lines[prod + 2].startswith("    acme-genai-eu-central-1                  eu-central-1 ")
    assert lines[prod + 4] == "    account: 111122223333"
    assert lines[dev + 1:dev + 4] == ["  Stacks (1):", lines[dev + 2], "    account: 444455556666"]
    assert "StackSet-ready: no (2 file assets, CheckBootstrapVersion rule, names account 444455556666)" in lines[dev + 2]
    assert f"    eu-west-3     {'eu.anthropic.claude-sonnet-4-6':<50} -> eu-central-1, eu-north-1, eu-south-1,"\
           " eu-south-2, eu-west-1, eu-west-3" in lines
    assert "    budgets (once per account) in eu-west-3: one per application + the account" in lines
    assert any(line.startswith("  dev/acme-genai-eu-west-3.ApplicationAccessclaimsassistantRoleArn") for line in lines)


def test_a_corrupt_nested_assembly_is_one_line(multi_account_assembly, tmp_path, capsys):
    import shutil

    target = tmp_path / "cdk.out"
    shutil.copytree(multi_account_assembly.directory, target)
    (target / "assembly-dev" / "manifest.json").write_text("not json")
    assert main(["--assembly", str(target)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith(f"cris-guard: {target}/assembly-dev/manifest.json: not valid JSON (")


def test_summary_names_the_project_catalog_unconfirmed_routes_and_legacy_profiles(milan_legacy_example):
    """config/examples/milan.yaml approves a profile from its project catalog; a legacy one warns."""
    config, in_force, outdir, _ = milan_legacy_example
    lines = render_summary(config, in_force, outdir).splitlines()
    assert lines[1] == ("  profile catalog: 24 EU profiles: shipped catalog as of 2026-12-06 (https://docs.aws.amazon.com/bedrock/"
                        "latest/userguide/inference-profiles-support.html) + project catalog milan-catalog.json (1 profile)")
    assert lines[2] == ("  warning: eu.anthropic.claude-sonnet-4-5-20250929-v1:0 (approved for legal-copilot) is legacy since"
                        " 2026-10-08, end of life 2027-04-08; plan the move to an active profile")
    assert (f"  eu-south-1    {'eu.anthropic.claude-opus-5':<50} -> eu-central-1, eu-north-1, eu-south-1, eu-south-2,"
            " eu-west-1, eu-west-3  [project catalog milan-catalog.json]  UNCONFIRMED (the model card lists the EU source"
            " Regions but not the destinations; verify with GetInferenceProfile from eu-south-1)") in lines
    assert (f"  eu-south-1    {'eu.anthropic.claude-sonnet-4-6':<50} -> eu-central-1, eu-north-1, eu-south-1, eu-south-2,"
            " eu-west-1, eu-west-3") in lines
