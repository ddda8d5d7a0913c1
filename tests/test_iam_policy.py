"""iam_policy: the exact statements, ARNs per Region, conditions, denies, sizes and packing (no CDK)."""

from __future__ import annotations

import json
import re

import pytest

from cris_guard import iam_policy as ip
from cris_guard.catalog import parse_catalog
from cris_guard.iam_policy import ApprovedProfile, PolicyError
from cris_guard.regions import EU_MEMBER_STATE_REGIONS, NON_EU_PROFILE_PREFIXES

SONNET = "eu.anthropic.claude-sonnet-4-6"
NOVA2 = "eu.amazon.nova-2-lite-v1:0"
NOVA_PRO = "eu.amazon.nova-pro-v1:0"
EU6 = ("eu-central-1", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-3")
P = "${AWS::Partition}"
A = "${AWS::AccountId}"
INVOKE = ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]
PROFILE = [*INVOKE, "bedrock:GetInferenceProfile"]


def profile_arn(pid: str, region: str = "eu-central-1") -> str:
    return f"arn:{P}:bedrock:{region}:{A}:inference-profile/{pid}"


def model_arn(model: str, region: str) -> str:
    return f"arn:{P}:bedrock:{region}::foundation-model/{model}"


EXPECTED_DENIES = [
    {
        "Sid": "DenyGlobalCrossRegionInference",
        "Effect": "Deny",
        "Action": ["bedrock:InvokeModel*", "bedrock:CreateModelInvocationJob", "bedrock:CreateEvaluationJob"],
        "Resource": "*",
        "Condition": {"StringEquals": {"aws:RequestedRegion": "unspecified"}},
    },
    {
        "Sid": "DenyNonEuInferenceProfiles",
        "Effect": "Deny",
        "Action": "bedrock:InvokeModel*",
        "Resource": [
            f"arn:{P}:bedrock:*:*:inference-profile/{prefix}*"
            for prefix in ("global.", "us.", "us-gov.", "apac.", "jp.", "au.", "ca.", "in.", "amer.", "sa.")
        ],
    },
    {
        "Sid": "DenyFoundationModelsWithoutProfile",
        "Effect": "Deny",
        "Action": "bedrock:InvokeModel*",
        "Resource": f"arn:{P}:bedrock:*::foundation-model/*",
        "Condition": {"Null": {"bedrock:InferenceProfileArn": "true"}},
    },
    {
        "Sid": "DenyOutsideEuMemberStateRegions",
        "Effect": "Deny",
        "Action": [
            "bedrock:InvokeModel*",
            "bedrock:CreateModelInvocationJob",
            "bedrock:CreateEvaluationJob",
            "bedrock-mantle:CreateInference",
        ],
        "Resource": "*",
        "Condition": {"StringNotEquals": {"aws:RequestedRegion": [*EU6, "unspecified"]}},
    },
]
ENFORCEMENT_DENY = {
    "Sid": "DenyInferenceProfilesCalledDirectly",
    "Effect": "Deny",
    "Action": "bedrock:InvokeModel*",
    "Resource": f"arn:{P}:bedrock:*:*:inference-profile/*",
    "Condition": {"Null": {"bedrock:InferenceProfileArn": "true"}},
}


def plan(profile_ids, region="eu-central-1", catalog=None, **kwargs):
    profiles = ip.approved_profiles("claims-assistant", profile_ids, catalog, region)
    return ip.plan_policies(application="claims-assistant", source_region=region, profiles=profiles, **kwargs)


def test_default_application_gets_exactly_the_documented_statements(catalog):
    result = plan([SONNET, NOVA2], catalog=catalog)
    assert len(result.documents) == 1
    assert result.documents[0] == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowInferenceProfiles",
                "Effect": "Allow",
                "Action": PROFILE,
                "Resource": [profile_arn(NOVA2), profile_arn(SONNET)],
            },
            {
                "Sid": "AllowModelsThroughProfiles1",
                "Effect": "Allow",
                "Action": INVOKE,
                "Resource": [model_arn("amazon.nova-2-lite-v1:0", r) for r in EU6]
                + [model_arn("anthropic.claude-sonnet-4-6", r) for r in EU6],
                "Condition": {"StringEquals": {"bedrock:InferenceProfileArn": [profile_arn(NOVA2), profile_arn(SONNET)]}},
            },
            *EXPECTED_DENIES,
        ],
    }


