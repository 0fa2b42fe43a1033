"""Personal links: creation, hashing, revocation, expiry and the friendly 404/410 pages."""

from datetime import timedelta

from sqlalchemy import text
from sqlmodel import select

from preflight.db import session_scope
from preflight.links import NONCE_BYTES, hash_token, issue_link, lookup, participant_url
from preflight.models import Participant, utcnow


def test_token_is_long_random_and_only_its_hash_is_stored(app, make_participant):
    participant, token = make_participant()
    assert NONCE_BYTES * 8 >= 128
    assert len(token) >= 43  # 256-bit HMAC, base64url
    with app.app_context(), session_scope() as session:
        row = session.exec(select(Participant).where(Participant.id == participant.id)).one()
        assert row.token_hash == hash_token(token)
        dump = " ".join(str(v) for v in session.connection().execute(text("SELECT * FROM participant")).fetchall())
        assert token not in dump


def test_two_participants_get_different_tokens(make_participant):
    assert make_participant()[1] != make_participant()[1]


def test_link_uses_public_base_url(app, make_participant):
    participant, token = make_participant()
    with app.test_request_context():
        assert participant_url(participant) == f"http://localhost/c/{token}"


def test_valid_link_opens_the_page(client, make_participant):
    participant, token = make_participant(name="Camille Durand")
    response = client.get(f"/c/{token}")
    assert response.status_code == 200
    assert b"Camille Durand" in response.data
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_unknown_link_is_404_and_reveals_nothing(client, make_participant):
    make_participant(name="Secret Person")
    response = client.get("/c/" + "A" * 43)
    assert response.status_code == 404
    assert b"Secret Person" not in response.data and b"Test webinar" not in response.data
    assert b"could not find this link" in response.data


def test_garbage_tokens_are_404(client):
    for token in ("x", "%00", "a" * 500, "../../etc/passwd"):
        assert client.get(f"/c/{token}").status_code == 404


def test_revoked_link_is_410_with_support_contact(app, client, make_participant):
    participant, token = make_participant()
    with app.app_context(), session_scope() as session:
        found = lookup(session, token)
        from preflight.links import revoke_link

        revoke_link(found.participant)
        session.add(found.participant)
    response = client.get(f"/c/{token}")
    assert response.status_code == 410
    assert b"no longer valid" in response.data
    assert b"help@example.org" in response.data
    assert participant.name.encode() not in response.data


def test_regenerated_link_replaces_the_old_one(app, client, make_participant):
    participant, old = make_participant()
    with app.app_context(), session_scope() as session:
        row = session.get(Participant, participant.id)
        new = issue_link(row)
    assert client.get(f"/c/{old}").status_code == 404
    assert client.get(f"/c/{new}").status_code == 200


def test_expired_link_is_410(app, client, make_event, make_participant):
    past = utcnow() - timedelta(days=30)
    event = make_event(starts_at=past, ends_at=past + timedelta(hours=1))
    _, token = make_participant(event=event)
    response = client.get(f"/c/{token}")
    assert response.status_code == 410
    assert b"expired" in response.data


def test_expiry_follows_the_setting(app_config, make_event, make_participant, client, app):
    ended = utcnow() - timedelta(days=2)
    event = make_event(starts_at=ended - timedelta(hours=1), ends_at=ended)
    _, token = make_participant(event=event)
    assert client.get(f"/c/{token}").status_code == 200  # default: 14 days after the end
    app.config["LINK_TTL_DAYS"] = 1
    assert client.get(f"/c/{token}").status_code == 410


def test_invalid_link_page_is_localised(client):
    response = client.get("/c/nope", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert response.status_code == 404
    assert b'lang="fr"' in response.data
