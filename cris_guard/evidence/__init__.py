"""Residency evidence: where every Bedrock inference call ran, read from CloudTrail (``cris-guard evidence``).

Sources (:mod:`.sources`) yield records, :mod:`.classify` decides each, :mod:`.aggregate` counts, :mod:`.render`
writes the reports; :mod:`.command` ties them together.
"""
