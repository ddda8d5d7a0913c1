"""CloudFormation limits: resources, outputs and template bytes of every stack against CloudFormation's
limits (:func:`cris_guard.stacks.access.check_stack_limits`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cris_guard.assembly import AssemblyStack
from cris_guard.review.model import FAIL, Section, _code, _percent
from cris_guard.stacks.access import (
    STACK_OUTPUT_LIMIT,
    STACK_RESOURCE_LIMIT,
    STACK_TEMPLATE_BYTE_LIMIT,
    check_stack_limits,
)


def limits_section(stacks: Sequence[AssemblyStack]) -> Section:
    section = Section("CloudFormation limits")
    # check_stack_limits names stacks by stack_name; the same name can be in two Stages, so pass the unique one.
    over = check_stack_limits(_AssemblyView([_LimitsView(s.name, s.template, s.template_full_path) for s in stacks]))
    section.lines += ["| Stack | Resources | Outputs | Template bytes |", "|---|---|---|---|"]
    for stack in stacks:
        resources = len(stack.resources)
        outputs = len(stack.template.get("Outputs") or {})
        size = Path(stack.template_full_path).stat().st_size
        cells = []
        for what, value, limit in (("resources", resources, STACK_RESOURCE_LIMIT),
                                   ("outputs", outputs, STACK_OUTPUT_LIMIT),
                                   ("template bytes", size, STACK_TEMPLATE_BYTE_LIMIT)):
            mark = section.check(value <= limit, f"stack {stack.name}", f"{value:,} {what}, more than {limit:,}")
            cells.append(f"{mark} {_percent(value, limit)}")
        section.lines.append(f"| {_code(stack.name)} | {' | '.join(cells)} |")
    section.lines.append("")
    for problem in over:  # the same limits, as check_stack_limits words them
        section.lines.append(f"- {FAIL} {problem}")
    if over:
        section.lines.append("")
    return section


@dataclass(frozen=True)
class _AssemblyView:
    stacks: Sequence[Any]


@dataclass(frozen=True)
class _LimitsView:
    stack_name: str
    template: Mapping[str, Any]
    template_full_path: str
