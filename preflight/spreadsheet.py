"""Text bound for spreadsheets (CSV exports): cells that Excel or LibreOffice would not run as formulas."""

from __future__ import annotations


def safe_cell(value: str) -> str:
    """Neutralise spreadsheet formulas (CSV injection) in exported text."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
