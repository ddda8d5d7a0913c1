"""`cris-guard verify`: each drift, injected one at a time into one deployed moto account (and undone after its
test), turns exactly its check ✘ with a message naming the resource. A module of its own: its account lives
for the module, and no other test's moto account may overlap it."""

from __future__ import annotations

import json

import pytest

from cris_guard.cost import APPLICATION_TAG_KEY

from .conftest import TEST_ACCOUNT
from .moto_account import Proxy, open_role
from .test_verify import CENTRAL, WEST, failed, moto_account


@pytest.fixture(scope="module")
def stacks(default_assembly):
    from cris_guard.assembly import read_assembly

    return read_assembly(default_assembly.directory).stacks


def _role(account, stack, application):
    deployed = account.deployment.stacks[stack]
    lid = next(lid for lid, r in deployed.of_type("AWS::IAM::Role").items()
               if {"Key": APPLICATION_TAG_KEY, "Value": application} in r["Properties"].get("Tags", []))
    return deployed.physical[lid]


def _logical(account, stack, kind, predicate=lambda lid, r: True):
    deployed = account.deployment.stacks[stack]
    return next(deployed.physical[lid] for lid, r in deployed.of_type(kind).items() if predicate(lid, r))


def _open_role(account):
    iam = account.moto("iam", None)
    open_role(iam)
    account.simulations = ["allowed", "allowed", "allowed"]

    def undo():
        iam.delete_role_policy(RoleName="data-science-notebook", PolicyName="wide-open")
        iam.delete_role(RoleName="data-science-notebook")
    return undo


def _full_access(account):
    iam = account.moto("iam", None)
    arn = iam.create_policy(PolicyName="AmazonBedrockFullAccessCopy", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "bedrock:*", "Resource": "*"}]}))["Policy"]["Arn"]
    role = _role(account, CENTRAL, "claims-assistant")
    iam.attach_role_policy(RoleName=role, PolicyArn=arn)

    def undo():
        iam.detach_role_policy(RoleName=role, PolicyArn=arn)
        iam.delete_policy(PolicyArn=arn)
    return undo


def _edited_policy(account):
    iam = account.moto("iam", None)
    role = _role(account, WEST, "contract-search")
    arn = iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"][0]["PolicyArn"]
    version = iam.create_policy_version(PolicyArn=arn, SetAsDefault=True, PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "bedrock:InvokeModel", "Resource": "*"}]}))

    def undo():
        iam.set_default_policy_version(PolicyArn=arn, VersionId="v1")
        iam.delete_policy_version(PolicyArn=arn, VersionId=version["PolicyVersion"]["VersionId"])
    return undo


