"""`cris-guard verify` against a moto account that holds what the default configuration deploys: all ✔, then
each drift, injected one at a time, turns exactly its check ✘ with a message naming the resource. What moto
does not implement (SimulatePrincipalPolicy, ListCostAllocationTags, ListInferenceProfiles) is answered by
botocore Stubbers with responses shaped like the real API, including access denied ("not checked")."""

from __future__ import annotations

import json
import os
from contextlib import contextmanager

import boto3
import pytest
from botocore.stub import Stubber

from cris_guard.assembly import read_assembly
from cris_guard.cost import APPLICATION_TAG_KEY
from cris_guard.verify.checks import READ_ONLY_ACTIONS, Verifier, could_allow
from cris_guard.verify.model import Verification

from .conftest import TEST_ACCOUNT
from .moto_account import FakeCloudFormation, Proxy, deploy, open_role

CENTRAL, WEST = "acme-genai-eu-central-1", "acme-genai-eu-west-1"


@pytest.fixture(scope="module")
def stacks(default_assembly):
    return read_assembly(default_assembly.directory).stacks


def live_profiles(catalog, region, approved):
    """ListInferenceProfiles (SYSTEM_DEFINED) as Bedrock would answer it, from the catalog."""
    summaries = []
    for pid in approved:
        models = [{"modelArn": f"arn:aws:bedrock:{r}::foundation-model/{pid.split('.', 1)[1]}"}
                  for r in catalog.destinations(pid, region)]
        summaries.append({"inferenceProfileName": pid, "inferenceProfileArn": f"arn:aws:bedrock:{region}:{TEST_ACCOUNT}:"
                          f"inference-profile/{pid}", "inferenceProfileId": pid, "status": "ACTIVE",
                          "type": "SYSTEM_DEFINED", "models": models})
    return {"inferenceProfileSummaries": summaries}


class Account:
    """The moto account, its deployment, and the stubbed APIs moto lacks."""

    def __init__(self, stacks, config, catalog):
        self.config, self.catalog = config, catalog
        self._clients = {}
        self.deployment = deploy(stacks, TEST_ACCOUNT, self.moto)
        self.tag_status = "Active"
        self.simulations: list[str] = []  # decisions to answer, in order ("allowed"/"implicitDeny"/"denied-access")
        self.profiles = {r: live_profiles(catalog, r, sorted({p for a in config.applications for p in a.profiles}))
                         for r in config.source_regions}
        self.tags_denied = False

    _clients: dict = {}

    def moto(self, service, region):
        key = (service, region or "us-east-1")
        if key not in self._clients:
            self._clients[key] = boto3.client(service, region_name=key[1])
        return self._clients[key]

    def factory(self, service, region):
        if service == "cloudformation":
            return FakeCloudFormation(self.deployment, region)
        client = self.moto(service, region)
        if service == "iam":
            return Proxy(client, simulate_principal_policy=self._simulate)
        if service == "ce":
            return Proxy(client, list_cost_allocation_tags=self._tags)
        if service == "bedrock":
            return Proxy(client, list_inference_profiles=lambda **kw: self.profiles[region])
        return client

    def _stubbed(self, service, method, response=None, error=None, params=None):
        client = boto3.client(service, region_name="us-east-1")
        stub = Stubber(client)
        if error:
            stub.add_client_error(method, error, http_status_code=403)
        else:
            stub.add_response(method, response, params)
        stub.activate()
        return getattr(client, method)

    def _simulate(self, **kwargs):
        decision = self.simulations.pop(0)
        if decision == "denied-access":
            return self._stubbed("iam", "simulate_principal_policy", error="AccessDenied")(**kwargs)
        response = {"EvaluationResults": [{"EvalActionName": "bedrock:InvokeModel", "EvalResourceName": kwargs["ResourceArns"][0],
                                           "EvalDecision": decision, "MatchedStatements": [
                                               {"SourcePolicyId": "wide-open", "SourcePolicyType": "IAM Policy"}]
                                           if decision == "allowed" else []}]}
        return self._stubbed("iam", "simulate_principal_policy", response, params=kwargs)(**kwargs)

    def _tags(self, **kwargs):
        if self.tags_denied:
            return self._stubbed("ce", "list_cost_allocation_tags", error="AccessDeniedException")(**kwargs)
        response = {"CostAllocationTags": [{"TagKey": APPLICATION_TAG_KEY, "Type": "UserDefined",
                                            "Status": self.tag_status}]}
        return self._stubbed("ce", "list_cost_allocation_tags", response, params=kwargs)(**kwargs)

    def verify(self, stacks) -> Verification:
        verification = Verification(TEST_ACCOUNT, "config/default.yaml")
        return Verifier(self.config, self.catalog, stacks, TEST_ACCOUNT, self.factory, verification).run()


