"""``python -m cris_guard``: the ``cris-guard`` command."""

from cris_guard.cli import entry

entry()
