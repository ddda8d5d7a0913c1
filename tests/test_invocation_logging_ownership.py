"""What CloudFormation does to the invocation-logging resource over its life, on a stateful moto account.

The handler tests with strict Stubbers (test_invocation_logging_handler.py) pin each call; these run the
*sequences*: a provider migration (CloudFormation creates the new resource, then deletes the old one in
the cleanup phase), the rollback of each step, stack deletion, and the account changing under cris-guard
(another tool's configuration, a deleted bucket). Every step asserts the configuration that is left, and
the steps that must change nothing also assert that no Put or Delete of the configuration was made.
"""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from cris_guard.constructs.handlers.invocation_logging import index as handler

from .test_invocation_logging_handler import FOREIGN_CONFIG, REGION
from .test_invocation_logging_handler import OUR_BUCKET as BUCKET
from .test_invocation_logging_handler import PROPS as STUBBED_PROPS

ACCOUNT = "123456789012"  # moto's default account: S3 checks ExpectedBucketOwner against it
STACK_ID = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/cris-guard-eu-central-1/guid"
PROPS = {**STUBBED_PROPS, "ServiceToken": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:provider"}
MUTATIONS = ("PutModelInvocationLoggingConfiguration", "DeleteModelInvocationLoggingConfiguration")


class LambdaTimeout(BaseException):
    """The handler killed mid-call (a Lambda timeout): nothing after it runs, no except clause sees it."""


class _Http:
    status_code = 200


class Account:
    """One moto account and Region, and the custom-resource events CloudFormation would send.

    ``stack`` is what the stack's ListStackResources would answer: each logging resource's physical ID
    and status (moto cannot deploy the stack, so this one call is answered here).
    """

    def __init__(self) -> None:
        self.bedrock = boto3.client("bedrock", region_name=REGION)
        self.s3 = boto3.client("s3", region_name=REGION)
        self.cfn = boto3.client("cloudformation", region_name=REGION)
        self.s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        self.s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        self.calls: list[str] = []
        self.fail_puts: type[BaseException] | None = None
        self.stack: dict[str, str] = {}
        self.bedrock.meta.events.register("before-call.bedrock.*", self._spy)
        self.cfn.meta.events.register("before-call.cloudformation.ListStackResources", self._list_stack_resources)
        self._requests = 0

    def _spy(self, model, **_kwargs):
        self.calls.append(model.name)
        if self.fail_puts and model.name == "PutModelInvocationLoggingConfiguration":
            if issubclass(self.fail_puts, ClientError):
                raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "denied"}}, model.name)
            raise self.fail_puts()

    def _list_stack_resources(self, params, **_kwargs):
        assert params["body"]["StackName"] == STACK_ID
        summaries = [
            {"LogicalResourceId": f"L{i}", "PhysicalResourceId": pid, "ResourceType": "Custom::BedrockModelInvocationLogging",
             "ResourceStatus": status}
            for i, (pid, status) in enumerate(self.stack.items())
        ]
        return _Http(), {"StackResourceSummaries": summaries}

    def send(self, request: str, logical_id: str, props: dict | None = None, **extra) -> str:
        self._requests += 1
        event = {
            "RequestType": request,
            "StackId": STACK_ID,
            "LogicalResourceId": logical_id,
            "RequestId": f"request-{self._requests}",
            "ResourceProperties": {**PROPS, **(props or {})},
            **extra,
        }
        self.calls.clear()
        result = handler.handle(event, client=self.bedrock, s3_client=self.s3, cfn_client=self.cfn, sleep=lambda _s: None)
        return result["PhysicalResourceId"]

    def create(self, logical_id: str, **props) -> str:
        physical_id = self.send("Create", logical_id, props)
        self.stack[physical_id] = "CREATE_COMPLETE"
        return physical_id

    def update(self, logical_id: str, physical_id: str, old: dict, **props) -> str:
        result = self.send("Update", logical_id, props, PhysicalResourceId=physical_id, OldResourceProperties={**PROPS, **old})
        self.stack[physical_id] = "UPDATE_COMPLETE"
        return result

    def delete(self, logical_id: str, physical_id: str, **props) -> None:
        self.stack[physical_id] = "DELETE_IN_PROGRESS"
        self.send("Delete", logical_id, props, PhysicalResourceId=physical_id)
        del self.stack[physical_id]

    def lose(self, physical_id: str) -> None:
        """The resource leaves the stack without its Delete reaching the handler (or after it failed)."""
        del self.stack[physical_id]

    @property
    def configuration(self) -> dict | None:
        return self.bedrock.get_model_invocation_logging_configuration().get("loggingConfig") or None

    def mutated(self) -> bool:
        return any(call in MUTATIONS for call in self.calls)


