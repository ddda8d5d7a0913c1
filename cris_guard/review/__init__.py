"""The review report a person reads in a pull request: ``cris-guard report``.

A template diff of thousands of lines of IAM JSON is not reviewable. This package reads what was
actually synthesized (a cloud assembly: ``manifest.json``, the templates, the stacks' metadata and
``validation-report.json``) next to the configuration and the profile catalog, and writes one
Markdown page: for every application and source Region the destination Regions its policies *really*
grant per approved profile (parsed from the model ARNs in the templates, then compared with the
catalog), the residency denies in every policy, policy sizes, audit and budget settings, every cdk-nag
acknowledgment and every checkov skip with its reason, the access scenarios' results and CloudFormation
limits. A Mermaid diagram per source Region draws source → approved profile → destination Regions from
the same parsed grants. A multi-account assembly (one CDK Stage per account, read by :mod:`cris_guard.assembly`) gets
one part per account; an SCP gets an "Organization guardrail" section; every stack is listed with its
stage, account and whether it could be a StackSet as it is.

The report is deterministic: nothing depends on the date (the catalog's age goes to stderr) or on
dict/set order, so two reports of the same templates are byte-identical and their diff is what a change
does to residency.

Every line marked ✘ is a failed check; any ✘, or any failing scenario, makes the command exit 1 so
that CI can gate on it. Sections are pure functions of parsed templates (:class:`AssemblyStack`)
and return :class:`Section` objects; :func:`main` is the thin CLI around them.

One module per section (:mod:`.catalog_section`, :mod:`.residency_map`, :mod:`.access`, :mod:`.audit`,
:mod:`.budgets`, :mod:`.nag`, :mod:`.scenarios_section`, :mod:`.limits`, :mod:`.organization`,
:mod:`.deployment`), their building blocks in :mod:`.model` and :mod:`.placeholders`, the whole report
in :mod:`.build` and the command in :mod:`.command`. Everything is re-exported here;
:mod:`cris_guard.report` is an alias of this package, kept for one release.

    cris-guard report [--config F] [--assembly cdk.out] [--scenarios DIR] [--out FILE]
"""

from __future__ import annotations

from cris_guard.assembly import read_assembly
from cris_guard.review.access import (
    INLINE_POLICY_MAX_CHARS,
    ROUTE_OK_TEXT,
    AccessReview,
    PolicyReview,
    RouteReview,
    access_section,
    review_access,
)
from cris_guard.review.audit import ACCOUNT_ALARMS, audit_section
from cris_guard.review.budgets import APPLICATION_COST_FILTER_PREFIX, budgets_section
from cris_guard.review.build import ScenarioRuns, build_report
from cris_guard.review.catalog_section import catalog_section
from cris_guard.review.checkov import CheckovSkip, checkov_section, checkov_skips
from cris_guard.review.command import (
    CATALOG_AGE_WARNING_DAYS,
    REPORT_FILE_NAME,
    catalog_age_warning,
    command,
    default_scenario_dir,
    main,
)
from cris_guard.review.deployment import deployment_section
from cris_guard.review.limits import limits_section
from cris_guard.review.model import FAIL, OK, WARN, Check, Found, ReviewReport, Section
from cris_guard.review.nag import Acknowledgment, acknowledgments, nag_section
from cris_guard.review.organization import ORGANIZATIONS_POLICY_TYPE, _is_guardrail_stack, _scp_size, organization_section
from cris_guard.review.placeholders import INFERENCE_ACTIONS
from cris_guard.review.residency_map import MERMAID_OUTSIDE_CLASS, residency_diagram, residency_map_section
from cris_guard.review.scenarios_section import MAX_FAILED_CALLS_SHOWN, ScenarioRun, run_scenarios, scenarios_section

# What `from cris_guard.review import *` gives, and so what the cris_guard.report alias holds.
__all__ = [
    "ACCOUNT_ALARMS", "APPLICATION_COST_FILTER_PREFIX", "CATALOG_AGE_WARNING_DAYS", "FAIL", "INFERENCE_ACTIONS",
    "INLINE_POLICY_MAX_CHARS", "MAX_FAILED_CALLS_SHOWN", "MERMAID_OUTSIDE_CLASS", "OK", "ORGANIZATIONS_POLICY_TYPE",
    "REPORT_FILE_NAME", "ROUTE_OK_TEXT", "WARN", "AccessReview", "Acknowledgment", "Check", "CheckovSkip", "Found",
    "PolicyReview", "ReviewReport", "RouteReview", "ScenarioRun", "ScenarioRuns", "Section", "_is_guardrail_stack",
    "_scp_size", "access_section", "acknowledgments", "audit_section", "budgets_section", "build_report",
    "catalog_age_warning", "catalog_section", "checkov_section", "checkov_skips", "command", "default_scenario_dir",
    "deployment_section", "limits_section", "main", "nag_section", "organization_section", "read_assembly",
    "residency_diagram", "residency_map_section", "review_access", "run_scenarios", "scenarios_section",
]
