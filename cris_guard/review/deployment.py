"""Deployment: every stack with its stage, account and Region, and whether its template could be rolled
out as a CloudFormation StackSet as it is (:func:`cris_guard.assembly.stackset_readiness`)."""

from __future__ import annotations

from cris_guard.assembly import STACKSET_TEMPLATE_URL_BYTE_LIMIT, CloudAssembly, stackset_readiness
from cris_guard.config import Config
from cris_guard.review.model import Section, _cell, _code, _text
from cris_guard.review.organization import _is_guardrail_stack


def deployment_section(assembly: CloudAssembly, config: Config) -> Section:
    """Every stack with its stage, account and Region, and whether its template could be a StackSet as it is."""
    section = Section("Deployment")
    section.lines += [
        "What `cdk deploy` deploys, by stack (select a Stage's stacks with `cdk deploy '<stage>/*'`). StackSet-ready:"
        " whether the template could be rolled out with a CloudFormation StackSet as it is (not a check).",
        "",
    ]
    expected = [t.name for t in config.targets() if t is not None]
    for stage in assembly.stages:
        if stage not in expected:
            text = f"stage {stage} is in the assembly but not in the configuration's accounts"
            section.lines.append(f"- {section.check(False, 'deployment', text)} {_text(text)}")
    for stack in assembly.stacks_in(None):
        if config.multi_account and not _is_guardrail_stack(stack):
            text = f"stack {stack.name} is at the root of a multi-account assembly, outside every account's Stage"
            section.lines.append(f"- {section.check(False, 'deployment', text)} {_text(text)}")
    if section.checks:
        section.lines.append("")
    section.lines += ["| Stack | Stage | Account | Region | Resources | StackSet-ready |", "|---|---|---|---|---|---|"]
    for stack in assembly.stacks:
        reasons = stackset_readiness(stack)
        ready = "yes" if not reasons else "no: " + "; ".join(reasons)
        section.lines.append(
            f"| {_code(stack.name)} | {stack.stage or '-'} | {stack.account or 'from credentials'}"
            f" | {stack.region or 'any'} | {len(stack.resources)} | {_cell(ready)} |")
    section.lines += ["", f"StackSet limits used: TemplateURL at most {STACKSET_TEMPLATE_URL_BYTE_LIMIT:,} bytes"
                      " (UNCONFIRMED whether 1 MB applies); see cris_guard/assembly.py.", ""]
    return section