@pytest.fixture(scope="module")
def _mocked():
    with mock_aws():
        yield


@pytest.fixture
def account(_mocked):
    """A fresh account for each test: moto's state is reset, the mock and its set-up stay (faster)."""
    from moto.backends import get_backend

    for service in ("bedrock", "s3"):
        get_backend(service).reset()
    yield Account()


def ours(**changes) -> dict:
    config = handler.logging_config_from_properties({**PROPS, **changes})
    return handler.adapt_to_runtime_model(config, boto3.client("bedrock", region_name=REGION).meta.service_model)


def test_provider_migration_keeps_the_configuration_and_stack_deletion_removes_it(account):
    old = account.create("InvocationLogging")
    new = account.create("InvocationLoggingV2")  # a new ServiceToken means a new logical ID
    assert old != new, "two resources must never share a physical ID"
    account.delete("InvocationLogging", old)  # the cleanup phase
    assert not account.mutated(), "the old resource's Delete changed a configuration it no longer owns"
    assert account.configuration == ours()
    account.delete("InvocationLoggingV2", new)  # cdk destroy
    assert account.configuration is None


def test_rollback_after_the_new_resource_was_created_hands_the_configuration_back(account):
    old = account.create("InvocationLogging", ImageDataDeliveryEnabled="true")
    new = account.create("InvocationLoggingV2")
    assert account.configuration == ours()
    account.delete("InvocationLoggingV2", new)  # the stack update failed later: CloudFormation rolls back
    assert account.configuration == ours(ImageDataDeliveryEnabled="true"), "the surviving resource's configuration"
    account.delete("InvocationLogging", old)  # and a later cdk destroy still cleans up
    assert account.configuration is None


@pytest.mark.parametrize(
    ("failure", "raised"),
    [
        (ClientError, handler.LoggingApiError),  # Bedrock refused the put: the record is put back
        (LambdaTimeout, LambdaTimeout),  # the handler died after claiming: the record names a resource never made
    ],
)
def test_a_failed_create_of_the_new_resource_leaves_the_old_one_in_charge(account, failure, raised):
    old = account.create("InvocationLogging")
    account.fail_puts = failure
    with pytest.raises(raised):
        account.create("InvocationLoggingV2")
    account.fail_puts = None
    # The Provider framework answers the rollback's Delete of a failed Create itself (CREATE_FAILED
    # marker): the handler never hears of it, and the new resource is never in the stack. The old
    # resource must still own the configuration, and remove it at cdk destroy.
    assert account.configuration == ours()
    account.delete("InvocationLogging", old)
    assert account.configuration is None


def test_a_failed_update_rolls_back_to_the_old_properties(account):
    physical_id = account.create("InvocationLogging")
    account.update("InvocationLogging", physical_id, old={}, ImageDataDeliveryEnabled="true")
    assert account.configuration == ours(ImageDataDeliveryEnabled="true")
    rolled_back = account.update("InvocationLogging", physical_id, old={"ImageDataDeliveryEnabled": "true"})
    assert rolled_back == physical_id and account.configuration == ours()
    account.delete("InvocationLogging", physical_id)
    assert account.configuration is None


def test_migration_from_a_resource_written_before_the_owner_record(account):
    # cris-guard before the owner record: one shared physical ID, and no record in the bucket.
    legacy = handler.legacy_physical_id(REGION)
    account.bedrock.put_model_invocation_logging_configuration(loggingConfig=ours())
    account.stack[legacy] = "CREATE_COMPLETE"
    new = account.create("InvocationLoggingV2")
    account.delete("InvocationLogging", legacy)
    assert not account.mutated() and account.configuration == ours()
    account.delete("InvocationLoggingV2", new)
    assert account.configuration is None


