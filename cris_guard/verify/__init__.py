"""``cris-guard verify``: the live account against the synthesized templates (read-only)."""
