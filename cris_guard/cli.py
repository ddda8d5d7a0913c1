"""``cris-guard``: one command for every cris-guard tool.

Every subcommand follows one exit-code contract: **0** all good, **1** a check, scenario or comparison
failed, **2** bad input (a configuration, catalog, assembly or option that cannot be used), always one
line per problem on stderr and never a traceback. Built on click (a well-kept CLI library) rather than
hand-written parsing; click's own usage errors are folded into that contract by :func:`main`.

The former ``python -m cris_guard.<module>`` entry points (config, summary, report, scenarios, catalog)
still work for one release as thin aliases of these subcommands.
"""

from __future__ import annotations

import datetime as _dt
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import click

from cris_guard import __version__

_PATH = click.Path(path_type=Path)
_EXISTING_DIR = click.Path(path_type=Path, file_okay=False)


def _config_option(func):
    return click.option("--config", "config_path", type=_PATH, default=None,
                        help="Configuration file. Default: config/default.yaml.")(func)


def _assembly_option(func):
    return click.option("--assembly", "assembly_dir", type=_PATH, default=Path("cdk.out"), show_default=True,
                        help="Cloud assembly directory written by `cdk synth` (make synth).")(func)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.version_option(__version__, "--version", prog_name="cris-guard")
def cli() -> None:
    """Governed Amazon Bedrock cross-Region inference (CRIS) for EU platform teams.

    Exit status of every command: 0 all good, 1 a check failed, 2 bad input.

    \b
    Examples:
      cris-guard check config/default.yaml
      cris-guard summary --config config/default.yaml --assembly cdk.out
      cris-guard report --config config/default.yaml --out review-report.md
      cris-guard catalog list --config config/examples/milan.yaml
    """


@cli.command()
@click.argument("config_path", metavar="CONFIG", type=_PATH, required=False)
def check(config_path: Path | None) -> int:
    """Validate a configuration (and its project catalog) without synthesizing it.

    Legacy profiles are warned about on stderr; a profile past its end of life, a route leaving the EU or
    any other invalid value is one line each, with exit status 2.

    \b
    Example:
      cris-guard check config/examples/milan.yaml
    """
    from cris_guard.config import command

    return command(config_path)


@cli.command()
@_config_option
@_assembly_option
def summary(config_path: Path | None, assembly_dir: Path) -> int:
    """Print what was synthesized: stacks, routes (with their catalog), applications, cost, outputs.

    \b
    Example:
      cris-guard summary --config config/default.yaml --assembly cdk.out
    """
    from cris_guard.summary import command

    return command(config_path=config_path, assembly_dir=assembly_dir)


@cli.command()
@_config_option
@_assembly_option
@click.option("--scenarios", "scenario_dir", type=_EXISTING_DIR, default=None,
              help="Access-scenario directory. Default: scenarios/ for config/default.yaml, none otherwise.")
@click.option("--no-scenarios", is_flag=True, help="Do not evaluate access scenarios.")
@click.option("--out", type=_PATH, default=None, help="Report file. Default: <assembly>/review-report.md.")
@click.pass_obj
def report(obj: dict, config_path: Path | None, assembly_dir: Path, scenario_dir: Path | None, no_scenarios: bool,
           out: Path | None) -> int:
    """Write the Markdown review report of a synthesized cloud assembly for a pull request.

    Exit status 1 on any failed check or scenario.

    \b
    Example:
      cris-guard report --config config/examples/milan.yaml --scenarios config/examples/milan-scenarios
    """
    from cris_guard.review import command

    today = (obj or {}).get("today") or _dt.date.today
    return command(config_path=config_path, assembly_dir=assembly_dir, scenario_dir=scenario_dir,
                   no_scenarios=no_scenarios, out=out, today=today)


@cli.command()
@_config_option
@click.option("--scenarios", "scenario_dir", type=_EXISTING_DIR, default=None,
              help="Directory of *.yaml scenario files. Default: scenarios/.")
