"""ApplicationProfiles: exact CloudFormation for one application's profiles, per source Region."""

from __future__ import annotations

import json
import os

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import aws_cdk as cdk  # noqa: E402
import pytest  # noqa: E402
from aws_cdk.assertions import Template  # noqa: E402

from cris_guard.constructs.application_profiles import ApplicationProfiles  # noqa: E402
from cris_guard.nag import violations  # noqa: E402

ACCOUNT = "111122223333"
SONNET = "eu.anthropic.claude-sonnet-4-6"
NOVA = "eu.amazon.nova-2-lite-v1:0"
PROFILE_TYPE = "AWS::Bedrock::ApplicationInferenceProfile"


def _stack(app: cdk.App, id: str, region: str) -> cdk.Stack:
    return cdk.Stack(app, id, env=cdk.Environment(account=ACCOUNT, region=region))


def _profiles(stack: cdk.Stack, region: str, profile_ids=(SONNET, NOVA), **overrides) -> ApplicationProfiles:
    args = dict(
        application="claims-assistant",
        name_prefix="acme-genai",
        source_region=region,
        profile_ids=list(profile_ids),
        cost_center="CC-4711",
        tags={"team": "claims"},
    )
    args.update(overrides)
    return ApplicationProfiles(stack, "ClaimsAssistant", **args)


@pytest.fixture(scope="module")
def synthesized():
    app = cdk.App()
    cdk.Tags.of(app).add("owner", "platform-team")  # a stack-wide tag, as the app builder adds them
    frankfurt = _stack(app, "Frankfurt", "eu-central-1")
    ireland = _stack(app, "Ireland", "eu-west-1")
    constructs = {"eu-central-1": _profiles(frankfurt, "eu-central-1"), "eu-west-1": _profiles(ireland, "eu-west-1")}
    nag = {s.stack_name: violations(app, s) for s in (frankfurt, ireland)}
    assembly = app.synth()
    templates = {
        "eu-central-1": assembly.get_stack_by_name("Frankfurt").template,
        "eu-west-1": assembly.get_stack_by_name("Ireland").template,
    }
    return {"constructs": constructs, "templates": templates, "stacks": (frankfurt, ireland), "nag": nag}


def _copy_from(region: str, pid: str) -> dict:
    return {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                f":bedrock:{region}:",
                {"Ref": "AWS::AccountId"},
                f":inference-profile/{pid}",
            ],
        ]
    }


EXPECTED_TAGS = [
    {"Key": "cost-center", "Value": "CC-4711"},
    {"Key": "cris-guard:application", "Value": "claims-assistant"},
    {"Key": "owner", "Value": "platform-team"},
    {"Key": "team", "Value": "claims"},
]


@pytest.mark.parametrize("region", ["eu-central-1", "eu-west-1"])
def test_one_profile_per_approved_system_profile_copying_it_in_the_source_region(synthesized, region):
    template = Template.from_json(synthesized["templates"][region])
    template.resource_count_is(PROFILE_TYPE, 2)
    construct = synthesized["constructs"][region]
    for pid in (SONNET, NOVA):
        template.has_resource(
            PROFILE_TYPE,
            {
                "Properties": {
                    "InferenceProfileName": construct.profiles[pid].name,
                    "Description": f"cris-guard acme-genai application claims-assistant in {region} copying {pid}",
                    "ModelSource": {"CopyFrom": _copy_from(region, pid)},
                    "Tags": EXPECTED_TAGS,
                },
            },
        )


def test_exact_names_in_frankfurt(synthesized):
    resources = synthesized["templates"]["eu-central-1"]["Resources"].values()
    names = sorted(r["Properties"]["InferenceProfileName"] for r in resources)
    assert names == [
        "acme-genai-claims-assistant-claude-sonnet-4-6-01ffd133",
        "acme-genai-claims-assistant-nova-2-lite-v1-0-7f509730",
    ]


def test_names_differ_between_regions(synthesized):
    c = synthesized["constructs"]
    assert c["eu-central-1"].profiles[SONNET].name != c["eu-west-1"].profiles[SONNET].name


def test_profiles_are_exposed_by_system_profile_id_with_token_attributes(synthesized):
    construct = synthesized["constructs"]["eu-central-1"]
    stack = synthesized["stacks"][0]
    assert list(construct.profiles) == [SONNET, NOVA]
    profile = construct.profiles[SONNET]
    logical_id = stack.get_logical_id(profile.resource)
    assert stack.resolve(profile.arn) == {"Fn::GetAtt": [logical_id, "InferenceProfileArn"]}
    assert stack.resolve(profile.profile_id) == {"Fn::GetAtt": [logical_id, "InferenceProfileId"]}
    assert construct.arns == [construct.profiles[SONNET].arn, construct.profiles[NOVA].arn]


