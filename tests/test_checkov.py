"""checkov skips: the helper that writes them, the skips in the default templates, the review report's list of
them, and the gate of `make scan` (tools/checkov_gate.py).

checkov itself is not installed in .venv (it runs from .scan-venv in `make scan`), so nothing here runs it:
these tests pin what checkov reads. The templates are the session's default synthesis (no new synthesis here).
"""

from __future__ import annotations

import copy
import importlib.util
import os
from dataclasses import replace

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import aws_cdk as cdk  # noqa: E402
import pytest  # noqa: E402
from aws_cdk import aws_s3 as s3  # noqa: E402

from cris_guard import report as rp  # noqa: E402
from cris_guard.checkov import checkov_skip  # noqa: E402
from cris_guard.constructs import invocation_logging as il  # noqa: E402
from cris_guard.constructs import secure_defaults  # noqa: E402

from .conftest import REPO_ROOT  # noqa: E402

CENTRAL = "acme-genai-eu-central-1"
WEST = "acme-genai-eu-west-1"
REASON = "The bucket only receives other buckets' server access logs, so logging it into itself would loop."

HANDLER = "InvocationLoggingHandler4BC8E0FF"
FRAMEWORK = "InvocationLoggingProviderframeworkonEvent235783BB"
INVOCATION_ACCESS_LOGS = "InvocationLoggingAccessLogsBucket48CACD0B"
TRAIL_ACCESS_LOGS = "AuditTrailAccessLogsBucketDB75E784"
# Every skip the default configuration's templates carry: logical ID -> {check ID: reason}. checkov 3.3.30 on
# the default cdk.out (make scan): these 17 skipped, none failed. A new finding is fixed or added here.
LAMBDA_SKIPS = {"CKV_AWS_115": il._CONCURRENCY_REASON, "CKV_AWS_117": il._NO_VPC_REASON}
IN_EVERY_REGION = {
    INVOCATION_ACCESS_LOGS: {"CKV_AWS_18": secure_defaults._ACCESS_LOG_TARGET_REASON},
    HANDLER: {**LAMBDA_SKIPS, "CKV_AWS_116": il._SYNC_INVOKE_REASON},
    FRAMEWORK: {**LAMBDA_SKIPS, "CKV_AWS_116": il._FRAMEWORK_DLQ_REASON,
                "CKV_AWS_173": il._FRAMEWORK_ENVIRONMENT_REASON},
}
EXPECTED = {
    # The trail (and its access-log bucket) lives in the trail's home Region only.
    CENTRAL: {**IN_EVERY_REGION, TRAIL_ACCESS_LOGS: {"CKV_AWS_18": secure_defaults._ACCESS_LOG_TARGET_REASON}},
    WEST: IN_EVERY_REGION,
}


@pytest.fixture
def stack() -> cdk.Stack:
    return cdk.Stack(cdk.App(), "CheckovTest")


# --- The helper -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("reason", [
    "",
    "n/a",
    "False positive.",
    "This check is not applicable to this resource.",
    "Not needed here, accepted risk by design for now; the check does not apply.",
    "TODO: explain why this bucket does not log its own access into another bucket.",
])
def test_a_vague_reason_is_refused(stack, reason):
    bucket = s3.CfnBucket(stack, "Bucket")
    with pytest.raises(ValueError, match="specific reason"):
        checkov_skip(bucket, "CKV_AWS_18", reason)
    assert bucket.get_metadata("checkov") is None


def test_a_token_or_a_malformed_check_id_is_refused(stack):
    bucket = s3.CfnBucket(stack, "Bucket")
    with pytest.raises(ValueError, match="plain-text reason"):
        checkov_skip(bucket, "CKV_AWS_18", cdk.Fn.ref("AWS::Region") + REASON)
    with pytest.raises(ValueError, match="not a checkov AWS check ID"):
        checkov_skip(bucket, "S3BucketLogging", REASON)


def test_the_skip_lands_on_the_l2_s_resource_and_merges_with_existing_metadata(stack):
    bucket = s3.Bucket(stack, "Bucket")
    cfn = bucket.node.default_child
    assert isinstance(cfn, s3.CfnBucket)
    cfn.add_metadata("checkov", {"skip": [{"id": "CKV_AWS_21", "comment": "kept"}], "note": "kept too"})
    cfn.add_metadata("cfn-lint", {"config": {"ignore_checks": ["W3005"]}})
    checkov_skip(bucket, "CKV_AWS_18", REASON)
    checkov_skip(cfn, "CKV2_AWS_62", REASON + " (and no event notification is needed)")
    checkov_skip(bucket, "CKV_AWS_18", REASON)  # the same reason again: nothing changes
    assert cfn.get_metadata("checkov") == {"note": "kept too", "skip": [
        {"id": "CKV_AWS_21", "comment": "kept"},
        {"id": "CKV_AWS_18", "comment": REASON},
        {"id": "CKV2_AWS_62", "comment": REASON + " (and no event notification is needed)"},
    ]}
    assert cfn.get_metadata("cfn-lint") == {"config": {"ignore_checks": ["W3005"]}}
    with pytest.raises(ValueError, match="already skipped with another reason"):
        checkov_skip(bucket, "CKV_AWS_18", REASON.replace("loop", "recurse"))


def test_a_construct_without_a_cloudformation_resource_is_refused(stack):
    from constructs import Construct

    with pytest.raises(TypeError, match="CloudFormation resource"):
        checkov_skip(Construct(stack, "Empty"), "CKV_AWS_18", REASON)


# --- The default templates -----------------------------------------------------------------------------------


