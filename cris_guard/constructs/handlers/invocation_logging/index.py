"""Custom-resource handler: Amazon Bedrock model invocation logging for one account and Region.

There is no CloudFormation type for this setting (cris-facts §4.2), so the CDK Provider framework
calls ``on_event`` for Create, Update and Delete. This file has no dependency besides boto3, which the
Lambda Python runtime provides.

The setting is an account-and-Region **singleton**: ``PutModelInvocationLoggingConfiguration``
replaces whatever configuration exists, whoever wrote it. So:

* Create refuses to overwrite a configuration that points at another bucket unless
  ``ReplaceExistingConfiguration`` is ``true``: another tool (a landing zone, a security team, the
  console) may own it, and silently redirecting their logs is worse than a failed deployment.
* Update writes the desired configuration even if someone changed it since (drift is repaired; the
  change itself is caught by cris-guard's tamper alarm).
* Delete removes the configuration only while it still points at this resource's bucket; if another
  tool has taken it over, it is left in place and the handler logs that it did so.

The bucket, key and log group are retained by CloudFormation, so a failed or deleted configuration
never deletes a log that was already written.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

LOGGER = logging.getLogger()
LOGGER.setLevel(logging.INFO)

PHYSICAL_ID_PREFIX = "bedrock-model-invocation-logging"
_DELIVERY_FLAGS = {
    # custom-resource property -> loggingConfig member (botocore bedrock service model)
    "TextDataDeliveryEnabled": "textDataDeliveryEnabled",
    "ImageDataDeliveryEnabled": "imageDataDeliveryEnabled",
    "EmbeddingDataDeliveryEnabled": "embeddingDataDeliveryEnabled",
    "VideoDataDeliveryEnabled": "videoDataDeliveryEnabled",
    "AudioDataDeliveryEnabled": "audioDataDeliveryEnabled",
}
# Bedrock validates that it can write to the destinations when the configuration is put. A delivery
# role or bucket policy created seconds earlier may not have propagated yet (IAM is eventually
# consistent), which surfaces as ValidationException; retry a few times before giving up.
_VALIDATION_RETRY_DELAYS_SECONDS = (5, 10, 20, 30)


class ConfigurationOwnedElsewhere(RuntimeError):
    """Create found a logging configuration that cris-guard did not write."""


class LoggingApiError(RuntimeError):
    """A Bedrock logging API call failed; the message says which call and what to check."""


def parse_bool(name: str, value: Any) -> bool:
    """CloudFormation passes custom-resource properties as strings: accept "true"/"false" and bools."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ValueError(f"{name} must be true or false, got {value!r}")


def build_logging_config(
    *,
    bucket_name: str,
    key_prefix: str,
    text_data_delivery: bool,
    image_data_delivery: bool,
    embedding_data_delivery: bool,
    video_data_delivery: bool,
    audio_data_delivery: bool,
    log_group_name: str | None = None,
    delivery_role_arn: str | None = None,
    large_data_key_prefix: str | None = None,
) -> dict[str, Any]:
    """The ``loggingConfig`` member of PutModelInvocationLoggingConfiguration (botocore's shape names).

    S3 delivery is always on. CloudWatch Logs delivery is on when ``log_group_name`` is given; then
    ``delivery_role_arn`` is required and large or binary payloads (which CloudWatch cannot take) go to
    ``bucket_name`` under ``large_data_key_prefix``.
    """
    if not bucket_name:
        raise ValueError("bucket_name is required")
    config: dict[str, Any] = {
        "s3Config": {"bucketName": bucket_name, "keyPrefix": key_prefix},
        "textDataDeliveryEnabled": bool(text_data_delivery),
        "imageDataDeliveryEnabled": bool(image_data_delivery),
        "embeddingDataDeliveryEnabled": bool(embedding_data_delivery),
        "videoDataDeliveryEnabled": bool(video_data_delivery),
        "audioDataDeliveryEnabled": bool(audio_data_delivery),
    }
    if log_group_name:
        if not delivery_role_arn:
            raise ValueError("delivery_role_arn is required when log_group_name is given")
        config["cloudWatchConfig"] = {
            "logGroupName": log_group_name,
            "roleArn": delivery_role_arn,
            "largeDataDeliveryS3Config": {
                "bucketName": bucket_name,
                "keyPrefix": large_data_key_prefix or key_prefix,
            },
        }
    return config


def logging_config_from_properties(props: Mapping[str, Any]) -> dict[str, Any]:
    """Build the request from the custom resource's (string-typed) ResourceProperties."""
    flags = {prop: parse_bool(prop, props.get(prop, "false")) for prop in _DELIVERY_FLAGS}
    return build_logging_config(
        bucket_name=str(props.get("BucketName", "")),
        key_prefix=str(props.get("KeyPrefix", "")),
        text_data_delivery=flags["TextDataDeliveryEnabled"],
        image_data_delivery=flags["ImageDataDeliveryEnabled"],
        embedding_data_delivery=flags["EmbeddingDataDeliveryEnabled"],
        video_data_delivery=flags["VideoDataDeliveryEnabled"],
        audio_data_delivery=flags["AudioDataDeliveryEnabled"],
        log_group_name=props.get("LogGroupName") or None,
        delivery_role_arn=props.get("DeliveryRoleArn") or None,
        large_data_key_prefix=props.get("LargeDataKeyPrefix") or None,
    )


