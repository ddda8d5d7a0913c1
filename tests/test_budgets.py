"""BedrockBudgets: exact budgets, filters, amounts, notifications and subscribers; the topic policy."""

from __future__ import annotations

import json
import os

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import aws_cdk as cdk  # noqa: E402
import pytest  # noqa: E402
from aws_cdk.assertions import Match, Template  # noqa: E402

from cris_guard.constructs.alert_topic import AlertTopic  # noqa: E402
from cris_guard.constructs.budgets import BedrockBudgets, BudgetedApplication  # noqa: E402
from cris_guard.nag import violations  # noqa: E402

ACCOUNT = "111122223333"
BUDGET_TYPE = "AWS::Budgets::Budget"
APPS = [
    BudgetedApplication("claims-assistant", 500),
    BudgetedApplication("contract-search", 250),
    BudgetedApplication("hr-bot", 99.5),
]
EMAILS = ["platform-team@example.com", "finops@example.com"]
THRESHOLDS = [("actual", 80), ("forecasted", 100)]
COST_TYPES = {
    "IncludeCredit": False,
    "IncludeDiscount": True,
    "IncludeOtherSubscription": True,
    "IncludeRecurring": True,
    "IncludeRefund": False,
    "IncludeSubscription": True,
    "IncludeSupport": True,
    "IncludeTax": True,
    "IncludeUpfront": True,
    "UseAmortized": False,
    "UseBlended": False,
}


def _budgets(stack: cdk.Stack, topic, **overrides) -> BedrockBudgets:
    args = dict(
        name_prefix="acme-genai",
        applications=APPS,
        account_monthly_usd=None,
        thresholds=THRESHOLDS,
        alert_topic=topic,
        emails=EMAILS,
    )
    args.update(overrides)
    return BedrockBudgets(stack, "Budgets", **args)


def _stack_with_topic(app: cdk.App, id: str) -> tuple[cdk.Stack, AlertTopic]:
    stack = cdk.Stack(app, id, env=cdk.Environment(account=ACCOUNT, region="eu-central-1"))
    alerts = AlertTopic(stack, "Alerts", emails=EMAILS, display_name="cris-guard acme-genai alerts")
    alerts.allow_budgets_publish()
    return stack, alerts


@pytest.fixture(scope="module")
def synthesized():
    app = cdk.App()
    default_stack, alerts = _stack_with_topic(app, "Default")
    default = _budgets(default_stack, alerts.topic)
    explicit_stack, explicit_alerts = _stack_with_topic(app, "Explicit")
    explicit = _budgets(explicit_stack, explicit_alerts.topic, account_monthly_usd=2000)
    split_stack, split_alerts = _stack_with_topic(app, "Split")
    _budgets(split_stack, split_alerts.topic, include_account_budget=False)
    nag = violations(app, default_stack)
    assembly = app.synth()
    return {
        "default": default,
        "explicit": explicit,
        "topic_logical_id": default_stack.get_logical_id(alerts.topic.node.default_child),
        "templates": {n: assembly.get_stack_by_name(n).template for n in ("Default", "Explicit", "Split")},
        "nag": nag,
    }


def _budget_resources(template: dict) -> dict[str, dict]:
    return {lid: r for lid, r in template["Resources"].items() if r["Type"] == BUDGET_TYPE}


def _notifications(topic_logical_id: str) -> list[dict]:
    subscribers = [{"SubscriptionType": "SNS", "Address": {"Ref": topic_logical_id}}] + [
        {"SubscriptionType": "EMAIL", "Address": e} for e in EMAILS
    ]
    return [
        {
            "Notification": {
                "NotificationType": "ACTUAL",
                "ComparisonOperator": "GREATER_THAN",
                "Threshold": 80,
                "ThresholdType": "PERCENTAGE",
            },
            "Subscribers": subscribers,
        },
        {
            "Notification": {
                "NotificationType": "FORECASTED",
                "ComparisonOperator": "GREATER_THAN",
                "Threshold": 100,
                "ThresholdType": "PERCENTAGE",
            },
            "Subscribers": subscribers,
        },
    ]


def test_exactly_one_budget_per_application_plus_one_for_the_account(synthesized):
    assert len(_budget_resources(synthesized["templates"]["Default"])) == len(APPS) + 1
    assert len(_budget_resources(synthesized["templates"]["Split"])) == len(APPS)
    resources = _budget_resources(synthesized["templates"]["Default"]).values()
    names = [r["Properties"]["Budget"]["BudgetName"] for r in resources]
    assert len(set(names)) == len(names)


def test_each_application_budget_filters_on_its_cost_allocation_tag(synthesized):
    template = Template.from_json(synthesized["templates"]["Default"])
    construct = synthesized["default"]
    for app in APPS:
        template.has_resource_properties(
            BUDGET_TYPE,
            {
                "Budget": {
                    "BudgetName": construct.application_budget_names[app.name],
                    "BudgetType": "COST",
                    "TimeUnit": "MONTHLY",
                    "BudgetLimit": {"Amount": app.monthly_usd, "Unit": "USD"},
                    "CostFilters": {"TagKeyValue": [f"user:cris-guard:application${app.name}"]},
                    "CostTypes": COST_TYPES,
                },
                "NotificationsWithSubscribers": _notifications(synthesized["topic_logical_id"]),
            },
        )


