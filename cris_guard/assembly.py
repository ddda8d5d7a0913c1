"""Read a synthesized cloud assembly (``cdk.out/``), nested Stage assemblies included.

``cdk synth`` writes one ``manifest.json`` per assembly. A ``cdk.Stage`` (cris-guard: one per account
of a multi-account configuration) becomes a *nested* assembly: an artifact of type
``cdk:cloud-assembly`` whose ``properties.directoryName`` (``assembly-<stage>``) holds its own
manifest, templates and asset manifests (rollout-facts A3). :func:`read_assembly` follows them and
returns every stack with the stage it belongs to, so the review report, the synth summary and the
access scenarios read the same thing in the same order. A missing or corrupt file is one
:class:`AssemblyError` line naming it.

:func:`stackset_readiness` says why a stack's template could not be rolled out as it is with a
CloudFormation StackSet (rollout-facts B3): a StackSet instance runs in accounts where ``cdk deploy``
never published assets and maybe never bootstrapped.

:func:`model_of` is the one reading of "which foundation model does this profile ID route to" that
the review report and the access scenarios both use on the profile IDs they find in templates.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cris_guard.catalog import Catalog

STACK_ARTIFACT = "aws:cloudformation:stack"
NESTED_ASSEMBLY_ARTIFACT = "cdk:cloud-assembly"
ASSET_MANIFEST_ARTIFACT = "cdk:asset-manifest"
UNKNOWN_ACCOUNT = "unknown-account"
UNKNOWN_REGION = "unknown-region"

# CreateStackSet's TemplateURL takes a template of at most 460,800 bytes (TemplateBody: 51,200).
# Source: CreateStackSet API reference as rendered in the SDKs (rollout-facts B3). Newer stack APIs say
# 1 MB for TemplateURL; UNCONFIRMED whether CreateStackSet was raised too, so the smaller figure is used.
STACKSET_TEMPLATE_URL_BYTE_LIMIT = 460_800
# DefaultStackSynthesizer's asset bucket: cdk-<qualifier>-assets-<account>-<region> (rollout-facts A2).
_ASSET_BUCKET = re.compile(r"cdk-[A-Za-z0-9_-]{1,10}-assets-")


class AssemblyError(Exception):
    """The directory is not a cloud assembly that can be read (one line, naming the file)."""


@dataclass(frozen=True)
class Asset:
    """A file or Docker image asset a stack needs published before deployment (not its template)."""

    kind: str  # "file" or "docker image"
    name: str  # the asset's displayName (construct path), or its hash
    packaging: str  # "zip", "file" or "docker"


@dataclass(frozen=True)
class AssemblyStack:
    """One synthesized stack.

    ``stack_name``, ``template`` and ``template_full_path`` are also the attributes
    :func:`cris_guard.stacks.access.check_stack_limits` reads from a ``cx_api`` stack artifact.
    ``display_name`` is the stack's hierarchical ID (``prod/acme-genai-eu-central-1`` in a Stage,
    the stack name at the root): unique in the assembly, and the ``cdk deploy`` selector.
    """

    stack_name: str
    region: str | None  # None: environment-agnostic in its Region
    template: Mapping[str, Any]
    template_full_path: str
    metadata: Mapping[str, Sequence[Mapping[str, Any]]] = field(default_factory=dict)
    stage: str | None = None  # the nested assembly's displayName; None at the root
    account: str | None = None  # None: environment-agnostic (credentials decide at deploy time)
    artifact_id: str = ""
    display_name: str = ""
    assets: tuple[Asset, ...] = ()

    @property
    def name(self) -> str:
        """Unique in the assembly: the hierarchical ID (equal to the stack name outside a Stage)."""
        return self.display_name or self.stack_name

    @property
    def construct_path(self) -> str:
        """The prefix of this stack's metadata keys (``/prod/acme-genai-eu-central-1``)."""
        return f"/{self.name}"

    @property
    def resources(self) -> Mapping[str, Mapping[str, Any]]:
        return self.template.get("Resources") or {}


