"""Webhook URLs cannot reach the server's own network (SSRF), posts are signed, errors say little.

Attacked here as an agent would: private, loopback, link-local (cloud metadata), multicast and
encoded addresses typed into the event form; a receiver that redirects to an internal address; a
name whose DNS answer changes between the check and the connection (rebinding).
"""

from __future__ import annotations

import hashlib
import hmac
import socket

import pytest
from sqlmodel import select
from support_factories import Receiver, worker  # noqa: F401 - fixture

from preflight.alerts import egress
from preflight.alerts.outbox import enqueue
from preflight.db import session_scope
from preflight.models import AuditEntry, Event, OutboxMessage
from staff_forms import EVENT_FORM

UNSAFE = [
    "http://127.0.0.1:6379/",
    "http://localhost:5432/",
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "http://10.0.0.5/hook",
    "http://192.168.1.1/",
    "http://172.16.3.4/",
    "http://100.64.0.1/",  # carrier-grade NAT
    "http://[::1]:6379/",
    "http://[::ffff:127.0.0.1]/",
    "http://[fd00::1]/",
    "http://224.0.0.251/",
    "http://0.0.0.0:5000/",
    "http://2130706433/",  # 127.0.0.1 as one number
    "http://0x7f000001/",
    "https://user:pass@hooks.example.org/x",
    "gopher://hooks.example.org/",
]


@pytest.fixture
def no_allow_list(app):
    app.config["WEBHOOK_ALLOWED_HOSTS"] = []


@pytest.mark.parametrize("url", UNSAFE)
def test_unsafe_webhook_urls_are_refused_when_saved(client, auth, app, no_allow_list, url):
    auth.login("admin")
    response = client.post("/staff/events/new", data={**EVENT_FORM, "webhook_url": url})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "public addresses" in page or "valid URL" in page or "Invalid URL" in page
    with app.app_context(), session_scope() as session:
        assert session.exec(select(Event)).first() is None


def test_a_public_name_that_does_not_resolve_yet_can_be_saved(client, auth, app, no_allow_list):
    auth.login("admin")
    response = client.post(
        "/staff/events/new", data={**EVENT_FORM, "webhook_url": "https://hooks.example.invalid/T000/B000/xyz"}
    )
    assert response.status_code == 302
    with app.app_context(), session_scope() as session:
        event = session.exec(select(Event)).one()
        assert len(event.webhook_secret) >= 40  # a signing key came with the URL
        audit = [
            entry.detail for entry in session.exec(select(AuditEntry).where(AuditEntry.action == "event.webhook_url"))
        ]
    assert audit and audit[0].startswith("- -> https://hooks.example.invalid/...")
    assert "xyz" not in audit[0]  # the URL's secret path is not copied into the audit log


def _deliver_one(app, worker, url: str, event_id: int | None = None) -> OutboxMessage:
    with app.app_context(), session_scope() as session:
        enqueue(session, f"k:{url}", "mass_alert", "webhook", url, {"json": {"text": "hi"}}, event_id=event_id)
    worker()
    with app.app_context(), session_scope() as session:
        return session.exec(select(OutboxMessage).where(OutboxMessage.target == url)).one()


def test_posts_to_loopback_are_refused_at_send_time_with_fixed_words(app, worker, no_allow_list):
    """A URL that got into the outbox anyway (configured default, older data) is checked again before connecting."""
    receiver = Receiver().start()
    try:
        message = _deliver_one(app, worker, receiver.url)
    finally:
        receiver.stop()
    assert receiver.hits == 0
    assert message.last_error == "the webhook URL points to a private, loopback or reserved address"


def test_closed_and_open_ports_look_the_same_to_staff(app, worker):
    """No port-scan oracle: whatever the socket says, staff read one fixed sentence."""
    closed = _deliver_one(app, worker, f"http://127.0.0.1:{Receiver().port}/")
    assert closed.last_error == "could not connect to the receiver"


def test_dns_rebinding_gains_nothing(app, worker, no_allow_list, monkeypatch):
    """The name resolves to a public address when checked, then to loopback: the connection is refused."""
    receiver = Receiver().start()
    real = socket.getaddrinfo
    answers = iter(["93.184.216.34", "127.0.0.1", "127.0.0.1", "127.0.0.1"])

    def rebinding(host, port, *args, **kwargs):
        if host == "rebind.example.org":
            return real(next(answers), port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    try:
        message = _deliver_one(app, worker, f"http://rebind.example.org:{receiver.port}/hook")
    finally:
        receiver.stop()
    assert receiver.hits == 0
    assert "private" in message.last_error


def test_redirects_are_not_followed(app, worker):
    internal, bouncer = Receiver().start(), Receiver().start()
    bouncer.redirect_to = internal.url
    try:
        message = _deliver_one(app, worker, bouncer.url)
    finally:
        internal.stop()
        bouncer.stop()
    assert bouncer.hits == 1 and internal.hits == 0
    assert "redirect" in message.last_error


def test_allow_list_admits_an_internal_receiver_by_network(app, worker):
    app.config["WEBHOOK_ALLOWED_HOSTS"] = ["127.0.0.0/8"]
    receiver = Receiver().start()
    try:
        message = _deliver_one(app, worker, receiver.url)
    finally:
        receiver.stop()
    assert message.status == "sent" and receiver.posts == [{"text": "hi"}]


def test_event_webhooks_are_signed_with_the_event_key(app, worker, make_event):
    receiver = Receiver().start()
    event = make_event(webhook_url=receiver.url, webhook_secret="k" * 43)
    try:
        _deliver_one(app, worker, receiver.url, event_id=event.id)
    finally:
        receiver.stop()
    [headers], [body] = receiver.headers, receiver.bodies
    timestamp = headers["X-Preflight-Timestamp"]
    expected = hmac.new(b"k" * 43, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    assert headers["X-Preflight-Signature"] == f"v1={expected}"


def test_the_default_webhook_is_signed_with_the_configured_key(app, worker, make_event):
    receiver = Receiver().start()
    app.config.update(ALERT_WEBHOOK_URL=receiver.url, ALERT_WEBHOOK_SECRET="operator-key")
    event = make_event(webhook_url="", webhook_secret="")
    try:
        _deliver_one(app, worker, receiver.url, event_id=event.id)
    finally:
        receiver.stop()
    [headers], [body] = receiver.headers, receiver.bodies
    expected = hmac.new(
        b"operator-key", headers["X-Preflight-Timestamp"].encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    assert headers["X-Preflight-Signature"] == f"v1={expected}"


def test_check_url_unit(app):
    with app.app_context():
        app.config["WEBHOOK_ALLOWED_HOSTS"] = []
        for url in UNSAFE:
            with pytest.raises(egress.UnsafeURL):
                egress.check_url(url)
        egress.check_url("https://93.184.216.34/hook")
        app.config["WEBHOOK_ALLOWED_HOSTS"] = ["chat.internal"]
        with pytest.raises(egress.UnsafeURL):
            egress.check_url("http://10.1.2.3/")


def test_staff_see_the_signing_key_under_the_webhook(client, auth, make_event):
    auth.login("agent")
    event = make_event(webhook_url="https://hooks.example.invalid/x", webhook_secret="the-key-" + "a" * 35)
    page = client.get(f"/staff/events/{event.id}/edit").get_data(as_text=True)
    assert "data-webhook-secret" in page and "the-key-" + "a" * 35 in page
