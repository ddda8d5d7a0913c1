"""Policies in placeholder form: template values turned back into the form :mod:`cris_guard.iam_policy`
plans with, the ARN patterns the access review attributes grants with, and the inference actions it
attributes."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping
from typing import Any

from cris_guard import iam_policy


# Template values are turned back into the placeholder form iam_policy plans with (``${AWS::Partition}``,
# ``${AWS::AccountId}``, ``${ApplicationProfileArn:<profile id>}``). Then iam_policy.policy_size counts a
# synthesized policy exactly as EuInvokeAccess counted it (each placeholder at its worst-case length),
# and the deny statements can be compared with iam_policy.residency_denies as they are defined.

_PSEUDO = {"AWS::Partition": iam_policy.PARTITION, "AWS::AccountId": iam_policy.ACCOUNT}
_PARTITION_RE = r"(?:\$\{AWS::Partition\}|[a-z0-9-]+|\*)"
_ACCOUNT_RE = r"(?:\$\{AWS::AccountId\}|[0-9]{12}|\*|)"
_MODEL_ARN = re.compile(rf"^arn:{_PARTITION_RE}:bedrock:(?P<region>[^:]*):{_ACCOUNT_RE}:foundation-model/(?P<model>.+)$")
_PROFILE_ARN = re.compile(rf"^arn:{_PARTITION_RE}:bedrock:(?P<region>[^:]*):{_ACCOUNT_RE}:inference-profile/(?P<profile>.+)$")
_APPLICATION_PROFILE = re.compile(r"^\$\{ApplicationProfileArn:(?P<profile>[^}]+)\}$")
# The Responses API's project (iam_policy.SID_ALLOW_RESPONSES).
_PROJECT_ARN = re.compile(rf"^arn:{_PARTITION_RE}:bedrock:(?P<region>[^:]*):{_ACCOUNT_RE}:project/(?P<project>.+)$")


def _placeholder_form(value: Any, region: str, application_profiles: Mapping[str, str]) -> Any:
    """``application_profiles``: logical ID of an ApplicationInferenceProfile -> the system profile it copies."""
    if isinstance(value, list):
        return [_placeholder_form(v, region, application_profiles) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        (key, arg), = value.items()
        if key == "Ref":
            if arg == "AWS::Region":
                return region
            return _PSEUDO.get(arg, f"${{{arg}}}")
        if key == "Fn::GetAtt":
            target, attribute = arg if isinstance(arg, list) else str(arg).split(".", 1)
            if target in application_profiles and attribute in ("InferenceProfileArn", "InferenceProfileIdentifier"):
                return iam_policy.application_profile_placeholder(application_profiles[target])
            return f"${{{target}.{attribute}}}"
        if key == "Fn::Sub":
            text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
            for name, sub in variables.items():
                text = text.replace(f"${{{name}}}", str(_placeholder_form(sub, region, application_profiles)))
            return text.replace("${AWS::Region}", region)
        if key == "Fn::Join":
            separator, parts = arg
            return separator.join(str(_placeholder_form(p, region, application_profiles)) for p in parts)
        if key.startswith("Fn::"):
            return f"${{{key}}}"
    return {k: _placeholder_form(v, region, application_profiles) for k, v in value.items()}


# The actions that run inference on the resource they name: an Allow of any of them is attributed.
# InvokeModel also authorizes Converse and StartAsyncInvoke, InvokeModelWithResponseStream authorizes
# ConverseStream (cris-facts §2.1: botocore bedrock-runtime operation docs; iam_policy's action notes).
INFERENCE_ACTIONS = (*iam_policy.INVOKE_ACTIONS, "bedrock:InvokeModelWithBidirectionalStream")


def _covers(patterns: Iterable[str], action: str) -> bool:
    # IAM matches actions case-insensitively, with * and ? wildcards (IAM User Guide, "IAM JSON policy
    # elements: Action": "The prefix and the action name are case insensitive").
    return any(fnmatch.fnmatchcase(action.lower(), str(p).lower()) for p in patterns)
