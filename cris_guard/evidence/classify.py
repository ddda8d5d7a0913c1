"""Decide one CloudTrail record: is it a Bedrock inference call, where did it run, and was that allowed?

Pure functions of a record (a dict as CloudTrail writes it) and an optional :class:`EvidencePolicy` built
from the configuration (and the synthesized assembly). No I/O here: sources read records, this module
classifies them, :mod:`cris_guard.evidence.aggregate` counts them.

Facts (``../shared/reference/evidence-facts.md`` §1, with AWS sources): inference calls are recorded with
``eventSource`` ``bedrock.amazonaws.com`` in the **source** Region (``awsRegion``); the Region that processed
the request is ``additionalEventData.inferenceRegion``. AWS's 2024 blog says the key is absent when the
request was not re-routed; whether newer records always carry it is UNCONFIRMED, so an absent key counts as
"processed in ``awsRegion``" and is counted separately (``inference_region_recorded``). A refused call
carries ``errorCode``: evidence that the guard worked, never processing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from cris_guard.regions import EU_MEMBER_STATE_REGIONS, NON_EU_PROFILE_PREFIXES

BEDROCK_EVENT_SOURCE = "bedrock.amazonaws.com"
# Management events (InvokeModel, InvokeModelWithResponseStream, Converse, ConverseStream) and the data
# events a trail records when asked (StartAsyncInvoke, InvokeModelWithBidirectionalStream).
INFERENCE_EVENT_NAMES = frozenset({
    "InvokeModel", "InvokeModelWithResponseStream", "Converse", "ConverseStream",
    "InvokeModelWithBidirectionalStream", "StartAsyncInvoke",
})
# Error codes that mean "not authorized": the call was refused, nothing was processed.
REFUSAL_CODES = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "Client.UnauthorizedOperation"})

Verdict = Literal["violation", "policy-breach", "refused", "failed", "unresolved", "ok"]
Target = Literal["eu-profile", "global-profile", "other-geography", "application-profile", "model", "unknown"]

_PROFILE_ARN = re.compile(r"^arn:[^:]+:bedrock:[^:]*:[0-9]*:inference-profile/(?P<id>.+)$")
_APP_PROFILE_ARN = re.compile(r"^arn:[^:]+:bedrock:(?P<region>[^:]*):[0-9]*:application-inference-profile/(?P<id>[^/]+)$")
_MODEL_ARN = re.compile(r"^arn:[^:]+:bedrock:[^:]*::foundation-model/(?P<id>.+)$")
_ASSUMED_ROLE = re.compile(r"^arn:[^:]+:sts::[0-9]{12}:assumed-role/(?P<role>[^/]+)/")


@dataclass(frozen=True)
class EvidencePolicy:
    """What the configuration approves, for the verdicts.

    ``approved``: application -> approved ``eu.`` profile IDs; ``roles``: ``<stack name>-<role logical ID>``
    -> application (see :meth:`application_of`); ``application_profiles``: application inference profile ID -> the system profile it wraps (from the
    synthesized templates' outputs or a live account; unknown IDs stay unresolved)."""

    approved: Mapping[str, frozenset[str]] = field(default_factory=dict)
    roles: Mapping[str, str] = field(default_factory=dict)  # "<stack name>-<role logical ID>" -> application
    application_profiles: Mapping[str, str] = field(default_factory=dict)

    def application_of(self, principal: str) -> str | None:
        """The application whose role made the call. CloudFormation names a role ``<stack name>-<logical
        ID>-<suffix>``, both parts possibly truncated to fit 64 characters; the exact truncation rule is
        UNCONFIRMED, so a role matches when its name without the suffix is a prefix (of at least 20
        characters) of ``<stack name>-<logical ID>``."""
        match = _ASSUMED_ROLE.match(principal or "")
        role = match["role"] if match else ((principal or "").rsplit("/", 1)[-1] if ":role/" in (principal or "") else "")
        stem = role.rsplit("-", 1)[0]
        if len(stem) < 20:
            return None
        # Several matches (long names truncated alike): the first application by name, as the SQL does.
        return min((application for full, application in self.roles.items() if full.startswith(stem)), default=None)


@dataclass(frozen=True)
class InferenceEvent:
    """One Bedrock inference call and the verdict on it."""

    event_id: str
    event_time: str
    event_name: str
    account: str
    source_region: str
    inference_region: str
    inference_region_recorded: bool
    model_id: str
    target: Target
    profile_id: str  # the system profile called (resolved for an application profile), or ""
    principal: str
    application: str  # the cris-guard application whose role called, or ""
    error_code: str
    verdict: Verdict
    reason: str
    request_id: str = ""  # CloudTrail requestID: matched against the invocation log's requestId

    def row(self) -> dict[str, str]:
        return {
            "eventID": self.event_id, "eventTime": self.event_time, "eventName": self.event_name,
            "account": self.account, "awsRegion": self.source_region, "inferenceRegion": self.inference_region,
            "inferenceRegionRecorded": "yes" if self.inference_region_recorded else "no",
            "modelId": self.model_id, "target": self.target, "profile": self.profile_id,
            "principal": self.principal, "application": self.application, "errorCode": self.error_code,
            "verdict": self.verdict, "reason": self.reason,
        }


def target_of(model_id: str, policy: EvidencePolicy | None) -> tuple[Target, str]:
    """What ``requestParameters.modelId`` names: a geography's profile, an application profile (and the
    system profile behind it when known), or a bare model."""
    value = model_id or ""
    app = _APP_PROFILE_ARN.match(value)
    if app:
        # The system profile (or model) the application profile copies, when known; judged like a direct call.
        behind = (policy.application_profiles.get(app["id"], "") if policy else "")
        return "application-profile", behind
    profile = _PROFILE_ARN.match(value)
    pid = profile["id"] if profile else value
    model = _MODEL_ARN.match(value)
    if model:
        return "model", ""
    if pid.startswith("eu."):
        return "eu-profile", pid
    if pid.startswith("global."):
        return "global-profile", pid
    if any(pid.startswith(prefix) for prefix in NON_EU_PROFILE_PREFIXES):
        return "other-geography", pid
    if not value:
        return "unknown", ""
    return "model", ""


def _inference_region(record: Mapping[str, Any]) -> tuple[str, bool]:
    extra = record.get("additionalEventData")
    region = extra.get("inferenceRegion") if isinstance(extra, Mapping) else None
    if isinstance(region, str) and region:
        return region, True
    return str(record.get("awsRegion", "")), False


def classify(record: Mapping[str, Any], policy: EvidencePolicy | None = None) -> InferenceEvent | None:
    """The :class:`InferenceEvent` of ``record``, or ``None`` when it is not a Bedrock inference call."""
    if record.get("eventSource") != BEDROCK_EVENT_SOURCE or record.get("eventName") not in INFERENCE_EVENT_NAMES:
        return None
    params = record.get("requestParameters")
    model_id = str(params.get("modelId", "")) if isinstance(params, Mapping) else ""
    target, profile_id = target_of(model_id, policy)
    region, recorded = _inference_region(record)
    identity = record.get("userIdentity") if isinstance(record.get("userIdentity"), Mapping) else {}
    principal = str(identity.get("arn", ""))
    application = (policy.application_of(principal) or "") if policy else ""
    error = str(record.get("errorCode") or "")
    verdict, reason = _verdict(target, profile_id, region, error, application, policy, recorded=recorded)
    return InferenceEvent(
        event_id=str(record.get("eventID", "")), event_time=str(record.get("eventTime", "")),
        event_name=str(record.get("eventName")), account=str(record.get("recipientAccountId", "")),
        source_region=str(record.get("awsRegion", "")), inference_region=region, inference_region_recorded=recorded,
        model_id=model_id, target=target, profile_id=profile_id, principal=principal, application=application,
        error_code=error, verdict=verdict, reason=reason, request_id=str(record.get("requestID") or ""),
    )


def _verdict(target: Target, profile_id: str, region: str, error: str, application: str,
             policy: EvidencePolicy | None, *, recorded: bool = True) -> tuple[Verdict, str]:
    if error in REFUSAL_CODES:
        return "refused", f"refused ({error}): nothing was processed"
    # A call that failed after being routed (a stream error, a throttle at the destination) was still sent
    # there: a recorded processing Region outside the EU is a violation whatever the error.
    if region not in EU_MEMBER_STATE_REGIONS and (recorded or not error):
        return "violation", f"processed in {region or 'an unrecorded Region'}, outside the EU member-state Regions"
    if error:
        return "failed", f"failed ({error}); processed in the EU as far as the record shows"
    if target == "application-profile":
        if not profile_id:
            return "unresolved", ("processed in the EU through an application profile whose system profile is not"
                                  " known here (pass --application-profiles to judge it)")
        behind, _ = target_of(profile_id, None)
        if behind != "eu-profile":
            return "policy-breach", f"processed in the EU, but through an application profile wrapping {profile_id}"
    elif target != "eu-profile":
        return "policy-breach", f"processed in the EU, but not through an eu. profile ({target})"
    if policy is not None and application:
        approved = policy.approved.get(application, frozenset())
        if profile_id not in approved:
            return "policy-breach", f"{application} is not approved for {profile_id}"
    return "ok", "processed in the EU through an eu. profile"
