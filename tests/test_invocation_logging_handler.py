"""The invocation-logging custom-resource handler, driven through botocore's Stubber (no AWS account).

The Stubber validates every request against botocore's bedrock and s3 service models, fails on any call
that was not expected, and so also proves what the handler does *not* call: no Put or Delete of a
configuration this resource does not own, no Delete after a failure. The sequences CloudFormation runs
(provider migration, its rollbacks, stack deletion) are in test_invocation_logging_ownership.py, on a
stateful moto account.
"""

from __future__ import annotations

import copy
import io
import json
import logging

import boto3
import botocore.loaders
import botocore.model
import pytest
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber

from cris_guard.constructs.handlers.invocation_logging import index as handler

REGION = "eu-central-1"
OUR_BUCKET = "cris-guard-invocation-logs-abc123"
FOREIGN_BUCKET = "landing-zone-central-logs"
PROPS = {
    "ServiceToken": "arn:aws:lambda:eu-central-1:111122223333:function:provider",
    "BucketName": OUR_BUCKET,
    "KeyPrefix": "bedrock-invocation-logs",
    # CloudFormation hands custom resources their properties as strings.
    "TextDataDeliveryEnabled": "true",
    "ImageDataDeliveryEnabled": "false",
    "EmbeddingDataDeliveryEnabled": "false",
    "VideoDataDeliveryEnabled": "false",
    "AudioDataDeliveryEnabled": "false",
    "ReplaceExistingConfiguration": "false",
}
OUR_CONFIG = {
    "s3Config": {"bucketName": OUR_BUCKET, "keyPrefix": "bedrock-invocation-logs"},
    "textDataDeliveryEnabled": True,
    "imageDataDeliveryEnabled": False,
    "embeddingDataDeliveryEnabled": False,
    "videoDataDeliveryEnabled": False,
    "audioDataDeliveryEnabled": False,
}
FOREIGN_CONFIG = {"s3Config": {"bucketName": FOREIGN_BUCKET, "keyPrefix": "bedrock"}, "textDataDeliveryEnabled": True}
ACCOUNT = "111122223333"
SAVED_KEY = "cris-guard/previous-logging-configuration.json"
OWNER_KEY = "cris-guard/logging-owner.json"
LEGACY_ID = f"bedrock-model-invocation-logging-{REGION}"
OLD_ID = f"{LEGACY_ID}-0000000000000000"  # another cris-guard resource (the old provider's)


