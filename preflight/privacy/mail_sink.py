"""The local mail sink (``instance/mail/``, used when no SMTP server is set) under retention and erasure.

Without SMTP every invitation, reminder and reply is written there in full, links and names
included, so it must not outlive the data it was sent about: ``purge`` drops messages older than the
retention period, and erasing a participant drops every message addressed to them.
"""

from __future__ import annotations

import mailbox
from datetime import datetime
from email.utils import getaddresses

from ..mail.sender import sink_path


def _sink() -> mailbox.Maildir | None:
    path = sink_path()
    return mailbox.Maildir(str(path), create=False) if path.is_dir() else None


def purge_mail_sink(before: datetime) -> int:
    """Delete sink messages delivered before ``before``; returns how many."""
    sink = _sink()
    if sink is None:
        return 0
    cutoff = before.timestamp()
    doomed = [key for key, message in sink.iteritems() if message.get_date() < cutoff]
    for key in doomed:
        sink.discard(key)
    return len(doomed)


def forget_mail_to(address: str) -> int:
    """Delete every sink message addressed to ``address`` (To or Cc); returns how many."""
    sink = _sink()
    if sink is None or not address:
        return 0
    wanted = address.strip().lower()
    doomed = []
    for key, message in sink.iteritems():
        recipients = getaddresses(message.get_all("To", []) + message.get_all("Cc", []))
        if any(email.strip().lower() == wanted for _name, email in recipients):
            doomed.append(key)
    for key in doomed:
        sink.discard(key)
    return len(doomed)
