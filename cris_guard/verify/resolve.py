"""Resolve a synthesized template's values against what CloudFormation deployed.

``cris-guard verify`` compares the live account with the templates: a policy document in the template
says ``{"Fn::GetAtt": ["AuditTrailBucket…", "Arn"]}``, the account has ``arn:aws:s3:::acme-…-1a2b3c``. The
deployed stack's ``ListStackResources`` maps each logical ID to its physical ID (what ``Ref`` returns:
a bucket or role name, a policy or topic ARN, …); this module turns ``Ref``, ``Fn::GetAtt``, ``Fn::Sub``,
``Fn::Join``, ``Fn::Select`` and ``Fn::Split`` into strings from that map and the pseudo parameters.

Only the attributes cris-guard's templates use are derived (an ARN from a name, by the documented ARN
format of each service); anything else raises :class:`Unresolved`, which the checks report as "not checked",
never as a pass. What ``Ref`` returns for ``AWS::Bedrock::ApplicationInferenceProfile`` (the profile's ARN or
its ID) is UNCONFIRMED: both forms are accepted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class Unresolved(ValueError):
    """A template value that cannot be resolved from the deployed stack."""


_SUB = re.compile(r"\$\{(!?)([A-Za-z0-9_:.]+)\}")


@dataclass
class Deployed:
    """One deployed stack: its template, where it is, and its logical -> physical IDs."""

    name: str
    region: str
    account: str
    template: Mapping[str, Any]
    physical: Mapping[str, str] = field(default_factory=dict)
    partition: str = "aws"
    status: str = ""
    stack_id: str = ""  # the stack's ARN (DescribeStacks' StackId): what Ref AWS::StackId returns

    @property
    def resources(self) -> Mapping[str, Any]:
        return self.template.get("Resources", {})

    def of_type(self, resource_type: str) -> dict[str, Mapping[str, Any]]:
        return {lid: r for lid, r in self.resources.items() if r.get("Type") == resource_type}

    def ref(self, logical_id: str) -> str:
        pseudo = {"AWS::AccountId": self.account, "AWS::Region": self.region, "AWS::Partition": self.partition,
                  "AWS::URLSuffix": "amazonaws.com", "AWS::StackName": self.name}
        if logical_id in pseudo:
            return pseudo[logical_id]
        if logical_id == "AWS::StackId" and self.stack_id:
            return self.stack_id
        if logical_id not in self.physical:
            raise Unresolved(f"{logical_id} is not a resource of the deployed stack {self.name}")
        return self.physical[logical_id]

    def get_att(self, logical_id: str, attribute: str) -> str:
        resource = self.resources.get(logical_id) or {}
        kind = resource.get("Type", "")
        name = self.ref(logical_id)
        p, r, a = self.partition, self.region, self.account
        path = (resource.get("Properties") or {}).get("Path") or "/"
        derived = {
            ("AWS::IAM::Role", "Arn"): lambda: f"arn:{p}:iam::{a}:role{path if isinstance(path, str) else '/'}{name}",
            ("AWS::S3::Bucket", "Arn"): lambda: f"arn:{p}:s3:::{name}",
            ("AWS::KMS::Key", "Arn"): lambda: f"arn:{p}:kms:{r}:{a}:key/{name}",
            ("AWS::Logs::LogGroup", "Arn"): lambda: f"arn:{p}:logs:{r}:{a}:log-group:{name}:*",
            ("AWS::Lambda::Function", "Arn"): lambda: f"arn:{p}:lambda:{r}:{a}:function:{name}",
            ("AWS::SNS::Topic", "TopicArn"): lambda: name,
            ("AWS::SNS::Topic", "TopicName"): lambda: name.rsplit(":", 1)[-1],
            ("AWS::IAM::ManagedPolicy", "PolicyArn"): lambda: name,
            ("AWS::CloudTrail::Trail", "Arn"): lambda: f"arn:{p}:cloudtrail:{r}:{a}:trail/{name}",
            ("AWS::Bedrock::ApplicationInferenceProfile", "InferenceProfileArn"): lambda: (
                name if name.startswith("arn:") else f"arn:{p}:bedrock:{r}:{a}:application-inference-profile/{name}"),
            ("AWS::Bedrock::ApplicationInferenceProfile", "InferenceProfileId"): lambda: name.rsplit("/", 1)[-1],
        }
        make = derived.get((kind, attribute))
        if make is None:
            raise Unresolved(f"{logical_id}.{attribute} ({kind}) cannot be derived offline")
        return make()

    def resolve(self, value: Any) -> Any:
        """``value`` with every intrinsic function replaced by its deployed string."""
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (key, arg), = value.items()
            if key == "Ref":
                return self.ref(arg)
            if key == "Fn::GetAtt":
                logical, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
                return self.get_att(logical, attribute)
            if key == "Fn::Join":
                separator, parts = arg
                return separator.join(str(self.resolve(p)) for p in self.resolve(parts))
            if key == "Fn::Select":
                index, items = arg
                return self.resolve(items)[int(self.resolve(index))]
            if key == "Fn::Split":
                separator, text = arg
                return str(self.resolve(text)).split(separator)
            if key == "Fn::Sub":
                text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
                return self._sub(text, {k: self.resolve(v) for k, v in variables.items()})
            if key.startswith("Fn::") or key == "Condition":
                raise Unresolved(f"{key} is not resolved offline")
        return {k: self.resolve(v) for k, v in value.items()}

    def _sub(self, text: str, variables: Mapping[str, Any]) -> str:
        def replace(match: re.Match[str]) -> str:
            if match[1]:  # ${!Literal}
                return "${" + match[2] + "}"
            name = match[2]
            if name in variables:
                return str(variables[name])
            if "." in name and not name.startswith("AWS::"):
                logical, attribute = name.split(".", 1)
                return self.get_att(logical, attribute)
            return self.ref(name)

        return _SUB.sub(replace, text)


def normalize_policy(document: Any) -> Any:
    """A policy document in a canonical form, so that the template's and IAM's copies compare equal: a single
    string and a one-element list are the same, statement order and value order do not matter."""
    if not isinstance(document, Mapping):
        return document
    statements = document.get("Statement", [])
    statements = statements if isinstance(statements, list) else [statements]

    def values(value: Any) -> Any:
        if isinstance(value, list):
            return tuple(sorted(str(v) for v in value))
        if isinstance(value, Mapping):
            return tuple(sorted((k, values(v)) for k, v in value.items()))
        return (str(value),)

    canon = []
    for statement in statements:
        canon.append(tuple(sorted((k, values(v)) for k, v in statement.items())))
    return (str(document.get("Version", "")), tuple(sorted(canon)))
