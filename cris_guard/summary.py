"""The short human summary ``make synth`` prints after synthesis.

It reads what was actually synthesized (the cloud assembly's manifest and templates) next to the
configuration, so the summary cannot claim a stack or resource that is not in ``cdk.out/``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from cris_guard.catalog import Catalog, load_catalog
from cris_guard.config import Config, ConfigError, load_config
from cris_guard.regions import supports


def _stacks(assembly: Path) -> list[dict]:
    manifest = json.loads((assembly / "manifest.json").read_text())
    stacks = []
    for name, artifact in manifest.get("artifacts", {}).items():
        if artifact.get("type") != "aws:cloudformation:stack":
            continue
        template_file = assembly / artifact["properties"]["templateFile"]
        template = json.loads(template_file.read_text())
        env = artifact.get("environment", "aws://unknown-account/unknown-region")
        account, region = env.removeprefix("aws://").split("/", 1)
        stacks.append(
            {
                "name": artifact.get("displayName", name),
                "region": region,
                "account": account if account != "unknown-account" else "from credentials at deploy time",
                "template": template_file.name,
                "resources": Counter(r["Type"] for r in template.get("Resources", {}).values()),
                "outputs": template.get("Outputs", {}),
            }
        )
    return sorted(stacks, key=lambda s: s["name"])


def render_summary(config: Config, catalog: Catalog, assembly: Path) -> str:
    stacks = _stacks(assembly)
    lines = [
        f"cris-guard: synthesized '{config.name}' (residency: {config.residency}) into {assembly}/",
        f"  profile catalog: {len(catalog.profiles)} EU profiles, as of {catalog.as_of} ({catalog.source})",
        "",
        f"Stacks ({len(stacks)}):",
    ]
    for s in stacks:
        total = sum(s["resources"].values())
        lines.append(f"  {s['name']:<40} {s['region']:<14} {total:>4} resources  {s['template']}")
    lines.append(f"  account: {stacks[0]['account'] if stacks else '-'}")
    lines += ["", "Approved profiles (source Region -> destination Regions):"]
    approved = sorted({p for app in config.applications for p in app.profiles})
    for region in config.source_regions:
        for pid in approved:
            dests = catalog.destinations(pid, region)
            lines.append(f"  {region:<13} {pid:<50} -> {', '.join(dests)}")
    lines += ["", f"Applications ({len(config.applications)}):"]
    for app in config.applications:
        trust = ", ".join(app.trusted_services + app.trusted_role_arns)
        enforce = "; application profiles required" if app.require_application_profiles else ""
        lines.append(
            f"  {app.name:<28} {len(app.profiles)} profiles, budget {app.monthly_budget_usd:g} USD/month,"
            f" role trusted by {trust}{enforce}"
        )
    with_profiles = [r for r in config.source_regions if supports("AWS::Bedrock::ApplicationInferenceProfile", r)]
    without = [r for r in config.source_regions if r not in with_profiles]
    lines += ["", "Cost:"]
    lines.append(f"  budgets (once per account) in {config.budgets_region}: one per application + the account")
    if with_profiles:
        lines.append(f"  application inference profiles in {', '.join(with_profiles)} (applications must call their ARNs)")
    if without:
        lines.append(
            f"  no application inference profiles in {', '.join(without)}: CloudFormation offers none there,"
            " so spend from there is not attributed per application"
        )
    outputs = [(s["name"], k, v.get("Description", "")) for s in stacks for k, v in s["outputs"].items()]
    if outputs:
        lines += ["", "Stack outputs (values are known after `cdk deploy`):"]
        for stack, key, desc in outputs:
            lines.append(f"  {stack}.{key}  {desc}")
    lines += ["", f"Alerts go to: {', '.join(config.alerts.emails)}"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cris_guard.summary", description=__doc__)
    parser.add_argument("--config", default=None, help="configuration file (default: config/default.yaml)")
    parser.add_argument("--assembly", default="cdk.out", help="cloud assembly directory (default: cdk.out)")
    args = parser.parse_args(argv)
    try:
        catalog = load_catalog()
        config = load_config(args.config, catalog)
    except ConfigError as exc:
        print(f"cris-guard: {exc}", file=sys.stderr)
        return 2
    assembly = Path(args.assembly)
    if not (assembly / "manifest.json").exists():
        print(f"cris-guard: {assembly}/manifest.json not found; run `make synth` first", file=sys.stderr)
        return 2
    print(render_summary(config, catalog, assembly))
    return 0


if __name__ == "__main__":
    sys.exit(main())
