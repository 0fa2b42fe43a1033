"""Audit log, retention purge, deleting one participant, rate limits and session expiry."""

import re
from datetime import timedelta

import pytest
from sqlmodel import select

from participant_runs import post_probe, post_run
from support_factories import worker  # noqa: F401 - fixture

from preflight.db import session_scope
from preflight.models import (
    AuditEntry,
    CheckResult,
    CheckRun,
    Event,
    NetworkProbe,
    Participant,
    ParticipantMessage,
    utcnow,
)


def _audit(app):
    with app.app_context(), session_scope() as session:
        return [(e.action, e.staff_email) for e in session.exec(select(AuditEntry).order_by(AuditEntry.id))]


def test_staff_actions_are_audited(client, auth, make_participant, app):
    user = auth.login("agent")
    participant, _ = make_participant()
    client.get(f"/staff/events/{participant.event_id}/links.csv")
    client.post(f"/staff/events/{participant.event_id}/participants/{participant.id}/revoke")
    actions = _audit(app)
    assert ("staff.login", user.email) in actions
    assert ("links.export", user.email) in actions
    assert ("link.revoke", user.email) in actions


def test_audit_page_is_for_admins_only(client, auth):
    auth.login("agent")
    assert client.get("/staff/audit").status_code == 403
    auth.logout()
    auth.login("admin")
    page = client.get("/staff/audit")
    assert page.status_code == 200 and b"staff.login" in page.data


def _with_history(app, participant, token):
    """One run posted through the participant's link, and an invitation sent."""
    post_run(app, app.test_client(), participant, token, checks=("camera",), camera="denied")
    with app.app_context(), session_scope() as session:
        session.add(ParticipantMessage(participant_id=participant.id, kind="invitation", status="sent"))


def _count(app, model):
    with app.app_context(), session_scope() as session:
        return len(session.exec(select(model)).all())


def test_purge_deletes_participant_data_after_retention(runner, app, make_event, make_participant):
    old = make_event(name="Old")
    recent = make_event(name="Recent")
    gone, gone_token = make_participant(event=old)
    kept, kept_token = make_participant(event=recent)
    _with_history(app, gone, gone_token)
    _with_history(app, kept, kept_token)
    # The old event's participants checked before it; it ended 100 days ago.
    old_end = utcnow() - timedelta(days=100)
    with app.app_context(), session_scope() as session:
        event = session.get(Event, old.id)
        event.starts_at, event.ends_at = old_end - timedelta(hours=1), old_end

    dry = runner.invoke(args=["purge", "--dry-run"])
    assert "would delete 1 participant(s) from 1 event(s)" in dry.output
    assert _count(app, Participant) == 2

    result = runner.invoke(args=["purge"])
    assert result.exit_code == 0 and "deleted 1 participant(s)" in result.output
    with app.app_context(), session_scope() as session:
        assert [p.id for p in session.exec(select(Participant))] == [kept.id]
        assert len(session.exec(select(Event)).all()) == 2
    assert _count(app, CheckRun) == 1 and _count(app, CheckResult) == 1 and _count(app, ParticipantMessage) == 1


def test_admin_deletes_one_participant_on_request(client, auth, app, make_participant):
    participant, token = make_participant()
    _with_history(app, participant, token)
    auth.login("agent")
    assert client.post(f"/staff/events/{participant.event_id}/participants/{participant.id}/delete").status_code == 403
    auth.logout()
    auth.login("admin")
    response = client.post(f"/staff/events/{participant.event_id}/participants/{participant.id}/delete")
    assert response.status_code == 302
    assert _count(app, Participant) == 0 and _count(app, CheckRun) == 0 and _count(app, CheckResult) == 0
    assert client.get(f"/c/{token}").status_code == 404
    assert ("participant.delete",) in [(a,) for a, _ in _audit(app)]


@pytest.mark.ratelimit
def test_login_is_throttled_with_retry_after(client, app):
    app.config["RATELIMIT_LOGIN"] = "3 per minute"
    for _ in range(3):
        assert (
            client.post("/staff/login", data={"email": "x@example.org", "password": "nope-nope-nope"}).status_code
            == 401
        )
    response = client.post("/staff/login", data={"email": "x@example.org", "password": "nope-nope-nope"})
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0


@pytest.mark.ratelimit
def test_link_lookups_are_rate_limited(client, app):
    app.config["RATELIMIT_PUBLIC"] = "5 per minute"
    statuses = [client.get(f"/c/guess{i}").status_code for i in range(7)]
    assert statuses[:5] == [404] * 5
    assert statuses[5:] == [429, 429]
    response = client.get("/c/guess-more")
    assert response.headers["Retry-After"]


