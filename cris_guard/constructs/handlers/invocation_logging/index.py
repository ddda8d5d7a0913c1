"""Custom-resource handler: Amazon Bedrock model invocation logging for one account and Region.

There is no CloudFormation type for this setting (cris-facts §4.2), so the CDK Provider framework
calls ``on_event`` for Create, Update and Delete. This file has no dependency besides boto3, which the
Lambda Python runtime provides.

The setting is an account-and-Region **singleton**: ``PutModelInvocationLoggingConfiguration``
replaces whatever configuration exists, whoever wrote it. "Ours" below means "its S3 destination is
this resource's bucket" (for Update: the new or the old bucket). So:

* Create refuses to overwrite a configuration that is not ours unless ``ReplaceExistingConfiguration``
  is ``true``: another tool (a landing zone, a security team, the console) may own it, and silently
  redirecting their logs is worse than a failed deployment. When it does replace one, it first saves
  that configuration as a JSON object in this resource's own log bucket
  (:data:`PREVIOUS_CONFIGURATION_KEY`; the bucket is retained, versioned and KMS-encrypted, and the
  object sits outside the expiring log prefix), and only then puts ours. If saving fails, nothing is
  overwritten.
* Update applies the same rule: a configuration that is neither ours nor absent was taken over by
  someone else since, and is only replaced (and saved first) with ``ReplaceExistingConfiguration``.
  Drift in our own configuration, or a deleted one, is repaired (the change itself is caught by
  cris-guard's tamper alarm).
* Delete (stack deletion, or the rollback of a stack operation after this resource was created) acts
  only while the configuration is still ours. If a previous configuration was saved, it is **put
  back** instead of deleting; otherwise ours is deleted. A configuration another tool took over is
  left in place. A saved configuration that cannot be read or restored fails the Delete with an
  explanation rather than leaving the account without logging.

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
# Where a replaced configuration is saved, in this resource's own log bucket. Deliberately *outside* the
# logging key prefix: Bedrock may write anywhere under that prefix, and the log-expiry lifecycle rule
# only applies under it, so this object neither expires nor can be written by Bedrock. The construct
# grants the handler s3:GetObject/PutObject on exactly this key (invocation_logging.py repeats it).
PREVIOUS_CONFIGURATION_KEY = "cris-guard/previous-logging-configuration.json"
_SAVED_SCHEMA = "cris-guard/previous-logging-configuration/v1"
_DELIVERY_FLAGS = {
    # custom-resource property -> loggingConfig member (botocore bedrock service model)
    "TextDataDeliveryEnabled": "textDataDeliveryEnabled",
    "ImageDataDeliveryEnabled": "imageDataDeliveryEnabled",
    "EmbeddingDataDeliveryEnabled": "embeddingDataDeliveryEnabled",
    "VideoDataDeliveryEnabled": "videoDataDeliveryEnabled",
    "AudioDataDeliveryEnabled": "audioDataDeliveryEnabled",
}
# Bedrock validates that it can write to the destinations when the configuration is put; a wrong role
# gives ValidationException "Failed to validate permissions for log group" (cris-facts §4.4). A delivery
# role or bucket policy created seconds earlier may not have propagated yet (IAM is eventually
# consistent); that this surfaces as the same ValidationException is UNCONFIRMED. Retry a few times
# before giving up.
_VALIDATION_RETRY_DELAYS_SECONDS = (5, 10, 20, 30)


class ConfigurationOwnedElsewhere(RuntimeError):
    """Create or Update found a logging configuration that cris-guard did not write."""


class SavedConfigurationError(RuntimeError):
    """The saved previous configuration could not be written, read or restored."""


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


def _error_code(err: Exception) -> str | None:
    return (getattr(err, "response", None) or {}).get("Error", {}).get("Code")


def _account_from_event(event: Mapping[str, Any]) -> str | None:
    """The account ID from the StackId ARN, for S3's ExpectedBucketOwner check (None if not parseable)."""
    parts = str(event.get("StackId", "")).split(":")
    return parts[4] if len(parts) > 4 and parts[4].isdigit() and len(parts[4]) == 12 else None


