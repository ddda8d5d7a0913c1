"""Evaluate IAM requests against policy documents offline, for the access-scenario tests.

cris-guard's claim is behavioural ("this role can call the `eu.` profile and cannot go global"),
so its tests must evaluate requests, not just inspect policy text. No PyPI package does that:
policyuniverse, policyglass, parliament and policy-sentry parse, lint or generate policies only
(toolchain-notes "Offline IAM evaluation"). The npm package ``@cloud-copilot/iam-simulate`` does, with
all condition operators and an explanation of which statements decided. It is AGPL-3.0-or-later,
so it is pinned in ``package.json`` as a test-time tool and run as a separate Node process
(``tools/iam_simulate.mjs``); nothing of it is linked into, or shipped with, cris-guard.

``policies`` are identity policies attached to the requesting principal: Bedrock models and inference
profiles have no resource-based policies ("How Amazon Bedrock works with IAM",
docs.aws.amazon.com/bedrock/latest/userguide/security_iam_service-with-iam.html: resource-based
policies "No"; a machine-translated copy of that page says "Yes", so for newer Bedrock resource types
this is UNCONFIRMED).

``service_control_policies`` add the organization layer (cris_guard/scp.py): a request is allowed only
if the identity policies allow it *and* no SCP denies it. They are evaluated as a deny-list organization
has them (rollout-facts C4): attached at the root next to AWS's ``FullAWSAccess``, which is also on the
account, because an SCP layer needs an Allow at every level. So the SCPs given here can only deny; an
allow-list SCP strategy (FullAWSAccess removed) is not modelled. That SCPs never apply to the management
account or to service-linked roles (rollout-facts C1) is not modelled here either: choose principals of member
accounts (the scenario runner leaves the SCP out for the accounts it does not bind,
scenarios.without_unbound_scps).

A request's ``vpc_endpoint_policies`` add the VPC endpoint layer (iam-simulate's ``vpcEndpointPolicies``):
the policies of the interface endpoint the request goes through. An endpoint policy is a resource policy on
the endpoint that every call through it must also be allowed by, whoever makes it (VPC user guide, "Control
access to VPC endpoints using endpoint policies"): a request through an endpoint is allowed only if the
identity policies allow it, no SCP denies it, *and* the endpoint policy allows it and does not deny it. The
layer is per request because which checks of a call go through an endpoint is the caller's question
(:mod:`cris_guard.scenarios` decides it); a request without endpoint policies goes through no endpoint.
The statements' ``Principal`` is not compared with the request's principal (the simulator matches any
principal in this layer): write endpoint policies for ``Principal: "*"``, as cris-guard's are.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast, get_args

Verdict = Literal["Allowed", "ImplicitlyDenied", "ExplicitlyDenied"]

_REPO_ROOT = Path(__file__).resolve().parent.parent
_SCRIPT = Path("tools") / "iam_simulate.mjs"
_SIMULATOR_PACKAGE = Path("node_modules") / "@cloud-copilot" / "iam-simulate"
# Hundreds of requests take about a second; the margin covers a cold, loaded CI machine.
_TIMEOUT_SECONDS = 120
# Decisions are a pure function of (simulator and its data, policies, SCPs, request), so they are cached
# on disk by a digest of all of them: a warm `make test` re-evaluates only what changed. The simulator's
# cost is about 10 ms per request, and a test run makes some 25,000. Set to "off" to disable, or to a
# directory to move the cache (default: .cache/iam-simulate/ in the repository).
CACHE_ENV = "CRIS_GUARD_EVALUATION_CACHE"
_LOCK_FILE = Path("package-lock.json")


class EvaluatorUnavailable(RuntimeError):
    """Node or the pinned simulator package is not installed, so nothing can be evaluated."""


class EvaluationError(RuntimeError):
    """The simulator rejected the input (invalid policy, unknown action or context key) or failed."""


@dataclass(frozen=True)
class Request:
    """One authorization check as IAM sees it.

    ``context`` holds the request's condition keys. A key that is absent is absent for IAM too
    (``Null`` conditions see it as missing), which is how Bedrock's profile check differs from its
    foundation-model checks. One exception: ``aws:PrincipalArn``, which IAM always sets, is derived
    from ``principal`` when absent (a role session's ARN becomes its role's ARN, without a path).

    ``vpc_endpoint_policies`` (name -> endpoint policy document): the policies of the VPC endpoint the
    request goes through, evaluated as the endpoint layer; empty: through no endpoint. Names must differ
    from the identity policies' and the SCPs'. Set ``aws:SourceVpc``/``aws:SourceVpce`` in ``context``
    yourself: the layer does not imply them.
    """

    principal: str
    action: str
    resource: str
    context: Mapping[str, str | list[str]]
    vpc_endpoint_policies: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class Decision:
    """The simulator's verdict on one request.

    ``deciding`` names the statements behind the verdict as ``"<policy name>#<Sid>"``, or
    ``"<policy name>#<n>"`` with the 1-based statement index when a statement has no Sid: the
    matching Allow statements of an ``Allowed`` request (of the identity policies and, through an
    endpoint, of its endpoint policies; never the SCP layer's ``FullAWSAccess``), the matching Deny
    statements of an ``ExplicitlyDenied`` one (identity policies, SCPs and endpoint policies alike), and
    nothing for ``ImplicitlyDenied``. The policy name says the layer: the names given to :func:`evaluate`.

    ``implicitly_denied_by``: for ``ImplicitlyDenied`` only, the layers in which no statement allows the
    request: ``"identity"`` (the identity policies) and/or ``"vpce"`` (the request's endpoint policies).
    """

    request: Request
    decision: Verdict
    deciding: tuple[str, ...]
    implicitly_denied_by: tuple[str, ...] = ()

    @property
    def allowed(self) -> bool:
        return self.decision == "Allowed"


def evaluate(
    policies: Mapping[str, dict[str, Any]],
    requests: Sequence[Request],
    *,
    service_control_policies: Mapping[str, dict[str, Any]] | None = None,
    repo_root: Path | None = None,
) -> list[Decision]:
    """Evaluate every request against all ``policies`` (name -> identity policy document), when
    given, ``service_control_policies`` (name -> SCP document; names distinct from the identity
    policies' and from ``FullAWSAccess``), and its own ``Request.vpc_endpoint_policies``, in one Node run.

    One process for the whole batch keeps a test module to one Node start-up (about 0.2 s) however
    many requests it checks, and only requests the on-disk cache (``CACHE_ENV``) does not hold yet are
    sent to it. Returns one decision per request, in order.

    Raises ``EvaluatorUnavailable`` when Node or ``node_modules`` is missing, and ``EvaluationError``
    with the simulator's message when it rejects the input: a malformed policy or a context key that
    does not apply to the action must fail the test, not be silently ignored.
    """
    if not requests:
        return []
    root = repo_root if repo_root is not None else evaluator_root()
    node = _find_node(root)
    scps = dict(service_control_policies or {})
    keys = [_request_key(r) for r in requests]
    cache = _Cache.open(root, policies, scps)
    known = cache.entries if cache else {}
    missing = list(dict.fromkeys(k for k in keys if k not in known))
    if missing:
        by_key = dict(zip(keys, requests, strict=True))
        fresh = _run(node, root, policies, scps, [by_key[k] for k in missing])
        known = {**known, **dict(zip(missing, fresh, strict=True))}
        if cache:
            cache.save(known)
    return [_decision(request, known[key]) for request, key in zip(requests, keys, strict=True)]


def _request_key(request: Request) -> str:
    """What decides a request besides the policies and SCPs: its principal, action, resource and context, and
    a digest of its VPC endpoint policies (names and documents), so that a changed endpoint policy is
    evaluated again. Without endpoint policies the key is what it was before the layer existed."""
    context = {key: value if isinstance(value, str) else list(value) for key, value in request.context.items()}
    parts: list[Any] = [request.principal, request.action, request.resource, context]
    if request.vpc_endpoint_policies:
        endpoint = json.dumps(request.vpc_endpoint_policies, sort_keys=True)
        parts.append({"vpcEndpointPolicies": hashlib.sha256(endpoint.encode()).hexdigest()})
    return json.dumps(parts, sort_keys=True)


class _Cache:
    """Decisions of one (simulator, policies, SCPs) combination: ``<digest>.json`` mapping request keys to
    the simulator's results. Endpoint policies are per request, so they are part of the request key
    (:func:`_request_key`), not of the file's digest. Written atomically; two writers at once only lose
    entries, never corrupt."""

    def __init__(self, path: Path, entries: dict[str, Any]):
        self.path, self.entries = path, entries

    @classmethod
    def open(cls, root: Path, policies: Mapping[str, Any], scps: Mapping[str, Any]) -> _Cache | None:
        setting = os.environ.get(CACHE_ENV, "")
        if setting == "off":
            return None
        directory = Path(setting) if setting else root / ".cache" / "iam-simulate"
        digest = hashlib.sha256()
        for part in (root / _LOCK_FILE, root / _SCRIPT):  # the pinned simulator and its data, and the runner
            digest.update(part.read_bytes() if part.is_file() else b"-")
        digest.update(json.dumps([policies, scps], sort_keys=True).encode())
        path = directory / f"{digest.hexdigest()}.json"
        try:
            entries = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            entries = {}
        return cls(path, entries if isinstance(entries, dict) else {})

    def save(self, entries: Mapping[str, Any]) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile("w", dir=self.path.parent, delete=False, encoding="utf-8") as handle:
                json.dump(entries, handle)
            os.replace(handle.name, self.path)
        except OSError:
            pass  # a read-only checkout still evaluates, only without the cache


def _run(node: str, root: Path, policies: Mapping[str, Any], scps: Mapping[str, Any],
         requests: Sequence[Request]) -> list[Mapping[str, Any]]:
    """One Node run of the simulator on ``requests``; its raw results, in order."""
    payload = {
        "policies": dict(policies),
        "serviceControlPolicies": dict(scps),
        "requests": [
            {
                "principal": request.principal,
                "action": request.action,
                "resource": request.resource,
                "context": {
                    key: value if isinstance(value, str) else list(value)
                    for key, value in request.context.items()
                },
                **({"vpcEndpointPolicies": dict(request.vpc_endpoint_policies)}
                   if request.vpc_endpoint_policies else {}),
            }
            for request in requests
        ],
    }
    completed = subprocess.run(
        [node, str(root / _SCRIPT)],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        cwd=root,
        timeout=_TIMEOUT_SECONDS,
        check=False,
    )
    if completed.returncode != 0:
        raise EvaluationError(
            completed.stderr.strip() or f"{_SCRIPT} exited with code {completed.returncode}"
        )
    results = json.loads(completed.stdout)["results"]
    if len(results) != len(requests):
        raise EvaluationError(f"{_SCRIPT} returned {len(results)} results for {len(requests)} requests")
    return results


def evaluator_root() -> Path:
    """Where ``tools/iam_simulate.mjs`` and ``node_modules`` are: the repository the package runs from, or,
    for an installed wheel (which ships neither), the current directory (a cris-guard checkout)."""
    return _REPO_ROOT if (_REPO_ROOT / _SCRIPT).is_file() else Path.cwd()


def _find_node(root: Path) -> str:
    node = shutil.which("node")
    if node is None:
        raise EvaluatorUnavailable(
            "IAM evaluator unavailable: `node` is not on PATH; "
            f"install Node.js 20, then run `npm ci` in {root}"
        )
    if not (root / _SIMULATOR_PACKAGE).is_dir():
        raise EvaluatorUnavailable(
            f"IAM evaluator unavailable: {_SIMULATOR_PACKAGE} is missing; run `npm ci` in {root} (a cris-guard"
            " checkout: an installed wheel ships neither the evaluator nor its runner)"
        )
    return node


def _decision(request: Request, result: Mapping[str, Any]) -> Decision:
    verdict = result["decision"]
    if verdict not in get_args(Verdict):
        raise EvaluationError(f"{_SCRIPT} returned an unknown decision {verdict!r}")
    return Decision(request=request, decision=cast(Verdict, verdict), deciding=tuple(result["deciding"]),
                    implicitly_denied_by=tuple(result.get("implicitlyDeniedBy", ())))
