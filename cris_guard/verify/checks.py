"""The checks of ``cris-guard verify``: the live account against the synthesized templates and the configuration.

Every AWS call is read-only (:data:`READ_ONLY_ACTIONS` lists the IAM actions, which the optional verifier role
grants exactly). An API that is unavailable or refuses the caller makes its check "not checked", with the
reason: never a traceback, never a silent pass. What differs is a ✘ that names the resource and the fix.
"""

from __future__ import annotations

import fnmatch
import json
import urllib.parse
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from cris_guard.assembly import AssemblyStack
from cris_guard.catalog import Catalog
from cris_guard.config import Config
from cris_guard.constructs.audit_alarms import METRIC_RESIDENCY_VIOLATIONS
from cris_guard.cost import APPLICATION_TAG_KEY
from cris_guard.verify.model import Verification
from cris_guard.verify.resolve import Deployed, Unresolved, normalize_policy

# The IAM actions verify needs, and nothing else: the verifier role's policy (cris_guard/constructs/verifier_role.py).
READ_ONLY_ACTIONS: tuple[str, ...] = (
    "bedrock:GetModelInvocationLoggingConfiguration",
    "bedrock:ListInferenceProfiles",
    "budgets:ViewBudget",
    "ce:ListCostAllocationTags",
    "cloudformation:DescribeStacks",
    "cloudformation:ListStackResources",
    "cloudtrail:DescribeTrails",
    "cloudtrail:GetEventSelectors",
    "cloudtrail:GetTrailStatus",
    "cloudwatch:DescribeAlarms",
    "iam:GetAccountAuthorizationDetails",
    "iam:GetPolicy",
    "iam:GetPolicyVersion",
    "iam:GetRole",
    "iam:ListAttachedRolePolicies",
    "iam:ListRolePolicies",
    "iam:SimulatePrincipalPolicy",
    "organizations:DescribePolicy",
    "organizations:ListPolicies",
    "organizations:ListTargetsForPolicy",
    "s3:GetBucketPolicy",
    "sns:ListSubscriptionsByTopic",
)
_UNAVAILABLE_CODES = {
    "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess", "AuthorizationError",
    "UnrecognizedClientException", "InvalidClientTokenId", "ExpiredToken", "ExpiredTokenException",
    "AWSOrganizationsNotInUseException", "NotImplemented", "InternalFailure", "OptInRequired",
}
_COMPLETE = {"CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE", "UPDATE_ROLLBACK_COMPLETE"}
INFERENCE_ACTION = "bedrock:InvokeModel"
PROBE_MODEL = "anthropic.claude-sonnet-4-6"


class Unavailable(Exception):
    """The API cannot be used here (access denied, not implemented by the endpoint, no credentials)."""


def call(function: Callable[..., Any], **kwargs: Any) -> Any:
    """One read-only AWS call; :class:`Unavailable` with the reason when the caller cannot make it."""
    try:
        return function(**kwargs)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code in _UNAVAILABLE_CODES or status in (403, 501) or (status or 0) >= 500 or "not yet been implemented" in str(exc):
            what = code if code and not code.isdigit() else f"HTTP {status} from the endpoint"
            raise Unavailable(f"{function.__name__}: {what}") from None
        raise
    except (BotoCoreError, NotImplementedError) as exc:
        raise Unavailable(f"{function.__name__}: {exc.__class__.__name__}") from None


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def guarded(verification: Verification, check: str, where: str, subject: str, body: Callable[[], None]) -> None:
    """Run one check's ``body``; an API the caller cannot use, a template value that cannot be resolved, or an
    answer no check expects (throttled, a new error code) becomes "not checked" with the reason, never a pass."""
    try:
        body()
    except Unavailable as exc:
        verification.add(check, where, "not-checked", subject, f"not checked: {exc}")
    except Unresolved as exc:
        verification.add(check, where, "not-checked", subject, f"not checked: the template cannot be resolved ({exc})")
    except ClientError as exc:
        verification.add(check, where, "not-checked", subject,
                         f"not checked: {exc.operation_name} failed ({_code(exc) or 'error'}); run it again")


