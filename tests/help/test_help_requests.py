"""Help requests end to end: the participant asks, the team is told, the queue prioritises, the reply arrives."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from preflight.db import session_scope
from preflight.help.priority import priority, time_pressure
from preflight.models import HelpRequest, OutboxMessage, StaffNote, utcnow
from support_factories import ago


def _requests(app):
    with app.app_context(), session_scope() as session:
        return list(session.exec(select(HelpRequest).order_by(HelpRequest.id)))


def test_help_flow_end_to_end(
    smtp_server, app, webhook_receiver, client, auth, make_event, make_participant, run_check, worker
):
    app.config["ALERT_WEBHOOK_URL"] = webhook_receiver.url
    event = make_event(name="Assemblée", support_email="support@example.org", default_language="fr")
    p, token = make_participant(
        event=event, name="Chloé Martin", email="chloe@example.org", language="fr", role="presenter"
    )
    run_check(p, "fail", checks={"microphone": "fail", "camera": "pass"})

    # the participant asks, in French
    page = client.get(f"/c/{token}/help")
    assert page.status_code == 200 and '<html lang="fr"' in page.get_data(as_text=True)
    response = client.post(
        f"/c/{token}/help", data={"message": "On ne m'entend pas", "channel": "phone", "phone": "+33 6 12 34 56 78"}
    )
    assert response.status_code == 302
    [request] = _requests(app)
    assert (request.channel, request.phone, request.language, request.status, request.level) == (
        "phone",
        "+33 6 12 34 56 78",
        "fr",
        "open",
        "L1",
    )
    status = client.get(f"/c/{token}/help/status").get_data(as_text=True)
    assert 'data-help-request-status="open"' in status and 'data-help-poll-every="30"' in status

    # the team is told (email + webhook) with the failing check
    worker()
    # the failing run was reported on its own (digest); the help request gets its own message
    [team_mail] = [m for m in smtp_server.messages if "Help requested" in m["Subject"]]
    assert any("1 participant not ready" in m["Subject"] for m in smtp_server.messages)
    assert team_mail["To"].addresses[0].addr_spec == "support@example.org" and "Chloé Martin" in team_mail["Subject"]
    assert "speech level -72 dBFS" in team_mail.get_body(("plain",)).get_content()
    assert "help_request" in [post["preflight"]["kind"] for post in webhook_receiver.posts]

    # an agent takes it: queue, assignment, escalation, note, reply
    agent = auth.login("agent")
    queue = client.get(f"/staff/help?event_id={event.id}").get_data(as_text=True)
    assert f'data-help-request="{request.id}"' in queue and "Chloé Martin" in queue
    url = f"/staff/events/{event.id}/help/{request.id}"
    detail = client.get(url).get_data(as_text=True)
    assert "On ne m&#39;entend pas" in detail and "+33 6 12 34 56 78" in detail and 'data-check="microphone"' in detail
    assert (
        client.post(
            url + "/update", data={"status": "in_progress", "level": "L2", "assigned_to": str(agent.id)}
        ).status_code
        == 302
    )
    assert client.post(url + "/note", data={"body": "Casque USB défectueux ?"}).status_code == 302
    assert client.post(url + "/reply", data={"body": "Bonjour, essayez le micro intégré."}).status_code == 302
    worker()
    reply = smtp_server.messages[-1]
    assert reply["To"].addresses[0].addr_spec == "chloe@example.org" and reply["Reply-To"] == "support@example.org"
    assert "Bonjour, essayez le micro intégré." in reply.get_body(("plain",)).get_content()
    assert '<html lang="fr">' in reply.get_body(("html",)).get_content()
    assert f"/c/{token}" in reply.get_body(("plain",)).get_content()

    # the participant sees the status and the reply
    status = client.get(f"/c/{token}/help/status").get_data(as_text=True)
    assert 'data-help-request-status="in_progress"' in status and "essayez le micro intégré" in status
    assert (
        client.post(
            url + "/update", data={"status": "resolved", "level": "L2", "assigned_to": str(agent.id)}
        ).status_code
        == 302
    )
    status = client.get(f"/c/{token}/help/status").get_data(as_text=True)
    assert 'data-help-request-status="resolved"' in status and "data-help-poll" not in status  # stops polling
    [request] = _requests(app)
    assert request.assigned_to_id == agent.id and request.level == "L2" and request.resolved_at is not None
    with app.app_context(), session_scope() as session:
        kinds = [
            n.kind
            for n in session.exec(
                select(StaffNote).where(StaffNote.help_request_id == request.id).order_by(StaffNote.id)
            )
        ]
    assert kinds.count("note") == 1 and kinds.count("reply") == 1 and kinds.count("system") >= 3
    # and the dashboard's participant page lists the request
    assert f'data-help-request="{request.id}"' in client.get(
        f"/staff/events/{event.id}/dashboard/participants/{p.id}"
    ).get_data(as_text=True)


def test_help_form_validation(client, make_participant, app):
    p, token = make_participant()
    assert client.post(f"/c/{token}/help", data={"message": "", "channel": "email"}).status_code == 400
    assert client.post(f"/c/{token}/help", data={"message": "help", "channel": "phone", "phone": ""}).status_code == 400
    assert (
        client.post(
            f"/c/{token}/help", data={"message": "help", "channel": "phone", "phone": "call me maybe"}
        ).status_code
        == 400
    )
    assert (
        client.post(f"/c/{token}/help", data={"message": "help", "channel": "chat"}).status_code == 400
    )  # no chat for this event
    assert client.post(f"/c/{token}/help", data={"message": "x" * 2001, "channel": "email"}).status_code == 400
    assert _requests(app) == []
    assert client.get("/c/not-a-token/help").status_code == 404


def test_too_many_open_requests_are_refused(client, make_participant, app):
    _, token = make_participant()
    for _ in range(3):
        assert client.post(f"/c/{token}/help", data={"message": "help", "channel": "email"}).status_code == 302
    assert client.post(f"/c/{token}/help", data={"message": "help", "channel": "email"}).status_code == 429
    assert len(_requests(app)) == 3


def test_htmx_post_returns_the_status_fragment(client, make_participant):
    _, token = make_participant()
    response = client.post(
        f"/c/{token}/help", data={"message": "help", "channel": "email"}, headers={"HX-Request": "true"}
    )
    html = response.get_data(as_text=True)
    assert (
        response.status_code == 200
        and html.lstrip().startswith("{#") is False
        and 'id="help-status"' in html
        and "<html" not in html
    )


def test_queue_orders_by_priority(client, auth, make_event, make_participant, run_check, app):
    soon = make_event(name="Soon", starts_at=utcnow() + timedelta(hours=1), ends_at=utcnow() + timedelta(hours=2))
    later = make_event(
        name="Later", starts_at=utcnow() + timedelta(days=10), ends_at=utcnow() + timedelta(days=10, hours=1)
    )
    calm, calm_token = make_participant(event=later, name="Calm")
    urgent, urgent_token = make_participant(event=soon, name="Urgent", role="presenter")
    run_check(calm, "pass")
    run_check(urgent, "fail")
    client.post(f"/c/{calm_token}/help", data={"message": "question", "channel": "email"})
    client.post(f"/c/{urgent_token}/help", data={"message": "camera black", "channel": "email"})
    auth.login("agent")
    html = client.get("/staff/help").get_data(as_text=True)
    assert html.index("Urgent") < html.index("Calm")
    assert 'data-priority="urgent"' in html and 'data-priority="low"' in html


def test_priority_rules():
    now = utcnow()
    start = now + timedelta(hours=1)
    assert time_pressure(now, now + timedelta(days=5), now + timedelta(days=5, hours=1)) == 0
    assert time_pressure(now, now + timedelta(hours=30), now + timedelta(hours=31)) == 1
    assert time_pressure(now, now + timedelta(hours=5), now + timedelta(hours=6)) == 2
    assert time_pressure(now, start, start + timedelta(hours=1)) == 3
    assert time_pressure(now, now - timedelta(minutes=5), now + timedelta(hours=1)) == 4
    assert time_pressure(now, now - timedelta(hours=3), now - timedelta(hours=1)) == 0
    assert priority("fail", "presenter", now, start, start + timedelta(hours=1)).level == "urgent"
    assert priority("fail", "attendee", now, now + timedelta(days=5), now + timedelta(days=6)).level == "normal"
    assert priority("pass", "attendee", now, now + timedelta(days=5), now + timedelta(days=6)).level == "low"
    assert priority(None, "attendee", now, start, start + timedelta(hours=1)).level == "high"
    assert priority("fail", "attendee", now, start, start).score > priority("warn", "attendee", now, start, start).score


@pytest.mark.parametrize("path", ["/staff/help", "/staff/events/{e}/help/{r}"])
def test_translators_cannot_see_help_requests(client, auth, make_participant, app, path):
    p, token = make_participant()
    client.post(f"/c/{token}/help", data={"message": "help", "channel": "email"})
    [request] = _requests(app)
    auth.login("translator")
    assert client.get(path.format(e=p.event_id, r=request.id)).status_code == 403


def test_staff_forms_refuse_bad_input(client, auth, make_participant, app):
    p, token = make_participant()
    client.post(f"/c/{token}/help", data={"message": "help", "channel": "email"})
    [request] = _requests(app)
    auth.login("agent")
    url = f"/staff/events/{p.event_id}/help/{request.id}"
    assert client.post(url + "/update", data={"status": "deleted", "level": "L1", "assigned_to": ""}).status_code == 400
    assert client.post(url + "/update", data={"status": "open", "level": "L9", "assigned_to": ""}).status_code == 400
    assert (
        client.post(url + "/update", data={"status": "open", "level": "L1", "assigned_to": "99999"}).status_code == 400
    )
    assert client.post(url + "/reply", data={"body": ""}).status_code == 400
    assert client.post(url + "/note", data={"body": " "}).status_code == 400
    assert client.get(f"/staff/events/{p.event_id + 1}/help/{request.id}").status_code == 404
    with app.app_context(), session_scope() as session:
        assert session.exec(select(OutboxMessage).where(OutboxMessage.kind == "help_reply")).all() == []
    assert _requests(app)[0].status == "open"


def test_resolved_queue_pages(client, auth, make_participant, app):
    p, token = make_participant()
    client.post(f"/c/{token}/help", data={"message": "old problem", "channel": "email"})
    with app.app_context(), session_scope() as session:
        request = session.exec(select(HelpRequest)).one()
        request.status, request.resolved_at = "resolved", ago(minutes=5)
        session.add(request)
    auth.login("agent")
    assert "old problem" in client.get("/staff/help?status=resolved").get_data(as_text=True)
    assert "old problem" not in client.get("/staff/help").get_data(as_text=True)
    assert client.get("/staff/help?status=bogus&page=-4&event_id=abc").status_code == 200


def test_queue_filters_by_assignee_and_event(client, auth, make_event, make_participant, app):
    first, other = make_event(name="First"), make_event(name="Other")
    mine_p, mine_token = make_participant(event=first, name="Mine Person")
    free_p, free_token = make_participant(event=first, name="Free Person")
    elsewhere_p, elsewhere_token = make_participant(event=other, name="Elsewhere Person")
    for token in (mine_token, free_token, elsewhere_token):
        client.post(f"/c/{token}/help", data={"message": "help", "channel": "email"})
    agent = auth.login("agent")
    mine = next(r for r in _requests(app) if r.participant_id == mine_p.id)
    url = f"/staff/events/{first.id}/help/{mine.id}/update"
    assert client.post(url, data={"status": "open", "level": "L1", "assigned_to": str(agent.id)}).status_code == 302

    def names(query):
        html = client.get(f"/staff/help?{query}").get_data(as_text=True)
        return {n for n in ("Mine Person", "Free Person", "Elsewhere Person") if n in html}

    assert names("") == {"Mine Person", "Free Person", "Elsewhere Person"}
    assert names("assigned=me") == {"Mine Person"}
    assert names("assigned=none") == {"Free Person", "Elsewhere Person"}
    assert names(f"event_id={first.id}&assigned=none") == {"Free Person"}
    assert names("status=in_progress") == set()
    assert names("status=open") == {"Mine Person", "Free Person", "Elsewhere Person"}
