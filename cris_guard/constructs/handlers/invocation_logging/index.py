"""Custom-resource handler: Amazon Bedrock model invocation logging for one account and Region.

There is no CloudFormation type for this setting (cris-facts §4.2), so the CDK Provider framework
calls ``on_event`` for Create, Update and Delete. This file has no dependency besides boto3, which the
Lambda Python runtime provides.

The setting is an account-and-Region **singleton**: ``PutModelInvocationLoggingConfiguration``
replaces whatever configuration exists, whoever wrote it. Two questions decide what the handler may do.

**Is it cris-guard's?** A configuration whose S3 destination is this resource's bucket (for Update: the
new or the old bucket) is cris-guard's; any other was written by another tool.

* Create refuses to overwrite another tool's configuration unless ``ReplaceExistingConfiguration`` is
  ``true``: a landing zone, a security team or the console may own it, and silently redirecting their
  logs is worse than a failed deployment. When it does replace one, it first saves that configuration
  in this resource's own log bucket (:data:`PREVIOUS_CONFIGURATION_KEY`; the bucket is retained,
  versioned and KMS-encrypted, and the object sits outside the expiring log prefix), and only then puts
  ours. If saving fails, nothing is overwritten.
* Update applies the same rule: a configuration that is neither ours nor absent was taken over by
  someone else since, and is only replaced (and saved first) with ``ReplaceExistingConfiguration``.
  Drift in our own configuration, or a deleted one, is repaired (the change itself is caught by
  cris-guard's tamper alarm).

**Which cris-guard resource owns it?** More than one resource can point at the same bucket: when the
provider changes (CloudFormation does not update a custom resource's ``ServiceToken``: "Updates aren't
supported", template reference, AWS::CloudFormation::CustomResource; so a new provider means a new
logical ID), CloudFormation creates the new resource during the update and deletes the old one only in
``UPDATE_COMPLETE_CLEANUP_IN_PROGRESS`` ("removal of old resources ... after a successful stack update",
User Guide, stack status codes), and a failed update rolls the new one back while the old one stays. So each resource has a physical ID of its own
(:func:`new_physical_id`), and an owner record in the bucket (:data:`OWNER_RECORD_KEY`) says which
resource wrote the configuration in place and which earlier owners may still exist (``handBack``):

* Create and Update write the record first (this resource becomes the owner; a previous cris-guard
  owner whose configuration is in place goes on ``handBack``), then put the configuration. If the put
  fails, the record is put back as it was.
* Delete changes the configuration **only when this resource is the owner**: the newest resource on
  the record that is this one or still exists. Whether a resource exists is asked of its stack
  (``ListStackResources``, :class:`_Liveness`): one that is being deleted or has left the stack (a failed
  cleanup, a Create that died after claiming) is dropped from the record. A resource on ``handBack``
  (the old one after a migration) only takes itself off the record. The owner hands the configuration
  back to the newest earlier resource that still exists (the rollback of a migration); with none left
  it puts back a saved configuration of another tool, or else deletes ours. Another tool's
  configuration is never touched.
* A record that cannot be read (S3 answers 403, the bucket is gone) means ownership is unknown: Delete
  then leaves the configuration in place and says so, and Create or Update fail before changing
  anything. A stack that cannot be read counts every resource on the record as alive. Whatever goes
  wrong, the failure leaves a configuration in place rather than removing one.
* Before this record existed (earlier cris-guard versions wrote none), every resource used the physical ID
  :func:`legacy_physical_id`; a configuration of ours without a record belongs to that ID.

The Provider framework never sends this handler the Delete that follows a failed Create (it answers it
itself: ``AWSCDK::CustomResourceProviderFramework::CREATE_FAILED`` in aws-cdk-lib's ``cfn-response``),
so a Create that raised must leave everything as it found it.

The bucket, key and log group are retained by CloudFormation, so a failed or deleted configuration
never deletes a log that was already written.
"""

from __future__ import annotations

