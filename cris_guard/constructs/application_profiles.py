"""One application's tagged application inference profiles in one source Region.

Applications must call Bedrock with these profiles' ARNs as ``modelId``: only then is the spend
tagged with the application and cost centre (cris-facts §6.3; calls that use the system profile or
the model ID bypass attribution).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import aws_cdk as cdk
import jsii
from aws_cdk import aws_bedrock as bedrock
from constructs import Construct, IValidation

from cris_guard.cost import (
    APPLICATION_TAG_KEY,
    COST_CENTER_TAG_KEY,
    MAX_TAGS_PER_PROFILE,
    application_profile_tags,
    check_application_profile_tags,
    check_planned_profile,
    check_tag,
    plan_application_profiles,
    repeated,
)


@dataclass(frozen=True)
class ApplicationProfile:
    """One created application inference profile.

    ``arn`` and ``profile_id`` are CloudFormation tokens (known after deployment); ``name`` and
    ``system_profile_id`` are plain strings.
    """

    system_profile_id: str
    name: str
    arn: str
    profile_id: str
    resource: bedrock.CfnApplicationInferenceProfile


class ApplicationProfiles(Construct):
    """An ``AWS::Bedrock::ApplicationInferenceProfile`` per approved system profile of one application.

    - ``ModelSource.CopyFrom`` is the ``eu.`` system profile's ARN in ``source_region`` (which must be
      the stack's Region), built from the stack's partition and ``AWS::AccountId``.
    - Tags: ``tags``, then ``tag_key`` = the application name and, when given, ``cost_center_tag_key``
      = ``cost_center``. The application tag is what the application's budget filters on.
    - Name and description come from :func:`cris_guard.cost.application_profile_name` and depend only
      on (``name_prefix``, application, source Region, system profile ID): editing anything else never
      replaces a profile. Each child's construct ID is its system profile ID, so reordering the
      configuration's profile list keeps every logical ID.
    - One ``CfnOutput`` (``Arns``) per application whose value is a JSON object
      ``{system profile ID: application profile ARN}``: one output per application instead of one per
      profile keeps a stack under CloudFormation's 200-outputs limit as long as it holds fewer than
      200 applications.

    Inputs are checked in the constructor (``ValueError``, one line per problem); the final tags,
    including those added later with ``cdk.Tags.of(...)``, are checked again at synthesis.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        application: str,
        name_prefix: str,
        source_region: str,
        profile_ids: Sequence[str],
        cost_center: str | None,
        tags: Mapping[str, str],
        tag_key: str = APPLICATION_TAG_KEY,
        cost_center_tag_key: str = COST_CENTER_TAG_KEY,
    ) -> None:
        super().__init__(scope, id)
        stack = cdk.Stack.of(self)
        self.application = application
        self.source_region = source_region

        problems: list[str] = []
        if not cdk.Token.is_unresolved(stack.region) and stack.region != source_region:
            problems.append(
                f"application {application!r}: source_region {source_region!r} is not the stack's Region"
                f" {stack.region!r}; an application profile copies the system profile of the Region it is"
                " created in, so create it in a stack of that Region"
            )
        if not profile_ids:
            problems.append(f"application {application!r}: no profile IDs; give at least one approved profile")
        for pid in repeated(profile_ids):
            problems.append(f"application {application!r}: profile {pid!r} is listed twice; list each once")
        plans = plan_application_profiles(name_prefix, application, source_region, dict.fromkeys(profile_ids))
        for plan in plans:
            problems.extend(check_planned_profile(plan))
        problems.extend(
            check_application_profile_tags(
                application,
                tags,
                cost_center=cost_center,
                tag_key=tag_key,
                cost_center_tag_key=cost_center_tag_key,
            )
        )
        if problems:
            raise ValueError("\n".join(problems))

        tag_values = application_profile_tags(
            application=application,
            cost_center=cost_center,
            tags=tags,
            tag_key=tag_key,
            cost_center_tag_key=cost_center_tag_key,
        )
        # cris-guard's own tags: what must survive stack-wide tags.
        expected = application_profile_tags(
            application=application,
            cost_center=cost_center,
            tags={},
            tag_key=tag_key,
            cost_center_tag_key=cost_center_tag_key,
        )

        profiles: dict[str, ApplicationProfile] = {}
        for plan in plans:
            resource = bedrock.CfnApplicationInferenceProfile(
                self,
                plan.system_profile_id,
                inference_profile_name=plan.name,
                description=plan.description,
                model_source=bedrock.CfnApplicationInferenceProfile.InferenceProfileModelSourceProperty(
                    copy_from=plan.copy_from(partition=stack.partition, account=cdk.Aws.ACCOUNT_ID)
                ),
                tags=[cdk.CfnTag(key=k, value=v) for k, v in sorted(tag_values.items())],
            )
            resource.node.add_validation(_FinalTagsCheck(application, resource, expected))
            profiles[plan.system_profile_id] = ApplicationProfile(
                system_profile_id=plan.system_profile_id,
                name=plan.name,
                arn=resource.attr_inference_profile_arn,
                profile_id=resource.attr_inference_profile_id,
                resource=resource,
            )
        self.profiles: Mapping[str, ApplicationProfile] = profiles
        self.output = cdk.CfnOutput(
            self,
            "Arns",
            value=stack.to_json_string({pid: p.arn for pid, p in profiles.items()}),
            description=(
                f"Application inference profile ARNs of {application} in {source_region}, keyed by system"
                " profile ID. Call Bedrock with these ARNs as modelId so that spend is attributed."
            ),
        )

    @property
    def arns(self) -> list[str]:
        return [p.arn for p in self.profiles.values()]


@jsii.implements(IValidation)
class _FinalTagsCheck:
    """At synthesis, after tag aspects ran: the profile's complete tag set still fits the schema."""

    def __init__(
        self,
        application: str,
        resource: bedrock.CfnApplicationInferenceProfile,
        expected: Mapping[str, str],
    ) -> None:
        self._application = application
        self._resource = resource
        self._expected = dict(expected)

    def validate(self) -> list[str]:
        # The tags given to the L1 are rendered merged with the tag manager's (stack-wide tags win).
        final = {t.key: t.value for t in self._resource.tags or []}
        final.update(self._resource.cdk_tag_manager.tag_values())
        problems: list[str] = []
        for key, value in final.items():
            if cdk.Token.is_unresolved(key) or cdk.Token.is_unresolved(value):
                continue
            problems.extend(check_tag(self._application, key, value))
        for key, value in self._expected.items():
            if final.get(key) != value:
                problems.append(
                    f"application {self._application!r}: tag {key!r} is {final.get(key)!r} after stack-wide"
                    f" tags were applied, expected {value!r}; do not set {key!r} with cdk.Tags.of(...)"
                )
        if len(final) > MAX_TAGS_PER_PROFILE:
            problems.append(
                f"application {self._application!r}: a profile carries {len(final)} tags including stack-wide"
                f" ones; an application inference profile takes at most {MAX_TAGS_PER_PROFILE}; remove"
                f" {len(final) - MAX_TAGS_PER_PROFILE} from the application or configuration tags"
            )
        return problems