@click.option("--assembly", "assembly_dir", type=_PATH, default=None,
              help="Evaluate this cdk.out instead of synthesizing (files with config_overrides are skipped). "
                   "Without it, cris-guard synthesizes with the feature flags of ./cdk.json, as `cdk synth` does.")
@click.option("--verbose", "-v", is_flag=True, help="Print every call, not only failures.")
def scenarios(config_path: Path | None, scenario_dir: Path | None, assembly_dir: Path | None, verbose: bool) -> int:
    """Evaluate access scenarios against the synthesized policies with an offline IAM evaluator.

    Exit status 1 when a scenario does not hold.

    \b
    Example:
      cris-guard scenarios --config config/default.yaml --scenarios scenarios --assembly cdk.out
    """
    from cris_guard import scenarios as sc

    return sc.command(config_path=config_path, scenario_dir=scenario_dir or sc.DEFAULT_SCENARIO_DIR,
                      assembly=assembly_dir, verbose=verbose)


@cli.group()
def catalog() -> None:
    """The inference-profile catalog: list it, or write a project catalog from an account."""


def _catalog_options(func):
    func = click.option("--config", default=None,
                        help="Configuration whose project catalog (`catalog:`) is layered over the shipped one.")(func)
    return click.option("--catalog", "catalog_file", default=None,
                        help="Base catalog JSON file. Default: the one shipped with cris-guard.")(func)


@catalog.command("list")
@_catalog_options
def catalog_list(catalog_file: str | None, config: str | None) -> int:
    """Show every profile in force, where it routes from each source Region, and its lifecycle.

    \b
    Example:
      cris-guard catalog list --config config/examples/milan.yaml
    """
    from cris_guard.catalog.__main__ import CatalogOptions, command

    return command("list", CatalogOptions(catalog=catalog_file, config=config))


@catalog.command("refresh")
@_catalog_options
@click.option("--region", "regions", multiple=True, required=True, help="Source Region to query (repeatable).")
@click.option("--output", default=None, help="Project catalog file to write (routes from other Regions are kept).")
@click.option("--profile", default=None, help="AWS named profile for credentials.")
@click.option("--dry-run", is_flag=True, help="Print the differences from the catalog in force; write nothing; exit 1 if any.")
@click.pass_obj
def catalog_refresh(obj: dict, catalog_file: str | None, config: str | None, regions: tuple[str, ...],
                    output: str | None, profile: str | None, dry_run: bool) -> int:
    """Write a project catalog from what an account reports (needs AWS credentials).

    Reads ListInferenceProfiles, GetInferenceProfile and ListFoundationModels in each --region, never
    rewrites the shipped catalog, and prints the differences from the catalog in force.

    \b
    Example:
      cris-guard catalog refresh --config my.yaml --region eu-central-1 --region eu-west-1 --output my-catalog.json
    """
    from cris_guard.catalog.__main__ import CatalogOptions, command

    options = CatalogOptions(catalog=catalog_file, config=config, region=regions, output=output, profile=profile,
                             dry_run=dry_run)
    obj = obj or {}
    return command("refresh", options, client_factory=obj.get("client_factory"), today=obj.get("today_date"))


@cli.command()
@click.argument("source", required=False)
@click.option("--lookup-events", is_flag=True, help="Read CloudTrail LookupEvents (last 90 days, no trail needed).")
@click.option("--from", "start", default=None, help="First day (YYYY-MM-DD, UTC) of the window.")
@click.option("--to", "end", default=None, help="Last day (YYYY-MM-DD, UTC); the files of the day after are read too.")
@click.option("--account", "accounts", multiple=True, help="Only this account (repeatable).")
@click.option("--region", "regions", multiple=True, help="Only this source Region (repeatable; required with --lookup-events).")
@click.option("--config", "config_path", type=_PATH, default=None,
              help="Configuration, to judge each call against its approved profiles. Default: none (EU or not only).")
