"""``flask i18n ...``: the translators' workflow from the command line.

flask --app wsgi i18n extract          # scan code and templates into translations/messages.pot
flask --app wsgi i18n update           # extract, then merge into every locale's messages.po
flask --app wsgi i18n compile          # .po -> .mo, plus the pseudo-locales (run at set-up)
flask --app wsgi i18n status           # what is left to translate; exit 1 if a shipped locale is incomplete
flask --app wsgi i18n check            # placeholders/tags kept, nothing fuzzy or missing; exit 1 otherwise
flask --app wsgi i18n init pt_BR       # a new locale: catalog and guides folder
flask --app wsgi i18n mark-updated fr camera-problems   # translation now matches the current English
flask --app wsgi i18n pseudo           # rebuild only the pseudo-locales
flask --app wsgi i18n french-spaces    # put the no-break spaces French needs into fr catalogs and guides
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import asdict
from pathlib import Path

import click
from babel.core import UnknownLocaleError
from flask import current_app
from flask.cli import AppGroup

from ..guides import stamp as guides_stamp
from . import catalogs, lint, pseudo, typography
from .status import report

i18n = AppGroup(
    "i18n", help="Translation workflow: extract, update, compile, status, check, init, mark-updated, pseudo."
)


def _paths() -> catalogs.Paths:
    """The project's catalogs, or another folder (tests point ``TRANSLATIONS_DIR`` at a copy)."""
    folder = current_app.config.get("TRANSLATIONS_DIR")
    return catalogs.Paths(translations=Path(folder)) if folder else catalogs.Paths()


def _shipped() -> list[str]:
    return list(current_app.config["LOCALES"])


@i18n.command("extract")
def extract_command():
    """Scan Python code and templates (babel.cfg) into translations/messages.pot."""
    count, changed = catalogs.extract(_paths())
    click.echo(f"{count} messages in {_paths().pot.name}" + ("" if changed else " (unchanged)"))


@i18n.command("update")
@click.option("--locale", "-l", "locales", multiple=True, help="Only these locales (default: every catalog).")
@click.option("--no-extract", is_flag=True, help="Use the existing messages.pot as it is.")
def update_command(locales: tuple[str, ...], no_extract: bool):
    """Extract, then merge new and changed strings into each locale's messages.po."""
    paths = _paths()
    if not no_extract:
        count, _changed = catalogs.extract(paths)
        click.echo(f"{count} messages in {paths.pot.name}")
    targets = list(locales) or paths.catalog_locales()
    unknown = [loc for loc in targets if not paths.po(loc).exists()]
    if unknown:
        raise click.ClickException(f"no catalog for {', '.join(unknown)}: create it with `flask i18n init <locale>`")
    changed = catalogs.update(targets, paths)
    click.echo(f"updated: {', '.join(changed) or 'nothing changed'}")


@i18n.command("compile")
def compile_command():
    """Build the .mo files the application reads (shipped catalogs and pseudo-locales)."""
    paths = _paths()
    for result in catalogs.compile_all(paths):
        click.echo(f"{result.locale}: {result.translated}/{result.messages} translated")
        for error in result.errors:
            click.echo(f"  warning: {error}", err=True)
    built = pseudo.build(paths)
    click.echo(f"pseudo-locales: {', '.join(built)}")


@i18n.command("french-spaces")
def french_spaces_command():
    """Put the no-break spaces French typography needs before : ; ? ! % and inside « » (fr catalogs, guides)."""
    paths = _paths()
    for locale in paths.catalog_locales():
        if locale.split("_")[0] != "fr":
            continue
        catalog = catalogs.load(paths.po(locale), locale=locale)
        changed = typography.fix_catalog(catalog)
        catalogs.save(paths.po(locale), catalog)
        fixed_guides = 0
        for guide in sorted((paths.translations / locale / "guides").glob("*.md")):
            source = guide.read_text(encoding="utf-8")
            fixed = typography.fix_guide(source)
            if fixed != source:
                guide.write_text(fixed, encoding="utf-8")
                fixed_guides += 1
        click.echo(f"{locale}: {changed} message(s) and {fixed_guides} guide(s) fixed")


@i18n.command("pseudo")
def pseudo_command():
    """Rebuild the pseudo-locales (en_XA accented and longer, ar_XB right-to-left) from messages.pot."""
    click.echo(f"pseudo-locales: {', '.join(pseudo.build(_paths()))}")


@i18n.command("init")
@click.argument("locale")
def init_command(locale: str):
    """Start a new locale: translations/<locale>/LC_MESSAGES/messages.po and translations/<locale>/guides/."""
    try:
        created = catalogs.init_locale(locale, _paths())
    except UnknownLocaleError:
        raise click.ClickException(f"{locale!r} is not a locale Babel knows (try e.g. pt_BR, it, nl)") from None
    except FileExistsError as exc:
        raise click.ClickException(str(exc)) from None
    for path in created:
        click.echo(f"created {path}")
    if locale not in _shipped():
        click.echo(
            f"Translate the catalog and the guides, then ship it: PREFLIGHT_LOCALES={','.join(_shipped() + [locale])}"
        )


