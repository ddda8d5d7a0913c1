"""Cost governance as plain data: application-profile names and tags, the profile quota, budget filters.

No CDK here. The constructs in :mod:`cris_guard.constructs.application_profiles` and
:mod:`cris_guard.constructs.budgets` turn these values into resources; the checks below run on plain
values so that a bad configuration fails before anything is synthesized, one line per problem.

Facts and their sources (re-check before relying on a detail; see also ``docs/cost.md``):

- ``AWS::Bedrock::ApplicationInferenceProfile`` limits come from the CloudFormation provider schema
  bundled with cfn-lint 1.58.0 (``providers/eu-central-1.json`` -> the ApplicationInferenceProfile
  schema): ``InferenceProfileName`` 1-64 of ``^([0-9a-zA-Z][ _-]?)+$``; ``Description`` 1-200 of
  ``^([0-9a-zA-Z:.][ _-]?)+$``; ``Tags`` at most 200, key 1-128 and value 0-256 of
  ``^[a-zA-Z0-9\\s._:/=+@-]*$``. ``InferenceProfileName``, ``Description`` and ``ModelSource`` are
  createOnly: changing any of them replaces the profile, and the replacement has a new ARN.
- ``AWS::Budgets::Budget``: ``Budget.BudgetName`` and ``NotificationsWithSubscribers`` are createOnly
  (same schema set). botocore ``budgets/2016-10-20``: a budget name is 1-100 characters without ``:``
  or ``\\`` or the substring ``/action/``; up to 5 notifications per budget (CreateBudget), each with
  1 SNS and up to 10 e-mail subscribers; use *either* FilterExpression+Metrics *or*
  CostFilters+CostTypes, never a mix; CostFilters/CostTypes are marked deprecated since 2025-04-18.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cris_guard.cris_checks import inference_profile_arn

# Tag keys cris-guard writes on every application profile. The application key doubles as the
# cost-allocation tag that each application's budget filters on.
APPLICATION_TAG_KEY = "cris-guard:application"
COST_CENTER_TAG_KEY = "cost-center"

# ---------------------------------------------------------------------------------------------------
# AWS::Bedrock::ApplicationInferenceProfile schema facts (cfn-lint 1.58.0 bundled provider schema)

PROFILE_NAME_MAX = 64
PROFILE_NAME_PATTERN = re.compile(r"^([0-9a-zA-Z][ _-]?)+$")
PROFILE_DESCRIPTION_MAX = 200
PROFILE_DESCRIPTION_PATTERN = re.compile(r"^([0-9a-zA-Z:.][ _-]?)+$")
MAX_TAGS_PER_PROFILE = 200
TAG_KEY_MAX = 128
TAG_VALUE_MAX = 256
# re.ASCII: the schema's classes are ASCII; do not let Python's Unicode \s admit exotic spaces.
TAG_PATTERN = re.compile(r"^[a-zA-Z0-9\s._:/=+@-]*$", re.ASCII)
_TAG_CHAR = re.compile(r"[a-zA-Z0-9\s._:/=+@-]", re.ASCII)
TAG_CHARSET_HINT = "use letters, digits, spaces and . _ : / = + @ -"

_SEPARATORS = " _-"
# Version of the naming scheme, part of every hash. Changing a name replaces the profile and gives it
# a new ARN that every client must switch to: never change this without a migration note.
_NAMING_SCHEME = "cris-guard-application-profile-v1"
_HASH_CHARS = 8


# ---------------------------------------------------------------------------------------------------
# Application inference profiles: names, descriptions, model source


@dataclass(frozen=True)
class PlannedApplicationProfile:
    """What cris-guard will create for one (application, source Region, system profile).

    ``name``, ``description`` and the model source are createOnly in CloudFormation, so all three are
    functions of the same four inputs and nothing else: a change to any of them changes the name too,
    which lets CloudFormation create the replacement before it deletes the old profile.
    """

    config_name: str
    application: str
    source_region: str
    system_profile_id: str
    name: str
    description: str

    def copy_from(self, *, partition: str, account: str) -> str:
        """``ModelSource.CopyFrom``: the system profile's ARN in the source Region (cris-facts §6.3)."""
        return inference_profile_arn(
            partition=partition, region=self.source_region, account=account, profile_id=self.system_profile_id
        )