def test_profiles_with_different_destinations_never_share_a_model_statement(catalog):
    # From eu-central-1: cohere routes to the EU-6, nova-pro to 4 Regions (cris-facts §1.3).
    statements = plan(["eu.cohere.embed-v4:0", NOVA_PRO], catalog=catalog).documents[0]["Statement"]
    models = [s for s in statements if s["Sid"].startswith("AllowModelsThroughProfiles")]
    assert [m["Sid"] for m in models] == ["AllowModelsThroughProfiles1", "AllowModelsThroughProfiles2"]
    nova_regions = ("eu-central-1", "eu-north-1", "eu-west-1", "eu-west-3")
    assert models[0]["Resource"] == [model_arn("amazon.nova-pro-v1:0", r) for r in nova_regions]
    assert models[0]["Condition"] == {"StringEquals": {"bedrock:InferenceProfileArn": profile_arn(NOVA_PRO)}}
    assert models[1]["Resource"] == [model_arn("cohere.embed-v4:0", r) for r in EU6]
    assert models[1]["Condition"] == {"StringEquals": {"bedrock:InferenceProfileArn": profile_arn("eu.cohere.embed-v4:0")}}


@pytest.mark.parametrize("source", sorted(EU_MEMBER_STATE_REGIONS))
def test_model_arns_are_exactly_the_catalog_destinations_of_every_profile(catalog, source):
    pids = [p for p in catalog.profiles if catalog.destinations(p, source)]
    profiles = ip.approved_profiles("everything", pids, catalog, source)
    result = ip.plan_policies(application="everything", source_region=source, profiles=profiles)
    fenced: dict[str, set[str]] = {}  # model ARN -> profile ARNs fencing it
    for doc in result.documents:
        for s in doc["Statement"]:
            if s["Sid"].startswith("AllowModelsThroughProfiles"):
                values = s["Condition"]["StringEquals"]["bedrock:InferenceProfileArn"]
                for r in [s["Resource"]] if isinstance(s["Resource"], str) else s["Resource"]:
                    fenced.setdefault(r, set()).update([values] if isinstance(values, str) else values)
    expected = {
        model_arn(catalog.get(pid).model_id, r): pid for pid in pids for r in catalog.destinations(pid, source)
    }
    assert set(fenced) == set(expected)
    for arn, pid in expected.items():
        # each model ARN is fenced by its own profile, and only by profiles with the same destinations
        assert profile_arn(pid, source) in fenced[arn]
        for other in fenced[arn]:
            other_pid = other.rsplit("/", 1)[1]
            assert catalog.destinations(other_pid, source) == catalog.destinations(pid, source)


def _all_statements(result):
    return [s for doc in result.documents for s in doc["Statement"]]


def test_no_allow_statement_ever_has_a_wildcard_region_or_a_hard_coded_partition(catalog):
    for source in sorted(EU_MEMBER_STATE_REGIONS):
        pids = [p for p in catalog.profiles if catalog.destinations(p, source)]
        profiles = ip.approved_profiles("x", pids, catalog, source)
        arns = {p: ip.application_profile_placeholder(p) for p in pids}
        result = ip.plan_policies(application="x", source_region=source, profiles=profiles, application_profile_arns=arns)
        checked = 0
        for s in _all_statements(result):
            resources = [s["Resource"]] if isinstance(s["Resource"], str) else s["Resource"]
            if s["Effect"] == "Allow":
                assert "*" not in json.dumps(s), s
                for r in resources:
                    if r.startswith("arn:"):
                        region = r.replace(P, "aws").replace(A, "111122223333").split(":")[3]
                        assert region in EU_MEMBER_STATE_REGIONS, r
                        assert r.startswith(f"arn:{P}:"), r
                        checked += 1
            for r in resources:
                assert not r.startswith("arn:aws:"), r
        assert checked > 0, source  # the Allow ARNs were actually looked at


