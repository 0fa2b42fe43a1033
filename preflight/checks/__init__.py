"""Server-side judging of the participant's checks.

One module per check (``browser``, ``camera``, ``microphone``, ``speakers``, ``network``), each
defining ``MODEL`` (a strict pydantic model of the raw payload the page sends) and
``judge(payload, ctx) -> Finding``. A module placed here under one of those names is picked up
automatically; ``register`` adds a check from elsewhere. The verdict's wording lives in
``templates/participant/verdicts/_<check>.html`` (``_generic.html`` when there is none).

Stored per result (``check_result.values``): ``{"raw": <validated payload>, "metrics": {...},
"details": {...}}``; ``metrics`` use the page's ``data-metric`` names.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from typing import Callable

from pydantic import BaseModel

from .base import Context, Finding, worst

ORDER = ("browser", "camera", "microphone", "speakers", "network")


@dataclass(frozen=True)
class Check:
    """A registered check: its payload model and its judge."""

    name: str
    model: type[BaseModel]
    judge: Callable[[BaseModel, Context], Finding]

    @property
    def template(self) -> str:
        """The verdict fragment's template."""
        return f"participant/verdicts/_{self.name}.html"


REGISTRY: dict[str, Check] = {}


def register(name: str, model: type[BaseModel], judge: Callable[[BaseModel, Context], Finding]) -> None:
    """Add (or replace) a check."""
    if name not in ORDER:
        raise ValueError(f"unknown check name {name!r}; known: {', '.join(ORDER)}")
    REGISTRY[name] = Check(name, model, judge)


def names() -> list[str]:
    """Registered checks in page order."""
    return [name for name in ORDER if name in REGISTRY]


def get(name: str) -> Check | None:
    """The registered check called ``name``."""
    return REGISTRY.get(name)


def _discover() -> None:
    for name in ORDER:
        if importlib.util.find_spec(f"{__name__}.{name}") is None:
            continue
        module = importlib.import_module(f"{__name__}.{name}")
        if name not in REGISTRY and hasattr(module, "MODEL") and hasattr(module, "judge"):
            register(name, module.MODEL, module.judge)


def overall(verdicts: dict[str, str], expected: list[str] | None = None) -> str:
    """The run's verdict: ``fail`` as soon as one check failed, ``incomplete`` while an expected
    check is missing, else the worst of ``pass``/``warn``."""
    expected = names() if expected is None else expected
    if "fail" in verdicts.values():
        return "fail"
    if any(name not in verdicts for name in expected):
        return "incomplete"
    return worst(verdicts.values())


_discover()

__all__ = ["Check", "Context", "Finding", "ORDER", "REGISTRY", "get", "names", "overall", "register"]