def _digest(*parts: str) -> str:
    # \x1f cannot appear in any input (config names, Region codes and profile IDs are validated), so
    # distinct input tuples hash distinct strings.
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:_HASH_CHARS]


def _fit(text: str, word_chars: str) -> str:
    """Rewrite ``text`` to match ``^([<alnum><word_chars>][ _-]?)+$``.

    Other characters become ``-``; runs of separators collapse to their first; separators at either
    end are dropped. May return ``""`` when ``text`` has no word character at all.
    """
    out: list[str] = []
    for ch in text:
        if ch.isascii() and (ch.isalnum() or ch in word_chars):
            out.append(ch)
            continue
        sep = ch if ch in _SEPARATORS else "-"
        if out and out[-1] not in _SEPARATORS:
            out.append(sep)
    while out and out[-1] in _SEPARATORS:
        out.pop()
    return "".join(out)


def application_profile_name(config_name: str, application: str, source_region: str, system_profile_id: str) -> str:
    """A stable, schema-valid ``InferenceProfileName`` that depends only on its four inputs.

    Shape: ``<config>-<application>-<model>-<hash>``, where ``<model>`` is the profile ID without its
    geography and provider (``eu.anthropic.``) and with other punctuation turned into ``-``. When that
    does not fit 64 characters the configuration name is left out, then the model is cut. The 8-hex
    hash covers all four inputs exactly, so two different inputs never share a name even when the
    readable part is cut or punctuation maps two profile IDs to the same text; the Region is in the
    hash (and in the ARN).
    """
    parts = system_profile_id.split(".", 2)
    model = parts[2] if len(parts) == 3 else system_profile_id
    digest = _digest(_NAMING_SCHEME, config_name, application, source_region, system_profile_id)
    room = PROFILE_NAME_MAX - _HASH_CHARS - 1
    readable = _fit(f"{config_name}-{application}-{model}", "")
    if len(readable) > room:
        readable = _fit(_fit(f"{application}-{model}", "")[:room], "")
    return f"{readable}-{digest}" if readable else digest


def application_profile_description(
    config_name: str, application: str, source_region: str, system_profile_id: str
) -> str:
    """A stable, schema-valid ``Description`` (no commas, slashes or brackets) from the same four inputs."""
    text = _fit(
        f"cris-guard {config_name} application {application} in {source_region} copying {system_profile_id}",
        ":.",
    )
    if len(text) > PROFILE_DESCRIPTION_MAX:
        digest = _digest(_NAMING_SCHEME, config_name, application, source_region, system_profile_id)
        text = _fit(text[: PROFILE_DESCRIPTION_MAX - _HASH_CHARS - 1], ":.") + " " + digest
    return text


def plan_application_profiles(
    config_name: str, application: str, source_region: str, system_profile_ids: Iterable[str]
) -> list[PlannedApplicationProfile]:
    return [
        PlannedApplicationProfile(
            config_name=config_name,
            application=application,
            source_region=source_region,
            system_profile_id=pid,
            name=application_profile_name(config_name, application, source_region, pid),
            description=application_profile_description(config_name, application, source_region, pid),
        )
        for pid in system_profile_ids
    ]