def test_only_model_statements_carry_the_inference_profile_condition(catalog):
    allows = [s for s in _all_statements(plan([SONNET, NOVA2], catalog=catalog, application_profile_arns={SONNET: "arn:x"}))
              if s["Effect"] == "Allow"]
    assert [s["Sid"] for s in allows] == [
        "AllowInferenceProfiles", "AllowApplicationInferenceProfiles", "AllowModelsThroughProfiles1"
    ]
    for s in allows:
        assert ("Condition" in s) == s["Sid"].startswith("AllowModelsThroughProfiles"), s["Sid"]


def test_denies_are_exact_and_repeated_in_every_policy(catalog):
    pids = [p for p in catalog.profiles if catalog.destinations(p, "eu-west-1")]
    result = plan(pids, region="eu-west-1", catalog=catalog)
    assert len(result.documents) > 1
    for doc in result.documents:
        assert [s for s in doc["Statement"] if s["Effect"] == "Deny"] == EXPECTED_DENIES
    # the prefix list is the one shared with the configuration checks
    assert EXPECTED_DENIES[1]["Resource"] == [
        f"arn:{P}:bedrock:*:*:inference-profile/{p}*" for p in NON_EU_PROFILE_PREFIXES
    ]


def test_application_profiles_are_granted_and_accepted_as_either_presented_arn(catalog):
    app_arns = {SONNET: "${ApplicationProfileArn:" + SONNET + "}", NOVA2: "${ApplicationProfileArn:" + NOVA2 + "}"}
    statements = {s["Sid"]: s for s in plan([SONNET, NOVA2], catalog=catalog, application_profile_arns=app_arns).documents[0]["Statement"]}
    assert statements["AllowApplicationInferenceProfiles"]["Action"] == PROFILE
    assert statements["AllowApplicationInferenceProfiles"]["Resource"] == [app_arns[NOVA2], app_arns[SONNET]]
    # UNCONFIRMED which ARN Bedrock presents: both the system and the application profile ARN fence the models.
    assert statements["AllowModelsThroughProfiles1"]["Condition"] == {
        "StringEquals": {
            "bedrock:InferenceProfileArn": [profile_arn(NOVA2), app_arns[NOVA2], profile_arn(SONNET), app_arns[SONNET]]
        }
    }
    assert statements["AllowInferenceProfiles"]["Resource"] == [profile_arn(NOVA2), profile_arn(SONNET)]
    assert "DenyInferenceProfilesCalledDirectly" not in statements


def test_enforcement_adds_exactly_one_deny_keyed_on_the_profile_check(catalog):
    app_arns = {SONNET: "arn:aws:bedrock:eu-central-1:111122223333:application-inference-profile/abc"}
    doc = plan([SONNET], catalog=catalog, application_profile_arns=app_arns, require_application_profiles=True).documents[0]
    denies = [s for s in doc["Statement"] if s["Effect"] == "Deny"]
    assert denies == [*EXPECTED_DENIES, ENFORCEMENT_DENY]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(require_application_profiles=True), r"requires application profiles.*none for \['eu.anthropic"),
        (dict(application_profile_arns={NOVA2: "arn:x"}), r"not approved for"),
    ],
)
def test_application_profile_mistakes_fail_with_the_application_named(catalog, kwargs, message):
    with pytest.raises(PolicyError, match=r"claims-assistant.*" + message):
        plan([SONNET], catalog=catalog, **kwargs)


def test_a_profile_without_a_route_from_the_source_region_fails(catalog):
    # eu.twelvelabs.marengo-embed-3-0-v1:0 is callable from eu-west-1 only (cris-facts §1.3).
    with pytest.raises(PolicyError, match=r"'claims-assistant'.*marengo.*no route from source Region 'eu-central-1'"):
        ip.approved_profiles("claims-assistant", ["eu.twelvelabs.marengo-embed-3-0-v1:0"], catalog, "eu-central-1")
    with pytest.raises(PolicyError, match=r"'claims-assistant'.*not in the profile catalog"):
        ip.approved_profiles("claims-assistant", ["eu.anthropic.claude-sonnet-5"], catalog, "eu-central-1")


