"""The IAM policy an application gets for calling approved EU inference profiles from one source Region.

Pure logic, no CDK: :func:`plan_policies` turns (application, approved profiles, source Region) into
managed-policy documents that fit IAM's limits, and :func:`policy_size` counts a document the way IAM
does. :class:`cris_guard.constructs.eu_invoke_access.EuInvokeAccess` turns the documents into
resources. The shape follows AWS's documented geographic-CRIS pattern (cris-facts §2.3):

* ``AllowInferenceProfiles`` — ``bedrock:InvokeModel``, ``bedrock:InvokeModelWithResponseStream``
  (these also authorize Converse/ConverseStream, §2.1) and ``bedrock:GetInferenceProfile`` on each
  approved system profile in the source Region. No ``bedrock:InferenceProfileArn`` condition: Bedrock
  does not set that key when it authorizes the profile itself (§2.3), so a condition would deny.
* ``AllowApplicationInferenceProfiles`` — the same actions on the application's own application
  inference profiles, when it has any (issue 5).
* ``AllowModelsThroughProfiles<n>`` — the two invoke actions on
  ``arn:<partition>:bedrock:<r>::foundation-model/<model>`` for exactly the destination Regions the
  catalog lists for (profile, source Region), with ``StringEquals bedrock:InferenceProfileArn`` =
  the approved profile ARN(s). Profiles whose destination sets are equal share one statement; profiles
  whose sets differ never do, so no model ARN is fenced by a profile that cannot route there.
* ``AllowGuardrails`` — ``bedrock:ApplyGuardrail`` on exactly the application's configured guardrail
  ARNs (``arn:<partition>:bedrock:<region>:<account>:guardrail/<id>``, no version: AWS's "Set up
  permissions to use guardrails" and the ``GuardrailSummary.arn`` pattern) whose Region is this
  source Region, only when there are any, and organization-enforced guardrails of this Region (another
  account's ARN). A Converse/InvokeModel request naming a guardrail needs it. A guardrail that uses a
  cross-Region **guardrail profile** (``eu.guardrail.v1:0``) also needs ``bedrock:ApplyGuardrail`` on
  ``arn:<partition>:bedrock:<r>:<account>:guardrail-profile/<id>`` for exactly the profile's destination
  Regions from the source Region, the source among them (Bedrock User Guide,
  guardrail-profiles-permissions.html; the catalog's ``guardrail_profiles`` hold the routes). For an
  enforced guardrail of another account, the profile ARNs carry the guardrail owner's account (the owner's
  profile in each destination Region: guardrails-resource-based-policies.html).
* ``AllowResponsesProject`` (only with ``responses_api``) — the Responses API on bedrock-runtime:
  ``bedrock:InvokeModel`` on the account's default project in the source Region (a stored response
  authorizes the project as well as the inference target), and ``bedrock:GetInvoke``,
  ``bedrock:CancelInvoke``, ``bedrock:DeleteInvoke`` on it for stored responses (Bedrock User Guide,
  inference-responses-api.html and inference-prereq.html). The project ARN
  ``arn:<partition>:bedrock:<region>:<account>:project/default`` follows the API reference's
  ProjectSummary pattern and the documented ID ``default``; AWS prints no literal example (UNCONFIRMED).
  The inference target is still one of the approved profiles, under every deny below.
* Four explicit denies, present in *every* policy (see "Why the denies are repeated"):
  ``DenyGlobalCrossRegionInference``, ``DenyNonEuInferenceProfiles``,
  ``DenyFoundationModelsWithoutProfile`` and ``DenyOutsideEuMemberStateRegions``; plus
  ``DenyInferenceProfilesCalledDirectly`` when the application must use application profiles.

What the denies cover, exactly. They bind every principal that carries one of these policies (the
application's role, and whatever :meth:`EuInvokeAccess.grant_invoke` attaches them to), whatever
else that principal is granted:

* ``bedrock:InvokeModel*`` in all of them: InvokeModel, InvokeModelWithResponseStream (and so
  Converse/ConverseStream), InvokeModelWithBidirectionalStream, and StartAsyncInvoke (authorized by
  ``bedrock:InvokeModel``). Async invocation of an *approved* ``eu.`` profile stays allowed: it is
  authorized and routed like the synchronous call (docs/iam.md, "Asynchronous invocation").
* ``bedrock:CreateModelInvocationJob`` (batch inference) and ``bedrock:CreateEvaluationJob`` in the
  two denies keyed on ``aws:RequestedRegion`` only: a job requested on the Region-less model ARN
  (``unspecified``) or in a Region outside the EU member states is refused. Not in the profile-prefix
  deny (the Service Authorization Reference lists no ``inference-profile`` resource for them) nor in
  the direct-model deny (they carry no ``bedrock:InferenceProfileArn``, so it would refuse every job).
* ``bedrock-mantle:CreateInference`` in the Region deny only (its resource is a mantle project).

What they cannot cover: inference that runs under *another* principal — batch and evaluation jobs
(their service role performs the invocations), agents, flows, knowledge bases, prompt optimization,
data automation — and anything granted to principals that do not carry these policies. Whether a
batch or evaluation job naming a ``global.`` profile is authorized against anything these denies
match is UNCONFIRMED. The organisation-wide guarantee is an SCP (cris-facts §2.5; docs/iam.md
"What the denies do not cover"), which binds service roles too. Identity-policy denies are a second
line, not a substitute.

Placeholders. Documents are built with ``${AWS::Partition}`` and ``${AWS::AccountId}`` (and, for
application profiles whose ARNs are CloudFormation tokens, ``${ApplicationProfileArn:<profile id>}``).
The construct substitutes CDK tokens for them; :func:`policy_size` counts each at its *worst-case
resolved length*, so a document that fits here fits in every partition and account.

Why the denies are repeated in every policy rather than kept in one dedicated policy: each managed
policy is then self-contained. No order of CloudFormation create/update/delete operations (including
a rollback), no manual detachment of "the deny policy", and no reuse of one policy elsewhere can leave
an Allow without its fences. The price is about 1,500 characters per policy, which the scale benchmark
(bench/scale.py) shows is affordable.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from cris_guard import cris_checks
from cris_guard.catalog import Catalog
from cris_guard.cris_checks import INFERENCE_PROFILE_ARN_KEY, REQUESTED_REGION_KEY, UNSPECIFIED_REGION
from cris_guard.regions import EU_MEMBER_STATE_REGIONS, NON_EU_PROFILE_PREFIXES

# --- IAM limits (cris-facts §7) ----------------------------------------------------------------------
# Customer-managed policy document: 6,144 characters, whitespace not counted; fixed.
MANAGED_POLICY_MAX_CHARS = 6144
# Managed policies attached to one role: 10 by default (quota increase up to 20; 25 is UNCONFIRMED).
MAX_MANAGED_POLICIES_PER_ROLE = 10
# Role trust policy: 2,048 characters by default (4,096 after a quota increase; cris-facts §7).
TRUST_POLICY_MAX_CHARS = 2048

# --- Placeholders and their worst-case resolved lengths ----------------------------------------------
PARTITION = "${AWS::Partition}"
ACCOUNT = "${AWS::AccountId}"
# The longest partition names (botocore data/partitions.json: aws, aws-cn, aws-eusc, aws-iso, aws-iso-b,
# aws-iso-e, aws-iso-f, aws-us-gov): aws-us-gov (10), aws-iso-b / aws-iso-e / aws-iso-f (9), aws-eusc (8).
WORST_CASE_PARTITION = "aws-us-gov"
WORST_CASE_ACCOUNT = "123456789012"
# botocore's InferenceProfileId (bedrock 2023-04-20) is 1-64 characters; observed application profile IDs have 12
# (cris-facts §2.2). Sized at 64 so an unknown ID can never push a policy over the limit.
MAX_APPLICATION_PROFILE_ID_LENGTH = 64
_APPLICATION_PROFILE_PLACEHOLDER = "${{ApplicationProfileArn:{}}}"
_PLACEHOLDER = re.compile(r"\$\{[^}]*\}")

# --- Actions -----------------------------------------------------------------------------------------
INVOKE_ACTIONS: tuple[str, ...] = ("bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream")
PROFILE_ACTIONS: tuple[str, ...] = (*INVOKE_ACTIONS, "bedrock:GetInferenceProfile")
# Denies use the wildcard so they also cover InvokeModelWithBidirectionalStream and any future
# InvokeModel* action (AWS's own IAM deny example uses it, cris-facts §2.5). The same action also
# authorizes StartAsyncInvoke (botocore bedrock-runtime StartAsyncInvoke documentation), so async
# invocation is fenced exactly like the synchronous call. cdk-nag's IAM5 does not report Deny
# statements, so this needs no acknowledgment.
DENY_ACTIONS = "bedrock:InvokeModel*"
# Other entry points that run inference on a model the caller names, where the caller's own check is
# the only one an identity policy of the caller can fence (the inference itself runs later under the
# job's service role). Both names are in the Service Authorization Reference for Amazon Bedrock; both
# requests accept inference-profile IDs (botocore: CreateModelInvocationJob ``modelId`` pattern,
# CreateEvaluationJob ``EvaluationBedrockModel.modelIdentifier``). The Reference lists neither
# ``inference-profile`` as a resource type nor ``bedrock:InferenceProfileArn`` as a condition key for
# them, so they join only the denies keyed on ``aws:RequestedRegion`` (docs/iam.md).
JOB_DENY_ACTIONS: tuple[str, ...] = ("bedrock:CreateModelInvocationJob", "bedrock:CreateEvaluationJob")
# bedrock-mantle (the OpenAI-compatible endpoint): CreateInference is its inference action (Service
# Authorization Reference "Amazon Bedrock Powered by AWS Mantle"; AWS managed policy
# AmazonBedrockMantleInferenceAccess). Its resource is a mantle *project*, not a Bedrock model or
# profile, so only the Region fence applies to it.
MANTLE_DENY_ACTIONS: tuple[str, ...] = ("bedrock-mantle:CreateInference",)
GLOBAL_DENY_ACTIONS: tuple[str, ...] = (DENY_ACTIONS, *JOB_DENY_ACTIONS)
REGION_DENY_ACTIONS: tuple[str, ...] = (DENY_ACTIONS, *JOB_DENY_ACTIONS, *MANTLE_DENY_ACTIONS)

# Using a guardrail (ApplyGuardrail, or Converse/InvokeModel with a guardrail) is authorized as
# bedrock:ApplyGuardrail on the guardrail's ARN (AWS user guide "Set up permissions to use guardrails").
GUARDRAIL_ACTIONS: tuple[str, ...] = ("bedrock:ApplyGuardrail",)
# The guardrail ARN as the Bedrock API reference writes it (GuardrailSummary.arn,
# ApplyGuardrail guardrailIdentifier): no version suffix; the version is a separate request field.
GUARDRAIL_ARN = re.compile(
    r"^arn:(?P<partition>aws(?:-[a-z]+)*):bedrock:(?P<region>[a-z]{2}(?:-[a-z]+)+-[0-9]):"
    r"(?P<account>[0-9]{12}):guardrail/(?P<id>[a-z0-9]{1,64})$"
)

SID_ALLOW_PROFILES = "AllowInferenceProfiles"
SID_ALLOW_APPLICATION_PROFILES = "AllowApplicationInferenceProfiles"
SID_ALLOW_MODELS_PREFIX = "AllowModelsThroughProfiles"
SID_ALLOW_GUARDRAILS = "AllowGuardrails"
SID_ALLOW_RESPONSES = "AllowResponsesProject"
# The Responses API: InvokeModel on the default project when a response is created, and the stored-
# response actions (module docstring). No InvokeModelWithResponseStream on the project: AWS names only
# InvokeModel for the project check.
RESPONSES_ACTIONS: tuple[str, ...] = (
    "bedrock:InvokeModel", "bedrock:GetInvoke", "bedrock:CancelInvoke", "bedrock:DeleteInvoke",
)
# botocore GuardrailCrossRegionGuardrailProfileId; this catalog's profiles are EU ones.
GUARDRAIL_PROFILE_ID = re.compile(r"^eu\.guardrail\.v[0-9:]+$")
SID_DENY_GLOBAL = "DenyGlobalCrossRegionInference"
SID_DENY_NON_EU_PROFILES = "DenyNonEuInferenceProfiles"
SID_DENY_MODELS_WITHOUT_PROFILE = "DenyFoundationModelsWithoutProfile"
SID_DENY_OUTSIDE_EU = "DenyOutsideEuMemberStateRegions"
SID_DENY_DIRECT_PROFILE_CALLS = "DenyInferenceProfilesCalledDirectly"
SID_DENY_OUTSIDE_PRIVATE_NETWORK = "DenyOutsidePrivateNetwork"
SOURCE_VPC_KEY = "aws:SourceVpc"

_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-[0-9]$")
_PROFILE_ID = re.compile(r"^eu\.[a-z0-9-]+\.[A-Za-z0-9.:_-]+$")
_MODEL_ID = re.compile(r"^[a-z0-9-]+\.[A-Za-z0-9.:_-]+$")


class PolicyError(ValueError):
    """The application's access cannot be expressed safely; the message names the application."""


