"""Monthly AWS Budgets: one per application (by its cost-allocation tag) and one for all account spend.

Budgets are global to the account. This construct does not decide placement: create it in exactly
one stack per account, or the same budgets would be declared twice (and the second stack would
fail with "the budget already exists").
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Literal

import aws_cdk as cdk
from aws_cdk import aws_budgets as budgets
from aws_cdk import aws_sns as sns
from constructs import Construct

from cris_guard.cost import (
    APPLICATION_TAG_KEY,
    BUDGET_COST_TYPES,
    BudgetedApplication,
    account_budget_name,
    application_budget_name,
    application_cost_filters,
    check_budget_settings,
    default_account_monthly_usd,
    notifications_fingerprint,
)

__all__ = ["BedrockBudgets", "BudgetedApplication"]

# BUDGET_COST_TYPES uses CloudFormation's names (IncludeOtherSubscription); the L1 takes them in
# snake case (include_other_subscription). A misspelt key fails here, at import.
_COST_TYPES = budgets.CfnBudget.CostTypesProperty(
    **{re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower(): value for name, value in BUDGET_COST_TYPES.items()}
)


class BedrockBudgets(Construct):
    """Monthly COST budgets with the same notifications on each.

    - Per application: ``CostFilters.TagKeyValue = user:<tag_key>$<application>``, i.e. the spend of
      resources carrying the application's cost-allocation tag (its application inference profiles).
      The tag key must be activated as a cost-allocation tag in the Billing console.
    - Account-wide (``AllSpend``): **no filter** — all spend in the account. Spend on third-party
      models may be billed under Marketplace service names rather than "Amazon Bedrock"
      (UNCONFIRMED, cris-facts §6.1), and whether those line items carry resource tags is UNCONFIRMED
      too; no filter is the only choice that cannot silently miss it. It also counts non-Bedrock
      spend. Amount: ``account_monthly_usd``; default: the sum of the application budgets.
    - Notifications: one per threshold (``GREATER_THAN``, ``PERCENTAGE``), each to the alert topic
      (SNS) and to every address in ``emails`` (at most 10). The topic's policy must let
      ``budgets.amazonaws.com`` publish (``AlertTopic.allow_budgets_publish()``).
    - Budget names end in a fingerprint of the notifications: CloudFormation replaces a budget when
      its notifications change, and a replacement under the same name fails. Amounts and filters
      are updated in place.

    ``include_account_budget=False`` leaves the account-wide budget out, for when applications'
    budgets are spread over several instances of this construct (create it in exactly one).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        name_prefix: str,
        applications: Sequence[BudgetedApplication],
        account_monthly_usd: float | None,
        thresholds: Sequence[tuple[Literal["actual", "forecasted"], float]],
        alert_topic: sns.ITopic,
        emails: Sequence[str],
        tag_key: str = APPLICATION_TAG_KEY,
        include_account_budget: bool = True,
    ) -> None:
        super().__init__(scope, id)
        problems = check_budget_settings(
            name_prefix=name_prefix,
            applications=applications,
            account_monthly_usd=account_monthly_usd,
            thresholds=thresholds,
            emails=emails,
            tag_key=tag_key,
        )
        if include_account_budget and account_monthly_usd is None and not applications:
            problems.append("budgets: no applications and no account_monthly_usd; give the account budget an amount")
        if problems:
            raise ValueError("\n".join(problems))

        subscribers = [budgets.CfnBudget.SubscriberProperty(subscription_type="SNS", address=alert_topic.topic_arn)]
        subscribers += [budgets.CfnBudget.SubscriberProperty(subscription_type="EMAIL", address=e) for e in emails]
        notifications = [
            budgets.CfnBudget.NotificationWithSubscribersProperty(
                notification=budgets.CfnBudget.NotificationProperty(
                    notification_type=kind.upper(),
                    comparison_operator="GREATER_THAN",
                    threshold=percent,
                    threshold_type="PERCENTAGE",
                ),
                subscribers=subscribers,
            )
            for kind, percent in thresholds
        ]
        # The topic is identified by its construct path (stable, and resolvable without synthesizing),
        # plus its ARN when that is a literal (an imported topic).
        topic_arn = alert_topic.topic_arn
        fingerprint = notifications_fingerprint(
            {
                "thresholds": [[kind, float(percent)] for kind, percent in thresholds],
                "emails": list(emails),
                "topic": _path_in_stage(alert_topic),
                "topic_arn": None if cdk.Token.is_unresolved(topic_arn) else topic_arn,
            }
        )

        self.application_budget_names: Mapping[str, str] = {
            app.name: application_budget_name(name_prefix, app.name, fingerprint) for app in applications
        }
        self.application_budgets: Mapping[str, budgets.CfnBudget] = {
            app.name: self._budget(
                app.name,
                name=self.application_budget_names[app.name],
                amount=app.monthly_usd,
                cost_filters=application_cost_filters(tag_key, app.name),
                notifications=notifications,
            )
            for app in applications
        }
        self.account_monthly_usd: float | None = None
        self.account_budget: budgets.CfnBudget | None = None
        self.account_budget_name: str | None = None
        if include_account_budget:
            self.account_monthly_usd = (
                account_monthly_usd if account_monthly_usd is not None else default_account_monthly_usd(applications)
            )
            self.account_budget_name = account_budget_name(name_prefix, fingerprint)
            self.account_budget = self._budget(
                "AllSpend",
                name=self.account_budget_name,
                amount=self.account_monthly_usd,
                cost_filters=None,
                notifications=notifications,
            )

    def _budget(
        self,
        id: str,
        *,
        name: str,
        amount: float,
        cost_filters: Mapping[str, list[str]] | None,
        notifications: Sequence[budgets.CfnBudget.NotificationWithSubscribersProperty],
    ) -> budgets.CfnBudget:
        return budgets.CfnBudget(
            self,
            id,
            budget=budgets.CfnBudget.BudgetDataProperty(
                budget_name=name,
                budget_type="COST",
                time_unit="MONTHLY",
                budget_limit=budgets.CfnBudget.SpendProperty(amount=amount, unit="USD"),
                cost_filters=dict(cost_filters) if cost_filters else None,
                cost_types=_COST_TYPES,
            ),
            notifications_with_subscribers=list(notifications),
        )


def _path_in_stage(construct: Construct) -> str:
    """The construct path below its Stage: the same whether the stack sits in the App (one account) or
    in an account's Stage, so moving a configuration under ``accounts:`` keeps every budget name."""
    stage = cdk.Stage.of(construct)
    prefix = stage.node.path if stage is not None else ""
    return construct.node.path[len(prefix) + 1:] if prefix else construct.node.path
