"""The support dashboard and the help form in real Chromium: live update without reload, charts
as images under the CSP, no console error, no axe-core violation."""

from __future__ import annotations

import pytest

import re

from playwright.sync_api import expect

from support_factories import run_check  # noqa: F401  (fixture)

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
