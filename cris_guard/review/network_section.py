"""Private connectivity: each Bedrock interface endpoint, its security group, the profiles its policy lets
through and its size against the endpoint-policy limit, and the network-bound roles (``network:``)."""

from __future__ import annotations

from collections.abc import Sequence

from cris_guard import iam_policy, network
from cris_guard.assembly import AssemblyStack
from cris_guard.config import Config
from cris_guard.review.access import _application_profiles_in
from cris_guard.review.model import Section, _code, _find, _props
from cris_guard.review.placeholders import _PROFILE_ARN, _placeholder_form


def network_section(stacks: Sequence[AssemblyStack], config: Config) -> Section | None:
    """None when the configuration has no ``network:`` and the templates no Bedrock endpoint."""
    endpoints = [(s, lid, r) for s, lid, r in _find(stacks, "AWS::EC2::VPCEndpoint")
                 if str(_props(r).get("ServiceName", "")).endswith((".bedrock-runtime", ".bedrock"))]
    if not config.network and not endpoints:
        return None
    section = Section("Private connectivity")
    section.lines += ["| Endpoint | Stack | VPC | Lets through | Policy size | Check |", "|---|---|---|---|---|---|"]
    for region, settings in sorted(config.network.items()):
        here = [(s, lid, r) for s, lid, r in endpoints if s.region == region
                and str(_props(r).get("ServiceName")).endswith(".bedrock-runtime")]
        if not here:
            text = f"no bedrock-runtime endpoint in {region}, configured in VPC {settings.vpc_id}"
            section.lines.append(f"| bedrock-runtime | - | {_code(settings.vpc_id)} | - | - |"
                                 f" {section.check(False, f'endpoint {region}', text)} {text} |")
    for stack, lid, resource in endpoints:
        props = _props(resource)
        service = str(props.get("ServiceName")).rsplit(".", 1)[-1]
        region = stack.region or ""
        document = _placeholder_form(props.get("PolicyDocument") or {}, region,
                                     {lid2: pid for owned in _application_profiles_in(stack).values()
                                      for pid, lid2 in owned.items()})
        statements = {s.get("Sid"): s for s in document.get("Statement", [])} if isinstance(document, dict) else {}
        profiles = [m["profile"] for arn in _list(statements.get(network.SID_ALLOW_PROFILES, {}).get("Resource"))
                    if (m := _PROFILE_ARN.match(str(arn)))]
        apps = len(_list(statements.get(network.SID_ALLOW_APPLICATION_PROFILES, {}).get("Resource")))
        size = iam_policy.policy_size(document, iam_policy.worst_case_lengths(region, profiles))
        if service == "bedrock-runtime":
            denies = {network.SID_DENY_NON_EU_PROFILES, network.SID_DENY_GLOBAL, network.SID_DENY_OUTSIDE_EU}
            wanted = sorted({p for a in config.applications for p in a.profiles})
            checks = [
                (sorted(profiles) == wanted, f"exactly the approved profiles ({len(profiles)})"),
                (denies <= set(statements), "denies global., other geographies and non-EU Regions"),
                (size <= network.ENDPOINT_POLICY_MAX_CHARS,
                 f"{size:,} of {network.ENDPOINT_POLICY_MAX_CHARS:,} characters"),
            ]
            guards = len(_list(statements.get(network.SID_ALLOW_GUARDRAILS, {}).get("Resource")))
            extras = [f"{apps} application profile(s)" if apps else "", f"{guards} guardrail and guardrail-profile ARN(s)" if guards else "",
                      "the Responses project" if network.SID_ALLOW_RESPONSES in statements else ""]
            through = ", ".join(_code(p) for p in profiles) + "".join(f"; {e}" for e in extras if e)
        else:
            checks = [(True, "read-only control-plane calls")]
            through = "GetInferenceProfile and other reads"
        marks = "; ".join(f"{section.check(ok, f'{service} endpoint {lid}', text)} {text}" for ok, text in checks)
        section.lines.append(f"| {service} ({_code(lid)}) | {_code(stack.name)} | {_code(props.get('VpcId'))} |"
                             f" {through} | {size:,} | {marks} |")
    bound = [a.name for a in config.applications if a.require_private_network]
    section.lines += ["", "Network-bound applications (`require_private_network`; their roles deny inference from"
                      " outside the configured VPC by `aws:SourceVpc`): " + (", ".join(bound) or "none") + ".", ""]
    return section


def _list(value) -> list:
    return value if isinstance(value, list) else ([] if value is None else [value])
