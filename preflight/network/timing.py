"""The server's clock for a network check, and the benches' pacing trace."""

from __future__ import annotations

import os
import sys
import time
from typing import Any

# Bench diagnostics: PREFLIGHT_NETWORK_TRACE=1 prints every pacing decision to stderr.
TRACE = os.environ.get("PREFLIGHT_NETWORK_TRACE") == "1"


def now_ms() -> float:
    """Monotonic milliseconds on the server."""
    return time.monotonic() * 1000


def trace(check_id: str, created_ms: float, event: str, **values: Any) -> None:
    """One line of pacing diagnostics (benches only): check, time since it began, event, values."""
    if TRACE:
        stamp = now_ms() - created_ms
        print(
            f"[{check_id[:6]} {stamp:8.0f}ms] {event} " + " ".join(f"{k}={v}" for k, v in values.items()),
            file=sys.stderr,
            flush=True,
        )


def number(value: Any) -> float | None:
    """A finite, plausible number from a page's JSON message; None for anything else (booleans too)."""
    return (
        float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) < 1e7 else None
    )


def rounded(value: float | None, digits: int = 1) -> float | None:
    """``value`` rounded for the wire; None stays None."""
    return None if value is None else round(value, digits)