@dataclass(frozen=True)
class CloudAssembly:
    directory: Path
    stacks: tuple[AssemblyStack, ...]  # root stacks by name, then each Stage's (stages by name)
    validation_report: Mapping[str, Any] | None  # validation-report.json (cdk-nag), root only
    library_versions: Mapping[str, str]  # aws-cdk-lib, constructs: as recorded in tree.json
    stages: tuple[str, ...] = ()  # nested assemblies, in the order of ``stacks``

    def stacks_in(self, stage: str | None) -> list[AssemblyStack]:
        return [s for s in self.stacks if s.stage == stage]

    @property
    def accounts(self) -> list[str | None]:
        """Every stack's account, sorted (None, environment-agnostic, first)."""
        return sorted({s.account for s in self.stacks}, key=lambda a: (a is not None, a or ""))


def read_assembly(directory: Path | str) -> CloudAssembly:
    """Read ``manifest.json`` and what it points to, recursively. Works for ``cdk synth`` output and ``app.synth()``."""
    root = Path(directory)
    if not (root / "manifest.json").exists():
        raise AssemblyError(f"{root}/manifest.json not found; synthesize first (`make synth`)")
    stacks = list(_read_stacks(root, stage=None, seen=set()))
    report_file = root / "validation-report.json"
    validation = _read_json(report_file) if report_file.exists() else None
    versions: dict[str, str] = {}
    tree_file = root / "tree.json"
    if tree_file.exists():
        _construct_versions(_read_json(tree_file).get("tree", {}), versions)
    stages = tuple(dict.fromkeys(s.stage for s in stacks if s.stage is not None))
    return CloudAssembly(root, tuple(stacks), validation, versions, stages)


def _read_stacks(directory: Path, *, stage: str | None, seen: set[Path]) -> Iterator[AssemblyStack]:
    manifest_file = directory / "manifest.json"
    if manifest_file.resolve() in seen:  # a manifest naming itself (hand-edited): do not loop forever
        raise AssemblyError(f"{manifest_file}: nested assemblies form a cycle; synthesize again (`make synth`)")
    seen.add(manifest_file.resolve())
    artifacts = _read_json(manifest_file).get("artifacts", {})
    if not isinstance(artifacts, dict) or not all(isinstance(a, dict) for a in artifacts.values()):
        raise AssemblyError(f"{manifest_file}: not a cloud assembly manifest (artifacts is not an object of objects);"
                            " synthesize again (`make synth`)")
    own = [_stack(directory, artifact_id, artifact, artifacts, stage)
           for artifact_id, artifact in artifacts.items() if artifact.get("type") == STACK_ARTIFACT]
    yield from sorted(own, key=lambda s: (s.stack_name, s.artifact_id))
    nested = []
    for artifact_id, artifact in artifacts.items():
        if artifact.get("type") != NESTED_ASSEMBLY_ARTIFACT:
            continue
        properties = artifact.get("properties") or {}
        name = properties.get("directoryName")
        if not name:
            raise AssemblyError(f"{manifest_file}: nested assembly {artifact_id} names no properties.directoryName;"
                                " synthesize again (`make synth`)")
        nested.append((str(properties.get("displayName") or artifact_id.removeprefix("assembly-")), directory / name))
    for display, path in sorted(nested):
        if not (path / "manifest.json").exists():
            raise AssemblyError(f"{path}/manifest.json not found, though {manifest_file} names it;"
                                " synthesize again (`make synth`)")
        yield from _read_stacks(path, stage=display, seen=seen)


