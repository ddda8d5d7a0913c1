"""The CDK context a project's ``cdk.json`` gives its app: above all, the CDK feature flags.

The CDK CLI reads ``cdk.json`` in the working directory and hands its ``context`` block to the app
(through the environment). An app built in-process (``cdk.App(...)`` in the tests, ``cris-guard
scenarios`` without ``--assembly``) sees none of it unless it is passed, and synthesizes what an app
with no flags set would: pass :func:`cdk_json_context` to :func:`cris_guard.app_builder.build` to get
what ``cdk synth`` writes. Which flags change cris-guard's templates, and how: docs/feature-flags.md.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cris_guard.config import ConfigError


def cdk_json_context(path: Path | str = "cdk.json") -> dict[str, Any]:
    """The ``context`` object of the ``cdk.json`` at ``path`` (default: the working directory's, as the
    CDK CLI reads it); ``{}`` if there is no such file or it has no ``context``."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise ConfigError([f"{path}: cannot be read as JSON ({exc}); fix it, as `cdk synth` reads it too"]) from exc
    if not isinstance(data, dict):
        raise ConfigError([f"{path}: is a JSON {type(data).__name__}; it must be an object with \"app\" and \"context\""])
    context = data.get("context", {})
    if not isinstance(context, dict):
        raise ConfigError([f"{path}: \"context\" is a JSON {type(context).__name__}; it must be an object of CDK "
                           "context keys (the feature flags cris-guard ships in its cdk.json)"])
    return context