def check_planned_profile(plan: PlannedApplicationProfile) -> list[str]:
    """Schema checks of a planned name and description (they hold by construction; this guards edits)."""
    where = f"application {plan.application!r}, profile {plan.system_profile_id!r} in {plan.source_region}"
    problems = []
    if not (1 <= len(plan.name) <= PROFILE_NAME_MAX) or not PROFILE_NAME_PATTERN.match(plan.name):
        problems.append(
            f"{where}: generated InferenceProfileName {plan.name!r} does not fit the CloudFormation schema"
            f" (1-{PROFILE_NAME_MAX} of letters and digits, single ' ', '_' or '-' between); rename the"
            " application or the configuration"
        )
    if not (1 <= len(plan.description) <= PROFILE_DESCRIPTION_MAX) or not PROFILE_DESCRIPTION_PATTERN.match(
        plan.description
    ):
        problems.append(
            f"{where}: generated Description {plan.description!r} does not fit the CloudFormation schema"
            f" (1-{PROFILE_DESCRIPTION_MAX} of letters, digits, ':' and '.', single ' ', '_' or '-' between);"
            " rename the application or the configuration"
        )
    return problems


# ---------------------------------------------------------------------------------------------------
# Tags


def application_profile_tags(
    *,
    application: str,
    cost_center: str | None,
    tags: Mapping[str, str],
    tag_key: str = APPLICATION_TAG_KEY,
    cost_center_tag_key: str = COST_CENTER_TAG_KEY,
) -> dict[str, str]:
    """The tags cris-guard puts on an application's profiles: the user's, then its own (which win)."""
    merged = dict(tags)
    merged[tag_key] = application
    if cost_center is not None:
        merged[cost_center_tag_key] = cost_center
    return merged


def repeated(values: Iterable[str]) -> list[str]:
    """The values that occur more than once, sorted, each once."""
    values = list(values)
    return sorted({v for v in values if values.count(v) > 1})


def _bad_char(text: str) -> str | None:
    for ch in text:
        if not _TAG_CHAR.match(ch):
            return ch
    return None


def check_tag(application: str, key: str, value: str) -> list[str]:
    """Problems with one tag against the ApplicationInferenceProfile schema, and the ``aws:`` prefix rule.

    The schema's pattern admits ``aws:``; AWS reserves that prefix for its own tags (EC2 user guide,
    Using_Tags.html#tag-restrictions, and the same rule in other services' tag documentation).
    """
    where = f"application {application!r}: tag {key!r}"
    problems = []
    if not (1 <= len(key) <= TAG_KEY_MAX):
        problems.append(f"{where}: the key has {len(key)} characters; use 1-{TAG_KEY_MAX}")
    bad = _bad_char(key)
    if bad is not None:
        problems.append(f"{where}: the key contains {bad!r}, which the tag schema does not allow; {TAG_CHARSET_HINT}")
    if key.lower().startswith("aws:"):
        problems.append(f"{where}: keys starting with 'aws:' are reserved by AWS; choose another key")
    if len(value) > TAG_VALUE_MAX:
        problems.append(f"{where}: the value has {len(value)} characters; use at most {TAG_VALUE_MAX}")
    bad = _bad_char(value)
    if bad is not None:
        problems.append(
            f"{where}: value {value!r} contains {bad!r}, which the tag schema does not allow; {TAG_CHARSET_HINT}"
        )
    return problems