def test_rollback_of_a_migration_from_a_legacy_resource(account):
    legacy = handler.legacy_physical_id(REGION)
    account.bedrock.put_model_invocation_logging_configuration(loggingConfig=ours(EmbeddingDataDeliveryEnabled="true"))
    account.stack[legacy] = "CREATE_COMPLETE"
    new = account.create("InvocationLoggingV2")
    account.delete("InvocationLoggingV2", new)
    assert account.configuration == ours(EmbeddingDataDeliveryEnabled="true")
    account.delete("InvocationLogging", legacy)
    assert account.configuration is None


def test_a_replaced_configuration_survives_a_migration_and_comes_back_at_the_end(account):
    account.bedrock.put_model_invocation_logging_configuration(loggingConfig=FOREIGN_CONFIG)
    old = account.create("InvocationLogging", ReplaceExistingConfiguration="true")
    new = account.create("InvocationLoggingV2", ReplaceExistingConfiguration="true")
    account.delete("InvocationLogging", old)
    assert account.configuration == ours()
    account.delete("InvocationLoggingV2", new)
    assert account.configuration == FOREIGN_CONFIG


def test_delete_leaves_a_configuration_another_tool_put_since(account):
    physical_id = account.create("InvocationLogging")
    account.bedrock.put_model_invocation_logging_configuration(loggingConfig=FOREIGN_CONFIG)
    account.delete("InvocationLogging", physical_id)
    assert not account.mutated() and account.configuration == FOREIGN_CONFIG


def test_delete_after_the_bucket_is_gone_changes_nothing_and_succeeds(account):
    physical_id = account.create("InvocationLogging")
    versions = account.s3.list_object_versions(Bucket=BUCKET)
    for version in versions.get("Versions", []) + versions.get("DeleteMarkers", []):
        account.s3.delete_object(Bucket=BUCKET, Key=version["Key"], VersionId=version["VersionId"])
    account.s3.delete_bucket(Bucket=BUCKET)
    account.delete("InvocationLogging", physical_id)
    assert not account.mutated() and account.configuration == ours()


def test_a_failed_cleanup_delete_of_the_old_resource_does_not_keep_the_configuration_after_destroy(account):
    old = account.create("InvocationLogging")
    new = account.create("InvocationLoggingV2")
    account.lose(old)  # its cleanup Delete failed and it left the stack (UNCONFIRMED that the update completes)
    account.delete("InvocationLoggingV2", new)  # cdk destroy
    assert account.configuration is None


def test_another_tool_between_the_steps_of_a_migration_gets_its_configuration_back(account):
    old = account.create("InvocationLogging")
    new = account.create("InvocationLoggingV2")
    account.bedrock.put_model_invocation_logging_configuration(loggingConfig=FOREIGN_CONFIG)
    account.delete("InvocationLogging", old)  # cleanup: another tool's configuration, left alone
    assert account.configuration == FOREIGN_CONFIG
    account.update("InvocationLoggingV2", new, old={}, ReplaceExistingConfiguration="true")  # the next deploy takes over
    assert account.configuration == ours(ReplaceExistingConfiguration="true")
    account.delete("InvocationLoggingV2", new, ReplaceExistingConfiguration="true")
    assert account.configuration == FOREIGN_CONFIG


def test_two_migrations_and_a_rollback_of_the_second(account):
    first = account.create("InvocationLogging", ImageDataDeliveryEnabled="true")
    second = account.create("InvocationLoggingV2", EmbeddingDataDeliveryEnabled="true")
    account.delete("InvocationLogging", first)
    third = account.create("InvocationLoggingV3")
    account.delete("InvocationLoggingV3", third)  # rolled back
    assert account.configuration == ours(EmbeddingDataDeliveryEnabled="true")
    account.delete("InvocationLoggingV2", second)
    assert account.configuration is None
