"""cdk-nag acknowledgments: every acknowledged finding with its reason (CDK Validations metadata and
cdk-nag's v2-compatible template metadata), and the unacknowledged ones in ``validation-report.json``."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cris_guard.assembly import AssemblyStack
from cris_guard.nag import PACKS
from cris_guard.review.model import WARN, Section, _cell, _code, _text


@dataclass(frozen=True)
class Acknowledgment:
    stack: str
    path: str  # construct path inside the stack
    rule: str
    reason: str


def acknowledgments(stacks: Sequence[AssemblyStack]) -> list[Acknowledgment]:
    """Every acknowledged finding. CDK Validations (cdk-nag 3) records ``Validations.of(x).acknowledge``
    as ``aws:cdk:acknowledged-rules`` metadata on the construct's path (``Annotation::<rule>: reason``);
    cdk-nag's optional v2-compatible aspect also writes ``cdk_nag.rules_to_suppress`` into a resource's
    template metadata. Both are read."""
    found = {a for stack in stacks for a in (*_validations_acknowledgments(stack), *_nag_v2_acknowledgments(stack))}
    return sorted(found, key=lambda a: (a.stack, a.rule, a.path))


def _validations_acknowledgments(stack: AssemblyStack) -> Iterator[Acknowledgment]:
    for path, entries in stack.metadata.items():
        shown_path = path.removeprefix(stack.construct_path).lstrip("/") or "(stack)"
        for entry in entries:
            if entry.get("type") == "aws:cdk:acknowledged-rules" and isinstance(entry.get("data"), dict):
                for rule, reason in entry["data"].items():
                    yield Acknowledgment(stack.name, shown_path, str(rule).removeprefix("Annotation::"), str(reason))


def _nag_v2_acknowledgments(stack: AssemblyStack) -> Iterator[Acknowledgment]:
    for logical_id, resource in stack.resources.items():
        metadata = resource.get("Metadata") or {}
        path = str(metadata.get("aws:cdk:path", logical_id)).removeprefix(f"{stack.name}/").removesuffix("/Resource")
        for rule in (metadata.get("cdk_nag") or {}).get("rules_to_suppress") or []:
            rule_id = rule.get("id", "?")
            for applies in rule.get("applies_to") or [None]:
                shown = f"{rule_id}[{applies}]" if isinstance(applies, str) else rule_id
                yield Acknowledgment(stack.name, path, shown, str(rule.get("reason", "")))


def nag_section(stacks: Sequence[AssemblyStack], validation_report: Mapping[str, Any] | None) -> Section:
    section = Section("cdk-nag acknowledgments")
    packs = ", ".join(p.__name__ for p in PACKS)
    found = acknowledgments(stacks)
    section.lines += [f"Packs: {packs}. {len(found)} acknowledged findings; each is an exception a reviewer accepts.", ""]
    by_stack: dict[str, dict[tuple[str, str], list[str]]] = defaultdict(lambda: defaultdict(list))
    for ack in found:
        by_stack[ack.stack][(ack.rule, ack.reason)].append(ack.path)
    for stack in stacks:
        grouped = by_stack.get(stack.name)
        if not grouped:
            section.lines += [f"### {stack.name}: none", ""]
            continue
        count = sum(len(paths) for paths in grouped.values())
        section.lines += [f"### {stack.name} ({count})", ""]
        for (rule, reason), paths in sorted(grouped.items()):
            section.lines.append(f"- {_code(rule)} on {', '.join(_code(p) for p in sorted(paths))}: {_text(reason)}")
        section.lines.append("")
    violations = []
    per_pack: dict[str, int] = {p.__name__: 0 for p in PACKS}
    for plugin in (validation_report or {}).get("pluginReports") or []:
        name = (plugin.get("summary") or {}).get("pluginName") or plugin.get("pluginName") or "?"
        per_pack.setdefault(name, 0)
        for violation in plugin.get("violations") or []:
            per_pack[name] += 1
            resources = ", ".join(r.get("resourceLogicalId", "?") for r in violation.get("violatingResources") or [])
            violations.append(f"{name}: {violation.get('ruleName', '?')} on {resources}: {violation.get('description', '')}")
    if validation_report is not None:
        section.lines += ["Unacknowledged findings per pack: " + ", ".join(
            f"{name} {count}" for name, count in sorted(per_pack.items())) + ".", ""]
    if validation_report is None:
        section.lines.append(f"{WARN} `validation-report.json` not found in the assembly.")
    elif violations:
        section.lines.append("Unacknowledged findings in `validation-report.json`:")
        for v in violations:
            section.lines.append(f"- {section.check(False, 'cdk-nag', v)} {_cell(v)}")
    else:
        section.lines.append(f"{section.check(True, 'cdk-nag', 'no findings')} `validation-report.json`: no unacknowledged findings.")
    section.lines.append("")
    return section
