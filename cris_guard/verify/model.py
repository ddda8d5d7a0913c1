"""What ``cris-guard verify`` found: one :class:`Result` per check and subject, and the three renderings (a
terminal table, ``verify.md``, ``verify.json``)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Literal

Status = Literal["ok", "fail", "not-checked", "info"]
MARKS = {"ok": "✔", "fail": "✘", "not-checked": "not checked", "info": "info"}

# The checks, in the order the issue and the README give them (the names are a contract of verify.json).
CHECKS = {
    "stacks": "The stacks are deployed",
    "invocation-logging": "Invocation logging is cris-guard's",
    "trail": "The trail records Bedrock",
    "application-roles": "Application roles carry exactly the synthesized policies",
    "who-else": "Who else can leave the EU",
    "organization-guardrail": "The organization guardrail",
    "alerts-and-cost": "Alerts reach someone and cost is counted",
    "catalog-drift": "The catalog still matches Bedrock",
}


@dataclass(frozen=True)
class Result:
    check: str
    where: str  # "eu-central-1", "account", "organization"
    status: Status
    subject: str  # the resource or principal
    detail: str  # what differs and how to fix it, or why it was not checked


@dataclass
class Verification:
    account: str
    config_label: str
    results: list[Result] = field(default_factory=list)
    checks: dict[str, str] = field(default_factory=lambda: dict(CHECKS))  # name -> heading, in order
    title: str = "cris-guard verify"

    def add(self, check: str, where: str, status: Status, subject: str, detail: str) -> None:
        assert check in self.checks, check
        self.results.append(Result(check, where, status, subject, detail))

    @property
    def counts(self) -> Counter:
        return Counter(r.status for r in self.results)

    @property
    def passed(self) -> bool:
        return not any(r.status == "fail" for r in self.results)

    def ordered(self) -> list[Result]:
        order = list(self.checks)
        return sorted(self.results, key=lambda r: (order.index(r.check), r.where))

    def verdict(self) -> str:
        c = self.counts
        head = "✔ PASS" if self.passed else "✘ FAIL"
        return (f"{head}: {c['ok']} ✔, {c['fail']} ✘, {c['not-checked']} not checked, {c['info']} for information"
                f" (account {self.account})")

    def table(self) -> str:
        """The terminal table: one line per result, grouped by check (never cut: the fix is at the end)."""
        lines, current = [], None
        for r in self.ordered():
            if r.check != current:
                current = r.check
                lines.append(f"{self.checks[r.check]}:")
            lines.append(f"  {MARKS[r.status]:<11} {r.where:<13} {r.subject}: {r.detail}")
        return "\n".join([*lines, "", self.verdict()])

    def markdown(self) -> str:
        lines = [f"# {self.title}", "", f"- Account: {self.account}", f"- Configuration: `{self.config_label}`",
                 f"- **{self.verdict()}**", ""]
        current = None
        for r in self.ordered():
            if r.check != current:
                current = r.check
                lines += ["", f"## {self.checks[r.check]}", "", "| Result | Where | Subject | Detail |", "|---|---|---|---|"]
            lines.append(f"| {MARKS[r.status]} | {r.where} | {_cell(r.subject)} | {_cell(r.detail)} |")
        return "\n".join(lines) + "\n"

    def to_json(self) -> str:
        return json.dumps({"account": self.account, "configuration": self.config_label, "passed": self.passed,
                           "counts": {k: self.counts.get(k, 0) for k in MARKS},
                           "results": [asdict(r) for r in self.ordered()]}, indent=2) + "\n"


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")
