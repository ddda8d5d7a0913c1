"""Reading cloud assemblies (nested Stage assemblies included) and StackSet readiness."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from cris_guard import scenarios
from cris_guard.assembly import (
    STACKSET_TEMPLATE_URL_BYTE_LIMIT,
    AssemblyError,
    AssemblyStack,
    read_assembly,
    short_reason,
    stackset_readiness,
)

ASSET_NAMES = "InvocationLogging/Handler/Code, InvocationLogging/Provider/framework-onEvent/Code"


@pytest.fixture(scope="module")
def multi(multi_account_assembly):
    return read_assembly(multi_account_assembly.directory)


@pytest.fixture(scope="module")
def single(default_assembly):
    return read_assembly(default_assembly.directory)


def test_single_account_stacks_are_at_the_root(single):
    assert [(s.stage, s.name, s.stack_name, s.account, s.region) for s in single.stacks] == [
        (None, "acme-genai-eu-central-1", "acme-genai-eu-central-1", "111122223333", "eu-central-1"),
        (None, "acme-genai-eu-west-1", "acme-genai-eu-west-1", "111122223333", "eu-west-1"),
    ]
    assert single.stages == ()
    assert single.validation_report is not None
    assert single.library_versions["aws-cdk-lib"]


def test_stage_stacks_are_read_from_nested_assemblies_in_a_stable_order(multi):
    assert [(s.stage, s.name, s.stack_name, s.account, s.region) for s in multi.stacks] == [
        ("dev", "dev/acme-genai-eu-west-3", "acme-genai-eu-west-3", "444455556666", "eu-west-3"),
        ("prod", "prod/acme-genai-eu-central-1", "acme-genai-eu-central-1", "111122223333", "eu-central-1"),
        ("prod", "prod/acme-genai-eu-west-1", "acme-genai-eu-west-1", "111122223333", "eu-west-1"),
    ]
    assert multi.stages == ("dev", "prod")
    assert multi.accounts == ["111122223333", "444455556666"]
    assert [s.stack_name for s in multi.stacks_in("prod")] == ["acme-genai-eu-central-1", "acme-genai-eu-west-1"]
    assert multi.stacks_in(None) == []
    dev = multi.stacks[0]
    assert Path(dev.template_full_path).parent.name == "assembly-dev"
    assert dev.artifact_id.startswith("devacmegenaieuwest3")
    # Metadata keys are construct paths under the stage (where cdk-nag acknowledgments are recorded).
    assert dev.construct_path == "/dev/acme-genai-eu-west-3"
    assert any(path.startswith("/dev/acme-genai-eu-west-3/") for path in dev.metadata)
    assert dev.template["Resources"]


def test_the_region_stacks_are_not_stackset_ready(multi, single):
    stacks = (*multi.stacks, *single.stacks)
    assert len(stacks) == 5  # 3 in the Stages, 2 in the single-account assembly: the loop checks every one
    for stack in stacks:
        reasons = stackset_readiness(stack)
        assert reasons == [
            f"2 file assets ({ASSET_NAMES}) in the CDK asset bucket of the environment `cdk deploy` publishes to",
            "CheckBootstrapVersion rule (its SSM parameter exists only in CDK-bootstrapped accounts)",
            reasons[2],
        ], stack.name
        assert reasons[2].startswith(f"names account {stack.account} (")
        assert [short_reason(r) for r in reasons] == ["2 file assets", "CheckBootstrapVersion rule",
                                                      f"names account {stack.account}"]


def bare_stack(tmp_path: Path, template: dict, **fields) -> AssemblyStack:
    path = tmp_path / "t.template.json"
    path.write_text(json.dumps(template))
    return AssemblyStack("s", "eu-central-1", template, str(path), **fields)


def test_an_environment_agnostic_asset_free_template_is_stackset_ready(tmp_path):
    template = {"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}
    assert stackset_readiness(bare_stack(tmp_path, template)) == []


def test_every_other_stackset_blocker_is_named(tmp_path):
    template = {
        "Transform": "AWS::Serverless-2016-10-31",
        "Resources": {
            "Fn": {"Type": "AWS::Lambda::Function", "Metadata": {"aws:asset:path": "asset.abc"},
                   "Properties": {"Role": {"Fn::ImportValue": "shared-role"}}},
        },
        "Outputs": {"X": {"Value": {"Fn::ImportValue": "other"}},
                    # a weak reference, as CDK writes it with @aws-cdk/core:defaultCrossStackReferences "weak"
                    "Y": {"Value": {"Fn::GetStackOutput": {"StackName": "other", "Region": "eu-central-1",
                                                           "OutputName": "PublishOutputRefTopic"}}}},
        "Parameters": {"BootstrapVersion": {"Type": "AWS::SSM::Parameter::Value<String>"}},
        "Description": "x" * STACKSET_TEMPLATE_URL_BYTE_LIMIT,
    }
    reasons = stackset_readiness(bare_stack(tmp_path, template))
    assert len(reasons) == 6
    assert reasons[0].startswith("1 file asset (referenced by aws:asset:path metadata)")
    assert reasons[1] == "2 Fn::ImportValue cross-stack references (the export must exist in every target account and Region)"
    assert reasons[2] == ("1 Fn::GetStackOutput cross-stack reference"
                          " (the named stack and output must exist in every target account and Region)")
    assert reasons[3].startswith("CheckBootstrapVersion rule")
    assert reasons[4] == "uses a Transform (macro), which service-managed StackSets do not support"
    size = len(json.dumps(template))
    assert reasons[5] == (f"template of {size:,} bytes, more than the 460,800 a StackSet's TemplateURL takes"
                          " (UNCONFIRMED whether 1 MB applies)")


def test_a_docker_image_asset_and_an_asset_bucket_reference_are_named(tmp_path):
    template = {"Resources": {"Fn": {"Type": "AWS::Lambda::Function", "Properties": {"Code": {"S3Bucket": {
        "Fn::Sub": "cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}"}}}}}}
    from cris_guard.assembly import Asset

    reasons = stackset_readiness(bare_stack(tmp_path, template, assets=(Asset("docker image", "Api/Image", "docker"),)))
    assert reasons == [
        "refers to a CDK asset bucket (cdk-<qualifier>-assets-…) of one environment",
        "1 Docker image asset (Api/Image) in the CDK container-asset repository",
    ]


# --- Broken assemblies: one line naming the file --------------------------------------------------------


@pytest.fixture
def multi_copy(tmp_path, multi_account_assembly):
    target = tmp_path / "cdk.out"
    shutil.copytree(multi_account_assembly.directory, target)
    return target


def test_a_corrupt_nested_manifest_is_one_line(multi_copy):
    manifest = multi_copy / "assembly-prod" / "manifest.json"
    manifest.write_text('{"artifacts": ')
    with pytest.raises(AssemblyError) as caught:
        read_assembly(multi_copy)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{manifest}: not valid JSON (")
    assert message.endswith("synthesize again (`make synth`)")


def test_a_missing_nested_assembly_is_one_line(multi_copy):
    shutil.rmtree(multi_copy / "assembly-dev")
    with pytest.raises(AssemblyError, match=r"^.*/assembly-dev/manifest.json not found, though .*/manifest.json names it;"):
        read_assembly(multi_copy)


def test_a_missing_nested_template_is_one_line(multi_copy):
    template = next((multi_copy / "assembly-dev").glob("*.template.json"))
    template.unlink()
    with pytest.raises(AssemblyError) as caught:
        read_assembly(multi_copy)
    assert str(caught.value) == f"{template} not found, though manifest.json names it; synthesize again (`make synth`)"


def test_no_manifest_is_one_line(tmp_path):
    with pytest.raises(AssemblyError) as caught:
        read_assembly(tmp_path)
    assert str(caught.value) == f"{tmp_path}/manifest.json not found; synthesize first (`make synth`)"


def test_the_scenario_runner_reads_stages_too(multi_account_assembly, multi_copy):
    stacks = scenarios.stacks_from_directory(multi_account_assembly.directory)
    assert [(s.name, s.region, s.stage, s.account) for s in stacks] == [
        ("dev/acme-genai-eu-west-3", "eu-west-3", "dev", "444455556666"),
        ("prod/acme-genai-eu-central-1", "eu-central-1", "prod", "111122223333"),
        ("prod/acme-genai-eu-west-1", "eu-west-1", "prod", "111122223333"),
    ]
    (multi_copy / "assembly-prod" / "manifest.json").write_text("{")
    with pytest.raises(scenarios.ScenarioError, match="assembly-prod/manifest.json: not valid JSON"):
        scenarios.stacks_from_directory(multi_copy)