@pytest.mark.parametrize(
    "profile, message",
    [
        (ApprovedProfile(SONNET, "anthropic.claude-sonnet-4-6", ("eu-central-1", "eu-*")), "not a Region code"),
        (ApprovedProfile(SONNET, "anthropic.claude-sonnet-4-6", ("eu-central-1", "*")), "not a Region code"),
        (ApprovedProfile(SONNET, "anthropic.claude-sonnet-4-6", ("eu-central-1", "eu-west-2")), "outside the EU"),
        (ApprovedProfile(SONNET, "anthropic.claude-sonnet-4-6", ("eu-central-1", "il-central-1")), "outside the EU"),
        (ApprovedProfile(SONNET, "anthropic.claude-sonnet-4-6", ("eu-west-1",)), "source Region must be among"),
        (ApprovedProfile(SONNET, "anthropic.claude-sonnet-4-6", ()), "non-empty"),
        (ApprovedProfile("global.anthropic.claude-sonnet-4-6", "anthropic.claude-sonnet-4-6", ("eu-central-1",)), "not an EU geographic profile"),
        (ApprovedProfile("eu.anthropic.*", "anthropic.*", ("eu-central-1",)), "not an EU geographic profile"),
        (ApprovedProfile(SONNET, "amazon.nova-2-lite-v1:0", ("eu-central-1",)), "does not match"),
    ],
)
def test_unsafe_profiles_are_refused(profile, message):
    with pytest.raises(PolicyError, match=message):
        ip.plan_policies(application="claims-assistant", source_region="eu-central-1", profiles=[profile])


@pytest.mark.parametrize(
    "region, reason",
    [("eu-west-2", "not an EU member-state Region"), ("us-east-1", "not an EU member-state Region"),
     ("eu-*", "not a Region code")],
)
def test_source_region_must_be_an_eu_member_state_region(region, reason):
    # not merely "source Region": the destinations check's message says that too
    with pytest.raises(PolicyError, match=re.escape(f"source Region {region!r} is {reason}")):
        ip.plan_policies(application="a", source_region=region, profiles=[ApprovedProfile(SONNET, "anthropic.claude-sonnet-4-6", ("eu-central-1",))])


# --- size ------------------------------------------------------------------------------------------


def test_policy_size_ignores_whitespace_and_counts_placeholders_at_worst_case():
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]}
    compact = json.dumps(doc, separators=(",", ":"))
    assert ip.policy_size(doc) == len(compact)
    # IAM does not count whitespace, wherever it is: a value with two spaces counts two characters less
    spaced = {"Statement": [{"Condition": {"StringEquals": {"aws:PrincipalTag/team": "data  science"}}}]}
    assert ip.policy_size(spaced) == len(json.dumps(spaced, separators=(",", ":"))) - 2
    with_tokens = {"Statement": [{"Resource": f"arn:{P}:bedrock:eu-central-1:{A}:x"}]}
    literal = {"Statement": [{"Resource": "arn:aws-us-gov:bedrock:eu-central-1:123456789012:x"}]}
    assert ip.policy_size(with_tokens) == ip.policy_size(literal)


def test_policy_size_refuses_what_it_cannot_measure():
    with pytest.raises(ValueError, match="no worst-case length"):
        ip.policy_size({"Resource": "${ApplicationProfileArn:eu.x}"})
    with pytest.raises(ValueError, match="no worst-case length"):
        ip.policy_size({"Resource": "${Token[AWS.Partition.10]}"})
    lengths = ip.worst_case_lengths("eu-central-1", ["eu.x"])
    worst = f"arn:aws-us-gov:bedrock:eu-central-1:123456789012:application-inference-profile/{'x' * 64}"
    assert ip.policy_size({"R": "${ApplicationProfileArn:eu.x}"}, lengths) == ip.policy_size({"R": worst})


