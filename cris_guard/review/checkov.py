"""checkov skips: every check the templates tell checkov to skip, with the resource and the reason.

The constructs write the skips with :func:`cris_guard.checkov.checkov_skip` into each resource's
``Metadata.checkov.skip``; ``make scan`` runs checkov itself (not this report, which reads the templates
only). A skip without a reason is a failed check here: checkov would skip it silently."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from cris_guard.assembly import AssemblyStack
from cris_guard.checkov import METADATA_KEY
from cris_guard.review.model import FAIL, Section, _code, _text


@dataclass(frozen=True)
class CheckovSkip:
    stack: str
    logical_id: str
    resource_type: str
    path: str  # construct path inside the stack ("" when the assembly does not say)
    check_id: str
    reason: str


def _check_order(check_id: str) -> tuple[str, int, str]:
    """CKV_AWS_18 before CKV_AWS_115: by prefix, then by number."""
    match = re.fullmatch(r"(.*?)(\d+)", check_id)
    return (match[1], int(match[2]), check_id) if match else (check_id, 0, check_id)


def checkov_skips(stacks: Sequence[AssemblyStack]) -> list[CheckovSkip]:
    """Every ``Metadata.checkov.skip`` entry of every resource, sorted by stack, check and resource."""
    found = [skip for stack in stacks for skip in _skips(stack)]
    return sorted(found, key=lambda s: (s.stack, _check_order(s.check_id), s.logical_id))


def _construct_paths(stack: AssemblyStack) -> dict[str, str]:
    """Logical ID -> construct path inside the stack, from the assembly's metadata (present whether or not
    the templates carry ``aws:cdk:path``)."""
    paths = {}
    for path, entries in stack.metadata.items():
        for entry in entries:
            if entry.get("type") == "aws:cdk:logicalId" and isinstance(entry.get("data"), str):
                paths[entry["data"]] = path.removeprefix(stack.construct_path).lstrip("/").removesuffix("/Resource")
    return paths


def _skips(stack: AssemblyStack) -> Iterator[CheckovSkip]:
    paths = _construct_paths(stack)
    for logical_id, resource in stack.resources.items():
        metadata = resource.get("Metadata") or {}
        entries = (metadata.get(METADATA_KEY) or {}).get("skip") if isinstance(metadata, dict) else None
        if not isinstance(entries, list):
            continue
        template_path = str(metadata.get("aws:cdk:path", ""))
        path = paths.get(logical_id) or template_path.removeprefix(f"{stack.name}/").removesuffix("/Resource")
        for entry in entries:
            entry = entry if isinstance(entry, dict) else {}
            yield CheckovSkip(stack.name, logical_id, str(resource.get("Type", "?")), path,
                              str(entry.get("id", "?")), str(entry.get("comment") or "").strip())


def checkov_section(stacks: Sequence[AssemblyStack]) -> Section:
    section = Section("checkov skips")
    found = checkov_skips(stacks)
    section.lines += [
        f"{len(found)} skipped checkov checks, read from each resource's template metadata (`Metadata.checkov.skip`);"
        " `make scan` runs checkov itself on `cdk.out`. Each is an exception a reviewer accepts.",
        "",
    ]
    by_stack: dict[str, dict[tuple[str, str], list[CheckovSkip]]] = defaultdict(lambda: defaultdict(list))
    for skip in found:
        by_stack[skip.stack][(skip.check_id, skip.reason)].append(skip)
    for stack in stacks:
        grouped = by_stack.get(stack.name)
        if not grouped:
            section.lines += [f"### {stack.name}: none", ""]
            continue
        section.lines += [f"### {stack.name} ({sum(len(s) for s in grouped.values())})", ""]
        for (check_id, reason), skips in sorted(grouped.items(), key=lambda i: (_check_order(i[0][0]), i[0][1])):
            resources = ", ".join(f"{_code(s.logical_id)} ({_code(s.path)})" if s.path else _code(s.logical_id)
                                  for s in skips)
            section.lines.append(f"- {_code(check_id)} on {resources}: {_text(reason) or '(no reason)'}")
        section.lines.append("")
    unexplained = [s for s in found if not s.reason]
    for skip in unexplained:
        section.check(False, "checkov", f"{skip.check_id} on {skip.logical_id} in {skip.stack} is skipped without a reason")
    if unexplained:
        section.lines.append(f"{FAIL} {len(unexplained)} skipped without a reason: give each one its reason"
                             " (cris_guard.checkov.checkov_skip).")
    else:
        mark = section.check(True, "checkov", "every skip has a reason")
        section.lines.append(f"{mark} Every skip carries its reason.")
    section.lines.append("")
    return section
