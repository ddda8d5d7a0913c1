"""Region data stays true to the installed cfn-lint's CloudFormation registry snapshot."""

from __future__ import annotations

import json
from pathlib import Path

import cfnlint
import pytest

from cris_guard.regions import CFN_TYPE_EU_REGIONS, EU_MEMBER_STATE_REGIONS, is_region_code

PROVIDERS = Path(cfnlint.__file__).parent / "data" / "schemas" / "providers"


@pytest.mark.parametrize("resource_type", sorted(CFN_TYPE_EU_REGIONS))
def test_cfn_type_availability_matches_installed_cfn_lint(resource_type):
    available = {
        region
        for region in EU_MEMBER_STATE_REGIONS
        if resource_type in json.loads((PROVIDERS / f"{region}.json").read_text())
    }
    assert available == CFN_TYPE_EU_REGIONS[resource_type]


def test_every_cfn_lint_commercial_region_is_known():
    """A Region that cfn-lint knows and we do not would be rejected as a typo."""
    region_files = {p.stem for p in PROVIDERS.glob("*-*-[0-9].json")}
    # GovCloud, ISO (us-iso*, eu-isoe-*), European Sovereign Cloud and China are other partitions.
    commercial = {n for n in region_files if not n.startswith(("us-gov", "us-iso", "eu-iso", "eusc", "cn-"))}
    assert "eu-central-1" in commercial  # the glob still finds the provider files
    assert {n for n in commercial if not is_region_code(n)} == set()
