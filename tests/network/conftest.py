"""Fixtures for the network check's tests: a participant link, an aiortc client, clean peers."""

from __future__ import annotations

import asyncio
import time

import pytest

from preflight.network import session as session_module
from preflight.network.host import get_host
from preflight.network.registry import REGISTRY, live_checks
from preflight.network.reference_client import Plan, run_check


def pytest_itemcollected(item):
    """The aiortc peer driven over loopback or through namespace labs: the network path, no
    database dialect difference (marker ``lab``: CI runs these in the SQLite pass only)."""
    item.add_marker(pytest.mark.lab)


# Short phases: the protocol is the same, the figures are not what these tests look at.
FAST = dict(idle_s=0.6, phase_cap_s=1.2, connect_s=5.0, summary_s=3.0, down=1, up=2)


@pytest.fixture
def link(make_participant):
    """(participant, token) for an attendee of a Zoom event."""
    return make_participant()


class NetClient:
    """Runs the protocol client against the app through Flask's test client."""

    def __init__(self, app, token: str) -> None:
        self.app = app
        self.token = token

    def url(self, tail: str) -> str:
        return f"/c/{self.token}/network/{tail}"

    async def post_offer(self, body, **kwargs):
        def call():
            response = self.app.test_client().post(self.url("offer"), json=body, **kwargs)
            return response.status_code, dict(response.headers), response.get_json(silent=True)

        return await asyncio.get_running_loop().run_in_executor(None, call)

    def run(self, run_id: str = "run-0001", **plan) -> dict:
        """One whole check; returns the client's raw result (with ``server_record`` for inspection)."""
        return asyncio.run(run_check(self.post_offer, run_id, Plan(**{**FAST, **plan})))


@pytest.fixture
def net(app, link):
    """A protocol client bound to the test participant's link."""
    return NetClient(app, link[1])


@pytest.fixture
def net_for(app, make_participant):
    """``net_for(**participant)``: a protocol client for a new participant (a participant's new check
    replaces their running one); keywords go to ``make_participant`` (``role="presenter"``)."""
    return lambda **participant: NetClient(app, make_participant(**participant)[1])


def _wait_no_live(timeout: float = 10.0) -> int:
    """Wait until no check is live in this process; return how many remain."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if live_checks() == 0:
            return 0
        time.sleep(0.05)
    return live_checks()


@pytest.fixture
def wait_no_live():
    """``wait_no_live(timeout=10) -> remaining``: wait for every peer of this process to be closed."""
    return _wait_no_live


@pytest.fixture(autouse=True)
def close_peers_after():
    """Every test leaves no peer behind (and fails loudly if one was still running)."""
    yield
    host = get_host()
    if host.running and live_checks():
        host.run(REGISTRY.close_all("test_teardown"), timeout=10)


@pytest.fixture
def fast_server(monkeypatch):
    """Server-side timeouts short enough for tests."""
    monkeypatch.setattr(session_module, "CONNECT_TIMEOUT_S", 1.5)
    monkeypatch.setattr(session_module, "IDLE_CAP_S", 1.0)
    monkeypatch.setattr(session_module.CheckSession, "_phase_cap_ms", lambda self: 1000.0)