def _stack(directory: Path, artifact_id: str, artifact: Mapping[str, Any], artifacts: Mapping[str, Any],
           stage: str | None) -> AssemblyStack:
    manifest_file = directory / "manifest.json"
    properties = artifact.get("properties") or {}
    template_file = properties.get("templateFile")
    if not template_file:
        raise AssemblyError(f"{manifest_file}: stack {artifact_id} names no properties.templateFile;"
                            " synthesize again (`make synth`)")
    account, _, region = str(artifact.get("environment", f"aws://{UNKNOWN_ACCOUNT}/{UNKNOWN_REGION}")).removeprefix(
        "aws://").partition("/")
    metadata: dict[str, list] = {k: list(v) for k, v in (artifact.get("metadata") or {}).items()}
    extra = artifact.get("additionalMetadataFile")
    if extra and (directory / extra).exists():
        for path, entries in _read_json(directory / extra).items():
            metadata.setdefault(path, []).extend(entries)
    template_path = directory / template_file
    assets = []
    for dependency in sorted(artifact.get("dependencies") or []):
        dep = artifacts.get(dependency) or {}
        if dep.get("type") == ASSET_MANIFEST_ARTIFACT and (dep.get("properties") or {}).get("file"):
            assets += _assets(directory / dep["properties"]["file"], template_file)
    return AssemblyStack(
        stack_name=str(properties.get("stackName") or artifact_id),
        region=None if region in ("", UNKNOWN_REGION) else region,
        template=_read_json(template_path),
        template_full_path=str(template_path),
        metadata=metadata,
        stage=stage,
        account=None if account in ("", UNKNOWN_ACCOUNT) else account,
        artifact_id=artifact_id,
        display_name=str(artifact.get("displayName") or artifact_id),
        assets=tuple(sorted(assets, key=lambda a: (a.kind, a.name))),
    )


def _assets(file: Path, template_file: str) -> list[Asset]:
    """The asset manifest's entries other than the template itself (which CDK also publishes as a file)."""
    manifest = _read_json(file)
    files, images = manifest.get("files") or {}, manifest.get("dockerImages") or {}
    if not isinstance(files, dict) or not isinstance(images, dict):
        raise AssemblyError(f"{file}: not an asset manifest (files or dockerImages is not an object);"
                            " synthesize again (`make synth`)")
    found = []
    for asset_hash, entry in files.items():
        source = entry.get("source") or {}
        if source.get("path") == template_file:
            continue
        found.append(Asset("file", str(entry.get("displayName") or asset_hash), str(source.get("packaging", "file"))))
    for asset_hash, entry in images.items():
        found.append(Asset("docker image", str(entry.get("displayName") or asset_hash), "docker"))
    return found


def _read_json(file: Path) -> dict[str, Any]:
    """A file of the assembly (every one is a JSON object), or an :class:`AssemblyError` naming it (an
    incomplete or hand-edited assembly)."""
    try:
        value = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AssemblyError(f"{file} not found, though manifest.json names it; synthesize again (`make synth`)") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise AssemblyError(f"{file}: not valid JSON ({exc}); synthesize again (`make synth`)") from None
    if not isinstance(value, dict):
        raise AssemblyError(f"{file}: not a JSON object; synthesize again (`make synth`)")
    return value


def _construct_versions(node: Mapping[str, Any], found: dict[str, str]) -> None:
    info = node.get("constructInfo") or {}
    library = str(info.get("fqn", "")).split(".", 1)[0]
    if library and info.get("version"):
        found.setdefault(library, info["version"])
    for child in (node.get("children") or {}).values():
        _construct_versions(child, found)


# --- StackSet readiness ---------------------------------------------------------------------------------


