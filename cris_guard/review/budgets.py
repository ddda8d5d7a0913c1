"""Budgets: every budget in the templates with amount, filter, thresholds and subscribers, checked against
the configuration (one per application, one account-wide)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cris_guard.assembly import AssemblyStack
from cris_guard.config import Config
from cris_guard.cost import (
    APPLICATION_TAG_KEY,
    BudgetedApplication,
    application_cost_filters,
    default_account_monthly_usd,
)
from cris_guard.review.model import Section, _as_list, _cell, _code, _find, _props, _show


# "user:<tag key>$": the budgets' filter value for an application, less the application's name.
APPLICATION_COST_FILTER_PREFIX = application_cost_filters(APPLICATION_TAG_KEY, "")["TagKeyValue"][0]


def budgets_section(stacks: Sequence[AssemblyStack], config: Config) -> Section:
    """Every budget with amount, filter, thresholds and subscribers, checked against the configuration:
    one per application (by its cost-allocation tag) and one account-wide (no filter)."""
    section = Section("Budgets")
    section.lines += ["| Budget | Stack | Amount | Filter | Thresholds | Alerts to | Check |", "|---|---|---|---|---|---|---|"]
    amounts: dict[str | None, float] = {a.name: float(a.monthly_budget_usd) for a in config.applications}
    account = config.budgets.account_monthly_usd
    amounts[None] = float(account if account is not None else default_account_monthly_usd(
        [BudgetedApplication(a.name, a.monthly_budget_usd) for a in config.applications]))
    thresholds = sorted((t.type.upper(), float(t.percent)) for t in config.budgets.thresholds)
    seen: list[str | None] = []
    for stack, lid, resource in _find(stacks, "AWS::Budgets::Budget"):
        seen.append(_budget_row(section, stack, lid, resource, amounts, thresholds))
    section.lines.append("")
    for owner in amounts:
        count = seen.count(owner)
        if count != 1:
            text = f"{count} budgets for {owner or 'the whole account'}, expected 1"
            section.lines.append(f"- {section.check(False, 'budgets', text)} {text}")
    return section


def _budget_row(section: Section, stack: AssemblyStack, lid: str, resource: Mapping[str, Any],
                amounts: Mapping[str | None, float], thresholds: list[tuple[str, float]]) -> str | None:
    """Add the budget's row; return the application it is for (None: account-wide, or unknown)."""
    props = _props(resource)
    budget = props.get("Budget") or {}
    limit = budget.get("BudgetLimit") or {}
    filters = budget.get("CostFilters") or {}
    amount = float(limit.get("Amount", 0))
    owners = [v.removeprefix(APPLICATION_COST_FILTER_PREFIX) for v in _as_list(filters.get("TagKeyValue"))
              if isinstance(v, str) and v.startswith(APPLICATION_COST_FILTER_PREFIX)]
    owner = owners[0] if len(owners) == 1 else None
    notifications = props.get("NotificationsWithSubscribers") or []
    found = sorted((n.get("Notification", {}).get("NotificationType"), float(n.get("Notification", {}).get("Threshold", 0)))
                   for n in notifications)
    subscribers = {(s.get("SubscriptionType"), _show(s.get("Address"))) for n in notifications for s in n.get("Subscribers") or []}

    problems = []
    if owner is None and filters:
        problems.append("a filter that is neither one application's tag nor none")
    elif owner is not None and owner not in amounts:
        problems.append(f"application {owner!r} is not in the configuration")
    elif amount != amounts[owner]:
        problems.append(f"amount {amount:g}, configured {amounts[owner]:g}")
    if found != thresholds:
        problems.append(f"thresholds differ from the configuration ({', '.join(f'{k.lower()} {p:g} %' for k, p in thresholds)})")
    name = budget.get("BudgetName", lid)
    mark = section.check(not problems, f"budget {name}", "; ".join(problems))

    # Values in code spans: "user:<key>$<value>" must not start GitHub's $…$ math.
    filter_text = "; ".join(f"{k}: {', '.join(_code(v) for v in _as_list(v))}" for k, v in filters.items())
    topics = sum(kind == "SNS" for kind, _ in subscribers)
    emails = sum(kind == "EMAIL" for kind, _ in subscribers)
    alerts = ", ".join(filter(None, (
        f"{topics} SNS topic{'s' if topics != 1 else ''}" if topics else "",
        f"{emails} e-mail address{'es' if emails != 1 else ''}" if emails else ""))) or "nobody"
    cells = [
        _code(name),
        _code(stack.name),
        f"{amount:,.2f} {limit.get('Unit', '')} {str(budget.get('TimeUnit', '')).lower()}",
        _cell(filter_text or "none (all spend in the account)"),
        ", ".join(f"{kind.lower()} > {pct:g} %" for kind, pct in found),
        alerts,
        " ".join([mark, _cell("; ".join(problems))]).strip(),
    ]
    section.lines.append(f"| {' | '.join(cells)} |")
    return owner if owner is not None or not filters else f"(unrecognized filter on {name})"