@dataclass(frozen=True)
class GuardrailGrant:
    """A guardrail to grant ``bedrock:ApplyGuardrail`` on, with the guardrail profile it uses (if any) and
    that profile's destination Regions from the guardrail's Region."""

    arn: str
    profile_id: str | None = None
    destinations: tuple[str, ...] = ()

    def resources(self) -> tuple[str, ...]:
        """The guardrail, then the guardrail profile in each destination Region (in the guardrail's
        partition and account)."""
        if self.profile_id is None:
            return (self.arn,)
        parts = guardrail_arn_parts(self.arn)
        assert parts is not None
        return (self.arn, *(
            cris_checks.guardrail_profile_arn(partition=parts["partition"], region=r, account=parts["account"],
                                              profile_id=self.profile_id)
            for r in sorted(self.destinations)
        ))


@dataclass(frozen=True)
class ApprovedProfile:
    """One system profile an application may call from one source Region, with where it routes."""

    profile_id: str
    model_id: str
    destinations: tuple[str, ...]


def approved_profiles(
    application: str, profile_ids: Iterable[str], catalog: Catalog, source_region: str
) -> tuple[ApprovedProfile, ...]:
    """Look up each profile's model and destinations for ``source_region`` in the catalog.

    Raises :class:`PolicyError` when a profile is unknown or has no route from the source Region:
    granting a profile that cannot be called from here would only hide a configuration mistake.
    """
    result = []
    for pid in profile_ids:
        profile = catalog.get(pid)
        if profile is None:
            raise PolicyError(
                f"application {application!r}: profile {pid!r} is not in the profile catalog (as of"
                f" {catalog.as_of}); remove it or refresh the catalog"
            )
        destinations = profile.destinations(source_region)
        if not destinations:
            raise PolicyError(
                f"application {application!r}: profile {pid!r} has no route from source Region"
                f" {source_region!r} (callable from {list(profile.source_regions)}); remove the profile"
                " or the source Region"
            )
        result.append(ApprovedProfile(profile_id=pid, model_id=profile.model_id, destinations=destinations))
    return tuple(sorted(result, key=lambda p: p.profile_id))


