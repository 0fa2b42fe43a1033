"""Catalog tooling: the status report's numbers, the consistency check, the CLI's exit codes."""

from __future__ import annotations

import json

import pytest
from babel.messages.mofile import read_mo

from preflight.l10n import catalogs, lint
from preflight.l10n.pseudo import accented, bidi
from preflight.l10n.status import report

pytestmark = pytest.mark.usefixtures("use_fixture_translations")


def paths_for(folder):
    return catalogs.Paths(translations=folder)


def test_status_numbers_on_fixture_catalog(fixture_translations):
    statuses = {s.locale: s for s in report(["en", "fr", "de"], paths_for(fixture_translations))}
    fr = statuses["fr"]
    assert (fr.strings.total, fr.strings.translated, fr.strings.fuzzy, fr.strings.missing) == (5, 3, 1, 1)
    assert fr.guides.present == ["alpha"]
    assert fr.guides.missing == ["evil", "gamma"]
    assert fr.guides.outdated == ["beta"]
    assert fr.guides.orphaned == ["orphan"]
    assert not fr.complete
    de = statuses["de"]
    assert (de.strings.translated, de.strings.fuzzy, de.strings.missing) == (5, 0, 0)
    assert (len(de.guides.present), de.guides.missing, de.guides.outdated) == (4, [], [])
    assert de.complete
    assert statuses["en"].is_source and statuses["en"].complete


def test_status_counts_strings_the_catalog_never_received_as_missing(fixture_translations):
    pot = fixture_translations / "messages.pot"
    pot.write_text(pot.read_text() + '\nmsgid "Brand new"\nmsgstr ""\n')
    de = report(["en", "de"], paths_for(fixture_translations))[1]
    assert (de.strings.total, de.strings.missing) == (6, 1)
    assert not de.complete


def test_unreadable_guide_is_reported(fixture_translations):
    (fixture_translations / "de" / "guides" / "alpha.md").write_text("---\ntitle: [unclosed\n---\nbody\n")
    de = report(["en", "de"], paths_for(fixture_translations))[1]
    assert de.guides.invalid == ["alpha"]
    assert not de.complete


def test_status_cli_exits_1_when_a_shipped_locale_is_incomplete(app, runner):
    app.config["LOCALES"] = ["en", "fr", "de"]
    result = runner.invoke(args=["i18n", "status"])
    assert result.exit_code == 1
    lines = {line.split()[0]: line for line in result.output.splitlines() if line and not line.startswith(" ")}
    assert "3/1/1 of 5" in lines["fr"] and "INCOMPLETE" in lines["fr"]
    assert "1/2/1/1 of 4" in lines["fr"]
    assert "complete" in lines["de"] and "INCOMPLETE" not in lines["de"]
    assert "guides outdated: beta" in result.output


def test_status_cli_exits_0_when_shipped_locales_are_complete(app, runner):
    app.config["LOCALES"] = ["en", "de"]
    result = runner.invoke(args=["i18n", "status"])
    assert result.exit_code == 0, result.output
    assert "(not shipped)" in result.output  # fr still listed, but it does not fail the run


def test_status_cli_json(app, runner):
    app.config["LOCALES"] = ["en", "de"]
    result = runner.invoke(args=["i18n", "status", "--json", "--locale", "fr"])
    data = json.loads(result.output)
    assert [d["locale"] for d in data] == ["fr"]
    assert data[0]["strings"] == {"total": 5, "translated": 3, "fuzzy": 1, "missing": 1}
    assert data[0]["states"]["beta"] == "outdated"
    assert result.exit_code == 0  # fr is not shipped here


def test_check_finds_broken_placeholders_tags_and_fuzzy(app, runner):
    app.config["LOCALES"] = ["en", "fr", "de"]
    result = runner.invoke(args=["i18n", "check", "--skip-extract"])
    assert result.exit_code == 1
    out = result.output
    assert "de: 'Hello %(name)s': placeholder missing: %(name)s" in out
    assert "placeholder not in the source: %(nom)s" in out
    assert "de: '<strong>Bold</strong> text': HTML tags differ" in out
    assert "fr: 'Hello %(name)s': fuzzy" in out
    assert "fr: 'Goodbye': missing translation" in out
    # A plural form may leave out the count, as German "eine Datei" does.
    assert "file in" not in out


