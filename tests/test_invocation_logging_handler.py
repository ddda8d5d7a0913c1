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
    """Every call must be queued: an unexpected one fails at once, a queued one never made fails at the end."""
    with Stubber(client) as stubber:
        yield stubber
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


def expect_put(s3_stub, key: str) -> None:
    params = {"Bucket": OUR_BUCKET, "Key": key, "Body": ANY, "ContentType": "application/json", "ExpectedBucketOwner": ACCOUNT}
    s3_stub.add_response("put_object", {}, params)


def expect_get(s3_stub, key: str, document: dict | None, *, error: str = "NoSuchKey", status: int = 404) -> None:
    params = {"Bucket": OUR_BUCKET, "Key": key, "ExpectedBucketOwner": ACCOUNT}
    if document is None:
        s3_stub.add_client_error("get_object", service_error_code=error, http_status_code=status, expected_params=params)
        return
    data = json.dumps(document).encode()
    s3_stub.add_response("get_object", {"Body": StreamingBody(io.BytesIO(data), len(data))}, params)


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


def delete(client, s3, physical_id=LEGACY_ID, props=None):
    return handler.handle(event("Delete", props, PhysicalResourceId=physical_id), client=client, s3_client=s3, sleep=no_sleep)


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
    ("error", "status", "says"),
    [
        ("AccessDenied", 403, "AccessDenied"),  # s3:ListBucket missing: a missing key also answers 403
        ("NoSuchBucket", 404, f"the bucket {OUR_BUCKET} no longer exists"),
    ],
)
def test_create_changes_nothing_when_the_owner_record_cannot_be_read(client, stub, s3, s3_stub, error, status, says):
    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": OUR_CONFIG}, {})
    expect_get(s3_stub, OWNER_KEY, None, error=error, status=status)
    with pytest.raises(handler.OwnershipUnknown, match="nothing was changed") as raised:
        create(client, s3)
    assert says in str(raised.value) and OWNER_KEY in str(raised.value)


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
    s3_stub.add_client_error(
        "get_object",
        service_error_code="NoSuchKey",
        http_status_code=404,
        expected_params={"Bucket": new_bucket, "Key": OWNER_KEY, "ExpectedBucketOwner": ACCOUNT},
    )
    s3_stub.add_response(
        "put_object",
        {},
        {"Bucket": new_bucket, "Key": OWNER_KEY, "Body": ANY, "ContentType": "application/json", "ExpectedBucketOwner": ACCOUNT},
    )
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
    s3_stub.add_client_error("get_object", service_error_code="AccessDenied", http_status_code=403)
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


def test_a_failed_record_write_after_the_delete_does_not_fail_it(client, stub, s3, s3_stub, caplog):
    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": OUR_CONFIG}, {})
    expect_get(s3_stub, OWNER_KEY, record(OLD_ID))
    expect_load(s3_stub, None)
    stub.add_response("delete_model_invocation_logging_configuration", {}, {})
    s3_stub.add_client_error("put_object", service_error_code="AccessDenied", http_status_code=403)
    with caplog.at_level(logging.ERROR):
        delete(client, s3, OLD_ID)
    assert "could not write the owner record" in caplog.text


# --- Delete by a resource that does not own the configuration: it changes nothing ----------------------
# In each test no put_/delete_model_invocation_logging_configuration is queued: the strict Stubber fails
# the test if Delete removes or replaces a configuration this resource does not own.
def test_delete_by_the_old_resource_after_a_migration_only_takes_itself_off_the_record(client, stub, s3, s3_stub, written):
    new_id = f"{LEGACY_ID}-1111111111111111"
    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": OUR_CONFIG}, {})
    expect_get(s3_stub, OWNER_KEY, record(new_id, OUR_CONFIG, (OLD_ID, OUR_CONFIG)))
    expect_put(s3_stub, OWNER_KEY)
    delete(client, s3, OLD_ID)
    (after,) = written[OWNER_KEY]
    assert after["owner"]["physicalResourceId"] == new_id and after["handBack"] == []


def test_delete_by_a_legacy_resource_after_a_migration_changes_nothing(client, stub, s3, s3_stub, written):
    new_id = f"{LEGACY_ID}-1111111111111111"
    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": OUR_CONFIG}, {})
    expect_get(s3_stub, OWNER_KEY, record(new_id, OUR_CONFIG, (LEGACY_ID, OUR_CONFIG)))
    expect_put(s3_stub, OWNER_KEY)
    delete(client, s3, LEGACY_ID)
    assert written[OWNER_KEY][0]["handBack"] == []


def test_delete_by_a_resource_that_is_not_on_the_record_changes_nothing(client, stub, s3, s3_stub, caplog):
    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": OUR_CONFIG}, {})
    expect_get(s3_stub, OWNER_KEY, record(OLD_ID))
    with caplog.at_level(logging.WARNING):
        delete(client, s3, f"{LEGACY_ID}-2222222222222222")
    assert f"{OLD_ID} owns it" in caplog.text


def test_a_configuration_of_ours_without_a_record_belongs_to_the_legacy_resource_only(client, stub, s3, s3_stub, caplog):
    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": OUR_CONFIG}, {})
    expect_get(s3_stub, OWNER_KEY, None)
    with caplog.at_level(logging.WARNING):
        delete(client, s3, OLD_ID)
    assert f"{LEGACY_ID} owns it" in caplog.text


def test_the_owner_hands_the_configuration_back_on_rollback(client, stub, s3, s3_stub, written, caplog):
    old_config = {**OUR_CONFIG, "imageDataDeliveryEnabled": True}
    new_id = f"{LEGACY_ID}-1111111111111111"
    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": OUR_CONFIG}, {})
    expect_get(s3_stub, OWNER_KEY, record(new_id, OUR_CONFIG, (OLD_ID, old_config)))
    stub.add_response("put_model_invocation_logging_configuration", {}, {"loggingConfig": old_config})
    expect_put(s3_stub, OWNER_KEY)
    with caplog.at_level(logging.WARNING):
        delete(client, s3, new_id)
    assert f"handing the configuration back to {OLD_ID}" in caplog.text
    (after,) = written[OWNER_KEY]
    assert after["owner"]["physicalResourceId"] == OLD_ID and after["owner"]["loggingConfig"] == old_config
    assert after["handBack"] == []


def test_a_failed_hand_back_fails_the_delete_and_keeps_the_record(client, stub, s3, s3_stub):
    new_id = f"{LEGACY_ID}-1111111111111111"
    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": OUR_CONFIG}, {})
    expect_get(s3_stub, OWNER_KEY, record(new_id, OUR_CONFIG, (OLD_ID, OUR_CONFIG)))
    stub.add_client_error(
        "put_model_invocation_logging_configuration", service_error_code="AccessDeniedException", http_status_code=403
    )
    with pytest.raises(handler.SavedConfigurationError, match=f"could not hand the configuration back to {OLD_ID}"):
        delete(client, s3, new_id)


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


def test_lambda_entry_point_uses_a_bedrock_and_an_s3_client(monkeypatch, client, s3):
    clients = {"bedrock": client, "s3": s3}
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
