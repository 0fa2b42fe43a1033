"""French typography: no-break spaces before : ; ? ! % and inside « », checked by `flask i18n check`."""

from __future__ import annotations

import re

import pytest

from preflight.l10n.typography import NBSP, NNBSP, fix, fix_guide, problems


@pytest.mark.parametrize(
    "text",
    [
        "Navigateur: Fonctionne",
        "Délai (aller-retour) : %(rtt)s ms",
        "Pourquoi ?",
        "Attention !",
        "Perte de 5 %",
        "Perte de 5%",
        "« Lancer le test »",
        "%(check)s : %(figures)s",
        "**Remarque :** lisez ceci",
    ],
)
def test_ordinary_or_missing_spaces_are_flagged_and_fixed(text):
    assert problems(text)
    fixed = fix(text)
    assert problems(fixed) == []
    assert " :" not in fixed and " ?" not in fixed and " !" not in fixed


@pytest.mark.parametrize(
    "text",
    [
        f"Navigateur{NBSP}: Fonctionne",
        f"Pourquoi{NNBSP}?",
        "Voir https://example.org/guides/?lang=fr#chrome",
        f"Le test commence à 10:30{NNBSP}!",
        "%(count)s%%",
        "Lien : [réglages](allow-camera-microphone#os)".replace(" :", f"{NBSP}:"),
        "Tapez `about:preferences` dans la barre d’adresse",
        "## Je n’entends aucun son {#no-sound}",
        "{value} ms",
    ],
)
def test_what_is_right_or_not_prose_passes(text):
    assert problems(text) == []


def test_the_fix_uses_the_narrow_space_before_high_marks_and_the_wide_one_before_a_colon():
    assert fix("Pourquoi ? Attention ! Ceci ; cela : 5 %") == (
        f"Pourquoi{NNBSP}? Attention{NNBSP}! Ceci{NNBSP}; cela{NBSP}: 5{NBSP}%"
    )


def test_a_guides_front_matter_keys_stay_yaml():
    source = "---\ntitle: Pourquoi ?\ncategory: speakers\n---\nTexte : ici\n"
    fixed = fix_guide(source)
    assert fixed.startswith(f"---\ntitle: Pourquoi{NNBSP}?\ncategory: speakers\n---\nTexte{NBSP}: ici")


def test_check_fails_on_a_french_catalog_or_guide_without_no_break_spaces(app, runner, fixture_translations):
    app.config["TRANSLATIONS_DIR"] = str(fixture_translations)
    app.config["LOCALES"] = ["en", "fr"]
    po = fixture_translations / "fr" / "LC_MESSAGES" / "messages.po"
    po.write_text(po.read_text().replace('msgstr "Bonjour"', 'msgstr "Bonjour !"'))
    guide = fixture_translations / "fr" / "guides" / "alpha.md"
    guide.write_text(guide.read_text() + "\nEt maintenant ?\n")
    result = runner.invoke(args=["i18n", "check", "--skip-extract"])
    assert result.exit_code == 1
    assert "fr: 'Hello': French typography: no-break space needed in 'Bonjour !'" in result.output
    assert re.search(r"fr: 'guides/alpha\.md:\d+': French typography", result.output)

    fixed = runner.invoke(args=["i18n", "french-spaces"])
    assert fixed.exit_code == 0 and "fr: 1 message(s) and 1 guide(s) fixed" in fixed.output
    assert "French typography" not in runner.invoke(args=["i18n", "check", "--skip-extract"]).output


def test_the_shipped_french_catalog_and_guides_pass(app):
    from preflight.l10n import catalogs, lint

    paths = catalogs.Paths()
    catalog = catalogs.load(paths.po("fr"), locale="fr")
    found = [p for m in catalog if m.id for p in lint.check_message("fr", m) if "typography" in p.issue]
    found += lint.check_guides("fr", paths.translations / "fr" / "guides")
    assert found == []


def test_the_french_summary_keeps_the_colon_with_its_label(app, client, make_participant):
    from participant_runs import post_run

    participant, token = make_participant(language="fr")
    summary = post_run(app, client, participant, token)["overall"]["html"]
    assert re.search(rf'>Navigateur</a>{NBSP}: <span class="badge', summary), summary[:600]
