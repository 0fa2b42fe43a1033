"""Layouts hold with long (pseudo-locale, German) and right-to-left text, in a real browser at phone width."""

from __future__ import annotations

import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("PREFLIGHT_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = [pytest.mark.e2e, pytest.mark.ui_only]

# Overflow of the page, and text cut off inside buttons, badges, headings and labels.
MEASURE = """() => {
  const doc = document.documentElement;
  const clipped = [...document.querySelectorAll('button, .button, .badge, h1, h2, h3, label, .lang-switcher a, th, td')]
    .filter(el => el.offsetParent !== null && el.scrollWidth > el.clientWidth + 1
                  && getComputedStyle(el).overflowX !== 'auto')
    .map(el => el.outerHTML.slice(0, 120));
  return {overflow: doc.scrollWidth - window.innerWidth, dir: getComputedStyle(document.body).direction,
          lang: doc.lang, clipped};
}"""


@pytest.fixture
def server(app_config, pseudo_locales, app):
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()


@pytest.fixture(scope="module")
def chromium(playwright):
    """One browser for the module, from pytest-playwright's session (skips without Chromium, fails under CI)."""
    if not os.access(CHROMIUM, os.X_OK):
        if os.environ.get("PREFLIGHT_REQUIRE_BROWSER") == "1":
            pytest.fail(f"no Chromium at {CHROMIUM}")
        pytest.skip("no Chromium (apt-get install chromium, or set PREFLIGHT_CHROMIUM)")
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--use-fake-device-for-media-stream"])
    yield browser
    browser.close()


@pytest.fixture
def phone_page(chromium, server):
    """A phone-sized page on this test's server."""
    context = chromium.new_context(
        viewport={"width": 360, "height": 740}, base_url=server, permissions=["camera", "microphone"]
    )
    yield context.new_page()
    context.close()


@pytest.mark.parametrize(("locale", "direction"), [("en_XA", "ltr"), ("ar_XB", "rtl"), ("de", "ltr")])
def test_pages_fit_a_phone_in_long_and_rtl_locales(phone_page, make_participant, locale, direction):
    _, token = make_participant(name="Maximilian Mustermann-Oberhauser")
    for path in (f"/c/{token}", "/guides/", "/guides/requirements", "/guides/camera-problems"):
        phone_page.goto(f"{path}?lang={locale}")
        result = phone_page.evaluate(MEASURE)
        assert result["lang"] == locale.replace("_", "-")
        assert result["dir"] == direction, path
        assert result["overflow"] <= 0, (path, result)
        assert result["clipped"] == [], (path, result["clipped"])


def test_verdicts_and_summary_hold_right_to_left(phone_page, make_participant):
    """A whole run in the right-to-left pseudo-locale: verdicts and summary fit and mirror."""
    from playwright.sync_api import expect

    _, token = make_participant(name="Maximilian Mustermann-Oberhauser")
    page = phone_page
    # The connection step takes ~10 s and its layout is the same card as the others: leave it out here.
    page.route(
        "**/static/js/network.*js", lambda route: route.fulfill(status=200, content_type="text/javascript", body="")
    )
    page.goto(f"/c/{token}?lang=ar_XB")
    page.click('[data-action="start"]')
    page.locator('[data-answer="yes"]:not([disabled])').or_(
        page.locator('[data-action="play-sound"]:not([disabled])')
    ).first.wait_for(timeout=30000)
    if page.locator('[data-action="play-sound"]:not([disabled])').count():
        page.click('[data-action="play-sound"]')
    page.locator('[data-answer="yes"]:not([disabled])').click(timeout=15000)
    expect(page.locator('[data-role="summary"]')).to_be_visible(timeout=60000)
    result = page.evaluate(MEASURE)
    assert result["dir"] == "rtl"
    assert result["overflow"] <= 0, result
    assert result["clipped"] == [], result["clipped"]
    assert page.locator("[data-verdict]").count() >= 3
