"""The re-probe in headless Chromium: a participant back some time after a complete check gets a
5-second check of their connection, compared by the server with that check, in plain words."""

from __future__ import annotations

import pytest

import time
from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import update
from sqlmodel import select

from preflight.db import session_scope
from preflight.models import CheckRun, NetworkProbe, utcnow
from test_network_e2e import SLOW, network, start, wait_no_live

# The network path between a browser (or the reference client) and the peer, no database dialect
# difference: CI runs it in the SQLite pass only.
pytestmark = pytest.mark.lab


def _age_runs(app, participant_id, minutes=30):
    """Move the participant's runs back: they tested half an hour ago and now come back."""
    with app.app_context(), session_scope() as session:
        past = utcnow() - timedelta(minutes=minutes)
        session.execute(
            update(CheckRun).where(CheckRun.participant_id == participant_id).values(created_at=past, updated_at=past)
        )


@pytest.mark.flaky(reruns=2)  # a loopback check on a shared machine: see tests/e2e/conftest.py
def test_back_on_the_same_network_after_a_complete_check(page, make_participant, app):
    participant, token = make_participant()
    start(page, token)
    expect(network(page)).to_have_attribute("data-verdict", "pass", timeout=SLOW)
    assert not wait_no_live()
    page.goto(f"/c/{token}")
    expect(page.locator("[data-reprobe]")).to_have_count(0)  # just tested: nothing offered
    _age_runs(app, participant.id)

    page.goto(f"/c/{token}")
    section = page.locator("[data-reprobe]")
    expect(section).to_be_visible()
    started = time.monotonic()
    section.locator('[data-action="reprobe"]').click()
    result = section.locator('[data-role="reprobe-result"]')
    expect(result).to_have_attribute("data-reprobe-result", "same", timeout=SLOW)
    took = time.monotonic() - started
    expect(result).to_contain_text("same network as when you tested")
    assert took < 8, f"the re-probe took {took:.1f} s"
    with app.app_context(), session_scope() as session:
        probe = session.exec(select(NetworkProbe).where(NetworkProbe.participant_id == participant.id)).one()
        assert probe.regressed is False and probe.fingerprint["path"] and probe.fingerprint["rtt_ms"] is not None
        assert len(session.exec(select(CheckRun).where(CheckRun.participant_id == participant.id)).all()) == 1
    assert not wait_no_live()