# --- ARNs ---------------------------------------------------------------------------------------------


def system_profile_arn(source_region: str, profile_id: str) -> str:
    """A system (cross-Region) profile ARN: the caller's account and the *source* Region (§2.2).
    :mod:`cris_guard.cris_checks` builds it; here with the partition and account placeholders."""
    return cris_checks.inference_profile_arn(
        partition=PARTITION, region=source_region, account=ACCOUNT, profile_id=profile_id
    )


def foundation_model_arn(region: str, model_id: str) -> str:
    """A foundation-model ARN in one named Region, with the partition placeholder; the account field
    is always empty (§2.2)."""
    return cris_checks.foundation_model_arn(partition=PARTITION, region=region, model_id=model_id)


def application_profile_placeholder(profile_id: str) -> str:
    """Stands for the (token) ARN of the application profile that wraps ``profile_id``."""
    return _APPLICATION_PROFILE_PLACEHOLDER.format(profile_id)


def worst_case_lengths(
    source_region: str, application_profile_ids: Iterable[str] = ()
) -> dict[str, int]:
    """Placeholder -> the longest string it can resolve to, for :func:`policy_size`."""
    worst_application_arn = cris_checks.application_inference_profile_arn(
        partition=WORST_CASE_PARTITION,
        region=source_region,
        account=WORST_CASE_ACCOUNT,
        profile_id="x" * MAX_APPLICATION_PROFILE_ID_LENGTH,
    )
    lengths = {PARTITION: len(WORST_CASE_PARTITION), ACCOUNT: len(WORST_CASE_ACCOUNT)}
    for pid in application_profile_ids:
        lengths[application_profile_placeholder(pid)] = len(worst_application_arn)
    return lengths