import hashlib
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
# Which cris-guard resource owns the configuration in place; same bucket, same prefix, same grants.
OWNER_RECORD_KEY = "cris-guard/logging-owner.json"
_OWNER_SCHEMA = "cris-guard/logging-owner/v1"
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


class OwnershipUnknown(RuntimeError):
    """The owner record could not be read or written, so it is unknown which resource owns the configuration."""


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


class _StateError(RuntimeError):
    """An object of cris-guard's state in the log bucket could not be read or written (the message says why)."""


class _BucketGone(_StateError):
    """The log bucket no longer exists."""


def _write_state(s3_client: Any, *, bucket: str, key: str, document: Mapping[str, Any], event: Mapping[str, Any]) -> None:
    """Put ``document`` as JSON at ``s3://bucket/key`` (SSE-KMS by the bucket's default encryption)."""
    if s3_client is None:
        raise _StateError("no S3 client")
    try:
        s3_client.put_object(
            Bucket=bucket,
            Key=key,
            Body=json.dumps(document, sort_keys=True, default=str).encode("utf-8"),
            ContentType="application/json",
            **_owner_args(_account_from_event(event)),
        )
    except Exception as err:
        raise _StateError(_error_text(err)) from err


def _read_state(s3_client: Any, *, bucket: str, key: str, event: Mapping[str, Any]) -> Any | None:
    """The JSON document at ``s3://bucket/key``, or None when there is none (no object, or a delete marker).

    Whether the object exists is asked with ListObjectsV2 on exactly that key as prefix, which the
    construct's ``s3:ListBucket`` grant allows with an ``s3:prefix`` condition (the documented meaning of
    that key). A GetObject on a missing key answers 404 only to a caller allowed to list the bucket, and
    whether S3 evaluates ``s3:prefix`` for that decision is not documented: so a GetObject error is never
    read as "no object". Raises :class:`_StateError` (:class:`_BucketGone` for a deleted bucket).
    """
    if s3_client is None:
        raise _StateError("no S3 client")
    owner = _owner_args(_account_from_event(event))
    try:
        listing = s3_client.list_objects_v2(Bucket=bucket, Prefix=key, MaxKeys=1, **owner)
    except Exception as err:
        if _error_code(err) == "NoSuchBucket":
            raise _BucketGone(f"the bucket {bucket} no longer exists") from err
        raise _StateError(_error_text(err)) from err
    if not any(item.get("Key") == key for item in listing.get("Contents") or []):
        return None
    try:
        response = s3_client.get_object(Bucket=bucket, Key=key, **owner)
        return json.loads(response["Body"].read())
    except Exception as err:
        raise _StateError(_error_text(err)) from err


def save_previous_configuration(
    s3_client: Any, *, bucket: str, previous: Mapping[str, Any], event: Mapping[str, Any]
) -> None:
    """Write ``previous`` to ``s3://bucket/PREVIOUS_CONFIGURATION_KEY``."""
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
        _write_state(s3_client, bucket=bucket, key=PREVIOUS_CONFIGURATION_KEY, document=document, event=event)
    except _StateError as err:
        raise SavedConfigurationError(
            f"could not save the configuration being replaced to s3://{bucket}/{PREVIOUS_CONFIGURATION_KEY} "
            f"({err}); nothing was overwritten. Check the handler's s3:PutObject and KMS permissions on that key."
        ) from err
    LOGGER.info("saved the configuration being replaced to s3://%s/%s", bucket, PREVIOUS_CONFIGURATION_KEY)


def load_previous_configuration(s3_client: Any, *, bucket: str, event: Mapping[str, Any]) -> dict[str, Any] | None:
    """The saved previous ``loggingConfig``, or None when nothing was saved.

    Any other failure raises: without knowing whether a configuration must be restored, deleting ours
    could leave the account without logging.
    """
    location = f"s3://{bucket}/{PREVIOUS_CONFIGURATION_KEY}"
    try:
        document = _read_state(s3_client, bucket=bucket, key=PREVIOUS_CONFIGURATION_KEY, event=event)
    except _StateError as err:
        raise SavedConfigurationError(
            f"could not read the saved previous configuration {location} ({err}), so cris-guard cannot tell "
            "whether to restore it or delete its own. Fix the handler's access and retry, or restore the "
            "configuration yourself and delete that object."
        ) from err
    if document is None:
        return None
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


