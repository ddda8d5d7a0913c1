"""One application's governed access to approved EU inference profiles from one source Region."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import aws_cdk as cdk
import jsii
from aws_cdk import aws_iam as iam
from constructs import Construct, DependencyGroup

from cris_guard import iam_policy
from cris_guard.cost import APPLICATION_TAG_KEY
from cris_guard.iam_policy import ApprovedProfile, PolicyError, PolicyPlan

POLICY_NAME_METADATA_KEY = "cris-guard:policy-name"

__all__ = ["APPLICATION_TAG_KEY", "POLICY_NAME_METADATA_KEY", "ApprovedProfile", "EuInvokeAccess", "PolicyError"]


class EuInvokeAccess(Construct):
    """An IAM role plus customer-managed policies that let one application call its approved ``eu.``
    profiles from ``source_region``, with explicit denies on the inference entry points that could route
    outside the EU (which ones, and what they cannot cover: :mod:`cris_guard.iam_policy`, docs/iam.md).

    - The policies are :func:`cris_guard.iam_policy.plan_policies`' documents (see docs/iam.md):
      profile and model allows per AWS's geographic-CRIS pattern, with explicit residency denies in
      every policy. As many policies as needed (at most 10, each at most 6,144 characters counted at
      worst-case partition/account length); more raises :class:`PolicyError` naming the application.
    - Partition and account come from the stack (``AWS::Partition``, ``AWS::AccountId`` in ``Fn::Sub``),
      never a hard-coded ``aws``.
    - The role (child ``Resource``) trusts ``trusted_services`` and ``trusted_role_arns`` and carries the
      tag ``cris-guard:application = <application>``. With no trusted principal at all the constructor
      raises: a role nobody can assume is a configuration mistake, and trusting the account root
      instead would let any principal with ``sts:AssumeRole`` on ``*`` into it (an account principal
      delegates to the account's identity policies: IAM User Guide, "AWS JSON policy elements:
      Principal", AWS account principals).
    - ``application_profile_arns`` (system profile ID -> application profile ARN; tokens welcome) adds
      those profiles to the grants. With ``require_application_profiles`` the role may call system
      profiles only through its application profiles; every approved profile then needs one.
    - ``guardrail_arns`` (default none) grants ``bedrock:ApplyGuardrail`` (statement ``AllowGuardrails``)
      on exactly those guardrails whose Region is ``source_region``: a Converse/InvokeModel call that
      names a guardrail needs it. Guardrails are regional, so ARNs of other Regions are left out (pass
      the application's full list to each Region's access); a value that is not a plain guardrail ARN
      (``arn:<partition>:bedrock:<region>:<account>:guardrail/<id>``, no version, no wildcard) raises
      :class:`PolicyError`. An entry may be an :class:`iam_policy.GuardrailGrant` naming the guardrail
      profile the guardrail uses and its destinations (:func:`iam_policy.guardrail_grants` looks them up
      in the catalog): the profile is then granted in exactly those Regions, all EU member states.
    - ``responses_api`` (default false) grants the Responses API's default project in the source Region
      (statement ``AllowResponsesProject``).
    - :meth:`grant_invoke` attaches the same managed policies to a role, user or group the team
      already has.

    Validation happens in the constructor; messages name the application and what to change.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        application: str,
        source_region: str,
        profiles: Sequence[ApprovedProfile],
        trusted_services: Sequence[str] = (),
        trusted_role_arns: Sequence[str] = (),
        application_profile_arns: Mapping[str, str] | None = None,
        require_application_profiles: bool = False,
        guardrail_arns: Sequence[str | iam_policy.GuardrailGrant] = (),
        responses_api: bool = False,
        max_managed_policies: int = iam_policy.MAX_MANAGED_POLICIES_PER_ROLE,
        private_network_vpcs: Sequence[str] = (),
    ) -> None:
        super().__init__(scope, id)
        stack = cdk.Stack.of(self)
        if not cdk.Token.is_unresolved(stack.region) and stack.region != source_region:
            raise PolicyError(
                f"application {application!r}: source_region {source_region!r} differs from the stack's Region"
                f" {stack.region!r}; system profile ARNs carry the source Region, so create the access in a"
                " stack of that Region"
            )
        iam_policy.check_trust(application, trusted_services, trusted_role_arns)

        # Token ARNs (e.g. an ApplicationInferenceProfile's GetAtt) are planned as placeholders that
        # policy_size counts at their worst-case length, then swapped back when rendering.
        substitutions: dict[str, str] = {}
        planned_arns: dict[str, str] = {}
        for pid, arn in (application_profile_arns or {}).items():
            if cdk.Token.is_unresolved(arn):
                placeholder = iam_policy.application_profile_placeholder(pid)
                substitutions[placeholder] = arn
                planned_arns[pid] = placeholder
            else:
                planned_arns[pid] = arn

        self.application = application
        self.source_region = source_region
        self.profiles: tuple[ApprovedProfile, ...] = tuple(profiles)
        self.require_application_profiles = require_application_profiles
        # The guardrails granted here: those of this source Region (validated, sorted, de-duplicated).
        self.guardrails: tuple[iam_policy.GuardrailGrant, ...] = iam_policy.guardrails_in_region(
            application, source_region, guardrail_arns
        )
        self.guardrail_arns: tuple[str, ...] = tuple(g.arn for g in self.guardrails)
        self.responses_api = responses_api
        self.plan: PolicyPlan = iam_policy.plan_policies(
            application=application,
            source_region=source_region,
            profiles=profiles,
            application_profile_arns=planned_arns,
            require_application_profiles=require_application_profiles,
            guardrail_arns=self.guardrails,
            responses_api=responses_api,
            max_policies=max_managed_policies,
            private_network_vpcs=private_network_vpcs,
        )
        self.private_network_vpcs = tuple(sorted(private_network_vpcs))

        principals: list[iam.IPrincipal] = [iam.ServicePrincipal(s) for s in trusted_services]
        principals += [iam.ArnPrincipal(arn) for arn in trusted_role_arns]
        self.role = iam.Role(
            self,
            "Resource",
            assumed_by=iam.CompositePrincipal(*principals),
            description=(
                f"cris-guard: {application} calls its approved EU Bedrock inference profiles from {source_region}"
            )[:1000],  # IAM's maximum (botocore iam roleDescriptionType: max 1000)
        )
        cdk.Tags.of(self.role).add(APPLICATION_TAG_KEY, application)

        count = len(self.plan.documents)
        self.policies: list[iam.ManagedPolicy] = []
        for index, document in enumerate(self.plan.documents, start=1):
            policy = iam.ManagedPolicy(
                self,
                f"Policy{index}",
                description=(
                    f"cris-guard: {application} Bedrock access from {source_region} ({index} of {count});"
                    " residency denies are repeated in every part"
                ),
                document=iam.PolicyDocument(
                    minimize=False,
                    statements=[
                        iam.PolicyStatement.from_json(render_placeholders(statement, substitutions))
                        for statement in document["Statement"]
                    ],
                ),
                roles=[self.role],
            )
            # A readable name for reports (scenario failures name "<application>/Policy<n>#<Sid>").
            policy.node.default_child.add_metadata(POLICY_NAME_METADATA_KEY, f"{application}/Policy{index}")
            self.policies.append(policy)

    @property
    def policy_sizes(self) -> tuple[int, ...]:
        """Each policy's size as IAM counts it, at worst-case partition/account/ARN lengths."""
        return self.plan.sizes

    def grant_invoke(self, grantee: iam.IGrantable) -> iam.Grant:
        """Give an existing role, user or group exactly this application's access.

        Attaches the same customer-managed policies (their residency denies included) rather than
        copying statements into an inline policy, so there is one definition of the access and the
        size limits stay checked. The grantee's own managed-policy quota (10 per role by default,
        cris-facts §7) must have room for :attr:`policies`. The returned grant succeeds, and ``apply_before(...)``
        makes resources wait for the attachment. Other principals (service, account, ARN principals)
        raise ``TypeError``: they have no identity policy to attach to.

        The denies then bind *everything* the grantee does (docs/iam.md, "Two lock-out risks"): its
        existing direct in-Region model calls by model ID (e.g. embeddings) are refused by
        ``DenyFoundationModelsWithoutProfile``, and its Bedrock calls, batch/evaluation jobs and
        bedrock-mantle inference outside the EU member-state Regions by the Region deny. Calls with a
        guardrail need ``bedrock:ApplyGuardrail``, which the policies grant only on this application's
        ``guardrail_arns`` in this Region.
        """
        principal = grantee.grant_principal
        kind = _identity_kind(principal)
        if kind is None:
            raise TypeError(
                f"grant_invoke for application {self.application!r}: got a {type(principal).__name__}; the"
                " grantee must be an IAM role, user or group (its managed policies are attached); other"
                " principals have no identity policy"
            )
        attachment = _ManagedPolicyAttachment(principal, kind, self.policies)
        return iam.Grant.add_to_principal(
            grantee=attachment,
            actions=list(iam_policy.PROFILE_ACTIONS),
            resource_arns=[render_placeholders(iam_policy.system_profile_arn(self.source_region, p.profile_id), {})
                           for p in self.profiles],
        )