# --- Size ---------------------------------------------------------------------------------------------


def render_json(document: object) -> str:
    """Compact JSON, as IAM stores it apart from whitespace."""
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


def policy_size(document: Mapping, placeholder_lengths: Mapping[str, int] | None = None) -> int:
    """Characters IAM counts against the 6,144 limit: the JSON document without whitespace (cris-facts §7,
    from the IAM quotas page).

    Every ``${...}`` placeholder counts as its worst-case resolved length (default: partition
    ``aws-us-gov`` = 10, account = 12 digits). A placeholder with no known length, or a CDK token
    (``${Token[...]}``) that slipped in, raises ``ValueError``: guessing its length could let a policy
    that fails at deploy time pass at synth time.
    """
    lengths = dict(placeholder_lengths) if placeholder_lengths is not None else worst_case_lengths("")
    text = render_json(document)
    size = sum(1 for ch in text if not ch.isspace())
    for placeholder in _PLACEHOLDER.findall(text):
        if placeholder not in lengths:
            raise ValueError(f"cannot size {placeholder!r}: no worst-case length is known for it")
        size += lengths[placeholder] - len(placeholder)
    return size


# --- Statements -----------------------------------------------------------------------------------


def _one_or_list(values: Sequence[str]) -> str | list[str]:
    # CDK renders a single action/resource as a string; doing the same keeps sizes identical.
    return values[0] if len(values) == 1 else list(values)


@dataclass(frozen=True)
class Atom:
    """The unit a statement can be split by: resources plus the condition values fencing them."""

    resources: tuple[str, ...]
    condition_values: tuple[str, ...] = ()


@dataclass(frozen=True)
class SplittableStatement:
    """An Allow statement whose atoms may be spread across policies without changing its meaning."""

    sid: str
    actions: tuple[str, ...]
    atoms: tuple[Atom, ...]
    condition_operator: str | None = None
    condition_key: str | None = None

    def render(self, atoms: Sequence[Atom] | None = None) -> dict:
        chosen = self.atoms if atoms is None else tuple(atoms)
        resources = [r for a in chosen for r in a.resources]
        statement: dict = {
            "Sid": self.sid,
            "Effect": "Allow",
            "Action": _one_or_list(self.actions),
            "Resource": _one_or_list(resources),
        }
        if self.condition_operator:
            values = [v for a in chosen for v in a.condition_values]
            statement["Condition"] = {self.condition_operator: {self.condition_key: _one_or_list(values)}}
        return statement


def guardrail_arn_parts(arn: str) -> dict[str, str] | None:
    """``partition``, ``region``, ``account``, ``id`` of a guardrail ARN, or ``None`` if it is not one."""
    match = GUARDRAIL_ARN.match(arn) if isinstance(arn, str) else None
    return match.groupdict() if match else None