def _owner_args(account: str | None) -> dict[str, str]:
    return {"ExpectedBucketOwner": account} if account else {}


def save_previous_configuration(
    s3_client: Any, *, bucket: str, previous: Mapping[str, Any], event: Mapping[str, Any]
) -> None:
    """Write ``previous`` to ``s3://bucket/PREVIOUS_CONFIGURATION_KEY`` (SSE-KMS by bucket default)."""
    if s3_client is None:
        raise SavedConfigurationError("no S3 client to save the previous configuration with")
    document = {
        "schema": _SAVED_SCHEMA,
        "loggingConfig": previous,
        "savedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "savedBy": {
            "requestType": event.get("RequestType"),
            "stackId": event.get("StackId"),
            "logicalResourceId": event.get("LogicalResourceId"),
        },
    }
    try:
        s3_client.put_object(
            Bucket=bucket,
            Key=PREVIOUS_CONFIGURATION_KEY,
            Body=json.dumps(document, sort_keys=True, default=str).encode("utf-8"),
            ContentType="application/json",
            **_owner_args(_account_from_event(event)),
        )
    except Exception as err:
        raise SavedConfigurationError(
            f"could not save the configuration being replaced to s3://{bucket}/{PREVIOUS_CONFIGURATION_KEY} "
            f"({_error_text(err)}); nothing was overwritten. Check the handler's s3:PutObject and KMS "
            "permissions on that key."
        ) from err
    LOGGER.info("saved the configuration being replaced to s3://%s/%s", bucket, PREVIOUS_CONFIGURATION_KEY)


def load_previous_configuration(s3_client: Any, *, bucket: str, event: Mapping[str, Any]) -> dict[str, Any] | None:
    """The saved previous ``loggingConfig``, or None when nothing was saved (no object, or a delete marker).

    Any other failure raises: without knowing whether a configuration must be restored, deleting ours
    could leave the account without logging.
    """
    if s3_client is None:
        raise SavedConfigurationError("no S3 client to read the saved previous configuration with")
    location = f"s3://{bucket}/{PREVIOUS_CONFIGURATION_KEY}"
    try:
        response = s3_client.get_object(
            Bucket=bucket, Key=PREVIOUS_CONFIGURATION_KEY, **_owner_args(_account_from_event(event))
        )
        document = json.loads(response["Body"].read())
    except Exception as err:
        # 404 needs s3:ListBucket on the key (granted); without it S3 answers 403 for a missing key
        # (S3 API reference, GetObject, "Permissions").
        if _error_code(err) in ("NoSuchKey", "404", "NotFound"):
            return None
        raise SavedConfigurationError(
            f"could not read the saved previous configuration {location} ({_error_text(err)}), so cris-guard "
            "cannot tell whether to restore it or delete its own. Fix the handler's access and retry, or "
            "restore the configuration yourself and delete that object."
        ) from err
    config = document.get("loggingConfig") if isinstance(document, dict) else None
    if not isinstance(config, dict) or not (config.get("s3Config") or config.get("cloudWatchConfig")):
        raise SavedConfigurationError(
            f"the saved previous configuration {location} is not a logging configuration cris-guard wrote; "
            "restore the configuration yourself and delete that object, then retry"
        )
    return config


def _refuse(region: str, current: Mapping[str, Any], request: str) -> ConfigurationOwnedElsewhere:
    verb = "is already configured" if request == "Create" else "was taken over since the last deployment"
    return ConfigurationOwnedElsewhere(
        f"Bedrock model invocation logging in {region} {verb}: it points at bucket "
        f"{_s3_bucket(current) or '(none: CloudWatch Logs only)'} ({_summary(current)}), probably written "
        "by another tool. It is one setting per account and Region, and cris-guard will not overwrite it "
        "silently. Either remove it (aws bedrock delete-model-invocation-logging-configuration) or set "
        "replace_existing_configuration to true (cris-guard then saves it and puts it back when its stack "
        "is deleted), then deploy again."
    )


