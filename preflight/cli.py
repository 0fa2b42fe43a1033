"""``flask`` commands for operators: admin accounts, demo data, docs tables."""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlmodel import select

from . import migrate as migrations
from .auth.passwords import hash_password, password_problems
from .config import settings_table
from .db import get_engine, session_scope
from .links import issue_link, participant_url
from .models import Event, Participant, StaffUser, utcnow


@click.command("migrate")
@with_appcontext
def migrate_command():
    """Apply database migrations up to the latest."""
    migrations.upgrade(get_engine())
    click.echo("database is up to date")


@click.command("create-user")
@with_appcontext
@click.option("--email", required=True)
@click.option("--name", default="")
@click.option("--role", type=click.Choice(["admin", "agent", "translator"]), default="admin", show_default=True)
@click.password_option(help="Prompted when omitted.")
def create_user_command(email: str, name: str, role: str, password: str):
    """Create a staff account (the first admin, for example)."""
    problems = password_problems(password)
    if problems:
        raise click.ClickException(
            "password refused: " + ", ".join(problems) + " (at least 12 characters, mixing letters and digits or cases)"
        )
    email = email.strip().lower()
    with session_scope() as session:
        if session.exec(select(StaffUser).where(StaffUser.email == email)).first():
            raise click.ClickException(f"{email} already exists")
        session.add(
            StaffUser(email=email, name=name or email.split("@")[0], role=role, password_hash=hash_password(password))
        )
    click.echo(f"created {role} {email}")


DEMO_ADMIN = "admin@example.com"
DEMO_EVENT = "Demo webinar"


def _demo_password_file(app: Flask) -> Path:
    return Path(app.instance_path) / "demo-admin-password.txt"


@click.command("demo")
@with_appcontext
def demo_command():
    """Load demo data once (idempotent) and print a participant link and the staff sign-in."""
    app = current_app._get_current_object()
    password_file = _demo_password_file(app)
    with session_scope() as session:
        admin = session.exec(select(StaffUser).where(StaffUser.email == DEMO_ADMIN)).first()
        if admin is None:
            password = secrets.token_urlsafe(12) + "7a"
            password_file.write_text(password + "\n")
            password_file.chmod(0o600)
            session.add(
                StaffUser(email=DEMO_ADMIN, name="Demo admin", role="admin", password_hash=hash_password(password))
            )
        event = session.exec(select(Event).where(Event.name == DEMO_EVENT)).first()
        if event is None:
            starts = (utcnow() + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
            event = Event(
                name=DEMO_EVENT,
                starts_at=starts,
                ends_at=starts + timedelta(hours=2),
                timezone="Europe/Paris",
                platform="zoom",
                default_language="en",
                support_email="support@example.com",
                support_phone="+33 1 23 45 67 89",
            )
            session.add(event)
            session.flush()
            for name, email, lang, role in (
                ("Ada Lovelace", "ada@example.org", "en", "presenter"),
                ("Camille Durand", "camille@example.org", "fr", "attendee"),
                ("Jonas Becker", "jonas@example.org", "de", "attendee"),
                ("Lucía García", "lucia@example.org", "es", "attendee"),
            ):
                participant = Participant(event_id=event.id, name=name, email=email, language=lang, role=role)
                issue_link(participant)
                session.add(participant)
        session.flush()
        first = session.exec(
            select(Participant).where(Participant.event_id == event.id).order_by(Participant.id)
        ).first()
        link = participant_url(first)
    password = password_file.read_text().strip() if password_file.exists() else "(set earlier; see instance/)"
    click.echo(f"Participant link: {link}")
    click.echo(
        f"Staff sign-in:    {current_app.config['BASE_URL'].rstrip('/')}/staff/login  email {DEMO_ADMIN}  password "
        f"{password}"
    )


@click.command("config-table")
@with_appcontext
def config_table_command():
    """Print the Markdown table of settings (for the README)."""
    click.echo(settings_table())


@click.command("purge")
@click.option("--dry-run", is_flag=True, help="Only say what would be deleted.")
@with_appcontext
def purge_command(dry_run: bool):
    """Delete participant data of events that ended more than PREFLIGHT_RETENTION_DAYS ago."""
    from .privacy import purge

    days = current_app.config["RETENTION_DAYS"]
    with session_scope() as session:
        counts = purge(session, days, utcnow(), dry_run=dry_run)
    verb = "would delete" if dry_run else "deleted"
    total = sum(counts.values())
    click.echo(f"{verb} {total} participant(s) from {len(counts)} event(s) ended more than {days} days ago")


@click.command("thresholds")
def thresholds_command():
    """Print the Markdown table of thresholds (docs/thresholds.md)."""
    from .thresholds_doc import render

    click.echo(render(), nl=False)


def init_app(app: Flask) -> None:
    """Register the commands."""
    for command in (
        migrate_command,
        create_user_command,
        demo_command,
        config_table_command,
        thresholds_command,
        purge_command,
    ):
        app.cli.add_command(command)
