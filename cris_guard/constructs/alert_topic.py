"""The one alert topic per stack that every cris-guard alarm and budget notification goes to."""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subs
from constructs import Construct

from cris_guard.constructs import secure_defaults


class AlertTopic(Construct):
    """A KMS-encrypted, TLS-only SNS topic with e-mail subscriptions.

    Defaults: a new customer-managed KMS key (:func:`~cris_guard.constructs.secure_defaults.hardened_key`:
    yearly rotation, retained on stack deletion); CloudWatch alarms in this account may publish. The key is
    ``RetainExceptOnCreate``: it encrypts messages only while SNS holds them for delivery (SNS developer
    guide, "Encryption at rest": messages are encrypted when SNS receives them and decrypted when it
    delivers them; nothing of it is at rest elsewhere), so a first deploy that rolls back, before any alarm
    could fire, deletes it instead of leaving one key per retry (KMS keys cost money). Use :meth:`allow_budgets_publish` where AWS Budgets
    notifies the topic.
    """

    def __init__(self, scope: Construct, id: str, *, emails: Sequence[str], display_name: str) -> None:
        super().__init__(scope, id)
        self.key = secure_defaults.hardened_key(
            self,
            "Key",
            description=f"Encrypts the {display_name} alert topic",
            removal_policy=cdk.RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
        )
        self.topic = sns.Topic(
            self,
            "Resource",
            display_name=display_name,
            master_key=self.key,
            enforce_ssl=True,
        )
        # Alarms publish through the CloudWatch service principal, which needs the key as well as the topic
        # (SNS developer guide, "Enable compatibility between event sources from AWS services and encrypted
        # topics", sns-key-management.html); scoped to alarms of this account.
        self._allow_service_publish("cloudwatch.amazonaws.com", "CloudWatchAlarms")
        for email in emails:
            self.topic.add_subscription(subs.EmailSubscription(email))
        self._budgets_allowed = False

    def allow_budgets_publish(self) -> None:
        """Let AWS Budgets of this account publish to the topic (idempotent).

        Topic policy as in the Cost Management user guide, "Creating an Amazon SNS topic for budget
        notifications" (budgets-sns-policy.html). That Budgets also needs the key, like CloudWatch, is
        UNCONFIRMED (inferred from the SNS page cited in ``__init__``); granting it is harmless either way.
        """
        if self._budgets_allowed:
            return
        self._budgets_allowed = True
        stack = cdk.Stack.of(self)
        self._allow_service_publish(
            "budgets.amazonaws.com",
            "Budgets",
            topic_conditions={"ArnLike": {"aws:SourceArn": f"arn:{stack.partition}:budgets::{stack.account}:*"}},
        )

    def _allow_service_publish(
        self, service: str, name: str, *, topic_conditions: dict[str, dict[str, str]] | None = None
    ) -> None:
        """Let ``service``, acting for this account, use the key and publish to the topic."""
        this_account = {"StringEquals": {"aws:SourceAccount": cdk.Stack.of(self).account}}
        secure_defaults.allow_service_to_use_key(
            self.key,
            sid=f"Allow{name}ToUseTheKey",
            service=service,
            actions=["kms:Decrypt", "kms:GenerateDataKey*"],
            conditions=this_account,
        )
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid=f"Allow{name}FromThisAccount",
                principals=[iam.ServicePrincipal(service)],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions={**this_account, **(topic_conditions or {})},
            )
        )