def _take_over(
    request: str,
    current: Mapping[str, Any],
    *,
    props: Mapping[str, Any],
    bucket: str,
    region: str,
    event: Mapping[str, Any],
    s3_client: Any,
) -> None:
    """Someone else's configuration is in place: refuse, or save it and let the caller replace it."""
    replace = parse_bool("ReplaceExistingConfiguration", props.get("ReplaceExistingConfiguration", "false"))
    if not replace:
        raise _refuse(region, current, request)
    save_previous_configuration(s3_client, bucket=bucket, previous=current, event=event)
    LOGGER.warning(
        "replacing the existing configuration %s as configured; it is saved and is restored when this "
        "resource is deleted",
        _summary(current),
    )


def _on_delete(
    event: Mapping[str, Any], props: Mapping[str, Any], *, client: Any, s3_client: Any, sleep: Callable[[float], None]
) -> None:
    # Deliberately lenient about properties: a Delete that fails blocks stack deletion.
    region = client.meta.region_name
    bucket = props.get("BucketName")
    current = _get_current(client)
    if not current:
        LOGGER.info("no configuration in %s; nothing to delete or restore", region)
        return
    if not bucket or _s3_bucket(current) != bucket:
        LOGGER.warning(
            "configuration now points at %s, not this resource's bucket %s: another tool owns it; "
            "leaving it in place",
            _s3_bucket(current),
            bucket,
        )
        return
    previous = load_previous_configuration(s3_client, bucket=bucket, event=event)
    if previous is None or _s3_bucket(previous) == bucket:
        _delete(client)
        return
    LOGGER.warning("restoring the configuration cris-guard replaced: %s", _summary(previous))
    try:
        _put(client, dict(previous), sleep)
    except LoggingApiError as err:
        raise SavedConfigurationError(
            f"could not restore the configuration cris-guard replaced ({err}). cris-guard's configuration is "
            f"left in place rather than leaving {region} without logging. Fix the saved configuration's "
            f"destinations, or restore it yourself and delete s3://{bucket}/{PREVIOUS_CONFIGURATION_KEY}, "
            "then retry the deletion."
        ) from err


def handle(
    event: Mapping[str, Any],
    *,
    client: Any,
    s3_client: Any = None,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Process one CloudFormation custom-resource event with a boto3 ``bedrock`` client.

    ``s3_client`` (boto3 ``s3``) reads and writes the saved previous configuration; it is only used
    when a configuration is replaced (Create/Update) or ours is removed (Delete).
    """
    request = event["RequestType"]
    props = event.get("ResourceProperties") or {}
    region = client.meta.region_name
    physical_id = event.get("PhysicalResourceId") or f"{PHYSICAL_ID_PREFIX}-{region}"

    if request == "Delete":
        _on_delete(event, props, client=client, s3_client=s3_client, sleep=sleep)
        return {"PhysicalResourceId": physical_id}

    desired = logging_config_from_properties(props)
    bucket = desired["s3Config"]["bucketName"]
    LOGGER.info("%s in %s: desired %s", request, region, _summary(desired))
    take_over = {"props": props, "bucket": bucket, "region": region, "event": event, "s3_client": s3_client}

    if request == "Create":
        current = _get_current(client)
        if current and _s3_bucket(current) != bucket:
            _take_over(request, current, **take_over)
        _put(client, desired, sleep)
    elif request == "Update":
        current = _get_current(client)
        old_bucket = (event.get("OldResourceProperties") or {}).get("BucketName")
        if current and _s3_bucket(current) not in (bucket, old_bucket):
            # Someone else's configuration replaced ours since the last deployment: same rule as Create.
            _take_over(request, current, **take_over)
        elif not current:
            LOGGER.warning("the configuration was deleted outside cris-guard; restoring it")
        _put(client, desired, sleep)
    else:
        raise ValueError(f"unknown RequestType {request!r}")

    return {"PhysicalResourceId": physical_id, "Data": {"BucketName": bucket, "Region": region}}


def _client(service: str = "bedrock") -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(service, config=Config(retries={"mode": "standard", "max_attempts": 5}))


def on_event(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    """Lambda entry point (``index.on_event``) for the CDK Provider framework."""
    return handle(event, client=_client("bedrock"), s3_client=_client("s3"))