def render_placeholders(value, tokens: Mapping[str, str]):
    """Placeholders -> CloudFormation. A whole-string application-profile placeholder becomes its
    token (a GetAtt); a string with ``${AWS::Partition}``/``${AWS::AccountId}`` becomes ``Fn::Sub``
    of itself: the placeholders are Fn::Sub's own syntax, and one Fn::Sub is about a third the size of
    the Fn::Join CDK would otherwise write, which matters because templates are capped at 1 MB
    (cris-facts §7)."""
    if isinstance(value, str):
        if value in tokens:
            return tokens[value]
        if iam_policy.PARTITION in value or iam_policy.ACCOUNT in value:
            return cdk.Fn.sub(value)
        return value
    if isinstance(value, list):
        return [render_placeholders(v, tokens) for v in value]
    if isinstance(value, dict):
        return {k: render_placeholders(v, tokens) for k, v in value.items()}
    return value


def _identity_kind(principal: object) -> str | None:
    for kind, attribute in (("role", "role_name"), ("user", "user_name"), ("group", "group_name")):
        try:
            getattr(principal, attribute)
        except (AttributeError, jsii.errors.JSIIError):
            continue
        return kind
    return None


@jsii.implements(iam.IPrincipal)
class _ManagedPolicyAttachment:
    """Adapter that lets ``iam.Grant`` record a grant made by attaching managed policies.

    ``Grant.add_to_principal`` hands the (informational) statement to ``add_to_principal_policy``;
    instead of writing it into an inline policy we attach the prepared managed policies and report
    them as the dependable, which is what ``Grant.apply_before`` waits for.
    """

    def __init__(self, target: iam.IPrincipal, kind: str, policies: Sequence[iam.ManagedPolicy]) -> None:
        self._target = target
        self._kind = kind
        self._policies = list(policies)
        self._attached = False

    @property
    def grant_principal(self) -> iam.IPrincipal:
        return self

    @property
    def assume_role_action(self) -> str:
        return self._target.assume_role_action

    @property
    def policy_fragment(self) -> iam.PrincipalPolicyFragment:
        return self._target.policy_fragment

    @property
    def principal_account(self) -> str | None:
        return self._target.principal_account

    def add_to_policy(self, statement: iam.PolicyStatement) -> bool:
        return self.add_to_principal_policy(statement).statement_added

    def add_to_principal_policy(self, statement: iam.PolicyStatement) -> iam.AddToPrincipalPolicyResult:
        if not self._attached:
            for policy in self._policies:
                getattr(policy, f"attach_to_{self._kind}")(self._target)
            self._attached = True
        return iam.AddToPrincipalPolicyResult(statement_added=True, policy_dependable=DependencyGroup(*self._policies))
