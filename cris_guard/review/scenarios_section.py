"""Access scenarios in the report: :func:`run_scenarios` evaluates the scenario files against the
assembly's templates (:mod:`cris_guard.scenarios`), :func:`scenarios_section` shows what held and what
failed."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cris_guard import scenarios
from cris_guard.assembly import AssemblyStack
from cris_guard.catalog import Catalog
from cris_guard.config import Config, ConfigError
from cris_guard.policy_eval import EvaluatorUnavailable
from cris_guard.review.model import FAIL, WARN, Section, _cell, _code, _display_path, _text


# Failing calls listed per failed scenario; the rest are counted (the scenarios CLI with -v lists all).
MAX_FAILED_CALLS_SHOWN = 5


@dataclass
class ScenarioRun:
    """The scenarios evaluated against the assembly (``report`` is None when they could not run)."""

    directory: Path | None
    report: scenarios.Report | None = None
    skipped: list[str] = field(default_factory=list)
    error: str | None = None


def run_scenarios(directory: Path, config: Config, catalog: Catalog, stacks: Sequence[AssemblyStack],
                  *, stage: str | None = None, top_config: Config | None = None) -> ScenarioRun:
    """Evaluate the scenario files against these templates (files with ``config_overrides`` need their
    own synthesis and are skipped, as ``cris-guard scenarios --assembly`` does). For one
    account of a multi-account configuration, ``config`` is that account's, ``stage`` its name and
    ``top_config`` the whole configuration (to check the account names scenarios use)."""
    run = ScenarioRun(directory)
    try:
        files = scenarios.load_scenario_dir(directory)
        scenarios.check_scenario_accounts(files, top_config or config)
        run.skipped = [f.label for f in files if f.content.config_overrides is not None]
        files = [f for f in files if f.content.config_overrides is None]
        if files:
            templates = [scenarios.StackTemplate(s.name, s.region, s.template, stage=s.stage, account=s.account)
                         for s in stacks]
            run.report = scenarios.run(files, config, catalog, lambda _config: templates,
                                       account=config.account or scenarios.DEFAULT_ACCOUNT, stage=stage)
    except (scenarios.ScenarioError, scenarios.UnresolvableError, ConfigError, EvaluatorUnavailable) as exc:
        run.error = str(exc)
    return run


def scenarios_section(run: ScenarioRun | None) -> Section:
    section = Section("Access scenarios", counts_as="access scenarios")
    if run is None or run.directory is None:
        section.lines += [f"{WARN} Not run: no scenario directory for this configuration (pass `--scenarios DIR`).", ""]
        return section
    section.lines.append(
        f"{_code(_display_path(run.directory))} evaluated offline against these templates by `@cloud-copilot/iam-simulate`"
        " (AGPL-3.0-or-later, run as a separate Node process)."
    )
    if run.skipped:
        section.lines.append(f"Skipped (their `config_overrides` need their own synthesis): {', '.join(run.skipped)}.")
    section.lines.append("")
    if run.error is not None:
        section.lines += [f"{section.check(False, 'scenarios', run.error)} Could not run: {_cell(run.error)}", ""]
        return section
    if run.report is None:
        section.lines += [f"{WARN} No scenario to run against the assembly.", ""]
        return section
    groups: dict[tuple[str, str], list[scenarios.Outcome]] = defaultdict(list)
    for outcome in run.report.outcomes:
        groups[(outcome.case.file, outcome.case.scenario.name)].append(outcome)
    ordered = sorted(groups.items(), key=lambda item: all(o.passed for o in item[1]))  # failures first, stable
    section.lines += ["| Scenario | Expectation | Calls | Result |", "|---|---|---|---|"]
    for (file, name), outcomes in ordered:
        failed = [o for o in outcomes if not o.passed]
        mark = section.check(not failed, "scenarios", f"{file} · {name}: {len(failed)} of {len(outcomes)} calls failed")
        result = f"{mark} {len(failed)} failed" if failed else f"{mark} held"
        section.lines.append(f"| {_cell(file)} · {_cell(name)} | {outcomes[0].case.scenario.expect} | {len(outcomes)} | {result} |")
    total = len(run.report.outcomes)
    failures = run.report.failures
    section.lines += ["", f"{len(groups)} scenarios, {total} calls: {total - len(failures)} held, {len(failures)} failed.", ""]
    for (file, name), outcomes in ordered:
        failed = [o for o in outcomes if not o.passed]
        if not failed:
            continue
        section.lines.append(f"**{FAIL} {_cell(file)} · {_cell(name)}** (expect {outcomes[0].case.scenario.expect}):")
        for outcome in failed[:MAX_FAILED_CALLS_SHOWN]:
            section.lines.append(f"- {_text(outcome.case.describe())}: got {_text(outcome.actual + outcome.detail)}")
        if len(failed) > MAX_FAILED_CALLS_SHOWN:
            section.lines.append(f"- … and {len(failed) - MAX_FAILED_CALLS_SHOWN} more"
                                 " (`cris-guard scenarios --assembly … -v` lists every call)")
        section.lines.append("")
    return section
