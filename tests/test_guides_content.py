"""Content checks for the participant guides in translations/<locale>/guides/*.md.

Verdicts link to ``slug#id``, so every slug must exist in every locale and carry the same
section ids. Translations record the hash of the English body they were made from
(``source_hash``); a mismatch means the English text changed and the translation is stale.
"""

import hashlib
import re
from pathlib import Path

import frontmatter
import pytest

GUIDES_ROOT = Path(__file__).resolve().parent.parent / "translations"
SOURCE_LOCALE = "en"
LOCALES = ["en", "fr", "de", "es"]
CATEGORIES = {"camera", "microphone", "speakers", "browser", "network", "platform", "general"}

# slug -> section ids that verdicts link to; every locale must carry exactly these (at least).
REQUIRED_IDS = {
    "allow-camera-microphone": {"chrome", "edge", "firefox", "safari", "mobile", "os"},
    "camera-problems": {"black", "busy", "not-found", "frozen", "low-quality"},
    "microphone-problems": {"silent", "too-quiet", "clipping", "not-found"},
    "speaker-problems": {"no-sound", "choose-output"},
    "browser-problems": {"unsupported", "outdated", "limited", "not-secure", "in-app-browser"},
    "firewall-vpn-proxy": {"udp-blocked", "tcp-only", "no-connection", "vpn-proxy", "ask-it", "turn"},
    "low-bandwidth": {"upload", "download", "wifi", "close-apps", "audio-only"},
    "network-quality": {"latency", "jitter", "loss", "mobile-data", "background-tab"},
    "join-platform": {"zoom", "teams", "meet", "webex", "goto", "jitsi"},
    "event-day-checklist": {"day-before", "hour-before", "during"},
    "how-to-run-check": {"start", "camera", "microphone", "speakers", "network", "results", "help"},
    "requirements": {"intro"},
    "privacy": {"what", "retention", "delete"},
}

# "## Heading {#id}" -- the explicit, language-independent anchor syntax (mdit attrs plugin).
HEADING_ID = re.compile(r"^#{1,6} .*\{#([a-z0-9-]+)\}\s*$", re.MULTILINE)
# Markdown links whose target is a bare guide slug, optionally with #id, or a same-page #id.
GUIDE_LINK = re.compile(r"\]\(([a-z0-9-]*)(?:#([a-z0-9-]+))?\)")
CASES = [(locale, slug) for locale in LOCALES for slug in REQUIRED_IDS]


def body_hash(post):
    """Return the 12-hex-digit sha256 prefix of a guide body, as stored in source_hash."""
    return hashlib.sha256(post.content.strip().encode("utf-8")).hexdigest()[:12]


def load(locale, slug):
    """Parse one guide file (front matter + Markdown body)."""
    return frontmatter.load(GUIDES_ROOT / locale / "guides" / f"{slug}.md")


def heading_ids(post):
    """Return the list of explicit heading ids in the guide body, in order."""
    return HEADING_ID.findall(post.content)


@pytest.mark.parametrize("locale", LOCALES)
def test_locale_has_exactly_the_known_slugs(locale):
    found = {p.stem for p in (GUIDES_ROOT / locale / "guides").glob("*.md")}
    assert found == set(REQUIRED_IDS)


@pytest.mark.parametrize(("locale", "slug"), CASES)
def test_front_matter_is_valid(locale, slug):
    meta = load(locale, slug).metadata
    for key in ("title", "summary"):
        assert isinstance(meta.get(key), str) and meta[key].strip(), key
    assert meta.get("category") in CATEGORIES
    assert isinstance(meta.get("order"), int) and not isinstance(meta["order"], bool)
    keywords = meta.get("keywords")
    assert isinstance(keywords, list) and keywords
    assert all(isinstance(k, str) and k.strip() for k in keywords)
    allowed = {"title", "summary", "category", "order", "keywords"}
    if locale != SOURCE_LOCALE:
        allowed.add("source_hash")
        assert re.fullmatch(r"[0-9a-f]{12}", str(meta.get("source_hash", "")))
    assert set(meta) <= allowed


@pytest.mark.parametrize("locale", [loc for loc in LOCALES if loc != SOURCE_LOCALE])
@pytest.mark.parametrize("slug", sorted(REQUIRED_IDS))
def test_translation_matches_source(locale, slug):
    """Category and order are language-independent; source_hash must match the English body."""
    source, translated = load(SOURCE_LOCALE, slug), load(locale, slug)
    assert translated["category"] == source["category"]
    assert translated["order"] == source["order"]
    assert translated["source_hash"] == body_hash(source), (
        f"{locale}/{slug}: English changed since translation; update it and its source_hash"
    )


@pytest.mark.parametrize(("locale", "slug"), CASES)
def test_required_ids_present_once(locale, slug):
    ids = heading_ids(load(locale, slug))
    assert len(ids) == len(set(ids)), f"duplicate ids {ids}"
    assert REQUIRED_IDS[slug] <= set(ids)


@pytest.mark.parametrize("locale", [loc for loc in LOCALES if loc != SOURCE_LOCALE])
@pytest.mark.parametrize("slug", sorted(REQUIRED_IDS))
def test_translation_has_same_ids_as_source(locale, slug):
    assert heading_ids(load(locale, slug)) == heading_ids(load(SOURCE_LOCALE, slug))


@pytest.mark.parametrize(("locale", "slug"), CASES)
def test_links_point_to_existing_guides_and_ids(locale, slug):
    post = load(locale, slug)
    for target, anchor in GUIDE_LINK.findall(post.content):
        target = target or slug
        assert target in REQUIRED_IDS, f"unknown guide {target!r}"
        if anchor:
            assert anchor in heading_ids(load(locale, target)), f"{target}#{anchor}"


@pytest.mark.parametrize(("locale", "slug"), CASES)
def test_no_image_references(locale, slug):
    assert "![" not in load(locale, slug).content