def guardrails_in_region(
    application: str, source_region: str, guardrail_arns: Iterable[str | GuardrailGrant]
) -> tuple[GuardrailGrant, ...]:
    """The guardrails whose Region is ``source_region``, sorted and de-duplicated (a plain ARN is a
    guardrail without a profile).

    Guardrails are regional: a guardrail in another Region is granted by that Region's access, so it
    is left out here rather than refused. Anything that is not a plain guardrail ARN (a wildcard, a
    version suffix, a guardrail-profile ARN) raises :class:`PolicyError`, and so does a guardrail
    profile whose destinations leave the EU member states or miss the source Region.
    """
    if isinstance(guardrail_arns, str):
        raise PolicyError(f"application {application!r}: guardrail_arns must be a list of ARNs, not one string")
    kept: dict[str, GuardrailGrant] = {}
    for item in guardrail_arns:
        grant = item if isinstance(item, GuardrailGrant) else GuardrailGrant(arn=item)
        parts = guardrail_arn_parts(grant.arn)
        if parts is None:
            raise PolicyError(
                f"application {application!r}: {grant.arn!r} is not a guardrail ARN; use"
                " arn:<partition>:bedrock:<region>:<account>:guardrail/<id> (no version, no wildcards)"
            )
        if parts["region"] != source_region:
            continue
        if grant.profile_id is not None:
            where = f"application {application!r}, guardrail {grant.arn!r}, profile {grant.profile_id!r}"
            if not GUARDRAIL_PROFILE_ID.match(grant.profile_id):
                raise PolicyError(f"{where}: not an EU guardrail profile ID (eu.guardrail.v<version>)")
            if source_region not in grant.destinations:
                raise PolicyError(f"{where}: the source Region must be among its destinations")
            for region in grant.destinations:
                if region not in EU_MEMBER_STATE_REGIONS:
                    raise PolicyError(f"{where}: routes to {region!r}, outside the EU member-state Regions; refusing"
                                      " to grant it")
        if kept.get(grant.arn, grant) != grant:
            raise PolicyError(f"application {application!r}: guardrail {grant.arn!r} is given twice with different profiles")
        kept[grant.arn] = grant
    return tuple(kept[arn] for arn in sorted(kept))


def guardrail_grants(uses: Iterable[tuple[str, str | None]], catalog: Catalog) -> tuple[GuardrailGrant, ...]:
    """``(guardrail ARN, profile ID or None)`` pairs as grants, with each profile's destinations from the
    guardrail's Region looked up in the catalog (empty when the catalog has no route: the grant then
    fails validation, which the configuration check reports first)."""
    grants = []
    for arn, profile_id in uses:
        parts = guardrail_arn_parts(arn)
        profile = catalog.guardrail_profile(profile_id) if profile_id else None
        destinations = profile.destinations(parts["region"]) if (profile and parts) else ()
        grants.append(GuardrailGrant(arn=arn, profile_id=profile_id, destinations=destinations))
    return tuple(grants)


@dataclass(frozen=True)
class AccessStatements:
    allows: tuple[SplittableStatement, ...]
    denies: tuple[dict, ...]


def _validate_profiles(application: str, source_region: str, profiles: Sequence[ApprovedProfile]) -> None:
    if not _REGION.match(source_region):
        raise PolicyError(f"application {application!r}: source Region {source_region!r} is not a Region code")
    if source_region not in EU_MEMBER_STATE_REGIONS:
        raise PolicyError(
            f"application {application!r}: source Region {source_region!r} is not an EU member-state"
            f" Region; use one of {sorted(EU_MEMBER_STATE_REGIONS)}"
        )
    if not profiles:
        raise PolicyError(f"application {application!r}: no approved profiles; approve at least one")
    seen: set[str] = set()
    for p in profiles:
        where = f"application {application!r}, profile {p.profile_id!r} from {source_region}"
        if p.profile_id in seen:
            raise PolicyError(f"{where}: listed twice; list each profile once")
        seen.add(p.profile_id)
        if not _PROFILE_ID.match(p.profile_id):
            raise PolicyError(f"{where}: not an EU geographic profile ID ('eu.<provider>.<model>', no wildcards)")
        if not _MODEL_ID.match(p.model_id) or p.profile_id != f"eu.{p.model_id}":
            raise PolicyError(
                f"{where}: model ID {p.model_id!r} does not match the profile ID (expected 'eu.<model ID>')"
            )
        if isinstance(p.destinations, str) or not p.destinations:
            raise PolicyError(f"{where}: needs a non-empty tuple of destination Regions")
        for region in p.destinations:
            # Never a wildcard or an eu-* pattern: a '*' Region also matches the Region-less ARN
            # that global CRIS authorizes (cris-facts, design implication 3).
            if not _REGION.match(region):
                raise PolicyError(f"{where}: destination {region!r} is not a Region code (wildcards are refused)")
            if region not in EU_MEMBER_STATE_REGIONS:
                raise PolicyError(
                    f"{where}: routes to {region!r}, outside the EU member-state Regions; refusing to"
                    " grant it (choose another profile or source Region)"
                )
        if source_region not in p.destinations:
            # The model check in the source Region is always part of a call (cris-facts §2.3).
            raise PolicyError(f"{where}: the source Region must be among the destinations (Bedrock always checks it)")


