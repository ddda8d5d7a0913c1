"""CDK feature flags: cdk.json sets every flag the pinned aws-cdk-lib recommends, and cris-guard's templates
keep their guarantees both in a library user's app that sets no flags and with all of them (cdk.json's).

Three of the recommended flags change cris-guard's templates (docs/feature-flags.md):
``@aws-cdk/core:enablePartitionLiterals`` writes ``arn:aws:…`` where CDK wrote ``arn:${AWS::Partition}:…``
(every cris-guard stack has a Region, so CDK knows the partition), ``@aws-cdk/aws-iam:minimizePolicies``
sorts the actions of CDK-built policy statements, and ``@aws-cdk/core:defaultCrossStackReferences: weak``
turns the overflow shards' references to the governance stack's alert topic from ``Fn::ImportValue`` of an
export into ``Fn::GetStackOutput``. A fourth, ``@aws-cdk/core:explicitStackTags``, would drop the stacks'
own tags; app_builder tags the stacks explicitly, so it changes nothing. The tests below synthesize the
default configuration (and a configuration with an overflow shard) both ways and check what those flags
touch: KMS key policies, bucket and topic policies, the trail's delivery policy, the logging handler's
policy, the application inference profiles' source, the tamper alarm's filter, the shards' budget alerts
and the stack tags.
"""

from __future__ import annotations

import importlib.metadata
import json
import tarfile
from pathlib import Path
from typing import Any

import pytest

from .conftest import CDK_CONTEXT, REPO_ROOT, TEST_ACCOUNT, cached_synthesis

ACCOUNT = TEST_ACCOUNT


def recommended_flags() -> dict[str, Any]:
    """aws-cdk-lib's own list of recommended flag values (what ``cdk init`` writes into cdk.json), read
    from the jsii tarball that the installed aws-cdk-lib runs: no network, and always its version's list."""
    import aws_cdk

    version = importlib.metadata.version("aws-cdk-lib")
    tarball = Path(aws_cdk.__file__).parent / "_jsii" / f"aws-cdk-lib@{version}.jsii.tgz"
    with tarfile.open(tarball, "r|gz") as archive:  # streamed, stopping at the file: 0.3 s, not 2 s
        for member in archive:
            if member.name == "package/recommended-feature-flags.json":
                return json.load(archive.extractfile(member))
    raise AssertionError(f"{tarball} holds no package/recommended-feature-flags.json")


def unconfigured_flags(assembly) -> list[str]:
    """The flags ``cdk synth`` counts in "N feature flags are not configured": the CLI's rule (aws-cdk
    lib/commands/flags/operations.js, filterNeedsAttention) applied to the assembly's feature-flag report:
    not set by the app, and their unset behaviour is not the recommended value."""
    manifest = json.loads((Path(assembly.directory) / "manifest.json").read_text())
    report = manifest["artifacts"]["aws-cdk-lib/feature-flag-report"]["properties"]["flags"]
    obsolete = {"@aws-cdk/core:enableStackNameDuplicates", "@aws-cdk/aws-s3:grantWriteWithoutAcl",
                "@aws-cdk/aws-kms:defaultKeyPolicies"}  # the CLI's OBSOLETE_FLAGS
    return sorted(
        name for name, flag in report.items()
        if name not in obsolete and flag.get("userValue") is None
        and (flag.get("unconfiguredBehavesLike") or {}).get("v2", False) != flag.get("recommendedValue")
    )


@pytest.fixture(scope="module")
def bare_assembly(catalog, default_config, tmp_path_factory):
    """The default configuration in an app that sets no feature flags (a library user's bare ``cdk.App()``)."""
    from cris_guard.app_builder import build_app

    outdir = tmp_path_factory.mktemp("cdk.out-no-flags")
    return cached_synthesis(
        "default-no-flags", (REPO_ROOT / "config" / "default.yaml").read_bytes(), outdir,
        lambda: build_app(default_config, catalog, outdir=str(outdir), default_account=ACCOUNT).synth())