def test_one_output_per_application_maps_system_profile_ids_to_arns(synthesized):
    template = synthesized["templates"]["eu-central-1"]
    outputs = template["Outputs"]
    assert len(outputs) == 1
    (output,) = outputs.values()
    construct = synthesized["constructs"]["eu-central-1"]
    stack = synthesized["stacks"][0]
    ids = {pid: stack.get_logical_id(p.resource) for pid, p in construct.profiles.items()}
    assert output["Value"] == {
        "Fn::Join": [
            "",
            [
                f'{{"{SONNET}":"',
                {"Fn::GetAtt": [ids[SONNET], "InferenceProfileArn"]},
                f'","{NOVA}":"',
                {"Fn::GetAtt": [ids[NOVA], "InferenceProfileArn"]},
                '"}',
            ],
        ]
    }
    assert "modelId" in output["Description"]


def test_logical_ids_come_from_the_profile_id_not_the_list_position(synthesized):
    original = {
        r["Properties"]["InferenceProfileName"]: lid
        for lid, r in synthesized["templates"]["eu-central-1"]["Resources"].items()
    }
    app = cdk.App()
    stack = _stack(app, "Frankfurt", "eu-central-1")
    _profiles(stack, "eu-central-1", profile_ids=(NOVA, SONNET))  # reversed order
    reordered = Template.from_stack(stack).find_resources(PROFILE_TYPE)
    assert {r["Properties"]["InferenceProfileName"]: lid for lid, r in reordered.items()} == original


def test_fails_when_a_tag_value_has_a_comma():
    app = cdk.App()
    with pytest.raises(ValueError) as err:
        _profiles(_stack(app, "S", "eu-central-1"), "eu-central-1", tags={"team": "claims,search"})
    assert str(err.value) == (
        "application 'claims-assistant': tag 'team': value 'claims,search' contains ',', which the tag schema"
        " does not allow; use letters, digits, spaces and . _ : / = + @ -"
    )


def test_fails_when_the_source_region_is_not_the_stack_region():
    app = cdk.App()
    with pytest.raises(ValueError, match="source_region 'eu-west-1' is not the stack's Region 'eu-central-1'"):
        _profiles(_stack(app, "S", "eu-central-1"), "eu-west-1")


def test_fails_on_duplicate_or_missing_profiles():
    with pytest.raises(ValueError, match="is listed twice"):
        _profiles(_stack(cdk.App(), "S", "eu-central-1"), "eu-central-1", profile_ids=(NOVA, NOVA))
    with pytest.raises(ValueError, match="no profile IDs"):
        _profiles(_stack(cdk.App(), "S", "eu-central-1"), "eu-central-1", profile_ids=())


def test_fails_at_synthesis_when_stack_wide_tags_break_the_schema_or_the_application_tag():
    app = cdk.App()
    stack = _stack(app, "S", "eu-central-1")
    _profiles(stack, "eu-central-1", profile_ids=(NOVA,))
    cdk.Tags.of(app).add("bad", "a,b")
    cdk.Tags.of(app).add("cris-guard:application", "someone-else")
    with pytest.raises(RuntimeError) as err:
        app.synth()
    message = str(err.value)
    assert "tag 'bad': value 'a,b' contains ','" in message
    assert "tag 'cris-guard:application' is 'someone-else' after stack-wide tags were applied" in message


def test_fails_at_synthesis_when_stack_wide_tags_push_a_profile_over_200_tags():
    app = cdk.App()
    stack = _stack(app, "S", "eu-central-1")
    _profiles(stack, "eu-central-1", profile_ids=(NOVA,), tags={f"k{i}": "v" for i in range(190)})
    for i in range(9):
        cdk.Tags.of(app).add(f"stack{i}", "v")
    with pytest.raises(RuntimeError, match="a profile carries 201 tags"):
        app.synth()


def test_no_unacknowledged_cdk_nag_findings(synthesized):
    assert synthesized["nag"] == {"Frankfurt": [], "Ireland": []}


def test_cfn_lint_is_clean(synthesized):
    from cfnlint.api import lint

    for region, template in synthesized["templates"].items():
        assert lint(json.dumps(template), regions=[region]) == [], region


def test_cfn_lint_would_catch_a_description_outside_the_schema(synthesized):
    # Guards the test above: the linter really checks these resources against their schema.
    from cfnlint.api import lint

    template = json.loads(json.dumps(synthesized["templates"]["eu-central-1"]))
    resource = next(r for r in template["Resources"].values() if r["Type"] == PROFILE_TYPE)
    resource["Properties"]["Description"] = "no, commas"
    findings = [str(m) for m in lint(json.dumps(template), regions=["eu-central-1"])]
    assert any("E3031" in f and "'no, commas' does not match" in f for f in findings), findings

