"""Fixtures for the i18n tests: compiled catalogs, a private copy of the fixture translations."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from preflight.l10n import catalogs, pseudo

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "i18n"


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogs():
    """The .mo files are built at set-up, never committed: build them once for this test session."""
    catalogs.compile_all()
    pseudo.build()


@pytest.fixture
def fixture_translations(tmp_path) -> Path:
    """A writable copy of tests/fixtures/i18n (catalogs with known counts, guides in known states)."""
    target = tmp_path / "translations"
    shutil.copytree(FIXTURES, target)
    return target


@pytest.fixture
def use_fixture_translations(app_config, fixture_translations) -> Path:
    """Point the app (guides, status, CLI) at the fixture translations; request it before ``app``."""
    app_config["TRANSLATIONS_DIR"] = str(fixture_translations)
    return fixture_translations


@pytest.fixture
def pseudo_locales(app_config):
    """Enable the pseudo-locales for ``?lang=``; request it before ``app``."""
    app_config["PSEUDO_LOCALES"] = ["en_XA", "ar_XB"]
