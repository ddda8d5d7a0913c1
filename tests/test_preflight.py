"""`cris-guard preflight` as a user runs it, against a local moto server (started and stopped here): a clean,
bootstrapped account passes; another tool's invocation-logging configuration, a log group kept from an earlier
deployment, or a missing bootstrap fail with the fix; what the server cannot answer is "not checked"."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request

import boto3
import pytest

from .conftest import REPO_ROOT, TEST_ACCOUNT
from .moto_account import moto_server


@pytest.fixture(scope="module")
def server():
    with moto_server(TEST_ACCOUNT) as url:
        yield url


def _client(url, service, region="eu-central-1"):
    return boto3.client(service, region_name=region, endpoint_url=url, aws_access_key_id="testing",
                        aws_secret_access_key="testing")


def _preflight(url, *argv):
    env = {**os.environ, "AWS_ENDPOINT_URL": url, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_DEFAULT_REGION": "eu-central-1"}
    env.pop("AWS_PROFILE", None)
    return subprocess.run([sys.executable, "-m", "cris_guard", "preflight", "--config",
                           str(REPO_ROOT / "config" / "default.yaml"), *argv], env=env, capture_output=True, text=True,
                          timeout=120)


def _in_process(url, capsys):
    """The same command in this process (clients pointed at the server): cheaper than a subprocess."""
    from cris_guard.cli import main

    code = main(["preflight", "--config", str(REPO_ROOT / "config" / "default.yaml")],
                client_factory=lambda service, region: _client(url, service, region or "us-east-1"))
    return code, capsys.readouterr().out


def test_preflight_on_a_clean_account_then_on_one_with_another_tools_logging(server, capsys):
    urllib.request.urlopen(urllib.request.Request(f"{server}/moto-api/reset", method="POST"))  # noqa: S310
    code, out = _in_process(server, capsys)
    assert code == 1  # not bootstrapped yet
    assert ("  ✘           eu-central-1  qualifier hnb659fds: not bootstrapped (/cdk-bootstrap/hnb659fds/version"
            " missing): run `cdk bootstrap aws://111122223333/eu-central-1`") in out
    for region in ("eu-central-1", "eu-west-1"):
        _client(server, "ssm", region).put_parameter(Name="/cdk-bootstrap/hnb659fds/version", Value="29", Type="String")
    code, out = _in_process(server, capsys)
    assert code == 0, out
    assert "  ✔           eu-central-1  log group /cris-guard/acme-genai/cloudtrail: free" in out
    assert out.splitlines()[-1].startswith("✔ PASS: ")

    _client(server, "s3", "eu-west-1").create_bucket(Bucket="landing-zone-logs",
                                                      CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    _client(server, "bedrock", "eu-west-1").put_model_invocation_logging_configuration(loggingConfig={
        "s3Config": {"bucketName": "landing-zone-logs", "keyPrefix": "bedrock"}, "textDataDeliveryEnabled": True,
        "imageDataDeliveryEnabled": False, "embeddingDataDeliveryEnabled": False})
    _client(server, "logs").create_log_group(logGroupName="/cris-guard/acme-genai/cloudtrail")
    run = _preflight(server)
    assert run.returncode == 1
    failures = [line for line in run.stdout.splitlines() if line.startswith("  ✘")]
    assert failures == [
        "  ✘           eu-west-1     s3://landing-zone-logs: another tool owns Bedrock's logging configuration here, so"
        " the deploy would fail by design; agree with its owner, then set"
        " audit.invocation_logs.replace_existing_configuration: true",
        "  ✘           eu-central-1  log group /cris-guard/acme-genai/cloudtrail: kept from an earlier deployment (its"
        " audit data is retained), so the create would fail: export what you need, then `aws logs delete-log-group"
        " --log-group-name /cris-guard/acme-genai/cloudtrail --region eu-central-1`; or import it into the stack"
        " (`cdk import`)",
    ]


def test_an_api_the_caller_may_not_use_is_not_checked(capsys, monkeypatch):
    from botocore.stub import Stubber
    from moto import mock_aws

    from cris_guard.cli import main

    from .moto_account import Proxy

    monkeypatch.setenv("MOTO_ACCOUNT_ID", TEST_ACCOUNT)
    monkeypatch.chdir(REPO_ROOT)
    with mock_aws():
        for region in ("eu-central-1", "eu-west-1"):
            boto3.client("ssm", region_name=region).put_parameter(Name="/cdk-bootstrap/hnb659fds/version", Value="29",
                                                                  Type="String")
        denied = boto3.client("bedrock", region_name="eu-central-1")
        stub = Stubber(denied)
        stub.add_client_error("get_model_invocation_logging_configuration", "AccessDeniedException", http_status_code=403)
        stub.activate()

        def factory(service, region):
            client = boto3.client(service, region_name=region or "us-east-1")
            if (service, region) == ("bedrock", "eu-central-1"):
                return Proxy(client, get_model_invocation_logging_configuration=denied.get_model_invocation_logging_configuration)
            return client

        code = main(["preflight", "--config", "config/default.yaml"], client_factory=factory)
    out = capsys.readouterr().out
    assert code == 0
    assert ("  not checked eu-central-1  logging configuration: not checked:"
            " get_model_invocation_logging_configuration: AccessDeniedException") in out


@pytest.mark.parametrize(("argv", "message"), [
    (["--config", "nope.yaml"], "cris-guard: nope.yaml: "),
    (["--region", "us-east-1"], "cris-guard: --region 'us-east-1' is not a source Region of the configuration"),
])
def test_preflight_bad_input_is_one_line_exit_2(argv, message, capsys, monkeypatch):
    from cris_guard.cli import main

    monkeypatch.chdir(REPO_ROOT)
    code = main(["preflight", *argv], client_factory=lambda service, region: pytest.fail("no AWS call on bad input"))
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and err.startswith(message), err
