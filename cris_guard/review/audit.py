"""Residency alarms and audit: invocation logging per source Region, the CloudTrail trail, and the alarms
on the trail's log group, checked against the configuration."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from cris_guard.assembly import AssemblyStack
from cris_guard.config import Config
from cris_guard.constructs.audit_alarms import (
    DIMENSION_SOURCE_REGION,
    METRIC_EVIDENCE_TAMPERING,
    METRIC_LOGGING_CONFIGURATION_CHANGES,
    METRIC_RESIDENCY_VIOLATIONS,
    METRIC_TRAIL_CONFIGURATION_CHANGES,
    METRIC_UNGOVERNED_REGION_INVOCATIONS,
)
from cris_guard.constructs.invocation_logging import CUSTOM_RESOURCE_TYPE as INVOCATION_LOGGING_TYPE
from cris_guard.regions import EU_MEMBER_STATE_REGIONS
from cris_guard.review.model import Found, Section, _cell, _code, _find, _props


def _ref_target(stack: AssemblyStack, value: Any) -> Mapping[str, Any] | None:
    if isinstance(value, dict) and set(value) == {"Ref"}:
        return stack.resources.get(value["Ref"])
    if isinstance(value, dict) and set(value) == {"Fn::GetAtt"}:
        return stack.resources.get(value["Fn::GetAtt"][0])
    return None


def _bucket_expiry(bucket: Mapping[str, Any] | None) -> int | None:
    rules = (_props(bucket).get("LifecycleConfiguration") or {}).get("Rules") or []
    days = [r["ExpirationInDays"] for r in rules if r.get("Status") == "Enabled" and r.get("ExpirationInDays")]
    return min(days) if days else None


def _days(value: int | None) -> str:
    return f"{value} days" if value is not None else "never (no expiry)"


def audit_section(stacks: Sequence[AssemblyStack], config: Config) -> Section:
    """Invocation logging per source Region, the trail, and the alarms on the trail's log group."""
    section = Section("Residency alarms and audit")
    _invocation_logging_rows(section, stacks, config)
    _trail_lines(section, stacks, config)
    _alarm_rows(section, stacks, config)
    return section


def _invocation_logging_rows(section: Section, stacks: Sequence[AssemblyStack], config: Config) -> None:
    wanted = config.audit.invocation_logs
    section.lines += ["| Source Region | Invocation logging | Payloads logged | S3 expiry | CloudWatch Logs |",
                      "|---|---|---|---|---|"]
    by_region: dict[str, list[Found]] = defaultdict(list)
    for found in _find(stacks, INVOCATION_LOGGING_TYPE):
        by_region[found[0].region].append(found)
    for region in config.source_regions:
        where = f"invocation logging in {region}"
        entries = by_region.get(region, [])
        mark = section.check(len(entries) == 1, where, f"{len(entries)} logging configurations, expected 1")
        if len(entries) != 1:
            section.lines.append(f"| {region} | {mark} {len(entries)} found, expected 1 | | | |")
            continue
        stack, lid, resource = entries[0]
        props = _props(resource)
        payloads = [k for k in ("Text", "Image", "Embedding", "Video", "Audio") if props.get(f"{k}DataDeliveryEnabled")]
        expiry = _bucket_expiry(_ref_target(stack, props.get("BucketName")))
        expiry_mark = section.check(expiry == wanted.retention_days, where,
                                    f"logs expire after {_days(expiry)}, configured {wanted.retention_days} days")
        if "LogGroupName" in props:
            retention = _props(_ref_target(stack, props["LogGroupName"])).get("RetentionInDays")
            ok = wanted.cloudwatch_logs and retention == wanted.cloudwatch_retention_days
            text = f"CloudWatch Logs retention {_days(retention)}, configured {wanted.cloudwatch_retention_days} days"
            cloudwatch = f"{section.check(ok, where, text)} {_days(retention)}"
        else:
            cloudwatch = f"{section.check(not wanted.cloudwatch_logs, where, 'no CloudWatch Logs delivery')} off"
        section.lines.append(f"| {region} | {mark} {_code(lid)} in {_code(stack.name)} | {', '.join(payloads) or 'none'}"
                             f" | {expiry_mark} {_days(expiry)} | {cloudwatch} |")
    section.lines.append("")


