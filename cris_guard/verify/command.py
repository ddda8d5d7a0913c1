"""``cris-guard verify``: does the deployed account still match what cris-guard synthesized?

Uses the caller's credentials (boto3's default chain; ``AWS_ENDPOINT_URL`` is honoured, so it can run against
a local test endpoint) and makes read-only calls only. Exit status 0 when nothing is ✘, 1 when something is,
2 on bad input (one line).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from cris_guard.verify.model import Verification


class BadInput(ValueError):
    """One line, exit status 2."""


def _boto3_client(service: str, region: str | None):
    import boto3

    return boto3.client(service, region_name=region) if region else boto3.client(service)


def _load(config_path: Path):
    from cris_guard.config import ConfigError, load_project

    try:
        return load_project(config_path)
    except ConfigError as exc:
        raise BadInput(str(exc).splitlines()[0]) from None


def _cached(client_factory: Callable[[str, str | None], Any] | None) -> Callable[[str, str | None], Any]:
    """One client per service and Region (creating one is slow)."""
    clients: dict[tuple[str, str | None], Any] = {}

    def factory(service: str, region: str | None) -> Any:
        if (service, region) not in clients:
            clients[(service, region)] = (client_factory or _boto3_client)(service, region)
        return clients[(service, region)]

    return factory


def _caller_account(config, factory) -> tuple[str, Any, Any]:
    """The credentials' account, the configuration of that account, and its ``accounts`` entry (None for a
    single-account configuration); one line when the credentials belong to no configured account."""
    from cris_guard.verify.checks import Unavailable, call

    try:
        account = call(factory("sts", config.source_regions[0] if config.source_regions else None)
                       .get_caller_identity)["Account"]
    except Unavailable as exc:
        raise BadInput(f"no usable AWS credentials ({exc}); configure them (AWS_PROFILE, SSO login) and run again") \
            from None
    if config.accounts is not None:
        target = next((t for t in config.accounts if t.id == account), None)
        if target is None:
            raise BadInput(f"the credentials are for account {account}, which is not one of accounts[].id"
                           f" ({', '.join(t.id for t in config.accounts)}); use that account's credentials")
        return account, config.for_account(target), target
    if config.account and config.account != account:
        raise BadInput(f"the credentials are for account {account}, the configuration's account is {config.account};"
                       " use that account's credentials")
    return account, config, None


def _check_regions(config, regions: Sequence[str]) -> None:
    allowed = list(config.source_regions) or sorted({r for t in config.accounts or [] for r in t.source_regions})
    unknown = [r for r in regions if r not in allowed]
    if unknown:
        raise BadInput(f"--region {unknown[0]!r} is not a source Region of the configuration ({', '.join(allowed)})")


def _write(verification: Verification, out: Path | None, stem: str) -> None:
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / f"{stem}.md").write_text(verification.markdown(), encoding="utf-8")
        (out / f"{stem}.json").write_text(verification.to_json(), encoding="utf-8")


def run(*, config_path: Path, assembly_dir: Path, regions: Sequence[str], out: Path | None,
        client_factory: Callable[[str, str | None], Any] | None = None) -> Verification:
    from cris_guard.assembly import AssemblyError, read_assembly
    from cris_guard.verify.checks import Verifier

    config, catalog = _load(config_path)
    try:
        assembly = read_assembly(assembly_dir)
    except AssemblyError as exc:
        raise BadInput(str(exc)) from None  # it says how to synthesize
    _check_regions(config, regions)
    if not any(s.stack_name.startswith(f"{config.name}-") for s in assembly.stacks):
        raise BadInput(f"{assembly_dir} holds no stack of configuration {config.name!r} ({config_path}); synthesize it"
                       f" first: make synth CONFIG={config_path}")
    factory = _cached(client_factory)
    account, config, target = _caller_account(config, factory)
    stacks = [s for s in assembly.stacks if target is None or s.stage == target.name or _is_organization(s)]
    verification = Verification(account=account, config_label=str(config_path))
    Verifier(config, catalog, stacks, account, factory, verification, regions).run()
    _write(verification, out, "verify")
    return verification


def _is_organization(stack) -> bool:
    return any(r.get("Type") == "AWS::Organizations::Policy" for r in stack.resources.values())


def main(config_path: Path, assembly_dir: Path, regions: Sequence[str], out: Path | None,
         client_factory: Callable[[str, str | None], Any] | None = None) -> int:
    try:
        verification = run(config_path=config_path, assembly_dir=assembly_dir, regions=regions, out=out,
                           client_factory=client_factory)
    except BadInput as exc:
        print(f"cris-guard: {exc}", file=sys.stderr)
        return 2
    print(verification.table())
    if out is not None:
        print(f"written to {out}/verify.md and {out}/verify.json")
    return 0 if verification.passed else 1


def preflight(config_path: Path, regions: Sequence[str], out: Path | None,
              client_factory: Callable[[str, str | None], Any] | None = None, qualifier: str | None = None) -> int:
    """``cris-guard preflight``: what would make a deploy of ``config_path`` fail, before it runs."""
    from cris_guard.verify.preflight import DEFAULT_QUALIFIER, PREFLIGHT_CHECKS, Preflight

    try:
        config, _ = _load(config_path)
        _check_regions(config, regions)
        factory = _cached(client_factory)
        account, config, _target = _caller_account(config, factory)
        if regions:
            chosen = [r for r in config.source_regions if r in regions]
            if not chosen:
                raise BadInput(f"--region {', '.join(regions)}: no source Region of account {account}"
                               f" ({', '.join(config.source_regions)})")
            config = config.model_copy(update={"source_regions": chosen})
    except BadInput as exc:
        print(f"cris-guard: {exc}", file=sys.stderr)
        return 2
    verification = Verification(account=account, config_label=str(config_path), checks=dict(PREFLIGHT_CHECKS),
                                title="cris-guard preflight")
    Preflight(config, account, factory, verification, qualifier or DEFAULT_QUALIFIER).run()
    print(verification.table())
    _write(verification, out, "preflight")
    if out is not None:
        print(f"written to {out}/preflight.md and {out}/preflight.json")
    return 0 if verification.passed else 1
