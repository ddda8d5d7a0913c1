"""EvidenceQueries: the Glue table with partition projection, the enforced Athena workgroup, the named queries
(the very SQL that `cris-guard evidence --engine duckdb` runs) and the read-only auditor role; and how the app
places them in the trail's home Region with the configuration's applications and roles."""

from __future__ import annotations

import os

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import aws_cdk as cdk  # noqa: E402
import pytest  # noqa: E402

from cris_guard.constructs import secure_defaults  # noqa: E402
from cris_guard.constructs.evidence_queries import EvidenceQueries  # noqa: E402
from cris_guard.evidence.command import policy_from  # noqa: E402
from cris_guard.evidence.queries import QUESTIONS, TABLE_COLUMNS, athena_queries  # noqa: E402
from cris_guard.regions import COMMERCIAL_REGIONS  # noqa: E402

from .cdk_helpers import ACCOUNT, Synth, cfn_lint_findings, env_stack, nag_findings  # noqa: E402
from .conftest import REPO_ROOT, TEST_ACCOUNT  # noqa: E402

REGION = "eu-central-1"
AUDITOR = "arn:aws:iam::444455556666:role/compliance-auditor"
POLICY = {"approved": {"claims": ["eu.anthropic.claude-sonnet-4-6"]}, "roles": {"acme-eu-central-1-ClaimsRole1234": "claims"}}


@pytest.fixture(scope="module")
def synth() -> Synth:
    app = cdk.App()
    stack = env_stack(app, "Evidence", REGION)
    key = secure_defaults.hardened_key(stack, "Key", description="test")
    logs = secure_defaults.server_access_logs_bucket(stack, "AccessLogs", expiration_days=90)
    construct = EvidenceQueries(
        stack, "EvidenceQueries", trail_bucket_name="org-trail", trail_prefix="cloudtrail/", organization_id="o-a1b2c3d4e5",
        accounts=[ACCOUNT], database_name="acme_evidence", workgroup_name="acme-evidence",
        bytes_scanned_cutoff=10 * 1024**3, results_retention_days=30, key=key, access_logs_bucket=logs,
        auditor_principals=[AUDITOR], query_policy=POLICY,
    )
    return Synth(app, stack, construct)


def test_the_table_follows_aws_cloudtrail_ddl_with_partition_projection(synth):
    table = next(iter(synth.of_type("AWS::Glue::Table").values()))["Properties"]["TableInput"]
    params = table["Parameters"]
    assert params["storage.location.template"] == (
        "s3://org-trail/cloudtrail/AWSLogs/o-a1b2c3d4e5/${account}/CloudTrail/${region}/${timestamp}")
    assert (params["projection.enabled"], params["projection.account.values"]) == ("true", ACCOUNT)
    # Every commercial Region, not only the source Regions: a call made directly in us-east-1 must show.
    assert params["projection.region.values"].split(",") == sorted(COMMERCIAL_REGIONS)
    assert (params["projection.timestamp.type"], params["projection.timestamp.format"],
            params["projection.timestamp.range"]) == ("date", "yyyy/MM/dd", "2024/01/01,NOW")
    storage = table["StorageDescriptor"]
    assert storage["InputFormat"] == "com.amazon.emr.cloudtrail.CloudTrailInputFormat"
    assert storage["SerdeInfo"]["SerializationLibrary"] == "org.apache.hive.hcatalog.data.JsonSerDe"
    assert [(c["Name"], c["Type"]) for c in storage["Columns"]] == list(TABLE_COLUMNS)
    assert [k["Name"] for k in table["PartitionKeys"]] == ["account", "region", "timestamp"]


def test_the_workgroup_enforces_encrypted_expiring_results_and_a_scan_cutoff(synth):
    workgroup = next(iter(synth.of_type("AWS::Athena::WorkGroup").values()))["Properties"]
    config = workgroup["WorkGroupConfiguration"]
    assert config["EnforceWorkGroupConfiguration"] is True and config["PublishCloudWatchMetricsEnabled"] is True
    assert config["BytesScannedCutoffPerQuery"] == 10 * 1024**3
    results = config["ResultConfiguration"]
    assert results["EncryptionConfiguration"]["EncryptionOption"] == "SSE_KMS"
    assert results["ExpectedBucketOwner"] == ACCOUNT
    bucket = synth.props(synth.construct.results_bucket)
    assert bucket["LifecycleConfiguration"]["Rules"][0]["ExpirationInDays"] == 30
    assert synth.resources[synth.logical_id(synth.construct.results_bucket)]["DeletionPolicy"] == "Retain"


def test_the_named_queries_are_the_sql_the_local_engine_runs(synth):
    named = {q["Properties"]["Name"]: q["Properties"] for q in synth.of_type("AWS::Athena::NamedQuery").values()}
    assert sorted(named) == sorted(f"cris-guard {name}" for name in QUESTIONS)
    for query in athena_queries('"acme_evidence"."cloudtrail_logs"', **POLICY):
        props = named[f"cris-guard {query.name}"]
        assert props["QueryString"] == query.sql and props["Database"] == "acme_evidence"
        assert "claims" in props["QueryString"] and "acme-eu-central-1-ClaimsRole1234" in props["QueryString"]


