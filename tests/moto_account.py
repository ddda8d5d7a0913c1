"""A moto account that holds what a synthesized cris-guard app deploys, for `cris-guard verify` tests.

moto's own CloudFormation cannot deploy cris-guard's templates (custom resources, trails, budgets and
inference profiles are skipped or need Docker), so this module plays CloudFormation's part: it gives every
resource a physical ID, creates what verify reads (buckets and their policies, roles with the real
synthesized managed policies, the invocation-logging configuration, the trail with its selectors, topics and
e-mail subscriptions, budgets with notifications, the residency alarms) with boto3, and answers
``DescribeStacks``/``ListStackResources`` from the physical IDs (:class:`FakeCloudFormation`, shaped like the
real API). The same code runs in-process under ``mock_aws`` and against a moto server.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from cris_guard.constructs.audit_alarms import METRIC_RESIDENCY_VIOLATIONS
from cris_guard.constructs.handlers.invocation_logging.index import logging_config_from_properties
from cris_guard.verify.resolve import Deployed


@dataclass
class Deployment:
    stacks: dict[str, Deployed] = field(default_factory=dict)  # stack name -> deployed

    def physical(self, stack: str, logical_id: str) -> str:
        return self.stacks[stack].physical[logical_id]


def _name(stack: str, logical_id: str, limit: int) -> str:
    return f"{stack}-{logical_id}"[: limit - 13] + "-" + uuid.uuid4().hex[:12].upper()


def _physical_ids(stack_name: str, region: str, account: str, resources: Mapping[str, Any]) -> dict[str, str]:
    ids = {}
    for lid, resource in resources.items():
        kind, props = resource.get("Type"), resource.get("Properties") or {}
        if kind == "AWS::S3::Bucket":
            ids[lid] = _name(stack_name, lid, 63).lower()
        elif kind == "AWS::IAM::Role":
            ids[lid] = props.get("RoleName") if isinstance(props.get("RoleName"), str) else _name(stack_name, lid, 64)
        elif kind == "AWS::IAM::ManagedPolicy":
            ids[lid] = f"arn:aws:iam::{account}:policy/{_name(stack_name, lid, 128)}"
        elif kind == "AWS::SNS::Topic":
            ids[lid] = f"arn:aws:sns:{region}:{account}:{_name(stack_name, lid, 256)}"
        elif kind == "AWS::CloudTrail::Trail":
            ids[lid] = props.get("TrailName") or _name(stack_name, lid, 128)
        elif kind == "AWS::Bedrock::ApplicationInferenceProfile":
            ids[lid] = f"arn:aws:bedrock:{region}:{account}:application-inference-profile/{uuid.uuid4().hex[:12]}"
        elif kind == "AWS::KMS::Key":
            ids[lid] = str(uuid.uuid4())
        elif kind == "AWS::Logs::LogGroup":
            ids[lid] = props.get("LogGroupName") if isinstance(props.get("LogGroupName"), str) else _name(stack_name, lid, 512)
        elif kind != "AWS::CDK::Metadata":
            ids[lid] = _name(stack_name, lid, 128)
    return ids


def deploy(stacks, account: str, client: Callable[[str, str | None], Any]) -> Deployment:
    """Create in the (moto) account what ``stacks`` (AssemblyStack objects) would deploy; return the IDs."""
    deployment = Deployment()
    for stack in stacks:
        if any(r.get("Type") == "AWS::Organizations::Policy" for r in stack.resources.values()):
            continue
        region = stack.region
        deployed = Deployed(stack.stack_name, region, account, stack.template,
                            _physical_ids(stack.stack_name, region, account, stack.resources), status="CREATE_COMPLETE",
                            stack_id=f"arn:aws:cloudformation:{region}:{account}:stack/{stack.stack_name}/{uuid.uuid4()}")
        deployment.stacks[stack.stack_name] = deployed
        _create(deployed, client)
    return deployment


def _create(stack: Deployed, client) -> None:
    s3, iam, sns = client("s3", stack.region), client("iam", None), client("sns", stack.region)
    for lid in stack.of_type("AWS::S3::Bucket"):
        s3.create_bucket(Bucket=stack.ref(lid), CreateBucketConfiguration={"LocationConstraint": stack.region})
    for lid, r in stack.of_type("AWS::S3::BucketPolicy").items():
        props = stack.resolve(r["Properties"])
        s3.put_bucket_policy(Bucket=props["Bucket"], Policy=json.dumps(props["PolicyDocument"]))
    for lid, r in stack.of_type("AWS::IAM::Role").items():
        props = stack.resolve(r["Properties"])
        iam.create_role(RoleName=stack.ref(lid), AssumeRolePolicyDocument=json.dumps(props["AssumeRolePolicyDocument"]),
                        Path=props.get("Path", "/"), Tags=props.get("Tags", []))
    for lid, r in stack.of_type("AWS::IAM::ManagedPolicy").items():
        props = stack.resolve(r["Properties"])
        arn = iam.create_policy(PolicyName=stack.ref(lid).rsplit("/", 1)[-1],
                                PolicyDocument=json.dumps(props["PolicyDocument"]))["Policy"]["Arn"]
        assert arn == stack.ref(lid), (arn, stack.ref(lid))
        for role in props.get("Roles", []):
            iam.attach_role_policy(RoleName=role, PolicyArn=arn)
    for lid in stack.of_type("AWS::SNS::Topic"):
        sns.create_topic(Name=stack.ref(lid).rsplit(":", 1)[-1])
    for lid, r in stack.of_type("AWS::SNS::Subscription").items():
        props = stack.resolve(r["Properties"])
        sns.subscribe(TopicArn=props["TopicArn"], Protocol=props["Protocol"], Endpoint=props["Endpoint"])
    for lid, r in stack.of_type("Custom::BedrockModelInvocationLogging").items():
        props = stack.resolve({k: v for k, v in r["Properties"].items() if k != "ServiceToken"})
        client("bedrock", stack.region).put_model_invocation_logging_configuration(
            loggingConfig=logging_config_from_properties(props))
    for lid, r in stack.of_type("AWS::CloudTrail::Trail").items():
        props = stack.resolve(r["Properties"])
        ct = client("cloudtrail", stack.region)
        ct.create_trail(Name=stack.ref(lid), S3BucketName=props["S3BucketName"], IsMultiRegionTrail=props["IsMultiRegionTrail"],
                        EnableLogFileValidation=props["EnableLogFileValidation"],
                        IncludeGlobalServiceEvents=props["IncludeGlobalServiceEvents"])
        ct.put_event_selectors(TrailName=stack.ref(lid), AdvancedEventSelectors=props["AdvancedEventSelectors"])
        ct.start_logging(Name=stack.ref(lid))
    budgets = client("budgets", "us-east-1")
    for lid, r in stack.of_type("AWS::Budgets::Budget").items():
        props = stack.resolve(r["Properties"])
        budget = dict(props["Budget"])
        budget["BudgetLimit"] = {"Amount": str(budget["BudgetLimit"]["Amount"]), "Unit": budget["BudgetLimit"]["Unit"]}
        budget.pop("CostFilters", None)  # moto does not take tag filters; verify does not read them
        budgets.create_budget(AccountId=stack.account, Budget=budget,
                              NotificationsWithSubscribers=[
                                  {"Notification": {**n["Notification"], "Threshold": float(n["Notification"]["Threshold"])},
                                   "Subscribers": n["Subscribers"]} for n in props["NotificationsWithSubscribers"]])
    cloudwatch = client("cloudwatch", stack.region)
    for lid, r in stack.of_type("AWS::CloudWatch::Alarm").items():
        props = r["Properties"]
        if props.get("MetricName") == METRIC_RESIDENCY_VIOLATIONS:
            cloudwatch.put_metric_alarm(AlarmName=stack.ref(lid), MetricName=props["MetricName"],
                                        Namespace=props["Namespace"], Statistic=props.get("Statistic", "Sum"),
                                        Period=int(props["Period"]), EvaluationPeriods=int(props["EvaluationPeriods"]),
                                        Threshold=float(props["Threshold"]),
                                        ComparisonOperator=props["ComparisonOperator"])


class FakeCloudFormation:
    """``DescribeStacks`` and ``ListStackResources`` of the deployment, shaped like the real API."""

    def __init__(self, deployment: Deployment, region: str):
        self.deployment, self.region = deployment, region

    def _stack(self, name: str) -> Deployed:
        stack = self.deployment.stacks.get(name)
        if stack is None or stack.region != self.region:
            raise ClientError({"Error": {"Code": "ValidationError", "Message": f"Stack with id {name} does not exist"},
                               "ResponseMetadata": {"HTTPStatusCode": 400}}, "DescribeStacks")
        return stack

    def describe_stacks(self, StackName: str) -> dict:  # noqa: N803 - the API's parameter name
        stack = self._stack(StackName)
        return {"Stacks": [{"StackName": stack.name, "StackId": stack.stack_id, "StackStatus": stack.status}]}

    def list_stack_resources(self, StackName: str, NextToken: str | None = None) -> dict:  # noqa: N803
        stack = self._stack(StackName)
        return {"StackResourceSummaries": [
            {"LogicalResourceId": lid, "PhysicalResourceId": pid, "ResourceType": stack.resources[lid]["Type"],
             "ResourceStatus": "CREATE_COMPLETE"} for lid, pid in stack.physical.items()]}


class Proxy:
    """A boto3 client with some operations answered elsewhere (a Stubber'd client, or a function)."""

    def __init__(self, client, **overrides):
        self._client, self._overrides = client, overrides

    def __getattr__(self, name):
        override = self._overrides.get(name)
        if override is None:
            return getattr(self._client, name)

        def operation(**kwargs):
            return override(**kwargs)

        operation.__name__ = name  # as a boto3 client method is named (verify names it in "not checked")
        return operation


@contextlib.contextmanager
def moto_server(account: str) -> Iterator[str]:
    """A moto server on 127.0.0.1 (a free port) for ``account``: its URL while the block runs, stopped after."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                               env={**os.environ, "MOTO_ACCOUNT_ID": account},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{url}/moto-api/", timeout=1)  # noqa: S310 - loopback
                break
            except OSError:
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def open_role(iam, name: str = "data-science-notebook") -> None:
    """A role that is not cris-guard's, with ``bedrock:*`` on ``*`` (inline policy ``wide-open``)."""
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}))
    iam.put_role_policy(RoleName=name, PolicyName="wide-open", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "bedrock:*", "Resource": "*"}]}))