def pages(function: Callable[..., Any], key: str, token: str = "NextToken", out_token: str | None = None,
          **kwargs: Any) -> list[Any]:
    """Every item of a paginated list call (``token`` in the request, ``out_token`` in the response)."""
    items: list[Any] = []
    while True:
        page = call(function, **kwargs)
        items += page.get(key, [])
        nxt = page.get(out_token or token)
        if not nxt or (token == "Marker" and not page.get("IsTruncated", True)):
            return items
        kwargs[token] = nxt


class Verifier:
    """Run the checks for one account; ``client(service, region)`` makes boto3 clients (tests give moto or
    Stubber clients)."""

    def __init__(self, config: Config, catalog: Catalog, stacks: Sequence[AssemblyStack], account: str,
                 client: Callable[[str, str | None], Any], verification: Verification, regions: Sequence[str] = ()):
        self.config, self.catalog, self.account, self.client = config, catalog, account, client
        self.v = verification
        self.regions = list(regions) or list(config.source_regions)
        self.stacks = [s for s in stacks if not _is_organization_stack(s) and (s.region in self.regions
                                                                              or s.region == config.budgets_region)]
        self.organization_stacks = [s for s in stacks if _is_organization_stack(s)]
        self.deployed: list[Deployed] = []

    def run(self) -> Verification:
        for step in (self._stacks, self._invocation_logging, self._trail, self._application_roles, self._who_else,
                     self._organization_guardrail, self._alerts_and_cost, self._catalog_drift):
            step()
        return self.v

    # --- helpers ---------------------------------------------------------------------------------------

    def _guarded(self, check: str, where: str, subject: str, body: Callable[[], None]) -> None:
        guarded(self.v, check, where, subject, body)

    def _stack_regions(self) -> list[str]:
        return sorted({d.region for d in self.deployed})

    # --- 0. the stacks -------------------------------------------------------------------------------

    def _stacks(self) -> None:
        for stack in self.stacks:
            region = stack.region or self.regions[0]

            def body(stack=stack, region=region) -> None:
                cfn = self.client("cloudformation", region)
                try:
                    described = call(cfn.describe_stacks, StackName=stack.stack_name)["Stacks"][0]
                except ClientError as exc:
                    if _code(exc) == "ValidationError":
                        self.v.add("stacks", region, "fail", stack.stack_name,
                                   "not deployed: run `cdk deploy` for it (its checks below are skipped)")
                        return
                    raise
                status = described.get("StackStatus", "")
                resources = pages(cfn.list_stack_resources, "StackResourceSummaries", StackName=stack.stack_name)
                physical = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources
                            if r.get("PhysicalResourceId")}
                self.deployed.append(Deployed(stack.stack_name, region, self.account, stack.template, physical,
                                              status=status, stack_id=described.get("StackId", "")))
                ok = status in _COMPLETE
                self.v.add("stacks", region, "ok" if ok else "fail", stack.stack_name,
                           f"{status}, {len(physical)} resources" if ok else
                           f"{status}: finish or roll back the deployment, then verify again")

            self._guarded("stacks", region, stack.stack_name, body)

    # --- 1. invocation logging -------------------------------------------------------------------------

    def _invocation_logging(self) -> None:
        from cris_guard.constructs.handlers.invocation_logging.index import logging_config_from_properties

        for stack in self.deployed:
            for lid, resource in stack.of_type("Custom::BedrockModelInvocationLogging").items():
                def body(stack=stack, resource=resource) -> None:
                    props = {k: v for k, v in (resource.get("Properties") or {}).items() if k != "ServiceToken"}
                    expected = logging_config_from_properties(stack.resolve(props))
                    bucket = expected["s3Config"]["bucketName"]
                    live = call(self.client("bedrock", stack.region).get_model_invocation_logging_configuration)
                    actual = live.get("loggingConfig") or {}
                    subject = f"s3://{bucket}/{expected['s3Config']['keyPrefix']}"
                    if not actual:
                        self.v.add("invocation-logging", stack.region, "fail", subject,
                                   "logging is off in this Region: redeploy the stack to put cris-guard's back")
                        return
                    differences = _differences(expected, actual)
                    if differences:
                        self.v.add("invocation-logging", stack.region, "fail", subject,
                                   "differs: " + "; ".join(differences) + ". Another tool replaced it? Agree with its"
                                   " owner, then redeploy (replace_existing_configuration decides who owns it)")
                    else:
                        self.v.add("invocation-logging", stack.region, "ok", subject,
                                   "destination and every data-delivery switch as configured")
                    self._bedrock_can_write(stack.region, bucket)

                self._guarded("invocation-logging", stack.region, lid, body)

    def _bedrock_can_write(self, region: str, bucket: str) -> None:
        try:
            policy = json.loads(call(self.client("s3", region).get_bucket_policy, Bucket=bucket)["Policy"])
        except ClientError as exc:
            reason = ("it has no bucket policy" if _code(exc) == "NoSuchBucketPolicy"
                      else f"its bucket policy cannot be read ({_code(exc)})")
            self.v.add("invocation-logging", region, "fail", f"s3://{bucket}",
                       f"{reason}: Bedrock cannot write the logs; redeploy the stack")
            return
        statements = policy.get("Statement", [])
        allows = any(s.get("Effect") == "Allow" and "bedrock.amazonaws.com" in _as_list((s.get("Principal") or {})
                     .get("Service") if isinstance(s.get("Principal"), dict) else [])
                     and any(fnmatch.fnmatchcase("s3:PutObject", a) for a in _as_list(s.get("Action")))
                     for s in statements)
        self.v.add("invocation-logging", region, "ok" if allows else "fail", f"s3://{bucket}",
                   "its bucket policy lets Bedrock write" if allows else
                   "its bucket policy no longer lets bedrock.amazonaws.com s3:PutObject: logs stop; redeploy the stack")

    # --- 2. the trail ------------------------------------------------------------------------------------

    def _trail(self) -> None:
        trails = [(d, lid, r) for d in self.deployed for lid, r in d.of_type("AWS::CloudTrail::Trail").items()]
        if not trails:
            named = self.config.audit.cloudtrail.organization_trail
            home = self.config.trail_home_region
            if self.config.audit.cloudtrail.enabled:
                return  # the home stack is not deployed: reported under "stacks"
            if named is None:
                self.v.add("trail", home, "not-checked", "organization trail",
                           "not checked: name it in audit.cloudtrail.organization_trail (its name or ARN)")
                return
            self._guarded("trail", home, named, lambda: self._check_trail(home, named, None, None))
            return
        for stack, lid, resource in trails:
            self._guarded("trail", stack.region, lid,
                          lambda stack=stack, lid=lid, resource=resource: self._check_trail(
                              stack.region, stack.ref(lid), stack, resource))

    def _check_trail(self, region: str, name: str, stack: Deployed | None, resource: Mapping | None) -> None:
        ct = self.client("cloudtrail", region)
        found = call(ct.describe_trails, trailNameList=[name], includeShadowTrails=True).get("trailList", [])
        if not found:
            self.v.add("trail", region, "fail", name, "trail not found: redeploy the stack (or name the right trail)")
            return
        trail = found[0]
        status = call(ct.get_trail_status, Name=trail.get("TrailARN") or name)
        selectors = call(ct.get_event_selectors, TrailName=trail.get("TrailARN") or name)
        problems = []
        if not status.get("IsLogging"):
            problems.append("it is not logging (StopLogging?): start it")
        if status.get("LatestDeliveryError"):
            problems.append(f"latest delivery error {status['LatestDeliveryError']}: check the bucket policy and key")
        if not trail.get("IsMultiRegionTrail"):
            problems.append("it is not multi-Region")
        if not trail.get("LogFileValidationEnabled"):
            problems.append("log-file validation is off")
        if not _records_bedrock_writes(selectors):
            problems.append("its event selectors do not capture write management events of bedrock.amazonaws.com")
        if resource is not None:
            wanted = _data_event_types((resource.get("Properties") or {}).get("AdvancedEventSelectors") or [])
            missing = sorted(wanted - _data_event_types(selectors.get("AdvancedEventSelectors") or []))
            if missing:
                problems.append(f"data events no longer recorded for {', '.join(missing)}")
        self.v.add("trail", region, "fail" if problems else "ok", name,
                   "; ".join(problems) if problems else
                   "logging, multi-Region, log-file validation, Bedrock write events and the configured data events")

    # --- 3. application roles ----------------------------------------------------------------------------

    def application_role_names(self) -> set[str]:
        return {d.physical[lid] for d in self.deployed for lid, r in d.of_type("AWS::IAM::Role").items()
                if lid in d.physical and _tag(r, APPLICATION_TAG_KEY)}

    def _application_roles(self) -> None:
        iam = self.client("iam", None)
        for stack in self.deployed:
            for lid, resource in stack.of_type("AWS::IAM::Role").items():
                application = _tag(resource, APPLICATION_TAG_KEY)
                if not application:
                    continue
                self._guarded("application-roles", stack.region, f"{application} ({lid})",
                              lambda stack=stack, lid=lid, application=application: self._check_role(
                                  iam, stack, lid, application))

    def _check_role(self, iam, stack: Deployed, lid: str, application: str) -> None:
        name = stack.ref(lid)
        subject = f"{application}: role {name}"
        try:
            call(iam.get_role, RoleName=name)
        except ClientError as exc:
            if _code(exc) == "NoSuchEntity":
                self.v.add("application-roles", stack.region, "fail", subject, "role missing: redeploy the stack")
                return
            raise
        expected: dict[str, Mapping] = {}
        for plid, policy in stack.of_type("AWS::IAM::ManagedPolicy").items():
            props = policy.get("Properties") or {}
            if {"Ref": lid} in _as_list(props.get("Roles")):
                expected[stack.ref(plid)] = stack.resolve(props.get("PolicyDocument"))
        attached = {p["PolicyArn"] for p in pages(iam.list_attached_role_policies, "AttachedPolicies", token="Marker",
                                                   out_token="Marker", RoleName=name)}
        inline = pages(iam.list_role_policies, "PolicyNames", token="Marker", out_token="Marker", RoleName=name)
        problems = [f"extra managed policy {arn}: detach it (cris-guard's role carries only its own)"
                    for arn in sorted(attached - set(expected))]
        problems += [f"synthesized policy {arn} is not attached: redeploy" for arn in sorted(set(expected) - attached)]
        problems += [f"extra inline policy {p!r}: delete it (cris-guard's roles carry none)" for p in sorted(inline)]
        for arn in sorted(set(expected) & attached):
            version = call(iam.get_policy, PolicyArn=arn)["Policy"]["DefaultVersionId"]
            document = call(iam.get_policy_version, PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
            if isinstance(document, str):
                document = json.loads(urllib.parse.unquote(document))
            if normalize_policy(document) != normalize_policy(expected[arn]):
                problems.append(f"policy {arn.rsplit('/', 1)[-1]} differs from the synthesized document:"
                                " someone edited it; redeploy")
        self.v.add("application-roles", stack.region, "fail" if problems else "ok", subject,
                   "; ".join(problems) if problems else
                   f"exactly its {len(expected)} synthesized managed polic{'y' if len(expected) == 1 else 'ies'}")

    # --- 4. who else can leave the EU ----------------------------------------------------------------------

    def probes(self) -> list[tuple[str, str, list[dict]]]:
        """(what, resource ARN, context entries) of the three requests that leave the EU."""
        region, account = self.regions[0], self.account

        def context(requested: str, profile: str | None) -> list[dict]:
            entries = [{"ContextKeyName": "aws:RequestedRegion", "ContextKeyValues": [requested],
                        "ContextKeyType": "string"}]
            if profile:
                entries.append({"ContextKeyName": "bedrock:InferenceProfileArn", "ContextKeyValues": [profile],
                                "ContextKeyType": "string"})
            return entries

        global_profile = f"arn:aws:bedrock:{region}:{account}:inference-profile/global.{PROBE_MODEL}"
        us_profile = f"arn:aws:bedrock:{region}:{account}:inference-profile/us.{PROBE_MODEL}"
        return [
            ("a global. profile", global_profile, context(region, global_profile)),
            ("a model invoked directly in us-east-1", f"arn:aws:bedrock:us-east-1::foundation-model/{PROBE_MODEL}",
             context("us-east-1", None)),
            ("a non-EU geography profile (us.)", us_profile, context(region, us_profile)),
        ]

    def _who_else(self) -> None:
        self._guarded("who-else", "account", "IAM principals", self._check_who_else)

    def _check_who_else(self) -> None:
        iam = self.client("iam", None)
        details = _authorization_details(iam)
        documents = {p["Arn"]: next((v["Document"] for v in p.get("PolicyVersionList", []) if v.get("IsDefaultVersion")),
                                    {}) for p in details["Policies"]}
        groups = {g["GroupName"]: g for g in details["GroupDetailList"]}
        own = self.application_role_names()
        candidates, service_linked = [], []
        for kind, items, inline_key in (("role", details["RoleDetailList"], "RolePolicyList"),
                                        ("user", details["UserDetailList"], "UserPolicyList"),
                                        ("group", details["GroupDetailList"], "GroupPolicyList")):
            for item in items:
                name = item.get(f"{kind.title()}Name", "")
                if kind == "role" and name in own:
                    continue  # checked under application roles
                docs = [_document(p.get("PolicyDocument")) for p in item.get(inline_key, [])]
                docs += [_document(documents.get(p["PolicyArn"], {})) for p in item.get("AttachedManagedPolicies", [])]
                for group in item.get("GroupList", []) if kind == "user" else []:
                    g = groups.get(group, {})
                    docs += [_document(p.get("PolicyDocument")) for p in g.get("GroupPolicyList", [])]
                    docs += [_document(documents.get(p["PolicyArn"], {})) for p in g.get("AttachedManagedPolicies", [])]
                if not could_allow(docs, INFERENCE_ACTION):
                    continue
                if kind == "role" and str(item.get("Path", "")).startswith("/aws-service-role/"):
                    service_linked.append(item["Arn"])
                else:
                    candidates.append((kind, item["Arn"]))
        for arn in service_linked:
            self.v.add("who-else", "account", "info", arn,
                       "service-linked role whose AWS-managed policy allows Bedrock inference: used by that AWS"
                       " service only, listed apart, not judged")
        if not candidates:
            self.v.add("who-else", "account", "ok", "IAM principals",
                       "no role, user or group other than cris-guard's has a policy that could allow Bedrock inference")
            return
        try:
            for kind, arn in candidates:
                self._simulate(iam, kind, arn)
        except Unavailable as exc:
            names = ", ".join(a.rsplit("/", 1)[-1] for _, a in candidates)
            self.v.add("who-else", "account", "not-checked", f"{len(candidates)} principal(s)",
                       f"not checked: their policies could allow Bedrock inference ({names}), and IAM's evaluator"
                       f" cannot be used ({exc})")

    def _simulate(self, iam, kind: str, arn: str) -> None:
        allowed = []
        for what, resource, context in self.probes():
            response = call(iam.simulate_principal_policy, PolicySourceArn=arn, ActionNames=[INFERENCE_ACTION],
                            ResourceArns=[resource], ContextEntries=context)
            for result in response.get("EvaluationResults", []):
                if result.get("EvalDecision") == "allowed":
                    sources = sorted({m.get("SourcePolicyId", "?") for m in result.get("MatchedStatements", [])})
                    allowed.append(f"{what} (allowed by {', '.join(sources) or 'a policy'})")
        if allowed:
            self.v.add("who-else", "account", "fail", f"{kind} {arn}",
                       "can reach " + "; ".join(allowed) + ": scope its policy to cris-guard's EU profiles or add an"
                       " explicit deny (README, Who else can leave the EU)")
        else:
            self.v.add("who-else", "account", "ok", f"{kind} {arn}",
                       "its policies mention Bedrock, but IAM denies all three probes")

    # --- 5. the organization guardrail ---------------------------------------------------------------------

    def _organization_guardrail(self) -> None:
        wanted = self.config.organization_guardrail
        if wanted is None:
            return
        for stack in self.organization_stacks:
            for lid, resource in stack.resources.items():
                if resource.get("Type") != "AWS::Organizations::Policy":
                    continue
                props = resource.get("Properties") or {}
                self._guarded("organization-guardrail", "organization", str(props.get("Name", lid)),
                              lambda props=props: self._check_scp(props, wanted))

    def _check_scp(self, props: Mapping, wanted) -> None:
        org = self.client("organizations", "us-east-1")
        name = str(props.get("Name"))
        found = [p for p in pages(org.list_policies, "Policies", Filter="SERVICE_CONTROL_POLICY") if p.get("Name") == name]
        if not found:
            self.v.add("organization-guardrail", "organization", "fail", name,
                       "SCP not found: deploy the organization stack in the management account")
            return
        policy = call(org.describe_policy, PolicyId=found[0]["Id"])["Policy"]
        content = props.get("Content")
        expected = content if isinstance(content, dict) else json.loads(str(content))
        problems = []
        if normalize_policy(json.loads(policy.get("Content", "{}"))) != normalize_policy(expected):
            problems.append("its content differs from the synthesized one: someone edited it; redeploy")
        targets = {t["TargetId"] for t in pages(org.list_targets_for_policy, "Targets", PolicyId=found[0]["Id"])}
        configured = set(props.get("TargetIds") or wanted.target_ids)
        if targets != configured:
            problems.append(f"attached to {sorted(targets)}, configured {sorted(configured)}")
        self.v.add("organization-guardrail", "organization", "fail" if problems else "ok", name,
                   "; ".join(problems) if problems else f"synthesized content, attached to {sorted(targets)}")

    # --- 6. alerts and cost -----------------------------------------------------------------------------------

    def _alerts_and_cost(self) -> None:
        for stack in self.deployed:
            for lid, resource in stack.of_type("AWS::Budgets::Budget").items():
                self._guarded("alerts-and-cost", stack.region, lid,
                              lambda stack=stack, resource=resource: self._check_budget(stack, resource))
            for lid in stack.of_type("AWS::SNS::Topic"):
                self._guarded("alerts-and-cost", stack.region, lid,
                              lambda stack=stack, lid=lid: self._check_topic(stack, stack.ref(lid)))
            alarms = [lid for lid, r in stack.of_type("AWS::CloudWatch::Alarm").items()
                      if (r.get("Properties") or {}).get("MetricName") == METRIC_RESIDENCY_VIOLATIONS]
            if alarms:
                self._guarded("alerts-and-cost", stack.region, "residency alarms",
                              lambda stack=stack, alarms=alarms: self._check_alarms(stack, alarms))
        self._guarded("alerts-and-cost", "account", f"cost-allocation tag {APPLICATION_TAG_KEY}", self._check_tags)

    def _check_budget(self, stack: Deployed, resource: Mapping) -> None:
        props = stack.resolve((resource.get("Properties") or {}))
        name = str(props["Budget"].get("BudgetName"))
        budgets = self.client("budgets", "us-east-1")
        try:
            call(budgets.describe_budget, AccountId=self.account, BudgetName=name)
        except ClientError as exc:
            if _code(exc) == "NotFoundException":
                self.v.add("alerts-and-cost", stack.region, "fail", f"budget {name}", "missing: redeploy the stack")
                return
            raise
        found = call(budgets.describe_notifications_for_budget, AccountId=self.account, BudgetName=name)
        have, want = len(found.get("Notifications", [])), len(props.get("NotificationsWithSubscribers") or [])
        self.v.add("alerts-and-cost", stack.region, "ok" if have >= want else "fail", f"budget {name}",
                   f"{have} notifications" if have >= want else f"{have} of {want} notifications left: redeploy")

    def _check_topic(self, stack: Deployed, topic_arn: str) -> None:
        sns = self.client("sns", stack.region)
        subscriptions = pages(sns.list_subscriptions_by_topic, "Subscriptions", TopicArn=topic_arn)
        emails = {s.get("Endpoint"): s.get("SubscriptionArn") for s in subscriptions if s.get("Protocol") == "email"}
        pending = sorted(e for e, arn in emails.items() if arn == "PendingConfirmation")
        missing = sorted(set(self.config.alerts.emails) - set(emails))
        problems = [f"{e} has not confirmed its subscription: alerts reach no one there (SNS deletes unconfirmed"
                    " subscriptions after 48 hours); confirm it or subscribe again" for e in pending]
        problems += [f"{e} is not subscribed (expired or removed): redeploy or subscribe it" for e in missing]
        name = topic_arn.rsplit(":", 1)[-1]
        self.v.add("alerts-and-cost", stack.region, "fail" if problems else "ok", f"topic {name}",
                   "; ".join(problems) if problems else f"{len(emails)} confirmed e-mail subscription(s)")

    def _check_alarms(self, stack: Deployed, alarms: list[str]) -> None:
        names = [stack.ref(lid) for lid in alarms]
        found = call(self.client("cloudwatch", stack.region).describe_alarms, AlarmNames=names).get("MetricAlarms", [])
        states = {a["AlarmName"]: a.get("StateValue") for a in found}
        for name in names:
            state = states.get(name)
            status = "ok" if state in ("OK", "INSUFFICIENT_DATA") else "fail"
            detail = {None: "missing: redeploy the stack",
                      "ALARM": "in ALARM: inference ran outside the allowed Regions; run `cris-guard evidence`"}.get(
                state, f"{state}")
            self.v.add("alerts-and-cost", stack.region, status, f"alarm {name}", detail)

    def _check_tags(self) -> None:
        ce = self.client("ce", "us-east-1")
        tags = pages(ce.list_cost_allocation_tags, "CostAllocationTags", TagKeys=[APPLICATION_TAG_KEY])
        status = next((t.get("Status") for t in tags if t.get("TagKey") == APPLICATION_TAG_KEY), None)
        self.v.add("alerts-and-cost", "account", "ok" if status == "Active" else "fail",
                   f"cost-allocation tag {APPLICATION_TAG_KEY}",
                   "active: the per-application budgets count spend" if status == "Active" else
                   f"{status or 'not found'}: the per-application budgets count nothing until it is activated"
                   " (Billing console, Cost allocation tags; or `aws ce update-cost-allocation-tags-status`)")

    # --- 7. catalog drift -------------------------------------------------------------------------------------

    def _catalog_drift(self) -> None:
        approved = sorted({p for a in self.config.applications for p in a.profiles})
        for region in self.regions:
            self._guarded("catalog-drift", region, "inference profiles",
                          lambda region=region: self._check_drift(region, approved))

    def _check_drift(self, region: str, approved: list[str]) -> None:
        bedrock = self.client("bedrock", region)
        live = {}
        for summary in pages(bedrock.list_inference_profiles, "inferenceProfileSummaries", token="nextToken",
                             typeEquals="SYSTEM_DEFINED"):
            live[summary["inferenceProfileId"]] = {m["modelArn"].split(":")[3] for m in summary.get("models", [])}
        for pid in approved:
            expected = set(self.catalog.destinations(pid, region))
            if pid not in live:
                self.v.add("catalog-drift", region, "fail", pid, "Bedrock no longer offers it here: approve another")
            elif live[pid] != expected:
                self.v.add("catalog-drift", region, "fail", pid,
                           f"routes to {', '.join(sorted(live[pid]))}; the catalog says {', '.join(sorted(expected))}:"
                           " run `cris-guard catalog refresh`, review, redeploy")
            else:
                self.v.add("catalog-drift", region, "ok", pid, f"routes as catalogued ({len(expected)} Regions)")
        new = sorted(p for p in live if p.startswith("eu.") and self.catalog.get(p) is None)
        if new:
            self.v.add("catalog-drift", region, "info", f"{len(new)} new eu. profile(s)", ", ".join(new))


# --- pure helpers ------------------------------------------------------------------------------------------

def _is_organization_stack(stack: AssemblyStack) -> bool:
    return any(r.get("Type") == "AWS::Organizations::Policy" for r in stack.resources.values())


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else ([] if value is None else [value])


def _tag(resource: Mapping, key: str) -> str:
    for tag in (resource.get("Properties") or {}).get("Tags") or []:
        if tag.get("Key") == key:
            return str(tag.get("Value"))
    return ""


def _document(value: Any) -> Mapping:
    if isinstance(value, str):
        try:
            return json.loads(urllib.parse.unquote(value))
        except ValueError:
            return {}
    return value if isinstance(value, Mapping) else {}


def could_allow(documents: Iterable[Mapping], action: str) -> bool:
    """Whether any Allow statement of ``documents`` could match ``action`` (by Action, or by a NotAction that does
    not exclude it); conditions and resources are left to IAM's evaluator. A cheap filter before simulating."""
    action = action.lower()
    for document in documents:
        statements = document.get("Statement", []) if isinstance(document, Mapping) else []
        for statement in statements if isinstance(statements, list) else [statements]:
            if not isinstance(statement, Mapping) or statement.get("Effect") != "Allow":
                continue
            if "Action" in statement and any(fnmatch.fnmatchcase(action, str(a).lower())
                                             for a in _as_list(statement["Action"])):
                return True
            if "NotAction" in statement and not any(fnmatch.fnmatchcase(action, str(a).lower())
                                                    for a in _as_list(statement["NotAction"])):
                return True
    return False


def _authorization_details(iam) -> dict[str, list]:
    merged: dict[str, list] = {"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [], "Policies": []}
    kwargs: dict[str, Any] = {"Filter": ["User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy"]}
    while True:
        page = call(iam.get_account_authorization_details, **kwargs)
        for key in merged:
            merged[key] += page.get(key, [])
        if not page.get("IsTruncated") or not page.get("Marker"):
            return merged
        kwargs["Marker"] = page["Marker"]


def _differences(expected: Mapping, actual: Mapping, path: str = "") -> list[str]:
    found = []
    for key, value in expected.items():
        where = f"{path}{key}"
        have = actual.get(key)
        if isinstance(value, Mapping):
            found += _differences(value, have if isinstance(have, Mapping) else {}, where + ".")
        elif have != value:
            found.append(f"{where} is {have!r}, expected {value!r}")
    if not path and actual.get("cloudWatchConfig") and "cloudWatchConfig" not in expected:
        found.append("cloudWatchConfig is set, not configured")
    return found


def _records_bedrock_writes(selectors: Mapping) -> bool:
    for selector in selectors.get("EventSelectors") or []:
        if (selector.get("IncludeManagementEvents") and selector.get("ReadWriteType") in ("All", "WriteOnly")
                and "bedrock.amazonaws.com" not in (selector.get("ExcludeManagementEventSources") or [])):
            return True
    for selector in selectors.get("AdvancedEventSelectors") or []:
        fields = {f.get("Field"): f for f in selector.get("FieldSelectors", [])}
        category = fields.get("eventCategory", {})
        if "Management" not in (category.get("Equals") or []):
            continue
        if "true" in (fields.get("readOnly", {}).get("Equals") or []):
            continue
        source = fields.get("eventSource", {})
        if "bedrock.amazonaws.com" in (source.get("NotEquals") or []):
            continue
        if source.get("Equals") and "bedrock.amazonaws.com" not in source["Equals"]:
            continue
        return True
    return False


def _data_event_types(selectors: Iterable[Mapping]) -> set[str]:
    types: set[str] = set()
    for selector in selectors:
        for field in selector.get("FieldSelectors", []) or []:
            if field.get("Field") == "resources.type":
                types |= set(field.get("Equals") or [])
    return types
