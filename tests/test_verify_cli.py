"""`cris-guard verify` as a user runs it: a subprocess with AWS_ENDPOINT_URL pointing at a moto server on
127.0.0.1 (started and stopped here), holding what the default configuration deploys. CloudFormation's two
read calls are answered by a small local endpoint from the same deployment (AWS_ENDPOINT_URL_CLOUDFORMATION),
since moto cannot deploy cris-guard's templates. What the moto server does not implement is reported as
"not checked", never as a pass."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape

import boto3
import pytest

from cris_guard.assembly import read_assembly

from .conftest import REPO_ROOT, TEST_ACCOUNT
from .moto_account import deploy, moto_server

NS = "http://cloudformation.amazonaws.com/doc/2010-05-15/"


def _cloudformation_endpoint(deployment):
    """DescribeStacks and ListStackResources (the query protocol's XML) of ``deployment``."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet
            pass

        def do_POST(self):  # noqa: N802 - http.server's name
            form = urllib.parse.parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
            action, name = form["Action"][0], form.get("StackName", [""])[0]
            region = self.headers.get("Authorization", "").split("/")[2] if "/" in self.headers.get("Authorization", "") else ""
            stack = deployment.stacks.get(name)
            if stack is None or stack.region != region:
                body = (f'<ErrorResponse xmlns="{NS}"><Error><Type>Sender</Type><Code>ValidationError</Code>'
                        f"<Message>Stack with id {escape(name)} does not exist</Message></Error><RequestId>1</RequestId>"
                        "</ErrorResponse>")
                status = 400
            elif action == "DescribeStacks":
                body = (f'<DescribeStacksResponse xmlns="{NS}"><DescribeStacksResult><Stacks><member>'
                        f"<StackName>{escape(name)}</StackName><StackId>{escape(stack.stack_id)}</StackId>"
                        f"<StackStatus>{stack.status}</StackStatus>"
                        "<CreationTime>2026-12-01T00:00:00Z</CreationTime></member></Stacks></DescribeStacksResult>"
                        "<ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></DescribeStacksResponse>")
                status = 200
            else:
                members = "".join(
                    f"<member><LogicalResourceId>{escape(lid)}</LogicalResourceId><PhysicalResourceId>{escape(pid)}"
                    f"</PhysicalResourceId><ResourceType>{escape(stack.resources[lid]['Type'])}</ResourceType>"
                    "<LastUpdatedTimestamp>2026-12-01T00:00:00Z</LastUpdatedTimestamp><ResourceStatus>CREATE_COMPLETE"
                    "</ResourceStatus></member>" for lid, pid in stack.physical.items())
                body = (f'<ListStackResourcesResponse xmlns="{NS}"><ListStackResourcesResult><StackResourceSummaries>'
                        f"{members}</StackResourceSummaries></ListStackResourcesResult><ResponseMetadata><RequestId>1"
                        "</RequestId></ResponseMetadata></ListStackResourcesResponse>")
                status = 200
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def endpoints(default_assembly):
    with moto_server(TEST_ACCOUNT) as url:
        credentials = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}

        def client(service, region):
            return boto3.client(service, region_name=region or "us-east-1", endpoint_url=url, **credentials)

        deployment = deploy(read_assembly(default_assembly.directory).stacks, TEST_ACCOUNT, client)
        cloudformation = _cloudformation_endpoint(deployment)
        yield url, f"http://127.0.0.1:{cloudformation.server_address[1]}", client
        cloudformation.shutdown()


def _verify(endpoints, default_assembly, tmp_path):
    url, cloudformation, _ = endpoints
    env = {**os.environ, "AWS_ENDPOINT_URL": url, "AWS_ENDPOINT_URL_CLOUDFORMATION": cloudformation,
           "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "eu-central-1"}
    env.pop("AWS_PROFILE", None)
    return subprocess.run([sys.executable, "-m", "cris_guard", "verify", "--config",
                           str(REPO_ROOT / "config" / "default.yaml"), "--assembly", default_assembly.directory,
                           "--out", str(tmp_path)], env=env, capture_output=True, text=True, timeout=120)


def test_verify_against_a_local_moto_server_prints_the_table_and_exit_codes(endpoints, default_assembly, tmp_path,
                                                                            capsys):
    run = _verify(endpoints, default_assembly, tmp_path / "clean")  # as a user runs it, AWS_ENDPOINT_URL and all
    assert run.returncode == 0, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    assert "The trail records Bedrock:" in lines and lines[-2].startswith("✔ PASS: ")
    assert any(line.startswith("  ✔           eu-central-1  acme-genai-bedrock-audit: logging") for line in lines)
    # moto has no SimulatePrincipalPolicy, ListCostAllocationTags or ListInferenceProfiles: said, not passed.
    not_checked = [line for line in lines if line.startswith("  not checked")]
    assert any("list_cost_allocation_tags" in line for line in not_checked), not_checked
    assert any("list_inference_profiles" in line for line in not_checked), not_checked
    assert (tmp_path / "clean" / "verify.md").is_file() and (tmp_path / "clean" / "verify.json").is_file()

    # The same command in this process (cheaper than a second subprocess), after the trail was stopped.
    from cris_guard.cli import main

    url, cloudformation, client = endpoints
    client("cloudtrail", "eu-central-1").stop_logging(Name="acme-genai-bedrock-audit")
    credentials = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}

    def factory(service, region):
        return boto3.client(service, region_name=region or "us-east-1",
                            endpoint_url=cloudformation if service == "cloudformation" else url, **credentials)

    try:
        code = main(["verify", "--config", str(REPO_ROOT / "config" / "default.yaml"), "--assembly",
                     default_assembly.directory], client_factory=factory)
    finally:
        client("cloudtrail", "eu-central-1").start_logging(Name="acme-genai-bedrock-audit")
    out = capsys.readouterr().out
    assert code == 1
    assert "  ✘           eu-central-1  acme-genai-bedrock-audit: it is not logging (StopLogging?): start it" in out


@pytest.mark.parametrize(("argv", "message"), [
    (["--config", "nope.yaml"], "cris-guard: nope.yaml: "),
    (["--assembly", "no-such-dir"], "cris-guard: no-such-dir/manifest.json not found; synthesize first (`make synth`)"),
    (["--region", "us-east-1"], "cris-guard: --region 'us-east-1' is not a source Region of the configuration"),
])
def test_verify_bad_input_is_one_line_exit_2(argv, message, capsys, default_assembly, monkeypatch):
    from cris_guard.cli import main

    monkeypatch.chdir(REPO_ROOT)
    sts = boto3.client("sts", region_name="eu-central-1")
    from botocore.stub import Stubber

    stub = Stubber(sts)
    stub.add_response("get_caller_identity", {"Account": TEST_ACCOUNT, "Arn": "arn:aws:iam::111122223333:user/x",
                                              "UserId": "AIDA"})
    stub.activate()
    code = main(["verify", "--assembly", default_assembly.directory, *argv], client_factory=lambda s, r: sts)
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and err.startswith(message), err