@click.option("--assembly", "assembly_dir", type=_PATH, default=None,
              help="cdk.out, to name the cris-guard application whose role made each call.")
@click.option("--application-profiles", "application_profiles", type=_PATH, default=None,
              help="JSON {application inference profile ID: the profile it copies}, to judge calls through them.")
@click.option("--application-profiles-from-account", "profiles_from_account", is_flag=True,
              help="Read what each application inference profile copies from bedrock:ListInferenceProfiles.")
@click.option("--verify-digests", is_flag=True,
              help="Check the log files against the trail's signed digest files (in the folder or S3 prefix).")
@click.option("--public-keys", type=_PATH, default=None,
              help="The JSON `aws cloudtrail list-public-keys` prints, for --verify-digests (default: call"
                   " cloudtrail:ListPublicKeys).")
@click.option("--invocation-logs", default=None,
              help="Folder or s3://bucket/prefix of model-invocation logs to cross-check against CloudTrail.")
@click.option("--engine", type=click.Choice(["python", "duckdb"]), default="python", show_default=True,
              help="duckdb: also run the Athena named queries' SQL locally (DuckDB) and require the same answers.")
@click.option("--out", type=_PATH, default=Path("evidence"), show_default=True, help="Output directory.")
@click.pass_obj
def evidence(obj: dict, source: str | None, lookup_events: bool, start: str | None, end: str | None,
             accounts: tuple[str, ...], regions: tuple[str, ...], config_path: Path | None, assembly_dir: Path | None,
             application_profiles: Path | None, profiles_from_account: bool, verify_digests: bool, public_keys: Path | None,
             invocation_logs: str | None, engine: str, out: Path) -> int:
    """Prove where every Bedrock inference call ran, from CloudTrail.

    SOURCE is a folder of CloudTrail files (any layout, .json.gz or .json) or s3://bucket/prefix (listed by
    day). Writes evidence.md, evidence.html, events.csv and summary.json to --out. Exit status 1 when a
    call was processed outside the EU member-state Regions (violation) or not through an approved eu.
    profile (policy breach); refused calls are listed as the guard at work.

    \b
    Example:
      cris-guard evidence s3://org-trail/prefix --from 2026-10-01 --to 2026-12-31 --config my.yaml --out evidence/
    """
    from cris_guard.evidence.command import BadInput, parse_day, policy_from, profiles_from_account as account_profiles, run
    from cris_guard.evidence.sources import Window

    try:
        window = Window(parse_day(start, "--from"), parse_day(end, "--to"))
        if window.start and window.end and window.end < window.start:
            raise BadInput(f"--to {end} is before --from {start}; swap them")
        from_account = (account_profiles(regions, config_path, (obj or {}).get("client_factory"))
                        if profiles_from_account else None)
        policy = policy_from(config_path, assembly_dir, application_profiles, from_account=from_account)
        result = run(source=source, lookup_events=lookup_events, window=window, accounts=accounts, regions=regions,
                     out=out, policy=policy, client_factory=(obj or {}).get("client_factory"),
                     invocation_logs=invocation_logs, public_keys=public_keys, verify_digests=verify_digests,
                     engine=engine)
    except BadInput as exc:
        print(f"cris-guard: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - AWS (no bucket, no credentials) or the file system: one line
        from botocore.exceptions import BotoCoreError, ClientError

        if not isinstance(exc, BotoCoreError | ClientError | OSError):
            raise
        print(f"cris-guard: evidence could not be read or written: {exc}".splitlines()[0], file=sys.stderr)
        return 2
    print(f"cris-guard evidence: {result.inference_events:,} inference calls in {result.files_read:,} files"
          f" ({len(result.files_skipped):,} skipped); violations {len(result.violations):,}, policy breaches"
          f" {len(result.policy_breaches):,}, refused {len(result.refused):,}; written to {out}/")
    if result.sql is not None:
        print(f"  SQL (the Athena named queries, run by DuckDB on {result.sql.table_rows:,} Bedrock records): "
              + ("the same answers" if result.sql.agrees else "DIFFERENT answers: " + "; ".join(result.sql.disagreements))
              + f"; written to {out}/queries/")
    return 0 if result.passed else 1


@cli.command()
@click.option("--config", "config_path", type=_PATH, default=Path("config/default.yaml"), show_default=True,
              help="The configuration that was deployed.")
@_assembly_option
@click.option("--region", "regions", multiple=True, help="Only this source Region (repeatable). Default: all.")
@click.option("--out", type=_PATH, default=None, help="Also write verify.md and verify.json here.")
@click.pass_obj
def verify(obj: dict, config_path: Path, assembly_dir: Path, regions: tuple[str, ...], out: Path | None) -> int:
    """Check the deployed account against what cris-guard synthesized (read-only AWS calls).

    Uses your AWS credentials (and AWS_ENDPOINT_URL when set). Checks invocation logging, the trail, the
    application roles' policies, who else can reach Bedrock outside the EU (IAM's own evaluator), the
    organization guardrail, alerts and cost tags, and catalog drift. Each check is ✔, ✘ (with the fix) or
    not checked (with the reason). Exit status 1 when something is ✘.

    \b
    Example:
      cris-guard verify --config config/default.yaml --assembly cdk.out --out verify/
    """
    from cris_guard.verify.command import main as verify_main

    return verify_main(config_path, assembly_dir, regions, out, (obj or {}).get("client_factory"))


@cli.command()
@click.option("--config", "config_path", type=_PATH, default=Path("config/default.yaml"), show_default=True,
              help="The configuration you are about to deploy.")
@click.option("--region", "regions", multiple=True, help="Only this source Region (repeatable). Default: all.")
@click.option("--qualifier", default=None, help="CDK bootstrap qualifier. Default: hnb659fds.")
@click.option("--out", type=_PATH, default=None, help="Also write preflight.md and preflight.json here.")
@click.pass_obj
def preflight(obj: dict, config_path: Path, regions: tuple[str, ...], qualifier: str | None, out: Path | None) -> int:
    """Before `cdk deploy`: find what would make it fail or take something over (read-only AWS calls).

    Checks the CDK bootstrap of every target Region, whether another tool owns Bedrock's invocation-logging
    configuration, and whether cris-guard's fixed names (trail, its log group, the logging handler roles) are
    free or its own. One line per finding with the fix; exit status 1 when a deploy would fail.
    """
    from cris_guard.verify.command import preflight as run_preflight

    return run_preflight(config_path, regions, out, (obj or {}).get("client_factory"), qualifier)


def main(
    argv: Sequence[str] | None = None,
    *,
    today: Callable[[], _dt.date] | _dt.date | None = None,
    client_factory: Callable[[str], object] | None = None,
) -> int:
    """Run ``cris-guard`` with ``argv``; return the exit status. ``today`` and ``client_factory`` are for
    tests (a pinned date; a botocore Stubber instead of AWS)."""
    args = list(sys.argv[1:] if argv is None else argv)
    obj = {
        "today": today if callable(today) else ((lambda: today) if today else None),
        "today_date": today() if callable(today) else today,
        "client_factory": client_factory,
    }
    try:
        result = cli.main(args=args, prog_name="cris-guard", standalone_mode=False, obj=obj)
    except click.exceptions.NoArgsIsHelpError as exc:  # a group without its subcommand: help, not an error
        click.echo(exc.ctx.get_help() if exc.ctx else "", err=True)
        return 2
    except click.UsageError as exc:
        where = exc.ctx.command_path if exc.ctx else "cris-guard"
        print(f"cris-guard: {exc.format_message()} (see `{where} --help`)", file=sys.stderr)
        return 2
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.Abort:
        return 1
    return result if isinstance(result, int) else 0


def entry() -> None:
    """The ``cris-guard`` console script."""
    sys.exit(main())


if __name__ == "__main__":
    entry()
