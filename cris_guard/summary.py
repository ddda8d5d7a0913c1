"""The short human summary ``make synth`` prints after synthesis.

It reads what was actually synthesized (the cloud assembly's manifest and templates, nested Stage
assemblies included, via :mod:`cris_guard.assembly`) next to the configuration, so the summary cannot
claim a stack or resource that is not in ``cdk.out/``. A multi-account configuration is listed per
account (Stage); every stack says whether its template could be a StackSet as it is.
"""

from __future__ import annotations

import sys
from pathlib import Path

from cris_guard.assembly import AssemblyError, AssemblyStack, read_assembly, short_reason, stackset_readiness
from cris_guard.catalog import SHIPPED, Catalog
from cris_guard.config import Config, ConfigError, governance_warnings, load_project
from cris_guard.regions import supports


def _stack_line(stack: AssemblyStack) -> str:
    total = len(stack.resources)
    reasons = stackset_readiness(stack)
    ready = "StackSet-ready: yes" if not reasons else f"StackSet-ready: no ({', '.join(short_reason(r) for r in reasons)})"
    return (f"  {stack.stack_name:<40} {stack.region or 'any':<14} {total:>4} resources"
            f"  {Path(stack.template_full_path).name}  {ready}")


def _account_lines(config: Config, catalog: Catalog, stacks: list[AssemblyStack], indent: str = "") -> list[str]:
    """Stacks, routes, applications and cost of one account (the single account, or one Stage)."""
    accounts = sorted({s.account or "from credentials at deploy time" for s in stacks})
    lines = [f"{indent}Stacks ({len(stacks)}):"]
    lines += [indent + _stack_line(s) for s in stacks]
    lines.append(f"{indent}  account: {', '.join(accounts) or '-'}")
    lines += ["", f"{indent}Approved profiles (source Region -> destination Regions):"]
    approved = sorted({p for app in config.applications for p in app.profiles})
    for region in config.source_regions:
        for pid in approved:
            lines.append(f"{indent}  {region:<13} {pid:<50} -> {route_text(catalog, pid, region)}")
    lines += ["", f"{indent}Applications ({len(config.applications)}):"]
    for app in config.applications:
        trust = ", ".join(app.trusted_services + app.trusted_role_arns)
        enforce = "; application profiles required" if app.require_application_profiles else ""
        lines.append(
            f"{indent}  {app.name:<28} {len(app.profiles)} profiles, budget {app.monthly_budget_usd:g} USD/month,"
            f" role trusted by {trust}{enforce}"
        )
    with_profiles = [r for r in config.source_regions if supports("AWS::Bedrock::ApplicationInferenceProfile", r)]
    without = [r for r in config.source_regions if r not in with_profiles]
    lines += ["", f"{indent}Cost:"]
    lines.append(f"{indent}  budgets (once per account) in {config.budgets_region}: one per application + the account")
    if with_profiles:
        lines.append(f"{indent}  application inference profiles in {', '.join(with_profiles)} (applications must call their ARNs)")
    if without:
        lines.append(
            f"{indent}  no application inference profiles in {', '.join(without)}: CloudFormation offers none there,"
            " so spend from there is not attributed per application"
        )
    return lines


def route_text(catalog: Catalog, pid: str, region: str) -> str:
    """``eu-central-1, eu-north-1 [project catalog x.json] UNCONFIRMED (why)``: destinations, the catalog
    the route came from when it is not the shipped one, and an UNCONFIRMED mark."""
    profile = catalog.get(pid)
    if profile is None:
        return "(not in the catalog)"
    text = ", ".join(profile.destinations(region))
    if profile.origin(region) != SHIPPED:
        text += f"  [project catalog {profile.origin(region)}]"
    if profile.route_unconfirmed(region):
        text += f"  UNCONFIRMED ({profile.route_unconfirmed(region)})"
    return text


def render_summary(config: Config, catalog: Catalog, assembly: Path) -> str:
    """The summary of ``assembly`` (a directory; nested Stage assemblies are read too)."""
    read = read_assembly(assembly)
    lines = [
        f"cris-guard: synthesized '{config.name}' (residency: {config.residency}) into {assembly}/",
        f"  profile catalog: {catalog.describe()}",
        *(f"  warning: {w}" for w in governance_warnings(config, catalog)),
        "",
    ]
    root = read.stacks_in(None)
    if not config.multi_account:
        lines += _account_lines(config, catalog, root)
    else:
        for target in config.targets():
            assert target is not None
            lines += [f"Account {target.name} ({target.id}), stage '{target.name}' (deploy with `cdk deploy '{target.name}/*'`):"]
            lines += _account_lines(config.for_account(target), catalog, read.stacks_in(target.name), indent="  ")
            lines.append("")
        if root:
            lines += [f"Stacks outside the accounts' stages ({len(root)}):", *(_stack_line(s) for s in root)]
        unknown = [s for s in read.stages if s not in {t.name for t in config.targets() if t is not None}]
        if unknown:
            lines.append(f"Stages not in the configuration: {', '.join(unknown)}")
    outputs = [(s.name, k, v.get("Description", "")) for s in read.stacks for k, v in (s.template.get("Outputs") or {}).items()]
    if outputs:
        lines += ["", "Stack outputs (values are known after `cdk deploy`):"]
        for stack, key, desc in outputs:
            lines.append(f"  {stack}.{key}  {desc}")
    lines += ["", f"Alerts go to: {', '.join(config.alerts.emails)}"]
    topics = sum(1 for s in read.stacks for r in (s.template.get("Resources") or {}).values() if r.get("Type") == "AWS::SNS::Topic")
    if topics and config.alerts.emails:
        # SNS deletes a subscription left unconfirmed for 48 hours (AWS What's New, 2023-05-10, "Amazon SNS
        # now supports automatic deletion of unconfirmed subscriptions ... for 48 hours").
        mails = "one confirmation mail" if topics == 1 else f"{topics} confirmation mails (one per alert topic)"
        lines += [
            f"  After the first deploy each address gets {mails}: confirm within 48 hours, or SNS deletes the",
            "  subscription and alerts reach no one there. `cris-guard verify` lists pending subscriptions.",
        ]
    return "\n".join(lines)


def command(*, config_path: Path | None = None, assembly_dir: Path = Path("cdk.out")) -> int:
    """``cris-guard summary``: what was synthesized, read from the cloud assembly; 0, or 2 on bad input."""
    try:
        config, catalog = load_project(config_path)
    except ConfigError as exc:
        print(f"cris-guard: {exc}", file=sys.stderr)
        return 2
    try:
        print(render_summary(config, catalog, assembly_dir))
    except AssemblyError as exc:
        print(f"cris-guard: {exc}", file=sys.stderr)
        return 2
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m cris_guard.summary``: an alias of ``cris-guard summary`` (kept for one release)."""
    from cris_guard.cli import main as cli_main

    return cli_main(["summary", *(sys.argv[1:] if argv is None else argv)])

if __name__ == "__main__":
    sys.exit(main())
