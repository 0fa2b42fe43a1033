"""Every reason a judge can give has a sentence for staff, in every language."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask_babel import force_locale

from preflight.checks.base import ERROR_KINDS
from preflight.checks.network import GUIDES as NETWORK_GUIDES
from preflight.results.reasons import REASONS, reason_text

CHECKS = Path(__file__).resolve().parent.parent / "preflight" / "checks"


def _reasons_the_judges_give() -> set[str]:
    found = set(NETWORK_GUIDES)
    for source in CHECKS.glob("*.py"):
        found |= set(re.findall(r'"(?:warn|fail)",\s*"([a-z_]+)"', source.read_text(encoding="utf-8")))
    for check in ("camera", "microphone"):
        found |= {f"{check}_{kind}" for kind in set(ERROR_KINDS.values()) | {"error"}}
    return found


def test_every_reason_has_a_sentence():
    given = _reasons_the_judges_give()
    assert len(given) > 30
    assert given - set(REASONS) == set()


@pytest.mark.parametrize("locale", ["de", "es", "fr"])
def test_sentences_are_translated(app, locale):
    with app.test_request_context(), force_locale(locale):
        untranslated = [code for code, text in REASONS.items() if reason_text(code) == str(text._args[0])]
    assert untranslated == []


def test_an_unknown_reason_shows_its_code(app):
    with app.test_request_context():
        assert reason_text("something_new") == "something_new" and reason_text("") == ""
