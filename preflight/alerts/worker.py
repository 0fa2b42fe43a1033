"""``flask worker``: build digests and mass alerts, queue survey invitations, deliver the outbox.

One pass (``tick``) does each job once; the loop repeats it every ``--interval``
seconds until SIGTERM/SIGINT, finishing the current pass first. Several workers
may run at once (see outbox.py for why nothing is sent twice).
"""

from __future__ import annotations

import os
import signal
import threading
from dataclasses import asdict, dataclass

import click
from flask import current_app
from sqlmodel import Session

from ..db import get_engine
from ..models import utcnow
from . import bp
from .delivery import DeliveryError, deliver
from .digest import build_digests
from .heartbeat import beat
from .latency import check_latency_alerts
from .mass import check_mass_alerts
from .outbox import claim, record


@dataclass
class TickReport:
    """What one pass did."""

    digests: int = 0
    mass_alerts: int = 0
    latency_alerts: int = 0
    surveys: int = 0
    sent: int = 0
    failed: int = 0


def deliver_due(limit_batches: int = 50) -> tuple[int, int]:
    """Deliver every due outbox message, batch by batch; returns (sent, failed)."""
    sent = failed = 0
    with Session(get_engine(), expire_on_commit=False) as session:
        for _ in range(limit_batches):
            batch = claim(session)
            if not batch:
                break
            for message in batch:
                try:
                    deliver(message)
                except DeliveryError as exc:
                    error = str(exc) or exc.__class__.__name__
                except Exception as exc:  # a bug or bad data in one message: its failed attempt, not the whole pass
                    current_app.logger.exception("outbox %s (%s) could not be delivered", message.id, message.kind)
                    error = f"unexpected {exc.__class__.__name__}"
                else:
                    error = None
                record(session, message, error)
                if error is None:
                    sent += 1
                else:
                    failed += 1
                    current_app.logger.warning(
                        "outbox %s (%s) attempt %s failed: %s", message.id, message.kind, message.attempts + 1, error
                    )
    return sent, failed


def tick() -> TickReport:
    """One pass of every job. Needs an app context and a request context (for url_for)."""
    from ..survey.invitations import queue_survey_invitations

    now = utcnow()
    report = TickReport()
    report.digests = build_digests(now)
    report.mass_alerts = check_mass_alerts(now)
    report.latency_alerts = check_latency_alerts(now)
    report.surveys = queue_survey_invitations(now)
    report.sent, report.failed = deliver_due()
    return report


def run_tick() -> TickReport:
    """``tick`` inside a request context on BASE_URL, so links can be built outside requests."""
    app = current_app._get_current_object()
    # base_url: request.host_url and url_for(_external=True) must give the public address,
    # not the test client's "localhost" (links in messages are built outside any request).
    with app.test_request_context("/", base_url=app.config["BASE_URL"]):
        return tick()


def _check_base_url() -> None:
    """Refuse (production) or warn (development) when links would use the built-in BASE_URL.

    A worker started by hand outside ``make run`` or the service unit misses
    PREFLIGHT_BASE_URL and would send every participant a link to 127.0.0.1:5000.
    """
    from ..config import SETTINGS

    default = next(setting.default for setting in SETTINGS if setting.key == "BASE_URL")
    if os.environ.get("PREFLIGHT_BASE_URL") or current_app.config["BASE_URL"] != default:
        return
    message = f"PREFLIGHT_BASE_URL is not set: links in messages would point at {default}"
    if current_app.config.get("ENV") == "production":
        raise click.ClickException(message + " (set it to the public address, as for the web server)")
    current_app.logger.warning(message)


@bp.cli.command("worker")
@click.option("--once", is_flag=True, help="Do one pass and exit (tests, cron).")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between passes.")
def worker_command(once: bool, interval: float):
    """Deliver alerts, replies and surveys (run it next to the web server)."""
    _check_base_url()
    stop = threading.Event()
    if not once:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        click.echo(f"worker started (every {interval:g} s, links on {current_app.config['BASE_URL']})")
    while True:
        try:
            report = run_tick()
        except Exception:  # keep the loop alive through a database blip; the next pass retries
            current_app.logger.exception("worker pass failed")
            report = None
        try:
            beat(interval)
        except Exception:  # a heartbeat that cannot be written must not stop delivery
            current_app.logger.exception("worker heartbeat failed")
        if once:
            click.echo(" ".join(f"{k}={v}" for k, v in asdict(report).items()) if report else "pass failed")
            if report is None:
                raise SystemExit(1)
            return
        if stop.wait(interval):
            click.echo("worker stopped")
            return


@bp.cli.group("outbox")
def outbox_group():
    """Inspect and retry the delivery outbox."""


@outbox_group.command("status")
def outbox_status():
    """Messages by kind and status, and the latest errors."""
    from sqlalchemy import func, select

    from ..db import session_scope
    from ..models import OutboxMessage

    with session_scope() as session:
        for kind, status, count in session.execute(
            select(OutboxMessage.kind, OutboxMessage.status, func.count())
            .group_by(OutboxMessage.kind, OutboxMessage.status)
            .order_by(OutboxMessage.kind)
        ):
            click.echo(f"{kind}\t{status}\t{count}")
        for message in session.execute(
            select(OutboxMessage)
            .where(OutboxMessage.last_error != "", OutboxMessage.status != "sent")
            .order_by(OutboxMessage.id.desc())
            .limit(10)
        ).scalars():
            click.echo(
                f"#{message.id} {message.kind} {message.channel} {message.target} attempts={message.attempts}: "
                f"{message.last_error}"
            )


@outbox_group.command("retry-dead")
@click.option("--event-id", type=int, default=None, help="Only this event's messages.")
def outbox_retry_dead(event_id):
    """Give messages that ran out of attempts a fresh round (after fixing the mail server or webhook)."""
    from ..db import session_scope
    from .outbox import requeue_dead

    with session_scope() as session:
        count = requeue_dead(session, event_id)
    click.echo(f"{count} messages queued again")
