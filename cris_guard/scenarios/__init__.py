"""Access scenarios: what each application must and must not be able to do, checked offline.

A platform team writes expectations as data (``scenarios/*.yaml``, format in docs/iam.md). This package
synthesizes the app, extracts each application's *effective* IAM policies per source Region from the
templates (the managed and inline policies attached to the role tagged ``cris-guard:application``),
expands every scenario into the authorization checks Bedrock makes for that call
(:mod:`cris_guard.cris_checks`, cris-facts §2.3/§2.4), evaluates them with a real IAM evaluator
(:mod:`cris_guard.policy_eval`, the AGPL npm package ``@cloud-copilot/iam-simulate`` run as a separate
Node process, never linked) and reports each failure as one line: application, request, expected,
actual, and the statement that decided.

Expectations:

- ``allow``: every check of the call is allowed — and, for calls through an application profile,
  under every answer to the UNCONFIRMED questions (:data:`APPLICATION_PROFILE_VARIANTS`).
- ``deny``: at least one check is not allowed (least privilege; a broader grant elsewhere could allow it).
- ``explicit-deny``: as ``deny``, and even with ``bedrock:*`` (and ``bedrock-mantle:*``) on ``*`` granted
  by another policy the call's *first* check (the resource the caller named) is explicitly denied: the request is refused
  before anything is routed, whatever else the role is given.

The SCP layer. When the templates hold an ``AWS::Organizations::Policy`` of type ``SERVICE_CONTROL_POLICY``
(the organization guardrail, :mod:`cris_guard.scp`), every check is evaluated with the identity policies
*and* that SCP, as IAM does for a principal of a member account it is attached to. A scenario file may
add what-if SCPs (``service_control_policies``: name -> document) that scenarios opt into by name, and a
scenario may replace the role's policies with an identity layer that allows all of Bedrock
(``identity: allow-all``) to show what the SCPs alone decide.

The VPC endpoint layer. A scenario with ``via_endpoint: true`` makes its calls through the source Region's
bedrock-runtime interface endpoint of the templates (``AWS::EC2::VPCEndpoint``): the requests carry
``aws:SourceVpc`` (the endpoint's VPC) and ``aws:SourceVpce`` (:data:`SOURCE_VPCE_PLACEHOLDER`) and the
endpoint's policy is evaluated as the VPC endpoint layer, under both answers to whether the routed checks
see the endpoint (:data:`ENDPOINT_VARIANTS`; why: :mod:`.expand`). Reports name its statements
``vpce/<endpoint>#<Sid>``.

Run ``cris-guard scenarios [--config FILE] [--scenarios DIR]``; exit code 1 when any fails.

The modules, in the order a run goes through them: :mod:`.model` (the scenario file format and its
loading), :mod:`.extract` (what the synthesized templates grant: roles, policies, SCPs),
:mod:`.expand` (scenarios -> calls -> authorization checks), :mod:`.judge` (evaluation, outcomes,
reports, runs per account) and :mod:`.command` (``cris-guard scenarios``). Everything is re-exported
here, so ``cris_guard.scenarios.<name>`` is the API.
"""

from __future__ import annotations

from cris_guard.scenarios.command import command, main
from cris_guard.scenarios.expand import (
    APPLICATION_PROFILE_VARIANTS,
    ENDPOINT_VARIANTS,
    SOURCE_VPC_KEY,
    SOURCE_VPCE_KEY,
    UNSUPPORTED_WITH_ENFORCEMENT,
    ApplicationProfileVariant,
    Case,
    EndpointVariant,
    _application_profile_call,
    expand,
    is_routed_check,
    through_endpoint,
    variants_for,
)
from cris_guard.scenarios.extract import (
    DEFAULT_ENDPOINT_POLICY,
    POLICY_NAME_METADATA_KEY,
    SCP_LABEL_PREFIX,
    SOURCE_VPCE_PLACEHOLDER,
    VPCE_LABEL_PREFIX,
    ApplicationAccess,
    Inventory,
    StackTemplate,
    UnresolvableError,
    VpcEndpoint,
    extract_access,
    extract_service_control_policies,
    extract_vpc_endpoints,
    holds_scp,
    stacks_from_assembly,
    stacks_from_directory,
    template_tags,
    without_unbound_scps,
)
from cris_guard.scenarios.judge import (
    BROAD_GRANT,
    BROAD_GRANT_NAME,
    BROAD_GRANT_TAG,
    BROAD_GRANT_TAG_VALUE,
    AccountRun,
    Builder,
    Outcome,
    Prepared,
    Report,
    evaluate_cases,
    judge,
    per_account,
    prepare,
    run,
    synthesize,
    with_broad_grant,
)
from cris_guard.scenarios.model import (
    ACTIONS,
    BEARER_TOKEN_ACTION_NAMES,
    DEFAULT_ACCOUNT,
    DEFAULT_SCENARIO_DIR,
    EVALUATION_PARTITION,
    GUARDRAIL_ACTION_NAMES,
    INVOKE_ACTION_NAMES,
    JOB_ACTION_NAMES,
    MANTLE_ACTION_NAMES,
    REPO_ROOT,
    RUNTIME_ENDPOINT_ACTION_NAMES,
    STORED_RESPONSE_ACTION_NAMES,
    ActionName,
    ConfigOverrides,
    Expectation,
    LoadedFile,
    Scenario,
    ScenarioError,
    ScenarioFile,
    apply_overrides,
    check_scenario_accounts,
    load_scenario_dir,
    load_scenario_file,
)
