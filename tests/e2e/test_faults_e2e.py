"""Fault: the server cannot store results for a while (database down: 503 + Retry-After).

The real page in headless Chromium runs the whole check while every results post fails; the
measurements stay in the browser (memory and localStorage), survive a reload of the page, and are
posted once the server answers again: one run, every check stored once.
"""

from __future__ import annotations

import pytest

import json

from playwright.sync_api import expect
from sqlmodel import select

from preflight.db import session_scope
from preflight.models import CheckResult, CheckRun

SLOW = 30_000
CHECKS = {"browser", "camera", "microphone", "speakers"}


def _stored(app, participant_id):
    with app.app_context(), session_scope() as session:
        runs = session.exec(select(CheckRun).where(CheckRun.participant_id == participant_id)).all()
        results = (
            session.exec(select(CheckResult).where(CheckResult.run_id.in_([r.id for r in runs]))).all() if runs else []
        )
        return runs, results


def _queued(page, token) -> list:
    raw = page.evaluate("token => localStorage.getItem('pf-results:' + token)", token)
    return json.loads(raw) if raw else []


@pytest.mark.db
def test_results_survive_an_outage_and_a_reload_and_are_stored_once(page, make_participant, app):
    participant, token = make_participant()
    outage = {"on": True, "refused": 0}

    def results_route(route):
        if outage["on"]:
            outage["refused"] += 1
            # What the server answers while its database is unreachable (preflight/errors.py).
            route.fulfill(
                status=503,
                content_type="application/json",
                headers={"Retry-After": "1"},
                body=json.dumps({"error": "Temporarily unavailable", "message": "database unreachable"}),
            )
        else:
            route.continue_()

    page.route("**/c/*/results", results_route)
    page.route(
        "**/static/js/network.*js", lambda route: route.fulfill(status=200, content_type="text/javascript", body="")
    )
    page.goto(f"/c/{token}")
    page.locator('[data-action="start"]').click()
    play = page.locator('[data-check="speakers"] [data-action="play-sound"]')
    expect(play).to_be_enabled(timeout=SLOW)
    play.click()
    answer = page.locator('[data-answer="yes"]')
    expect(answer).to_be_enabled()
    answer.click()

    # Every step has measured; nothing reached the database; the page says so and keeps the results.
    expect(page.locator('[data-role="connection"]')).not_to_be_empty(timeout=SLOW)
    page.wait_for_function(
        "token => (JSON.parse(localStorage.getItem('pf-results:' + token) || '[]')).length >= 4",
        arg=token,
        timeout=SLOW,
    )
    queued_checks = {name for item in _queued(page, token) for name in item["body"]["checks"]}
    assert queued_checks == CHECKS
    runs, _ = _stored(app, participant.id)
    assert runs == [] and outage["refused"] >= 4

    # The participant reloads while the server is still down: the saved results are not lost.
    page.reload()
    expect(page.locator('[data-role="connection"]')).not_to_be_empty(timeout=SLOW)
    assert {name for item in _queued(page, token) for name in item["body"]["checks"]} == CHECKS

    # The server is back: everything is posted, once.
    outage["on"] = False
    page.wait_for_function("token => localStorage.getItem('pf-results:' + token) === null", arg=token, timeout=SLOW)
    expect(page.locator('[data-role="connection"]')).to_contain_text("sent", timeout=SLOW)
    runs, results = _stored(app, participant.id)
    assert len(runs) == 1
    assert sorted(r.check for r in results) == sorted(CHECKS)
    assert all(r.attempts == 1 for r in results)
    assert not [e for e in page.errors if "Content Security Policy" in e]
