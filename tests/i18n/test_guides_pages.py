"""Guide pages: real content in every language, notices, sanitising, search, requirements, tutorial clip."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from preflight.guides.library import GuideState, resolve
from preflight.guides.search import normalise
from preflight.profiles import PROFILES

SHIPPED = ["en", "fr", "de", "es"]
SLUGS = [p.stem for p in (Path(__file__).resolve().parents[2] / "translations" / "en" / "guides").glob("*.md")]


class Elements(HTMLParser):
    """Every start tag with its attributes."""

    def __init__(self, html: str):
        super().__init__()
        self.found: list[tuple[str, dict]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))


def assert_inert(html: str) -> None:
    """No script element, event handler, inline style, javascript: URL or foreign embed."""
    for tag, attrs in Elements(html).found:
        assert tag not in {"script", "iframe", "svg", "form", "input", "object", "embed", "style"}, tag
        for name, value in attrs.items():
            assert not name.startswith("on") and name != "style", (tag, name)
            assert "javascript:" not in re.sub(r"\s", "", (value or "").lower()), (tag, name, value)
            if name in {"src", "poster"}:
                assert value.startswith("/static/"), (tag, value)


def article(html: str) -> str:
    """The guide's own content (without the layout's scripts)."""
    return re.search(r'<article class="card guide".*?</article>', html, re.S).group(0)


@pytest.mark.parametrize("locale", SHIPPED)
def test_faq_lists_every_guide_in_the_language(client, locale):
    response = client.get(f"/guides/?lang={locale}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert sorted(set(re.findall(r'data-guide="([^"]+)"', html))) == sorted(SLUGS)
    assert f'href="/guides/camera-problems?lang={locale}"' in html


@pytest.mark.parametrize("locale", SHIPPED)
def test_every_guide_renders_with_its_section_anchors(client, locale):
    for slug in sorted(SLUGS):
        response = client.get(f"/guides/{slug}?lang={locale}")
        assert response.status_code == 200, slug
        html = response.get_data(as_text=True)
        body = article(html)
        assert f'lang="{locale}"' in body, slug
        assert "data-notice" not in html, f"{locale}/{slug}: shipped guides must be translated and current"
        for section in re.findall(r'<h2 id="([^"]+)"', body):
            assert f'href="#{section}"' in body, (slug, section)
        assert "{#" not in body, slug


def test_links_between_guides_keep_the_language(client):
    body = article(client.get("/guides/how-to-run-check?lang=de").get_data(as_text=True))
    assert 'href="/guides/camera-problems?lang=de#black"' in body


def test_unknown_guide_is_404(client):
    assert client.get("/guides/no-such-guide").status_code == 404
    assert client.get("/guides/..%2F..%2Fetc%2Fpasswd").status_code == 404
    assert client.get("/guides/CAMERA-problems").status_code == 404


def test_missing_translation_falls_back_to_english_with_a_notice(use_fixture_translations, client):
    html = client.get("/guides/gamma?lang=fr").get_data(as_text=True)
    assert 'data-notice="fallback"' in html
    assert 'lang="en"' in article(html)
    assert "Gamma is not translated into French" in html


def test_outdated_translation_is_shown_with_a_notice_and_the_english_link(use_fixture_translations, client):
    html = client.get("/guides/beta?lang=fr").get_data(as_text=True)
    assert 'data-notice="outdated"' in html
    assert "version anglaise plus ancienne" in html
    assert 'href="/guides/beta?lang=en"' in html


def test_current_translation_has_no_notice(use_fixture_translations, client):
    html = client.get("/guides/alpha?lang=fr").get_data(as_text=True)
    assert "data-notice" not in html
    assert "Texte alpha" in html


def test_orphaned_translation_is_not_published(use_fixture_translations, client):
    assert client.get("/guides/orphan?lang=fr").status_code == 404


def test_hostile_guide_renders_inert(use_fixture_translations, client):
    html = client.get("/guides/evil?lang=en").get_data(as_text=True)
    body = article(html)
    assert_inert(body)
    assert "evil.example" not in body
    assert '<img src="/static/favicon.ico" alt="allowed">' in body
    assert '<track kind="captions" src="/static/tutorials/en/demo.vtt" srclang="en">' in body
    assert 'href="/guides/alpha?lang=en#one"' in body
    assert 'href="#tricks"' in body
    assert "html link" in body  # the text stays, the link target goes


def test_hostile_guide_renders_inert_in_translator_preview(use_fixture_translations, auth, client):
    auth.login("translator")
    html = client.get("/staff/translations/de/evil").get_data(as_text=True)
    assert_inert(re.search(r'<div class="preview">.*', html, re.S).group(0).split("<script src=")[0])


def test_search_finds_guides_in_the_visitors_language(client):
    html = client.get("/guides/?lang=fr&q=cam%C3%A9ra+noire").get_data(as_text=True)
    found = re.findall(r'data-guide="([^"]+)"', html)
    assert found and found[0] == "camera-problems"


def test_search_is_accent_and_case_insensitive(client):
    with_accent = re.findall(r'data-guide="([^"]+)"', client.get("/guides/?lang=fr&q=CAMERA").get_data(as_text=True))
    without = re.findall(r'data-guide="([^"]+)"', client.get("/guides/?lang=fr&q=caméra").get_data(as_text=True))
    assert with_accent == without and "camera-problems" in with_accent
    assert normalise("Straße Ñandú") == "strasse nandu"


def test_search_prefixes_match_while_typing(client):
    found = re.findall(r'data-guide="([^"]+)"', client.get("/guides/?lang=de&q=mikro").get_data(as_text=True))
    assert "microphone-problems" in found


def test_search_with_no_result_says_so(client):
    html = client.get("/guides/?lang=en&q=zzzzqqq").get_data(as_text=True)
    assert 'data-results="0"' in html


def test_search_partial_for_htmx(client):
    response = client.get(
        "/guides/?lang=es&q=micr%C3%B3fono", headers={"HX-Request": "true", "HX-Target": "guide-results"}
    )
    html = response.get_data(as_text=True)
    assert "<html" not in html and "data-results=" in html
    assert "HX-Request" in response.headers["Vary"]


def test_search_ignores_overlong_and_odd_queries(client):
    assert client.get("/guides/", query_string={"q": "a" * 5000}).status_code == 200
    assert client.get("/guides/", query_string={"q": "%%%<>'\""}).status_code == 200


@pytest.mark.parametrize("locale", SHIPPED)
def test_requirements_table_comes_from_the_profiles(client, locale):
    body = article(client.get(f"/guides/requirements?lang={locale}").get_data(as_text=True))
    for key, profile in PROFILES.items():
        table = re.search(rf'data-platform="{key}".*?</table>', body, re.S).group(0)
        cells = re.findall(r"<td>([^<]+)</td>", table)
        assert len(cells) == 12
        assert re.sub(r"\D", "", cells[6]) == str(int(profile.rtt_ms.fail))  # latency minimum
        assert re.sub(r"\D", "", cells[7]) == str(int(profile.rtt_ms.warn))
    assert "TCP 443" in body


def test_requirements_numbers_use_the_locale(client):
    fr = article(client.get("/guides/requirements?lang=fr").get_data(as_text=True))
    en = article(client.get("/guides/requirements?lang=en").get_data(as_text=True))
    assert "2,6" in fr and "2.6" in en  # Zoom's 2.6 Mbps presenter upload


def test_tutorial_video_is_embedded_with_captions(app, client, tmp_path):
    static = tmp_path / "static"
    (static / "tutorials" / "fr").mkdir(parents=True)
    (static / "tutorials" / "fr" / "how-to-run-check.webm").write_bytes(b"\x1aE\xdf\xa3")
    (static / "tutorials" / "fr" / "how-to-run-check.vtt").write_text("WEBVTT\n")
    app.static_folder = str(static)
    html = client.get("/guides/how-to-run-check?lang=fr").get_data(as_text=True)
    assert re.search(
        r'<source src="/static/tutorials/fr/how-to-run-check(\.[0-9a-f]{12})?\.webm" type="video/webm">', html
    )
    assert re.search(
        r'<track kind="captions" src="/static/tutorials/fr/how-to-run-check(\.[0-9a-f]{12})?\.vtt" srclang="fr"', html
    )
    # German has no clip of its own here: the English one is not there either, so nothing is shown.
    assert "<video" not in client.get("/guides/how-to-run-check?lang=de").get_data(as_text=True)


def test_resolve_states(use_fixture_translations):
    root = use_fixture_translations
    assert resolve(root, "alpha", "fr").state is GuideState.current
    assert resolve(root, "beta", "fr").state is GuideState.outdated
    assert resolve(root, "gamma", "fr").state is GuideState.missing
    assert resolve(root, "alpha", "en").state is GuideState.source
    assert resolve(root, "orphan", "fr") is None
    assert resolve(root, "../x", "fr") is None


def test_english_fallback_reads_left_to_right_in_a_rtl_page(pseudo_locales, client):
    html = client.get("/guides/camera-problems?lang=ar_XB").get_data(as_text=True)
    assert '<html lang="ar-XB" dir="rtl">' in html
    assert 'lang="en" dir="ltr" data-guide="camera-problems"' in html