@contextmanager
def moto_account(stacks, config, catalog):
    from moto import mock_aws

    previous = os.environ.get("MOTO_ACCOUNT_ID")
    os.environ["MOTO_ACCOUNT_ID"] = TEST_ACCOUNT
    try:
        with mock_aws():
            yield Account(stacks, config, catalog)
    finally:
        if previous is None:
            os.environ.pop("MOTO_ACCOUNT_ID", None)
        else:
            os.environ["MOTO_ACCOUNT_ID"] = previous


def failed(verification):
    return [(r.check, r.where, r.subject, r.detail) for r in verification.results if r.status == "fail"]


def _iam_action(service: str, method: str) -> str:
    """The IAM action of a boto3 method (Budgets' reads are all budgets:ViewBudget)."""
    if service == "budgets":
        return "budgets:ViewBudget"
    return f"{service}:" + "".join(part.title() for part in method.split("_"))


def test_the_deployed_default_configuration_is_all_green(stacks, default_config, catalog):
    calls = set()
    with moto_account(stacks, default_config, catalog) as account:
        factory = account.factory

        class Recording:
            def __init__(self, service, client):
                self.service, self.client = service, client

            def __getattr__(self, name):
                calls.add(_iam_action(self.service, name))
                return getattr(self.client, name)

        account.factory = lambda service, region: Recording(service, factory(service, region))
        verification = account.verify(stacks)
    # Every call verify made is one the verifier role grants (and so, read-only).
    assert calls and calls <= set(READ_ONLY_ACTIONS), calls - set(READ_ONLY_ACTIONS)
    assert failed(verification) == []
    assert [r for r in verification.results if r.status == "not-checked"] == []
    counts = {check: sum(1 for r in verification.results if r.check == check) for check in
              ("stacks", "invocation-logging", "trail", "application-roles", "who-else", "alerts-and-cost",
               "catalog-drift")}
    # 2 stacks; logging config + bucket policy per Region; one trail; 2 roles x 2 Regions; nobody else;
    # 3 budgets + 2 topics + 2 residency alarms + the tag; 4 approved profiles x 2 Regions.
    assert counts == {"stacks": 2, "invocation-logging": 4, "trail": 1, "application-roles": 4, "who-else": 1,
                      "alerts-and-cost": 8, "catalog-drift": 8}
    assert verification.passed and "✔ PASS" in verification.table()



def test_an_api_the_caller_may_not_use_is_not_checked_never_a_pass(stacks, default_config, catalog):
    with moto_account(stacks, default_config, catalog) as account:
        open_role(account.moto("iam", None))
        account.simulations = ["denied-access"]
        account.tags_denied = True
        verification = account.verify(stacks)
    skipped = [(r.check, r.subject, r.detail) for r in verification.results if r.status == "not-checked"]
    assert skipped == [
        ("who-else", "1 principal(s)", "not checked: their policies could allow Bedrock inference (data-science-notebook),"
         " and IAM's evaluator cannot be used (simulate_principal_policy: AccessDenied)"),
        ("alerts-and-cost", "cost-allocation tag cris-guard:application",
         "not checked: list_cost_allocation_tags: AccessDeniedException"),
    ]
    assert verification.passed  # nothing is ✘; the report says what was not checked


def test_a_stack_that_is_not_deployed_fails_and_its_checks_are_skipped(stacks, default_config, catalog):
    with moto_account([s for s in stacks if s.stack_name == CENTRAL], default_config, catalog) as account:
        verification = account.verify(stacks)
    assert failed(verification)[0] == ("stacks", "eu-west-1", WEST,
                                       "not deployed: run `cdk deploy` for it (its checks below are skipped)")
    assert not [r for r in verification.results if r.where == "eu-west-1" and r.check == "application-roles"]


def test_the_prefilter_and_the_verifier_actions():
    assert could_allow([{"Statement": [{"Effect": "Allow", "Action": "bedrock:Invoke*", "Resource": "*"}]}], "bedrock:InvokeModel")
    assert could_allow([{"Statement": {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}}], "bedrock:InvokeModel")
    assert not could_allow([{"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"},
                                           {"Effect": "Allow", "Action": ["s3:*", "bedrock:List*"], "Resource": "*"}]}],
                           "bedrock:InvokeModel")
    # Every API verify calls is in the verifier role's actions, and only read-only ones.
    assert all(a.split(":")[1].startswith(("Get", "List", "Describe", "View", "Simulate")) for a in READ_ONLY_ACTIONS)


