"""Outgoing email: building messages and handing them to SMTP or the local sink."""

from .sender import MailError, build_message, send_message

__all__ = ["MailError", "build_message", "send_message"]