def check_application_profile_tags(
    application: str,
    tags: Mapping[str, str],
    *,
    cost_center: str | None,
    tag_key: str = APPLICATION_TAG_KEY,
    cost_center_tag_key: str = COST_CENTER_TAG_KEY,
    inherited_tags: Mapping[str, str] | None = None,
) -> list[str]:
    """Every problem with the tags an application's profiles would carry; ``[]`` when they are valid.

    ``tags`` are the application's own; ``inherited_tags`` are those applied from outside (for example
    ``cdk.Tags.of(app)`` with the configuration-wide tags) and count against the same 200-tag limit.
    """
    problems: list[str] = []
    inherited = dict(inherited_tags or {})
    for source, given in (("tags", tags), ("configuration-wide tags", inherited)):
        if tag_key in given and given[tag_key] != application:
            problems.append(
                f"application {application!r}: {source} set {tag_key!r} to {given[tag_key]!r}, but cris-guard"
                f" reserves that key for the application name (its budget filters on it); remove it"
            )
        if cost_center is not None and cost_center_tag_key in given and given[cost_center_tag_key] != cost_center:
            problems.append(
                f"application {application!r}: {source} set {cost_center_tag_key!r} to"
                f" {given[cost_center_tag_key]!r}, but cost_center is {cost_center!r}; keep one of the two"
            )
    final = {
        **inherited,
        **application_profile_tags(
            application=application,
            cost_center=cost_center,
            tags=tags,
            tag_key=tag_key,
            cost_center_tag_key=cost_center_tag_key,
        ),
    }
    for key, value in final.items():
        problems.extend(check_tag(application, key, value))
    if len(final) > MAX_TAGS_PER_PROFILE:
        problems.append(
            f"application {application!r}: its profiles would carry {len(final)} tags (its own, cris-guard's"
            f" and the configuration-wide ones); an application inference profile takes at most"
            f" {MAX_TAGS_PER_PROFILE}; remove {len(final) - MAX_TAGS_PER_PROFILE}"
        )
    return problems


# ---------------------------------------------------------------------------------------------------
# The application-profile quota


@dataclass(frozen=True)
class ServiceQuota:
    service_code: str
    quota_code: str
    name: str
    default_value: int
    adjustable: bool
    scope: str
    source: str
    looked_up: str
    notes: str = ""


# Looked up 2026-11-22 (stored copies, no live account):
# - AWS General Reference, "Amazon Bedrock endpoints and quotas",
#   https://docs.aws.amazon.com/general/latest/gr/bedrock.html#limits_bedrock — row "Inference profiles
#   per account": "Each supported Region: 1,000", Adjustable: Yes, console link .../bedrock/quotas/L-40EC9882,
#   "The maximum number of inference profiles in an account." (read from a June 2025 copy of that table).
# - Two independent quota-audit tools use code L-40EC9882 "Inference profiles per account" (one of
#   them counts only APPLICATION profiles against it); one practitioner note says 1,000 / L-40EC9882
#   was "verified live 2026-07-08".
# - UNCONFIRMED: one Bedrock sample's README calls it "Application inference profiles per account" with
#   a default of 2,000. Whether system-defined profiles count is UNCONFIRMED (the account does not
#   create them). We keep 1,000, the lower value.
APPLICATION_PROFILE_QUOTA = ServiceQuota(
    service_code="bedrock",
    quota_code="L-40EC9882",
    name="Inference profiles per account",
    default_value=1000,
    adjustable=True,
    scope="per account, per Region",
    source="https://docs.aws.amazon.com/general/latest/gr/bedrock.html#limits_bedrock",
    looked_up="2026-11-22",
    notes=(
        "Default 1,000 per Region (a 2,000 default is claimed by one AWS sample: UNCONFIRMED). Profiles"
        " created outside cris-guard in the same account and Region count too."
    ),
)

QUOTA_CONFIG_KEY = "cost.application_profile_quota"


def application_profile_counts(
    source_regions: Sequence[str], profiles_per_application: Mapping[str, Sequence[str]]
) -> dict[str, int]:
    """How many application profiles cris-guard creates in each source Region.

    One per (application, approved profile) in every source Region: the configuration check already
    refuses a profile without a route from one of the source Regions.
    """
    total = sum(len(set(pids)) for pids in profiles_per_application.values())
    return {region: total for region in source_regions}