# --- packing ---------------------------------------------------------------------------------------


def test_large_applications_are_split_without_losing_or_mispairing_anything(catalog):
    pids = [p for p in catalog.profiles if catalog.destinations(p, "eu-west-1")]  # all 19
    arns = {p: ip.application_profile_placeholder(p) for p in pids}
    profiles = ip.approved_profiles("big", pids, catalog, "eu-west-1")
    result = ip.plan_policies(application="big", source_region="eu-west-1", profiles=profiles,
                              application_profile_arns=arns, require_application_profiles=True)
    assert 1 < len(result.documents) <= ip.MAX_MANAGED_POLICIES_PER_ROLE
    assert all(size <= ip.MANAGED_POLICY_MAX_CHARS for size in result.sizes)
    assert list(result.sizes) == [ip.policy_size(d, result.placeholder_lengths) for d in result.documents]
    # the union of the split statements is the unsplit statement set
    unsplit = ip.access_statements(application="big", source_region="eu-west-1", profiles=profiles,
                                   application_profile_arns=arns, require_application_profiles=True)
    expected_pairs, actual_pairs = set(), set()
    for statement in unsplit.allows:
        for atom in statement.atoms:
            for r in atom.resources:
                expected_pairs.update((statement.sid, r, v) for v in atom.condition_values or ("-",))
    for s in _all_statements(result):
        if s["Effect"] != "Allow":
            continue
        resources = [s["Resource"]] if isinstance(s["Resource"], str) else s["Resource"]
        values = s.get("Condition", {}).get("StringEquals", {}).get("bedrock:InferenceProfileArn", "-")
        values = [values] if isinstance(values, str) else values
        for r in resources:
            for v in values:
                actual_pairs.add((s["Sid"], r, v))
    # every (resource, fence) pair survives; pairs across a split only join profiles of one destination set
    assert expected_pairs <= actual_pairs
    for sid, r, v in actual_pairs - expected_pairs:
        assert sid.startswith("AllowModelsThroughProfiles")


def test_packing_is_deterministic_and_order_independent(catalog):
    pids = [p for p in catalog.profiles if catalog.destinations(p, "eu-west-1")]
    one = plan(pids, region="eu-west-1", catalog=catalog)
    two = plan(list(reversed(pids)), region="eu-west-1", catalog=catalog)
    assert one.documents == two.documents


def test_too_much_access_fails_naming_the_application(catalog):
    pids = [p for p in catalog.profiles if catalog.destinations(p, "eu-west-1")]
    with pytest.raises(PolicyError, match=r"application 'claims-assistant' in eu-west-1: its access needs \d+ managed policies.*more than the 2"):
        plan(pids, region="eu-west-1", catalog=catalog, max_policies=2)


def test_the_packer_fills_policies_up_to_the_limit_and_no_further(catalog):
    pids = [p for p in catalog.profiles if catalog.destinations(p, "eu-west-1")]
    result = plan(pids, region="eu-west-1", catalog=catalog, max_chars=3000, max_policies=20)
    assert all(size <= 3000 for size in result.sizes)
    assert len(result.documents) >= 5


# --- trust -----------------------------------------------------------------------------------------


def test_a_role_nobody_can_assume_is_refused():
    with pytest.raises(PolicyError, match=r"'claims-assistant': no trusted_services and no trusted_role_arns"):
        ip.check_trust("claims-assistant", [], [])
    ip.check_trust("claims-assistant", ["lambda.amazonaws.com"], [])


def test_an_oversized_trust_policy_is_refused():
    arns = [f"arn:aws:iam::111122223333:role/team-{i:03d}-copilot-runtime" for i in range(60)]
    with pytest.raises(PolicyError, match="trust policy has .* characters, more than the 2048"):
        ip.check_trust("claims-assistant", [], arns)


def test_statement_ids_are_iam_valid(catalog):
    pids = [p for p in catalog.profiles if catalog.destinations(p, "eu-west-1")]
    for s in _all_statements(plan(pids, region="eu-west-1", catalog=catalog)):
        assert re.fullmatch(r"[A-Za-z0-9]+", s["Sid"])