def test_check_passes_on_a_clean_catalog(app, runner, fixture_translations):
    app.config["LOCALES"] = ["en", "de"]
    po = fixture_translations / "de" / "LC_MESSAGES" / "messages.po"
    po.write_text(
        po.read_text().replace("%(nom)s", "%(name)s").replace("<em>Fetter</em> Text", "<strong>Fetter</strong> Text")
    )
    (fixture_translations / "fr" / "LC_MESSAGES" / "messages.po").unlink()
    result = runner.invoke(args=["i18n", "check", "--skip-extract"])
    assert result.exit_code == 0, result.output
    assert "translations OK" in result.output


def test_check_flags_a_shipped_locale_without_catalog(app, runner, fixture_translations):
    app.config["LOCALES"] = ["en", "it"]
    result = runner.invoke(args=["i18n", "check", "--skip-extract"])
    assert result.exit_code == 1
    assert "it: shipped but has no catalog" in result.output


@pytest.mark.parametrize(
    ("source", "translation", "problem"),
    [
        ("Hello %(name)s", "Bonjour", "placeholder missing"),
        ("Hello", "Bonjour %(name)s", "placeholder not in the source"),
        ("%s of %s", "%s", "placeholder missing"),
        (
            'Read <a href="%(url)s">the guide</a>',
            'Lisez <a href="https://evil.example">le guide</a>',
            "HTML tags differ",
        ),
        ("Plain", "Texte <script>alert(1)</script>", "script"),
        ("Plain", '<a href="javascript:alert(1)">x</a>', "javascript"),
        ("Plain", '<img src=x onerror="alert(1)">', "event handler"),
    ],
)
def test_check_pair_rejects(source, translation, problem):
    assert any(problem in issue for issue in lint.check_pair(source, translation))


@pytest.mark.parametrize(
    ("source", "translation"),
    [
        ("Hello %(name)s, %(event)s", "%(event)s : bonjour %(name)s"),
        ("100%% sure", "sûr à 100 %%"),
        ('Read <a href="%(url)s">the guide</a>', 'Lisez <a href="%(url)s">le guide</a>'),
        ("{count} items", "{count} éléments"),
    ],
)
def test_check_pair_accepts(source, translation):
    assert lint.check_pair(source, translation) == []


def test_init_creates_catalog_and_guides_folder(app, runner, fixture_translations):
    result = runner.invoke(args=["i18n", "init", "it"])
    assert result.exit_code == 0, result.output
    catalog = catalogs.load(fixture_translations / "it" / "LC_MESSAGES" / "messages.po", locale="it")
    assert {m.id for m in catalog if m.id and isinstance(m.id, str)} >= {"Hello", "Goodbye"}
    assert (fixture_translations / "it" / "guides").is_dir()
    assert "PREFLIGHT_LOCALES=" in result.output
    again = runner.invoke(args=["i18n", "init", "it"])
    assert again.exit_code != 0 and "already exists" in again.output


def test_init_refuses_unknown_locale(app, runner, fixture_translations):
    result = runner.invoke(args=["i18n", "init", "zz_QQ"])
    assert result.exit_code != 0
    assert "not a locale" in result.output
    assert not (fixture_translations / "zz_QQ").exists()


def test_update_merges_new_strings_into_catalogs(app, runner, fixture_translations):
    pot = fixture_translations / "messages.pot"
    pot.write_text(pot.read_text() + '\n#: templates/new.html\nmsgid "Brand new"\nmsgstr ""\n')
    result = runner.invoke(args=["i18n", "update", "--no-extract"])
    assert result.exit_code == 0, result.output
    fr = catalogs.load(fixture_translations / "fr" / "LC_MESSAGES" / "messages.po", locale="fr")
    assert fr.get("Brand new") is not None and not fr.get("Brand new").string
    assert fr.get("Hello").string == "Bonjour"  # existing work kept
    assert runner.invoke(args=["i18n", "update", "--no-extract"]).output.strip().endswith("nothing changed")


