"""Resolving a personal link for a request, with the friendly 404/410 pages."""

from __future__ import annotations

from functools import wraps

from flask import g, render_template

from ..db import get_session
from ..i18n import save_participant_choice
from ..links import LinkState, lookup


def link_required(view):
    """Resolve ``token`` into ``g.participant`` and ``g.event``, or answer 404/410 with a friendly page."""

    @wraps(view)
    def wrapped(token: str, *args, **kwargs):
        found = lookup(get_session(), token)
        if found.state is not LinkState.ok:
            # The event is shown only to say whom to contact; nothing about the participant. Their
            # language still chooses the page's (then the browser's, before the event's default).
            g.event = found.event
            g.invalid_link_language = getattr(found.participant, "language", None)
            status = 404 if found.state is LinkState.unknown else 410
            return render_template("participant/link_invalid.html", state=found.state.value, event=found.event), status
        g.participant, g.event = found.participant, found.event
        save_participant_choice(found.participant)
        return view(token, *args, **kwargs)

    return wrapped