def access_statements(
    *,
    application: str,
    source_region: str,
    profiles: Sequence[ApprovedProfile],
    application_profile_arns: Mapping[str, str] | None = None,
    require_application_profiles: bool = False,
    guardrail_arns: Iterable[str | GuardrailGrant] = (),
    responses_api: bool = False,
    private_network_vpcs: Sequence[str] = (),
) -> AccessStatements:
    """The statements for one application in one source Region, in a deterministic order.

    ``application_profile_arns`` maps a system profile ID to the ARN (or placeholder) of the
    application profile that wraps it. Whether Bedrock presents the *application* profile ARN or the
    *system* profile ARN as ``bedrock:InferenceProfileArn`` at the model checks of such a call is
    UNCONFIRMED (cris-facts §2.5, §6.3), so each model statement accepts both; the residency denies
    do not depend on the answer.

    ``guardrail_arns``: the application's guardrails in any Region (ARNs, or :class:`GuardrailGrant`
    with a guardrail profile); only those in ``source_region`` are granted (``AllowGuardrails``, after
    the model statements, absent when there are none). ``responses_api`` adds ``AllowResponsesProject``.
    ``private_network_vpcs`` (``require_private_network``) adds :func:`private_network_deny`.
    """
    _validate_profiles(application, source_region, profiles)
    guardrails = guardrails_in_region(application, source_region, guardrail_arns)
    app_arns = dict(application_profile_arns or {})
    approved_ids = {p.profile_id for p in profiles}
    unknown = sorted(set(app_arns) - approved_ids)
    if unknown:
        raise PolicyError(
            f"application {application!r}: application profiles given for {unknown}, which it is not"
            f" approved for in {source_region}"
        )
    if require_application_profiles:
        missing = sorted(approved_ids - set(app_arns))
        if missing:
            raise PolicyError(
                f"application {application!r} requires application profiles, but {source_region} has none"
                f" for {missing}; calls to those profiles would all be denied. Create the application"
                " profiles or set require_application_profiles: false"
            )
    ordered = sorted(profiles, key=lambda p: p.profile_id)

    def sys_arn(p: ApprovedProfile) -> str:
        return system_profile_arn(source_region, p.profile_id)

    allows = [
        SplittableStatement(
            sid=SID_ALLOW_PROFILES,
            actions=PROFILE_ACTIONS,
            atoms=tuple(Atom(resources=(sys_arn(p),)) for p in ordered),
        )
    ]
    if app_arns:
        allows.append(
            SplittableStatement(
                sid=SID_ALLOW_APPLICATION_PROFILES,
                actions=PROFILE_ACTIONS,
                atoms=tuple(Atom(resources=(app_arns[p.profile_id],)) for p in ordered if p.profile_id in app_arns),
            )
        )
    # One model statement per distinct destination set, in order of each group's first profile.
    groups: dict[tuple[str, ...], list[ApprovedProfile]] = {}
    for p in ordered:
        groups.setdefault(tuple(sorted(p.destinations)), []).append(p)
    for index, members in enumerate(groups.values(), start=1):
        atoms = []
        for p in members:
            fence = (sys_arn(p),) + ((app_arns[p.profile_id],) if p.profile_id in app_arns else ())
            atoms.append(
                Atom(
                    resources=tuple(
                        foundation_model_arn(r, p.model_id) for r in sorted(p.destinations)
                    ),
                    condition_values=fence,
                )
            )
        allows.append(
            SplittableStatement(
                sid=f"{SID_ALLOW_MODELS_PREFIX}{index}",
                actions=INVOKE_ACTIONS,
                atoms=tuple(atoms),
                condition_operator="StringEquals",
                condition_key=INFERENCE_PROFILE_ARN_KEY,
            )
        )
    if guardrails:
        # Regional and unconditioned: the denies do not mention ApplyGuardrail, and nothing here
        # touches inference routing. One atom per guardrail, so packing may split it like the others.
        allows.append(
            SplittableStatement(
                sid=SID_ALLOW_GUARDRAILS,
                actions=GUARDRAIL_ACTIONS,
                atoms=tuple(Atom(resources=g.resources()) for g in guardrails),
            )
        )
    if responses_api:
        # Regional: the default project of this account in the source Region. The inference target of a
        # Responses call is authorized by the profile statements above and fenced by the same denies.
        project = cris_checks.responses_project_arn(partition=PARTITION, region=source_region, account=ACCOUNT)
        allows.append(SplittableStatement(sid=SID_ALLOW_RESPONSES, actions=RESPONSES_ACTIONS,
                                          atoms=(Atom(resources=(project,)),)))
    denies = residency_denies(require_application_profiles=require_application_profiles)
    if private_network_vpcs:
        denies.append(private_network_deny(source_region, private_network_vpcs))
    return AccessStatements(allows=tuple(allows), denies=tuple(denies))


def private_network_deny(source_region: str, vpc_ids: Sequence[str]) -> dict:
    """``require_private_network``: deny the inference calls that do not come from the configured VPC(s).

    Keyed on the **profile check in the source Region** (``inference-profile/*`` and
    ``application-inference-profile/*`` of this Region), which every cross-Region call makes there, and not
    on the foundation-model checks in the destination Regions: whether those carry ``aws:SourceVpc`` when
    Bedrock routes a call is UNCONFIRMED, and fencing them could deny legitimate routed calls. Direct model
    calls are already refused by ``DenyFoundationModelsWithoutProfile``. ``aws:SourceVpc`` (the VPC ID, known
    at synthesis) rather than ``aws:SourceVpce`` (an endpoint ID known only after deployment, in another
    stack for applications in overflow stacks): a call through any bedrock-runtime endpoint of that VPC
    passes, so keep cris-guard's endpoint the VPC's only one (docs/network.md). An absent key (a call from
    the internet) fails ``StringNotEquals`` and is denied.
    """
    region_profiles = f"arn:{PARTITION}:bedrock:{source_region}:{ACCOUNT}"
    return {
        "Sid": SID_DENY_OUTSIDE_PRIVATE_NETWORK,
        "Effect": "Deny",
        "Action": DENY_ACTIONS,
        "Resource": [f"{region_profiles}:inference-profile/*", f"{region_profiles}:application-inference-profile/*"],
        "Condition": {"StringNotEquals": {SOURCE_VPC_KEY: sorted(vpc_ids)}},
    }