def check_application_profile_quota(
    per_region_counts: Mapping[str, int], quota: int | Mapping[str, int] = APPLICATION_PROFILE_QUOTA.default_value
) -> list[str]:
    """One problem line per Region whose planned application-profile count exceeds the quota.

    ``quota`` is one value for every Region or a per-Region mapping (Regions it does not name use the
    AWS default). Set it to the *approved* value in Service Quotas, minus the profiles other tools
    already created in that account and Region.
    """
    q = APPLICATION_PROFILE_QUOTA
    problems = []
    for region in sorted(per_region_counts):
        count = per_region_counts[region]
        limit = quota.get(region, q.default_value) if isinstance(quota, Mapping) else quota
        if count > limit:
            problems.append(
                f"{region}: {count:,} application inference profiles planned, above the quota of {limit:,}"
                f" (Service Quotas '{q.name}', code {q.quota_code}, {q.scope}); request an increase with"
                f" `aws service-quotas request-service-quota-increase --service-code {q.service_code}"
                f" --quota-code {q.quota_code} --desired-value {count} --region {region}` and, once it is"
                f" approved, set {QUOTA_CONFIG_KEY}: {count} (or remove profiles or applications)"
            )
    return problems


# ---------------------------------------------------------------------------------------------------
# Budgets

MAX_NOTIFICATIONS_PER_BUDGET = 5  # botocore budgets CreateBudget: "up to five notifications"
MAX_EMAIL_SUBSCRIBERS = 10  # per notification, plus 1 SNS subscriber (botocore Notification doc)
MIN_THRESHOLD_PERCENT = 0.1  # CloudFormation schema minimum for Notification.Threshold
MAX_THRESHOLD_PERCENT = 1_000_000  # botocore: "The maximum limit for your threshold is 1,000,000%"
BUDGET_NAME_MAX = 100
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")

# Gross consumption, not net payment: credits and refunds would hide usage until they run out, so
# they are excluded; Marketplace (third-party model) charges are "other subscriptions" and included.
# The field names are CloudFormation's (CostTypes); see docs/cost.md "What the budgets count".
BUDGET_COST_TYPES: dict[str, bool] = {
    "IncludeTax": True,
    "IncludeSubscription": True,
    "IncludeOtherSubscription": True,
    "IncludeRecurring": True,
    "IncludeUpfront": True,
    "IncludeSupport": True,
    "IncludeDiscount": True,
    "IncludeCredit": False,
    "IncludeRefund": False,
    "UseBlended": False,
    "UseAmortized": False,
}


@dataclass(frozen=True)
class BudgetedApplication:
    name: str
    monthly_usd: float


def application_cost_filters(tag_key: str, application: str) -> dict[str, list[str]]:
    """Legacy ``CostFilters`` for one application: its cost-allocation tag, ``user:<key>$<value>``.

    Why CostFilters (deprecated since 2025-04-18 in botocore) rather than FilterExpression: this tag
    syntax is documented by an AWS example (aws-cli ``examples/budgets/create-budget.rst``), while
    whether FilterExpression's ``Tags.Key`` takes the ``user:`` prefix is UNCONFIRMED — and a wrong key
    would not fail, it would silently match nothing. Move to FilterExpression+Metrics here, in one
    place, once that format is confirmed.
    """
    return {"TagKeyValue": [f"user:{tag_key}${application}"]}


def notifications_fingerprint(notifications: Any) -> str:
    """8 hex characters identifying a budget's notifications and subscribers.

    CloudFormation replaces a budget when ``NotificationsWithSubscribers`` changes, and a replacement
    that keeps the same ``BudgetName`` fails with "the budget already exists"
    (aws-cloudformation/cloudformation-coverage-roadmap#365). Putting this fingerprint in the name
    makes every such replacement a new name.
    """
    return hashlib.sha256(json.dumps(notifications, sort_keys=True, default=str).encode()).hexdigest()[:8]


def application_budget_name(name_prefix: str, application: str, fingerprint: str) -> str:
    return f"{name_prefix}-app-{application}-{fingerprint}"


def account_budget_name(name_prefix: str, fingerprint: str) -> str:
    return f"{name_prefix}-all-spend-{fingerprint}"


def check_budget_name(name: str) -> list[str]:
    problems = []
    if not (1 <= len(name) <= BUDGET_NAME_MAX):
        problems.append(f"budget name {name!r} has {len(name)} characters; AWS Budgets takes 1-{BUDGET_NAME_MAX}")
    if ":" in name or "\\" in name or "/action/" in name:
        problems.append(f"budget name {name!r} contains ':', '\\' or '/action/', which AWS Budgets rejects")
    return problems


