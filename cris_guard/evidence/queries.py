"""The evidence questions as SQL, written once for Athena and run locally by DuckDB.

Why SQL next to :mod:`cris_guard.evidence.classify`: at organization scale the trail bucket holds terabytes
that should not leave S3, so the same questions run on Athena over a Glue table (the CDK app provisions it,
:class:`cris_guard.constructs.evidence_queries.EvidenceQueries`). The text here is the one source: the CDK
app stores it as Athena named queries, and ``cris-guard evidence --engine duckdb`` transpiles the very same
text with sqlglot (Athena/Trino to DuckDB) and runs it on an embedded DuckDB over the records the local
reader decoded. Tests run both engines on the same generated logs and require the same numbers as the
Python classifier, so the three cannot drift apart.

The table has the columns of AWS's CloudTrail table for Athena (Athena User Guide, "Create the table for
CloudTrail logs in Athena using partition projection"; ``../shared/reference/evidence-facts.md`` §4):
``additionaleventdata`` and ``requestparameters`` are JSON text, read with ``json_extract_scalar``. The
partition keys are ``account``, ``region`` and ``timestamp`` (the delivery day, ``yyyy/MM/dd``).

Every query takes four execution parameters (Athena's ``?``; ``aws athena start-query-execution
--execution-parameters``): the first and the last day of the window, ``YYYY-MM-DD``, then the same two
again. The first pair selects the partitions to scan (the last day's next day too, since CloudTrail names
files by delivery time), the second pair the records by ``eventtime``. Athena substitutes parameters before
planning, so the partition predicate is a constant that partition projection can prune on (UNCONFIRMED for
expressions over parameters; the cost figures in the README assume it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from cris_guard.evidence.classify import BEDROCK_EVENT_SOURCE, INFERENCE_EVENT_NAMES, REFUSAL_CODES
from cris_guard.regions import EU_MEMBER_STATE_REGIONS, NON_EU_PROFILE_PREFIXES

# The CloudTrail table's columns (AWS's DDL, the fields cris-guard and a person querying by hand use), in
# Glue's type syntax. ``useridentity`` keeps the struct members of AWS's DDL that identify the caller.
TABLE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("eventversion", "string"),
    ("useridentity", "struct<type:string,principalid:string,arn:string,accountid:string,invokedby:string,"
                     "accesskeyid:string,username:string>"),
    ("eventtime", "string"),
    ("eventsource", "string"),
    ("eventname", "string"),
    ("awsregion", "string"),
    ("sourceipaddress", "string"),
    ("useragent", "string"),
    ("errorcode", "string"),
    ("errormessage", "string"),
    ("requestparameters", "string"),
    ("responseelements", "string"),
    ("additionaleventdata", "string"),
    ("requestid", "string"),
    ("eventid", "string"),
    ("readonly", "string"),
    ("eventtype", "string"),
    ("apiversion", "string"),
    ("recipientaccountid", "string"),
    ("sharedeventid", "string"),
    ("vpcendpointid", "string"),
)
PARTITION_KEYS: tuple[tuple[str, str], ...] = (("account", "string"), ("region", "string"), ("timestamp", "string"))


@dataclass(frozen=True)
class Query:
    name: str
    description: str
    sql: str


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _in_list(values: Iterable[str]) -> str:
    return ", ".join(_quote(v) for v in sorted(values))


def _pairs(name: str, columns: tuple[str, str], rows: Iterable[tuple[str, str]]) -> str:
    """A two-column inline table; an empty one still has its columns (``VALUES`` cannot be empty)."""
    rows = sorted(set(rows))
    if not rows:
        return (f"{name}({columns[0]}, {columns[1]}) AS (SELECT CAST(NULL AS varchar), CAST(NULL AS varchar)"
                f" WHERE 1 = 0)")
    values = ", ".join(f"({_quote(a)}, {_quote(b)})" for a, b in rows)
    return f"{name}({columns[0]}, {columns[1]}) AS (SELECT * FROM (VALUES {values}) AS t({columns[0]}, {columns[1]}))"


def classified_sql(table: str, *, approved: Mapping[str, Iterable[str]] | None = None,
                   roles: Mapping[str, str] | None = None, application_profiles: Mapping[str, str] | None = None) -> str:
    """The common part: one row per distinct inference call in the window, with its verdict, as
    :func:`cris_guard.evidence.classify.classify` decides it (the same rules, in SQL).

    ``approved`` (application -> approved ``eu.`` profiles), ``roles`` (``<stack name>-<role logical ID>`` ->
    application) and ``application_profiles`` (application inference profile ID -> the profile it copies)
    are the configuration's, written into the query as inline tables."""
    eu = _in_list(EU_MEMBER_STATE_REGIONS)
    other = " OR ".join(f"pid LIKE {_quote(p + '%')}" for p in NON_EU_PROFILE_PREFIXES)
    approved_rows = [(a, p) for a, profiles in (approved or {}).items() for p in profiles]
    return f"""WITH
{_pairs("approved", ("application", "profile"), approved_rows)},
{_pairs("roles", ("role_name", "application"), [(r, a) for r, a in (roles or {}).items()])},
{_pairs("wrapped", ("profile_id", "copies"), (application_profiles or {}).items())},
calls AS (
  SELECT eventid, eventtime, eventname, recipientaccountid AS account, awsregion AS source_region,
    NULLIF(json_extract_scalar(additionaleventdata, '$.inferenceRegion'), '') AS recorded_region,
    COALESCE(json_extract_scalar(requestparameters, '$.modelId'), '') AS model_id,
    COALESCE(useridentity.arn, '') AS principal,
    COALESCE(errorcode, '') AS error_code,
    ROW_NUMBER() OVER (PARTITION BY eventid ORDER BY eventtime, requestid) AS copy
  FROM {table}
  WHERE "timestamp" BETWEEN date_format(date(?), '%Y/%m/%d') AND date_format(date_add('day', 1, date(?)), '%Y/%m/%d')
    AND substr(eventtime, 1, 10) BETWEEN ? AND ?
    AND eventsource = {_quote(BEDROCK_EVENT_SOURCE)}
    AND eventname IN ({_in_list(INFERENCE_EVENT_NAMES)})
),
named AS (
  SELECT *,
    COALESCE(recorded_region, source_region) AS inference_region,
    recorded_region IS NOT NULL AS region_recorded,
    CASE WHEN regexp_like(model_id, '^arn:[^:]+:bedrock:[^:]*:[0-9]*:inference-profile/.+$')
         THEN regexp_extract(model_id, '^arn:[^:]+:bedrock:[^:]*:[0-9]*:inference-profile/(.+)$', 1)
         ELSE model_id END AS pid,
    CASE WHEN regexp_like(principal, '^arn:[^:]+:sts::[0-9]{{12}}:assumed-role/[^/]+/')
         THEN regexp_extract(principal, '^arn:[^:]+:sts::[0-9]{{12}}:assumed-role/([^/]+)/', 1)
         WHEN strpos(principal, ':role/') > 0 THEN regexp_extract(principal, '([^/]*)$', 1)
         ELSE '' END AS role_name
  FROM calls
  WHERE copy = 1 OR eventid IS NULL OR eventid = ''  -- one eventID counts once
),
targets AS (
  SELECT n.*,
    CASE WHEN regexp_like(model_id, '^arn:[^:]+:bedrock:[^:]*:[0-9]*:application-inference-profile/[^/]+$')
           THEN 'application-profile'
         WHEN regexp_like(model_id, '^arn:[^:]+:bedrock:[^:]*::foundation-model/.+$') THEN 'model'
         WHEN pid LIKE 'eu.%' THEN 'eu-profile'
         WHEN pid LIKE 'global.%' THEN 'global-profile'
         WHEN {other} THEN 'other-geography'
         WHEN model_id = '' THEN 'unknown'
         ELSE 'model' END AS target,
    regexp_replace(role_name, '-[^-]*$', '') AS role_stem
  FROM named n
),
owners AS (
  SELECT s.role_stem, min(r.application) AS application
  FROM (SELECT DISTINCT role_stem FROM targets) s
  JOIN roles r ON length(s.role_stem) >= 20 AND substr(r.role_name, 1, length(s.role_stem)) = s.role_stem
  GROUP BY s.role_stem
),
resolved AS (
  SELECT t.*,
    CASE WHEN t.target = 'application-profile' THEN COALESCE(w.copies, '')
         WHEN t.target IN ('eu-profile', 'global-profile', 'other-geography') THEN t.pid
         ELSE '' END AS profile_id,
    COALESCE(o.application, '') AS application
  FROM targets t
  LEFT JOIN owners o ON o.role_stem = t.role_stem
  LEFT JOIN wrapped w
    ON w.profile_id = regexp_extract(t.model_id, '^arn:[^:]+:bedrock:[^:]*:[0-9]*:application-inference-profile/([^/]+)$', 1)
),
classified AS (
  SELECT r.eventid, r.eventtime, r.eventname, r.account, r.source_region, r.inference_region, r.region_recorded,
    r.model_id, r.target, r.profile_id, r.principal, r.application, r.error_code,
    CASE
      WHEN r.error_code IN ({_in_list(REFUSAL_CODES)}) THEN 'refused'
      WHEN r.inference_region NOT IN ({eu}) AND (r.region_recorded OR r.error_code = '') THEN 'violation'
      WHEN r.error_code <> '' THEN 'failed'
      WHEN r.target = 'application-profile' AND r.profile_id = '' THEN 'unresolved'
      WHEN r.target = 'application-profile' AND NOT (r.profile_id LIKE 'eu.%'
           OR regexp_like(r.profile_id, '^arn:[^:]+:bedrock:[^:]*:[0-9]*:inference-profile/eu[.]')) THEN 'policy-breach'
      WHEN r.target NOT IN ('application-profile', 'eu-profile') THEN 'policy-breach'
      WHEN r.application <> '' AND a.profile IS NULL THEN 'policy-breach'
      ELSE 'ok' END AS verdict
  FROM resolved r
  LEFT JOIN approved a ON a.application = r.application AND a.profile = r.profile_id
)
"""


