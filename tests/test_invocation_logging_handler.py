"""The invocation-logging custom-resource handler, driven through botocore's Stubber (no AWS account).

The Stubber validates every request against botocore's bedrock service model, fails on any call that
was not expected, and so also proves what the handler does *not* call (no Delete after a failure).
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
def saved_bodies(s3) -> list[dict]:
    """The documents the handler writes with PutObject, decoded (the Stubber cannot compare a timestamp)."""
    bodies: list[dict] = []

    def capture(params, **_kwargs):
        bodies.append(json.loads(params["Body"]))

    s3.meta.events.register("provide-client-params.s3.PutObject", capture)
    return bodies


def expect_save(s3_stub) -> None:
    s3_stub.add_response(
        "put_object",
        {},
        {
            "Bucket": OUR_BUCKET,
            "Key": SAVED_KEY,
            "Body": ANY,
            "ContentType": "application/json",
            "ExpectedBucketOwner": ACCOUNT,
        },
    )


def expect_load(s3_stub, document: dict | None) -> None:
    params = {"Bucket": OUR_BUCKET, "Key": SAVED_KEY, "ExpectedBucketOwner": ACCOUNT}
    if document is None:
        s3_stub.add_client_error(
            "get_object", service_error_code="NoSuchKey", http_status_code=404, expected_params=params
        )
        return
    data = json.dumps(document).encode()
    s3_stub.add_response("get_object", {"Body": StreamingBody(io.BytesIO(data), len(data))}, params)


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


# --- Create -----------------------------------------------------------------------------------------
def test_create_puts_the_configuration(client, stub):
    stub.add_response("get_model_invocation_logging_configuration", {}, {})
    stub.add_response("put_model_invocation_logging_configuration", {}, {"loggingConfig": OUR_CONFIG})
    result = handler.handle(event("Create"), client=client, sleep=no_sleep)
    assert result == {
        "PhysicalResourceId": f"bedrock-model-invocation-logging-{REGION}",
        "Data": {"BucketName": OUR_BUCKET, "Region": REGION},
    }


def test_create_refuses_to_overwrite_a_configuration_another_tool_owns(client, stub):
    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": FOREIGN_CONFIG}, {})
    with pytest.raises(handler.ConfigurationOwnedElsewhere) as raised:
        handler.handle(event("Create"), client=client, sleep=no_sleep)
    message = str(raised.value)
    assert FOREIGN_BUCKET in message and REGION in message
    assert "replace_existing_configuration" in message
    # No put_... response was queued: the Stubber would have raised on an unexpected Put.


def test_create_replace_saves_the_foreign_configuration_before_overwriting_it(client, stub, s3, s3_stub, saved_bodies, caplog):
    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": FOREIGN_CONFIG}, {})
    expect_save(s3_stub)
    stub.add_response("put_model_invocation_logging_configuration", {}, {"loggingConfig": OUR_CONFIG})
    props = {**PROPS, "ReplaceExistingConfiguration": "true"}
    with caplog.at_level(logging.WARNING):
        handler.handle(event("Create", props), client=client, s3_client=s3, sleep=no_sleep)
    assert FOREIGN_BUCKET in caplog.text
    (saved,) = saved_bodies
    assert saved["loggingConfig"] == FOREIGN_CONFIG
    assert saved["schema"] == "cris-guard/previous-logging-configuration/v1"
    assert saved["savedBy"]["requestType"] == "Create"


def test_create_replace_overwrites_nothing_when_the_save_fails(client, stub, s3, s3_stub):
    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": FOREIGN_CONFIG}, {})
    s3_stub.add_client_error("put_object", service_error_code="AccessDenied", http_status_code=403)
    props = {**PROPS, "ReplaceExistingConfiguration": "true"}
    with pytest.raises(handler.SavedConfigurationError, match="nothing was overwritten") as raised:
        handler.handle(event("Create", props), client=client, s3_client=s3, sleep=no_sleep)
    assert f"s3://{OUR_BUCKET}/{SAVED_KEY}" in str(raised.value) and "AccessDenied" in str(raised.value)
    # No put_model_invocation_logging_configuration was queued: the foreign configuration is untouched.


def test_create_without_a_foreign_configuration_saves_nothing(client, stub, s3, s3_stub):
    stub.add_response("get_model_invocation_logging_configuration", {}, {})
    stub.add_response("put_model_invocation_logging_configuration", {}, {"loggingConfig": OUR_CONFIG})
    handler.handle(event("Create", {**PROPS, "ReplaceExistingConfiguration": "true"}), client=client, s3_client=s3, sleep=no_sleep)
    # s3_stub has nothing queued: any S3 call would have failed.


def test_create_over_our_own_configuration_is_not_a_conflict(client, stub):
    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": OUR_CONFIG}, {})
    stub.add_response("put_model_invocation_logging_configuration", {}, {"loggingConfig": OUR_CONFIG})
    handler.handle(event("Create"), client=client, sleep=no_sleep)


def test_create_with_cloudwatch_delivery(client, stub):
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
    stub.add_response("put_model_invocation_logging_configuration", {}, {"loggingConfig": expected})
    handler.handle(event("Create", props), client=client, sleep=no_sleep)


# --- Update -----------------------------------------------------------------------------------------
def test_update_puts_the_new_configuration_and_keeps_the_physical_id(client, stub):
    physical_id = f"bedrock-model-invocation-logging-{REGION}"
    new_props = {**PROPS, "ImageDataDeliveryEnabled": "true"}
    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": OUR_CONFIG}, {})
    stub.add_response(
        "put_model_invocation_logging_configuration",
        {},
        {"loggingConfig": {**OUR_CONFIG, "imageDataDeliveryEnabled": True}},
    )
    result = handler.handle(
        event("Update", new_props, PhysicalResourceId=physical_id, OldResourceProperties=dict(PROPS)),
        client=client,
        sleep=no_sleep,
    )
    assert result["PhysicalResourceId"] == physical_id, "a changed physical ID would make CloudFormation Delete"


def test_update_repairs_a_deleted_configuration_and_says_so(client, stub, s3, s3_stub, caplog):
    stub.add_response("get_model_invocation_logging_configuration", {}, {})
    stub.add_response("put_model_invocation_logging_configuration", {}, {"loggingConfig": OUR_CONFIG})
    with caplog.at_level(logging.WARNING):
        handler.handle(
            event("Update", PhysicalResourceId="id", OldResourceProperties=dict(PROPS)),
            client=client,
            s3_client=s3,
            sleep=no_sleep,
        )
    assert "deleted outside cris-guard" in caplog.text


def test_update_repairs_drift_in_our_own_configuration(client, stub, s3, s3_stub):
    drifted = {**OUR_CONFIG, "textDataDeliveryEnabled": False, "imageDataDeliveryEnabled": True}
    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": drifted}, {})
    stub.add_response("put_model_invocation_logging_configuration", {}, {"loggingConfig": OUR_CONFIG})
    handler.handle(
        event("Update", PhysicalResourceId="id", OldResourceProperties=dict(PROPS)), client=client, s3_client=s3, sleep=no_sleep
    )


def test_update_refuses_a_configuration_another_tool_took_over(client, stub, s3, s3_stub):
    # Same rule as Create: the current bucket is neither the new nor the old one of ours.
    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": FOREIGN_CONFIG}, {})
    with pytest.raises(handler.ConfigurationOwnedElsewhere) as raised:
        handler.handle(
            event("Update", PhysicalResourceId="id", OldResourceProperties=dict(PROPS)),
            client=client,
            s3_client=s3,
            sleep=no_sleep,
        )
    message = str(raised.value)
    assert f"points at bucket {FOREIGN_BUCKET}" in message and REGION in message
    assert "taken over since the last deployment" in message and "replace_existing_configuration" in message
    # Neither a put_model_... nor any S3 call was queued.


def test_update_with_replace_saves_the_taken_over_configuration_first(client, stub, s3, s3_stub, saved_bodies):
    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": FOREIGN_CONFIG}, {})
    expect_save(s3_stub)
    stub.add_response("put_model_invocation_logging_configuration", {}, {"loggingConfig": OUR_CONFIG})
    props = {**PROPS, "ReplaceExistingConfiguration": "true"}
    handler.handle(
        event("Update", props, PhysicalResourceId="id", OldResourceProperties=dict(PROPS)),
        client=client,
        s3_client=s3,
        sleep=no_sleep,
    )
    assert [b["loggingConfig"] for b in saved_bodies] == [FOREIGN_CONFIG]
    assert saved_bodies[0]["savedBy"]["requestType"] == "Update"


def test_update_moving_to_a_new_bucket_is_not_a_takeover(client, stub, s3, s3_stub):
    new_bucket = "cris-guard-invocation-logs-new456"
    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": OUR_CONFIG}, {})
    stub.add_response(
        "put_model_invocation_logging_configuration",
        {},
        {"loggingConfig": {**OUR_CONFIG, "s3Config": {"bucketName": new_bucket, "keyPrefix": "bedrock-invocation-logs"}}},
    )
    handler.handle(
        event("Update", {**PROPS, "BucketName": new_bucket}, PhysicalResourceId="id", OldResourceProperties=dict(PROPS)),
        client=client,
        s3_client=s3,
        sleep=no_sleep,
    )


# --- Delete -----------------------------------------------------------------------------------------
def test_delete_without_a_saved_configuration_removes_ours(client, stub, s3, s3_stub):
    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": OUR_CONFIG}, {})
    expect_load(s3_stub, None)
    stub.add_response("delete_model_invocation_logging_configuration", {}, {})
    result = handler.handle(event("Delete", PhysicalResourceId="pid"), client=client, s3_client=s3, sleep=no_sleep)
    assert result == {"PhysicalResourceId": "pid"}


def test_delete_restores_the_saved_configuration_instead_of_deleting(client, stub, s3, s3_stub, caplog):
    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": OUR_CONFIG}, {})
    expect_load(s3_stub, {"schema": "cris-guard/previous-logging-configuration/v1", "loggingConfig": FOREIGN_CONFIG})
    stub.add_response("put_model_invocation_logging_configuration", {}, {"loggingConfig": FOREIGN_CONFIG})
    with caplog.at_level(logging.WARNING):
        handler.handle(event("Delete", PhysicalResourceId="pid"), client=client, s3_client=s3, sleep=no_sleep)
    assert "restoring" in caplog.text
    # No delete_model_invocation_logging_configuration was queued: the account is never left without logging.


def test_create_replace_then_delete_round_trips_the_foreign_configuration(client, stub, s3, s3_stub, saved_bodies):
    replace = {**PROPS, "ReplaceExistingConfiguration": "true"}
    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": FOREIGN_CONFIG}, {})
    expect_save(s3_stub)
    stub.add_response("put_model_invocation_logging_configuration", {}, {"loggingConfig": OUR_CONFIG})
    handler.handle(event("Create", replace), client=client, s3_client=s3, sleep=no_sleep)

    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": OUR_CONFIG}, {})
    expect_load(s3_stub, saved_bodies[0])  # exactly what Create wrote
    stub.add_response("put_model_invocation_logging_configuration", {}, {"loggingConfig": FOREIGN_CONFIG})
    handler.handle(event("Delete", replace, PhysicalResourceId="pid"), client=client, s3_client=s3, sleep=no_sleep)


def test_delete_never_restores_over_a_configuration_another_tool_took_over(client, stub, s3, s3_stub, caplog):
    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": FOREIGN_CONFIG}, {})
    with caplog.at_level(logging.WARNING):
        handler.handle(event("Delete", PhysicalResourceId="pid"), client=client, s3_client=s3, sleep=no_sleep)
    assert "another tool owns it" in caplog.text
    # Neither S3 nor Put/Delete was called: only our own configuration is ever removed or replaced.


def test_delete_does_not_delete_when_the_saved_configuration_cannot_be_read(client, stub, s3, s3_stub):
    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": OUR_CONFIG}, {})
    s3_stub.add_client_error("get_object", service_error_code="AccessDenied", http_status_code=403)
    with pytest.raises(handler.SavedConfigurationError, match="cannot tell whether to restore it"):
        handler.handle(event("Delete", PhysicalResourceId="pid"), client=client, s3_client=s3, sleep=no_sleep)


def test_delete_refuses_a_saved_object_that_is_not_a_configuration(client, stub, s3, s3_stub):
    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": OUR_CONFIG}, {})
    expect_load(s3_stub, {"loggingConfig": {"unexpected": True}})
    with pytest.raises(handler.SavedConfigurationError, match="not a logging configuration"):
        handler.handle(event("Delete", PhysicalResourceId="pid"), client=client, s3_client=s3, sleep=no_sleep)


def test_delete_keeps_ours_when_the_restore_fails(client, stub, s3, s3_stub):
    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": OUR_CONFIG}, {})
    expect_load(s3_stub, {"loggingConfig": FOREIGN_CONFIG})
    stub.add_client_error(
        "put_model_invocation_logging_configuration", service_error_code="AccessDeniedException", http_status_code=403
    )
    with pytest.raises(handler.SavedConfigurationError, match="could not restore") as raised:
        handler.handle(event("Delete", PhysicalResourceId="pid"), client=client, s3_client=s3, sleep=no_sleep)
    assert SAVED_KEY in str(raised.value) and "left in place" in str(raised.value)


def test_a_saved_configuration_pointing_at_our_own_bucket_is_not_restored(client, stub, s3, s3_stub):
    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": OUR_CONFIG}, {})
    expect_load(s3_stub, {"loggingConfig": OUR_CONFIG})
    stub.add_response("delete_model_invocation_logging_configuration", {}, {})
    handler.handle(event("Delete", PhysicalResourceId="pid"), client=client, s3_client=s3, sleep=no_sleep)


def test_delete_leaves_a_configuration_another_tool_took_over(client, stub, caplog):
    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": FOREIGN_CONFIG}, {})
    with caplog.at_level(logging.WARNING):
        handler.handle(event("Delete", PhysicalResourceId="pid"), client=client, sleep=no_sleep)
    assert "another tool owns it" in caplog.text


def test_delete_without_any_configuration_is_a_no_op(client, stub):
    stub.add_response("get_model_invocation_logging_configuration", {}, {})
    handler.handle(event("Delete", PhysicalResourceId="pid"), client=client, sleep=no_sleep)


def test_delete_never_fails_on_unexpected_properties(client, stub):
    # A failing Delete blocks stack deletion; without a bucket name ownership is unknown, so leave it.
    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": OUR_CONFIG}, {})
    result = handler.handle(event("Delete", {"ServiceToken": "x"}, PhysicalResourceId="pid"), client=client, sleep=no_sleep)
    assert result == {"PhysicalResourceId": "pid"}


# --- API failures -----------------------------------------------------------------------------------
def test_put_failure_surfaces_clearly_and_deletes_nothing(client, stub):
    stub.add_response("get_model_invocation_logging_configuration", {}, {})
    stub.add_client_error(
        "put_model_invocation_logging_configuration",
        service_error_code="AccessDeniedException",
        service_message="User is not authorized to perform bedrock:PutModelInvocationLoggingConfiguration",
        http_status_code=403,
    )
    with pytest.raises(handler.LoggingApiError) as raised:
        handler.handle(event("Create"), client=client, sleep=no_sleep)
    message = str(raised.value)
    assert "PutModelInvocationLoggingConfiguration failed: AccessDeniedException" in message
    assert "not authorized" in message
    assert "kept" in message, "the operator is told that written logs are not lost"
    # No delete response was queued: a Delete call would have failed the Stubber.


def test_validation_error_is_retried_while_iam_propagates(client, stub):
    slept: list[float] = []
    stub.add_response("get_model_invocation_logging_configuration", {}, {})
    for _ in range(2):
        stub.add_client_error(
            "put_model_invocation_logging_configuration",
            service_error_code="ValidationException",
            service_message="Failed to validate permissions for log group",
            http_status_code=400,
        )
    stub.add_response("put_model_invocation_logging_configuration", {}, {"loggingConfig": OUR_CONFIG})
    handler.handle(event("Create"), client=client, sleep=slept.append)
    assert slept == [5, 10]


def test_persistent_validation_error_gives_up_with_a_hint(client, stub):
    stub.add_response("get_model_invocation_logging_configuration", {}, {})
    for _ in range(len(handler._VALIDATION_RETRY_DELAYS_SECONDS) + 1):
        stub.add_client_error(
            "put_model_invocation_logging_configuration",
            service_error_code="ValidationException",
            service_message="Failed to validate permissions for bucket",
            http_status_code=400,
        )
    with pytest.raises(handler.LoggingApiError, match="bucket policy") as raised:
        handler.handle(event("Create"), client=client, sleep=lambda _s: None)
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


def test_delete_failure_surfaces_clearly(client, stub, s3, s3_stub):
    stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": OUR_CONFIG}, {})
    expect_load(s3_stub, None)
    stub.add_client_error(
        "delete_model_invocation_logging_configuration",
        service_error_code="InternalServerException",
        service_message="boom",
        http_status_code=500,
    )
    with pytest.raises(handler.LoggingApiError, match="DeleteModelInvocationLoggingConfiguration failed"):
        handler.handle(event("Delete", PhysicalResourceId="pid"), client=client, s3_client=s3, sleep=no_sleep)


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
        expect_load(s3_stubber, None)
        stubber.add_response("delete_model_invocation_logging_configuration", {}, {})
        monkeypatch.setattr(handler, "_client", lambda service="bedrock": clients[service])
        assert handler.on_event(event("Delete", PhysicalResourceId="pid"), None) == {"PhysicalResourceId": "pid"}
        stubber.assert_no_pending_responses()
        s3_stubber.assert_no_pending_responses()