def test_staff_session_expires(client, auth, app):
    auth.login("agent")
    assert client.get("/staff/").status_code == 200
    assert app.permanent_session_lifetime == timedelta(hours=app.config["SESSION_HOURS"])
    with client.session_transaction() as session:
        assert session.permanent


def _sink_recipients(app) -> list[str]:
    import mailbox

    from preflight.mail.sender import sink_path

    with app.app_context():
        path = sink_path()
        return sorted(m["To"] for m in mailbox.Maildir(str(path), create=False)) if path.is_dir() else []


def test_the_local_mail_sink_follows_erasure_and_retention(
    client, auth, app, runner, make_event, make_participant, worker
):
    """Without SMTP, invitations are written to instance/mail/: erasing a participant and the
    retention purge reach them."""
    import os
    import time

    from preflight.mail.sender import sink_path

    event = make_event(name="Launch")
    ann, _ = make_participant(event=event, name="Ann", email="ann@example.org")
    bob, _ = make_participant(event=event, name="Bob", email="bob@example.org")
    auth.login("admin")
    client.post(f"/staff/events/{event.id}/send/invitation")
    worker()
    assert _sink_recipients(app) == ["Ann <ann@example.org>", "Bob <bob@example.org>"]

    client.post(f"/staff/events/{event.id}/participants/{ann.id}/delete")
    assert _sink_recipients(app) == ["Bob <bob@example.org>"]

    with app.app_context():
        [bob_file] = [p for p in (sink_path() / "new").iterdir()]
    old = time.time() - (app.config["RETENTION_DAYS"] + 1) * 86400
    os.utime(bob_file, (old, old))
    assert runner.invoke(args=["purge"]).exit_code == 0
    assert _sink_recipients(app) == []


def test_reads_of_personal_data_and_token_changes_are_audited(client, auth, app, make_participant):
    """What the README promises: participant views, CSV exports, API reads, token creation and revocation."""
    participant, _token = make_participant()
    event_id = participant.event_id
    user = auth.login("agent")
    client.get(f"/staff/events/{event_id}/dashboard/participants/{participant.id}")
    client.get(f"/staff/events/{event_id}/dashboard.csv")  # the readiness CSV
    client.get(f"/staff/events/{event_id}/report.csv")
    page = client.post("/staff/api-tokens/", data={"name": "crm sync"}).get_data(as_text=True)
    token = "pf_" + re.search(r"pf_([A-Za-z0-9_-]+)", page).group(1)
    assert (
        app.test_client()
        .get(f"/api/events/{event_id}/participants", headers={"Authorization": f"Bearer {token}"})
        .status_code
        == 200
    )
    with app.app_context(), session_scope() as session:
        entries = [(e.action, e.detail, e.staff_id) for e in session.exec(select(AuditEntry).order_by(AuditEntry.id))]
    actions = [action for action, _detail, _staff in entries]
    for expected in ("participant.view", "dashboard.export", "report.export", "api_token.create", "api.read"):
        assert expected in actions, (expected, actions)
    assert [(d, s) for a, d, s in entries if a == "api.read"] == [(f"GET /api/events/{event_id}/participants", user.id)]


def _with_probe(app, participant, token):
    """A complete network check, then a re-probe from elsewhere: a stored fingerprint and a stored probe."""
    post_run(app, app.test_client(), participant, token, checks=("network",), remote_addr="203.0.113.7")
    assert post_probe(app, app.test_client(), participant, token, remote_addr="198.51.100.20").status_code == 200


def test_erasure_removes_network_fingerprints_and_probes(client, auth, app, make_participant):
    participant, token = make_participant()
    other, other_token = make_participant()
    _with_probe(app, participant, token)
    _with_probe(app, other, other_token)
    auth.login("admin")
    assert client.post(f"/staff/events/{participant.event_id}/participants/{participant.id}/delete").status_code == 302
    with app.app_context(), session_scope() as session:
        assert [p.participant_id for p in session.exec(select(NetworkProbe))] == [other.id]
        assert len(session.exec(select(CheckResult)).all()) == 1  # the other's result (with its fingerprint)


def test_retention_removes_network_fingerprints_and_probes(runner, app, make_event, make_participant):
    old = make_event(name="Old")
    gone, gone_token = make_participant(event=old)
    _with_probe(app, gone, gone_token)
    old_end = utcnow() - timedelta(days=100)
    with app.app_context(), session_scope() as session:
        event = session.get(Event, old.id)
        event.starts_at, event.ends_at = old_end - timedelta(hours=1), old_end
    assert runner.invoke(args=["purge"]).exit_code == 0
    assert _count(app, NetworkProbe) == 0 and _count(app, CheckResult) == 0