def _trail_lines(section: Section, stacks: Sequence[AssemblyStack], config: Config) -> None:
    wanted = config.audit.cloudtrail
    trails = _find(stacks, "AWS::CloudTrail::Trail")
    home = config.trail_home_region
    if wanted.enabled:
        ok = len(trails) == 1 and trails[0][0].region == home
        text = f"{len(trails)} trail{'s' if len(trails) != 1 else ''} synthesized, expected one in {home}"
        mark = section.check(ok, "CloudTrail", text)
        section.lines.append(f"CloudTrail {mark}: {f'one trail, in {home} as configured' if ok else text}.")
    else:
        mark = section.check(not trails, "CloudTrail", "a trail is synthesized although cloudtrail.enabled is false")
        existing = wanted.existing_log_group_name
        section.lines.append(f"CloudTrail {mark}: disabled in the configuration; "
                             + (f"alarms read the existing log group {_code(existing)}." if existing else "no alarms on a trail."))
    for stack, lid, resource in trails:
        props = _props(resource)
        expiry = _bucket_expiry(_ref_target(stack, props.get("S3BucketName")))
        retention = _props(_ref_target(stack, props.get("CloudWatchLogsLogGroupArn"))).get("RetentionInDays")
        parts = [
            f"{section.check(ok, f'CloudTrail {lid}', text)} {text}"
            for ok, text in (
                (props.get("IsMultiRegionTrail") is True, "multi-Region"),
                (props.get("EnableLogFileValidation") is True, "log-file validation"),
                ("KMSKeyId" in props, "KMS-encrypted"),
                (expiry == wanted.retention_days, f"S3 expiry {_days(expiry)} (configured {wanted.retention_days})"),
                (retention == wanted.log_group_retention_days,
                 f"log group retention {_days(retention)} (configured {wanted.log_group_retention_days})"),
            )
        ]
        section.lines.append(f"- {_code(lid)} in {_code(stack.name)} ({stack.region}): {'; '.join(parts)}")
    section.lines.append("")


ACCOUNT_ALARMS = (
    (METRIC_UNGOVERNED_REGION_INVOCATIONS, "Inference in an ungoverned Region"),
    (METRIC_TRAIL_CONFIGURATION_CHANGES, "Trail stopped, deleted or changed"),
    (METRIC_LOGGING_CONFIGURATION_CHANGES, "Invocation logging changed by someone else"),
    (METRIC_EVIDENCE_TAMPERING, "Audit evidence deleted, shortened or unlocked"),
)


def _alarm_rows(section: Section, stacks: Sequence[AssemblyStack], config: Config) -> None:
    """Alarms exist wherever the trail's log group does: cris-guard's trail or an existing one."""
    trail = config.audit.cloudtrail
    expected = trail.enabled or trail.existing_log_group_name is not None
    absent = "missing" if expected else "none (no trail log group configured)"
    alarms = _find(stacks, "AWS::CloudWatch::Alarm")
    filters = _find(stacks, "AWS::Logs::MetricFilter")

    def alarms_for(metric: str, source_region: str | None = None) -> list[Found]:
        return [a for a in alarms if _props(a[2]).get("MetricName") == metric and (
            source_region is None or {"Name": DIMENSION_SOURCE_REGION, "Value": source_region}
            in (_props(a[2]).get("Dimensions") or []))]

    section.lines += ["| Alarm | Scope | Where | Check |", "|---|---|---|---|"]
    for region in config.source_regions:
        where = f"residency alarm for {region}"
        hits = alarms_for(METRIC_RESIDENCY_VIOLATIONS, region)
        if not hits:
            section.lines.append(f"| Residency violation | from {region} | {absent} | {section.check(not expected, where, 'missing')} |")
            continue
        stack, lid, resource = hits[0]
        allowed = _residency_allow_list(filters, region)
        outside = [r for r in allowed if r not in EU_MEMBER_STATE_REGIONS]
        has_action = bool(_props(resource).get("AlarmActions"))
        text = (f"inference outside {', '.join(allowed) or '(no metric filter found)'}"
                + (f" (not EU: {', '.join(outside)})" if outside else "")
                + ("" if has_action else "; no alarm action"))
        mark = section.check(has_action and bool(allowed) and not outside, where, text)
        section.lines.append(f"| Residency violation | from {region}: {_cell(text)} | {_code(lid)} in {_code(stack.name)} | {mark} |")
    for metric, label in ACCOUNT_ALARMS:
        hits = alarms_for(metric)
        mark = section.check(bool(hits) or not expected, f"alarm {label}", "missing")
        where = f"{_code(hits[0][1])} in {_code(hits[0][0].name)}" if hits else absent
        section.lines.append(f"| {label} | account | {where} | {mark} |")
    section.lines.append("")
    if expected:
        from cris_guard.stacks.region_stack import tamper_scope

        scope = tamper_scope(config)
        section.lines += [
            "The trail and evidence tamper alarms watch "
            + (f"the trail {', '.join(_code(t) for t in scope.trail_names)}, " if scope.trail_names else "any trail, ")
            + f"buckets {', '.join(_code(b) for b in scope.bucket_name_patterns)}, log groups"
            f" {', '.join(_code(g) for g in scope.log_group_name_patterns)}, and any KMS key or alarm; they leave out"
            f" changes by {', '.join(_code(p) for p in scope.excluded_principal_arn_patterns)}"
            " (`audit.deployer_role_arn_patterns`). A change by anyone else alarms.", ""]


def _residency_allow_list(filters: Sequence[Found], region: str) -> list[str]:
    """The Regions the residency metric filter for ``region`` accepts (its ``inferenceRegion != "…"`` terms)."""
    for _stack, _lid, resource in filters:
        props = _props(resource)
        metrics = [t.get("MetricName") for t in props.get("MetricTransformations") or []]
        pattern = props.get("FilterPattern")
        if METRIC_RESIDENCY_VIOLATIONS in metrics and isinstance(pattern, str) and f'($.awsRegion = "{region}")' in pattern:
            return re.findall(r'\$\.additionalEventData\.inferenceRegion != "([^"]+)"', pattern)
    return []
