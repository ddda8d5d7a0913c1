"""Which profile each application inference profile of an account copies, read from the account.

CloudTrail names an application inference profile by its ARN only; whether a call through it stayed in an
approved ``eu.`` profile depends on what it copies. ``bedrock:ListInferenceProfiles`` (``typeEquals:
APPLICATION``) does not return the copied profile's ID, but it returns the foundation-model ARNs the profile
may route to (``models``): one Region for a copy of a model, every destination Region for a copy of a
cross-Region profile. So the copied profile is recognised by its routes: the ``eu.`` profile of the catalog
with that model whose destinations from the application profile's Region are exactly those Regions. Anything
else is named for what it is (a copy of a bare model, or of a profile that reaches Regions outside the EU
member states), which the verdicts judge as not approved; a copy the catalog cannot place stays unresolved.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from cris_guard.catalog import Catalog
from cris_guard.regions import EU_MEMBER_STATE_REGIONS


def wrapped_profile(profile_region: str, model_arns: Iterable[str], catalog: Catalog) -> str:
    """The profile (or model) an application inference profile in ``profile_region`` copies, from its
    ``models``; "" when it cannot be told."""
    arns = [a for a in model_arns if isinstance(a, str) and ":foundation-model/" in a]
    regions = {a.split(":")[3] for a in arns}
    models = {a.split(":foundation-model/", 1)[1] for a in arns}
    if len(models) != 1 or not regions:
        return ""
    (model,) = models
    if len(regions) == 1:
        return model  # a copy of the model itself, in one Region
    outside = sorted(regions - EU_MEMBER_STATE_REGIONS)
    if outside:
        return f"a cross-Region copy of {model} reaching {', '.join(outside)}"
    for pid in sorted(catalog.profiles):
        if pid.startswith("eu.") and pid.split(".", 1)[1] == model and set(catalog.destinations(pid, profile_region)) == regions:
            return pid
    return ""


def resolve_from_account(clients: Mapping[str, object], catalog: Catalog) -> dict[str, str]:
    """``{application profile ID: what it copies}`` for every application inference profile in each Region's
    Bedrock client (``ListInferenceProfiles``, every page); unresolvable profiles are left out."""
    resolved: dict[str, str] = {}
    for region, client in clients.items():
        kwargs = {"typeEquals": "APPLICATION"}
        while True:
            page = client.list_inference_profiles(**kwargs)
            for summary in page.get("inferenceProfileSummaries", []):
                copied = wrapped_profile(region, (m.get("modelArn", "") for m in summary.get("models", [])), catalog)
                if copied:
                    resolved[str(summary.get("inferenceProfileId"))] = copied
            if not page.get("nextToken"):
                break
            kwargs["nextToken"] = page["nextToken"]
    return resolved
