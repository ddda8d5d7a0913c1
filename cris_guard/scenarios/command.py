"""``cris-guard scenarios``: load the scenario files, evaluate them against the synthesized (or given)
templates, once per account, and print the report; and the ``python -m cris_guard.scenarios`` alias."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from cris_guard.cdk_context import cdk_json_context
from cris_guard.config import ConfigError, load_project
from cris_guard.policy_eval import EvaluationError, EvaluatorUnavailable
from cris_guard.scenarios.extract import UnresolvableError, stacks_from_directory
from cris_guard.scenarios.judge import Report, per_account, run, synthesize
from cris_guard.scenarios.model import (
    DEFAULT_ACCOUNT,
    DEFAULT_SCENARIO_DIR,
    EVALUATION_PARTITION,
    ScenarioError,
    check_scenario_accounts,
    load_scenario_dir,
)

def command(
    *, config_path: Path | None = None, scenario_dir: Path = DEFAULT_SCENARIO_DIR, assembly: Path | None = None,
    verbose: bool = False,
) -> int:
    """``cris-guard scenarios``: evaluate the access scenarios; 0 all held, 1 one failed, 2 bad input."""
    try:
        config, catalog = load_project(config_path)
        files = load_scenario_dir(scenario_dir)
        check_scenario_accounts(files, config)
        # Files with config_overrides need a synthesis of their own: only the single-account run without
        # --assembly makes one. Otherwise (a given cdk.out, or one synthesis for every account) they are
        # skipped here and left to pytest.
        if config.multi_account or assembly is not None:
            skipped = [f.label for f in files if f.content.config_overrides is not None]
            files = [f for f in files if f.content.config_overrides is None]
        else:
            skipped = []
        reports: list[tuple[str, Report]] = []
        if config.multi_account:
            # Each account's stacks are evaluated with its own configuration.
            stacks = (stacks_from_directory(assembly) if assembly is not None
                      else synthesize(config, catalog, context=cdk_json_context()))
            for entry in per_account(config, stacks):
                account = entry.config.account or DEFAULT_ACCOUNT
                report = run(files, entry.config, catalog, lambda _config, _s=entry.stacks: _s,
                             account=account, stage=entry.stage)
                reports.append((f"account {entry.stage} ({account})", report))
        else:
            account = config.account or DEFAULT_ACCOUNT
            if assembly is not None:
                stacks = stacks_from_directory(assembly)
                report = run(files, config, catalog, lambda _config: stacks, account=account)
            else:
                context = cdk_json_context()  # the working directory's, as `cdk synth` reads it
                report = run(files, config, catalog, lambda c: synthesize(c, catalog, account=account, context=context),
                             account=account)
            reports.append((f"account {account}", report))
    except (ConfigError, ScenarioError, UnresolvableError, EvaluatorUnavailable, EvaluationError) as exc:
        for line in str(exc).splitlines():
            print(f"cris-guard: {line}", file=sys.stderr)
        return 2
    header = [
        f"cris-guard access scenarios: {scenario_dir} against {config_path or 'config/default.yaml'}"
        f" (partition {EVALUATION_PARTITION})",
        "evaluator: @cloud-copilot/iam-simulate (AGPL-3.0-or-later, run as a separate Node process)",
        *([f"skipped (need their own synthesis, not --assembly): {', '.join(skipped)}"] if skipped else []),
    ]
    print("\n".join(header))
    for title, report in reports:
        report.header = ["", f"== {title} =="] if config.multi_account else [f"({title})", ""]
        print(report.render(verbose=verbose))
    return 0 if all(report.passed for _, report in reports) else 1


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m cris_guard.scenarios``: an alias of ``cris-guard scenarios`` (kept for one release)."""
    from cris_guard.cli import main as cli_main

    return cli_main(["scenarios", *(sys.argv[1:] if argv is None else argv)])
