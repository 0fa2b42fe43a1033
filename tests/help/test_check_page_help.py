"""The check page carries the help feature: "I need help" before any run, then the request's state and the reply."""

from __future__ import annotations

import re

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
    assert "data-help-poll" not in html[html.index('id="help-status"') : link]  # nothing to poll yet
    assert "help-status.js" not in html


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
    assert 'data-help-request-status="open"' in section and f'data-help-poll="/c/{token}/help/status?v=' in section
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
    assert "data-help-poll" not in html and "help-status.js" not in html  # no polling once resolved


def test_check_page_never_loads_htmx_even_with_an_open_help_request(client, make_participant):
    """The open request is polled by the small help-status.js; htmx (a third of the page's weight) never loads."""
    _, token = make_participant()
    html = client.get(f"/c/{token}").get_data(as_text=True)
    assert "htmx" not in html.lower() and "hx-" not in html and "help-status.js" not in html

    assert client.post(f"/c/{token}/help", data={"message": "No sound", "channel": "email"}).status_code == 302
    for page in (f"/c/{token}", f"/c/{token}/help"):
        html = client.get(page).get_data(as_text=True)
        assert "htmx" not in html.lower() and "hx-" not in html, page
        assert re.search(r'<script src="/static/js/help-status\.[0-9a-f]+\.js" defer></script>', html), page
        assert html.count("help-status.") == 1  # loaded once (the page has one help section)
    # what the poll answers carries no htmx either, only the next URL for the script
    status = client.get(f"/c/{token}/help/status").get_data(as_text=True)
    assert "hx-" not in status and f'data-help-poll="/c/{token}/help/status?v=' in status


def test_the_help_status_poll_of_a_bad_link_is_refused_plainly(client, make_participant):
    _, token = make_participant()
    assert client.get("/c/not-a-token/help/status?v=abc").status_code == 404
    # no request yet: the fragment says so and names nothing to poll
    response = client.get(f"/c/{token}/help/status?v=0123456789ab")
    assert response.status_code == 200 and 'data-help-status="none"' in response.get_data(as_text=True)
    assert "data-help-poll" not in response.get_data(as_text=True)
