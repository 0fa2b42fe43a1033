"""Participants read words, not codes: verdict fragments rendered from real judgements, in every language.

Error names (``NotAllowedError``) and feature codes (``rtc_peer_connection``) stay in the finding's
details for the staff view; the participant's fragment must not show them. A recommended browser
without WebRTC is not told to open the link in that same browser.
"""

from __future__ import annotations

import re

import pytest
from flask import g

from preflight.checks import get
from preflight.checks.base import Context
from preflight.checks.client import client_info
from preflight.participant.verdicts import render_finding
from preflight.profiles import get_profile
from result_payloads import FEATURES

CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36"
# WebKitGTK's MiniBrowser: getUserMedia, no RTCPeerConnection.
WEBKIT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/60.5 Safari/605.1.15"
LOCALES = ["en", "fr", "de", "es"]
CODES = re.compile(r"\b\w+Error\b|rtc_peer_connection|get_user_media|\b[a-z]+_[a-z_]+\b")


def visible(html: str) -> str:
    """The text of a fragment without its tags and attributes (where data-reason codes belong)."""
    return re.sub(r"<[^>]+>", " ", html)


def judged(check: str, payload: dict, ua: str):
    ctx = Context(profile=get_profile("zoom"), role="presenter", client=client_info(ua))
    checker = get(check)
    return checker, checker.judge(checker.model.model_validate(payload), ctx)


def render(app, person, locale, check, payload, ua=CHROME) -> str:
    event, participant = person
    checker, finding = judged(check, payload, ua)
    with app.test_request_context(f"/?lang={locale}"):
        g.participant, g.event = participant, event
        return visible(render_finding(checker, finding))


@pytest.fixture
def person(make_event, make_participant):
    event = make_event(platform="zoom")
    participant, _ = make_participant(event=event, language="en")
    return event, participant


CASES = {
    "camera denied": ("camera", {"permission": "denied", "error": "NotAllowedError"}),
    "camera busy": ("camera", {"error": "NotReadableError"}),
    "microphone denied": ("microphone", {"permission": "denied", "error": "NotAllowedError"}),
    "microphone odd error": ("microphone", {"error": "UnknownError"}),
    "no webrtc": (
        "browser",
        {"secure_context": True, "features": {**FEATURES, "rtc_peer_connection": False, "get_user_media": False}},
    ),
}


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("case", sorted(CASES))
def test_no_internal_codes_in_participant_text(app, person, locale, case):
    check, payload = CASES[case]
    text = render(app, person, locale, check, payload)
    assert not CODES.findall(text), text


def test_error_name_stays_for_the_staff():
    _, finding = judged("camera", {"permission": "denied", "error": "NotAllowedError"}, CHROME)
    assert finding.details["error"] == "NotAllowedError"


@pytest.mark.parametrize("locale", LOCALES)
def test_chrome_without_webrtc_is_not_told_to_open_chrome(app, person, locale):
    payload = {"secure_context": True, "features": {**FEATURES, "rtc_peer_connection": False}}
    text = render(app, person, locale, "browser", payload)
    assert "Google Chrome" not in text
    # The fix names the likely causes (a policy, an extension, an embedding app) in every language.
    assert {"en": "switched off", "fr": "désactivés", "de": "ausgeschaltet", "es": "desactivadas"}[locale] in text


def test_webkit_without_peer_connection_is_told_what_it_lacks_and_where_to_go(app, person):
    payload = {"secure_context": True, "features": {**FEATURES, "rtc_peer_connection": False, "set_sink_id": False}}
    checker, finding = judged("browser", payload, WEBKIT)
    assert (finding.verdict, finding.reason) == ("fail", "browser_no_webrtc")
    text = render(app, person, "en", "browser", payload, ua=WEBKIT)
    assert "cannot connect a video call" in text and "Google Chrome" in text
    assert "camera or microphone" not in text
