"""checkov skips: how a construct records, in the template itself, that a checkov check does not apply.

``make scan`` runs checkov (from its own virtual environment, ``.scan-venv``) on the synthesized templates
in ``cdk.out``, the way security teams run it. A finding is either fixed in the construct or skipped with
checkov's own CloudFormation metadata on the resource::

    "Metadata": {"checkov": {"skip": [{"id": "CKV_AWS_18", "comment": "<why it does not apply here>"}]}}

checkov then reports the check as skipped with that comment, and the review report lists every skip with
its reason (:mod:`cris_guard.review.checkov`). :func:`checkov_skip` is the only way cris-guard writes
this metadata; constructs call it next to the matching cdk-nag acknowledgment (:func:`cris_guard.nag.acknowledge`).
"""

from __future__ import annotations

import re
from typing import Any

import aws_cdk as cdk
from constructs import IConstruct

METADATA_KEY = "checkov"
# checkov's check IDs for AWS resources: CKV_AWS_<n> (resource checks) and CKV2_AWS_<n> (graph checks).
CHECK_ID = re.compile(r"^CKV2?_AWS_\d+$")
# A reason must still say something once boilerplate is taken out of it.
MIN_SPECIFIC_CHARS = 40
_BOILERPLATE = re.compile(
    r"\b(this|the|check|checks|resource|is|are|it|not|applicable|apply|applies|does|do|false|positive|"
    r"accepted|risk|by|design|intended|intentional|needed|required|necessary|ignore|ignored|skip|skipped|"
    r"for|now|here|n/?a|ok|fine|known|issue|we|to|a|an|of|on|in)\b",
    re.IGNORECASE,
)
_PLACEHOLDER = re.compile(r"\b(TODO|TBD|FIXME|XXX)\b")


def _cfn_resource(scope: IConstruct) -> cdk.CfnResource:
    if isinstance(scope, cdk.CfnResource):
        return scope
    child = scope.node.default_child
    if isinstance(child, cdk.CfnResource):
        return child
    raise TypeError(
        f"{scope.node.path}: checkov_skip needs a CloudFormation resource or a construct whose default child is one"
    )


def _require_specific(check_id: str, reason: object) -> str:
    if not isinstance(reason, str) or cdk.Token.is_unresolved(reason):
        raise ValueError(f"checkov skip of {check_id} needs a plain-text reason, got {reason!r}")
    specific = re.sub(r"\s+", " ", _BOILERPLATE.sub(" ", re.sub(r"[^\w/ ]", " ", reason))).strip()
    if len(specific) < MIN_SPECIFIC_CHARS or _PLACEHOLDER.search(reason):
        raise ValueError(
            f"checkov skip of {check_id} needs a specific reason (what the resource does and why the check does "
            f"not apply to it), got {reason!r}"
        )
    return reason.strip()


def checkov_skip(scope: IConstruct, check_id: str, reason: str) -> None:
    """Skip checkov check ``check_id`` on ``scope``'s CloudFormation resource (``scope`` itself or its default
    child), with a specific ``reason``.

    Merges with the resource's existing metadata (other keys, and skips of other checks, stay). Skipping
    the same check twice with the same reason is a no-op; with another reason it is an error, since the
    reviewer would read only one of them.
    """
    if not CHECK_ID.match(check_id):
        raise ValueError(f"{check_id!r} is not a checkov AWS check ID (CKV_AWS_<n> or CKV2_AWS_<n>)")
    text = _require_specific(check_id, reason)
    resource = _cfn_resource(scope)
    current: Any = resource.get_metadata(METADATA_KEY)
    if current is None:
        current = {}
    if not isinstance(current, dict) or not isinstance(current.get("skip", []), list):
        raise ValueError(f"{resource.node.path}: unexpected {METADATA_KEY!r} metadata {current!r}")
    skips = [dict(s) for s in current.get("skip", [])]
    for skip in skips:
        if skip.get("id") == check_id:
            if skip.get("comment") == text:
                return
            raise ValueError(
                f"{resource.node.path}: {check_id} is already skipped with another reason ({skip.get('comment')!r})"
            )
    resource.add_metadata(METADATA_KEY, {**current, "skip": [*skips, {"id": check_id, "comment": text}]})