def adapt_to_runtime_model(config: dict[str, Any], service_model: Any) -> dict[str, Any]:
    """Fit the request to the botocore bundled with the Lambda runtime, which may predate new members.

    The video and audio switches are newer than some Lambda runtimes' botocore. A switch the runtime
    does not know and that is ``False`` is dropped (an API member nobody sends is off); one that is
    ``True`` fails loudly, because dropping it would silently log less than configured.
    """
    known = set(service_model.shape_for("LoggingConfig").members)
    adapted = {}
    for member, value in config.items():
        if member in known:
            adapted[member] = value
        elif value is False:
            LOGGER.warning("runtime botocore does not know %s; omitting it (it is false)", member)
        else:
            raise LoggingApiError(
                f"the Lambda runtime's botocore does not know loggingConfig.{member}, which is set to "
                f"{value!r}; turn it off or move the handler to a newer Python runtime"
            )
    return adapted


def _s3_bucket(config: Mapping[str, Any] | None) -> str | None:
    return ((config or {}).get("s3Config") or {}).get("bucketName")


def _summary(config: Mapping[str, Any] | None) -> str:
    return json.dumps(config or {}, sort_keys=True, default=str)


def _error_text(err: Exception) -> str:
    response = getattr(err, "response", None) or {}
    error = response.get("Error", {})
    code, message = error.get("Code"), error.get("Message")
    return f"{code}: {message}" if code else f"{type(err).__name__}: {err}"


def _get_current(client: Any) -> dict[str, Any] | None:
    try:
        response = client.get_model_invocation_logging_configuration()
    except Exception as err:  # botocore ClientError and friends
        raise LoggingApiError(f"GetModelInvocationLoggingConfiguration failed: {_error_text(err)}") from err
    return response.get("loggingConfig") or None


def _put(client: Any, config: dict[str, Any], sleep: Callable[[float], None]) -> None:
    config = adapt_to_runtime_model(config, client.meta.service_model)
    delays = list(_VALIDATION_RETRY_DELAYS_SECONDS)
    while True:
        try:
            client.put_model_invocation_logging_configuration(loggingConfig=config)
            return
        except Exception as err:
            code = (getattr(err, "response", None) or {}).get("Error", {}).get("Code")
            if code == "ValidationException" and delays:
                delay = delays.pop(0)
                LOGGER.warning("Bedrock rejected the configuration (%s); retrying in %ss", _error_text(err), delay)
                sleep(delay)
                continue
            hint = (
                " Bedrock checks that it can write to the destinations: check the bucket policy "
                "(AWSLogs/<account>/BedrockModelInvocationLogs under the key prefix), the KMS key policy, "
                "the delivery role and that bucket and log group are in this account and Region."
                if code == "ValidationException"
                else ""
            )
            raise LoggingApiError(
                f"PutModelInvocationLoggingConfiguration failed: {_error_text(err)}.{hint} "
                "Logs already written are kept (the bucket is retained)."
            ) from err


def _delete(client: Any) -> None:
    try:
        client.delete_model_invocation_logging_configuration()
    except Exception as err:
        raise LoggingApiError(f"DeleteModelInvocationLoggingConfiguration failed: {_error_text(err)}") from err


def handle(event: Mapping[str, Any], *, client: Any, sleep: Callable[[float], None] = time.sleep) -> dict[str, Any]:
    """Process one CloudFormation custom-resource event with a boto3 ``bedrock`` client."""
    request = event["RequestType"]
    props = event.get("ResourceProperties") or {}
    region = client.meta.region_name
    physical_id = event.get("PhysicalResourceId") or f"{PHYSICAL_ID_PREFIX}-{region}"

    if request == "Delete":
        # Deliberately lenient: a Delete that fails blocks stack deletion, so it never validates props.
        bucket = props.get("BucketName")
        current = _get_current(client)
        if not current:
            LOGGER.info("no configuration in %s; nothing to delete", region)
        elif not bucket or _s3_bucket(current) != bucket:
            LOGGER.warning(
                "configuration now points at %s, not this resource's bucket %s: another tool owns it; "
                "leaving it in place",
                _s3_bucket(current),
                bucket,
            )
        else:
            _delete(client)
        return {"PhysicalResourceId": physical_id}

    desired = logging_config_from_properties(props)
    bucket = desired["s3Config"]["bucketName"]
    LOGGER.info("%s in %s: desired %s", request, region, _summary(desired))

    if request == "Create":
        current = _get_current(client)
        replace = parse_bool("ReplaceExistingConfiguration", props.get("ReplaceExistingConfiguration", "false"))
        if current and _s3_bucket(current) != bucket:
            if not replace:
                raise ConfigurationOwnedElsewhere(
                    f"Bedrock model invocation logging is already configured in {region} "
                    f"({_summary(current)}), probably by another tool. It is one setting per account "
                    "and Region, and cris-guard will not overwrite it silently. Either remove it "
                    "(aws bedrock delete-model-invocation-logging-configuration) or set "
                    "replace_existing_configuration to true, then deploy again."
                )
            LOGGER.warning("replacing the existing configuration %s as configured", _summary(current))
        _put(client, desired, sleep)
    elif request == "Update":
        current = _get_current(client)
        old_bucket = (event.get("OldResourceProperties") or {}).get("BucketName")
        if current and _s3_bucket(current) not in (bucket, old_bucket):
            LOGGER.warning("configuration was changed outside cris-guard (%s); restoring it", _summary(current))
        _put(client, desired, sleep)
    else:
        raise ValueError(f"unknown RequestType {request!r}")

    return {"PhysicalResourceId": physical_id, "Data": {"BucketName": bucket, "Region": region}}


def _client() -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client("bedrock", config=Config(retries={"mode": "standard", "max_attempts": 5}))


def on_event(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    """Lambda entry point (``index.on_event``) for the CDK Provider framework."""
    return handle(event, client=_client())
