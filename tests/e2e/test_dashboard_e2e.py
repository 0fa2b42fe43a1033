"""The support dashboard and the help form in real Chromium: live update without reload, charts
as images under the CSP, no console error, no axe-core violation."""

from __future__ import annotations

import pytest

import re

from playwright.sync_api import expect

from support_factories import run_check, worker  # noqa: F401  (fixtures)

PASSWORD = "correct-horse-42-battery"


def _sign_in(page, user):
    page.goto("/staff/login")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/staff/"))


def _axe(page, axe_source):
    page.evaluate(axe_source)
    return page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")


@pytest.mark.db
def test_dashboard_updates_live_and_is_accessible(
    page, make_event, make_participant, run_check, make_staff, axe_source
):  # noqa: F811
    event = make_event(name="Live webinar")
    failing, _ = make_participant(event=event, name="Fay Failing", role="presenter")
    idle, _ = make_participant(event=event, name="Ivo Idle")
    run_check(failing, "fail", checks={"camera": "fail", "network": "fail"})
    _sign_in(page, make_staff("agent"))
    page.goto(f"/staff/events/{event.id}/dashboard")
    ready = page.locator('#dash-summary li[data-status="ready"]')
    expect(ready).to_have_attribute("data-count", "0")
    expect(page.locator("#dash-table tr[data-participant]").first).to_contain_text("Fay Failing")
    page.evaluate("window.__notReloaded = true")

    run_check(idle, "pass")  # a result arrives while the page is open
    expect(ready).to_have_attribute("data-count", "1", timeout=15_000)
    assert page.evaluate("window.__notReloaded === true"), "the page was reloaded instead of updating a fragment"

    # filters swap only the table
    page.select_option("#dash-check", "network")
    expect(page.locator("#dash-table tr[data-participant]")).to_have_count(1)
    assert page.evaluate("window.__notReloaded === true")

    # charts load lazily as images (CSP img-src 'self') with their tables
    page.locator("#charts-title").scroll_into_view_if_needed()
    images = page.locator("figure.chart img")
    expect(images).to_have_count(4)
    page.wait_for_function(
        "() => [...document.querySelectorAll('figure.chart img')].every(i => i.complete && i.naturalWidth > 0)"
    )

    assert _axe(page, axe_source) == []
    assert page.errors == []


@pytest.mark.db
def test_participant_asks_for_help_in_the_browser(page, make_participant, axe_source):
    _, token = make_participant(name="Hana Help")
    page.goto(f"/c/{token}/help")
    assert _axe(page, axe_source) == []
    page.fill("textarea[name=message]", "My camera stays black")
    page.check("input[data-channel=phone]")
    page.fill("input[name=phone]", "+44 20 7946 0000")
    page.click("button[data-action=send-help]")
    expect(page.locator("[data-help-request-status]")).to_have_attribute("data-help-request-status", "open")
    assert page.errors == []


@pytest.mark.db
def test_sending_progress_follows_the_worker_without_a_reload(
    page,
    make_event,
    make_participant,
    make_staff,
    worker,  # noqa: F811
):
    """One click queues the invitations; the event page's progress polls until the worker is done."""
    event = make_event(name="Big launch")
    for n in range(12):
        make_participant(event=event, name=f"Guest {n}")
    _sign_in(page, make_staff("agent"))
    page.goto(f"/staff/events/{event.id}")
    page.locator('[data-action="send-invitations"]').click()
    status = page.locator('#sending [role="status"]')
    expect(status).to_have_attribute("data-sending", "running")
    expect(status).to_have_attribute("data-total", "12")
    page.evaluate("window.__notReloaded = true")
    worker()  # the background worker's pass
    expect(status).to_have_attribute("data-sending", "done", timeout=15_000)
    expect(status).to_contain_text("Done: 12 of 12 emails sent.")
    assert page.evaluate("window.__notReloaded === true"), "the page was reloaded instead of polling"
    assert page.errors == []
