"""``cris-guard report``: read the configuration and the assembly, run the access scenarios (per account),
write the report and print its verdict; and the ``python -m cris_guard.report`` alias (:func:`main`)."""

from __future__ import annotations

import datetime as _dt
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from cris_guard import scenarios
from cris_guard.assembly import AssemblyError, read_assembly
from cris_guard.catalog import Catalog
from cris_guard.config import DEFAULT_CONFIG_PATH, ConfigError, load_project
from cris_guard.review.build import build_report
from cris_guard.review.organization import _is_guardrail_stack
from cris_guard.review.scenarios_section import ScenarioRun, run_scenarios


REPORT_FILE_NAME = "review-report.md"
# A catalog older than this is worth refreshing; said on stderr, because a report body that depended on
# today's date would differ between two runs on the same templates.
CATALOG_AGE_WARNING_DAYS = 90


def default_scenario_dir(config_path: Path | None) -> Path | None:
    """The shipped scenarios describe config/default.yaml only; other configurations bring their own."""
    if config_path is None or Path(config_path).resolve() == DEFAULT_CONFIG_PATH.resolve():
        return scenarios.DEFAULT_SCENARIO_DIR
    return None


def catalog_age_warning(catalog: Catalog, today: _dt.date) -> str | None:
    """For stderr, not the report: the report's text must not depend on the day it is written."""
    age = (today - catalog.as_of).days
    if age <= CATALOG_AGE_WARNING_DAYS:
        return None
    return (f"cris-guard: warning: the profile catalog is {age} days old (as of {catalog.as_of}); refresh it with"
            " `cris-guard catalog refresh --region <each source Region> --output <project catalog>`")


def command(
    *, config_path: Path | None = None, assembly_dir: Path = Path("cdk.out"), scenario_dir: Path | None = None,
    no_scenarios: bool = False, out: Path | None = None, today: Callable[[], _dt.date] = _dt.date.today,
) -> int:
    """``cris-guard report``: write the Markdown review report of a synthesized cloud assembly; 0 every
    check passed, 1 a check or scenario failed, 2 bad input."""
    try:
        config, catalog = load_project(config_path)
        assembly = read_assembly(assembly_dir)
    except (ConfigError, AssemblyError) as exc:
        print(f"cris-guard: {exc}", file=sys.stderr)
        return 2
    warning = catalog_age_warning(catalog, today())
    if warning:
        print(warning, file=sys.stderr)
    directory = None if no_scenarios else (scenario_dir or default_scenario_dir(config_path))
    runs: ScenarioRun | dict[str | None, ScenarioRun] | None = None
    # The guardrail stack goes along, to the accounts it binds (scenarios.without_unbound_scps: not the
    # management account, not an account that account-ID targets leave out): the scenario runner
    # evaluates an SCP it finds in the templates too. Unlike scenarios.per_account, an account gets only
    # the guardrail from outside its Stage, not every root stack: a workload stack at the root (flagged in
    # the Deployment section) is not in any account's run.
    guardrails = [s for s in assembly.stacks if _is_guardrail_stack(s)]
    if directory and config.multi_account:
        runs = {t.name: run_scenarios(directory, config.for_account(t), catalog,
                                      assembly.stacks_in(t.name) + scenarios.without_unbound_scps(config, t.id, guardrails),
                                      stage=t.name, top_config=config)
                for t in config.targets() if t is not None}
    elif directory:
        runs = run_scenarios(directory, config, catalog,
                             scenarios.without_unbound_scps(config, config.account, assembly.stacks))
    report = build_report(config, catalog, assembly, scenario_run=runs,
                          config_label=str(config_path or "config/default.yaml"), assembly_label=str(assembly_dir))
    out = out or assembly_dir / REPORT_FILE_NAME
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report.render(), encoding="utf-8")
    print(f"cris-guard review report: {out}")
    print(report.verdict())
    return 0 if report.passed else 1


def main(argv: Sequence[str] | None = None, *, today: Callable[[], _dt.date] = _dt.date.today) -> int:
    """``python -m cris_guard.report``: an alias of ``cris-guard report`` (kept for one release)."""
    from cris_guard.cli import main as cli_main

    return cli_main(["report", *(sys.argv[1:] if argv is None else argv)], today=today)
