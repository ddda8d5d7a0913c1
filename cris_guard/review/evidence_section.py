"""Evidence: the Athena resources over the trail bucket (Glue table, workgroup, named queries, auditor role),
checked against the configuration's ``audit.evidence``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cris_guard.assembly import AssemblyStack
from cris_guard.config import Config
from cris_guard.evidence.queries import QUESTIONS
from cris_guard.review.audit import _bucket_expiry, _days
from cris_guard.review.model import Section, _code, _find, _props, _show


def _bucket_of(stack: AssemblyStack, location: Any) -> Mapping[str, Any] | None:
    """The bucket resource an ``s3://${Bucket}/...`` location refers to (``Fn::Join`` with a ``Ref``)."""
    if isinstance(location, dict) and "Fn::Join" in location:
        for part in location["Fn::Join"][1]:
            if isinstance(part, dict) and set(part) == {"Ref"}:
                return stack.resources.get(part["Ref"])
    return None


def evidence_section(stacks: Sequence[AssemblyStack], config: Config) -> Section:
    """The table, the workgroup's enforced settings, the named queries and the auditor role."""
    section = Section("Evidence")
    wanted = config.audit.evidence
    tables = _find(stacks, "AWS::Glue::Table")
    workgroups = _find(stacks, "AWS::Athena::WorkGroup")
    queries = _find(stacks, "AWS::Athena::NamedQuery")
    if not wanted.athena:
        ok = not (tables or workgroups or queries)
        mark = section.check(ok, "Athena evidence", "Athena resources are synthesized although evidence.athena is false")
        section.lines += [f"Athena evidence {mark}: disabled in the configuration (`audit.evidence.athena: false`);"
                          " `cris-guard evidence` still reads trail files, S3 or LookupEvents.", ""]
        return section
    home = config.trail_home_region
    ok = len(tables) == 1 and len(workgroups) == 1 and tables[0][0].region == home and workgroups[0][0].region == home
    text = f"{len(tables)} table(s) and {len(workgroups)} workgroup(s), expected one of each in {home}"
    section.lines += [f"Athena over the trail bucket {section.check(ok, 'Athena evidence', text)}: "
                      + (f"in {home}, the trail's home Region." if ok else text), ""]
    section.lines += ["| Resource | Stack | Detail | Check |", "|---|---|---|---|"]
    for stack, lid, resource in tables:
        table = _props(resource).get("TableInput") or {}
        params = table.get("Parameters") or {}
        projected = params.get("projection.enabled") == "true"
        keys = [k.get("Name") for k in table.get("PartitionKeys") or []]
        text = f"partition projection on {', '.join(keys)}"
        section.lines.append(f"| Glue table {_code(_props(resource).get('DatabaseName'))}.{_code(table.get('Name'))}"
                             f" | {_code(stack.name)} | {_code(_show(params.get('storage.location.template')))} |"
                             f" {section.check(projected and keys == ['account', 'region', 'timestamp'], f'table {lid}', text)}"
                             f" {text} |")
    for stack, lid, resource in workgroups:
        props = _props(resource)
        conf = props.get("WorkGroupConfiguration") or {}
        results = conf.get("ResultConfiguration") or {}
        cutoff = conf.get("BytesScannedCutoffPerQuery")
        expiry = _bucket_expiry(_bucket_of(stack, results.get("OutputLocation")))
        parts = [
            f"{section.check(passed, f'workgroup {lid}', text)} {text}"
            for passed, text in (
                (conf.get("EnforceWorkGroupConfiguration") is True, "settings enforced"),
                ((results.get("EncryptionConfiguration") or {}).get("EncryptionOption") == "SSE_KMS",
                 "results encrypted with KMS"),
                (cutoff == wanted.bytes_scanned_cutoff_mb * 1024 * 1024,
                 f"scan cutoff {(cutoff or 0) // 2**20:,} MB per query (configured {wanted.bytes_scanned_cutoff_mb:,})"),
                (expiry == wanted.results_retention_days,
                 f"results expire after {_days(expiry)} (configured {wanted.results_retention_days})"),
            )
        ]
        section.lines.append(f"| Athena workgroup {_code(props.get('Name'))} | {_code(stack.name)} |"
                             f" results in {_code(_show(results.get('OutputLocation')))} | {'; '.join(parts)} |")
    names = sorted(_props(r).get("Name", "") for _, _, r in queries)
    expected = sorted(f"cris-guard {name}" for name in QUESTIONS)
    text = f"{len(names)} named queries, expected {len(expected)}: {', '.join(expected)}"
    section.lines.append(f"| Named queries | {_code(queries[0][0].name) if queries else '-'} |"
                         f" {', '.join(_code(n) for n in names) or 'none'} |"
                         f" {section.check(names == expected, 'named queries', text)} |")
    auditors = [(s, lid, r) for s, lid, r in _find(stacks, "AWS::IAM::Role") if "AuditorRole" in lid]
    principals = sorted(_show(st.get("Principal", {}).get("AWS")) for _, _, r in auditors
                        for st in (_props(r).get("AssumeRolePolicyDocument") or {}).get("Statement", []))
    ok = (len(auditors) == 1) == bool(wanted.auditor_principals)
    text = ("read-only auditor role assumable by " + ", ".join(principals) if auditors
            else "no auditor role (audit.evidence.auditor_principals is empty)")
    section.lines.append(f"| Auditor role | {_code(auditors[0][0].name) if auditors else '-'} | {text} |"
                         f" {section.check(ok, 'auditor role', text)} |")
    section.lines += ["", "Run a query with `aws athena start-query-execution --work-group <workgroup> --query-string"
                      " \"$(aws athena get-named-query …)\" --execution-parameters \"'FIRST'\" \"'LAST'\" \"'FIRST'\" \"'LAST'\"`"
                      " (days as YYYY-MM-DD); the same SQL runs locally with"
                      " `cris-guard evidence --engine duckdb`.", ""]
    return section
