"""In real Chromium: an admin invites a colleague, who sets a password from the emailed link and
signs in; an agent schedules a survey with the confirmation step. No console error, no axe-core
violation on the new pages."""

from __future__ import annotations

import pytest

import mailbox
import re
from datetime import timedelta

from playwright.sync_api import expect

from preflight.mail.sender import sink_path
from preflight.models import utcnow

NEW_PASSWORD = "Marmalade-Heron-5817"


def _axe(page, axe_source):
    page.evaluate(axe_source)
    return page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")


def _sign_in(page, email, password):
    page.goto("/staff/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/staff/"))


def _last_mail_to(live_app, address):
    with live_app.app_context():
        box = mailbox.Maildir(str(sink_path()), create=True)
        messages = [m for m in box if address in m["To"]]
    return messages[-1]


@pytest.mark.db
def test_invitation_to_first_sign_in(page, browser, base_url, live_app, make_staff, staff_password, axe_source):
    admin = make_staff("admin")
    _sign_in(page, admin.email, staff_password)
    page.get_by_role("link", name="Staff accounts").click()
    page.fill("input[name=name]", "Ines Invited")
    page.fill("input[name=email]", "ines.e2e@example.org")
    page.select_option("select[name=role]", "agent")
    page.click("button[data-action=invite-staff]")
    row = page.locator("tr[data-staff-state]", has_text="ines.e2e@example.org")
    expect(row).to_have_attribute("data-staff-state", "invited")
    assert _axe(page, axe_source) == []

    body = _last_mail_to(live_app, "ines.e2e@example.org").get_payload()[0].get_payload(decode=True).decode()
    path = re.search(r"/staff/password/set/\S+", body).group(0)
    newcomer = browser.new_context(base_url=base_url, locale="en-GB").new_page()
    newcomer.goto(path)
    assert _axe(newcomer, axe_source) == []
    newcomer.fill("input[name=password]", NEW_PASSWORD)
    newcomer.fill("input[name=confirm]", NEW_PASSWORD)
    newcomer.click("button[data-action=set-password]")
    newcomer.wait_for_url(re.compile(r"/staff/login"))
    _sign_in(newcomer, "ines.e2e@example.org", NEW_PASSWORD)
    expect(newcomer.get_by_role("link", name="Events")).to_be_visible()
    newcomer.context.close()

    page.reload()
    expect(row).to_have_attribute("data-staff-state", "active")
    assert page.errors == []


@pytest.mark.db
def test_scheduling_a_survey_in_the_past_asks_first(
    page, make_event, make_participant, make_staff, staff_password, axe_source
):
    ended = utcnow() - timedelta(hours=2)
    event = make_event(name="Finished webinar", starts_at=ended - timedelta(hours=1), ends_at=ended)
    make_participant(event=event, email="s1@example.org")
    make_participant(event=event, email="s2@example.org")
    _sign_in(page, make_staff("agent").email, staff_password)
    page.goto(f"/staff/events/{event.id}")
    page.click("a[data-action=survey]")
    expect(page.locator("[data-survey-schedule]")).to_have_attribute("data-survey-schedule", "off")
    assert _axe(page, axe_source) == []
    page.check("input[data-survey-mode=at]")
    page.click("button[data-action=save-survey]")  # the proposed time (2 h after the end) has passed
    expect(page.locator("[data-survey-confirm]")).to_have_attribute("data-survey-confirm", "2")
    assert _axe(page, axe_source) == []
    page.check("input[name=confirm]")
    page.click("button[data-action=save-survey]")
    expect(page.locator("[data-survey-schedule]")).to_have_attribute("data-survey-schedule", "due")
    # the confirmation step answers 409 (nothing saved), which Chromium logs as a failed load
    assert [e for e in page.errors if "409 (CONFLICT)" not in e] == []