_LISTED = ("SELECT eventid, eventtime, account, source_region, inference_region, model_id, profile_id, principal,"
           " application, error_code FROM classified WHERE verdict = '{verdict}' ORDER BY eventtime, eventid")

# name -> (description, the final SELECT over ``classified``)
QUESTIONS: dict[str, tuple[str, str]] = {
    "violations": ("Inference calls processed outside the EU member-state Regions",
                   _LISTED.format(verdict="violation")),
    "policy-breaches": ("Inference calls processed in the EU but not through a profile the configuration approves"
                        " for the caller", _LISTED.format(verdict="policy-breach")),
    "routing-by-day": ("Calls per processing Region per day (the routing picture): processed calls only",
                       "SELECT substr(eventtime, 1, 10) AS day, inference_region, count(*) AS calls FROM classified"
                       " WHERE verdict NOT IN ('refused', 'failed') GROUP BY 1, 2 ORDER BY 1, 2"),
    "usage-by-application": ("Processed calls per cris-guard application, profile and verdict",
                             "SELECT application, profile_id, verdict, count(*) AS calls FROM classified"
                             " WHERE verdict NOT IN ('refused', 'failed') GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"),
    "refused": ("Calls refused with an access error: the guard at work", _LISTED.format(verdict="refused")),
}
PARAMETERS_HELP = ("4 execution parameters: first day, last day, first day, last day (each 'YYYY-MM-DD', quoted),"
                   " e.g. --execution-parameters \"'2026-11-01'\" \"'2026-11-30'\" \"'2026-11-01'\" \"'2026-11-30'\"")


def athena_queries(table: str, **policy) -> list[Query]:
    """The named queries' text, in Athena's dialect (Trino)."""
    common = classified_sql(table, **policy)
    return [Query(name, f"{description}. {PARAMETERS_HELP}"[:1024], common + select + "\n")
            for name, (description, select) in QUESTIONS.items()]


def to_duckdb(athena_sql: str) -> str:
    """The same query in DuckDB's dialect (sqlglot: Athena's DML dialect is Trino's)."""
    import sqlglot

    return sqlglot.transpile(athena_sql, read="athena", write="duckdb")[0]


def parameters(first_day: str, last_day: str) -> list[str]:
    return [first_day, last_day, first_day, last_day]
