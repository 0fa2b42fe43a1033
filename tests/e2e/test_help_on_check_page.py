"""In real Chromium: "I need help" is reached with the keyboard in the middle of a run, and the
check page then shows the request's state and the staff reply, kept up to date by help-status.js
(no htmx on the page)."""

from __future__ import annotations

import pytest

import re

from playwright.sync_api import expect
from sqlmodel import select

from preflight.db import session_scope
from preflight.models import HelpRequest

SLOW = 20_000


def _axe(page, axe_source):
    page.evaluate(axe_source)
    return page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")


@pytest.mark.db
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
    assert page.evaluate("typeof window.htmx") == "undefined"  # polled by help-status.js
    expect(status).to_contain_text("Turn the volume up and press play again.")
    expect(status.get_by_role("heading", name="Help from the support team")).to_be_visible()
    assert _axe(page, axe_source) == []
    assert page.errors == []


# Records what the help status line says, in order (as a screen reader would be handed it).
ANNOUNCE_LOG = """
window.__announced = [];
new MutationObserver(function () {
  var line = document.getElementById("help-status-announce");
  var text = line ? line.textContent.trim() : "";
  if (text && text !== window.__announced[window.__announced.length - 1]) window.__announced.push(text);
}).observe(document, { subtree: true, childList: true, characterData: true });
"""
HIDE = """hidden => {
  Object.defineProperty(document, "hidden", { configurable: true, get: () => hidden });
  Object.defineProperty(document, "visibilityState", { configurable: true, get: () => hidden ? "hidden" : "visible" });
  document.dispatchEvent(new Event("visibilitychange"));
}"""


@pytest.mark.db
def test_the_check_page_polls_an_open_help_request_without_htmx(page, app, client, auth, make_participant):
    """Every 30 s (a fake clock here) help-status.js asks for the status: a 204 touches nothing and keeps
    focus, a staff reply is shown and announced once, a hidden tab is not polled, failures back off, and
    the polling stops once the request is resolved."""
    _, token = make_participant(name="Pia Poll")
    page.goto(f"/c/{token}/help")
    page.fill("textarea[name=message]", "The camera stays black")
    page.click("button[data-action=send-help]")
    expect(page.locator("[data-help-request-status]").first).to_have_attribute("data-help-request-status", "open")

    polls: list[str] = []
    page.on("request", lambda request: polls.append(request.url) if "/help/status" in request.url else None)
    scripts: list[str] = []
    page.on("request", lambda request: scripts.append(request.url) if request.resource_type == "script" else None)
    page.add_init_script(ANNOUNCE_LOG)
    page.clock.install()
    page.goto(f"/c/{token}")
    assert page.evaluate("typeof window.htmx") == "undefined"
    assert not [url for url in scripts if "htmx" in url] and [url for url in scripts if "/js/help-status." in url]

    def poll(after_ms: int) -> int:
        with page.expect_response(re.compile(r"/help/status\?v=[0-9a-f]{12}$")) as answer:
            page.clock.fast_forward(after_ms)
        return answer.value.status

    # nothing changed: 204, the section is the very same node, focus stays, nothing is said
    page.locator("#help-status-ask").focus()
    page.evaluate("document.getElementById('help-status').dataset.seen = 'yes'")
    page.clock.fast_forward(25_000)
    assert polls == []  # not before 30 s
    assert poll(5_000) == 204
    assert page.evaluate("document.activeElement.id") == "help-status-ask"
    assert page.evaluate("document.getElementById('help-status').dataset.seen") == "yes"
    assert page.evaluate("window.__announced") == []

    # an agent replies while the tab is hidden: no poll then, one as soon as the tab is shown again
    with app.app_context(), session_scope() as session:
        request = session.exec(select(HelpRequest)).one()
    auth.login("agent")
    url = f"/staff/events/{request.event_id}/help/{request.id}"
    page.evaluate(HIDE, True)
    assert client.post(url + "/reply", data={"body": "Close the other video app."}).status_code == 302
    page.clock.fast_forward(120_000)
    assert len(polls) == 1
    with page.expect_response(re.compile(r"/help/status\?v=")) as answer:
        page.evaluate(HIDE, False)
    assert answer.value.status == 200
    status = page.locator("#help-status")
    expect(status.locator("[data-help-request-status]")).to_have_attribute("data-help-request-status", "in_progress")
    expect(status).to_contain_text("Close the other video app.")
    assert page.evaluate("document.getElementById('help-status').dataset.seen") is None  # swapped
    assert page.evaluate("document.activeElement.id") == "help-status-ask"  # focus given back
    assert page.evaluate("window.__announced") == ["Your help request: an agent is on it. The support team replied."]
    assert status.get_attribute("aria-live") is None
    assert page.locator("#help-status-announce").count() == 1

    # the server cannot be reached: nothing breaks, and the next try waits twice as long
    page.route("**/help/status*", lambda route: route.abort())
    with page.expect_event("requestfailed"):
        page.clock.fast_forward(30_000)
    failed = len(polls)
    page.clock.fast_forward(30_000)
    assert len(polls) == failed  # backing off
    page.unroute("**/help/status*")
    assert poll(30_000) == 204
    assert poll(30_000) == 204  # back to every 30 s after a success

    # resolved: announced once, and no more polling
    assert (
        client.post(url + "/update", data={"status": "resolved", "level": "L1", "assigned_to": ""}).status_code == 302
    )
    assert poll(30_000) == 200
    expect(status.locator("[data-help-request-status]")).to_have_attribute("data-help-request-status", "resolved")
    assert page.evaluate("window.__announced")[-1] == "Your help request is resolved. The support team replied."
    assert page.locator("#help-status[data-help-poll]").count() == 0
    done = len(polls)
    page.clock.fast_forward(300_000)
    assert len(polls) == done
    assert [error for error in page.errors if "Failed to load resource" not in error] == []
