"""The report's building blocks: :class:`Check`, :class:`Section` and :class:`ReviewReport`, the marks
(✔ ✘ ⚠), the small Markdown helpers every section writes with (``_text``, ``_cell``, ``_code``,
``_plural``, ``_percent``, ``_show``...) and the template look-ups several sections share (``_find``,
``_props``)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cris_guard import scenarios
from cris_guard.assembly import AssemblyStack


OK = "✔"
FAIL = "✘"
WARN = "⚠"


# --- Checks and sections ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    passed: bool
    where: str
    text: str


@dataclass
class Section:
    title: str
    lines: list[str] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    counts_as: str = "checks"  # how the verdict line counts this section's checks
    level: int = 2  # heading level: 2 at the top, 3 inside an account's part of a multi-account report
    where_prefix: str = ""  # "prod: " inside an account's part, so failed checks name the account

    def check(self, passed: bool, where: str, text: str) -> str:
        """Record a check and return its mark for the line that shows it."""
        self.checks.append(Check(passed, self.where_prefix + where, text))
        return OK if passed else FAIL

    def render(self) -> str:
        """The section; its own headings (``### From eu-central-1``) move down with its level."""
        shift = "#" * (self.level - 2)
        body, fenced = [], False
        for line in self.lines:
            if line.startswith("```"):
                fenced = not fenced
            body.append(shift + line if shift and not fenced and line.startswith("#") else line)
        return "\n".join([f"{'#' * self.level} {self.title}", "", *body]).rstrip() + "\n"


def _text(value: object) -> str:
    """Free text (reasons, findings) as Markdown that renders as written: ``<account>`` would otherwise
    be swallowed as an HTML tag, and a pair of ``*`` would turn into emphasis."""
    return re.sub(r"([<>*])", r"\\\1", str(value)).replace("\n", " ")


def _cell(value: object) -> str:
    return _text(value).replace("|", "\\|")


def _code(value: object) -> str:
    return f"`{value}`"


def _display_path(path: Path | str) -> str:
    """A path as a reader of the repository knows it: relative to the repository when inside it."""
    resolved = Path(path).resolve()
    if resolved.is_relative_to(scenarios.REPO_ROOT):
        return str(resolved.relative_to(scenarios.REPO_ROOT))
    return str(path)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _percent(size: int, limit: int) -> str:
    return f"{size:,} of {limit:,} ({size * 100 // limit} %)"


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _show(value: Any) -> str:
    """A template value as a reviewer reads it: ``Fn::Sub`` text, ``<Ref>``, ``<Resource.Attribute>``."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float, bool)):
        return json.dumps(value)
    if isinstance(value, dict) and len(value) == 1:
        (key, arg), = value.items()
        if key == "Ref":
            return f"<{arg}>"
        if key == "Fn::GetAtt":
            return f"<{'.'.join(arg) if isinstance(arg, list) else arg}>"
        if key == "Fn::Sub":
            return arg if isinstance(arg, str) else str(arg[0])
        if key == "Fn::Join":
            return str(arg[0]).join(_show(p) for p in arg[1])
    return json.dumps(value, sort_keys=True)


Found = tuple[AssemblyStack, str, Mapping[str, Any]]  # (stack, logical ID, resource)


def _find(stacks: Sequence[AssemblyStack], resource_type: str) -> list[Found]:
    return [(s, lid, r) for s in stacks for lid, r in s.resources.items() if r.get("Type") == resource_type]


def _props(resource: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return (resource or {}).get("Properties") or {}


@dataclass
class ReviewReport:
    header: list[str]
    sections: list[Section]

    @property
    def checks(self) -> list[Check]:
        return [c for s in self.sections for c in s.checks]

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if not c.passed]

    @property
    def passed(self) -> bool:
        return not self.failures

    def verdict(self) -> str:
        """One line: PASS or FAIL, checks passed and access scenarios held."""
        counted: dict[str, list[Check]] = {"checks": [], "access scenarios": []}
        for section in self.sections:
            counted.setdefault(section.counts_as, []).extend(section.checks)
        checks, held = counted["checks"], counted["access scenarios"]
        parts = [f"{sum(c.passed for c in checks)} of {len(checks)} checks passed"]
        if held:
            parts.append(f"{sum(c.passed for c in held)} of {len(held)} access scenarios held")
        else:
            parts.append("no access scenario evaluated")
        return f"{OK + ' PASS' if self.passed else FAIL + ' FAIL'}: {', '.join(parts)}"

    def render(self) -> str:
        lines = list(self.header)
        lines += ["", f"**Verdict: {self.verdict()}.**", ""]
        if self.failures:
            lines.append("Failed checks:")
            lines += [f"- {FAIL} {c.where}: {_cell(c.text)}" for c in self.failures]
            lines.append("")
        return "\n".join(lines) + "\n" + "\n".join(s.render() for s in self.sections)
