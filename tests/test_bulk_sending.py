"""Invitations to a whole event go through the outbox: the click queues, the worker sends, once each.

1,000 participants imported through the staff import page, invited with one click, delivered by
the worker to a real SMTP server on loopback, with the progress the event page polls.
"""

from __future__ import annotations

import io
import re
from collections import Counter

from sqlmodel import func, select
from support_factories import worker  # noqa: F401 - fixture

from preflight.db import session_scope
from preflight.models import OutboxMessage, ParticipantMessage

PEOPLE = 1000


def _import(client, event_id: int, count: int) -> None:
    rows = "".join(f"Person {n},person{n}@example.org\n" for n in range(count))
    client.post(
        f"/staff/events/{event_id}/import",
        data={"file": (io.BytesIO(("name,email\n" + rows).encode()), "people.csv")},
        content_type="multipart/form-data",
    )
    assert client.post(f"/staff/events/{event_id}/import/confirm", data={}).status_code == 302


def _progress(client, location: str) -> str:
    return client.get(location.replace("?sending=", "/sending/").split("#")[0]).get_data(as_text=True)


def _queued(app) -> int:
    with app.app_context(), session_scope() as session:
        return session.exec(select(func.count()).select_from(OutboxMessage)).one()


def test_a_thousand_invitations_are_queued_by_one_click_and_sent_once_each(
    smtp_server, app, client, auth, make_event, worker
):
    auth.login("agent")
    event = make_event(name="Big conference")
    _import(client, event.id, PEOPLE)

    click = client.post(f"/staff/events/{event.id}/send/invitation")
    assert click.status_code == 302 and "sending=" in click.headers["Location"]
    # The click only queued: nothing went out during the request.
    assert smtp_server.messages == [] and _queued(app) == PEOPLE
    page = client.get(click.headers["Location"]).get_data(as_text=True)
    assert f"{PEOPLE} emails queued: they go out in the background." in page
    assert f"0 of {PEOPLE} emails sent so far…" in page and 'id="sending"' in page
    assert 'hx-trigger="every 2s"' in page
    # No worker has ever run: the page says the emails wait for it.
    assert 'data-worker="missing"' in page

    # A second click, or a colleague's, queues nobody twice.
    again = client.post(f"/staff/events/{event.id}/send/invitation", follow_redirects=True)
    assert "Nobody needs this email now" in again.get_data(as_text=True) and _queued(app) == PEOPLE

    # The worker sends in passes; the progress follows.
    worker()
    middle = _progress(client, click.headers["Location"])
    sent = int(re.search(r'data-sent="(\d+)"', middle).group(1))
    assert 0 < sent < PEOPLE and 'data-sending="running"' in middle
    while len(smtp_server.messages) < PEOPLE:
        before = len(smtp_server.messages)
        worker()
        assert len(smtp_server.messages) > before, "a worker pass sent nothing"

    done = _progress(client, click.headers["Location"])
    assert f"Done: {PEOPLE} of {PEOPLE} emails sent." in done and "hx-trigger" not in done
    recipients = Counter(m["To"].addresses[0].addr_spec for m in smtp_server.messages)
    assert len(recipients) == PEOPLE and set(recipients.values()) == {1}
    worker()  # nothing left to send
    assert len(smtp_server.messages) == PEOPLE
    with app.app_context(), session_scope() as session:
        statuses = session.exec(select(ParticipantMessage.status, func.count()).group_by(ParticipantMessage.status))
        assert dict(statuses.all()) == {"sent": PEOPLE}


def test_progress_of_an_unknown_batch_reads_as_finished_so_polling_stops(client, auth, make_event):
    auth.login("agent")
    event = make_event()
    response = client.get(f"/staff/events/{event.id}/sending/nope")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "no emails to follow in this batch" in page and "hx-trigger" not in page
    assert client.get("/staff/events/999999/sending/nope").status_code == 404


def test_reminders_skip_who_already_waits_in_the_outbox(smtp_server, app, client, auth, make_event, worker):
    auth.login("agent")
    event = make_event()
    _import(client, event.id, 3)
    client.post(f"/staff/events/{event.id}/send/reminder")
    client.post(f"/staff/events/{event.id}/send/reminder")  # before the worker ran: nobody queued twice
    assert _queued(app) == 3
    worker()
    assert len(smtp_server.messages) == 3
