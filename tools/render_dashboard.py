"""Render a CloudWatch dashboard body to a PNG of its widget grid, offline (no AWS account).

The picture shows the layout only - each widget's position, size, title, Region and what it plots -
not data. Three inputs:

    # the default example (docs/dashboard.png): the default configuration's approved profiles in
    # eu-central-1 plus two application-profile placeholders, built in a throw-away stack
    .venv/bin/python tools/render_dashboard.py --out docs/dashboard.png

    # a synthesized template (first AWS::CloudWatch::Dashboard, or --dashboard LOGICAL_ID)
    .venv/bin/python tools/render_dashboard.py --template cdk.out/Stack.template.json --out dash.png

    # a plain DashboardBody JSON file (e.g. from `aws cloudwatch get-dashboard`)
    .venv/bin/python tools/render_dashboard.py --body body.json --out dash.png

Needs Pillow (requirements-dev.txt). CloudFormation intrinsics inside the body (alarm ARNs, application
profile IDs) are shown as short placeholders such as ``<AIP0.InferenceProfileId>``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # run as a script from anywhere: make cris_guard importable
    sys.path.insert(0, str(REPO_ROOT))

# The example the tests use (a throw-away stack): the default configuration's approved profiles in this
# Region, plus application-profile placeholders for its first two applications.
DEFAULT_REGION = "eu-central-1"
PLACEHOLDER_APPLICATION_PROFILES = 2

COLUMN_PX = 50
ROW_PX = 28
MARGIN_PX = 16
HEADER_PX = 56
COLORS = {
    "metric": ((232, 240, 254), (66, 103, 178)),
    "text": ((245, 245, 245), (120, 120, 120)),
    "alarm": ((254, 236, 234), (190, 60, 50)),
    "log": ((232, 246, 236), (46, 125, 70)),
}
LINE_COLORS = ((31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189), (140, 86, 75))


# -- reading a body ----------------------------------------------------------------------------------


def _placeholder(intrinsic: Any) -> str:
    if isinstance(intrinsic, dict) and len(intrinsic) == 1:
        (fn, arg), = intrinsic.items()
        if fn == "Ref":
            return f"<{str(arg).replace('AWS::', '')}>"
        if fn == "Fn::GetAtt":
            return f"<{arg[0]}.{arg[1]}>" if isinstance(arg, list) else f"<{arg}>"
    return "<token>"


def body_from_template_value(value: Any) -> dict:
    """A DashboardBody property (a string or ``Fn::Join`` of strings and intrinsics) as a dict."""
    if isinstance(value, str):
        return json.loads(value)
    if isinstance(value, dict) and "Fn::Join" in value:
        sep, parts = value["Fn::Join"]
        # Intrinsics only ever sit inside JSON string literals of the body, so a placeholder without
        # quotes or backslashes keeps the joined text valid JSON.
        return json.loads(sep.join(p if isinstance(p, str) else _placeholder(p) for p in parts))
    raise ValueError(f"unsupported DashboardBody value: {str(value)[:80]}")


def bodies_from_template(template: dict) -> dict[str, dict]:
    """Logical ID -> dashboard body, for every AWS::CloudWatch::Dashboard in ``template``."""
    return {
        logical_id: body_from_template_value(resource["Properties"]["DashboardBody"])
        for logical_id, resource in template.get("Resources", {}).items()
        if resource.get("Type") == "AWS::CloudWatch::Dashboard"
    }


# -- describing a widget -----------------------------------------------------------------------------

_SEARCH = re.compile(r"SEARCH\('\{[^}]*\}\s*MetricName=\"([^\"]+)\"(.*?)',\s*'([^']+)'")
_SELECT = re.compile(r"SELECT\s+(\w+)\((\w+)\).*?LIMIT\s+(\d+)")


def describe_metric_entry(entry: list) -> str:
    options = entry[-1] if entry and isinstance(entry[-1], dict) else {}
    label = options.get("label")
    expression = options.get("expression")
    if expression:
        search = _SEARCH.search(expression)
        if search:
            metric, rest, stat = search.groups()
            scope = "every ModelId" if "ModelId=" not in rest else f"{rest.count('ModelId=')} candidate ModelIds"
            return f"{label or metric}: SEARCH {metric} {stat} ({scope})"
        select = _SELECT.search(expression)
        if select:
            function, metric, limit = select.groups()
            return f"Metrics Insights: top {limit} ModelIds by {function}({metric})"
        return f"{label or 'expression'}: {expression[:60]}"
    names = [part for part in entry if isinstance(part, str)]
    metric = names[1] if len(names) > 1 else "?"
    stat = options.get("stat", "")
    return f"{label or metric}: {metric} {stat}".strip()


def describe_widget(widget: dict) -> tuple[str, list[str], str]:
    """(title, content lines, Region badge) for one widget."""
    props = widget.get("properties", {})
    kind = widget.get("type")
    region = props.get("region", "")
    if kind == "metric":
        lines = [describe_metric_entry(e) for e in props.get("metrics", [])]
        return props.get("title", "(metric)"), lines, region
    if kind == "text":
        text = props.get("markdown", "").replace("**", "")
        heading = next((ln.lstrip("# ").strip() for ln in text.splitlines() if ln.startswith("#")), "")
        rest = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
        return heading or "(text)", rest, ""
    if kind == "alarm":
        count = len(props.get("alarms", []))
        return props.get("title", "Alarms"), [f"{count} alarms, each notifying the alert topic"], ""
    if kind == "log":
        query = props.get("query", "")
        source, _, rest = query.partition("|")
        lines = [source.strip()] + [part.strip() for part in rest.split("\n|") if part.strip()]
        return props.get("title", "(Logs Insights)"), lines, region
    return kind or "?", [], region


# -- drawing -------------------------------------------------------------------------------------------


def _wrap(draw, text: str, font, width: int, max_lines: int) -> list[str]:
    words, lines, current = text.split(), [], ""
    for word in words:
        trial = f"{current} {word}".strip()
        if draw.textlength(trial, font=font) <= width:
            current = trial
            continue
        if current:
            lines.append(current)
        current = word
        while draw.textlength(current, font=font) > width and len(current) > 4:
            cut = len(current)
            while cut > 1 and draw.textlength(current[:cut], font=font) > width:
                cut -= 1
            lines.append(current[:cut])
            current = current[cut:]
    if current:
        lines.append(current)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: max(0, len(lines[-1]) - 1)] + "…"
    return lines


def render(body: dict, out: Path, *, caption: str = "") -> tuple[int, int]:
    """Draw ``body``'s widget grid to ``out`` (PNG); returns the image size."""
    from PIL import Image, ImageDraw, ImageFont

    widgets = body.get("widgets", [])
    bottom = max((w.get("y", 0) + w.get("height", 6) for w in widgets), default=1)
    size = (24 * COLUMN_PX + 2 * MARGIN_PX, HEADER_PX + bottom * ROW_PX + 2 * MARGIN_PX)
    image = Image.new("RGB", size, (255, 255, 255))
    draw = ImageDraw.Draw(image)
    title_font = ImageFont.load_default(size=13)
    small_font = ImageFont.load_default(size=11)
    header_font = ImageFont.load_default(size=18)
    draw.text(
        (MARGIN_PX, MARGIN_PX),
        caption or f"Dashboard layout: {len(widgets)} widgets (layout only, no data)",
        fill=(30, 30, 30),
        font=header_font,
    )
    for widget in widgets:
        x0 = MARGIN_PX + widget.get("x", 0) * COLUMN_PX
        y0 = MARGIN_PX + HEADER_PX + widget.get("y", 0) * ROW_PX
        x1 = x0 + widget.get("width", 6) * COLUMN_PX - 4
        y1 = y0 + widget.get("height", 6) * ROW_PX - 4
        fill, edge = COLORS.get(widget.get("type"), ((255, 255, 255), (0, 0, 0)))
        draw.rectangle((x0, y0, x1, y1), fill=fill, outline=edge, width=2)
        title, lines, region = describe_widget(widget)
        inner = x1 - x0 - 12
        cursor = y0 + 5
        if region:
            badge = region
            badge_w = draw.textlength(badge, font=small_font) + 8
            draw.rectangle((x1 - badge_w - 4, y0 + 4, x1 - 4, y0 + 19), fill=edge)
            draw.text((x1 - badge_w, y0 + 6), badge, fill=(255, 255, 255), font=small_font)
            inner -= int(badge_w) + 6
        for line in _wrap(draw, title, title_font, inner, 2):
            draw.text((x0 + 6, cursor), line, fill=(20, 20, 20), font=title_font)
            cursor += 16
        cursor += 3
        room = max(0, (y1 - cursor - 4) // 14)
        for n, text in enumerate(lines):
            if room <= 0:
                break
            bullet = LINE_COLORS[n % len(LINE_COLORS)] if widget.get("type") == "metric" else edge
            for k, wrapped in enumerate(_wrap(draw, text, small_font, x1 - x0 - 24, 2)):
                if room <= 0:
                    break
                if k == 0:
                    draw.rectangle((x0 + 7, cursor + 4, x0 + 13, cursor + 10), fill=bullet)
                draw.text((x0 + 18, cursor), wrapped, fill=(60, 60, 60), font=small_font)
                cursor += 14
                room -= 1
    out.parent.mkdir(parents=True, exist_ok=True)
    # A 64-colour palette keeps the committed PNG small; the drawing uses only a few flat colours.
    image.convert("P", palette=Image.Palette.ADAPTIVE, colors=64).save(out, format="PNG", optimize=True)
    return size


# -- the default example -------------------------------------------------------------------------------


def default_example_profiles() -> tuple[list[str], list[tuple[str, str]]]:
    """(approved profile IDs in order of first use, [(application, its first profile)] placeholders)
    from config/default.yaml."""
    from cris_guard.config import load_config

    config = load_config()
    if DEFAULT_REGION not in config.source_regions:
        raise SystemExit(f"the default configuration has no source Region {DEFAULT_REGION}; update DEFAULT_REGION")
    profiles: list[str] = []
    for application in config.applications:
        profiles += [p for p in application.profiles if p not in profiles]
    placeholders = [(a.name, a.profiles[0]) for a in config.applications[:PLACEHOLDER_APPLICATION_PROFILES]]
    return profiles, placeholders


def build_default_example_stack():
    """The default example in a throw-away stack: ``(app, stack, dashboard)`` (tests use the same)."""
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    import aws_cdk as cdk
    from aws_cdk import aws_bedrock as bedrock
    from aws_cdk import aws_cloudwatch as cloudwatch
    from aws_cdk import aws_kms as kms
    from aws_cdk import aws_sns as sns

    from cris_guard.constructs.dashboard import BedrockDashboard, MonitoredModel

    profiles, placeholders = default_example_profiles()
    app = cdk.App()
    stack = cdk.Stack(app, "DashboardExample", env=cdk.Environment(account="111122223333", region=DEFAULT_REGION))
    topic = sns.Topic(stack, "AlertTopic", master_key=kms.Key(stack, "AlertKey", enable_key_rotation=True), enforce_ssl=True)
    models = [MonitoredModel(label=pid, model_id=pid) for pid in profiles]
    for n, (app_name, profile_id) in enumerate(placeholders):
        profile = bedrock.CfnApplicationInferenceProfile(
            stack,
            f"AIP{n}",
            inference_profile_name=f"{app_name}-{n}",
            model_source=bedrock.CfnApplicationInferenceProfile.InferenceProfileModelSourceProperty(
                copy_from=f"arn:aws:bedrock:{DEFAULT_REGION}:111122223333:inference-profile/{profile_id}"
            ),
        )
        models.append(MonitoredModel(label=f"{app_name} (application profile)", model_id=profile.attr_inference_profile_id))
    dashboard = BedrockDashboard(
        stack,
        "BedrockDashboard",
        source_region=DEFAULT_REGION,
        dashboard_name=f"cris-guard-{DEFAULT_REGION}",
        models=models,
        alert_topic=topic,
        residency_metric=cloudwatch.Metric(namespace="CrisGuard/Audit", metric_name="ResidencyViolations", statistic="Sum"),
        trail_log_group_name="cris-guard-trail",
    )
    return app, stack, dashboard


def build_default_example() -> dict:
    """The real app for config/default.yaml, synthesized; the template of its eu-central-1 stack.

    The README picture is what `make synth` deploys, not a stand-in.
    """
    from cris_guard.app_builder import build_app
    from cris_guard.catalog import load_catalog
    from cris_guard.config import load_config

    catalog = load_catalog()
    config = load_config(None, catalog)
    assembly = build_app(config, catalog, default_account="111122223333").synth()
    return assembly.get_stack_by_name(f"{config.name}-{DEFAULT_REGION}").template


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--template", type=Path, help="a synthesized CloudFormation template (JSON)")
    source.add_argument("--body", type=Path, help="a DashboardBody JSON file")
    parser.add_argument("--dashboard", help="logical ID of the dashboard in --template (default: the first)")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "docs" / "dashboard.png")
    args = parser.parse_args(argv)

    if args.body:
        body = json.loads(args.body.read_text(encoding="utf-8"))
        caption = f"{args.body.name}: layout only, no data"
    else:
        template = json.loads(args.template.read_text(encoding="utf-8")) if args.template else build_default_example()
        bodies = bodies_from_template(template)
        if not bodies:
            print("no AWS::CloudWatch::Dashboard in the template", file=sys.stderr)
            return 1
        logical_id = args.dashboard or next(iter(bodies))
        if logical_id not in bodies:
            print(f"no dashboard {logical_id!r}; the template has {sorted(bodies)}", file=sys.stderr)
            return 1
        body = bodies[logical_id]
        caption = (
            f"{len(body['widgets'])} widgets - the dashboard config/default.yaml deploys in {DEFAULT_REGION}"
            " (layout only, no data)"
            if not args.template
            else f"{logical_id}: {len(body['widgets'])} widgets (layout only, no data)"
        )
    width, height = render(body, args.out, caption=caption)
    print(f"wrote {args.out} ({width}x{height}, {len(body.get('widgets', []))} widgets)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