def test_the_auditor_role_is_read_only(synth):
    role = synth.props(synth.construct.auditor_role)
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"AWS": AUDITOR}
    assert role["MaxSessionDuration"] == 3600
    policy = next(iter(synth.of_type("AWS::IAM::ManagedPolicy").values()))["Properties"]["PolicyDocument"]
    actions = {a for s in policy["Statement"] for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    assert all(s["Effect"] == "Allow" for s in policy["Statement"])
    writes = {a for a in actions if a.split(":")[1].startswith(("Create", "Delete", "Update", "Put"))}
    assert writes == {"s3:PutObject"}  # query results only
    put = next(s for s in policy["Statement"] if "s3:PutObject" in s["Action"])
    assert put["Resource"] == {"Fn::Join": ["", [{"Fn::GetAtt": [synth.logical_id(synth.construct.results_bucket), "Arn"]},
                                                 "/results/*"]]}
    logs = next(s for s in policy["Statement"] if s["Sid"] == "ReadTheTrailLogs")
    assert logs["Resource"] == {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"},
                                                  ":s3:::org-trail/cloudtrail/AWSLogs/o-a1b2c3d4e5/*"]]}


def test_nag_and_cfn_lint_are_clean(synth):
    assert nag_findings(synth) == []
    assert cfn_lint_findings(synth, REGION) == []


def test_fails_when_the_scan_cutoff_is_below_athenas_minimum():
    app = cdk.App()
    stack = env_stack(app, "Low", REGION)
    key = secure_defaults.hardened_key(stack, "Key", description="test")
    with pytest.raises(ValueError, match="bytes_scanned_cutoff: 1024 is below Athena's minimum"):
        EvidenceQueries(stack, "E", trail_bucket_name="b", trail_prefix="", organization_id=None, accounts=[ACCOUNT],
                        database_name="d", workgroup_name="w", bytes_scanned_cutoff=1024, results_retention_days=30,
                        key=key, access_logs_bucket=secure_defaults.server_access_logs_bucket(stack, "L", expiration_days=9))


def test_the_app_puts_them_in_the_trail_home_stack_with_the_configuration(default_templates, default_assembly):
    home, other = default_templates["acme-genai-eu-central-1"], default_templates["acme-genai-eu-west-1"]
    assert not [r for r in other["Resources"].values() if r["Type"].startswith(("AWS::Athena::", "AWS::Glue::"))]
    queries = [r["Properties"] for r in home["Resources"].values() if r["Type"] == "AWS::Athena::NamedQuery"]
    assert len(queries) == len(QUESTIONS)
    table = next(r for r in home["Resources"].values() if r["Type"] == "AWS::Glue::Table")
    template = table["Properties"]["TableInput"]["Parameters"]["storage.location.template"]
    assert template["Fn::Join"][1][0] == "s3://" and template["Fn::Join"][1][1]["Ref"].startswith("AuditTrailBucket")
    # Every application role of the account (both Regions), named as `cris-guard evidence --assembly` names them.
    roles = policy_from(REPO_ROOT / "config" / "default.yaml", default_assembly.directory).roles
    assert len(roles) == 4
    sql = "".join(p if isinstance(p, str) else "" for p in queries[0]["QueryString"]["Fn::Join"][1])
    for role, application in roles.items():
        assert f"('{role}', '{application}')" in sql
    # This stack's application inference profiles are resolved at deploy time (their IDs are attributes).
    wrapped = [p for p in queries[0]["QueryString"]["Fn::Join"][1] if isinstance(p, dict)]
    assert len(wrapped) == 4 and all(p["Fn::GetAtt"][1] == "InferenceProfileId" for p in wrapped)
    assert TEST_ACCOUNT in table["Properties"]["TableInput"]["Parameters"]["projection.account.values"]


def test_the_review_report_lists_the_evidence_resources_and_fails_when_a_setting_is_lost(default_assembly, default_config):
    import copy
    from dataclasses import replace

    from cris_guard.assembly import read_assembly
    from cris_guard.review.evidence_section import evidence_section

    stacks = read_assembly(default_assembly.directory).stacks
    section = evidence_section(stacks, default_config)
    assert [c.passed for c in section.checks] == [True] * 8
    text = section.render()
    assert "`acme_genai_evidence`.`cloudtrail_logs`" in text and "`cris-guard violations`" in text
    assert "scan cutoff 10,240 MB per query (configured 10,240)" in text

    def weakened(stack):
        template = copy.deepcopy(dict(stack.template))
        for resource in template["Resources"].values():
            if resource["Type"] == "AWS::Athena::WorkGroup":
                resource["Properties"]["WorkGroupConfiguration"]["EnforceWorkGroupConfiguration"] = False
        return replace(stack, template=template)

    failed = [c.text for c in evidence_section([weakened(s) for s in stacks], default_config).checks if not c.passed]
    assert failed == ["settings enforced"]
    no_athena = default_config.model_copy(update={"audit": default_config.audit.model_copy(
        update={"evidence": default_config.audit.evidence.model_copy(update={"athena": False})})})
    assert [c.passed for c in evidence_section(stacks, no_athena).checks] == [False]
