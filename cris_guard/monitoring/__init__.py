"""Observability for Amazon Bedrock, split the cdk-monitoring-constructs way (style.md):

- :mod:`~cris_guard.monitoring.metrics`  which metrics (``BedrockMetricFactory``)
- :mod:`~cris_guard.monitoring.widgets`  how they are shown, and the dashboard's size plan
- :mod:`~cris_guard.monitoring.alarms`   when to alarm (``BedrockAlarmFactory``)

The construct that puts them together is :class:`cris_guard.constructs.dashboard.BedrockDashboard`.
"""

from cris_guard.monitoring.alarms import BedrockAlarmFactory, BedrockAlarmThresholds
from cris_guard.monitoring.metrics import BedrockMetricFactory, ModelKind, classify_model_id, model_id_candidates
from cris_guard.monitoring.widgets import DashboardPlan, dashboard_widget_count, plan_dashboard

__all__ = [
    "BedrockAlarmFactory",
    "BedrockAlarmThresholds",
    "BedrockMetricFactory",
    "DashboardPlan",
    "ModelKind",
    "classify_model_id",
    "dashboard_widget_count",
    "model_id_candidates",
    "plan_dashboard",
]
