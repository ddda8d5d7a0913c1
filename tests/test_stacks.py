"""The synthesized app: one governance stack per source Region, pinned, nag-clean, and the entry point."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import aws_cdk as cdk
import pytest

from cris_guard.app_builder import build_app
from cris_guard.nag import acknowledge, violations

from .conftest import REPO_ROOT, TEST_ACCOUNT, minimal_config


def test_one_stack_per_source_region(default_assembly):
    stacks = {s.stack_name: s for s in default_assembly.stacks if not s.stack_name.endswith(tuple(f"-apps-{i}" for i in range(2, 100)))}
    assert sorted(stacks) == ["acme-genai-eu-central-1", "acme-genai-eu-west-1"]
    for name, stack in stacks.items():
        region = name.removeprefix("acme-genai-")
        assert stack.environment.region == region
        assert stack.environment.account == TEST_ACCOUNT
        assert f"from {region}" in stack.template["Description"]


def test_stacks_are_tagged(default_templates):
    for template in default_templates.values():
        topics = [r for r in template["Resources"].values() if r["Type"] == "AWS::SNS::Topic"]
        tags = {t["Key"]: t["Value"] for t in topics[0]["Properties"]["Tags"]}
        assert tags["cris-guard:managed-by"] == "cris-guard"
        assert tags["owner"] == "platform-team"


def test_alert_topic_is_encrypted_tls_only_and_subscribed(default_templates):
    template = default_templates["acme-genai-eu-central-1"]
    resources = template["Resources"]
    topic_id, topic = next((k, r) for k, r in resources.items() if r["Type"] == "AWS::SNS::Topic")
    assert "KmsMasterKeyId" in topic["Properties"]
    subs = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::SNS::Subscription"]
    assert {(s["Protocol"], s["Endpoint"]) for s in subs} >= {("email", "platform-team@example.com")}
    policy = next(r for r in resources.values() if r["Type"] == "AWS::SNS::TopicPolicy")
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    tls = [s for s in statements if s["Effect"] == "Deny"]
    assert tls and tls[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    keys = [r for r in resources.values() if r["Type"] == "AWS::KMS::Key"]
    assert all(k["Properties"]["EnableKeyRotation"] is True for k in keys)
    # The topic's own key goes with a rolled-back create (it encrypts nothing at rest beyond SNS); every
    # other key encrypts evidence and is always retained (test_app_integration pins the whole set).
    topic_key = topic["Properties"]["KmsMasterKeyId"]["Fn::GetAtt"][0]
    assert resources[topic_key]["DeletionPolicy"] == "RetainExceptOnCreate"
    assert all(r["DeletionPolicy"] == "Retain" for k, r in resources.items() if r["Type"] == "AWS::KMS::Key" and k != topic_key)


def test_no_context_lookups(default_assembly):
    manifest = json.loads(Path(default_assembly.directory, "manifest.json").read_text())
    assert "missing" not in manifest  # CDK lists unresolved context lookups under "missing"


def test_nag_packs_are_clean_on_every_stack(catalog, default_config):
    app = build_app(default_config, catalog, default_account=TEST_ACCOUNT)
    stacks = [c for c in app.node.children if isinstance(c, cdk.Stack)]
    assert stacks
    for stack in stacks:
        assert violations(app, stack) == [], stack.stack_name


def test_nag_fails_synthesis_on_an_unacknowledged_finding(catalog, default_config, tmp_path):
    """The packs are wired to fail synthesis: an unencrypted bucket must break `cdk synth`."""
    from aws_cdk import aws_s3 as s3

    app = build_app(default_config, catalog, outdir=str(tmp_path), default_account=TEST_ACCOUNT)
    stack = next(c for c in app.node.children if isinstance(c, cdk.Stack))
    s3.CfnBucket(stack, "Naked")
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    assert "S3DefaultEncryptionKMS" in json.dumps(report)


def test_acknowledgment_needs_a_specific_reason():
    app = cdk.App()
    with pytest.raises(ValueError, match="needs a specific reason"):
        acknowledge(app, "AwsSolutions-IAM5", "ok")


def test_environment_agnostic_account_when_none_configured(catalog):
    config = minimal_config(catalog, "solo", ["eu-north-1"])
    app = build_app(config, catalog)
    (stack,) = [c for c in app.node.children if isinstance(c, cdk.Stack) and c.stack_name == "solo-eu-north-1"]
    assert stack.region == "eu-north-1"
    assert cdk.Token.is_unresolved(stack.account)


def _run_app(*args: str, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20", **(env_extra or {})}
    return subprocess.run([sys.executable, "app.py", *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_entry_point_reports_bad_config_in_one_line_without_traceback(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text((REPO_ROOT / "config" / "default.yaml").read_text().replace("[eu-central-1, eu-west-1]", "[eu-central-1, eu-west-2]"))
    result = _run_app(env_extra={"CDK_CONTEXT_JSON": json.dumps({"config": str(bad)}), "CDK_OUTDIR": str(tmp_path / "out")})
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("cris-guard:")]
    assert lines == [
        f"cris-guard: {bad}: source_regions[1]: 'eu-west-2' (London, United Kingdom (not an EU member state)) adds"
        " itself as a destination when used as a source; under residency 'eu' use one of ['eu-central-1',"
        " 'eu-north-1', 'eu-south-1', 'eu-south-2', 'eu-west-1', 'eu-west-3']"
    ]
    assert not (tmp_path / "out" / "manifest.json").exists()
