"""``cris-guard preflight``: before a deploy, find what would make it fail or take something over.

Read-only, with the caller's credentials (``AWS_ENDPOINT_URL`` honoured). Per source Region of the account:

- **bootstrap**: the CDK bootstrap stack of the qualifier in use (``/cdk-bootstrap/<qualifier>/version`` in SSM),
  in every Region cris-guard deploys to (the source Regions, and the budgets Region when it is another);
- **invocation logging**: Bedrock keeps one configuration per account and Region; one another tool set makes
  the first deploy fail unless ``replace_existing_configuration`` is true (then it is replaced and restored on
  delete);
- **fixed names**: the trail (``<name>-bedrock-audit``), its log group (``/cris-guard/<name>/cloudtrail``) and
  the logging handler roles (``<name>-bedrock-logging-config-<region>``) have fixed names, so one left by an
  earlier ``cdk destroy`` (audit data is retained) or made by someone else makes the create fail: it says
  exactly what to do with it.

A name that belongs to the deployed cris-guard stack (an update, not a create) is fine. Exit 1 when a deploy
would fail, 0 otherwise, 2 on bad input.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from cris_guard.config import Config
from cris_guard.stacks.region_stack import (
    logging_handler_role_name,
    region_stack_name,
    trail_log_group_name,
    trail_name,
)
from cris_guard.verify.checks import _code, call, guarded, pages
from cris_guard.verify.model import Verification

PREFLIGHT_CHECKS = {
    "bootstrap": "CDK bootstrap in every target Region",
    "invocation-logging": "Bedrock invocation logging is free or cris-guard's",
    "names": "cris-guard's fixed names are free or its own",
}
DEFAULT_QUALIFIER = "hnb659fds"


class Preflight:
    def __init__(self, config: Config, account: str, client: Callable[[str, str | None], Any],
                 verification: Verification, qualifier: str = DEFAULT_QUALIFIER):
        self.config, self.account, self.client, self.v, self.qualifier = config, account, client, verification, qualifier

    def run(self) -> Verification:
        regions = list(self.config.source_regions)
        targets = regions + ([self.config.budgets_region] if self.config.budgets_region not in regions else [])
        for region in targets:
            self._guarded("bootstrap", region, f"qualifier {self.qualifier}", lambda r=region: self._bootstrap(r))
        for region in regions:
            self._guarded("invocation-logging", region, "logging configuration", lambda r=region: self._logging(r))
            self._guarded("names", region, "handler role", lambda r=region: self._handler_role(r))
        if self.config.audit.cloudtrail.enabled:
            home = self.config.trail_home_region
            self._guarded("names", home, "trail", lambda: self._trail(home))
            self._guarded("names", home, "trail log group", lambda: self._log_group(home))
        return self.v

    def _guarded(self, check: str, where: str, subject: str, body: Callable[[], None]) -> None:
        guarded(self.v, check, where, subject, body)

    def _stack_physical(self, region: str) -> dict[str, str] | None:
        """The deployed cris-guard stack's physical IDs in ``region`` (None: not deployed: a create)."""
        cfn = self.client("cloudformation", region)
        name = region_stack_name(self.config, region)
        try:
            call(cfn.describe_stacks, StackName=name)
        except ClientError as exc:
            if _code(exc) == "ValidationError":
                return None
            raise
        return {r.get("PhysicalResourceId", ""): r["LogicalResourceId"]
                for r in pages(cfn.list_stack_resources, "StackResourceSummaries", StackName=name)}

    def _bootstrap(self, region: str) -> None:
        ssm = self.client("ssm", region)
        name = f"/cdk-bootstrap/{self.qualifier}/version"
        try:
            version = call(ssm.get_parameter, Name=name)["Parameter"]["Value"]
        except ClientError as exc:
            if _code(exc) != "ParameterNotFound":
                raise
            self.v.add("bootstrap", region, "fail", f"qualifier {self.qualifier}",
                       f"not bootstrapped ({name} missing): run `cdk bootstrap aws://{self.account}/{region}`")
            return
        self.v.add("bootstrap", region, "ok", f"qualifier {self.qualifier}", f"bootstrap version {version}")

    def _logging(self, region: str) -> None:
        live = call(self.client("bedrock", region).get_model_invocation_logging_configuration).get("loggingConfig")
        if not live:
            self.v.add("invocation-logging", region, "ok", "logging configuration", "none yet: cris-guard will set it")
            return
        bucket = (live.get("s3Config") or {}).get("bucketName") or (live.get("cloudWatchConfig") or {}).get(
            "logGroupName", "?")
        physical = self._stack_physical(region) or {}
        if bucket in physical:
            self.v.add("invocation-logging", region, "ok", f"s3://{bucket}", "cris-guard's own (an update)")
        elif self.config.audit.invocation_logs.replace_existing_configuration:
            self.v.add("invocation-logging", region, "info", f"s3://{bucket}",
                       "another tool's configuration: cris-guard will save it, replace it and restore it on delete"
                       " (replace_existing_configuration: true); that tool's logs stop arriving meanwhile")
        else:
            self.v.add("invocation-logging", region, "fail", f"s3://{bucket}",
                       "another tool owns Bedrock's logging configuration here, so the deploy would fail by design;"
                       " agree with its owner, then set audit.invocation_logs.replace_existing_configuration: true")

    def _owned(self, region: str, physical_id: str) -> bool:
        return physical_id in (self._stack_physical(region) or {})

    def _handler_role(self, region: str) -> None:
        name = logging_handler_role_name(self.config, region)
        try:
            call(self.client("iam", None).get_role, RoleName=name)
        except ClientError as exc:
            if _code(exc) == "NoSuchEntity":
                self.v.add("names", region, "ok", f"role {name}", "free")
                return
            raise
        if self._owned(region, name):
            self.v.add("names", region, "ok", f"role {name}", "cris-guard's own (an update)")
        else:
            self.v.add("names", region, "fail", f"role {name}",
                       "exists outside the stack, so the create would fail: delete it (`aws iam delete-role`) if it is"
                       " left from an earlier deployment, or rename the configuration (name:)")

    def _trail(self, region: str) -> None:
        name = trail_name(self.config)
        found = call(self.client("cloudtrail", region).describe_trails, trailNameList=[name]).get("trailList", [])
        if not found:
            self.v.add("names", region, "ok", f"trail {name}", "free")
        elif self._owned(region, name) or self._owned(region, found[0].get("TrailARN", "")):
            self.v.add("names", region, "ok", f"trail {name}", "cris-guard's own (an update)")
        else:
            self.v.add("names", region, "fail", f"trail {name}",
                       "exists outside the stack, so the create would fail: delete it (`aws cloudtrail delete-trail"
                       f" --name {name}`; its bucket keeps the logs) or rename the configuration (name:)")

    def _log_group(self, region: str) -> None:
        name = trail_log_group_name(self.config)
        groups = pages(self.client("logs", region).describe_log_groups, "logGroups", token="nextToken",
                       logGroupNamePrefix=name)
        if not any(g.get("logGroupName") == name for g in groups):
            self.v.add("names", region, "ok", f"log group {name}", "free")
        elif self._owned(region, name):
            self.v.add("names", region, "ok", f"log group {name}", "cris-guard's own (an update)")
        else:
            self.v.add("names", region, "fail", f"log group {name}",
                       "kept from an earlier deployment (its audit data is retained), so the create would fail:"
                       f" export what you need, then `aws logs delete-log-group --log-group-name {name}"
                       f" --region {region}`; or import it into the stack (`cdk import`)")
