"""No English left: every text a participant can see is marked for translation, and translated.

Marked: pages rendered in the pseudo-locale en_XA (built here from a fresh extraction of
the code, so this checks the code, not the committed catalog) must show no plain ASCII
word apart from the test's own data. Translated: in each shipped locale, no visible text
may be identical to the English rendering of the same page (apart from that data).
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask import g

from preflight import PROJECT_ROOT
from preflight.checks import Finding, get, names
from preflight.guides.library import load_locale
from preflight.l10n import catalogs, pseudo
from preflight.participant.verdicts import render_finding, render_summary
from preflight.profiles import get_profile

SHIPPED_TRANSLATIONS = ["fr", "de", "es"]
NAME, EVENT = "Zoë Ærdal", "Ÿearly Ñight"
# Proper names and data shown as they are in every language.
ALLOWED = [
    "Preflight",
    "English",
    "Français",
    "Deutsch",
    "Español",
    "Zoom",
    "Microsoft Teams",
    "Google Meet",
    "Webex",
    "Jitsi Meet",
    "Jitsi",
    "GoTo Meeting / Webinar",
    "Google Chrome",
    "Microsoft Edge",
    "Mozilla Firefox",
    "Chrome",
    "Edge",
    "Firefox",
    "Safari",
    "Opera",
    "Samsung Internet",
    "Windows",
    "NotReadableError",
    "RTCPeerConnection",
    "help@example.org",
    "dBFS",
    "TCP",
    "UDP",
    "WebRTC",
    "Mbit/s",
    "kbit/s",
    "ms",
    "px",
    "fps",
    "FPS",
    "IT",
    "VPN",
    "Wi-Fi",
    "MOS",
    "HTTP",
    "HTTPS",
    "URL",
    "OK",
]
# Words a language writes exactly as English does (checked by a person, listed here on purpose).
SAME_AS_ENGLISH = {
    "fr": {"Minimum"},
    "de": {"Browser", "Download", "Upload", "Jitter", "Jitter:", "Minimum", "Problem"},
    "es": {"Jitter", "Jitter:", "jitter", "Mbps", "kbps"},
}
VERDICT_TEMPLATES = PROJECT_ROOT / "templates" / "participant" / "verdicts"


class Visible(HTMLParser):
    """Text a visitor sees or hears: text nodes and labelling attributes, outside code and data.

    Parts marked as being in another language (``lang="en"`` on an English fallback guide)
    are skipped: they are declared, with a visible notice.
    """

    SKIP = {"script", "style", "time", "code", "kbd", "template"}
    ATTRS = {"aria-label", "title", "alt", "placeholder", "label"}
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self, locale: str):
        super().__init__()
        self.locale = locale
        self.stack: list[bool] = []  # True where the element hides its content from this check
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        lang = attrs.get("lang")
        hidden = (
            (bool(self.stack) and self.stack[-1])
            or tag in self.SKIP
            or attrs.get("translate") == "no"
            or (lang is not None and tag != "html" and lang.replace("-", "_") != self.locale)
        )
        if not hidden:
            self.found.extend(v for k, v in attrs.items() if k in self.ATTRS and v)
        if tag not in self.VOID:
            self.stack.append(hidden)

    def handle_endtag(self, tag):
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if not (self.stack and self.stack[-1]) and data.strip():
            self.found.append(" ".join(data.split()))


def visible_texts(html: str, locale: str) -> list[str]:
    parser = Visible(locale)
    parser.feed(html)
    texts = parser.found
    config = re.search(r'<script type="application/json" id="pf-config">(.*?)</script>', html, re.S)
    if config:
        texts += list(json.loads(config.group(1)).get("strings", {}).values())
    return texts


def english_left(text: str, extra: tuple[str, ...] = ()) -> list[str]:
    """Plain ASCII words in ``text`` once data, proper names and placeholders are removed."""
    # Links first: a random link token can contain an allowed word, and removing that word from the
    # middle of the URL would leave the token's other half looking like English.
    text = re.sub(r"https?://\S+", " ", text)
    for allowed in sorted([*ALLOWED, NAME, EVENT, *extra], key=len, reverse=True):
        text = text.replace(allowed, " ")
    text = re.sub(r"\{\w+\}|%\(\w+\)[sd]|\S+@\S+", " ", text)
    return re.findall(r"[A-Za-z]{2,}", text)


@pytest.fixture(scope="module")
def fresh_pseudo(tmp_path_factory) -> Path:
    """en_XA built from an extraction of the current code (not the committed .pot)."""
    folder = tmp_path_factory.mktemp("pseudo")
    paths = catalogs.Paths(translations=folder)
    catalogs.extract(paths)
    pseudo.build(paths, ("en_XA",))
    return folder


@pytest.fixture
def pseudo_app(app_config, fresh_pseudo, app):
    app.config["PSEUDO_LOCALES"] = ["en_XA"]
    babel_config = app.extensions["babel"]
    babel_config.translation_directories = [str(fresh_pseudo)] + list(babel_config.translation_directories)
    return app


@pytest.fixture
def person(make_event, make_participant):
    event = make_event(name=EVENT, platform="zoom", support_email="help@example.org", support_phone="+33 1 23 45 67 89")
    participant, token = make_participant(event=event, name=NAME, language="en")
    return event, participant, token


class Anything(dict):
    """Metrics and details for rendering every branch of a verdict template: any missing key is 3."""

    def __missing__(self, key):
        return 3


def verdict_reasons() -> list[tuple[str, str]]:
    """(check, reason) for every reason a verdict template words."""
    found = []
    for name in names():
        path = VERDICT_TEMPLATES / f"_{name}.html"
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        reasons = set(re.findall(r'r == "(\w+)"', text))
        for group in re.findall(r"r in \(([^)]*)\)", text):
            reasons |= set(re.findall(r'"(\w+)"', group))
        found += [(name, reason) for reason in sorted(reasons)] + [(name, f"{name}_unexpected")]
    return found


# A message for the IT team with every kind of line (hosts, a note, ports, each of the test's own rules).
IT_MESSAGES = [
    {
        "platform": "Zoom",
        "media_ports": "TCP 443; UDP ports per the platform",
        "hosts": ["*.zoom.us"],
        "test": [
            {"host": "localhost", "protocol": "TCP", "port": "443", "tls": True, "role": "page"},
            {"host": "localhost", "protocol": "UDP", "port": "", "tls": False, "role": "media"},
            {"host": "localhost", "protocol": "TCP", "port": "443", "tls": True, "role": "turn"},
            {"host": "localhost", "protocol": "UDP", "port": "3478", "tls": False, "role": "stun"},
        ],
    },
    {"platform": "Zoom", "media_ports": "", "hosts_note": "self_hosted"},
    {"platform": "Zoom", "media_ports": "TCP 443", "hosts_note": "not_in_sources"},
    {"test": []},
]


def render_all_verdicts(app, person, locale: str, it_messages: tuple = ()) -> list[str]:
    """Every verdict fragment and every summary, rendered in ``locale`` (and the network verdict with each
    of ``it_messages`` as its message for the IT team)."""
    event, participant, token = person
    pages = []
    reasons = verdict_reasons()
    issues = [
        {"reason": reason}
        for check, reason in reasons
        if check == "network" and not reason.endswith(("_ok", "_unexpected"))
    ]
    with app.test_request_context(f"/c/{token}?lang={locale}"):
        g.participant, g.event = participant, event
        for check, reason in reasons:
            verdict = "pass" if reason.endswith("_ok") or reason == "ok" else "fail"
            details = Anything(
                recommended=["chrome", "edge"],
                missing=["RTCPeerConnection"],
                issues=issues,
                browser="Firefox",
                version="91",
                os="Windows",
                platform="Zoom",
                error="NotReadableError",
                optional_for_role=True,
                http={"ok": True, "rtt_ms": 40, "down_kbps": 3000},
            )
            finding = Finding(check, verdict, reason, "camera-problems#black", Anything(), details)
            pages.append(render_finding(get(check), finding))
        for it in it_messages:
            details = Anything(issues=[], it=it)
            finding = Finding("network", "fail", "udp_blocked", "firewall-vpn-proxy#udp-blocked", Anything(), details)
            pages.append(render_finding(get("network"), finding))
        for overall in ("pass", "warn", "fail", None):
            pages.append(
                render_summary(
                    event=event,
                    participant=participant,
                    token=token,
                    profile=get_profile("zoom"),
                    verdict=overall,
                    verdicts={"camera": "fail", "browser": "pass"},
                )
            )
    return pages


def participant_pages(client, person, locale: str) -> list[str]:
    """Every GET page under the participant's link, plus the invalid-link page."""
    _, _, token = person
    pages = []
    for path in (f"/c/{token}", f"/c/{token}/help", f"/c/{token}/survey", "/c/unknown-token-0000"):
        response = client.get(f"{path}?lang={locale}")
        if response.mimetype == "text/html":
            pages.append(response.get_data(as_text=True))
    return pages


