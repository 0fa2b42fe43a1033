"""The check page carries the help feature: "I need help" before any run, then the request's state and the reply."""

from __future__ import annotations

from sqlmodel import select

from preflight.db import session_scope
from preflight.models import HelpRequest


def test_check_page_offers_help_before_any_run(client, make_participant):
    _, token = make_participant()
    html = client.get(f"/c/{token}").get_data(as_text=True)
    assert 'data-help-status="none"' in html
    link = html.index(f'href="/c/{token}/help" data-action="help"')
    # under the steps, before the summary (which stays hidden until a run ends)
    assert html.index('class="steps"') < link < html.index('data-role="summary"')
    assert "hx-get" not in html[html.index('id="help-status"') : link]  # nothing to poll yet


def test_check_page_shows_the_request_state_and_the_staff_reply(client, auth, make_participant, app):
    participant, token = make_participant(name="Ama Asante")
    assert (
        client.post(f"/c/{token}/help", data={"message": "My camera stays black", "channel": "email"}).status_code
        == 302
    )
    with app.app_context(), session_scope() as session:
        request = session.exec(select(HelpRequest)).one()

    html = client.get(f"/c/{token}").get_data(as_text=True)
    section = html[html.index('id="help-status"') :]
    assert 'data-help-request-status="open"' in section and f'hx-get="/c/{token}/help/status?v=' in section
    # a participant who asked comes back for the answer: the request comes before the steps
    assert html.index('id="help-status"') < html.index('class="steps"')
    assert html.count('id="help-status"') == 1

    auth.login("agent")
    url = f"/staff/events/{participant.event_id}/help/{request.id}"
    assert client.post(url + "/reply", data={"body": "Close the other video app, then reload."}).status_code == 302
    html = client.get(f"/c/{token}").get_data(as_text=True)
    assert 'data-help-request-status="in_progress"' in html and "Close the other video app, then reload." in html
    assert 'data-action="help"' in html  # can still ask again

    assert (
        client.post(url + "/update", data={"status": "resolved", "level": "L1", "assigned_to": ""}).status_code == 302
    )
    html = client.get(f"/c/{token}").get_data(as_text=True)
    assert 'data-help-request-status="resolved"' in html and "Close the other video app, then reload." in html
    assert f'hx-get="/c/{token}/help/status"' not in html  # no polling once resolved
