"""What participants type cannot ping a channel or plant a link in the team's chat (Slack and Teams)."""

from __future__ import annotations

import json

from preflight.alerts import webhook

HOSTILE_NAME = "[Reset your password](https://evil.example) <!here>"
HOSTILE_MESSAGE = "<!channel> urgent, log in at <https://evil.example/login|Open Preflight> **now** <b>x</b>"


def test_a_help_request_with_markup_reaches_slack_inert(
    client, app, make_event, make_participant, webhook_receiver, worker
):
    """Through the real path: the participant's help form, the worker, a real Slack-style receiver."""
    app.config["ALERT_WEBHOOK_URL"] = webhook_receiver.url
    event = make_event(support_email="")
    _participant, token = make_participant(event=event, name=HOSTILE_NAME)
    assert client.post(f"/c/{token}/help", data={"message": HOSTILE_MESSAGE, "channel": "email"}).status_code == 302
    worker()
    [post] = webhook_receiver.posts
    mrkdwn = [post["text"], post["blocks"][1]["text"]["text"]]
    mrkdwn += [
        field["text"] for block in post["blocks"] if block["type"] == "section" for field in block.get("fields", [])
    ]
    for text in mrkdwn:
        assert "<!channel>" not in text and "<!here>" not in text and "<https://evil" not in text
    assert "&lt;!channel&gt;" in json.dumps(post) or "&lt;!here&gt;" in json.dumps(post)
    # the one link of the message is Preflight's own button
    [actions] = [b for b in post["blocks"] if b["type"] == "actions"]
    assert actions["elements"][0]["url"].startswith("http://localhost/")


def test_teams_bodies_escape_markdown_and_html():
    facts = [("Name", HOSTILE_NAME)]
    for url in (
        "https://contoso.webhook.office.com/webhookb2/x",
        "https://prod-01.westeurope.logic.azure.com/workflows/x",
    ):
        body = json.dumps(
            webhook.body(
                url,
                "Help requested by " + HOSTILE_NAME,
                HOSTILE_MESSAGE,
                facts,
                "https://preflight.example/staff/help/1",
                "Open in Preflight",
                {},
            )
        )
        assert "[Reset your password](https://evil.example)" not in body
        assert "**now**" not in body
        if "webhook.office.com" in url:  # MessageCards render HTML; Adaptive Cards do not
            assert "<b>" not in body
        assert "\\\\[Reset your password\\\\]\\\\(https://evil.example\\\\)" in body
        assert "https://preflight.example/staff/help/1" in body  # our own link stays usable


def test_plain_text_is_unchanged_for_ordinary_names():
    assert webhook.slack_escape("Zoë O'Brien – Ready 100 %") == "Zoë O'Brien – Ready 100 %"
    assert webhook.teams_escape("Zoë O'Brien – 3.5 Mbit/s") == "Zoë O'Brien – 3.5 Mbit/s"
