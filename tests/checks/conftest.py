"""Helpers for judging tests: a context per platform, role and browser."""

from __future__ import annotations

import pytest

from preflight.checks.base import Context
from preflight.checks.client import client_info
from preflight.profiles import get_profile

from checks_samples import CHROME


@pytest.fixture
def make_ctx():
    """``make_ctx(platform="zoom", role="presenter", ua=CHROME) -> Context``."""

    def _make(platform="zoom", role="presenter", ua=CHROME):
        return Context(profile=get_profile(platform), role=role, client=client_info(ua))

    return _make