def _other_logging(account):
    bedrock = account.moto("bedrock", "eu-west-1")
    ours = bedrock.get_model_invocation_logging_configuration()["loggingConfig"]
    account.moto("s3", "eu-west-1").create_bucket(Bucket="landing-zone-logs",
                                                   CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    bedrock.put_model_invocation_logging_configuration(loggingConfig={
        "s3Config": {"bucketName": "landing-zone-logs", "keyPrefix": "bedrock"}, "textDataDeliveryEnabled": True,
        "imageDataDeliveryEnabled": True, "embeddingDataDeliveryEnabled": False})
    return lambda: bedrock.put_model_invocation_logging_configuration(loggingConfig=ours)


def _no_bucket_policy(account):
    bucket = _logical(account, CENTRAL, "AWS::S3::Bucket", lambda lid, r: lid.startswith("InvocationLoggingBucket"))
    s3 = account.moto("s3", "eu-central-1")
    policy = s3.get_bucket_policy(Bucket=bucket)["Policy"]
    s3.delete_bucket_policy(Bucket=bucket)
    return lambda: s3.put_bucket_policy(Bucket=bucket, Policy=policy)


def _stopped_trail(account):
    trail = account.moto("cloudtrail", "eu-central-1")
    trail.stop_logging(Name="acme-genai-bedrock-audit")
    return lambda: trail.start_logging(Name="acme-genai-bedrock-audit")


def _pending_subscription(account):
    sns = account.moto("sns", "eu-west-1")

    def listing(**kwargs):
        response = sns.list_subscriptions_by_topic(**kwargs)
        for subscription in response["Subscriptions"]:
            subscription["SubscriptionArn"] = "PendingConfirmation"
        return response

    factory = account.factory
    account.factory = lambda service, region: (Proxy(sns, list_subscriptions_by_topic=listing)
                                               if (service, region) == ("sns", "eu-west-1") else factory(service, region))
    return lambda: setattr(account, "factory", factory)


def _inactive_tag(account):
    account.tag_status = "Inactive"
    return lambda: setattr(account, "tag_status", "Active")


def _alarm(account):
    cloudwatch = account.moto("cloudwatch", "eu-central-1")
    name = _logical(account, CENTRAL, "AWS::CloudWatch::Alarm", lambda lid, r: "ResidencyEuWest1" in lid)
    cloudwatch.set_alarm_state(AlarmName=name, StateValue="ALARM", StateReason="test")
    return lambda: cloudwatch.set_alarm_state(AlarmName=name, StateValue="OK", StateReason="test")


def _deleted_budget(account):
    budgets = account.moto("budgets", None)
    name = "acme-genai-all-spend-82d9b262"
    budget = budgets.describe_budget(AccountId=TEST_ACCOUNT, BudgetName=name)["Budget"]
    notifications = budgets.describe_notifications_for_budget(AccountId=TEST_ACCOUNT, BudgetName=name)["Notifications"]
    budgets.delete_budget(AccountId=TEST_ACCOUNT, BudgetName=name)

    def undo():
        keep = {k: budget[k] for k in ("BudgetName", "BudgetLimit", "TimeUnit", "BudgetType")}
        budgets.create_budget(AccountId=TEST_ACCOUNT, Budget=keep, NotificationsWithSubscribers=[
            {"Notification": n, "Subscribers": [{"SubscriptionType": "EMAIL", "Address": "platform-team@example.com"}]}
            for n in notifications])
    return undo


def _route_changed(account):
    summaries = account.profiles["eu-central-1"]["inferenceProfileSummaries"]
    pro = next(s for s in summaries if s["inferenceProfileId"] == "eu.amazon.nova-pro-v1:0")
    extra = {"modelArn": "arn:aws:bedrock:eu-central-2::foundation-model/amazon.nova-pro-v1:0"}
    pro["models"].append(extra)
    return lambda: pro["models"].remove(extra)


DRIFTS = [
    # (the drift, returning its undo; the check that must fail; where; words its message must hold)
    (_other_logging, "invocation-logging", "eu-west-1", "s3Config.bucketName is 'landing-zone-logs'"),
    (_no_bucket_policy, "invocation-logging", "eu-central-1", "it has no bucket policy: Bedrock cannot write the logs"),
    (_stopped_trail, "trail", "eu-central-1", "it is not logging"),
    (_full_access, "application-roles", "eu-central-1",
     "extra managed policy arn:aws:iam::111122223333:policy/AmazonBedrockFullAccessCopy"),
    (_edited_policy, "application-roles", "eu-west-1", "differs from the synthesized document"),
    (_open_role, "who-else", "account", "can reach a global. profile (allowed by wide-open)"),
    (_pending_subscription, "alerts-and-cost", "eu-west-1", "platform-team@example.com has not confirmed"),
    (_inactive_tag, "alerts-and-cost", "account", "Inactive: the per-application budgets count nothing"),
    (_alarm, "alerts-and-cost", "eu-central-1", "in ALARM"),
    (_deleted_budget, "alerts-and-cost", "eu-central-1", "budget acme-genai-all-spend-82d9b262"),
    (_route_changed, "catalog-drift", "eu-central-1", "routes to eu-central-1, eu-central-2, eu-north-1, eu-west-1, eu-west-3"),
]


@pytest.fixture(scope="module")
def shared_account(stacks, default_config, catalog):
    """One deployed account for the drift tests: each drift is undone after its test (and a test that finds
    more than its own failure shows an undo that did not work)."""
    with moto_account(stacks, default_config, catalog) as account:
        yield account


@pytest.mark.parametrize(("drift", "check", "where", "words"), DRIFTS, ids=[d[0].__name__.strip("_") for d in DRIFTS])
def test_each_drift_turns_exactly_its_check_red(shared_account, stacks, drift, check, where, words):
    undo = drift(shared_account)
    try:
        verification = shared_account.verify(stacks)
    finally:
        undo()
    failures = failed(verification)
    assert len(failures) == 1, failures
    assert failures[0][:2] == (check, where)
    assert words in failures[0][2] + ": " + failures[0][3], failures[0]
    assert not verification.passed
    assert shared_account.verify(stacks).passed  # undone: green again