def check_budget_settings(
    *,
    name_prefix: str,
    applications: Sequence[BudgetedApplication],
    account_monthly_usd: float | None,
    thresholds: Sequence[tuple[str, float]],
    emails: Sequence[str],
    tag_key: str = APPLICATION_TAG_KEY,
) -> list[str]:
    """Every problem with the budgets' inputs; ``[]`` when CreateBudget would accept them."""
    problems: list[str] = []
    if not thresholds:
        problems.append("budgets.thresholds: give at least one threshold, e.g. {type: actual, percent: 80}")
    if len(thresholds) > MAX_NOTIFICATIONS_PER_BUDGET:
        problems.append(
            f"budgets.thresholds: {len(thresholds)} thresholds, but a budget takes at most"
            f" {MAX_NOTIFICATIONS_PER_BUDGET} notifications; remove {len(thresholds) - MAX_NOTIFICATIONS_PER_BUDGET}"
        )
    seen_thresholds: set[tuple[str, float]] = set()
    for kind, percent in thresholds:
        if kind not in ("actual", "forecasted"):
            problems.append(f"budgets.thresholds: type {kind!r} is not allowed; use 'actual' or 'forecasted'")
        if not (isinstance(percent, (int, float)) and math.isfinite(percent)) or not (
            MIN_THRESHOLD_PERCENT <= percent <= MAX_THRESHOLD_PERCENT
        ):
            problems.append(
                f"budgets.thresholds: {kind} {percent!r} % is out of range; use"
                f" {MIN_THRESHOLD_PERCENT}-{MAX_THRESHOLD_PERCENT:,} percent"
            )
        if (kind, percent) in seen_thresholds:
            problems.append(f"budgets.thresholds: {kind} {percent} % is listed twice; list each threshold once")
        seen_thresholds.add((kind, percent))
    if len(emails) > MAX_EMAIL_SUBSCRIBERS:
        problems.append(
            f"alerts.emails: {len(emails)} addresses, but a budget notification takes at most"
            f" {MAX_EMAIL_SUBSCRIBERS} e-mail subscribers (plus the alert topic); keep {MAX_EMAIL_SUBSCRIBERS}"
            " or fewer and subscribe the rest to a mailing list"
        )
    seen_emails: set[str] = set()
    for email in emails:
        if not _EMAIL.match(email):
            problems.append(f"alerts.emails: {email!r} is not an e-mail address; use e.g. platform-team@example.com")
        if email.lower() in seen_emails:
            problems.append(f"alerts.emails: {email!r} is listed twice; list each address once")
        seen_emails.add(email.lower())
    for name in repeated(a.name for a in applications):
        problems.append(f"applications: {name!r} has two budgets; give each application one entry")
    for app in applications:
        amount = app.monthly_usd
        if not (isinstance(amount, (int, float)) and math.isfinite(amount) and amount > 0):
            problems.append(f"application {app.name!r}: monthly_budget_usd {amount!r} must be a positive number")
        problems.extend(check_tag(app.name, tag_key, app.name))
        problems.extend(check_budget_name(application_budget_name(name_prefix, app.name, "0" * 8)))
    if account_monthly_usd is not None and not (
        isinstance(account_monthly_usd, (int, float)) and math.isfinite(account_monthly_usd) and account_monthly_usd > 0
    ):
        problems.append(f"budgets.account_monthly_usd: {account_monthly_usd!r} must be a positive number")
    problems.extend(check_budget_name(account_budget_name(name_prefix, "0" * 8)))
    return problems


def default_account_monthly_usd(applications: Sequence[BudgetedApplication]) -> float:
    """The account-wide budget when none is configured: the sum of the application budgets."""
    return round(sum(a.monthly_usd for a in applications), 2)


# ---------------------------------------------------------------------------------------------------
# The whole configuration at once