def guide_pages(client, locale: str) -> list[str]:
    return [
        client.get(f"/guides/{path}?lang={locale}").get_data(as_text=True)
        for path in ("", "requirements", "camera-problems")
    ]


def untranslated(pages: list[str], locale: str, extra: tuple[str, ...] = ()) -> dict[str, list[str]]:
    problems = {}
    for html in pages:
        for text in visible_texts(html, locale):
            words = english_left(text, extra)
            if words:
                problems[text] = words
    return problems


def test_everything_a_participant_sees_is_marked_for_translation(pseudo_app, client, person):
    pages = participant_pages(client, person, "en_XA") + render_all_verdicts(pseudo_app, person, "en_XA", IT_MESSAGES)
    pages += guide_pages(client, "en_XA")
    assert len(pages) > 20
    assert 'lang="en-XA"' in pages[0]
    # The pseudo-locale has no guides: their English titles show (in the page title too), with a notice.
    titles = tuple(g.title for g in load_locale(PROJECT_ROOT / "translations", "en").guides.values())
    problems = untranslated(pages, "en_XA", titles)
    assert problems == {}, "\n".join(problems)


def test_the_detector_catches_plain_english(pseudo_app):
    assert untranslated(
        ['<html lang="en-XA"><p>⟦Ĥéļļö⟧ Hello</p><button aria-label="Close">x</button></html>'], "en_XA"
    ) == {
        "⟦Ĥéļļö⟧ Hello": ["Hello"],
        "Close": ["Close"],
    }


