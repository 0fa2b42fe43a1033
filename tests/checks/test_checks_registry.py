"""The check registry and the run's overall verdict."""

import re
from pathlib import Path

import pytest

from preflight import checks
from preflight.checks import ORDER, names, overall, register
from preflight.checks.guides import guide_url

GUIDES = Path(__file__).resolve().parents[2] / "translations" / "en" / "guides"
SOURCES = Path(checks.__file__).resolve().parent


def test_built_in_checks_are_registered_in_page_order():
    registered = names()
    assert registered[:4] == ["browser", "camera", "microphone", "speakers"]
    assert registered == [name for name in ORDER if name in registered]


def test_only_known_names_can_be_registered():
    with pytest.raises(ValueError, match="unknown check name"):
        register("telepathy", object, lambda payload, ctx: None)


@pytest.mark.parametrize(
    ("verdicts", "expected"),
    [
        ({}, "incomplete"),
        ({"browser": "pass"}, "incomplete"),
        ({"browser": "fail"}, "fail"),  # a failure is final even before the rest ran
        ({"browser": "pass", "camera": "warn", "microphone": "pass", "speakers": "pass"}, "warn"),
        ({"browser": "pass", "camera": "pass", "microphone": "pass", "speakers": "pass"}, "pass"),
        ({"browser": "warn", "camera": "fail", "microphone": "pass", "speakers": "pass"}, "fail"),
    ],
)
def test_overall(verdicts, expected):
    assert overall(verdicts, ["browser", "camera", "microphone", "speakers"]) == expected


def _sections(slug):
    text = (GUIDES / f"{slug}.md").read_text(encoding="utf-8")
    return set(re.findall(r"\{#([a-z0-9-]+)\}", text))


def test_every_guide_a_built_in_judge_names_exists():
    refs = set()
    for module in ("base", "browser", "camera", "microphone", "speakers"):
        refs |= set(re.findall(r'"([a-z0-9-]+#[a-z0-9-]+)"', (SOURCES / f"{module}.py").read_text()))
    refs |= {f"allow-camera-microphone#{b}" for b in ("chrome", "edge", "firefox", "safari", "mobile")}
    assert len(refs) > 15
    for ref in sorted(refs):
        slug, section = ref.split("#")
        assert section in _sections(slug), ref


def test_guide_url(app):
    with app.test_request_context("/?lang=fr"):
        assert guide_url("camera-problems#black") == "/guides/camera-problems?lang=fr#black"
    with pytest.raises(ValueError):
        guide_url("../etc/passwd")