@pytest.fixture(scope="module", params=["no flags", "cdk.json flags"])
def synthesized(request, bare_assembly, default_assembly):
    """Each way in turn: {stack name: (Region, template)}."""
    assembly = bare_assembly if request.param == "no flags" else default_assembly
    return {s.stack_name: (s.environment.region, s.template) for s in assembly.stacks}


# --- resolving a template as CloudFormation would, in the test account ---

def resolved(value: Any, region: str) -> Any:
    """``value`` with pseudo parameters replaced by their values in ``ACCOUNT`` and ``region``, ``Fn::Join``
    of strings joined, and every other ``Ref`` / ``Fn::GetAtt`` as a ``<LogicalId>`` / ``<LogicalId.Attr>``
    placeholder: so ``arn:${AWS::Partition}:…`` and ``arn:aws:…`` compare equal, and nothing else does."""
    if isinstance(value, list):
        return [resolved(v, region) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        (key, arg), = value.items()
        if key == "Ref":
            pseudo = {"AWS::Partition": "aws", "AWS::AccountId": ACCOUNT, "AWS::Region": region,
                      "AWS::URLSuffix": "amazonaws.com"}
            return pseudo.get(arg, f"<{arg}>")
        if key == "Fn::GetAtt":
            return "<{}.{}>".format(*(arg if isinstance(arg, list) else arg.split(".", 1)))
        if key == "Fn::Join":
            separator, parts = arg
            parts = resolved(parts, region)
            return separator.join(parts) if all(isinstance(p, str) for p in parts) else {"Fn::Join": [separator, parts]}
    return {k: resolved(v, region) for k, v in value.items()}


def _actions_sorted(value: Any) -> Any:
    """``value`` with the actions and resources of every policy statement sorted (minimizePolicies sorts
    them)."""
    if isinstance(value, list):
        return [_actions_sorted(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = {k: _actions_sorted(v) for k, v in value.items()}
    if "Effect" in out:
        for key in ("Action", "NotAction", "Resource", "NotResource"):
            if isinstance(out.get(key), list):
                out[key] = sorted(out[key], key=lambda item: json.dumps(item, sort_keys=True))
    return out


def comparable(template: dict, region: str) -> dict:
    """The template as deployed means it: resolved, actions sorted, without CDK's metadata (construct paths
    and the CDKMetadata resource, whose usage data the flags extend)."""
    resources = {lid: {k: v for k, v in r.items() if k != "Metadata"}
                 for lid, r in template["Resources"].items() if r["Type"] != "AWS::CDK::Metadata"}
    return _actions_sorted(resolved({**template, "Resources": resources}, region))


def resources_of(template: dict, prefix: str, cfn_type: str) -> dict[str, dict]:
    found = {lid: r for lid, r in template["Resources"].items() if lid.startswith(prefix) and r["Type"] == cfn_type}
    assert found, f"no {cfn_type} {prefix}* in the template"
    return found


def one(template: dict, prefix: str, cfn_type: str) -> dict:
    (resource,) = resources_of(template, prefix, cfn_type).values()
    return resource["Properties"]


def statements(document: dict, region: str) -> dict[str | None, dict]:
    """A policy document's statements by Sid, resolved, actions as sorted lists."""
    return {s.get("Sid"): s for s in _actions_sorted(resolved(document["Statement"], region))}


def sorted_actions(statement: dict) -> list[str]:
    actions = statement["Action"]
    return sorted([actions] if isinstance(actions, str) else actions)


# --- cdk.json and the CLI's warning ---

def test_cdk_json_sets_every_flag_aws_cdk_lib_recommends():
    recommended = recommended_flags()
    assert len(recommended) > 80  # aws-cdk-lib 2.275.0 recommends 89
    wrong = {name: CDK_CONTEXT.get(name, "<unset>") for name, value in recommended.items() if CDK_CONTEXT.get(name) != value}
    assert wrong == {}, f"cdk.json sets these flags to other than aws-cdk-lib's recommended value: {wrong}"


def test_cdk_synth_reports_no_unconfigured_flag(default_assembly, bare_assembly):
    """The issue's done-when: `cdk synth` no longer says "N feature flags are not configured". The same rule
    finds them in an app that sets no flags (85 for aws-cdk-lib 2.275.0), so the check can fail."""
    assert unconfigured_flags(default_assembly) == []
    missing = unconfigured_flags(bare_assembly)
    assert len(missing) > 80 and set(missing) <= set(CDK_CONTEXT)


# --- what the flags change, both ways ---

def test_the_flags_change_only_how_arns_and_actions_are_written(bare_assembly, default_assembly):
    """The two syntheses differ (partition literals, sorted actions), and mean the same once resolved:
    no other flag reaches the default configuration's resources. A flag that did would fail this test; review it and
    list it in docs/feature-flags.md."""
    bare = {s.stack_name: s for s in bare_assembly.stacks}
    flagged = {s.stack_name: s for s in default_assembly.stacks}
    assert sorted(bare) == sorted(flagged)
    assert any(bare[name].template != flagged[name].template for name in bare)
    for name, stack in bare.items():
        region = stack.environment.region
        assert comparable(stack.template, region) == comparable(flagged[name].template, region), name


def test_stacks_carry_the_configuration_tags(bare_assembly, default_assembly, default_config, multi_account_assembly,
                                             multi_account_config):
    """explicitStackTags would leave the stacks untagged (Tags.of(app) skips them); app_builder tags them
    explicitly, so the deployed stacks carry the same tags both ways, in account Stages too."""
    def stacks(assembly):
        yield from assembly.stacks
        for nested in assembly.nested_assemblies:
            yield from stacks(nested.nested_assembly)

    expected = default_config.resource_tags
    for assembly in (bare_assembly, default_assembly):
        assert {s.stack_name: s.tags for s in assembly.stacks} == {s.stack_name: expected for s in assembly.stacks}
    staged = list(stacks(multi_account_assembly))
    assert len(staged) == 3
    assert {s.stack_name: s.tags for s in staged} == {s.stack_name: multi_account_config.resource_tags for s in staged}


def test_kms_keys_trust_this_account_and_its_services_only(synthesized):
    for name, (region, template) in synthesized.items():
        keys = resources_of(template, "", "AWS::KMS::Key")
        for lid, key in keys.items():
            props = key["Properties"]
            assert props["EnableKeyRotation"] is True, lid
            admin, *services = resolved(props["KeyPolicy"]["Statement"], region)
            assert admin == {"Action": "kms:*", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                             "Resource": "*"}, lid
            for statement in services:
                assert set(statement["Principal"]) == {"Service"}, (lid, statement)
                conditions = statement["Condition"]
                assert (conditions.get("StringEquals", {}).get("aws:SourceAccount") == ACCOUNT
                        or conditions["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
                        == f"arn:aws:logs:{region}:{ACCOUNT}:log-group:*"), (lid, statement)

        logging_key = statements(one(template, "InvocationLoggingKey", "AWS::KMS::Key")["KeyPolicy"], region)
        bedrock = logging_key["AllowBedrockInvocationLogDelivery"]
        assert bedrock["Principal"] == {"Service": "bedrock.amazonaws.com"}
        assert sorted_actions(bedrock) == ["kms:Decrypt", "kms:GenerateDataKey"]
        assert bedrock["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT},
                                        "ArnLike": {"aws:SourceArn": f"arn:aws:bedrock:{region}:{ACCOUNT}:*"}}
        logs = logging_key["AllowCloudWatchLogsOfThisAccountAndRegion"]
        assert logs["Principal"] == {"Service": f"logs.{region}.amazonaws.com"}
        assert sorted_actions(logs) == ["kms:Decrypt*", "kms:Describe*", "kms:Encrypt*", "kms:GenerateDataKey*",
                                        "kms:ReEncrypt*"]


def test_the_trail_key_and_bucket_accept_only_this_accounts_trails(synthesized, default_config):
    region, template = synthesized[f"{default_config.name}-{default_config.trail_home_region}"]
    trails = f"arn:aws:cloudtrail:{region}:{ACCOUNT}:trail/*"
    key = statements(one(template, "AuditTrailKey", "AWS::KMS::Key")["KeyPolicy"], region)
    assert sorted_actions(key["AllowCloudTrailToEncryptLogs"]) == ["kms:GenerateDataKey*"]
    assert key["AllowCloudTrailToEncryptLogs"]["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT}, "ArnLike": {"aws:SourceArn": trails},
        "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": f"arn:aws:cloudtrail:*:{ACCOUNT}:trail/*"}}
    assert key["AllowCloudTrailToDescribeKey"]["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT}, "ArnLike": {"aws:SourceArn": trails}}

    bucket = statements(one(template, "AuditTrailBucketPolicy", "AWS::S3::BucketPolicy")["PolicyDocument"], region)
    assert bucket["AWSCloudTrailAclCheck"]["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT}, "ArnLike": {"aws:SourceArn": trails}}
    assert bucket["AWSCloudTrailWrite"]["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT, "s3:x-amz-acl": "bucket-owner-full-control"},
        "ArnLike": {"aws:SourceArn": trails}}

    delivery = one(template, "AuditTrailLogsPolicy", "AWS::IAM::ManagedPolicy")["PolicyDocument"]
    (deliver,) = statements(delivery, region).values()
    assert sorted_actions(deliver) == ["logs:CreateLogStream", "logs:PutLogEvents"]
    (log_group,) = resources_of(template, "AuditTrailLogGroup", "AWS::Logs::LogGroup")
    assert deliver["Resource"] == (f"arn:aws:logs:{region}:{ACCOUNT}:log-group:<{log_group}>"
                                   f":log-stream:{ACCOUNT}_CloudTrail_*")


def test_every_bucket_refuses_plain_http_and_bedrock_writes_only_its_logs(synthesized):
    for name, (region, template) in synthesized.items():
        policies = resources_of(template, "", "AWS::S3::BucketPolicy")
        for lid, policy in policies.items():
            bucket = policy["Properties"]["Bucket"]["Ref"]
            both = [f"<{bucket}.Arn>", f"<{bucket}.Arn>/*"]
            denies = [s for s in resolved(policy["Properties"]["PolicyDocument"]["Statement"], region)
                      if s["Effect"] == "Deny"]
            assert denies == [
                {"Action": "s3:*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}, "Effect": "Deny",
                 "Principal": {"AWS": "*"}, "Resource": both},
                {"Action": "s3:*", "Condition": {"NumericLessThan": {"s3:TlsVersion": 1.2}}, "Effect": "Deny",
                 "Principal": {"AWS": "*"}, "Resource": both},
            ], (name, lid)
        logs = statements(one(template, "InvocationLoggingBucketPolicy", "AWS::S3::BucketPolicy")["PolicyDocument"],
                          region)
        write = logs["AmazonBedrockLogsWrite"]
        assert write["Principal"] == {"Service": "bedrock.amazonaws.com"} and sorted_actions(write) == ["s3:PutObject"]
        assert write["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT},
                                      "ArnLike": {"aws:SourceArn": f"arn:aws:bedrock:{region}:{ACCOUNT}:*"}}


def test_the_alert_topics_take_tls_only_and_budget_alerts_from_this_account_only(synthesized, default_config):
    for name, (region, template) in synthesized.items():
        topic = statements(one(template, "AlertsPolicy", "AWS::SNS::TopicPolicy")["PolicyDocument"], region)
        assert topic["AllowPublishThroughSSLOnly"]["Effect"] == "Deny"
        assert topic["AllowPublishThroughSSLOnly"]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        budgets = topic.get("AllowBudgetsFromThisAccount")
        if region != default_config.budgets_region:
            assert budgets is None, name
            continue
        assert budgets["Condition"] == {
            "StringEquals": {"aws:SourceAccount": ACCOUNT}, "ArnLike": {"aws:SourceArn": f"arn:aws:budgets::{ACCOUNT}:*"}}


def test_the_logging_handler_and_its_provider_keep_exactly_their_permissions(synthesized):
    for name, (region, template) in synthesized.items():
        handler = statements(one(template, "InvocationLoggingHandlerPolicy", "AWS::IAM::ManagedPolicy")["PolicyDocument"],
                             region)
        assert {sid: sorted_actions(s) for sid, s in handler.items()} == {
            "ManageModelInvocationLogging": ["bedrock:DeleteModelInvocationLoggingConfiguration",
                                             "bedrock:GetModelInvocationLoggingConfiguration",
                                             "bedrock:PutModelInvocationLoggingConfiguration"],
            "WriteOwnLogs": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "SavePreviousConfiguration": ["s3:GetObject", "s3:PutObject"],
            "FindPreviousConfiguration": ["s3:ListBucket"],
            "FindLoggingResources": ["cloudformation:ListStackResources"],
            "EncryptPreviousConfiguration": ["kms:Decrypt", "kms:GenerateDataKey"],
        }, name
        assert handler["EncryptPreviousConfiguration"]["Condition"] == {
            "StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}}
        provider = statements(one(template, "InvocationLoggingProviderPolicy", "AWS::IAM::ManagedPolicy")["PolicyDocument"],
                              region)
        assert sorted_actions(provider["InvokeHandler"]) == ["lambda:GetFunction", "lambda:InvokeFunction"]
        (function,) = resources_of(template, "InvocationLoggingHandler", "AWS::Lambda::Function")
        assert provider["InvokeHandler"]["Resource"] == f"<{function}.Arn>"


def test_application_profiles_copy_the_approved_profiles_of_their_region(synthesized, default_config):
    for name, (region, template) in synthesized.items():
        copied = {resolved(p["Properties"]["ModelSource"]["CopyFrom"], region)
                  for p in resources_of(template, "ApplicationAccess", "AWS::Bedrock::ApplicationInferenceProfile").values()}
        assert copied == {f"arn:aws:bedrock:{region}:{ACCOUNT}:inference-profile/{pid}"
                          for application in default_config.applications for pid in application.profiles}, name


def test_the_logging_change_alarm_exempts_only_the_logging_handler_roles(synthesized, default_config):
    region, template = synthesized[f"{default_config.name}-{default_config.trail_home_region}"]
    pattern = resolved(one(template, "AuditAlarmsLoggingConfigurationChangeFilter", "AWS::Logs::MetricFilter")
                       ["FilterPattern"], region)
    assert isinstance(pattern, str)
    exempt = [f"arn:aws:iam::{ACCOUNT}:role/{default_config.name}-bedrock-logging-config-{r}"
              for r in default_config.source_regions]
    assert pattern.count("sessionIssuer.arn != ") == len(exempt)
    for arn in exempt:
        assert f'$.userIdentity.sessionContext.sessionIssuer.arn != "{arn}"' in pattern


def test_cdk_json_context_reads_the_context_block_or_nothing(tmp_path):
    from cris_guard.cdk_context import cdk_json_context
    from cris_guard.config import ConfigError

    assert cdk_json_context(tmp_path / "cdk.json") == {}  # no cdk.json: an app without flags
    (tmp_path / "cdk.json").write_text('{"app": "python app.py"}')
    assert cdk_json_context(tmp_path / "cdk.json") == {}
    (tmp_path / "cdk.json").write_text('{"context": {"@aws-cdk/core:enablePartitionLiterals": true}}')
    assert cdk_json_context(tmp_path / "cdk.json") == {"@aws-cdk/core:enablePartitionLiterals": True}
    (tmp_path / "cdk.json").write_text('{"context": ["not", "an", "object"]}')
    with pytest.raises(ConfigError, match='"context" must be a JSON object'):
        cdk_json_context(tmp_path / "cdk.json")
    (tmp_path / "cdk.json").write_text("{not json")
    with pytest.raises(ConfigError, match="cannot be read as JSON"):
        cdk_json_context(tmp_path / "cdk.json")


# --- an overflow shard: its budgets alert through the governance stack's topic, both ways ---

SHARDED_APPLICATIONS = 8  # one more than the governance stack holds (DEFAULT_LAYOUT.first_shard_capacity)


@pytest.fixture(scope="module")
def sharded(catalog, tmp_path_factory):
    """A one-Region configuration with an overflow shard (``<name>-eu-central-1-apps-2``, whose budgets
    need the governance stack's alert topic), synthesized without and with cdk.json's flags (cdk-nag's
    packs left out: they change no template, and the default configuration's syntheses run them)."""
    from cris_guard import app_builder
    from cris_guard.config import parse_config
    from cris_guard.stacks.access import DEFAULT_LAYOUT

    assert DEFAULT_LAYOUT.first_shard_capacity == SHARDED_APPLICATIONS - 1
    data = {
        "name": "acme-genai", "residency": "eu", "source_regions": ["eu-central-1"],
        "alerts": {"emails": ["platform-team@example.com"]},
        "applications": [{"name": f"app-{i}", "profiles": ["eu.amazon.nova-2-lite-v1:0"], "monthly_budget_usd": 10,
                          "trusted_services": ["lambda.amazonaws.com"]} for i in range(SHARDED_APPLICATIONS)],
    }
    config = parse_config(data, catalog)
    assemblies = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(app_builder, "register_nag_packs", lambda app: None)
        for label, context in (("no flags", None), ("cdk.json flags", CDK_CONTEXT)):
            outdir = tmp_path_factory.mktemp("cdk.out-sharded")
            assemblies[label] = cached_synthesis(
                f"sharded-{label}", json.dumps(data, sort_keys=True).encode(), outdir,
                lambda outdir=outdir, context=context: app_builder.build_app(
                    config, catalog, outdir=str(outdir), default_account=ACCOUNT, context=context).synth())
    return assemblies


def output_referenced(value: Any, producer: dict, producer_name: str, region: str) -> Any:
    """The producer's output ``value`` refers to: through ``Fn::ImportValue`` of its export (strong,
    CDK's default) or ``Fn::GetStackOutput`` of its output (weak, the recommended flag)."""
    (key, arg), = value.items()
    outputs = producer["Outputs"]
    if key == "Fn::ImportValue":
        (output,) = [o for o in outputs.values() if o.get("Export", {}).get("Name") == arg]
        return output["Value"]
    assert key == "Fn::GetStackOutput", value
    assert (arg["StackName"], arg["Region"]) == (producer_name, region) and set(arg) == {"StackName", "Region", "OutputName"}
    return outputs[arg["OutputName"]]["Value"]


@pytest.mark.parametrize("label", ["no flags", "cdk.json flags"])
def test_overflow_budgets_alert_through_the_governance_topic(sharded, label):
    from cris_guard.assembly import read_assembly, stackset_readiness

    governance, shard = "acme-genai-eu-central-1", "acme-genai-eu-central-1-apps-2"
    assembly = sharded[label]
    stacks = {s.stack_name: s for s in assembly.stacks}
    assert sorted(stacks) == [governance, shard]
    producer = stacks[governance].template
    (topic,) = resources_of(producer, "Alerts", "AWS::SNS::Topic")
    budgets = resources_of(stacks[shard].template, "ApplicationAccess", "AWS::Budgets::Budget")
    assert len(budgets) == 1
    subscribers = [s for b in budgets.values() for n in b["Properties"]["NotificationsWithSubscribers"]
                   for s in n["Subscribers"]]
    sns = [s["Address"] for s in subscribers if s["SubscriptionType"] == "SNS"]
    assert len(sns) == len(subscribers) // 2 > 0  # every notification: the topic and the e-mail address
    for address in sns:
        assert output_referenced(address, producer, governance, "eu-central-1") == {"Ref": topic}
    # cdk deploys (and destroys) the shard after (before) the governance stack, either way.
    assert governance in [d.id for d in stacks[shard].dependencies]
    # and the review report names the reference as a StackSet blocker, either way.
    (read,) = [s for s in read_assembly(assembly.directory).stacks if s.name == shard]
    assert any("cross-stack reference" in reason for reason in stackset_readiness(read))


def test_cdk_json_context_reads_the_context_block_or_nothing(tmp_path):
    from cris_guard.cdk_context import cdk_json_context

    shipped = cdk_json_context(REPO_ROOT / "cdk.json")
    assert len(shipped) >= 89 and shipped["@aws-cdk/core:explicitStackTags"] is True
    assert shipped["@aws-cdk/core:defaultCrossStackReferences"] == "weak"
    assert cdk_json_context(tmp_path / "missing.json") == {}  # a library user's project without cdk.json
    (tmp_path / "cdk.json").write_text('{"app": "python app.py"}')
    assert cdk_json_context(tmp_path / "cdk.json") == {}