@pytest.mark.parametrize("locale", SHIPPED_TRANSLATIONS)
def test_shipped_locales_leave_no_english(app, client, person, locale):
    """Compared with the English rendering, no visible text is left unchanged (apart from data)."""
    english = (
        participant_pages(client, person, "en") + render_all_verdicts(app, person, "en") + guide_pages(client, "en")
    )
    english_texts = {t for html in english for t in visible_texts(html, "en") if english_left(t)}
    translated = (
        participant_pages(client, person, locale)
        + render_all_verdicts(app, person, locale, IT_MESSAGES)
        + guide_pages(client, locale)
    )
    same = tuple(SAME_AS_ENGLISH[locale])
    left = sorted(
        {t for html in translated for t in visible_texts(html, locale) if t in english_texts and english_left(t, same)}
    )
    assert left == [], "\n".join(left)


def emails(app, person, locale: str) -> list[str]:
    """Invitation, reminder and survey emails (subject, text and HTML) as sent to a ``locale`` participant."""
    from preflight.mail.invitations import compose as compose_invitation
    from preflight.survey.invitations import compose as compose_survey

    event, participant, _ = person
    participant.language = locale
    parts = []
    with app.test_request_context("/"):
        for kind in ("invitation", "reminder"):
            message = compose_invitation(event, participant, kind)
            parts.append(f"<p>{message['Subject']}</p>")
            parts += [
                part.get_content()
                for part in message.walk()
                if part.get_content_maintype() == "text" and part.get_content_type() != "text/calendar"
            ]
        survey = compose_survey(event, participant, "http://localhost/survey")
        parts += [f"<p>{survey['subject']}</p>", survey["text"], survey["html"]]
    # Plain-text parts: one line per text node.
    return [p if p.lstrip().startswith("<") else "".join(f"<p>{line}</p>" for line in p.splitlines()) for p in parts]


@pytest.mark.parametrize("locale", SHIPPED_TRANSLATIONS)
def test_emails_leave_no_english(app, person, locale):
    english_texts = {t for html in emails(app, person, "en") for t in visible_texts(html, "en") if english_left(t)}
    assert len(english_texts) > 8
    same = tuple(SAME_AS_ENGLISH[locale])
    left = sorted(
        {
            t
            for html in emails(app, person, locale)
            for t in visible_texts(html, locale)
            if t in english_texts and english_left(t, same)
        }
    )
    assert left == [], "\n".join(left)
