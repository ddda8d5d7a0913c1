"""The whole report: :func:`build_report` puts the header and every section together, one part per
account for a multi-account configuration (:func:`_account_sections`)."""

from __future__ import annotations

import importlib.metadata
from collections.abc import Iterable, Mapping, Sequence

from cris_guard.assembly import AssemblyStack, CloudAssembly
from cris_guard.catalog import Catalog
from cris_guard.config import AccountTarget, Config, governance_warnings, lifecycle_warnings
from cris_guard.review.access import access_section, review_access
from cris_guard.review.audit import audit_section
from cris_guard.review.evidence_section import evidence_section
from cris_guard.review.network_section import network_section
from cris_guard.review.budgets import budgets_section
from cris_guard.review.catalog_section import _is_transcribed, catalog_section
from cris_guard.review.checkov import checkov_section
from cris_guard.review.deployment import deployment_section
from cris_guard.review.limits import limits_section
from cris_guard.review.model import WARN, ReviewReport, Section, _code, _display_path, _plural
from cris_guard.review.nag import nag_section
from cris_guard.review.organization import _is_guardrail_stack, organization_section
from cris_guard.review.residency_map import residency_map_section
from cris_guard.review.scenarios_section import ScenarioRun, scenarios_section


def _versions(assembly: CloudAssembly) -> str:
    def installed(name: str) -> str:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            return "not installed"

    cdk = assembly.library_versions.get("aws-cdk-lib") or f"{installed('aws-cdk-lib')} (installed)"
    return f"aws-cdk-lib {cdk}, cdk-nag {installed('cdk-nag')}"


def _accounts_text(accounts: Iterable[str | None]) -> str:
    named = [a for a in accounts if a is not None]
    agnostic = "environment-agnostic (from credentials at deploy time)"
    if not named:
        return agnostic
    return ", ".join(named) + (f" and {agnostic}" if None in accounts else "")


ScenarioRuns = Mapping[str | None, ScenarioRun]  # per account (Stage name; None: the single account)


def _account_sections(
    config: Config,
    catalog: Catalog,
    stacks: Sequence[AssemblyStack],
    run: ScenarioRun | None,
    *,
    level: int,
    prefix: str,
    with_scenarios: bool,
) -> list[Section]:
    """What one account's templates grant and record: the residency map, access, audit and budgets."""
    reviews, orphans = review_access(stacks, config, catalog)
    sections = [
        residency_map_section(reviews, config),
        access_section(reviews, orphans, config),
        audit_section(stacks, config),
        evidence_section(stacks, config),
        *([network] if (network := network_section(stacks, config)) is not None else []),
        budgets_section(stacks, config),
    ]
    if with_scenarios:
        sections.append(scenarios_section(run))
    for section in sections:
        section.level, section.where_prefix = level, prefix
    return sections


def _account_heading(target: AccountTarget, account_config: Config, stacks: Sequence[AssemblyStack]) -> Section:
    section = Section(f"Account {target.name} ({target.id})", where_prefix=f"{target.name}: ")
    accounts = sorted({s.account or "from credentials" for s in stacks})
    ok = bool(stacks) and accounts == [target.id]
    text = (f"stage {target.name} has no stack in the assembly" if not stacks
            else f"stage {target.name}'s stacks are for account {', '.join(accounts)}, configured {target.id}")
    mark = section.check(ok, "stage", text)
    section.lines += [
        f"Stage {_code(target.name)} {mark}: {_plural(len(stacks), 'stack')} ({', '.join(s.stack_name for s in stacks) or 'none'})"
        f" in account {', '.join(accounts) or '-'}; source Regions {', '.join(account_config.source_regions)};"
        f" {_plural(len(account_config.applications), 'application')}"
        f" ({', '.join(a.name for a in account_config.applications)}).",
        "",
    ]
    return section


def build_report(
    config: Config,
    catalog: Catalog,
    assembly: CloudAssembly,
    *,
    scenario_run: ScenarioRun | ScenarioRuns | None,
    config_label: str,
    assembly_label: str | None = None,
) -> ReviewReport:
    """Every section for ``assembly``; ``scenario_run`` comes from :func:`run_scenarios` (None: not run),
    one per account (by Stage name) for a multi-account configuration.

    Nothing in the report depends on the date or on dict/set order: two reports of the same templates are
    byte-identical, so the diff of two reports is what a change does."""
    stacks = list(assembly.stacks)
    runs: Mapping[str | None, ScenarioRun | None]
    runs = scenario_run if isinstance(scenario_run, Mapping) else {None: scenario_run}
    if config.multi_account:
        where = "; ".join(f"{t.name} {t.id}: {', '.join(t.source_regions)}" for t in config.targets() if t is not None)
        scope = f"{len(config.accounts or [])} accounts ({where})"
    else:
        scope = f"source Regions {', '.join(config.source_regions)}"
    header = [
        f"# cris-guard review report: {config.name}",
        "",
        f"- Configuration: {_code(config_label)}, residency **{config.residency}**, {scope}, {len(config.applications)} applications",
        f"- Assembly: {_code(assembly_label or _display_path(assembly.directory))}, {len(stacks)} stacks"
        f" ({', '.join(s.name for s in stacks)}), account {_accounts_text(assembly.accounts)}",
        f"- Profile catalog: {catalog.describe()}",
        f"- Catalog method: {catalog.method}",
        f"- Tools: {_versions(assembly)}",
    ]
    if _is_transcribed(catalog):
        header += [
            "",
            f"> {WARN} **The profile catalog has never been refreshed from an AWS account.** Destination Regions"
            " below are checked against AWS's published pages as read, not against what Bedrock reports."
            " Run `cris-guard catalog refresh --config <your configuration> --region <each source Region>"
            " --output <project catalog>` with credentials, name the file under `catalog:` and commit both.",
        ]
    # Governance warnings other than lifecycle (which the profile-catalog section shows with its dates).
    lifecycle = set(lifecycle_warnings(config, catalog))
    for warning in governance_warnings(config, catalog):
        if warning not in lifecycle:
            header += ["", f"> {WARN} {warning}."]
    guardrail = organization_section(stacks, config)
    sections = [catalog_section(config, catalog)]
    if not config.multi_account:
        own = [s for s in stacks if not _is_guardrail_stack(s) and s.stage is None]
        sections += _account_sections(config, catalog, own, runs.get(None), level=2, prefix="", with_scenarios=False)
        sections += [nag_section(stacks, assembly.validation_report), checkov_section(stacks),
                     scenarios_section(runs.get(None)), limits_section(stacks)]
    else:
        for target in config.targets():
            assert target is not None
            account_config = config.for_account(target)
            own = assembly.stacks_in(target.name)
            sections.append(_account_heading(target, account_config, own))
            sections += _account_sections(account_config, catalog, own, runs.get(target.name), level=3,
                                          prefix=f"{target.name}: ", with_scenarios=True)
        sections += [nag_section(stacks, assembly.validation_report), checkov_section(stacks), limits_section(stacks)]
    if guardrail is not None:
        sections.append(guardrail)
    sections.append(deployment_section(assembly, config))
    return ReviewReport(header, sections)