def residency_denies(*, require_application_profiles: bool = False) -> list[dict]:
    """The explicit denies, each with one job (so a test can prove each one matters).

    * Global CRIS: its Region-less model check carries ``aws:RequestedRegion = "unspecified"``
      (cris-facts §2.4; AWS's IAM example, §2.5). Also for batch and evaluation jobs
      (:data:`JOB_DENY_ACTIONS`) requested on that ARN.
    * Every non-EU geography's system profiles, including ``global.``, by ID prefix
      (``regions.NON_EU_PROFILE_PREFIXES``; unconfirmed prefixes are denied anyway, at no cost).
      ``bedrock:InvokeModel*`` only: the job actions have no ``inference-profile`` resource type.
    * A foundation model invoked without an inference profile: a direct on-demand call carries no
      ``bedrock:InferenceProfileArn`` (§2.3). Scoped to ``foundation-model/*`` because the profile
      check of every legitimate call also lacks the key. ``bedrock:InvokeModel*`` only: job actions
      never carry the key, so listing them would refuse every batch and evaluation job.
    * Any Region outside the EU member states, by ``aws:RequestedRegion``. This catches what prefixes
      cannot: an application profile (anyone's) wrapping a ``us.`` profile presents its own ARN, but
      its model checks still name the destination Region (§2.5, "Geographic + Region SCP").
      ``"unspecified"`` is listed as allowed here only because the global deny above already owns it.
      Covers the job actions and ``bedrock-mantle:CreateInference`` too (:data:`REGION_DENY_ACTIONS`).
    * With ``require_application_profiles``: a system profile called *directly*. Keyed on the missing
      ``bedrock:InferenceProfileArn`` at the profile check, not on the model checks, so that it holds
      whichever ARN Bedrock presents for calls through an application profile (UNCONFIRMED, §6.3);
      see docs/iam.md for the one case it cannot handle.
    """
    any_region_profile = f"arn:{PARTITION}:bedrock:*:*:inference-profile"
    denies = [
        {
            "Sid": SID_DENY_GLOBAL,
            "Effect": "Deny",
            "Action": list(GLOBAL_DENY_ACTIONS),
            "Resource": "*",
            "Condition": {"StringEquals": {REQUESTED_REGION_KEY: UNSPECIFIED_REGION}},
        },
        {
            "Sid": SID_DENY_NON_EU_PROFILES,
            "Effect": "Deny",
            "Action": DENY_ACTIONS,
            "Resource": [f"{any_region_profile}/{prefix}*" for prefix in NON_EU_PROFILE_PREFIXES],
        },
        {
            "Sid": SID_DENY_MODELS_WITHOUT_PROFILE,
            "Effect": "Deny",
            "Action": DENY_ACTIONS,
            "Resource": f"arn:{PARTITION}:bedrock:*::foundation-model/*",
            "Condition": {"Null": {INFERENCE_PROFILE_ARN_KEY: "true"}},
        },
        {
            "Sid": SID_DENY_OUTSIDE_EU,
            "Effect": "Deny",
            "Action": list(REGION_DENY_ACTIONS),
            "Resource": "*",
            "Condition": {
                "StringNotEquals": {REQUESTED_REGION_KEY: [*sorted(EU_MEMBER_STATE_REGIONS), UNSPECIFIED_REGION]}
            },
        },
    ]
    if require_application_profiles:
        denies.append(
            {
                "Sid": SID_DENY_DIRECT_PROFILE_CALLS,
                "Effect": "Deny",
                "Action": DENY_ACTIONS,
                "Resource": f"{any_region_profile}/*",
                "Condition": {"Null": {INFERENCE_PROFILE_ARN_KEY: "true"}},
            }
        )
    return denies


# --- Packing ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PolicyPlan:
    """The managed-policy documents for one application in one source Region, with their sizes."""

    application: str
    source_region: str
    documents: tuple[dict, ...]
    sizes: tuple[int, ...]
    placeholder_lengths: Mapping[str, int] = field(default_factory=dict)

    @property
    def largest(self) -> int:
        return max(self.sizes)