# --- ownership ---------------------------------------------------------------------------------------
def legacy_physical_id(region: str) -> str:
    """The one physical ID every logging resource had before the owner record (shared, hence ambiguous)."""
    return f"{PHYSICAL_ID_PREFIX}-{region}"


def new_physical_id(event: Mapping[str, Any], region: str) -> str:
    """A physical ID of this resource's own: two resources (old and new provider) never share one.

    Derived from the stack, the logical ID and the Create request's ID, so a retried delivery of the same
    request gets the same ID and any other Create gets another.
    """
    seed = "|".join(str(event.get(name, "")) for name in ("StackId", "LogicalResourceId", "RequestId"))
    return f"{legacy_physical_id(region)}-{hashlib.sha256(seed.encode()).hexdigest()[:16]}"


def _entry(physical_id: str, event: Mapping[str, Any], config: Mapping[str, Any] | None) -> dict[str, Any]:
    return {
        "physicalResourceId": physical_id,
        "stackId": event.get("StackId"),
        "logicalResourceId": event.get("LogicalResourceId"),
        "loggingConfig": dict(config) if config else None,
    }


def _is(entry: Mapping[str, Any] | None, physical_id: str) -> bool:
    return bool(entry) and entry.get("physicalResourceId") == physical_id


def load_owner_record(
    s3_client: Any, *, bucket: str, event: Mapping[str, Any], current: Mapping[str, Any] | None, region: str
) -> dict[str, Any]:
    """The owner record, or what a missing one means: a configuration of ours is the legacy resource's.

    Raises :class:`OwnershipUnknown` when it cannot be read, with the fix in the message.
    """
    location = f"s3://{bucket}/{OWNER_RECORD_KEY}"
    try:
        document = _read_state(s3_client, bucket=bucket, key=OWNER_RECORD_KEY, event=event)
    except _BucketGone as err:
        raise OwnershipUnknown(str(err)) from err
    except _StateError as err:
        raise OwnershipUnknown(
            f"could not read the owner record {location} ({err}); check that the handler may list, read and "
            "decrypt that key"
        ) from err
    if document is None:
        legacy = current and _s3_bucket(current) == bucket
        owner = _entry(legacy_physical_id(region), {}, current) if legacy else None
        return {"schema": _OWNER_SCHEMA, "owner": owner, "handBack": []}
    if not isinstance(document, dict) or document.get("schema") != _OWNER_SCHEMA:
        raise OwnershipUnknown(
            f"{location} is not an owner record cris-guard wrote; look at that object (and its versions), "
            "restore cris-guard's last version or delete it"
        )
    document.setdefault("owner", None)
    document["handBack"] = [entry for entry in document.get("handBack") or [] if isinstance(entry, dict)]
    return document


