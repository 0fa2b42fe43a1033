"""Deliver one email through SMTP, or into the local Maildir sink when no SMTP server is set."""

from __future__ import annotations

import mailbox
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from pathlib import Path

from flask import current_app


class MailError(RuntimeError):
    """Sending failed; the message says why in a form fit for a log and a status column."""


def build_message(
    to_name: str, to_email: str, subject: str, text: str, html: str | None = None, reply_to: str = ""
) -> EmailMessage:
    """A multipart (plain text + HTML) message from the configured sender; ``MailError`` if it cannot be built.

    Python's email module refuses a header holding CR/LF (a name typed with a line break, say)
    with ValueError: that is this message's failure, reported like any other.
    """
    try:
        msg = EmailMessage()
        msg["From"] = current_app.config["MAIL_FROM"]
        msg["To"] = formataddr((to_name, to_email))
        msg["Subject"] = subject
        msg["Message-ID"] = make_msgid(domain="preflight.local")
        # Without a Date header some clients sort the message as sent in 1970 (issue 13).
        msg["Date"] = formatdate(usegmt=True)
        if reply_to:
            msg["Reply-To"] = reply_to
        msg.set_content(text)
        if html:
            msg.add_alternative(html, subtype="html")
    except (ValueError, TypeError) as exc:
        raise MailError(f"message could not be built: {exc.__class__.__name__}: {exc}"[:500]) from exc
    return msg


def sink_path() -> Path:
    """The Maildir used when no SMTP server is configured."""
    return Path(current_app.instance_path) / "mail"


def send_message(msg: EmailMessage) -> None:
    """Send ``msg``; raise ``MailError`` on any failure."""
    config = current_app.config
    if not config["SMTP_HOST"]:
        mailbox.Maildir(str(sink_path()), create=True).add(msg)
        return
    try:
        with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=config["SMTP_TIMEOUT"]) as smtp:
            if config["SMTP_STARTTLS"]:
                smtp.starttls(context=ssl.create_default_context())
            if config["SMTP_USER"]:
                smtp.login(config["SMTP_USER"], config["SMTP_PASSWORD"])
            smtp.send_message(msg)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"{exc.__class__.__name__}: {exc}"[:500]) from exc
