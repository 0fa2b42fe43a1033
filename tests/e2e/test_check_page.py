"""The participant's pre-flight page in headless Chromium with fake devices.

Each test drives the real page (real clicks and keys, the real CSRF token, the real server
judging) and checks the public contract: ``data-check`` / ``data-verdict`` per step,
``data-metric`` + ``data-value`` figures, ``data-answer`` buttons, the summary.
"""

from __future__ import annotations

import re

import pytest
from flask_babel import gettext
from playwright.sync_api import expect
from sqlmodel import select

from preflight.db import session_scope
from preflight.models import CheckResult, CheckRun

IE11 = "Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko"
SLOW = 20_000  # a full run takes a few seconds; a loaded 2-core machine needs slack


def step(page, name):
    """The step container of a check."""
    return page.locator(f'[data-check="{name}"]')


def verdict_of(page, name, timeout=SLOW):
    """Wait for the server's verdict on a step and return it."""
    locator = step(page, name)
    expect(locator).to_have_attribute("data-verdict", re.compile("^(pass|warn|fail)$"), timeout=timeout)
    return locator.get_attribute("data-verdict")


def metric(page, name):
    """The number shown for a figure (``data-value``)."""
    return float(page.locator(f'[data-metric="{name}"]').get_attribute("data-value"))


def start(page, token, skip_network=True):
    """Open the participant's page and click Start (the network step is left out unless asked)."""
    if skip_network:
        page.route(
            "**/static/js/network.*js", lambda route: route.fulfill(status=200, content_type="text/javascript", body="")
        )
    page.goto(f"/c/{token}")
    page.locator('[data-action="start"]').click()


def answer_speakers(page, answer):
    """Play the test sound, then answer."""
    play = step(page, "speakers").locator('[data-action="play-sound"]')
    expect(play).to_be_enabled(timeout=SLOW)
    play.click()
    button = page.locator(f'[data-answer="{answer}"]')
    expect(button).to_be_enabled()
    button.click()


def results(app, participant_id):
    """(runs, {check: result}) stored for a participant."""
    with app.app_context(), session_scope() as session:
        runs = session.exec(select(CheckRun).where(CheckRun.participant_id == participant_id)).all()
        stored = (
            session.exec(select(CheckResult).where(CheckResult.run_id.in_([r.id for r in runs]))).all() if runs else []
        )
        return runs, {r.check: r for r in stored}


def csp_violations(page):
    return [e for e in page.errors if "Content Security Policy" in e]


def network_diagnosis(app, participant_id) -> dict:
    """What the server stored of a network result: the figures and how the upload was measured."""
    stored = results(app, participant_id)[1].get("network")
    if stored is None:
        return {}
    details, raw = stored.values.get("details", {}), stored.values.get("raw", {})
    keep = ("upload_settled", "server", "server_strained", "timeouts", "untrusted")
    return {
        "metrics": stored.values.get("metrics"),
        **{k: details.get(k) for k in keep},
        "max_timer_gap_ms": raw.get("max_timer_gap_ms"),
        "duration_ms": raw.get("duration_ms"),
    }


@pytest.mark.db
@pytest.mark.flaky(reruns=2)  # a loopback check on a shared machine: see tests/e2e/conftest.py
def test_happy_path_reaches_ready(page, make_participant, app):
    participant, token = make_participant(role="presenter")
    start(page, token, skip_network=False)
    for name in ("browser", "camera", "microphone"):
        assert verdict_of(page, name) == "pass", step(page, name).inner_text()
    assert metric(page, "camera_width") == 640 and metric(page, "camera_height") == 480
    assert metric(page, "camera_fps") >= 5
    assert -60 < metric(page, "mic_rms_dbfs") <= 0
    assert metric(page, "mic_peak_dbfs") >= metric(page, "mic_rms_dbfs")
    answer_speakers(page, "yes")
    assert verdict_of(page, "speakers") == "pass"
    summary = page.locator('[data-role="summary"]')
    expect(summary).to_be_visible(timeout=60_000)
    assert verdict_of(page, "network", timeout=1000) == "pass", (
        step(page, "network").inner_text(),
        network_diagnosis(app, participant.id),
    )
    expect(summary).to_have_attribute("data-overall", "pass")
    expect(summary.locator("h2")).to_have_text("You are ready")
    expect(page.locator('[data-role="progress"]')).to_have_attribute("value", "100")
    assert csp_violations(page) == []

    runs, stored = results(app, participant.id)
    assert len(runs) == 1 and runs[0].overall == "pass"
    assert {name: r.verdict for name, r in stored.items()} == dict.fromkeys(
        ("browser", "camera", "microphone", "speakers", "network"), "pass"
    )