def test_budget_names_are_pinned():
    # A new name replaces the budget (and resets its alert state): change only on purpose.
    assert _names() == {
        "claims-assistant": "acme-genai-app-claims-assistant-44c96d40",
        "contract-search": "acme-genai-app-contract-search-44c96d40",
        "hr-bot": "acme-genai-app-hr-bot-44c96d40",
        "account": "acme-genai-all-spend-44c96d40",
    }


def test_the_account_budget_counts_all_spend_for_the_sum_of_application_budgets_by_default(synthesized):
    template = Template.from_json(synthesized["templates"]["Default"])
    template.has_resource_properties(
        BUDGET_TYPE,
        {
            "Budget": {
                "BudgetName": synthesized["default"].account_budget_name,
                "BudgetType": "COST",
                "TimeUnit": "MONTHLY",
                "BudgetLimit": {"Amount": 849.5, "Unit": "USD"},
                "CostFilters": Match.absent(),
                "FilterExpression": Match.absent(),
                "CostTypes": COST_TYPES,
            },
            "NotificationsWithSubscribers": _notifications(synthesized["topic_logical_id"]),
        },
    )
    assert synthesized["default"].account_monthly_usd == 849.5


def test_an_explicit_account_amount_wins(synthesized):
    account = synthesized["explicit"].account_budget
    template = synthesized["templates"]["Explicit"]
    logical_id = account.stack.get_logical_id(account)
    assert template["Resources"][logical_id]["Properties"]["Budget"]["BudgetLimit"] == {"Amount": 2000, "Unit": "USD"}


def test_the_topic_lets_budgets_of_this_account_publish(synthesized):
    template = Template.from_json(synthesized["templates"]["Default"])
    topic = {"Ref": synthesized["topic_logical_id"]}
    template.has_resource_properties(
        "AWS::SNS::TopicPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        {
                            "Sid": "AllowBudgetsFromThisAccount",
                            "Effect": "Allow",
                            "Principal": {"Service": "budgets.amazonaws.com"},
                            "Action": "sns:Publish",
                            "Resource": topic,
                            "Condition": {
                                "StringEquals": {"aws:SourceAccount": ACCOUNT},
                                "ArnLike": {
                                    "aws:SourceArn": {
                                        "Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, f":budgets::{ACCOUNT}:*"]]
                                    }
                                },
                            },
                        }
                    ]
                )
            },
            "Topics": [topic],
        },
    )
    # The topic is KMS-encrypted: Budgets must be able to use the key to publish.
    template.has_resource_properties(
        "AWS::KMS::Key",
        {
            "KeyPolicy": {
                "Statement": Match.array_with(
                    [
                        {
                            "Sid": "AllowBudgetsToUseTheKey",
                            "Effect": "Allow",
                            "Principal": {"Service": "budgets.amazonaws.com"},
                            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                            "Resource": "*",
                            "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
                        }
                    ]
                )
            }
        },
    )


def _names(**overrides) -> dict[str, str]:
    app = cdk.App()
    stack, alerts = _stack_with_topic(app, "S")
    construct = _budgets(stack, alerts.topic, **overrides)
    return {**construct.application_budget_names, "account": construct.account_budget_name}


def test_names_change_with_notifications_and_only_with_them():
    # CloudFormation replaces a budget whose notifications change; a replacement under the same
    # name fails ("the budget already exists"), so the name must change with them.
    base = _names()
    assert _names(emails=EMAILS[:1]) != base
    assert _names(thresholds=[("actual", 90), ("forecasted", 100)]) != base
    assert _names(account_monthly_usd=5000, applications=[BudgetedApplication(a.name, 1) for a in APPS]) == base


def test_fails_with_11_emails():
    app = cdk.App()
    stack, alerts = _stack_with_topic(app, "S")
    with pytest.raises(ValueError, match="alerts.emails: 11 addresses, but a budget notification takes at most 10"):
        _budgets(stack, alerts.topic, emails=[f"p{i}@example.com" for i in range(11)])


def test_fails_with_6_thresholds_or_a_bad_amount():
    app = cdk.App()
    stack, alerts = _stack_with_topic(app, "S")
    with pytest.raises(ValueError) as err:
        _budgets(
            stack,
            alerts.topic,
            thresholds=[("actual", p) for p in (50, 60, 70, 80, 90, 100)],
            applications=[BudgetedApplication("claims-assistant", -1)],
        )
    lines = str(err.value).splitlines()
    assert len(lines) == 2
    assert "at most 5 notifications" in lines[0]
    assert "'claims-assistant': monthly_budget_usd -1 must be a positive number" in lines[1]


def test_no_unacknowledged_cdk_nag_findings(synthesized):
    assert synthesized["nag"] == []


def test_cfn_lint_is_clean(synthesized):
    from cfnlint.api import lint

    for name, template in synthesized["templates"].items():
        assert lint(json.dumps(template), regions=["eu-central-1"]) == [], name