def stackset_readiness(stack: AssemblyStack) -> list[str]:
    """Why ``stack``'s template cannot be deployed as a CloudFormation StackSet as it is; empty: it can.

    The reasons (rollout-facts B3): assets live in the CDK asset bucket of the environment ``cdk deploy``
    published them to, which other accounts cannot read; ``Fn::ImportValue`` needs an export in every
    target account and Region, ``Fn::GetStackOutput`` the named stack; a template synthesized for one
    account names it; the ``CheckBootstrapVersion`` rule reads an SSM parameter that exists only
    in CDK-bootstrapped environments; macros (``Transform``) are not supported by service-managed
    StackSets; and a StackSet's TemplateURL takes at most 460,800 bytes.
    """
    reasons = []
    template = stack.template
    text = json.dumps(template, sort_keys=True)
    files = [a for a in stack.assets if a.kind == "file"]
    images = [a for a in stack.assets if a.kind == "docker image"]
    in_metadata = sorted({str((r.get("Metadata") or {}).get("aws:asset:path")) for r in stack.resources.values()
                          if "aws:asset:path" in (r.get("Metadata") or {})})
    if files or in_metadata:
        names = ", ".join(a.name for a in files) or "referenced by aws:asset:path metadata"
        count = len(files) or len(in_metadata)
        reasons.append(f"{count} file asset{'s' if count != 1 else ''} ({names}) in the CDK asset bucket of the"
                       " environment `cdk deploy` publishes to")
    elif _ASSET_BUCKET.search(text):
        reasons.append("refers to a CDK asset bucket (cdk-<qualifier>-assets-…) of one environment")
    if images:
        reasons.append(f"{len(images)} Docker image asset{'s' if len(images) != 1 else ''}"
                       f" ({', '.join(a.name for a in images)}) in the CDK container-asset repository")
    imports = _count_key(template, "Fn::ImportValue")
    if imports:
        reasons.append(f"{imports} Fn::ImportValue cross-stack reference{'s' if imports != 1 else ''}"
                       " (the export must exist in every target account and Region)")
    # CDK writes weak references (the recommended @aws-cdk/core:defaultCrossStackReferences "weak") this way.
    outputs = _count_key(template, "Fn::GetStackOutput")
    if outputs:
        reasons.append(f"{outputs} Fn::GetStackOutput cross-stack reference{'s' if outputs != 1 else ''}"
                       " (the named stack and output must exist in every target account and Region)")
    # DefaultStackSynthesizer(generate_bootstrap_version_rule=False) leaves the rule and parameter out.
    if "CheckBootstrapVersion" in (template.get("Rules") or {}) or "BootstrapVersion" in (template.get("Parameters") or {}):
        reasons.append("CheckBootstrapVersion rule (its SSM parameter exists only in CDK-bootstrapped accounts)")
    pinned = text.count(stack.account) if stack.account else 0
    if pinned:
        reasons.append(f"names account {stack.account} ({pinned} time{'s' if pinned != 1 else ''}): synthesized for"
                       " one account, not environment-agnostic")
    if template.get("Transform"):
        reasons.append("uses a Transform (macro), which service-managed StackSets do not support")
    size = Path(stack.template_full_path).stat().st_size if Path(stack.template_full_path).exists() else len(text)
    if size > STACKSET_TEMPLATE_URL_BYTE_LIMIT:
        reasons.append(f"template of {size:,} bytes, more than the {STACKSET_TEMPLATE_URL_BYTE_LIMIT:,} a StackSet's"
                       " TemplateURL takes (UNCONFIRMED whether 1 MB applies)")
    return reasons


def _count_key(value: Any, key: str) -> int:
    if isinstance(value, dict):
        return (key in value) + sum(_count_key(v, key) for v in value.values())
    if isinstance(value, list):
        return sum(_count_key(v, key) for v in value)
    return 0


def short_reason(reason: str) -> str:
    """A :func:`stackset_readiness` reason in a few words (``2 file assets``), for one-line listings."""
    return reason.split(" (", 1)[0].split(":", 1)[0]


# --- Profiles named in templates --------------------------------------------------------------------------


def model_of(profile_id: str, catalog: Catalog) -> str:
    """The foundation model ``profile_id`` routes to: the catalog's ``model_id``, else (a profile outside the
    catalog) the profile ID without its geography prefix (``eu.``, ``global.``)."""
    profile = catalog.get(profile_id)
    return profile.model_id if profile else profile_id.split(".", 1)[-1]