def test_the_verifier_role_grants_exactly_what_verify_calls_and_is_nag_clean():
    import aws_cdk as cdk

    from cris_guard.constructs.verifier_role import VerifierRole

    from .cdk_helpers import Synth, env_stack, nag_findings

    app = cdk.App()
    stack = env_stack(app, "Verifier", "eu-central-1")
    construct = VerifierRole(stack, "VerifierRole", principals=["arn:aws:iam::444455556666:role/auditor"])
    synth = Synth(app, stack, construct)
    (statement,) = synth.props(construct.policy)["PolicyDocument"]["Statement"]
    assert statement["Action"] == sorted(READ_ONLY_ACTIONS) and statement["Resource"] == "*"
    assert synth.props(construct.role)["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "AWS": "arn:aws:iam::444455556666:role/auditor"}
    assert nag_findings(synth) == []  # cfn-lint and checkov run on it in the stockholm-paris example
    with pytest.raises(ValueError, match="principals: give at least one role ARN"):
        VerifierRole(stack, "Empty", principals=[])


def _organization_stack(target_id: str, content: dict):
    from cris_guard.assembly import AssemblyStack

    template = {"Resources": {"GuardrailPolicy1234": {"Type": "AWS::Organizations::Policy", "Properties": {
        "Name": "acme-genai-bedrock-residency", "Type": "SERVICE_CONTROL_POLICY", "TargetIds": [target_id],
        "Content": content}}}}
    return AssemblyStack("acme-genai-organization-guardrail", "us-east-1", template, "unused.json")


SCP = {"Version": "2012-10-17", "Statement": [{"Sid": "DenyBedrockOutsideEu", "Effect": "Deny",
                                               "Action": ["bedrock:InvokeModel"], "Resource": "*",
                                               "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-central-1"]}}}]}


@pytest.mark.parametrize("drift", ["none", "detached", "edited"])
def test_the_organization_guardrail_is_checked_against_the_synthesized_scp(stacks, default_config, catalog, drift):
    from cris_guard.config import OrganizationGuardrail

    with moto_account(stacks, default_config, catalog) as account:
        org = account.moto("organizations", "us-east-1")
        org.create_organization(FeatureSet="ALL")
        root = org.list_roots()["Roots"][0]["Id"]
        ou = org.create_organizational_unit(ParentId=root, Name="workloads")["OrganizationalUnit"]["Id"]
        policy = org.create_policy(Content=json.dumps(SCP), Description="d", Name="acme-genai-bedrock-residency",
                                   Type="SERVICE_CONTROL_POLICY")["Policy"]["PolicySummary"]["Id"]
        org.attach_policy(PolicyId=policy, TargetId=ou)
        if drift == "detached":
            org.detach_policy(PolicyId=policy, TargetId=ou)
        if drift == "edited":
            org.update_policy(PolicyId=policy, Content=json.dumps({**SCP, "Statement": []}))
        account.config = default_config.model_copy(update={"organization_guardrail": OrganizationGuardrail(
            management_account="999988887777", target_ids=[ou])})
        verification = account.verify([*stacks, _organization_stack(ou, SCP)])
    results = [(r.status, r.detail) for r in verification.results if r.check == "organization-guardrail"]
    expected = {"none": ("ok", f"synthesized content, attached to ['{ou}']"),
                "detached": ("fail", f"attached to [], configured ['{ou}']"),
                "edited": ("fail", "its content differs from the synthesized one: someone edited it; redeploy")}
    assert results == [expected[drift]]


@pytest.mark.parametrize("present", [True, False])
def test_an_organization_trail_named_in_the_configuration_gets_the_same_checks(default_config, catalog, present):
    from moto import mock_aws

    audit = default_config.audit.model_copy(update={"cloudtrail": default_config.audit.cloudtrail.model_copy(
        update={"enabled": False, "organization_trail": "org-main"})})
    config = default_config.model_copy(update={"audit": audit})
    with mock_aws():
        s3 = boto3.client("s3", region_name="eu-central-1")
        s3.create_bucket(Bucket="org-trail-logs", CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
        trail = boto3.client("cloudtrail", region_name="eu-central-1")
        if present:
            trail.create_trail(Name="org-main", S3BucketName="org-trail-logs", IsMultiRegionTrail=True,
                               EnableLogFileValidation=False)
            trail.start_logging(Name="org-main")
            # Basic selectors, as AWS gives a new trail: all management events, read and write.
            trail.put_event_selectors(TrailName="org-main", EventSelectors=[
                {"ReadWriteType": "All", "IncludeManagementEvents": True}])
        verification = Verification(TEST_ACCOUNT, "c")
        Verifier(config, catalog, [], TEST_ACCOUNT, lambda service, region: boto3.client(service, region_name=region),
                 verification)._trail()
    expected = ("fail", "org-main", "log-file validation is off") if present else (
        "fail", "org-main", "trail not found: redeploy the stack (or name the right trail)")
    (result,) = verification.results
    assert (result.status, result.subject, result.detail) == expected


def test_ref_aws_stack_id_resolves_to_the_described_stack_id_and_is_never_guessed():
    from cris_guard.verify.resolve import Deployed, Unresolved

    stack_id = "arn:aws:cloudformation:eu-central-1:111122223333:stack/acme-genai-eu-central-1/1234"
    described = Deployed("acme-genai-eu-central-1", "eu-central-1", "111122223333", {}, stack_id=stack_id)
    assert described.resolve({"Ref": "AWS::StackId"}) == stack_id
    assert described.resolve({"Fn::Sub": "${AWS::StackName}"}) == "acme-genai-eu-central-1"
    with pytest.raises(Unresolved):
        Deployed("acme-genai-eu-central-1", "eu-central-1", "111122223333", {}).resolve({"Ref": "AWS::StackId"})