@pytest.mark.browser_context_args(user_agent=IE11)
def test_unsupported_browser(page, make_participant):
    _, token = make_participant()
    start(page, token)
    # The server warns before anything runs, from the request's User-Agent.
    expect(page.locator(".check-intro [role=alert]")).to_contain_text("Internet Explorer")
    assert verdict_of(page, "browser") == "fail"
    browser = step(page, "browser")
    expect(browser.locator("[data-reason]")).to_have_attribute("data-reason", "browser_unsupported")
    expect(browser).to_contain_text("Google Chrome")


@pytest.mark.browser_context_args(permissions=[])  # camera and microphone fail at once: straight to the speakers
def test_speakers_answered_no_with_keyboard_only(page, make_participant, app):
    participant, token = make_participant()
    page.route(
        "**/static/js/network.*js", lambda route: route.fulfill(status=200, content_type="text/javascript", body="")
    )
    page.goto(f"/c/{token}")
    page.locator('[data-action="start"]').focus()
    page.keyboard.press("Enter")
    play = step(page, "speakers").locator('[data-action="play-sound"]')
    expect(play).to_be_focused(timeout=SLOW)  # the step that needs the participant takes focus
    page.keyboard.press("Enter")
    expect(page.locator('[data-answer="no"]')).to_be_enabled()
    page.keyboard.press("Tab")
    expect(page.locator('[data-answer="yes"]')).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert verdict_of(page, "speakers") == "fail"
    expect(step(page, "speakers").locator("[data-reason]")).to_have_attribute("data-reason", "speakers_not_heard")
    summary = page.locator('[data-role="summary"]')
    expect(summary).to_have_attribute("data-overall", "fail")
    expect(summary.locator("#summary-title")).to_be_focused()
    expect(summary).to_contain_text("You are not ready yet")
    expect(summary).to_contain_text("help@example.org")

    _, stored = results(app, participant.id)
    assert stored["speakers"].values["raw"]["answer"] == "no"
    assert stored["speakers"].reason == "speakers_not_heard"


@pytest.mark.db
def test_verdicts_and_raw_values_stored(page, make_participant, app):
    participant, token = make_participant(role="presenter")
    start(page, token)
    verdict_of(page, "microphone")
    runs, stored = results(app, participant.id)
    assert len(runs) == 1
    run = runs[0]
    assert run.browser_family in ("Chrome", "HeadlessChrome") and run.user_agent.startswith("Mozilla/5.0")
    assert run.os_family == "Linux"
    assert set(stored) == {"browser", "camera", "microphone"}
    browser = stored["browser"]
    assert browser.verdict == "pass" and browser.values["raw"]["features"]["rtc_peer_connection"] is True
    assert "VP8" in browser.values["raw"]["video_codecs"]
    camera = stored["camera"].values
    assert stored["camera"].verdict == "pass" and camera["raw"]["width"] == 640 and camera["raw"]["height"] == 480
    assert len(camera["raw"]["frames"]) >= 5 and camera["metrics"]["camera_width"] == 640
    mic = stored["microphone"]
    assert mic.verdict == "pass" and mic.values["raw"]["duration_ms"] >= 2000
    assert mic.values["metrics"]["mic_rms_dbfs"] == pytest.approx(mic.values["raw"]["rms_dbfs"], abs=0.06)
    assert participant.id and stored["camera"].attempts == 1


@pytest.mark.db
def test_retried_post_is_stored_once(page, make_participant, app):
    participant, token = make_participant()
    calls = []

    def flaky(route):
        # The browser step's first post reaches the server, but its answer is lost on the way back.
        checks = route.request.post_data_json["checks"]
        if "browser" not in checks:
            route.continue_()
            return
        calls.append(checks)
        response = route.fetch()
        if len(calls) == 1:
            route.fulfill(status=503, body="{}", content_type="application/json")
        else:
            route.fulfill(response=response)

    page.route("**/results", flaky)
    start(page, token)
    expect(step(page, "browser").locator('[data-role="status"]')).to_have_text("Saved on this device, sending…")
    expect(page.locator('[data-role="connection"]')).to_contain_text("Saved on this device")
    assert verdict_of(page, "browser") == "pass"
    assert calls[0] == calls[1]  # the same post, sent again
    page.unroute_all(behavior="ignoreErrors")
    runs, stored = results(app, participant.id)
    assert len(runs) == 1 and stored["browser"].attempts == 1


