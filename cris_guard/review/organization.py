"""The organization guardrail: every SCP in the assembly (``AWS::Organizations::Policy``) with its targets,
statements and size, and which of the configuration's accounts it binds; and which stacks hold one."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from cris_guard import scp
from cris_guard.assembly import AssemblyStack
from cris_guard.config import Config
from cris_guard.review.model import OK, WARN, Section, _as_list, _code, _find, _percent, _props, _show, _text
from cris_guard.review.placeholders import _placeholder_form


ORGANIZATIONS_POLICY_TYPE = "AWS::Organizations::Policy"


def _is_guardrail_stack(stack: AssemblyStack) -> bool:
    return any(r.get("Type") == ORGANIZATIONS_POLICY_TYPE for r in stack.resources.values())


def _scp_size(document: Any) -> tuple[int, int, str]:
    """(characters, limit, how counted): :func:`cris_guard.scp.policy_size`, as the SCP is planned. A
    placeholder it will not guess the length of falls back to the minified JSON (every character counts in
    an SCP, rollout-facts C2; whether CloudFormation minifies a JSON-object Content is UNCONFIRMED)."""
    if isinstance(document, str):
        return len(document), scp.SCP_SIZE_LIMIT, "as written (a string Content is sent as it is)"
    try:
        return scp.policy_size(document), scp.SCP_SIZE_LIMIT, "cris_guard.scp.policy_size"
    except ValueError as exc:
        return len(json.dumps(document, separators=(",", ":"))), scp.SCP_SIZE_LIMIT, f"minified JSON; {exc}"


def _condition_text(condition: Any) -> str:
    parts = []
    for operator, keys in sorted((condition or {}).items()):
        for key, values in sorted((keys or {}).items()):
            shown = ", ".join(_code(_show(v)) for v in _as_list(values))
            parts.append(f"{operator} {_code(key)} {'[' + shown + ']' if isinstance(values, list) else shown}")
    return "; ".join(parts)


def _bound_accounts(config: Config) -> list[str]:
    """Which of the configuration's accounts the guardrail binds (cris_guard.scp.guardrail_scope); the
    access scenarios of an account it does not bind run without the SCP."""
    guardrail = config.organization_guardrail
    assert guardrail is not None
    lines = [f"Accounts it binds (SCPs never bind the management account, {guardrail.management_account}; the access"
             " scenarios of an account it does not bind run without it):"]
    for target in config.targets():
        name, account = (f"{_code(target.name)} {target.id}", target.id) if target is not None else (
            f"account {config.account}" if config.account else "the deploying account", config.account)
        scope = scp.guardrail_scope(config, account)
        mark = {True: f"{OK} ", False: f"{WARN} ", None: ""}[scope.applies]
        lines.append(f"- {mark}{name}: {scope.label}, {_text(scope.reason)}")
    return lines


def organization_section(stacks: Sequence[AssemblyStack], config: Config) -> Section | None:
    """Every SCP in the assembly (``AWS::Organizations::Policy``): targets, statements and size."""
    found = _find(stacks, ORGANIZATIONS_POLICY_TYPE)
    wanted = config.organization_guardrail
    if not found and wanted is None:
        return None
    section = Section("Organization guardrail")
    if not found:
        text = "organization_guardrail is configured, but the assembly has no AWS::Organizations::Policy"
        section.lines += [f"- {section.check(False, 'organization guardrail', text)} {_text(text)}", ""]
        return section
    for stack, lid, resource in found:
        props = _props(resource)
        where = f"SCP {lid}"
        targets = [_show(t) for t in _as_list(props.get("TargetIds"))]
        content = _placeholder_form(props.get("Content"), stack.region or "", {})
        document = content
        if isinstance(content, str):
            try:
                document = json.loads(content)
            except json.JSONDecodeError:
                document = {}
        size, limit, how = _scp_size(content)
        section.lines.append(f"#### {_code(props.get('Name', lid))} ({_show(props.get('Type', '?'))})")
        section.lines.append("")
        section.lines.append(f"{_code(lid)} in stack {_code(stack.name)} (account {stack.account or 'from credentials'},"
                             f" {stack.region}).")
        if wanted is not None:
            same = sorted(targets) == sorted(wanted.target_ids)
            mark = section.check(same, where, f"attached to {targets}, configured {wanted.target_ids}")
            section.lines.append(f"Targets {mark}: {', '.join(_code(t) for t in targets) or '(none)'}"
                                 + ("" if same else f"; configured: {', '.join(wanted.target_ids)}"))
        else:
            section.lines.append(f"Targets: {', '.join(_code(t) for t in targets) or '(none)'}")
        mark = section.check(size <= limit, where, f"{size:,} characters, more than {limit:,}")
        section.lines += [f"Size {mark}: {_percent(size, limit)} characters ({how}).", ""]
        if wanted is not None:
            section.lines += [*_bound_accounts(config), ""]
        section.lines += ["| Sid | Effect | Actions | Resources | Conditions |", "|---|---|---|---|---|"]
        for statement in _as_list((document or {}).get("Statement")):
            if not isinstance(statement, dict):
                continue
            actions = _as_list(statement.get("Action")) or [f"not {a}" for a in _as_list(statement.get("NotAction"))]
            resources = _as_list(statement.get("Resource")) or [f"not {r}" for r in _as_list(statement.get("NotResource"))]
            section.lines.append(
                f"| {_code(statement.get('Sid', '-'))} | {statement.get('Effect', '?')}"
                f" | {', '.join(_code(_show(a)) for a in actions)} | {', '.join(_code(_show(r)) for r in resources)}"
                f" | {_condition_text(statement.get('Condition')).replace('|', chr(92) + '|') or '-'} |")
        section.lines.append("")
    return section
