"""cris-guard's constructs: the public API of the construct library (``pip install cris-guard``).

Each construct governs one concern and can be used in any CDK app, without cris-guard's YAML:

- :class:`EuInvokeAccess` — an IAM role (and ``grant_invoke`` for principals you have) that may call only
  approved ``eu.`` inference profiles, with the foundation model fenced to exactly each profile's
  destination Regions and the residency denies in every policy. Build its ``profiles`` from the catalog
  with :func:`approved_profiles` (``load_catalog()`` is the shipped one).
- :class:`InvocationLogging` — Bedrock model-invocation logging to a KMS-encrypted, versioned, retained
  bucket in the stack's Region (a custom resource: CloudFormation has no type for it).
- :class:`BedrockDashboard` — a CloudWatch dashboard and alarms for :class:`MonitoredModel` entries.
- :class:`AuditTrail`, :class:`AuditAlarms`, :class:`AlertTopic`, :class:`BedrockBudgets`,
  :class:`ApplicationProfiles` — the trail, residency and tamper alarms, the alert topic, budgets and
  tagged application inference profiles.

Props and defaults are documented on each class; README "Use the constructs in your own CDK app" shows
them together.
"""

from cris_guard.catalog import Catalog, load_catalog
from cris_guard.constructs.alert_topic import AlertTopic
from cris_guard.constructs.application_profiles import ApplicationProfiles
from cris_guard.constructs.audit_alarms import AuditAlarms
from cris_guard.constructs.audit_trail import AuditTrail
from cris_guard.constructs.budgets import BedrockBudgets
from cris_guard.constructs.dashboard import BedrockDashboard, DashboardLimitError, MonitoredModel
from cris_guard.constructs.eu_invoke_access import EuInvokeAccess
from cris_guard.constructs.invocation_logging import InvocationLogging
from cris_guard.iam_policy import ApprovedProfile, GuardrailGrant, PolicyError, approved_profiles

__all__ = [
    "AlertTopic",
    "ApplicationProfiles",
    "ApprovedProfile",
    "AuditAlarms",
    "AuditTrail",
    "BedrockBudgets",
    "BedrockDashboard",
    "Catalog",
    "DashboardLimitError",
    "EuInvokeAccess",
    "GuardrailGrant",
    "InvocationLogging",
    "MonitoredModel",
    "PolicyError",
    "approved_profiles",
    "load_catalog",
]