def test_a_synthetic_catalog_profile_with_a_non_eu_destination_is_refused():
    catalog = parse_catalog(
        {
            "as_of": "2026-01-01",
            "source": "https://example.com",
            "method": "test",
            "profiles": {
                "eu.example.model-v1:0": {
                    "model_id": "example.model-v1:0",
                    "source": "https://example.com",
                    "as_of": "2026-01-01",
                    "routes": {"eu-central-1": ["eu-central-1", "eu-west-2"]},
                }
            },
        }
    )
    profiles = ip.approved_profiles("a", ["eu.example.model-v1:0"], catalog, "eu-central-1")
    with pytest.raises(PolicyError, match="routes to 'eu-west-2', outside the EU"):
        ip.plan_policies(application="a", source_region="eu-central-1", profiles=profiles)


def test_job_and_mantle_actions_join_only_the_region_keyed_denies():
    """Batch/evaluation jobs have no inference-profile resource type and no bedrock:InferenceProfileArn
    key (Service Authorization Reference), so listing them in the prefix or direct-model deny would be
    dead or would refuse every job; bedrock-mantle's resource is a project, so only the Region fence fits."""
    by_sid = {d["Sid"]: d for d in ip.residency_denies(require_application_profiles=True)}
    actions = {sid: [d["Action"]] if isinstance(d["Action"], str) else d["Action"] for sid, d in by_sid.items()}
    for sid in ("DenyNonEuInferenceProfiles", "DenyFoundationModelsWithoutProfile", "DenyInferenceProfilesCalledDirectly"):
        assert actions[sid] == ["bedrock:InvokeModel*"], sid
    assert actions["DenyGlobalCrossRegionInference"] == ["bedrock:InvokeModel*", *ip.JOB_DENY_ACTIONS]
    assert actions["DenyOutsideEuMemberStateRegions"] == ["bedrock:InvokeModel*", *ip.JOB_DENY_ACTIONS,
                                                          *ip.MANTLE_DENY_ACTIONS]
    # never a wildcard on another service's actions, and no invented action names
    assert set(ip.JOB_DENY_ACTIONS) == {"bedrock:CreateModelInvocationJob", "bedrock:CreateEvaluationJob"}
    assert ip.MANTLE_DENY_ACTIONS == ("bedrock-mantle:CreateInference",)


# --- guardrails ------------------------------------------------------------------------------------

GUARDRAIL_FRA = "arn:aws:bedrock:eu-central-1:111122223333:guardrail/abc123def456"
GUARDRAIL_FRA_2 = "arn:aws:bedrock:eu-central-1:111122223333:guardrail/zzz999"
GUARDRAIL_DUB = "arn:aws:bedrock:eu-west-1:111122223333:guardrail/dub111"


def test_guardrails_are_granted_only_in_their_own_region(catalog):
    central = plan([SONNET, NOVA2], catalog=catalog, guardrail_arns=[GUARDRAIL_FRA])
    assert len(central.documents) == 1
    statements = central.documents[0]["Statement"]
    # the documented statements, then the guardrail grant, then the unchanged denies
    assert statements[:2] == plan([SONNET, NOVA2], catalog=catalog).documents[0]["Statement"][:2]
    assert statements[2] == {
        "Sid": "AllowGuardrails",
        "Effect": "Allow",
        "Action": "bedrock:ApplyGuardrail",
        "Resource": GUARDRAIL_FRA,
    }
    assert statements[3:] == EXPECTED_DENIES
    # no guardrail in eu-west-1: no guardrail statement at all (never an empty one)
    west = plan([SONNET, NOVA2], region="eu-west-1", catalog=catalog, guardrail_arns=[GUARDRAIL_FRA])
    assert west.documents == plan([SONNET, NOVA2], region="eu-west-1", catalog=catalog).documents
    assert "ApplyGuardrail" not in json.dumps(west.documents)