def _offline_client(service: str):
    return boto3.client(service, region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing")


def _strict_stub(client):
    """Every call must be queued: an unexpected one fails at once, a queued one never made fails at the end.

    The handler turns some S3 and CloudFormation errors into "unknown" and carries on, which would also
    swallow the Stubber's own error for an unexpected call or parameter; so those are recorded here and
    fail the test at the end whatever the handler did with them."""
    with Stubber(client) as stubber:
        surprises: list[Exception] = []
        for name in ("_assert_expected_call_order", "_assert_expected_params"):
            original = getattr(stubber, name)

            def recorded(*args, _original=original, **kwargs):
                try:
                    return _original(*args, **kwargs)
                except Exception as err:
                    surprises.append(err)
                    raise

            setattr(stubber, name, recorded)
        yield stubber
        assert not surprises, surprises
        stubber.assert_no_pending_responses()


@pytest.fixture
def client():
    return _offline_client("bedrock")


@pytest.fixture
def stub(client):
    yield from _strict_stub(client)


@pytest.fixture
def s3():
    return _offline_client("s3")


@pytest.fixture
def s3_stub(s3):
    """Every S3 call must be queued here: an unexpected one (a save nobody asked for) fails the test."""
    yield from _strict_stub(s3)


@pytest.fixture
def cfn():
    return _offline_client("cloudformation")


@pytest.fixture
def cfn_stub(cfn):
    yield from _strict_stub(cfn)


STACK_ID = "arn:aws:cloudformation:eu-central-1:111122223333:stack/s/guid"


def expect_stack(cfn_stub, resources: dict[str, str], stack: str = "s") -> None:
    """ListStackResources of the entries' stack: physical ID -> status (the record's entries name stack "s")."""
    summaries = [
        {
            "LogicalResourceId": f"L{index}",
            "PhysicalResourceId": physical_id,
            "ResourceType": "Custom::BedrockModelInvocationLogging",
            "LastUpdatedTimestamp": "2026-12-01T00:00:00Z",
            "ResourceStatus": status,
        }
        for index, (physical_id, status) in enumerate(resources.items())
    ]
    cfn_stub.add_response("list_stack_resources", {"StackResourceSummaries": summaries}, {"StackName": stack})


@pytest.fixture
def written(s3) -> dict[str, list[dict]]:
    """The documents the handler writes with PutObject, by key, decoded (the Stubber cannot compare a timestamp)."""
    bodies: dict[str, list[dict]] = {}

    def capture(params, **_kwargs):
        bodies.setdefault(params["Key"], []).append(json.loads(params["Body"]))

    s3.meta.events.register("provide-client-params.s3.PutObject", capture)
    return bodies


@pytest.fixture
def saved_bodies(written) -> list[dict]:
    return written.setdefault(SAVED_KEY, [])


def expect_put(s3_stub, key: str, bucket: str = OUR_BUCKET) -> None:
    params = {"Bucket": bucket, "Key": key, "Body": ANY, "ContentType": "application/json", "ExpectedBucketOwner": ACCOUNT}
    s3_stub.add_response("put_object", {}, params)


def expect_get(
    s3_stub,
    key: str,
    document: dict | None,
    *,
    error: str | None = None,
    status: int = 403,
    on: str = "list_objects_v2",
    bucket: str = OUR_BUCKET,
) -> None:
    """The handler asks whether ``key`` exists (ListObjectsV2 with the key as prefix), then reads it.

    ``document`` None: no such object. ``error``: that S3 error code, from ``on`` (the listing or the read).
    """
    list_params = {"Bucket": bucket, "Prefix": key, "MaxKeys": 1, "ExpectedBucketOwner": ACCOUNT}
    get_params = {"Bucket": bucket, "Key": key, "ExpectedBucketOwner": ACCOUNT}
    if error and on == "list_objects_v2":
        s3_stub.add_client_error("list_objects_v2", service_error_code=error, http_status_code=status,
                                 expected_params=list_params)
        return
    exists = document is not None or error is not None
    s3_stub.add_response("list_objects_v2", {"Contents": [{"Key": key}]} if exists else {"KeyCount": 0}, list_params)
    if error:
        s3_stub.add_client_error("get_object", service_error_code=error, http_status_code=status,
                                 expected_params=get_params)
    elif document is not None:
        data = json.dumps(document).encode()
        s3_stub.add_response("get_object", {"Body": StreamingBody(io.BytesIO(data), len(data))}, get_params)


def expect_save(s3_stub) -> None:
    expect_put(s3_stub, SAVED_KEY)


def expect_load(s3_stub, document: dict | None) -> None:
    expect_get(s3_stub, SAVED_KEY, document)


def record(owner: str | None, config: dict | None = None, *hand_back: tuple[str, dict]) -> dict:
    """An owner record as the handler writes it."""

    def entry(physical_id, logging_config):
        return {"physicalResourceId": physical_id, "stackId": "s", "logicalResourceId": "l", "loggingConfig": logging_config}

    return {
        "schema": "cris-guard/logging-owner/v1",
        "owner": entry(owner, config or OUR_CONFIG) if owner else None,
        "handBack": [entry(pid, cfg) for pid, cfg in hand_back],
    }


def expect_claim(s3_stub, existing: dict | None = None) -> None:
    """Create/Update read the owner record and write it (this resource as owner) before putting."""
    expect_get(s3_stub, OWNER_KEY, existing)
    expect_put(s3_stub, OWNER_KEY)


def event(request_type: str, props: dict | None = None, **extra) -> dict:
    result = {
        "RequestType": request_type,
        "ResourceProperties": props if props is not None else dict(PROPS),
        "LogicalResourceId": "InvocationLogging",
        "StackId": "arn:aws:cloudformation:eu-central-1:111122223333:stack/s/guid",
        "RequestId": "req-1",
    }
    result.update(extra)
    return result


def no_sleep(_seconds: float) -> None:
    raise AssertionError("unexpected retry")


def create(client, s3, props=None, **extra):
    return handler.handle(event("Create", props, **extra), client=client, s3_client=s3, sleep=no_sleep)


def update(client, s3, props=None, physical_id=LEGACY_ID, **extra):
    extra.setdefault("OldResourceProperties", dict(PROPS))
    return handler.handle(event("Update", props, PhysicalResourceId=physical_id, **extra), client=client, s3_client=s3, sleep=no_sleep)


def delete(client, s3, physical_id=LEGACY_ID, props=None, cfn=None):
    return handler.handle(
        event("Delete", props, PhysicalResourceId=physical_id), client=client, s3_client=s3, cfn_client=cfn, sleep=no_sleep
    )


# --- Create -----------------------------------------------------------------------------------------
def test_create_puts_the_configuration_under_a_physical_id_of_its_own(client, stub, s3, s3_stub, written):
    stub.add_response("get_model_invocation_logging_configuration", {}, {})
    expect_claim(s3_stub)
    stub.add_response("put_model_invocation_logging_configuration", {}, {"loggingConfig": OUR_CONFIG})
    result = create(client, s3)
    physical_id = result["PhysicalResourceId"]
    assert physical_id.startswith(LEGACY_ID + "-") and len(physical_id) == len(LEGACY_ID) + 17
    assert result["Data"] == {"BucketName": OUR_BUCKET, "Region": REGION}
    (owner_record,) = written[OWNER_KEY]
    assert owner_record["owner"]["physicalResourceId"] == physical_id
    assert owner_record["owner"]["loggingConfig"] == OUR_CONFIG
    assert owner_record["owner"]["logicalResourceId"] == "InvocationLogging"
    assert owner_record["handBack"] == []


def test_physical_ids_differ_per_resource_and_request_and_repeat_for_a_redelivered_one():
    base = event("Create")
    ids = {
        handler.new_physical_id(base, REGION),
        handler.new_physical_id({**base, "LogicalResourceId": "InvocationLoggingV2"}, REGION),
        handler.new_physical_id({**base, "RequestId": "req-2"}, REGION),
        handler.new_physical_id({**base, "StackId": base["StackId"].replace("guid", "other")}, REGION),
    }
    assert len(ids) == 4 and LEGACY_ID not in ids
    assert handler.new_physical_id(dict(base), REGION) == handler.new_physical_id(base, REGION)


def test_create_refuses_to_overwrite_a_configuration_another_tool_owns(client, stub, s3, s3_stub):
    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": FOREIGN_CONFIG}, {})
    expect_get(s3_stub, OWNER_KEY, None)
    with pytest.raises(handler.ConfigurationOwnedElsewhere) as raised:
        create(client, s3)
    message = str(raised.value)
    assert FOREIGN_BUCKET in message and REGION in message
    assert "replace_existing_configuration" in message
    # Neither a put_model_... nor an S3 PutObject was queued: nothing was written.


def test_create_replace_saves_the_foreign_configuration_before_overwriting_it(
    client, stub, s3, s3_stub, saved_bodies, written, caplog
):
    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": FOREIGN_CONFIG}, {})
    expect_get(s3_stub, OWNER_KEY, None)
    expect_save(s3_stub)
    expect_put(s3_stub, OWNER_KEY)
    stub.add_response("put_model_invocation_logging_configuration", {}, {"loggingConfig": OUR_CONFIG})
    with caplog.at_level(logging.WARNING):
        create(client, s3, {**PROPS, "ReplaceExistingConfiguration": "true"})
    assert FOREIGN_BUCKET in caplog.text
    (saved,) = saved_bodies
    assert saved["loggingConfig"] == FOREIGN_CONFIG
    assert saved["schema"] == "cris-guard/previous-logging-configuration/v1"
    assert saved["savedBy"]["requestType"] == "Create"
    assert written[OWNER_KEY][0]["handBack"] == [], "another tool's configuration has no cris-guard owner to hand back to"


def test_create_replace_overwrites_nothing_when_the_save_fails(client, stub, s3, s3_stub):
    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": FOREIGN_CONFIG}, {})
    expect_get(s3_stub, OWNER_KEY, None)
    s3_stub.add_client_error("put_object", service_error_code="AccessDenied", http_status_code=403)
    with pytest.raises(handler.SavedConfigurationError, match="nothing was overwritten") as raised:
        create(client, s3, {**PROPS, "ReplaceExistingConfiguration": "true"})
    assert f"s3://{OUR_BUCKET}/{SAVED_KEY}" in str(raised.value) and "AccessDenied" in str(raised.value)
    # No put_model_invocation_logging_configuration was queued: the foreign configuration is untouched.


def test_create_without_a_foreign_configuration_saves_nothing(client, stub, s3, s3_stub, written):
    stub.add_response("get_model_invocation_logging_configuration", {}, {})
    expect_claim(s3_stub)
    stub.add_response("put_model_invocation_logging_configuration", {}, {"loggingConfig": OUR_CONFIG})
    create(client, s3, {**PROPS, "ReplaceExistingConfiguration": "true"})
    assert SAVED_KEY not in written


def test_create_over_a_legacy_configuration_of_ours_hands_it_back_on_rollback(client, stub, s3, s3_stub, written):
    # Before the owner record, every resource used the legacy ID: a configuration of ours without a
    # record is that resource's, which may still exist (a provider migration from cris-guard 0.x).
    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": OUR_CONFIG}, {})
    expect_claim(s3_stub)
    stub.add_response("put_model_invocation_logging_configuration", {}, {"loggingConfig": OUR_CONFIG})
    create(client, s3)
    (owner_record,) = written[OWNER_KEY]
    assert [entry["physicalResourceId"] for entry in owner_record["handBack"]] == [LEGACY_ID]
    assert owner_record["handBack"][0]["loggingConfig"] == OUR_CONFIG


def test_create_with_cloudwatch_delivery(client, stub, s3, s3_stub):
    props = {
        **PROPS,
        "VideoDataDeliveryEnabled": "true",
        "LogGroupName": "cris-guard-invocations",
        "DeliveryRoleArn": "arn:aws:iam::111122223333:role/delivery",
        "LargeDataKeyPrefix": "bedrock-invocation-logs/cloudwatch-large-data",
    }
    expected = {
        **OUR_CONFIG,
        "videoDataDeliveryEnabled": True,
        "cloudWatchConfig": {
            "logGroupName": "cris-guard-invocations",
            "roleArn": "arn:aws:iam::111122223333:role/delivery",
            "largeDataDeliveryS3Config": {
                "bucketName": OUR_BUCKET,
                "keyPrefix": "bedrock-invocation-logs/cloudwatch-large-data",
            },
        },
    }
    stub.add_response("get_model_invocation_logging_configuration", {}, {})
    expect_claim(s3_stub)
    stub.add_response("put_model_invocation_logging_configuration", {}, {"loggingConfig": expected})
    create(client, s3, props)


# --- Ownership unknown: Create and Update change nothing ---------------------------------------------
@pytest.mark.parametrize(
    ("error", "on", "says"),
    [
        # Without s3:ListBucket S3 answers a missing key with 403, not 404: the handler asks with
        # ListObjectsV2 instead, and a 403 from either call is never taken for "no record".
        ("AccessDenied", "list_objects_v2", f"could not read the owner record s3://{OUR_BUCKET}/{OWNER_KEY} (AccessDenied"),
        ("AccessDenied", "get_object", f"could not read the owner record s3://{OUR_BUCKET}/{OWNER_KEY} (AccessDenied"),
        ("NoSuchBucket", "list_objects_v2", f"the bucket {OUR_BUCKET} no longer exists"),
    ],
)
def test_create_changes_nothing_when_the_owner_record_cannot_be_read(client, stub, s3, s3_stub, error, on, says):
    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": OUR_CONFIG}, {})
    expect_get(s3_stub, OWNER_KEY, None, error=error, on=on)
    with pytest.raises(handler.OwnershipUnknown, match="nothing was changed") as raised:
        create(client, s3)
    assert says in str(raised.value)


def test_create_changes_nothing_when_the_owner_record_cannot_be_written(client, stub, s3, s3_stub):
    stub.add_response("get_model_invocation_logging_configuration", {}, {})
    expect_get(s3_stub, OWNER_KEY, None)
    s3_stub.add_client_error("put_object", service_error_code="AccessDenied", http_status_code=403)
    with pytest.raises(handler.OwnershipUnknown, match="could not write the owner record"):
        create(client, s3)


def test_a_failed_put_puts_the_owner_record_back(client, stub, s3, s3_stub, written):
    # The Provider framework never sends the Delete that follows a failed Create, so the record must not
    # name a resource that never came to exist.
    before = record(OLD_ID)
    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": OUR_CONFIG}, {})
    expect_claim(s3_stub, before)
    stub.add_client_error(
        "put_model_invocation_logging_configuration", service_error_code="AccessDeniedException", http_status_code=403
    )
    expect_put(s3_stub, OWNER_KEY)
    with pytest.raises(handler.LoggingApiError):
        create(client, s3)
    claimed, put_back = written[OWNER_KEY]
    assert claimed["owner"]["physicalResourceId"] != OLD_ID
    assert put_back["owner"] == before["owner"] and put_back["handBack"] == []


def test_an_owner_record_cris_guard_did_not_write_is_not_trusted(client, stub, s3, s3_stub):
    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": OUR_CONFIG}, {})
    expect_get(s3_stub, OWNER_KEY, {"owner": "me"})
    with pytest.raises(handler.OwnershipUnknown, match="not an owner record cris-guard wrote"):
        create(client, s3)


# --- Update -----------------------------------------------------------------------------------------
def test_update_puts_the_new_configuration_and_keeps_the_physical_id(client, stub, s3, s3_stub, written):
    new_config = {**OUR_CONFIG, "imageDataDeliveryEnabled": True}
    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": OUR_CONFIG}, {})
    expect_claim(s3_stub, record(OLD_ID))
    stub.add_response("put_model_invocation_logging_configuration", {}, {"loggingConfig": new_config})
    result = update(client, s3, {**PROPS, "ImageDataDeliveryEnabled": "true"}, physical_id=OLD_ID)
    assert result["PhysicalResourceId"] == OLD_ID, "a changed physical ID would make CloudFormation Delete"
    (owner_record,) = written[OWNER_KEY]
    assert owner_record["owner"]["loggingConfig"] == new_config, "a hand-back must restore what is in place"
    assert owner_record["handBack"] == []


def test_update_of_a_legacy_resource_records_it_as_owner(client, stub, s3, s3_stub, written):
    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": OUR_CONFIG}, {})
    expect_claim(s3_stub)
    stub.add_response("put_model_invocation_logging_configuration", {}, {"loggingConfig": OUR_CONFIG})
    assert update(client, s3)["PhysicalResourceId"] == LEGACY_ID
    assert written[OWNER_KEY][0]["owner"]["physicalResourceId"] == LEGACY_ID
    assert written[OWNER_KEY][0]["handBack"] == []


def test_update_repairs_a_deleted_configuration_and_says_so(client, stub, s3, s3_stub, caplog):
    stub.add_response("get_model_invocation_logging_configuration", {}, {})
    expect_claim(s3_stub, record(LEGACY_ID))
    stub.add_response("put_model_invocation_logging_configuration", {}, {"loggingConfig": OUR_CONFIG})
    with caplog.at_level(logging.WARNING):
        update(client, s3)
    assert "deleted outside cris-guard" in caplog.text


def test_update_repairs_drift_in_our_own_configuration(client, stub, s3, s3_stub):
    drifted = {**OUR_CONFIG, "textDataDeliveryEnabled": False, "imageDataDeliveryEnabled": True}
    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": drifted}, {})
    expect_claim(s3_stub, record(LEGACY_ID))
    stub.add_response("put_model_invocation_logging_configuration", {}, {"loggingConfig": OUR_CONFIG})
    update(client, s3)


def test_update_refuses_a_configuration_another_tool_took_over(client, stub, s3, s3_stub):
    # Same rule as Create: the current bucket is neither the new nor the old one of ours.
    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": FOREIGN_CONFIG}, {})
    expect_get(s3_stub, OWNER_KEY, record(LEGACY_ID))
    with pytest.raises(handler.ConfigurationOwnedElsewhere) as raised:
        update(client, s3)
    message = str(raised.value)
    assert f"points at bucket {FOREIGN_BUCKET}" in message and REGION in message
    assert "taken over since the last deployment" in message and "replace_existing_configuration" in message
    # Neither a put_model_... nor an S3 PutObject was queued.


def test_update_with_replace_saves_the_taken_over_configuration_first(client, stub, s3, s3_stub, saved_bodies, written):
    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": FOREIGN_CONFIG}, {})
    expect_get(s3_stub, OWNER_KEY, record(OLD_ID))
    expect_save(s3_stub)
    expect_put(s3_stub, OWNER_KEY)
    stub.add_response("put_model_invocation_logging_configuration", {}, {"loggingConfig": OUR_CONFIG})
    update(client, s3, {**PROPS, "ReplaceExistingConfiguration": "true"})
    assert [b["loggingConfig"] for b in saved_bodies] == [FOREIGN_CONFIG]
    assert saved_bodies[0]["savedBy"]["requestType"] == "Update"
    # OLD_ID's configuration was replaced by another tool before: it has nothing left to be handed back.
    assert written[OWNER_KEY][0]["handBack"] == []


def test_update_moving_to_a_new_bucket_is_not_a_takeover(client, stub, s3, s3_stub):
    new_bucket = "cris-guard-invocation-logs-new456"
    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": OUR_CONFIG}, {})
    expect_get(s3_stub, OWNER_KEY, None, bucket=new_bucket)
    expect_put(s3_stub, OWNER_KEY, bucket=new_bucket)
    stub.add_response(
        "put_model_invocation_logging_configuration",
        {},
        {"loggingConfig": {**OUR_CONFIG, "s3Config": {"bucketName": new_bucket, "keyPrefix": "bedrock-invocation-logs"}}},
    )
    update(client, s3, {**PROPS, "BucketName": new_bucket})


# --- Delete by the owner ------------------------------------------------------------------------------
def test_delete_without_a_saved_configuration_removes_ours(client, stub, s3, s3_stub, written):
    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": OUR_CONFIG}, {})
    expect_get(s3_stub, OWNER_KEY, record(OLD_ID))
    expect_load(s3_stub, None)
    stub.add_response("delete_model_invocation_logging_configuration", {}, {})
    expect_put(s3_stub, OWNER_KEY)
    assert delete(client, s3, OLD_ID) == {"PhysicalResourceId": OLD_ID}
    assert written[OWNER_KEY][0]["owner"] is None


def test_delete_of_a_legacy_resource_without_a_record_removes_ours(client, stub, s3, s3_stub):
    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": OUR_CONFIG}, {})
    expect_get(s3_stub, OWNER_KEY, None)
    expect_load(s3_stub, None)
    stub.add_response("delete_model_invocation_logging_configuration", {}, {})
    expect_put(s3_stub, OWNER_KEY)
    delete(client, s3, LEGACY_ID)


def test_delete_restores_the_saved_configuration_instead_of_deleting(client, stub, s3, s3_stub, caplog):
    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": OUR_CONFIG}, {})
    expect_get(s3_stub, OWNER_KEY, record(OLD_ID))
    expect_load(s3_stub, {"schema": "cris-guard/previous-logging-configuration/v1", "loggingConfig": FOREIGN_CONFIG})
    stub.add_response("put_model_invocation_logging_configuration", {}, {"loggingConfig": FOREIGN_CONFIG})
    expect_put(s3_stub, OWNER_KEY)
    with caplog.at_level(logging.WARNING):
        delete(client, s3, OLD_ID)
    assert "restoring" in caplog.text
    # No delete_model_invocation_logging_configuration was queued: the account is never left without logging.


def test_create_replace_then_delete_round_trips_the_foreign_configuration(client, stub, s3, s3_stub, saved_bodies, written):
    replace = {**PROPS, "ReplaceExistingConfiguration": "true"}
    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": FOREIGN_CONFIG}, {})
    expect_get(s3_stub, OWNER_KEY, None)
    expect_save(s3_stub)
    expect_put(s3_stub, OWNER_KEY)
    stub.add_response("put_model_invocation_logging_configuration", {}, {"loggingConfig": OUR_CONFIG})
    physical_id = create(client, s3, replace)["PhysicalResourceId"]

    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": OUR_CONFIG}, {})
    expect_get(s3_stub, OWNER_KEY, written[OWNER_KEY][-1])  # exactly what Create wrote
    expect_load(s3_stub, saved_bodies[0])
    stub.add_response("put_model_invocation_logging_configuration", {}, {"loggingConfig": FOREIGN_CONFIG})
    expect_put(s3_stub, OWNER_KEY)
    delete(client, s3, physical_id, replace)


def test_delete_does_not_delete_when_the_saved_configuration_cannot_be_read(client, stub, s3, s3_stub):
    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": OUR_CONFIG}, {})
    expect_get(s3_stub, OWNER_KEY, record(OLD_ID))
    expect_get(s3_stub, SAVED_KEY, None, error="AccessDenied", on="get_object")
    with pytest.raises(handler.SavedConfigurationError, match="cannot tell whether to restore it"):
        delete(client, s3, OLD_ID)


def test_delete_refuses_a_saved_object_that_is_not_a_configuration(client, stub, s3, s3_stub):
    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": OUR_CONFIG}, {})
    expect_get(s3_stub, OWNER_KEY, record(OLD_ID))
    expect_load(s3_stub, {"loggingConfig": {"unexpected": True}})
    with pytest.raises(handler.SavedConfigurationError, match="not a logging configuration"):
        delete(client, s3, OLD_ID)


def test_delete_keeps_ours_when_the_restore_fails(client, stub, s3, s3_stub):
    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": OUR_CONFIG}, {})
    expect_get(s3_stub, OWNER_KEY, record(OLD_ID))
    expect_load(s3_stub, {"loggingConfig": FOREIGN_CONFIG})
    stub.add_client_error(
        "put_model_invocation_logging_configuration", service_error_code="AccessDeniedException", http_status_code=403
    )
    with pytest.raises(handler.SavedConfigurationError, match="could not restore") as raised:
        delete(client, s3, OLD_ID)
    assert SAVED_KEY in str(raised.value) and "left in place" in str(raised.value)
    # No owner-record write was queued: the retried Delete finds this resource still the owner.


def test_a_saved_configuration_pointing_at_our_own_bucket_is_not_restored(client, stub, s3, s3_stub):
    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": OUR_CONFIG}, {})
    expect_get(s3_stub, OWNER_KEY, record(OLD_ID))
    expect_load(s3_stub, {"loggingConfig": OUR_CONFIG})
    stub.add_response("delete_model_invocation_logging_configuration", {}, {})
    expect_put(s3_stub, OWNER_KEY)
    delete(client, s3, OLD_ID)


def test_delete_failure_surfaces_clearly(client, stub, s3, s3_stub):
    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": OUR_CONFIG}, {})
    expect_get(s3_stub, OWNER_KEY, record(OLD_ID))
    expect_load(s3_stub, None)
    stub.add_client_error(
        "delete_model_invocation_logging_configuration",
        service_error_code="InternalServerException",
        service_message="boom",
        http_status_code=500,
    )
    with pytest.raises(handler.LoggingApiError, match="DeleteModelInvocationLoggingConfiguration failed"):
        delete(client, s3, OLD_ID)


def test_a_failed_record_write_after_the_delete_fails_it_so_that_a_retry_finishes(client, stub, s3, s3_stub, written):
    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": OUR_CONFIG}, {})
    expect_get(s3_stub, OWNER_KEY, record(OLD_ID))
    expect_load(s3_stub, None)
    stub.add_response("delete_model_invocation_logging_configuration", {}, {})
    s3_stub.add_client_error("put_object", service_error_code="AccessDenied", http_status_code=403)
    with pytest.raises(handler.OwnershipUnknown, match="could not write the owner record"):
        delete(client, s3, OLD_ID)
    # The retry (CloudFormation retries a failed stack deletion): no configuration, still the owner on
    # record, so it only writes the record.
    stub.add_response("get_model_invocation_logging_configuration", {}, {})
    expect_get(s3_stub, OWNER_KEY, record(OLD_ID))
    expect_put(s3_stub, OWNER_KEY)
    delete(client, s3, OLD_ID)
    assert written[OWNER_KEY][-1]["owner"] is None


# --- Delete by a resource that does not own the configuration: it changes nothing ----------------------
# In each test no put_/delete_model_invocation_logging_configuration is queued: the strict Stubber fails
# the test if Delete removes or replaces a configuration this resource does not own. Which resources on
# the owner record still exist comes from their stack's ListStackResources (expect_stack).
NEW_ID = f"{LEGACY_ID}-1111111111111111"  # the new provider's resource
THIRD_ID = f"{LEGACY_ID}-2222222222222222"


def test_delete_by_the_old_resource_after_a_migration_only_takes_itself_off_the_record(
    client, stub, s3, s3_stub, cfn, cfn_stub, written
):
    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": OUR_CONFIG}, {})
    expect_get(s3_stub, OWNER_KEY, record(NEW_ID, OUR_CONFIG, (OLD_ID, OUR_CONFIG)))
    expect_stack(cfn_stub, {NEW_ID: "CREATE_COMPLETE", OLD_ID: "DELETE_IN_PROGRESS"})
    expect_put(s3_stub, OWNER_KEY)
    delete(client, s3, OLD_ID, cfn=cfn)
    (after,) = written[OWNER_KEY]
    assert after["owner"]["physicalResourceId"] == NEW_ID and after["handBack"] == []


def test_delete_by_a_legacy_resource_after_a_migration_changes_nothing(client, stub, s3, s3_stub, cfn, cfn_stub, written):
    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": OUR_CONFIG}, {})
    expect_get(s3_stub, OWNER_KEY, record(NEW_ID, OUR_CONFIG, (LEGACY_ID, OUR_CONFIG)))
    expect_stack(cfn_stub, {NEW_ID: "CREATE_COMPLETE", LEGACY_ID: "DELETE_IN_PROGRESS"})
    expect_put(s3_stub, OWNER_KEY)
    delete(client, s3, LEGACY_ID, cfn=cfn)
    assert written[OWNER_KEY][0]["handBack"] == []


def test_delete_by_a_resource_that_is_not_on_the_record_changes_nothing(client, stub, s3, s3_stub, cfn, cfn_stub, caplog):
    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": OUR_CONFIG}, {})
    expect_get(s3_stub, OWNER_KEY, record(OLD_ID))
    expect_stack(cfn_stub, {OLD_ID: "UPDATE_COMPLETE"})
    with caplog.at_level(logging.WARNING):
        delete(client, s3, THIRD_ID, cfn=cfn)
    assert f"{OLD_ID} owns it" in caplog.text
    # No record write queued: nothing on it changed.


def test_a_configuration_of_ours_without_a_record_belongs_to_the_legacy_resource(client, stub, s3, s3_stub, cfn, cfn_stub, caplog):
    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": OUR_CONFIG}, {})
    expect_get(s3_stub, OWNER_KEY, None)
    cfn_stub.add_response(
        "list_stack_resources",
        {"StackResourceSummaries": [{"LogicalResourceId": "Old", "PhysicalResourceId": LEGACY_ID, "ResourceStatus": "UPDATE_COMPLETE",
                                     "ResourceType": "Custom::BedrockModelInvocationLogging",
                                     "LastUpdatedTimestamp": "2026-12-01T00:00:00Z"}]},
        {"StackName": STACK_ID},  # the legacy entry names no stack: the event's own
    )
    with caplog.at_level(logging.WARNING):
        delete(client, s3, OLD_ID, cfn=cfn)
    assert f"{LEGACY_ID} owns it" in caplog.text


def test_the_owner_hands_the_configuration_back_on_rollback(client, stub, s3, s3_stub, cfn, cfn_stub, written, caplog):
    old_config = {**OUR_CONFIG, "imageDataDeliveryEnabled": True}
    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": OUR_CONFIG}, {})
    expect_get(s3_stub, OWNER_KEY, record(NEW_ID, OUR_CONFIG, (OLD_ID, old_config)))
    expect_stack(cfn_stub, {NEW_ID: "DELETE_IN_PROGRESS", OLD_ID: "UPDATE_COMPLETE"})
    stub.add_response("put_model_invocation_logging_configuration", {}, {"loggingConfig": old_config})
    expect_put(s3_stub, OWNER_KEY)
    with caplog.at_level(logging.WARNING):
        delete(client, s3, NEW_ID, cfn=cfn)
    assert f"handing the configuration back to {OLD_ID}" in caplog.text
    (after,) = written[OWNER_KEY]
    assert after["owner"]["physicalResourceId"] == OLD_ID and after["owner"]["loggingConfig"] == old_config
    assert after["handBack"] == []


def test_the_hand_back_goes_to_the_newest_resource_that_still_exists(client, stub, s3, s3_stub, cfn, cfn_stub, written):
    # Two migrations: THIRD_ID replaced NEW_ID, which replaced OLD_ID. Both earlier ones still exist.
    third_config = {**OUR_CONFIG, "embeddingDataDeliveryEnabled": True}
    new_config = {**OUR_CONFIG, "imageDataDeliveryEnabled": True}
    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": third_config}, {})
    expect_get(s3_stub, OWNER_KEY, record(THIRD_ID, third_config, (OLD_ID, OUR_CONFIG), (NEW_ID, new_config)))
    expect_stack(cfn_stub, {THIRD_ID: "DELETE_IN_PROGRESS", NEW_ID: "UPDATE_COMPLETE", OLD_ID: "UPDATE_COMPLETE"})
    stub.add_response("put_model_invocation_logging_configuration", {}, {"loggingConfig": new_config})
    expect_put(s3_stub, OWNER_KEY)
    delete(client, s3, THIRD_ID, cfn=cfn)
    (after,) = written[OWNER_KEY]
    assert after["owner"]["physicalResourceId"] == NEW_ID
    assert [entry["physicalResourceId"] for entry in after["handBack"]] == [OLD_ID]


def test_a_hand_back_skips_resources_that_no_longer_exist(client, stub, s3, s3_stub, cfn, cfn_stub, written):
    # NEW_ID's cleanup Delete failed (that the stack update still completes is UNCONFIRMED; the handler does
    # not rely on it), so it stayed on the record though it is
    # gone; OLD_ID still exists.
    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": OUR_CONFIG}, {})
    old_config = {**OUR_CONFIG, "imageDataDeliveryEnabled": True}
    expect_get(s3_stub, OWNER_KEY, record(THIRD_ID, OUR_CONFIG, (OLD_ID, old_config), (NEW_ID, OUR_CONFIG)))
    expect_stack(cfn_stub, {THIRD_ID: "DELETE_IN_PROGRESS", OLD_ID: "UPDATE_COMPLETE"})
    stub.add_response("put_model_invocation_logging_configuration", {}, {"loggingConfig": old_config})
    expect_put(s3_stub, OWNER_KEY)
    delete(client, s3, THIRD_ID, cfn=cfn)
    after = written[OWNER_KEY][0]
    assert after["owner"]["physicalResourceId"] == OLD_ID and after["handBack"] == []


@pytest.mark.parametrize(
    ("me", "in_the_stack"),
    [
        # cdk destroy after a migration whose cleanup Delete of OLD_ID failed: OLD_ID left the stack.
        (NEW_ID, {NEW_ID: "DELETE_IN_PROGRESS"}),
        # NEW_ID's Create claimed ownership and then died (a Lambda timeout): the framework answered the
        # rollback's Delete itself, so the record still names NEW_ID, which never existed.
        (OLD_ID, {OLD_ID: "DELETE_IN_PROGRESS"}),
    ],
)
def test_an_owner_or_heir_that_no_longer_exists_does_not_keep_the_configuration(
    client, stub, s3, s3_stub, cfn, cfn_stub, written, me, in_the_stack
):
    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": OUR_CONFIG}, {})
    expect_get(s3_stub, OWNER_KEY, record(NEW_ID, OUR_CONFIG, (OLD_ID, OUR_CONFIG)))
    expect_stack(cfn_stub, in_the_stack)
    expect_load(s3_stub, None)
    stub.add_response("delete_model_invocation_logging_configuration", {}, {})
    expect_put(s3_stub, OWNER_KEY)
    delete(client, s3, me, cfn=cfn)
    assert written[OWNER_KEY][0]["owner"] is None and written[OWNER_KEY][0]["handBack"] == []


def test_when_the_stack_cannot_be_read_every_owner_counts_as_alive(client, stub, s3, s3_stub, cfn, cfn_stub, caplog):
    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": OUR_CONFIG}, {})
    expect_get(s3_stub, OWNER_KEY, record(NEW_ID, OUR_CONFIG, (OLD_ID, OUR_CONFIG)))
    cfn_stub.add_client_error("list_stack_resources", service_error_code="AccessDenied", http_status_code=403,
                              expected_params={"StackName": "s"})
    expect_put(s3_stub, OWNER_KEY)
    with caplog.at_level(logging.WARNING):
        delete(client, s3, OLD_ID, cfn=cfn)
    assert "treating every owner as alive" in caplog.text
    # OLD_ID took itself off the record; the configuration, NEW_ID's, was not touched.


def test_a_record_owner_of_none_lets_nobody_remove_a_configuration_of_ours(client, stub, s3, s3_stub, cfn, cfn_stub):
    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": OUR_CONFIG}, {})
    expect_get(s3_stub, OWNER_KEY, record(None))
    delete(client, s3, OLD_ID, cfn=cfn)


def test_a_heir_whose_configuration_is_not_on_record_is_left_in_charge(client, stub, s3, s3_stub, cfn, cfn_stub, caplog):
    broken = record(NEW_ID, OUR_CONFIG, (OLD_ID, OUR_CONFIG))
    broken["handBack"][0]["loggingConfig"] = None
    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": OUR_CONFIG}, {})
    expect_get(s3_stub, OWNER_KEY, broken)
    expect_stack(cfn_stub, {NEW_ID: "DELETE_IN_PROGRESS", OLD_ID: "UPDATE_COMPLETE"})
    with caplog.at_level(logging.WARNING):
        delete(client, s3, NEW_ID, cfn=cfn)
    assert f"{OLD_ID} may still exist and its configuration is not on record" in caplog.text


def test_a_failed_hand_back_fails_the_delete_and_keeps_the_record(client, stub, s3, s3_stub, cfn, cfn_stub):
    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": OUR_CONFIG}, {})
    expect_get(s3_stub, OWNER_KEY, record(NEW_ID, OUR_CONFIG, (OLD_ID, OUR_CONFIG)))
    expect_stack(cfn_stub, {NEW_ID: "DELETE_IN_PROGRESS", OLD_ID: "UPDATE_COMPLETE"})
    stub.add_client_error(
        "put_model_invocation_logging_configuration", service_error_code="AccessDeniedException", http_status_code=403
    )
    with pytest.raises(handler.SavedConfigurationError, match=f"could not hand the configuration back to {OLD_ID}"):
        delete(client, s3, NEW_ID, cfn=cfn)


def test_an_update_takes_the_resource_itself_off_hand_back(client, stub, s3, s3_stub, written):
    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": OUR_CONFIG}, {})
    expect_claim(s3_stub, record(NEW_ID, OUR_CONFIG, (OLD_ID, OUR_CONFIG)))
    stub.add_response("put_model_invocation_logging_configuration", {}, {"loggingConfig": OUR_CONFIG})
    update(client, s3, physical_id=OLD_ID)
    (after,) = written[OWNER_KEY]
    assert after["owner"]["physicalResourceId"] == OLD_ID
    assert [entry["physicalResourceId"] for entry in after["handBack"]] == [NEW_ID]


def test_delete_never_touches_a_configuration_another_tool_changed_since(client, stub, s3, s3_stub, caplog):
    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": FOREIGN_CONFIG}, {})
    with caplog.at_level(logging.WARNING):
        delete(client, s3, OLD_ID)
    assert "another tool owns it" in caplog.text and FOREIGN_BUCKET in caplog.text
    # Neither S3 nor Put/Delete was called: only our own configuration is ever removed or replaced.


def test_delete_after_the_bucket_is_gone_leaves_the_configuration_and_succeeds(client, stub, s3, s3_stub, caplog):
    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": OUR_CONFIG}, {})
    expect_get(s3_stub, OWNER_KEY, None, error="NoSuchBucket", status=404)
    with caplog.at_level(logging.WARNING):
        assert delete(client, s3, OLD_ID) == {"PhysicalResourceId": OLD_ID}
    assert f"the bucket {OUR_BUCKET} no longer exists" in caplog.text
    assert f"delete-model-invocation-logging-configuration --region {REGION}" in caplog.text


def test_delete_with_a_403_for_the_record_leaves_the_configuration_and_succeeds(client, stub, s3, s3_stub, caplog):
    # Without s3:ListBucket S3 answers a missing key with 403, not 404: that is not "no record".
    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": OUR_CONFIG}, {})
    expect_get(s3_stub, OWNER_KEY, None, error="AccessDenied", status=403)
    with caplog.at_level(logging.WARNING):
        delete(client, s3, LEGACY_ID)
    assert "AccessDenied" in caplog.text and f"unknown whether {LEGACY_ID} owns it" in caplog.text


def test_delete_without_any_configuration_passes_ownership_on_silently(client, stub, s3, s3_stub, written):
    stub.add_response("get_model_invocation_logging_configuration", {}, {})
    expect_get(s3_stub, OWNER_KEY, record(OLD_ID))
    expect_put(s3_stub, OWNER_KEY)
    delete(client, s3, OLD_ID)
    assert written[OWNER_KEY][0]["owner"] is None


def test_delete_without_any_configuration_or_record_is_a_no_op(client, stub, s3, s3_stub):
    stub.add_response("get_model_invocation_logging_configuration", {}, {})
    expect_get(s3_stub, OWNER_KEY, None)
    delete(client, s3, OLD_ID)


def test_delete_never_fails_on_unexpected_properties(client, stub, s3, s3_stub):
    # A failing Delete blocks stack deletion; without a bucket name ownership is unknown, so leave it.
    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": OUR_CONFIG}, {})
    assert delete(client, s3, "pid", {"ServiceToken": "x"}) == {"PhysicalResourceId": "pid"}


# --- API failures -----------------------------------------------------------------------------------
def test_put_failure_surfaces_clearly_and_deletes_nothing(client, stub, s3, s3_stub):
    stub.add_response("get_model_invocation_logging_configuration", {}, {})
    expect_claim(s3_stub)
    stub.add_client_error(
        "put_model_invocation_logging_configuration",
        service_error_code="AccessDeniedException",
        service_message="User is not authorized to perform bedrock:PutModelInvocationLoggingConfiguration",
        http_status_code=403,
    )
    expect_put(s3_stub, OWNER_KEY)  # the record put back
    with pytest.raises(handler.LoggingApiError) as raised:
        create(client, s3)
    message = str(raised.value)
    assert "PutModelInvocationLoggingConfiguration failed: AccessDeniedException" in message
    assert "not authorized" in message
    assert "kept" in message, "the operator is told that written logs are not lost"
    # No delete response was queued: a Delete call would have failed the Stubber.


def test_validation_error_is_retried_while_iam_propagates(client, stub, s3, s3_stub):
    slept: list[float] = []
    stub.add_response("get_model_invocation_logging_configuration", {}, {})
    expect_claim(s3_stub)
    for _ in range(2):
        stub.add_client_error(
            "put_model_invocation_logging_configuration",
            service_error_code="ValidationException",
            service_message="Failed to validate permissions for log group",
            http_status_code=400,
        )
    stub.add_response("put_model_invocation_logging_configuration", {}, {"loggingConfig": OUR_CONFIG})
    handler.handle(event("Create"), client=client, s3_client=s3, sleep=slept.append)
    assert slept == [5, 10]


def test_persistent_validation_error_gives_up_with_a_hint(client, stub, s3, s3_stub):
    stub.add_response("get_model_invocation_logging_configuration", {}, {})
    expect_claim(s3_stub)
    for _ in range(len(handler._VALIDATION_RETRY_DELAYS_SECONDS) + 1):
        stub.add_client_error(
            "put_model_invocation_logging_configuration",
            service_error_code="ValidationException",
            service_message="Failed to validate permissions for bucket",
            http_status_code=400,
        )
    expect_put(s3_stub, OWNER_KEY)
    with pytest.raises(handler.LoggingApiError, match="bucket policy") as raised:
        handler.handle(event("Create"), client=client, s3_client=s3, sleep=lambda _s: None)
    assert "ValidationException" in str(raised.value)


def test_get_failure_surfaces_clearly(client, stub):
    stub.add_client_error(
        "get_model_invocation_logging_configuration",
        service_error_code="ThrottlingException",
        service_message="Rate exceeded",
        http_status_code=429,
    )
    with pytest.raises(handler.LoggingApiError, match="GetModelInvocationLoggingConfiguration failed: ThrottlingException"):
        handler.handle(event("Delete", PhysicalResourceId="pid"), client=client, sleep=no_sleep)


def test_unknown_request_type_is_rejected(client):
    with pytest.raises(ValueError, match="RequestType"):
        handler.handle(event("Upsert"), client=client, sleep=no_sleep)


# --- Request building -------------------------------------------------------------------------------
@pytest.mark.parametrize(("value", "expected"), [("true", True), ("False", False), (True, True), (False, False)])
def test_parse_bool_accepts_cloudformation_strings(value, expected):
    assert handler.parse_bool("X", value) is expected


@pytest.mark.parametrize("value", ["yes", "1", "", None, 1])
def test_parse_bool_rejects_anything_else(value):
    with pytest.raises(ValueError, match="X must be true or false"):
        handler.parse_bool("X", value)


def test_cloudwatch_delivery_needs_a_role():
    with pytest.raises(ValueError, match="delivery_role_arn is required"):
        handler.logging_config_from_properties({**PROPS, "LogGroupName": "lg"})


def test_bucket_is_required():
    with pytest.raises(ValueError, match="bucket_name is required"):
        handler.logging_config_from_properties({k: v for k, v in PROPS.items() if k != "BucketName"})


def _model_without(*members: str) -> botocore.model.ServiceModel:
    data = copy.deepcopy(botocore.loaders.Loader().load_service_model("bedrock", "service-2"))
    for member in members:
        del data["shapes"]["LoggingConfig"]["members"][member]
    return botocore.model.ServiceModel(data, "bedrock")


def test_an_older_runtime_botocore_may_drop_switches_that_are_off():
    old_model = _model_without("videoDataDeliveryEnabled", "audioDataDeliveryEnabled")
    adapted = handler.adapt_to_runtime_model(dict(OUR_CONFIG), old_model)
    assert "videoDataDeliveryEnabled" not in adapted and "audioDataDeliveryEnabled" not in adapted
    assert adapted["textDataDeliveryEnabled"] is True


def test_an_older_runtime_botocore_must_not_drop_a_switch_that_is_on():
    old_model = _model_without("audioDataDeliveryEnabled")
    with pytest.raises(handler.LoggingApiError, match="audioDataDeliveryEnabled"):
        handler.adapt_to_runtime_model({**OUR_CONFIG, "audioDataDeliveryEnabled": True}, old_model)


def test_current_botocore_knows_every_member_we_send(client):
    assert handler.adapt_to_runtime_model(dict(OUR_CONFIG), client.meta.service_model) == OUR_CONFIG


def test_lambda_entry_point_uses_a_bedrock_an_s3_and_a_cloudformation_client(monkeypatch, client, s3, cfn):
    clients = {"bedrock": client, "s3": s3, "cloudformation": cfn}
    with Stubber(client) as stubber, Stubber(s3) as s3_stubber:
        stubber.add_response("get_model_invocation_logging_configuration", {"loggingConfig": OUR_CONFIG}, {})
        expect_get(s3_stubber, OWNER_KEY, None)
        expect_load(s3_stubber, None)
        stubber.add_response("delete_model_invocation_logging_configuration", {}, {})
        expect_put(s3_stubber, OWNER_KEY)
        monkeypatch.setattr(handler, "_client", lambda service="bedrock": clients[service])
        assert handler.on_event(event("Delete", PhysicalResourceId=LEGACY_ID), None) == {"PhysicalResourceId": LEGACY_ID}
        stubber.assert_no_pending_responses()
        s3_stubber.assert_no_pending_responses()


def test_when_every_resource_on_the_record_is_gone_the_one_being_deleted_is_the_last_owner(
    client, stub, s3, s3_stub, cfn, cfn_stub, written, caplog
):
    # A record edited by hand, or one that lost an entry: the configuration points at this resource's
    # bucket, and CloudFormation confirms that no resource the record names exists any more.
    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": OUR_CONFIG}, {})
    expect_get(s3_stub, OWNER_KEY, record(NEW_ID))
    expect_stack(cfn_stub, {OLD_ID: "DELETE_IN_PROGRESS"})
    expect_load(s3_stub, None)
    stub.add_response("delete_model_invocation_logging_configuration", {}, {})
    expect_put(s3_stub, OWNER_KEY)
    with caplog.at_level(logging.WARNING):
        delete(client, s3, OLD_ID, cfn=cfn)
    assert f"{OLD_ID} acts as the last owner" in caplog.text
    assert written[OWNER_KEY][0]["owner"] is None


def test_a_failed_restore_of_a_configuration_with_another_tools_delivery_role_names_that_role(client, stub, s3, s3_stub):
    role = "arn:aws:iam::111122223333:role/landing-zone-bedrock-logs"
    foreign = {**FOREIGN_CONFIG, "cloudWatchConfig": {"logGroupName": "lz", "roleArn": role,
                                                      "largeDataDeliveryS3Config": {"bucketName": FOREIGN_BUCKET}}}
    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": OUR_CONFIG}, {})
    expect_get(s3_stub, OWNER_KEY, record(OLD_ID))
    expect_load(s3_stub, {"loggingConfig": foreign})
    stub.add_client_error(
        "put_model_invocation_logging_configuration", service_error_code="AccessDeniedException", http_status_code=403
    )
    with pytest.raises(handler.SavedConfigurationError, match=f"delivery role {role}: if Bedrock requires iam:PassRole"):
        delete(client, s3, OLD_ID)
