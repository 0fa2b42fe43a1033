"""Every guide section a verdict can point to exists in every shipped language.

The references ("slug#id") are collected from the judging code itself (every string
literal of that shape in preflight/checks/ and preflight/network/, plus the
per-browser permission sections), so a new reference is covered without editing this test.
"""

from __future__ import annotations

import ast
import re
from types import SimpleNamespace

import pytest

from preflight import PROJECT_ROOT
from preflight.checks.base import permission_guide
from preflight.config import load_settings
from preflight.guides.library import load_locale
from preflight.profiles import PROFILES

REF = re.compile(r"^([a-z0-9]+(?:-[a-z0-9]+)*)#([a-z0-9]+(?:-[a-z0-9]+)*)$")
JUDGING_CODE = ("preflight/checks", "preflight/network", "preflight/participant")
SHIPPED = load_settings({})["LOCALES"]
TRANSLATIONS = PROJECT_ROOT / "translations"


def literal_refs() -> set[str]:
    """String constants shaped like ``slug#section`` in the judging code."""
    refs = set()
    for folder in JUDGING_CODE:
        for path in sorted((PROJECT_ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Constant) and isinstance(node.value, str) and REF.match(node.value):
                    refs.add(node.value)
    return refs


def permission_refs() -> set[str]:
    """The per-browser section for a denied camera/microphone, for every kind of client."""
    families = ["chrome", "edge", "firefox", "safari", "opera", "samsung", "other", "ie"]
    devices = ["desktop", "mobile", "tablet", "other"]
    return {permission_guide(SimpleNamespace(family=f, device_type=d)) for f in families for d in devices}


def platform_refs() -> set[str]:
    """The run summary links to how to join the event's platform."""
    return {f"join-platform#{key}" for key in PROFILES if key != "generic"}


ALL_REFS = sorted(literal_refs() | permission_refs() | platform_refs())


def test_the_judges_do_point_to_guides():
    """The collection works: the known checks' references are found."""
    slugs = {ref.split("#")[0] for ref in ALL_REFS}
    assert {
        "camera-problems",
        "microphone-problems",
        "speaker-problems",
        "browser-problems",
        "allow-camera-microphone",
    } <= slugs


@pytest.mark.parametrize("locale", SHIPPED)
@pytest.mark.parametrize("ref", ALL_REFS)
def test_reference_exists_in_every_shipped_locale(locale, ref):
    slug, section = ref.split("#")
    guides = load_locale(TRANSLATIONS, locale).guides
    assert slug in guides, f"{locale}: no guide {slug!r}"
    assert section in guides[slug].heading_ids, f"{locale}/{slug}: no section {{#{section}}}"


@pytest.mark.parametrize("locale", SHIPPED)
def test_verdict_links_resolve_to_the_guide_page(client, locale):
    """The URL a verdict shows opens the guide in the page's language."""
    for ref in ALL_REFS:
        slug, section = ref.split("#")
        response = client.get(f"/guides/{slug}?lang={locale}")
        assert response.status_code == 200
        assert f'id="{section}"' in response.get_data(as_text=True)


def test_guide_url_keeps_the_locale_and_the_section(app):
    from preflight.checks.guides import guide_url

    with app.test_request_context("/?lang=es"):
        assert guide_url("camera-problems#black") == "/guides/camera-problems?lang=es#black"