def test_several_guardrails_are_sorted_deduplicated_and_filtered_by_region(catalog):
    result = plan([SONNET], catalog=catalog, guardrail_arns=[GUARDRAIL_FRA_2, GUARDRAIL_DUB, GUARDRAIL_FRA, GUARDRAIL_FRA])
    (statement,) = [s for s in _all_statements(result) if s["Sid"] == "AllowGuardrails"]
    assert statement == {"Sid": "AllowGuardrails", "Effect": "Allow", "Action": "bedrock:ApplyGuardrail",
                         "Resource": [GUARDRAIL_FRA, GUARDRAIL_FRA_2]}
    west = plan([SONNET], region="eu-west-1", catalog=catalog, guardrail_arns=[GUARDRAIL_FRA, GUARDRAIL_DUB])
    (statement,) = [s for s in _all_statements(west) if s["Sid"] == "AllowGuardrails"]
    assert statement["Resource"] == GUARDRAIL_DUB


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:bedrock:eu-central-1:111122223333:guardrail/*",
        "arn:aws:bedrock:eu-central-1:111122223333:guardrail/abc123:1",
        "arn:aws:bedrock:*:111122223333:guardrail/abc123",
        "arn:aws:bedrock:eu-central-1:*:guardrail/abc123",
        "arn:aws:bedrock:eu-central-1:111122223333:guardrail-profile/eu.guardrail.v1:0",
        "abc123",
        "*",
    ],
)
def test_anything_but_a_plain_guardrail_arn_is_refused(catalog, arn):
    with pytest.raises(PolicyError, match=r"application 'claims-assistant': .* is not a guardrail ARN"):
        plan([SONNET], catalog=catalog, guardrail_arns=[arn])


def test_a_single_string_is_not_taken_for_a_list_of_guardrails(catalog):
    with pytest.raises(PolicyError, match="must be a list"):
        plan([SONNET], catalog=catalog, guardrail_arns=GUARDRAIL_FRA)


def test_the_guardrail_statement_counts_in_size_and_packing(catalog):
    guardrails = [f"arn:aws:bedrock:eu-west-1:111122223333:guardrail/g{i:02d}" for i in range(10)]
    pids = [p for p in catalog.profiles if catalog.destinations(p, "eu-west-1")]
    without = plan(pids, region="eu-west-1", catalog=catalog, max_chars=3000, max_policies=30)
    with_guardrails = plan(pids, region="eu-west-1", catalog=catalog, max_chars=3000, max_policies=30,
                           guardrail_arns=guardrails)
    assert all(size <= 3000 for size in with_guardrails.sizes)
    assert list(with_guardrails.sizes) == [
        ip.policy_size(d, with_guardrails.placeholder_lengths) for d in with_guardrails.documents
    ]
    assert sum(with_guardrails.sizes) > sum(without.sizes)
    granted = []
    for s in _all_statements(with_guardrails):
        if s["Sid"] == "AllowGuardrails":
            granted += [s["Resource"]] if isinstance(s["Resource"], str) else s["Resource"]
    assert sorted(granted) == guardrails  # split or not, every guardrail is granted exactly once
    # every policy still carries every deny
    for document in with_guardrails.documents:
        assert [s for s in document["Statement"] if s["Effect"] == "Deny"] == EXPECTED_DENIES
    # a budget the guardrails do not fit in is refused like any other excess
    with pytest.raises(PolicyError, match="managed policies"):
        plan(pids, region="eu-west-1", catalog=catalog, max_chars=3000,
             max_policies=len(without.documents) - 1, guardrail_arns=guardrails)


def test_apply_guardrail_is_allowed_on_the_granted_guardrail_only(catalog):
    from cris_guard.policy_eval import Request, evaluate

    result = plan([SONNET], catalog=catalog, guardrail_arns=[GUARDRAIL_FRA, GUARDRAIL_DUB])
    policies = {
        f"claims-assistant/Policy{i}": json.loads(
            ip.render_json(d).replace(P, "aws").replace(A, "111122223333")
        )
        for i, d in enumerate(result.documents, start=1)
    }
    principal = "arn:aws:iam::111122223333:role/claims-assistant"
    context = {"aws:RequestedRegion": "eu-central-1"}
    requests = [
        Request(principal, "bedrock:ApplyGuardrail", GUARDRAIL_FRA, context),
        Request(principal, "bedrock:ApplyGuardrail", GUARDRAIL_FRA_2, context),
        Request(principal, "bedrock:ApplyGuardrail", GUARDRAIL_DUB, {"aws:RequestedRegion": "eu-west-1"}),
    ]
    decisions = evaluate(policies, requests)
    assert [d.decision for d in decisions] == ["Allowed", "ImplicitlyDenied", "ImplicitlyDenied"]
    assert decisions[0].deciding == ("claims-assistant/Policy1#AllowGuardrails",)


# --- guardrail profiles, enforced guardrails, the Responses API ------------------------------------------

EU6 = ["eu-central-1", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-3"]
ORG_GUARDRAIL = "arn:aws:bedrock:eu-central-1:999988887777:guardrail/orgbaseline1"


def test_a_guardrail_with_the_eu_guardrail_profile_is_granted_in_exactly_its_destinations(catalog):
    grants = ip.guardrail_grants([(GUARDRAIL_FRA, "eu.guardrail.v1:0"), (ORG_GUARDRAIL, None)], catalog)
    result = plan([SONNET], catalog=catalog, guardrail_arns=grants)
    (statement,) = [s for s in _all_statements(result) if s["Sid"] == "AllowGuardrails"]
    assert statement == {
        "Sid": "AllowGuardrails", "Effect": "Allow", "Action": "bedrock:ApplyGuardrail",
        "Resource": [
            GUARDRAIL_FRA,
            *[f"arn:aws:bedrock:{r}:111122223333:guardrail-profile/eu.guardrail.v1:0" for r in EU6],
            ORG_GUARDRAIL,  # the organization's enforced guardrail (management account), no profile
        ],
    }
    # Nothing wider: no wildcard Region or account, no other geography's guardrail profile.
    text = json.dumps(statement)
    assert ":*:" not in text and "us.guardrail" not in text and "eu-west-2" not in text


def test_a_guardrail_profile_that_leaves_the_eu_or_misses_the_source_is_refused(catalog):
    leaky = ip.GuardrailGrant(GUARDRAIL_FRA, "eu.guardrail.v1:0", ("eu-central-1", "il-central-1"))
    with pytest.raises(PolicyError, match=r"routes to 'il-central-1', outside the EU member-state Regions"):
        plan([SONNET], catalog=catalog, guardrail_arns=[leaky])
    elsewhere = ip.GuardrailGrant(GUARDRAIL_FRA, "eu.guardrail.v1:0", ("eu-west-1",))
    with pytest.raises(PolicyError, match="the source Region must be among its destinations"):
        plan([SONNET], catalog=catalog, guardrail_arns=[elsewhere])
    us = ip.GuardrailGrant(GUARDRAIL_FRA, "us.guardrail.v1:0", ("eu-central-1",))
    with pytest.raises(PolicyError, match="not an EU guardrail profile ID"):
        plan([SONNET], catalog=catalog, guardrail_arns=[us])


def test_the_responses_api_grants_the_default_project_of_the_source_region_only(catalog):
    result = plan([SONNET], catalog=catalog, responses_api=True)
    (statement,) = [s for s in _all_statements(result) if s["Sid"] == "AllowResponsesProject"]
    assert statement == {
        "Sid": "AllowResponsesProject", "Effect": "Allow",
        "Action": ["bedrock:InvokeModel", "bedrock:GetInvoke", "bedrock:CancelInvoke", "bedrock:DeleteInvoke"],
        "Resource": "arn:${AWS::Partition}:bedrock:eu-central-1:${AWS::AccountId}:project/default",
    }
    # The residency denies are unchanged, and without responses_api there is no project grant.
    assert _all_statements(result)[-len(EXPECTED_DENIES):] == EXPECTED_DENIES
    assert "project/" not in json.dumps(plan([SONNET], catalog=catalog).documents)