@pytest.mark.browser_context_args(permissions=[])  # straight to the speakers
@pytest.mark.db
def test_rerun_one_check_replaces_its_result(page, make_participant, app):
    participant, token = make_participant(role="presenter")
    start(page, token)
    answer_speakers(page, "no")
    assert verdict_of(page, "speakers") == "fail"
    rerun = step(page, "speakers").locator('[data-action="rerun"]')
    expect(rerun).to_be_visible(timeout=SLOW)
    rerun.click()
    expect(step(page, "speakers")).not_to_have_attribute("data-verdict", re.compile("."))
    answer_speakers(page, "yes")
    expect(step(page, "speakers")).to_have_attribute("data-verdict", "pass", timeout=SLOW)
    runs, stored = results(app, participant.id)
    assert len(runs) == 1
    assert stored["speakers"].verdict == "pass" and stored["speakers"].attempts == 2


@pytest.mark.ui_only
@pytest.mark.browser_context_args(permissions=[])  # failures render the most markup: fixes, links, details
def test_axe_finds_no_violations(page, make_participant, axe_source):
    _, token = make_participant()
    start(page, token)
    answer_speakers(page, "no")
    expect(page.locator('[data-role="summary"]')).to_be_visible(timeout=SLOW)
    page.evaluate(axe_source)
    violations = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    assert [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations] == []
    page.goto(page.url)  # and the page before anything ran
    page.evaluate(axe_source)
    violations = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    assert [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations] == []


@pytest.mark.browser_context_args(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
def test_readable_on_a_360px_phone(page, make_participant):
    _, token = make_participant()
    start(page, token)
    expect(step(page, "camera").locator("video")).to_be_visible(timeout=SLOW)  # the widest moment: the live preview
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360


def test_page_in_french(page, make_participant, app):
    participant, token = make_participant(language="fr")
    page.goto(f"/c/{token}")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator('.lang-switcher [aria-current="true"]')).to_have_text("Français")
    # Dates come from CLDR, so they are French even before the catalog is translated.
    expect(page.locator("time[data-format]")).to_contain_text(
        re.compile(r"lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche")
    )
    # Strings: French once the i18n owner has translated the catalog; until then Babel falls back to English.
    with app.test_request_context(f"/c/{token}?lang=fr"):
        start_label = gettext("Start the check")
        ready = gettext("Your browser is ready for %(platform)s.", platform="Zoom")
    expect(page.locator('[data-action="start"]')).to_have_text(start_label)
    page.route(
        "**/static/js/network.*js", lambda route: route.fulfill(status=200, content_type="text/javascript", body="")
    )
    page.locator('[data-action="start"]').click()
    assert verdict_of(page, "browser") == "pass"
    expect(step(page, "browser").locator(".verdict-title")).to_contain_text(ready)


@pytest.mark.db
def test_results_survive_going_offline_and_a_reload(page, make_participant, app):
    participant, token = make_participant()
    page.route("**/results", lambda route: route.abort("internetdisconnected"))
    start(page, token)
    expect(step(page, "browser").locator('[data-role="status"]')).to_have_text("Saved on this device, sending…")
    saved = page.evaluate(f"JSON.parse(localStorage.getItem('pf-results:{token}'))")
    assert saved and saved[0]["body"]["checks"]["browser"]["secure_context"] is True
    assert results(app, participant.id)[0] == []
    # Back online, the participant reloads: what the browser kept is sent and stored once.
    page.unroute("**/results")
    page.reload()
    expect(page.locator('[data-role="connection"]')).to_have_text("Your saved results have been sent.", timeout=SLOW)
    assert page.evaluate(f"localStorage.getItem('pf-results:{token}')") is None
    runs, stored = results(app, participant.id)
    assert len(runs) == 1 and stored["browser"].verdict == "pass"


# The page's AudioContext reports "suspended" and will not resume, as Firefox's does without an
# audio output device: the analyser would read silence from a working microphone.
