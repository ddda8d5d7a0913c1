"""cdk-nag 3.x wiring: which rule packs check every stack, and how a finding is acknowledged.

cdk-nag 3 is a CDK validation plugin, not an Aspect: packs are registered once on the App and check
every stack in it, including stacks added later. An unacknowledged error makes ``app.synth()`` raise
and ``cdk synth`` exit 1, with the report in ``cdk.out/validation-report.json``.
"""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
import cdk_nag
from constructs import IConstruct

PACKS = (cdk_nag.AwsSolutionsChecks, cdk_nag.NIST80053R5Checks)


def register_nag_packs(app: cdk.App) -> None:
    cdk.Validations.of(app).add_plugins(*(pack(app) for pack in PACKS))


def acknowledge(scope: IConstruct, rule_id: str, reason: str) -> None:
    """Acknowledge one (granular) finding on ``scope`` and its children; the reason must be specific."""
    if len(reason) < 20:
        raise ValueError(f"acknowledgment of {rule_id} needs a specific reason, got {reason!r}")
    cdk.Validations.of(scope).acknowledge(cdk.Acknowledgment(id=rule_id, reason=reason))


def violations(app: cdk.App, scope: IConstruct) -> list[str]:
    """Unacknowledged findings of every registered pack for ``scope`` (for tests; does not raise)."""
    return [
        f"{v.rule_name}: {[r.resource_logical_id for r in v.violating_resources]}"
        for pack in PACKS
        for v in pack(app).validate_scope(scope).violations
    ]


def nag_resource_repr(scope: IConstruct, value: str) -> str:
    """How cdk-nag spells ``value`` (a string that may hold tokens) inside a granular finding ID.

    cdk-nag renders ``{"Ref": X}`` as ``<X>`` and ``{"Fn::GetAtt": [X, A]}`` as ``<X.A>``, so a finding on
    ``arn:${AWS::Partition}:logs:...`` reads ``arn:<AWS::Partition>:logs:...``. Computing it here keeps
    acknowledgments right whether the account is a literal or environment-agnostic.
    """
    resolved = cdk.Stack.of(scope).resolve(value)

    def render(part: object) -> str:
        if isinstance(part, str):
            return part
        if isinstance(part, dict) and "Ref" in part:
            return f"<{part['Ref']}>"
        if isinstance(part, dict) and "Fn::GetAtt" in part:
            return f"<{'.'.join(part['Fn::GetAtt'])}>"
        if isinstance(part, dict) and "Fn::Join" in part:
            sep, parts = part["Fn::Join"]
            return sep.join(render(p) for p in parts)
        raise ValueError(f"cannot render {part!r} as cdk-nag does")

    return render(resolved)


def failed_validations(outdir: str | Path) -> list[str]:
    """One line per violation recorded in ``<outdir>/validation-report.json``, for a failed plugin report.

    Why this exists: with the pinned CLI (aws-cdk 2.1148.1), ``cdk synth`` exits 0 when the only
    violations are in stacks inside a ``cdk.Stage`` — the report file lists them, but neither the app
    nor the CLI fails (measured in this repository; aws-cdk-cli#1974 describes the same symptom).
    ``app.py`` therefore reads the report after ``app.synth()`` and fails itself.
    """
    file = Path(outdir) / "validation-report.json"
    if not file.exists():
        return []
    try:
        report = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return [f"{file}: unreadable validation report ({exc}); re-run the synthesis"]
    lines = []
    for plugin in report.get("pluginReports", []):
        if plugin.get("conclusion") != "failure":
            continue
        for violation in plugin.get("violations", []):
            for construct in violation.get("violatingConstructs", []):
                lines.append(
                    f"{violation.get('ruleName')} at {construct.get('constructPath')}: {violation.get('description')}"
                    f" (fix it, or acknowledge it with a specific reason via cris_guard.nag.acknowledge)"
                )
    return sorted(set(lines))
