"""The residency map: one Mermaid flowchart per source Region, source → approved profile → destination
Regions, drawn from the access review's parsed grants."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence

from cris_guard.config import Config
from cris_guard.regions import EU_MEMBER_STATE_REGIONS
from cris_guard.review.access import AccessReview
from cris_guard.review.model import FAIL, Section


# One Mermaid flowchart per source Region (GitHub and GitLab render ```mermaid blocks in pull requests).
# It is drawn from the same parsed grants as the access section, never from the configuration: one node
# per approved profile, aggregated over applications, so 200 applications still give one edge set per
# profile. Node IDs are derived from names and every list is sorted, so a diff of two reports shows the
# edges a change adds or removes. The syntax is a deliberately small subset (flowchart, quoted labels,
# --> and -.->|"label"| edges, classDef); tests/test_report.py checks every line against it.

MERMAID_OUTSIDE_CLASS = "outside"


def _mermaid_id(prefix: str, name: str) -> str:
    return f"{prefix}_{re.sub(r'[^A-Za-z0-9]', '_', name)}"


def _mermaid_label(text: str) -> str:
    return '"' + text.replace('"', "#quot;") + '"'


def residency_diagram(region: str, reviews: Sequence[AccessReview]) -> list[str]:
    """The flowchart for one source Region: source → approved profile → destination Regions granted."""
    approving: dict[str, list[str]] = defaultdict(list)  # profile ID -> applications approving it
    granting: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))  # profile -> Region -> apps
    for review in reviews:
        for route in review.routes:
            approving[route.profile_id].append(review.application)
            for destination in route.found:
                granting[route.profile_id][destination] += 1
    source = _mermaid_id("src", region)
    lines = ["flowchart LR", f"  {source}[{_mermaid_label(f'{region} (source Region)')}]"]
    ids: dict[str, str] = {}
    for pid in sorted(approving):
        node = _mermaid_id("p", pid)
        while node in ids.values():  # two IDs that differ only in punctuation
            node += "_"
        ids[pid] = node
        count = len(approving[pid])
        suffix = "" if granting[pid] else ", no destination granted"
        label = f"{pid} · {count} application{'s' if count != 1 else ''}{suffix}"
        lines.append(f"  {node}[{_mermaid_label(label)}]")
    destinations = sorted({d for regions in granting.values() for d in regions})
    for destination in destinations:
        if destination in EU_MEMBER_STATE_REGIONS:
            lines.append(f"  {_mermaid_id('dst', destination)}[{_mermaid_label(destination)}]")
        else:
            label = f"{destination} {FAIL} outside the EU member states"
            lines.append(f"  {_mermaid_id('dst', destination)}[{_mermaid_label(label)}]:::{MERMAID_OUTSIDE_CLASS}")
    for pid in sorted(approving):
        lines.append(f"  {source} --> {ids[pid]}")
        for destination, count in sorted(granting[pid].items()):
            total = len(approving[pid])
            if count == total:
                lines.append(f"  {ids[pid]} --> {_mermaid_id('dst', destination)}")
            else:  # only some applications' policies grant it: the access section flags them
                lines.append(f"  {ids[pid]} -.->|{_mermaid_label(f'{count} of {total} applications')}|"
                             f" {_mermaid_id('dst', destination)}")
    if any(d not in EU_MEMBER_STATE_REGIONS for d in destinations):
        lines.append(f"  classDef {MERMAID_OUTSIDE_CLASS} fill:#fdd,stroke:#c00,stroke-width:2px,color:#600")
    return lines


def residency_map_section(reviews: Sequence[AccessReview], config: Config) -> Section:
    section = Section("Residency map")
    section.lines += [
        "Destination Regions each approved profile's policies grant, per source Region, aggregated over the"
        " applications (read from the templates, as in the access section below; a dotted edge is granted"
        f" to only some of them, a red node is outside the EU member states).",
        "",
    ]
    regions = list(config.source_regions) + sorted({r.region for r in reviews} - set(config.source_regions))
    for region in regions:
        here = [r for r in reviews if r.region == region]
        section.lines += [f"### From {region}", "", "```mermaid", *residency_diagram(region, here), "```", ""]
    return section
