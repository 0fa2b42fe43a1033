"""Staff pages for translators: status report and guide preview, no participant data."""

from __future__ import annotations

import re

import pytest


def cell(html: str, locale: str, name: str) -> str:
    row = re.search(rf'<tr data-locale="{locale}">.*?</tr>', html, re.S).group(0)
    return " ".join(re.search(rf'data-value="{name}"[^>]*>(.*?)</td>', row, re.S).group(1).split())


def test_status_page_shows_the_cli_numbers(use_fixture_translations, app, auth, client):
    app.config["LOCALES"] = ["en", "fr", "de"]
    auth.login("translator")
    html = client.get("/staff/translations/").get_data(as_text=True)
    assert cell(html, "fr", "translated") == "3 / 5"
    assert cell(html, "fr", "fuzzy") == "1"
    assert cell(html, "fr", "missing") == "1"
    assert cell(html, "fr", "guides-present") == "1 / 4"
    assert cell(html, "fr", "guides-missing") == "2"
    assert cell(html, "fr", "guides-outdated") == "1"
    assert cell(html, "fr", "guides-orphaned") == "1"
    assert cell(html, "fr", "state") == "Incomplete"
    assert cell(html, "de", "state") == "Complete"


def test_locale_page_lists_guide_states(use_fixture_translations, auth, client):
    auth.login("translator")
    html = client.get("/staff/translations/fr/").get_data(as_text=True)
    states = dict(re.findall(r'data-guide="([^"]+)" data-state="([^"]+)"', html))
    assert states == {
        "alpha": "current",
        "beta": "outdated",
        "evil": "missing",
        "gamma": "missing",
        "orphan": "orphaned",
    }


def test_preview_shows_outdated_guide_with_hashes(use_fixture_translations, auth, client):
    auth.login("translator")
    html = client.get("/staff/translations/fr/beta").get_data(as_text=True)
    assert 'data-preview-state="outdated"' in html
    assert '<code data-value="recorded-hash">000000000000</code>' in html
    assert re.search(r'<code data-value="source-hash">[0-9a-f]{12}</code>', html)
    assert "Ancienne version" in html  # the French text itself
    assert 'data-notice="outdated"' in html  # as participants see it


def test_preview_of_a_missing_translation_shows_the_english_fallback(use_fixture_translations, auth, client):
    auth.login("admin")
    html = client.get("/staff/translations/fr/gamma").get_data(as_text=True)
    assert 'data-preview-state="missing"' in html and 'data-notice="fallback"' in html


def test_preview_links_stay_in_the_preview(use_fixture_translations, auth, client):
    auth.login("translator")
    html = client.get("/staff/translations/de/evil").get_data(as_text=True)
    assert 'href="/staff/translations/de/alpha#one"' in html


def test_preview_in_a_pseudo_locale(pseudo_locales, auth, client):
    auth.login("translator")
    html = client.get("/staff/translations/").get_data(as_text=True)
    assert 'data-locale="fr"' in html


@pytest.mark.parametrize(
    "url",
    [
        "/staff/translations/xx/alpha",
        "/staff/translations/fr/nope",
        "/staff/translations/..%2Fen/alpha",
        "/staff/translations/zz/",
    ],
)
def test_unknown_locale_or_guide_is_404(use_fixture_translations, auth, client, url):
    auth.login("translator")
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    "url", ["/staff/translations/", "/staff/translations/fr/", "/staff/translations/fr/camera-problems"]
)
def test_agents_may_not_and_anonymous_must_sign_in(auth, client, url):
    assert client.get(url).status_code == 302
    auth.login("agent")
    assert client.get(url).status_code == 403


def test_translator_sees_no_participant_data(auth, client, make_participant):
    participant, _ = make_participant(name="Zelda Secretname", email="zelda@example.org")
    auth.login("translator")
    for url in (
        "/staff/translator",
        "/staff/translations/",
        "/staff/translations/fr/",
        "/staff/translations/fr/privacy",
    ):
        html = client.get(url).get_data(as_text=True)
        assert "Secretname" not in html and "zelda@" not in html, url


def test_translator_home_links_to_status_and_previews(auth, client):
    auth.login("translator")
    html = client.get("/staff/translator").get_data(as_text=True)
    assert 'href="/staff/translations/"' in html
    assert 'href="/staff/translations/de/"' in html


@pytest.mark.parametrize(("role", "shown"), [("translator", True), ("admin", True), ("agent", False)])
def test_staff_menu_links_translations(auth, client, role, shown):
    auth.login(role)
    html = client.get("/staff/translator" if role == "translator" else "/staff/").get_data(as_text=True)
    assert ('href="/staff/translations/"' in html) is shown
