"""In real Chromium: "I need help" is reached with the keyboard in the middle of a run, and the
check page then shows the request's state and the staff reply."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlmodel import select

from preflight.db import session_scope
from preflight.models import HelpRequest

SLOW = 20_000


def _axe(page, axe_source):
    page.evaluate(axe_source)
    return page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")


def test_help_is_reachable_by_keyboard_during_a_run_and_shows_the_reply(
    page, browser, base_url, app, make_participant, make_staff, staff_password, axe_source
):
    _, token = make_participant(name="Kofi Keyboard")
    page.route(
        "**/static/js/network.*js", lambda route: route.fulfill(status=200, content_type="text/javascript", body="")
    )
    page.goto(f"/c/{token}")
    page.locator('[data-action="start"]').click()
    # the run stops at the speakers step, waiting for the participant: the run is not finished
    expect(page.locator('[data-check="speakers"] [data-action="play-sound"]')).to_be_enabled(timeout=SLOW)
    assert page.locator('[data-role="summary"]').is_hidden()

    help_link = page.locator('#help-status a[data-action="help"]')
    expect(help_link).to_have_accessible_name("I need help")
    page.locator('[data-action="start"]').focus()
    for _ in range(60):  # Tab from the start button until the link has focus, as a keyboard user would
        page.keyboard.press("Tab")
        if page.evaluate(
            "document.activeElement && document.activeElement.matches('#help-status a[data-action=help]')"
        ):
            break
    else:
        raise AssertionError("the 'I need help' link is not reachable with Tab")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/c/{token}/help$"))
    page.fill("textarea[name=message]", "The sound does not play")
    page.click("button[data-action=send-help]")
    expect(page.locator("[data-help-request-status]").first).to_have_attribute("data-help-request-status", "open")

    # an agent answers from the staff pages, in their own browser
    with app.app_context(), session_scope() as session:
        request = session.exec(select(HelpRequest)).one()
    staff = browser.new_context(base_url=base_url, locale="en-GB")
    desk = staff.new_page()
    desk.goto("/staff/login")
    desk.fill("input[name=email]", make_staff("agent").email)
    desk.fill("input[name=password]", staff_password)
    desk.locator("form button[type=submit]").first.click()
    desk.wait_for_url(re.compile(r"/staff/"))
    desk.goto(f"/staff/events/{request.event_id}/help/{request.id}")
    desk.locator(f'form[action$="/help/{request.id}/reply"] textarea').fill("Turn the volume up and press play again.")
    desk.locator(f'form[action$="/help/{request.id}/reply"] button[type=submit]').click()
    desk.wait_for_url(re.compile(rf"/help/{request.id}$"))
    staff.close()

    page.goto(f"/c/{token}")
    status = page.locator("#help-status")
    expect(status.locator("[data-help-request-status]")).to_have_attribute("data-help-request-status", "in_progress")
    expect(status).to_contain_text("Turn the volume up and press play again.")
    expect(status.get_by_role("heading", name="Help from the support team")).to_be_visible()
    assert _axe(page, axe_source) == []
    assert page.errors == []
