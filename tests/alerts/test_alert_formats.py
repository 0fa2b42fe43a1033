"""Webhook bodies (Slack, Teams connector, Teams workflow) and the worker command."""

from __future__ import annotations

import json

from participant_runs import post_run

from preflight.alerts.webhook import body, flavour

EVIL = "<!channel> <https://evil.example|Open> *urgent* [x](https://evil.example)"


def test_flavour_by_host():
    assert flavour("https://hooks.slack.com/services/T0/B0/x") == "slack"
    assert flavour("https://contoso.webhook.office.com/webhookb2/abc") == "teams-connector"
    assert flavour("https://prod-12.westeurope.logic.azure.com:443/workflows/abc") == "teams-workflow"
    assert flavour("http://127.0.0.1:9000/hook") == "slack"  # generic receivers get the Slack-compatible body


def test_bodies_carry_title_text_facts_and_link():
    facts = [("Ada", "Camera: permission denied")]
    slack = body("https://hooks.slack.com/x", "2 not ready", "text", facts, "https://pf/x", "Open", {"kind": "digest"})
    assert slack["text"].startswith("2 not ready") and slack["preflight"] == {"kind": "digest"}
    assert slack["blocks"][-1]["elements"][0]["url"] == "https://pf/x"
    card = body("https://a.webhook.office.com/x", "2 not ready", "text", facts, "https://pf/x", "Open", {})
    assert card["@type"] == "MessageCard" and card["sections"][0]["facts"][0] == {
        "name": "Ada",
        "value": "Camera: permission denied",
    }
    assert card["potentialAction"][0]["targets"][0]["uri"] == "https://pf/x"
    flow = body("https://x.logic.azure.com/workflows/1", "2 not ready", "text", facts, "https://pf/x", "Open", {})
    adaptive = flow["attachments"][0]
    assert flow["type"] == "message" and adaptive["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert adaptive["content"]["type"] == "AdaptiveCard" and adaptive["content"]["actions"][0]["url"] == "https://pf/x"


def test_worker_command_once(runner, app, make_event, make_participant, run_check, webhook_receiver):
    app.config["ALERT_WEBHOOK_URL"] = webhook_receiver.url
    p, _ = make_participant(event=make_event(support_email=""))
    run_check(p, "fail")
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "digests=1" in result.output and "sent=1" in result.output
    assert len(webhook_receiver.posts) == 1
    assert "sent=0" in runner.invoke(args=["worker", "--once"]).output


def test_outbox_commands(runner, app, make_event, offline_receiver):
    from preflight.alerts.outbox import enqueue
    from preflight.db import session_scope

    app.config.update(OUTBOX_MAX_ATTEMPTS=1)
    event = make_event()
    with app.app_context(), session_scope() as session:
        enqueue(session, "dead:1", "mass_alert", "webhook", offline_receiver.url, {"json": {}}, event_id=event.id)
    runner.invoke(args=["worker", "--once"])
    status = runner.invoke(args=["outbox", "status"]).output
    assert "mass_alert\tdead\t1" in status and "could not connect to the receiver" in status and "refused" not in status
    assert "1 messages queued again" in runner.invoke(args=["outbox", "retry-dead", "--event-id", str(event.id)]).output
    offline_receiver.start()
    assert "sent=1" in runner.invoke(args=["worker", "--once"]).output
    assert offline_receiver.posts == [{}]


def test_participant_text_is_escaped_per_format():
    """Issue 14: a participant's name must not mention the channel or become a link in any format."""
    facts = [(EVIL, "Camera: permission denied")]
    raw = body("https://hooks.slack.com/x", f"Help requested by {EVIL}", EVIL, facts, "https://pf/x", "Open", {})
    slack = raw["text"] + json.dumps(
        [b for b in raw["blocks"] if b["type"] != "header"]
    )  # header is plain_text: never parsed
    assert "<!channel>" not in slack and "<https://evil" not in slack and "&lt;!channel&gt;" in slack
    card = body("https://a.webhook.office.com/x", f"Help requested by {EVIL}", EVIL, facts, "https://pf/x", "Open", {})
    name = card["sections"][0]["facts"][0]["name"]
    assert "<" not in json.dumps(card) and name.startswith("&lt;!channel&gt;")
    assert "\\[x\\]\\(https" in name and "\\*urgent\\*" in name and "](https" not in name
    flow = body("https://x.logic.azure.com/workflows/1", EVIL, EVIL, facts, "https://pf/x", "Open", {})
    fact = flow["attachments"][0]["content"]["body"][-1]["facts"][0]["title"]
    assert "\\[x\\]\\(https" in fact and "\\*urgent\\*" in fact and "](https" not in fact


def test_real_webhook_gets_each_fact_once_and_escaped(
    app, client, make_event, make_participant, webhook_receiver, worker
):
    """A real failing run by a participant named like a Slack mention, delivered to a local receiver."""
    app.config["ALERT_WEBHOOK_URL"] = webhook_receiver.url
    event = make_event(support_email="")
    p, token = make_participant(event=event, name=EVIL, role="presenter")
    post_run(app, client, p, token, camera="denied", network={"up": 300, "down": 32000, "rtt": 40})
    worker()
    [post] = webhook_receiver.posts
    mrkdwn = post["text"] + json.dumps([b for b in post["blocks"] if b["type"] != "header"])
    assert "<!channel>" not in mrkdwn and "<https://evil" not in mrkdwn and "&lt;!channel&gt;" in mrkdwn
    assert post["text"] == post["blocks"][0]["text"]["text"]  # the preview is the title, once
    everything = json.dumps(post["blocks"])
    assert everything.count("/dashboard") == 1  # one link: the button
    assert everything.count("permission denied") == 1 and "32 Mbit/s down, 0.3 up, 40 ms" in everything
