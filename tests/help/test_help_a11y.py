"""The help page by keyboard and screen reader: a refresh that changes nothing swaps nothing, an
invalid request is summarised and focused, fields point only at errors that exist."""

from __future__ import annotations

import re

from preflight.models import HelpRequest


def ask(client, token, **data):
    return client.post(f"/c/{token}/help", data={"message": "My camera stays black", "channel": "email", **data})


def poll_url(html: str) -> str:
    return re.search(r'data-help-poll="([^"]+/help/status\?v=[0-9a-f]{12})"', html).group(1)


def test_an_unchanged_status_answers_204_and_a_changed_one_is_announced(client, auth, make_participant, app):
    participant, token = make_participant()
    assert ask(client, token).status_code == 302
    url = poll_url(client.get(f"/c/{token}").get_data(as_text=True))
    unchanged = client.get(url)
    assert unchanged.status_code == 204 and unchanged.get_data() == b""

    auth.login("agent")
    with app.app_context():
        from preflight.db import session_scope
        from sqlmodel import select

        with session_scope() as session:
            request_id = session.exec(select(HelpRequest)).one().id
    reply = f"/staff/events/{participant.event_id}/help/{request_id}/reply"
    assert client.post(reply, data={"body": "Close the other video app."}).status_code == 302

    changed = client.get(url)
    html = changed.get_data(as_text=True)
    assert changed.status_code == 200 and "Close the other video app." in html
    # The section is swapped whole but is not a live region; help-status.js copies the text of the
    # short status line outside it into the page's own line, so the change is read once, politely.
    section = html[html.index('id="help-status"') : html.index("</section>")]
    assert "aria-live" not in section
    announce = re.search(r'<p[^>]*id="help-status-announce"[^>]*>(.*?)</p>', html, re.S)
    assert 'role="status"' in announce.group(0)
    assert "an agent is on it" in announce.group(1) and "The support team replied." in announce.group(1)
    # The new fragment polls with the new version.
    assert poll_url(html) != url
    # The "I need help" link keeps an id, so help-status.js gives focus back to it after a swap.
    assert 'id="help-status-ask"' in html


def test_an_invalid_request_is_summarised_at_the_top_and_focused(client, make_participant):
    _, token = make_participant()
    response = ask(client, token, message="", channel="phone", phone="")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    summary = html[html.index('id="error-summary"') : html.index("</div>", html.index('id="error-summary"'))]
    assert 'role="alert"' in summary and "autofocus" in summary and 'tabindex="-1"' in summary
    # Each error links to its field.
    assert 'href="#message"' in summary and 'href="#phone"' in summary
    assert html.index('id="error-summary"') < html.index('id="message"')


def test_fields_point_only_at_errors_that_exist(client, make_participant):
    _, token = make_participant()
    html = client.get(f"/c/{token}/help").get_data(as_text=True)
    assert "aria-describedby" not in html.split("<form", 1)[1].split("</form>", 1)[0]
    assert '="None"' not in html
    invalid = ask(client, token, message="", channel="email").get_data(as_text=True)
    assert 'aria-describedby="message-error"' in invalid and 'id="message-error"' in invalid
    assert '="None"' not in invalid
