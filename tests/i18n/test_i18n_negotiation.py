"""Which language a page is shown in, and how an explicit choice is remembered.

Order: explicit choice (?lang=, or the pf_lang cookie it sets), the participant's
stored language, the event's default language, Accept-Language, English.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from flask import render_template_string

from preflight.db import session_scope
from preflight.i18n import LANG_COOKIE, PseudoLocale, TZ_COOKIE
from preflight.models import Participant


def page_lang(response) -> tuple[str, str]:
    html = response.get_data(as_text=True)
    match = re.search(r'<html lang="([^"]+)" dir="([^"]+)"', html)
    assert match, html[:200]
    return match.group(1), match.group(2)


def stored_language(app, participant_id) -> str:
    with app.app_context(), session_scope() as session:
        return session.get(Participant, participant_id).language


@pytest.fixture
def person(make_event, make_participant):
    """A German-speaking participant of a Spanish-default event."""
    event = make_event(default_language="es")
    return make_participant(event=event, language="de")


def test_participant_language_beats_event_and_browser(client, person):
    _, token = person
    response = client.get(f"/c/{token}", headers={"Accept-Language": "fr"})
    assert page_lang(response) == ("de", "ltr")


def test_event_default_when_participant_language_is_not_shipped(client, make_event, make_participant):
    _, token = make_participant(event=make_event(default_language="es"), language="pt")
    assert page_lang(client.get(f"/c/{token}", headers={"Accept-Language": "fr"}))[0] == "es"


def test_accept_language_when_neither_participant_nor_event_decide(client, make_event, make_participant):
    _, token = make_participant(event=make_event(default_language="xx"), language="pt")
    response = client.get(f"/c/{token}", headers={"Accept-Language": "it, fr-CA;q=0.8, en;q=0.5"})
    assert page_lang(response)[0] == "fr"


def test_english_when_nothing_matches(client, make_event, make_participant):
    _, token = make_participant(event=make_event(default_language="xx"), language="pt")
    assert page_lang(client.get(f"/c/{token}", headers={"Accept-Language": "ja"}))[0] == "en"


def test_explicit_choice_wins_and_is_saved_on_participant_and_cookie(app, client, person):
    participant, token = person
    response = client.get(f"/c/{token}?lang=fr", headers={"Accept-Language": "es"})
    assert page_lang(response)[0] == "fr"
    cookie = client.get_cookie(LANG_COOKIE)
    assert cookie is not None and cookie.value == "fr"
    assert "httponly" in response.headers["Set-Cookie"].lower()
    assert stored_language(app, participant.id) == "fr"
    # The next visit, without ?lang=, stays in French.
    assert page_lang(client.get(f"/c/{token}"))[0] == "fr"


def test_cookie_choice_beats_stored_language(client, person):
    _, token = person
    client.set_cookie(LANG_COOKIE, "es")
    assert page_lang(client.get(f"/c/{token}"))[0] == "es"


def test_region_variants_map_to_the_shipped_language(app, client, person):
    participant, token = person
    assert page_lang(client.get(f"/c/{token}?lang=fr-CA"))[0] == "fr"
    assert stored_language(app, participant.id) == "fr"


@pytest.mark.parametrize("bad", ["xx", "", "../../etc", "fr" * 30, "<script>"])
def test_unknown_choice_is_ignored(app, client, person, bad):
    participant, token = person
    response = client.get(f"/c/{token}", query_string={"lang": bad})
    assert response.status_code == 200
    assert page_lang(response)[0] == "de"
    assert client.get_cookie(LANG_COOKIE) is None
    assert stored_language(app, participant.id) == "de"


def test_choice_on_an_invalid_link_is_not_saved(client):
    response = client.get("/c/not-a-real-token?lang=fr")
    assert response.status_code == 404
    assert client.get_cookie(LANG_COOKIE) is None


def test_lang_on_a_guide_page_does_not_set_the_cookie(client):
    response = client.get("/guides/camera-problems?lang=de")
    assert page_lang(response)[0] == "de"
    assert client.get_cookie(LANG_COOKIE) is None


def test_switcher_keeps_the_participant_where_they_were(client, person):
    _, token = person
    html = client.get(f"/c/{token}?step=network&lang=de").get_data(as_text=True)
    switcher = re.search(r'<nav class="lang-switcher".*?</nav>', html, re.S).group(0)
    for code in ("en", "fr", "de", "es"):
        assert f'href="/c/{token}?step=network&amp;lang={code}"' in switcher
    assert 'lang="de" hreflang="de" aria-current="true"' in switcher
    assert "en_XA" not in switcher  # pseudo-locales are never offered


def test_pseudo_locale_is_selectable_but_never_stored(app_config, pseudo_locales, app, client, person):
    participant, token = person
    assert page_lang(client.get(f"/c/{token}?lang=en_XA")) == ("en-XA", "ltr")
    assert stored_language(app, participant.id) == "de"
    assert page_lang(client.get(f"/c/{token}?lang=ar_XB")) == ("ar-XB", "rtl")


def test_pseudo_locale_is_refused_unless_enabled(client, person):
    _, token = person
    assert page_lang(client.get(f"/c/{token}?lang=en_XA"))[0] == "de"


def test_pseudo_locale_formats_like_its_base():
    locale = PseudoLocale("ar_XB", "ar")
    assert str(locale) == "ar_XB"
    assert locale.text_direction == "rtl"
    assert PseudoLocale("en_XA", "en").number_symbols["latn"]["decimal"] == "."


@pytest.mark.parametrize(
    ("lang", "tz", "expected"),
    [
        ("fr", "Europe/Paris", ["mardi 15 janvier 2030", "15:00"]),
        ("de", "America/New_York", ["Dienstag, 15. Januar 2030", "09:00"]),
        ("es", "Asia/Tokyo", ["martes, 15 de enero de 2030", "23:00"]),
        ("en", "UTC", ["Tuesday, January 15, 2030", "2:00"]),
    ],
)
def test_dates_follow_locale_and_viewer_timezone(app, lang, tz, expected):
    moment = datetime(2030, 1, 15, 14, 0, tzinfo=timezone.utc)
    with app.test_request_context(f"/?lang={lang}", headers={"Cookie": f"{TZ_COOKIE}={tz}"}):
        text = render_template_string("{{ moment|when('full') }}", moment=moment)
    for part in expected:
        assert part in text, text


def test_numbers_follow_locale(app):
    with app.test_request_context("/?lang=de"):
        assert render_template_string("{{ 1234.5|decimalformat }}") == "1.234,5"
    with app.test_request_context("/?lang=fr"):
        assert render_template_string("{{ 1234.5|decimalformat }}") == "1\u202f234,5"


@pytest.mark.parametrize("suffix", ["", "/help", "/survey"])
def test_every_participant_page_has_the_switcher(client, person, suffix):
    _, token = person
    response = client.get(f"/c/{token}{suffix}?lang=es")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert page_lang(response)[0] == "es"
    assert f'href="/c/{token}{suffix}?lang=fr"' in html


def test_switching_language_saves_it_and_says_so_once(app, client, make_participant):
    from preflight.db import session_scope
    from preflight.models import Participant

    participant, token = make_participant(language="en")
    html = client.get(f"/c/{token}?lang=de").get_data(as_text=True)
    notice = (
        'data-notice="language-saved">Ab jetzt erhalten Sie auch unsere E-Mails zu dieser Veranstaltung auf Deutsch.'
    )
    assert notice in html and 'role="status" data-notice="language-saved"' in html
    with app.app_context(), session_scope() as session:
        assert session.get(Participant, participant.id).language == "de"
    # Once: the next visit, or choosing the same language again, says nothing.
    assert "language-saved" not in client.get(f"/c/{token}").get_data(as_text=True)
    assert "language-saved" not in client.get(f"/c/{token}?lang=de").get_data(as_text=True)
    # A pseudo-locale (testing only) is never stored, so nothing is said.
    assert "language-saved" not in client.get(f"/c/{token}?lang=en_XA").get_data(as_text=True)
