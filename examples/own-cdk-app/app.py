#!/usr/bin/env python3
"""An existing CDK app of a platform team that uses cris-guard's constructs, without cris-guard's YAML.

Its own stack already holds the team's alert topic; it adds governed Bedrock access for one workload
(``EuInvokeAccess``, with profiles and routes from cris-guard's shipped catalog), Bedrock model-invocation
logging (``InvocationLogging``) and a dashboard with alarms (``BedrockDashboard``). cdk-nag's AwsSolutions
and NIST 800-53 rev 5 packs check it, as cris-guard's own app does.

    pip install cris-guard            # from a wheel, or `pip install ../..` from this repository
    cdk synth --app "python app.py"   # or: CDK_OUTDIR=cdk.out python app.py
"""

# cris_guard first: importing it silences jsii's Node end-of-life banner before aws_cdk starts jsii.
from cris_guard.constructs import (  # isort: skip
    BedrockDashboard,
    EuInvokeAccess,
    InvocationLogging,
    MonitoredModel,
    approved_profiles,
    load_catalog,
)
from cris_guard.nag import register_nag_packs  # isort: skip

import aws_cdk as cdk
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct

REGION = "eu-central-1"
PROFILES = ["eu.anthropic.claude-sonnet-4-6", "eu.amazon.nova-2-lite-v1:0"]


class CopilotPlatformStack(cdk.Stack):
    """The team's existing stack; the three cris-guard constructs are added next to what it already has."""

    def __init__(self, scope: Construct, id: str, **kwargs) -> None:
        super().__init__(scope, id, **kwargs)
        # Already there before cris-guard: the team's encrypted alert topic.
        key = kms.Key(self, "AlertsKey", enable_key_rotation=True)
        alerts = sns.Topic(self, "Alerts", master_key=key, enforce_ssl=True)

        catalog = load_catalog()  # the shipped catalog; load_project_catalog() layers a project catalog over it
        self.access = EuInvokeAccess(
            self,
            "CopilotAccess",
            application="copilot",
            source_region=REGION,
            profiles=approved_profiles("copilot", PROFILES, catalog, REGION),
            trusted_services=["lambda.amazonaws.com"],
        )
        self.logging = InvocationLogging(self, "InvocationLogging", retention_days=365, alert_topic=alerts)
        self.dashboard = BedrockDashboard(
            self,
            "Dashboard",
            source_region=REGION,
            dashboard_name="copilot-bedrock-eu-central-1",
            models=[MonitoredModel(label=pid, model_id=pid) for pid in PROFILES],
            alert_topic=alerts,
        )
        cdk.CfnOutput(self, "CopilotRoleArn", value=self.access.role.role_arn)


app = cdk.App()
register_nag_packs(app)
CopilotPlatformStack(app, "copilot-platform", env=cdk.Environment(region=REGION))
app.synth()