@i18n.command("mark-updated")
@click.argument("locale")
@click.argument("slugs", nargs=-1, required=True)
def mark_updated_command(locale: str, slugs: tuple[str, ...]):
    """Record that guides of LOCALE are translated from the current English (sets their source_hash)."""
    for slug in slugs:
        try:
            old, new = guides_stamp.mark_updated(_paths().translations, locale, slug)
        except (FileNotFoundError, ValueError) as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"{locale}/{slug}: source_hash {old or '(none)'} -> {new}")


def _fmt_strings(status) -> str:
    s = status.strings
    return f"{s.translated}/{s.fuzzy}/{s.missing} of {s.total}"


def _fmt_guides(status) -> str:
    g = status.guides
    return f"{len(g.present)}/{len(g.missing)}/{len(g.outdated)}/{len(g.orphaned)} of {g.total}"


@i18n.command("status")
@click.option("--locale", "-l", "locales", multiple=True, help="Only these locales.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def status_command(locales: tuple[str, ...], as_json: bool):
    """Per locale: strings translated/fuzzy/missing, guides present/missing/outdated/orphaned.

    Exits with status 1 when a shipped locale is incomplete.
    """
    statuses = report(_shipped(), _paths(), extra=list(locales))
    if locales:
        statuses = [s for s in statuses if s.locale in locales]
    if as_json:
        click.echo(
            json.dumps(
                [
                    {**asdict(s), "states": {k: v.value for k, v in s.states.items()}, "complete": s.complete}
                    for s in statuses
                ],
                indent=2,
            )
        )
    else:
        click.echo(
            f"{'locale':<8} {'strings: translated/fuzzy/missing':<36} "
            f"{'guides: present/missing/outdated/orphaned':<44} state"
        )
        for s in statuses:
            state = "source" if s.is_source else ("complete" if s.complete else "INCOMPLETE")
            if not s.shipped:
                state += " (not shipped)"
            click.echo(f"{s.locale:<8} {_fmt_strings(s):<36} {_fmt_guides(s):<44} {state}")
            for label, slugs in (
                ("missing", s.guides.missing),
                ("outdated", s.guides.outdated),
                ("orphaned", s.guides.orphaned),
                ("unreadable", s.guides.invalid),
            ):
                if slugs:
                    click.echo(f"{'':<8} guides {label}: {', '.join(slugs)}")
    incomplete = [s.locale for s in statuses if s.shipped and not s.complete]
    if incomplete:
        raise SystemExit(1)


@i18n.command("check")
@click.option("--skip-extract", is_flag=True, help="Do not verify that messages.pot matches the code.")
def check_command(skip_extract: bool):
    """CI gate: placeholders and HTML tags kept, no fuzzy or missing entry in shipped locales, .pot current."""
    paths = _paths()
    problems: list[str] = []
    if not skip_extract:
        with tempfile.TemporaryDirectory() as tmp:
            fresh = catalogs.Paths(root=paths.root, translations=Path(tmp), mapping=paths.mapping)
            catalogs.extract(fresh)
            new_ids = {
                (m.id if isinstance(m.id, str) else tuple(m.id), m.context) for m in catalogs.load(fresh.pot) if m.id
            }
        old_ids = (
            {(m.id if isinstance(m.id, str) else tuple(m.id), m.context) for m in catalogs.load(paths.pot) if m.id}
            if paths.pot.exists()
            else set()
        )
        if new_ids != old_ids:
            problems.append(
                f"messages.pot is stale ({len(new_ids - old_ids)} new, {len(old_ids - new_ids)} gone): run `flask i18n "
                "update`"
            )
    template = catalogs.load(paths.pot)
    shipped = _shipped()
    for locale in paths.catalog_locales():
        catalog = catalogs.load(paths.po(locale), locale=locale)
        problems.extend(str(p) for p in lint.check_catalog(locale, catalog, template, complete=locale in shipped))
        problems.extend(str(p) for p in lint.check_guides(locale, paths.translations / locale / "guides"))
    for locale in shipped:
        if locale != "en" and not paths.po(locale).exists():
            problems.append(f"{locale}: shipped but has no catalog")
    for problem in problems:
        click.echo(problem)
    if problems:
        click.echo(f"{len(problems)} problem(s)", err=True)
        raise SystemExit(1)
    click.echo("translations OK")


def init_app(app) -> None:
    """Register ``flask i18n``."""
    app.cli.add_command(i18n)
