"""Accessors for ``CheckResult.values`` as the participant store writes it: ``{"raw", "metrics", "details"}``.

Every staff-side reader (charts, CSV, alerts, report) goes through here so none reads top-level keys
the store never writes.
"""

from __future__ import annotations

from typing import Any


def _part(values: Any, name: str) -> dict:
    part = values.get(name) if isinstance(values, dict) else None
    return part if isinstance(part, dict) else {}


def metrics(values: Any) -> dict:
    """The judged figures (e.g. ``rtt_ms``, ``upload_kbps``); ``{}`` for anything else."""
    return _part(values, "metrics")


def details(values: Any) -> dict:
    """The judge's supporting details (limits used, flags); ``{}`` for anything else."""
    return _part(values, "details")


def raw(values: Any) -> dict:
    """The validated payload the page posted (minus what a check does not store); ``{}`` for anything else."""
    return _part(values, "raw")


def fingerprint(values: Any) -> dict:
    """The network result's server-side fingerprint with its figures merged in (``rtt_ms``, rates);
    ``{}`` when the result has none (stored before fingerprints, or not a network result)."""
    from ..netrules.fingerprint import FIGURES

    stored = details(values).get("fingerprint")
    if not isinstance(stored, dict):
        return {}
    figures = metrics(values)
    return {**stored, **{name: figures[name] for name in FIGURES if name in figures}}