def write_owner_record(s3_client: Any, *, bucket: str, record: Mapping[str, Any], event: Mapping[str, Any]) -> None:
    body = {**record, "updatedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    body["updatedBy"] = {"requestType": event.get("RequestType"), "requestId": event.get("RequestId")}
    try:
        _write_state(s3_client, bucket=bucket, key=OWNER_RECORD_KEY, document=body, event=event)
    except _StateError as err:
        raise OwnershipUnknown(
            f"could not write the owner record s3://{bucket}/{OWNER_RECORD_KEY} ({err}); check the handler's "
            "s3:PutObject and KMS permissions on that key, then retry"
        ) from err


# A resource in one of these states is gone or going: it will never hand anything back.
_GONE = ("DELETE_COMPLETE", "DELETE_IN_PROGRESS", "DELETE_SKIPPED")


class _Liveness:
    """Whether a resource named in the owner record still exists, from its stack's ListStackResources.

    An entry whose resource is not in its stack any more (a failed cleanup Delete, a Create that died
    after claiming ownership, a resource skipped by continue-update-rollback) can never act again; one
    being deleted will not hand anything back. When the stack cannot be read (no client, access denied),
    every entry counts as alive: the handler then acts as it would without this check, and at worst
    leaves a configuration in place.
    """

    def __init__(self, cfn_client: Any, event: Mapping[str, Any]) -> None:
        self._cfn = cfn_client
        self._default_stack = event.get("StackId")
        self._stacks: dict[str, dict[str, str] | None] = {}

    def _resources(self, stack: str) -> dict[str, str] | None:
        """Physical ID -> status of ``stack``'s resources, or None when it cannot be read (asked once)."""
        if stack not in self._stacks:
            self._stacks[stack] = self._list(stack)
        return self._stacks[stack]

    def _list(self, stack: str) -> dict[str, str] | None:
        if self._cfn is None:
            return None
        try:
            pages = self._cfn.get_paginator("list_stack_resources").paginate(StackName=stack)
            return {summary["PhysicalResourceId"]: summary.get("ResourceStatus", "")
                    for page in pages for summary in page.get("StackResourceSummaries", [])
                    if summary.get("PhysicalResourceId")}
        except Exception as err:
            LOGGER.warning("cannot list the resources of %s (%s); treating every owner as alive", stack, _error_text(err))
            return None

    def alive(self, entry: Mapping[str, Any]) -> bool:
        resources = self._resources(str(entry.get("stackId") or self._default_stack))
        if resources is None:
            return True
        status = resources.get(str(entry.get("physicalResourceId")))
        if status is None or status in _GONE:
            LOGGER.info("%s is no longer in its stack (%s)", entry.get("physicalResourceId"), status or "absent")
            return False
        return True


def _claim(
    record: Mapping[str, Any], me: dict[str, Any], *, current: Mapping[str, Any] | None, ours: tuple[str | None, ...]
) -> dict[str, Any]:
    """The record with ``me`` as owner. The previous owner goes on ``handBack`` while its configuration
    is the one in place (or none is): it may still exist, and a rollback hands the configuration back.
    An owner whose configuration another tool replaced since has lost it, and is dropped."""
    physical_id = me["physicalResourceId"]
    hand_back = [entry for entry in record.get("handBack", []) if not _is(entry, physical_id)]
    previous = record.get("owner")
    if previous and not _is(previous, physical_id) and (not current or _s3_bucket(current) in ours):
        hand_back.append(previous)
    return {"schema": _OWNER_SCHEMA, "owner": me, "handBack": hand_back}


def _create_or_update(
    event: Mapping[str, Any],
    props: Mapping[str, Any],
    physical_id: str,
    *,
    client: Any,
    s3_client: Any,
    sleep: Callable[[float], None],
) -> str:
    request = event["RequestType"]
    region = client.meta.region_name
    desired = logging_config_from_properties(props)
    bucket = desired["s3Config"]["bucketName"]
    LOGGER.info("%s of %s in %s: desired %s", request, physical_id, region, _summary(desired))
    old_bucket = (event.get("OldResourceProperties") or {}).get("BucketName") if request == "Update" else None
    ours = (bucket, old_bucket) if old_bucket else (bucket,)

    current = _get_current(client)
    try:
        record = load_owner_record(s3_client, bucket=bucket, event=event, current=current, region=region)
    except OwnershipUnknown as err:
        raise OwnershipUnknown(
            f"cris-guard cannot tell which of its resources owns the logging configuration in {region}, so "
            f"nothing was changed: {err}; then deploy again."
        ) from err
    if current and _s3_bucket(current) not in ours:
        _take_over(request, current, props=props, bucket=bucket, region=region, event=event, s3_client=s3_client)
    elif not current and request == "Update":
        LOGGER.warning("the configuration was deleted outside cris-guard; restoring it")

    claimed = _claim(record, _entry(physical_id, event, desired), current=current, ours=ours)
    write_owner_record(s3_client, bucket=bucket, record=claimed, event=event)
    try:
        _put(client, desired, sleep)
    except LoggingApiError:
        try:  # The configuration did not change, so neither may its owner.
            write_owner_record(s3_client, bucket=bucket, record=record, event=event)
        except OwnershipUnknown as err:
            LOGGER.error("%s; the record names this resource, which failed, as owner", err)
        raise
    return bucket


def _leave(reason: str, *args: Any) -> None:
    LOGGER.warning("leaving the logging configuration in place: " + reason, *args)


def _on_delete(
    event: Mapping[str, Any],
    props: Mapping[str, Any],
    *,
    client: Any,
    s3_client: Any,
    cfn_client: Any,
    sleep: Callable[[float], None],
) -> None:
    """Change the configuration only if this resource owns it; in any case take it off the owner record.

    The owner is the newest resource on the record (owner, then ``handBack`` newest first) that is this
    one or still exists. This resource, as owner, hands the configuration back to the next older one that
    still exists (the rollback of a migration), or else puts back what cris-guard replaced or deletes
    its own. Entries of resources that no longer exist are dropped on the way.
    """
    # Lenient where ownership is in doubt: a Delete that fails blocks stack deletion and rollbacks, so
    # then it changes nothing and succeeds. It fails where a retry fixes things (it is idempotent).
    region = client.meta.region_name
    bucket = props.get("BucketName")
    me = str(event.get("PhysicalResourceId") or "")
    current = _get_current(client)
    if current and (not bucket or _s3_bucket(current) != bucket):
        _leave(
            "it points at %s, not this resource's bucket %s: another tool owns it", _s3_bucket(current), bucket
        )
        return
    if not bucket:
        return
    try:
        record = load_owner_record(s3_client, bucket=bucket, event=event, current=current, region=region)
    except OwnershipUnknown as err:
        if current:
            _leave(
                "%s, so it is unknown whether %s owns it. If no other cris-guard stack in %s uses it, remove it "
                "with: aws bedrock delete-model-invocation-logging-configuration --region %s",
                err, me, region, region,
            )
        return

    liveness = _Liveness(cfn_client, event)
    newest_first = [entry for entry in [record.get("owner"), *reversed(record["handBack"])] if entry]
    owner, older = _owner_among(newest_first, me, liveness)
    if owner is None:  # nothing on the record, and no configuration of ours (else the legacy owner is on it)
        return
    if not _is(owner, me):
        if current:
            _leave("%s owns it, not %s", owner.get("physicalResourceId"), me)
        if owner is not newest_first[0] or any(_is(entry, me) for entry in newest_first):
            # This resource, and any gone ones above the owner, off the record.
            write_owner_record(s3_client, bucket=bucket, record=_ranked(record, owner, older), event=event)
        return

    # This resource owns the configuration: hand it back, or restore what was replaced, or delete ours.
    heir = next((entry for entry in older if liveness.alive(entry)), None)
    below = older[older.index(heir) + 1:] if heir else []
    if not current:
        LOGGER.info("no configuration in %s; nothing to delete or restore", region)
    elif heir and not heir.get("loggingConfig"):
        _leave("%s may still exist and its configuration is not on record", heir.get("physicalResourceId"))
        return
    elif heir:
        LOGGER.warning("handing the configuration back to %s (a rollback)", heir.get("physicalResourceId"))
        try:
            _put(client, dict(heir["loggingConfig"]), sleep)
        except LoggingApiError as err:
            raise SavedConfigurationError(
                f"could not hand the configuration back to {heir.get('physicalResourceId')} ({err}). This "
                "resource's configuration is left in place; retry the operation."
            ) from err
    else:
        _remove_ours(event, region=region, bucket=bucket, client=client, s3_client=s3_client, sleep=sleep)
    write_owner_record(s3_client, bucket=bucket, record=_ranked(record, heir, below), event=event)


def _owner_among(
    newest_first: list[dict[str, Any]], me: str, liveness: _Liveness
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The owner (the newest entry that is ``me`` or still exists) and the entries below it, newest first,
    without ``me``; gone entries above the owner are dropped. When every entry is gone, ``me`` points at
    the same bucket and is the last cris-guard resource: it is the owner."""
    for index, entry in enumerate(newest_first):
        if _is(entry, me) or liveness.alive(entry):
            return entry, [e for e in newest_first[index + 1:] if not _is(e, me)]
    if newest_first:
        LOGGER.warning("no resource on the owner record exists any more; %s acts as the last owner", me)
        return {"physicalResourceId": me}, []
    return None, []


def _ranked(record: Mapping[str, Any], owner: dict[str, Any] | None, below: list[dict[str, Any]]) -> dict[str, Any]:
    """``record`` with ``owner`` on top and ``below`` (newest first) as its hand-back list."""
    return {**record, "owner": owner, "handBack": list(reversed(below))}


def _remove_ours(
    event: Mapping[str, Any], *, region: str, bucket: str, client: Any, s3_client: Any, sleep: Callable[[float], None]
) -> None:
    """The last cris-guard owner goes: put back what it replaced, or delete its configuration."""
    previous = load_previous_configuration(s3_client, bucket=bucket, event=event)
    if previous is None or _s3_bucket(previous) == bucket:
        _delete(client)
        return
    LOGGER.warning("restoring the configuration cris-guard replaced: %s", _summary(previous))
    try:
        _put(client, dict(previous), sleep)
    except LoggingApiError as err:
        role = ((previous.get("cloudWatchConfig") or {}).get("roleArn")) or None
        # Whether Bedrock checks iam:PassRole for the delivery role is UNCONFIRMED (cris-facts §4.4); the
        # handler may pass only cris-guard's own delivery role.
        pass_role = (
            f" It names the delivery role {role}: if Bedrock requires iam:PassRole for it, restore it yourself."
            if role
            else ""
        )
        raise SavedConfigurationError(
            f"could not restore the configuration cris-guard replaced ({err}). cris-guard's configuration is "
            f"left in place rather than leaving {region} without logging. Fix the saved configuration's "
            f"destinations, or restore it yourself and delete s3://{bucket}/{PREVIOUS_CONFIGURATION_KEY}, "
            f"then retry the deletion.{pass_role}"
        ) from err


def handle(
    event: Mapping[str, Any],
    *,
    client: Any,
    s3_client: Any = None,
    cfn_client: Any = None,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Process one CloudFormation custom-resource event with boto3 ``bedrock``, ``s3`` and ``cloudformation``
    clients.

    ``s3_client`` reads and writes the owner record and the saved previous configuration;
    ``cfn_client`` tells a Delete which resources on the owner record still exist (without it, all do).
    """
    request = event["RequestType"]
    props = event.get("ResourceProperties") or {}
    region = client.meta.region_name

    if request == "Delete":
        _on_delete(event, props, client=client, s3_client=s3_client, cfn_client=cfn_client, sleep=sleep)
        return {"PhysicalResourceId": event.get("PhysicalResourceId") or legacy_physical_id(region)}
    if request == "Create":
        physical_id = new_physical_id(event, region)
    elif request == "Update":
        # Kept as it is: a different ID from an Update would make CloudFormation delete the old one.
        physical_id = event.get("PhysicalResourceId") or legacy_physical_id(region)
    else:
        raise ValueError(f"unknown RequestType {request!r}")
    bucket = _create_or_update(event, props, physical_id, client=client, s3_client=s3_client, sleep=sleep)
    return {"PhysicalResourceId": physical_id, "Data": {"BucketName": bucket, "Region": region}}


def _client(service: str = "bedrock") -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(service, config=Config(retries={"mode": "standard", "max_attempts": 5}))


def on_event(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    """Lambda entry point (``index.on_event``) for the CDK Provider framework."""
    return handle(event, client=_client("bedrock"), s3_client=_client("s3"), cfn_client=_client("cloudformation"))