def skips_in(template: dict) -> dict[str, dict[str, str]]:
    return {
        logical_id: {s["id"]: s["comment"] for s in resource["Metadata"]["checkov"]["skip"]}
        for logical_id, resource in template["Resources"].items()
        if "checkov" in (resource.get("Metadata") or {})
    }


def test_the_default_templates_carry_each_skip_with_its_reason(default_templates):
    assert {name: skips_in(t) for name, t in default_templates.items()} == EXPECTED


def test_cdk_nag_and_checkov_give_the_lambda_functions_the_same_reasons(default_assembly):
    """Where both tools flag the same setting, the reviewer reads one reason, not two."""
    assembly = rp.read_assembly(default_assembly.directory)
    acks = {(a.path, a.rule): a.reason for a in rp.acknowledgments(assembly.stacks) if a.stack == CENTRAL}
    for path, checkov_reasons in (("InvocationLogging/Handler", EXPECTED[CENTRAL][HANDLER]),
                                  ("InvocationLogging/Provider", EXPECTED[CENTRAL][FRAMEWORK])):
        assert acks[(path, "NIST.800.53.R5-LambdaInsideVPC")] == checkov_reasons["CKV_AWS_117"]
        assert acks[(path, "NIST.800.53.R5-LambdaDLQ")] == checkov_reasons["CKV_AWS_116"]
        assert acks[(path, "NIST.800.53.R5-LambdaConcurrency")] == checkov_reasons["CKV_AWS_115"]


# --- The review report ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def assembly(default_assembly):
    return rp.read_assembly(default_assembly.directory)


def test_the_report_lists_every_skip_per_stack_with_resource_and_reason(assembly, default_config, catalog):
    skips = rp.checkov_skips(assembly.stacks)
    assert len(skips) == 17
    assert {(s.stack, s.logical_id, s.check_id, s.reason) for s in skips} == {
        (stack, logical_id, check_id, reason)
        for stack, resources in EXPECTED.items()
        for logical_id, checks in resources.items()
        for check_id, reason in checks.items()
    }
    report = rp.build_report(default_config, catalog, assembly, scenario_run=None, config_label="c.yaml")
    lines = report.render().splitlines()
    headings = [x for x in lines if x.startswith("## ")]
    assert headings.index("## checkov skips") == headings.index("## cdk-nag acknowledgments") + 1
    assert f"### {CENTRAL} (9)" in lines and f"### {WEST} (8)" in lines
    assert (f"- `CKV_AWS_18` on `{TRAIL_ACCESS_LOGS}` (`AuditTrail/AccessLogsBucket`), `{INVOCATION_ACCESS_LOGS}`"
            f" (`InvocationLogging/AccessLogsBucket`): {secure_defaults._ACCESS_LOG_TARGET_REASON}") in lines
    assert (f"- `CKV_AWS_173` on `{FRAMEWORK}` (`InvocationLogging/Provider/framework-onEvent`):"
            f" {il._FRAMEWORK_ENVIRONMENT_REASON}") in lines
    assert "✔ Every skip carries its reason." in lines
    assert report.passed


def test_a_skip_without_a_reason_fails_the_report(assembly):
    stacks = []
    for stack in assembly.stacks:
        if stack.name == WEST:
            template = copy.deepcopy(dict(stack.template))
            template["Resources"][HANDLER]["Metadata"]["checkov"]["skip"].append({"id": "CKV_AWS_45"})
            stack = replace(stack, template=template)
        stacks.append(stack)
    section = rp.checkov_section(stacks)
    assert [(c.passed, c.text) for c in section.checks] == [
        (False, f"CKV_AWS_45 on {HANDLER} in {WEST} is skipped without a reason")]
    lines = section.render().splitlines()
    assert f"- `CKV_AWS_45` on `{HANDLER}` (`InvocationLogging/Handler`): (no reason)" in lines
    assert f"### {WEST} (9)" in lines


def test_the_multi_account_report_lists_each_stage_s_skips(multi_account_assembly):
    stacks = rp.read_assembly(multi_account_assembly.directory).stacks
    lines = rp.checkov_section(stacks).render().splitlines()
    assert "### dev/acme-genai-eu-west-3 (9)" in lines  # the trail's home Region of account dev
    assert "### prod/acme-genai-eu-central-1 (9)" in lines and "### prod/acme-genai-eu-west-1 (8)" in lines


# --- The gate of make scan ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gate():
    spec = importlib.util.spec_from_file_location("checkov_gate", REPO_ROOT / "tools" / "checkov_gate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def summary(**counts):
    base = {"passed": 204, "failed": 0, "skipped": 17, "parsing_errors": 0, "resource_count": 116,
            "checkov_version": "3.3.30"}
    return {"check_type": "cloudformation", "results": {"failed_checks": []}, "summary": {**base, **counts}}


def test_the_gate_passes_a_clean_scan_and_fails_what_checkov_lets_through(gate):
    ok, text = gate.verdict(gate.summarize(summary()), templates=2)
    assert ok and text == ("checkov 3.3.30: 2 templates, 116 resources: 204 passed, 0 failed, 17 skipped,"
                           " 0 parsing errors")
    assert not gate.verdict(gate.summarize(summary(failed=1)), templates=2)[0]
    # checkov exits 0 on these two: an unparsable template is not checked, and an empty cdk.out checks nothing.
    ok, text = gate.verdict(gate.summarize(summary(parsing_errors=1)), templates=3)
    assert not ok and "could not parse a template" in text
    empty = {"passed": 0, "failed": 0, "skipped": 0, "parsing_errors": 0, "resource_count": 0}
    assert not gate.verdict(gate.summarize(empty), templates=0)[0]
    # One report per framework (a list) is summed.
    assert gate.summarize([summary(), summary(failed=2)])["failed"] == 2