def test_update_refuses_a_locale_without_catalog(app, runner):
    result = runner.invoke(args=["i18n", "update", "--no-extract", "-l", "it"])
    assert result.exit_code != 0 and "i18n init" in result.output


def test_compile_builds_mo_files_and_pseudo_locales(app, runner, fixture_translations):
    result = runner.invoke(args=["i18n", "compile"])
    assert result.exit_code == 0, result.output
    assert "fr: 3/5 translated" in result.output
    with (fixture_translations / "fr" / "LC_MESSAGES" / "messages.mo").open("rb") as f:
        fr = read_mo(f)
    assert fr.get("Hello").string == "Bonjour"
    assert fr.get("Hello %(name)s") is None  # fuzzy: left out, English is shown instead
    with (fixture_translations / "en_XA" / "LC_MESSAGES" / "messages.mo").open("rb") as f:
        xa = read_mo(f)
    assert xa.get("Hello %(name)s").string.startswith("⟦Ĥéļļö %(name)s")


def test_pseudo_accented_keeps_placeholders_tags_and_entities():
    source = 'Hello %(name)s, <a href="%(url)s">read</a> &amp; {count} %d'
    out = accented(source)
    assert out.startswith("⟦") and out.endswith("⟧")
    assert lint.check_pair(source, out) == []
    assert not any(
        ch.isascii() and ch.isalpha() for ch in lint.PLACEHOLDER.sub("", lint.TAG.sub("", out)).replace("&amp;", "")
    )
    plain = "Join the meeting from your browser"
    assert len(accented(plain)) - 2 >= len(plain) * 1.4  # German-like length, minus the brackets


def test_pseudo_bidi_keeps_placeholders():
    source = "Hello %(name)s <b>now</b>"
    assert lint.check_pair(source, bidi(source)) == []
    assert "\u202e" in bidi(source)


def test_mark_updated_records_the_current_english_hash(app, runner, fixture_translations):
    from preflight.guides.library import GuideState, guide_states

    beta = fixture_translations / "fr" / "guides" / "beta.md"
    before = beta.read_text()
    result = runner.invoke(args=["i18n", "mark-updated", "fr", "beta"])
    assert result.exit_code == 0, result.output
    after = beta.read_text()
    assert [line for line in before.splitlines() if not line.startswith("source_hash")] == [
        line for line in after.splitlines() if not line.startswith("source_hash")
    ]
    assert guide_states(fixture_translations, "fr")["beta"] is GuideState.current
    assert "000000000000 ->" in result.output


@pytest.mark.parametrize("args", [["en", "beta"], ["fr", "gamma"], ["fr", "nope"], ["fr", "../x"]])
def test_mark_updated_refuses_what_it_cannot_stamp(app, runner, args):
    result = runner.invoke(args=["i18n", "mark-updated", *args])
    assert result.exit_code != 0


@pytest.fixture
def project_app(app):
    """The app on the project's own catalogs (not the fixture ones)."""
    app.config.pop("TRANSLATIONS_DIR", None)
    return app


@pytest.mark.usefixtures("project_app")
def test_project_catalogs_pass_the_check(runner):
    """The CI gate: .pot current, shipped locales complete, placeholders and tags kept."""
    result = runner.invoke(args=["i18n", "check"])
    assert result.exit_code == 0, result.output


@pytest.mark.usefixtures("project_app")
def test_project_status_is_complete(runner):
    result = runner.invoke(args=["i18n", "status"])
    assert result.exit_code == 0, result.output


def test_compiled_catalogs_are_not_committed():
    import shutil
    import subprocess

    from preflight import PROJECT_ROOT

    if not shutil.which("git") or not (PROJECT_ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    tracked = subprocess.run(
        ["git", "ls-files", "*.mo"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert tracked.strip() == ""
