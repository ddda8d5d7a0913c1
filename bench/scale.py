"""Scale benchmark: 200 applications, each approved for every EU profile, over 2 source Regions.

Run: ``.venv/bin/python bench/scale.py [--applications 200] [--no-append-check]``

Generates a configuration (written to a temporary directory, never committed), synthesizes it with
``app_builder.build`` exactly as ``make synth`` does (cdk-nag packs included), and prints the synth
time, the time ``make report`` takes on the result (scenarios off), the largest managed policy (characters as IAM counts them, at worst-case partition/account
length), managed policies per role, and resources per stack. It then checks every AWS limit the
templates could hit and, unless ``--no-append-check``, synthesizes the same configuration with one
more application and checks that no logical ID of any existing stack changed.

Exit code 1 when a limit is exceeded or a logical ID moved.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import yaml  # noqa: E402

from cris_guard import iam_policy  # noqa: E402
from cris_guard.catalog import Catalog, load_catalog  # noqa: E402
from cris_guard.config import load_config  # noqa: E402
from cris_guard.scenarios import extract_access, stacks_from_assembly  # noqa: E402
from cris_guard.stacks.access import (  # noqa: E402
    DEFAULT_LAYOUT,
    RESOURCES_PER_APPLICATION,
    TEMPLATE_BYTES_PER_APPLICATION,
    check_stack_limits,
)

SOURCE_REGIONS = ["eu-central-1", "eu-west-1"]
ACCOUNT = "111122223333"


def profiles_for_every_region(catalog: Catalog) -> list[str]:
    """Every EU profile callable from all source Regions (a profile with no route from one of them
    would be refused by the configuration check)."""
    return sorted(p for p in catalog.approvable() if all(catalog.destinations(p, r) for r in SOURCE_REGIONS))


def write_config(directory: Path, applications: int, profiles: list[str]) -> Path:
    doc = {
        "name": "bench",
        "residency": "eu",
        "account": ACCOUNT,
        "source_regions": SOURCE_REGIONS,
        "alerts": {"emails": ["platform-team@example.com"]},
        # 200 x 17 application profiles per Region exceed the default quota of 1,000 (Service Quotas
        # L-40EC9882); the configuration must declare the approved increase.
        "cost": {"application_profile_quota": applications * len(profiles)},
        "applications": [
            {
                "name": f"app-{i:03d}",
                "profiles": profiles,
                "monthly_budget_usd": 100,
                "cost_center": f"CC-{i:04d}",
                "trusted_services": ["lambda.amazonaws.com"],
            }
            for i in range(applications)
        ],
    }
    path = directory / f"bench-{applications}.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def synthesize(config_path: Path, catalog: Catalog, outdir: Path):
    from cris_guard.app_builder import build

    config = load_config(config_path, catalog)
    started = time.perf_counter()
    built = build(config, catalog, outdir=str(outdir), default_account=ACCOUNT)
    assembly = built.app.synth()
    return built, assembly, time.perf_counter() - started


def time_report(config_path: Path, catalog: Catalog, outdir: Path):
    """``make report`` without the access scenarios: read the assembly and build every section."""
    from cris_guard import report as review

    config = load_config(config_path, catalog)
    started = time.perf_counter()
    built = review.build_report(config, catalog, review.read_assembly(outdir), scenario_run=None,
                                config_label=config_path.name, assembly_label=str(outdir))
    text = built.render()
    return time.perf_counter() - started, built, text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applications", type=int, default=200)
    parser.add_argument("--no-append-check", action="store_true", help="skip the second synthesis with one more application")
    args = parser.parse_args(argv)

    catalog = load_catalog()
    profiles = profiles_for_every_region(catalog)
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="cris-guard-bench-") as tmp:
        directory = Path(tmp)
        config_path = write_config(directory, args.applications, profiles)
        built, assembly, seconds = synthesize(config_path, catalog, directory / "out")

        print(f"cris-guard scale benchmark: {args.applications} applications x {len(profiles)} EU profiles"
              f" (every catalog profile callable from both) x {len(SOURCE_REGIONS)} source Regions")
        print(f"  layout: {DEFAULT_LAYOUT.first_shard_capacity} applications in each governance stack,"
              f" {DEFAULT_LAYOUT.overflow_shard_capacity} per overflow stack"
              f" (budgets per application: {RESOURCES_PER_APPLICATION} resources, {TEMPLATE_BYTES_PER_APPLICATION:,} template bytes)")
        print(f"  synth time (build + synth + cdk-nag AwsSolutions and NIST 800-53 rev 5): {seconds:.1f} s")

        counts, sizes = [], []
        for region, accesses in built.access.items():
            for name, access in accesses.items():
                counts.append(len(access.policies))
                sizes.extend(access.policy_sizes)
                if len(access.policies) > iam_policy.MAX_MANAGED_POLICIES_PER_ROLE:
                    problems.append(f"{name} in {region}: {len(access.policies)} managed policies")
        # Cross-check the planned sizes against the synthesized documents resolved at worst case.
        stacks = stacks_from_assembly(assembly)
        worst = extract_access(stacks, account="123456789012", partition=iam_policy.WORST_CASE_PARTITION)
        synthesized_sizes = [iam_policy.policy_size(d) for a in worst.values() for d in a.policies.values()]
        print(f"  largest managed policy: {max(sizes)} of {iam_policy.MANAGED_POLICY_MAX_CHARS} characters"
              f" (planned, worst-case partition/account/application-profile ARN);"
              f" {max(synthesized_sizes)} as synthesized and resolved with partition"
              f" {iam_policy.WORST_CASE_PARTITION!r} (application profile IDs at 12 characters)")
        print(f"  managed policies per role: min {min(counts)}, max {max(counts)},"
              f" mean {statistics.mean(counts):.2f} (limit {iam_policy.MAX_MANAGED_POLICIES_PER_ROLE})")
        if max(sizes) > iam_policy.MANAGED_POLICY_MAX_CHARS or max(synthesized_sizes) > iam_policy.MANAGED_POLICY_MAX_CHARS:
            problems.append("a managed policy exceeds 6,144 characters")

        print(f"  stacks: {len(stacks)}")
        print(f"    {'stack':<34} {'resources':>9} {'roles':>6} {'policies':>9} {'app profiles':>13} {'outputs':>8} {'KB':>6}")
        for artifact in sorted(assembly.stacks, key=lambda s: (s.environment.region, _shard_number(s.stack_name))):
            template = artifact.template
            types = Counter(r["Type"] for r in template.get("Resources", {}).values())
            resources = sum(types.values())
            outputs = len(template.get("Outputs", {}))
            size = Path(artifact.template_full_path).stat().st_size
            print(f"    {artifact.stack_name:<34} {resources:>9} {types['AWS::IAM::Role']:>6}"
                  f" {types['AWS::IAM::ManagedPolicy']:>9} {types['AWS::Bedrock::ApplicationInferenceProfile']:>13}"
                  f" {outputs:>8} {size / 1024:>6.0f}")
        problems.extend(check_stack_limits(assembly))
        resources = [len(s.template.get("Resources", {})) for s in assembly.stacks]
        print(f"  resources per stack: min {min(resources)}, max {max(resources)}, mean {statistics.mean(resources):.0f}"
              f" (limit 500); largest template {max(Path(s.template_full_path).stat().st_size for s in assembly.stacks):,}"
              " bytes (limit 1,000,000)")

        for region, stack in built.region_stacks.items():
            plan = stack.dashboard.plan
            print(f"  dashboard {region}: {plan.widget_count} widgets (limit 500), {plan.alarm_count} alarms,"
                  f" at most {plan.max_metrics_per_widget} metrics per widget (limit 500),"
                  f" {plan.worst_case_metrics} metrics worst case (limit 2,500)")
            problems.extend(f"dashboard {region}: {p}" for p in plan.problems)
        budgets = sum(
            1 for s in assembly.stacks for r in s.template.get("Resources", {}).values() if r["Type"] == "AWS::Budgets::Budget"
        )
        print(f"  budgets: {budgets} (one per application + one for the account, once per account)")
        if budgets != args.applications + 1:
            problems.append(f"{budgets} budgets, expected {args.applications + 1}")

        report_seconds, report, text = time_report(config_path, catalog, directory / "out")
        print(f"  review report (read cdk.out + every section, scenarios off): {report_seconds:.1f} s,"
              f" {len(text.splitlines()):,} lines, {len(text.encode()):,} bytes; {report.verdict()}")
        if not report.passed:
            problems.extend(f"review report: {c.where}: {c.text}" for c in report.failures)

        if not args.no_append_check:
            before = {s.stack_name: s.template.get("Resources", {}) for s in assembly.stacks}
            _, appended, seconds2 = synthesize(write_config(directory, args.applications + 1, profiles), catalog,
                                               directory / "out-appended")
            after = {s.stack_name: s.template.get("Resources", {}) for s in appended.stacks}
            # An existing logical ID must neither disappear nor change type (either would replace or
            # delete a deployed resource); new IDs may appear in the last shard.
            lost = {n: sorted(set(before[n]) - set(after.get(n, {}))) for n in before}
            lost = {n: ids for n, ids in lost.items() if ids}
            retyped = [f"{n}/{i}" for n in before for i in before[n]
                       if i in after.get(n, {}) and after[n][i]["Type"] != before[n][i]["Type"]]
            added = {n: len(set(after[n]) - set(before.get(n, {}))) for n in after}
            updated = {n: sorted(i for i in before[n] if i in after.get(n, {}) and after[n][i] != before[n][i]) for n in before}
            updated = {n: ids for n, ids in updated.items() if ids}
            print(f"  append check: application {args.applications + 1} added ({seconds2:.1f} s): existing logical IDs"
                  f" lost: {sum(map(len, lost.values()))}, retyped: {len(retyped)};"
                  f" resources added: {', '.join(f'{n} +{k}' for n, k in added.items() if k) or 'none'};"
                  f" existing resources updated in place: "
                  + (", ".join(f"{n}: {', '.join(ids)}" for n, ids in updated.items()) or "none"))
            if lost or retyped:
                problems.append(f"logical IDs lost {lost} or retyped {retyped}")

    if problems:
        print("LIMITS EXCEEDED:\n  " + "\n  ".join(problems))
        return 1
    print("  every limit holds: <= 500 resources and <= 200 outputs per stack, templates <= 1 MB,"
          " policies <= 6,144 characters, <= 10 managed policies per role")
    return 0


def _shard_number(stack_name: str) -> int:
    tail = stack_name.rsplit("-apps-", 1)
    return int(tail[1]) if len(tail) == 2 and tail[1].isdigit() else 1


if __name__ == "__main__":
    sys.exit(main())
