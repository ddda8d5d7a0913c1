"""Region facts that cris-guard's validation depends on.

Kept as data in one place so that the catalog loader and the configuration model agree on what a
"real Region" and an "EU member-state Region" are.
"""

from __future__ import annotations

# The commercial AWS Regions physically in an EU member state: the "EU-6" destination set of
# cris-facts §1.3. Of the eu-* Regions in cfn-lint 1.58.0's provider schemas, the others are London,
# Zurich (below) and eu-isoe-west-1 (an isolated partition). AWS European Sovereign Cloud
# (eusc-de-east-1, partition aws-eusc) is out of scope.
EU_MEMBER_STATE_REGIONS: frozenset[str] = frozenset(
    {
        "eu-central-1",  # Frankfurt, Germany
        "eu-north-1",  # Stockholm, Sweden
        "eu-south-1",  # Milan, Italy
        "eu-south-2",  # Aragón, Spain
        "eu-west-1",  # Ireland
        "eu-west-3",  # Paris, France
    }
)

# European Regions outside the EU that `eu.` profiles know about. Called as a *source*, each adds
# itself to the destinations (cris-facts §1.3), so under `residency: eu` they are refused as sources.
NON_EU_REGIONS_SEEN_IN_EU_PROFILES: dict[str, str] = {
    "eu-west-2": "London, United Kingdom (not an EU member state)",
    "eu-central-2": "Zurich, Switzerland (not an EU member state)",
    "il-central-1": "Tel Aviv, Israel (not an EU member state)",
}

# Every public Region code of the commercial `aws` partition, as in cfn-lint 1.58.0's provider schemas
# (tests/test_regions.py checks that every such Region is here). Used only to tell a real Region code
# from a typo; a new Region needs a one-line edit.
COMMERCIAL_REGIONS: frozenset[str] = frozenset(
    {
        "af-south-1",
        "ap-east-1",
        "ap-east-2",
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-northeast-3",
        "ap-south-1",
        "ap-south-2",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-southeast-3",
        "ap-southeast-4",
        "ap-southeast-5",
        "ap-southeast-6",
        "ap-southeast-7",
        "ca-central-1",
        "ca-west-1",
        "eu-central-1",
        "eu-central-2",
        "eu-north-1",
        "eu-south-1",
        "eu-south-2",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "il-central-1",
        "me-central-1",
        "me-south-1",
        "mx-central-1",
        "sa-east-1",
        "us-east-1",
        "us-east-2",
        "us-west-1",
        "us-west-2",
    }
)

# Inference-profile ID prefixes of geographies other than the EU, plus `global.` (cris-facts §1.2).
# Used for explicit denies; `in.`, `amer.` and `sa.` are UNCONFIRMED prefixes, denied anyway because a
# deny on a prefix that does not exist costs nothing.
NON_EU_PROFILE_PREFIXES: tuple[str, ...] = (
    "global.",
    "us.",
    "us-gov.",
    "apac.",
    "jp.",
    "au.",
    "ca.",
    "in.",
    "amer.",
    "sa.",
)


def is_region_code(value: str) -> bool:
    """True when ``value`` is a known commercial Region code."""
    return value in COMMERCIAL_REGIONS


# CloudWatch Logs accepts only these retention periods (days); used to validate the config early.
LOG_GROUP_RETENTION_DAYS: tuple[int, ...] = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip

# EU member-state Regions whose CloudFormation registry has these resource types, read from the
# provider schemas bundled with cfn-lint 1.58.0 (src/cfnlint/data/schemas/providers/<region>.json) on
# 2026-11-22. tests/test_regions.py re-reads the installed cfn-lint, so a cfn-lint upgrade that
# changes availability fails loudly instead of silently. Budgets is a global service: the Region only
# decides which stack holds the budgets, never where data is processed.
CFN_TYPE_EU_REGIONS: dict[str, frozenset[str]] = {
    "AWS::Bedrock::ApplicationInferenceProfile": frozenset(
        {"eu-central-1", "eu-south-1", "eu-west-1", "eu-west-3"}
    ),
    "AWS::Budgets::Budget": frozenset({"eu-central-1", "eu-west-1", "eu-west-3"}),
}

# Where the account's budgets go when no source Region's registry has AWS::Budgets::Budget.
BUDGETS_FALLBACK_REGION = "eu-central-1"


def supports(resource_type: str, region: str) -> bool:
    """True when CloudFormation in ``region`` offers ``resource_type`` (see CFN_TYPE_EU_REGIONS)."""
    return region in CFN_TYPE_EU_REGIONS[resource_type]