def _document(statements: Sequence[dict]) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def pack(
    statements: AccessStatements,
    *,
    application: str,
    source_region: str,
    placeholder_lengths: Mapping[str, int],
    max_chars: int = MANAGED_POLICY_MAX_CHARS,
    max_policies: int = MAX_MANAGED_POLICIES_PER_ROLE,
) -> PolicyPlan:
    """Spread the Allow statements over as few policies as fit, each carrying all the denies.

    Greedy and deterministic: statements in order, each filled into the current policy as far as it
    fits (split by atoms, binary search), the rest continuing in the next policy. Raises
    :class:`PolicyError` naming the application when more than ``max_policies`` would be needed.
    """
    where = f"application {application!r} in {source_region}"

    def size(allows: Sequence[dict]) -> int:
        return policy_size(_document([*allows, *statements.denies]), placeholder_lengths)

    if size([]) > max_chars:
        raise PolicyError(f"{where}: the deny statements alone exceed {max_chars} characters")
    documents: list[list[dict]] = []
    current: list[dict] = []
    for statement in statements.allows:
        atoms = list(statement.atoms)
        while atoms:
            lo, hi = 0, len(atoms)  # largest k with size(current + first k atoms) <= max_chars
            while lo < hi:
                mid = (lo + hi + 1) // 2
                if size([*current, statement.render(atoms[:mid])]) <= max_chars:
                    lo = mid
                else:
                    hi = mid - 1
            if lo == 0:
                if not current:
                    raise PolicyError(
                        f"{where}: one element of {statement.sid} does not fit in a {max_chars}-character"
                        " policy even alone"
                    )
                documents.append(current)
                current = []
                continue
            current.append(statement.render(atoms[:lo]))
            atoms = atoms[lo:]
            if atoms:
                documents.append(current)
                current = []
    if current:
        documents.append(current)
    if len(documents) > max_policies:
        raise PolicyError(
            f"{where}: its access needs {len(documents)} managed policies of at most {max_chars}"
            f" characters, more than the {max_policies} IAM attaches to one role by default. Approve"
            " fewer profiles for it, or split it into two applications"
        )
    docs = tuple(_document([*allows, *statements.denies]) for allows in documents)
    return PolicyPlan(
        application=application,
        source_region=source_region,
        documents=docs,
        sizes=tuple(policy_size(d, placeholder_lengths) for d in docs),
        placeholder_lengths=dict(placeholder_lengths),
    )


def plan_policies(
    *,
    application: str,
    source_region: str,
    profiles: Sequence[ApprovedProfile],
    application_profile_arns: Mapping[str, str] | None = None,
    require_application_profiles: bool = False,
    guardrail_arns: Iterable[str | GuardrailGrant] = (),
    responses_api: bool = False,
    max_chars: int = MANAGED_POLICY_MAX_CHARS,
    max_policies: int = MAX_MANAGED_POLICIES_PER_ROLE,
    private_network_vpcs: Sequence[str] = (),
) -> PolicyPlan:
    """Statements plus packing: the documents :class:`EuInvokeAccess` creates, with placeholders."""
    statements = access_statements(
        application=application,
        source_region=source_region,
        profiles=profiles,
        application_profile_arns=application_profile_arns,
        require_application_profiles=require_application_profiles,
        guardrail_arns=guardrail_arns,
        responses_api=responses_api,
        private_network_vpcs=private_network_vpcs,
    )
    lengths = worst_case_lengths(source_region, (application_profile_arns or {}).keys())
    return pack(
        statements,
        application=application,
        source_region=source_region,
        placeholder_lengths=lengths,
        max_chars=max_chars,
        max_policies=max_policies,
    )


def trust_policy_document(trusted_services: Sequence[str], trusted_role_arns: Sequence[str]) -> dict:
    """The role's trust policy as CDK renders a CompositePrincipal: one statement per principal,
    services first."""
    principals = [{"Service": s} for s in trusted_services] + [{"AWS": arn} for arn in trusted_role_arns]
    return _document([{"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": p} for p in principals])


def check_trust(application: str, trusted_services: Sequence[str], trusted_role_arns: Sequence[str]) -> None:
    """A role nobody can assume is a configuration mistake; one whose trust policy is too long fails at deploy."""
    if not trusted_services and not trusted_role_arns:
        raise PolicyError(
            f"application {application!r}: no trusted_services and no trusted_role_arns, so nothing could"
            " assume its role; add e.g. trusted_services: [lambda.amazonaws.com] or a trusted role ARN"
        )
    size = policy_size(trust_policy_document(trusted_services, trusted_role_arns))
    if size > TRUST_POLICY_MAX_CHARS:
        raise PolicyError(
            f"application {application!r}: its trust policy has {size} characters, more than the"
            f" {TRUST_POLICY_MAX_CHARS} IAM allows by default; trust fewer principals"
        )


__all__ = [
    "ACCOUNT",
    "DENY_ACTIONS",
    "GLOBAL_DENY_ACTIONS",
    "GUARDRAIL_ACTIONS",
    "GUARDRAIL_ARN",
    "JOB_DENY_ACTIONS",
    "MANTLE_DENY_ACTIONS",
    "REGION_DENY_ACTIONS",
    "INVOKE_ACTIONS",
    "MANAGED_POLICY_MAX_CHARS",
    "MAX_MANAGED_POLICIES_PER_ROLE",
    "PARTITION",
    "PROFILE_ACTIONS",
    "AccessStatements",
    "ApprovedProfile",
    "Atom",
    "PolicyError",
    "PolicyPlan",
    "SplittableStatement",
    "access_statements",
    "application_profile_placeholder",
    "approved_profiles",
    "check_trust",
    "foundation_model_arn",
    "GuardrailGrant",
    "guardrail_arn_parts",
    "guardrail_grants",
    "guardrails_in_region",
    "pack",
    "plan_policies",
    "policy_size",
    "residency_denies",
    "system_profile_arn",
    "trust_policy_document",
    "worst_case_lengths",
]
