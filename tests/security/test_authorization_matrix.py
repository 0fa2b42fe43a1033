"""Authorisation matrix: every route of ``app.url_map``, every method, against every kind of caller.

Callers: anonymous, a participant (their browser, holding their own link), translator, agent, admin,
and for the JSON API bearer tokens of each staff role. ``POLICY`` (in authorization_policy.py) says
who may use each endpoint; a route added without an entry fails ``test_every_route_has_a_policy``,
which forces a decision.

Besides "who gets in", participant routes are checked for leaks: with participant A's link, nothing
of participant B (name, email, help message, run) ever appears; translators never see participant
data on any page they can open; the API ignores session cookies and takes only API tokens.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import pytest
from sqlmodel import select

from authorization_policy import ALLOWED, POLICY
from participant_runs import verdict_payload

from preflight.api.tokens import create_token
from preflight.auth.scope import add_member
from preflight.db import session_scope
from preflight.links import issue_link, revoke_link
from preflight.models import ApiToken, CheckResult, CheckRun, HelpRequest, Participant, StaffUser, utcnow

ACTORS = ("anonymous", "participant", "translator", "agent", "admin")
STAFF_ROLES = ("translator", "agent", "admin")
# Participant B's identifying data: must never reach participant A or a translator.
B_NAME, B_EMAIL, B_MESSAGE = "Bertha Zwieback", "bertha.zwieback@example.org", "B-PRIVATE-HELP-MESSAGE"
A_NAME, A_EMAIL = "Arthur Quince", "arthur.quince@example.org"
VALUES = {
    "slug": "privacy",
    "locale": "fr",
    "kind": "invitation",
    "name": "readiness",
    "session_id": "abcdef0123456789",
    "batch": "0123456789abcdef0123456789abcdef",
}
PLAYBOOK_SLUG = "no-sound"


def _rules(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def test_every_route_has_a_policy(app):
    missing = sorted({rule.endpoint for rule, _m in _rules(app)} - set(POLICY))
    stale = sorted(set(POLICY) - {rule.endpoint for rule, _m in _rules(app)})
    assert not missing, f"routes without an access decision (add them to POLICY): {missing}"
    assert not stale, f"POLICY names endpoints that no longer exist: {stale}"


def test_policy_matches_the_url_layout(app):
    """Participant routes live under /c/<token>, staff routes under /staff, the API under /api."""
    for rule, _method in _rules(app):
        policy = POLICY.get(rule.endpoint)
        if policy == "link":
            assert rule.rule.startswith("/c/<token>"), rule.rule
        elif policy in ("staff", "admin", "translation", "signed-in", "password-link"):
            assert rule.rule.startswith("/staff/"), rule.rule
        elif policy in ("api", "api-write"):
            assert rule.rule.startswith("/api/"), rule.rule
        if rule.rule.startswith("/c/<token>"):
            assert policy == "link", rule.endpoint


@dataclass
class World:
    """The data every check runs against."""

    event_id: int
    token_a: str
    token_b: str
    participant_b: int
    request_b: int
    clients: dict = field(default_factory=dict)
    users: dict = field(default_factory=dict)
    api_tokens: dict = field(default_factory=dict)
    write_tokens: dict = field(default_factory=dict)


@pytest.fixture
def world(app, make_event, make_participant, auth, make_staff, staff_password) -> World:
    from datetime import timedelta

    # The event ended an hour ago, so the survey is open too; links last LINK_TTL_DAYS longer.
    event = make_event(starts_at=utcnow() - timedelta(hours=2), ends_at=utcnow() - timedelta(hours=1))
    a, token_a = make_participant(event=event, name=A_NAME, email=A_EMAIL)
    b, token_b = make_participant(event=event, name=B_NAME, email=B_EMAIL, role="presenter")
    # B's run and help request arrive the way B's browser sends them.
    participant_client = app.test_client()
    camera = verdict_payload(app, b.id, "run-of-bertha-1", "camera", "fail")
    posted = participant_client.post(
        f"/c/{token_b}/results", json={"run_id": "run-of-bertha-1", "checks": {"camera": camera}}
    )
    assert posted.status_code == 200, posted.data
    asked = participant_client.post(f"/c/{token_b}/help", data={"message": B_MESSAGE, "channel": "email"})
    assert asked.status_code == 302, asked.data
    with app.app_context(), session_scope() as session:
        request_id = session.exec(select(HelpRequest.id).where(HelpRequest.participant_id == b.id)).one()
    w = World(event_id=event.id, token_a=token_a, token_b=token_b, participant_b=b.id, request_b=request_id)
    for role in STAFF_ROLES:
        user = make_staff(role)
        client = app.test_client()
        assert client.post("/staff/login", data={"email": user.email, "password": staff_password}).status_code == 302
        w.clients[role], w.users[role] = client, user
        with app.app_context(), session_scope() as session:
            w.api_tokens[role] = create_token(session, session.get(StaffUser, user.id), f"{role} integration")[1]
            w.write_tokens[role] = create_token(session, session.get(StaffUser, user.id), f"{role} writer", "write")[1]
    w.clients["anonymous"] = app.test_client()
    participant = app.test_client()
    assert participant.get(f"/c/{token_a}").status_code == 200  # the participant's browser has been on its page
    w.clients["participant"] = participant
    return w


_TARGETS = itertools.count()


def _fresh_targets(app, w: World, actor: str) -> dict:
    """New objects for a state-changing request, so no check depends on the order of the others."""
    with app.app_context(), session_scope() as session:
        # The admin's "save agents" with an empty form takes the agent off the event: put them back.
        add_member(session, w.event_id, w.users["agent"].id)
        person = Participant(event_id=w.event_id, name="Target person", email=f"target{next(_TARGETS)}@example.org")
        person_token = issue_link(person)
        session.add(person)
        session.flush()
        person_id = person.id
    # The target's help request arrives the way their browser sends it.
    asked = app.test_client().post(f"/c/{person_token}/help", data={"message": "target request", "channel": "email"})
    assert asked.status_code == 302, asked.data
    with app.app_context(), session_scope() as session:
        request_id = session.exec(select(HelpRequest.id).where(HelpRequest.participant_id == person_id)).one()
        owner = w.users.get(actor) or w.users["agent"]
        token_row, _token = create_token(session, session.get(StaffUser, owner.id), "to revoke")
        colleague = StaffUser(
            email=f"colleague{next(_TARGETS)}@example.org", name="Colleague", role="agent", password_hash="!invited"
        )
        session.add(colleague)
        session.flush()
        return {
            "participant_id": person_id,
            "request_id": request_id,
            "token_id": token_row.id,
            "user_id": colleague.id,
        }


def _url(rule, w: World, token: str, targets: dict) -> str:
    values = {
        **VALUES,
        "token": token,
        "event_id": w.event_id,
        "participant_id": w.participant_b,
        "request_id": w.request_b,
        "token_id": 0,
        "user_id": 0,
        **targets,
    }
    if rule.endpoint.startswith("playbook."):
        values["slug"] = PLAYBOOK_SLUG
    if rule.endpoint == "static":
        return "/static/css/app.css"
    path = rule.rule
    for converter in ("int:", "path:", ""):
        for name in rule.arguments:
            path = path.replace(f"<{converter}{name}>", str(values[name]))
    return path


def _denied(policy: str, response) -> bool:
    """Did the app refuse? Each policy has its own way of saying no."""
    status = response.status_code
    if policy == "link":
        return status in (404, 410) and b"data-link-state" in response.data
    if policy in ("api", "api-write"):
        return status in (401, 403)
    if policy == "metrics":
        return status == 404
    if policy == "password-link":
        return status == 410 and b'data-link="invalid"' in response.data
    # Staff pages: anonymous callers go to the sign-in page; signed-in callers of the wrong role get 403.
    return status == 403 or (status in (302, 303) and "/staff/login" in response.headers.get("Location", ""))


def _call(client, method: str, url: str, headers: dict | None = None):
    response = client.open(url, method=method, headers=headers or {}, data={} if method == "POST" else None)
    response.get_data()
    response.close()
    return response


def test_matrix(app, world):
    w = world
    problems = []
    for rule, method in _rules(app):
        policy = POLICY[rule.endpoint]
        if rule.endpoint == "auth.logout":
            continue  # signs the caller out; covered by tests/test_auth.py
        for actor in ACTORS:
            # the API ignores sessions
            allowed = actor in ALLOWED[policy] if policy not in ("api", "api-write") else False
            targets = _fresh_targets(app, w, actor) if method != "GET" and allowed else {}
            # Participant routes: the participant uses their own link; everyone else can only guess one.
            token = w.token_a if actor == "participant" else "guessed-Zq8c0RkF1vPl3eY2"
            response = _call(w.clients[actor], method, _url(rule, w, token, targets))
            if response.status_code >= 500:
                problems.append(f"{actor} {method} {rule.rule}: {response.status_code}")
                continue
            denied = _denied(policy, response)
            if allowed and (denied or response.status_code in (401, 403, 404, 410)):
                problems.append(
                    f"{actor} {method} {rule.rule}: refused ({response.status_code}) but allowed by policy {policy}"
                )
            elif not allowed and not denied:
                problems.append(
                    f"{actor} {method} {rule.rule}: got {response.status_code}, policy {policy} should refuse"
                )
    assert not problems, "\n".join(problems)


def test_api_takes_only_api_tokens(app, world):
    w = world
    with app.app_context(), session_scope() as session:
        revoked_row, revoked = create_token(session, session.get(StaffUser, w.users["agent"].id), "old")
        revoked_row.revoked_at = utcnow()
    problems = []
    for rule, method in _rules(app):
        policy = POLICY[rule.endpoint]
        if policy not in ("api", "api-write"):
            continue
        url = _url(rule, w, "", {})
        # Read tokens: 200 on reads, 403 on writes. Write tokens get through to the body, which is missing
        # here (415): the token was accepted and the request refused for what it carries.
        read_ok, write_ok = (200, 200) if policy == "api" else (403, 415)
        bearer = {name: {"Authorization": f"Bearer {token}"} for name, token in w.api_tokens.items()}
        writer = {name: {"Authorization": f"Bearer {token}"} for name, token in w.write_tokens.items()}
        cases = {
            "agent bearer": (w.clients["anonymous"], bearer["agent"], read_ok),
            "admin bearer": (w.clients["anonymous"], bearer["admin"], read_ok),
            "agent write bearer": (w.clients["anonymous"], writer["agent"], write_ok),
            "admin write bearer": (w.clients["anonymous"], writer["admin"], write_ok),
            "translator bearer": (w.clients["anonymous"], bearer["translator"], 403),
            "translator write bearer": (w.clients["anonymous"], writer["translator"], 403),
            "revoked bearer": (w.clients["anonymous"], {"Authorization": f"Bearer {revoked}"}, 401),
            "participant link as bearer": (w.clients["participant"], {"Authorization": f"Bearer {w.token_a}"}, 401),
            "admin session cookie only": (w.clients["admin"], {}, 401),
            "basic auth": (w.clients["anonymous"], {"Authorization": "Basic YWRtaW46YWRtaW4="}, 401),
        }
        for name, (client, headers, expected) in cases.items():
            response = _call(client, method, url, headers)
            if response.status_code != expected:
                problems.append(f"{name} {method} {rule.rule}: {response.status_code}, expected {expected}")
    assert not problems, "\n".join(problems)


def test_a_participant_link_reaches_nothing_of_another_participant(app, world):
    w = world
    client = w.clients["participant"]
    for rule, method in _rules(app):
        if POLICY[rule.endpoint] != "link" or method != "GET":
            continue
        response = _call(client, method, _url(rule, w, w.token_a, {}))
        body = response.get_data()
        for secret in (B_NAME, B_EMAIL, B_MESSAGE, "run-of-bertha-1", w.token_b):
            assert secret.encode() not in body, (rule.rule, secret)
    # Posting with B's run key under A's link creates A's own run and leaves B's untouched.
    page = client.get(f"/c/{w.token_a}")
    assert page.status_code == 200
    payload = {"run_id": "run-of-bertha-1", "checks": {"speakers": {"answer": "no", "played": True}}}
    response = client.post(f"/c/{w.token_a}/results", json=payload)
    assert response.status_code == 200, response.data
    with app.app_context(), session_scope() as session:
        runs = session.exec(select(CheckRun).where(CheckRun.run_key == "run-of-bertha-1")).all()
        owners = sorted(r.participant_id for r in runs)
        b_results = session.exec(
            select(CheckResult).join(CheckRun).where(CheckRun.participant_id == w.participant_b)
        ).all()
    assert len(owners) == 2 and w.participant_b in owners
    assert [(r.check, r.verdict) for r in b_results] == [("camera", "fail")]


def test_revoked_link_opens_nothing(app, world):
    w = world
    with app.app_context(), session_scope() as session:
        b = session.get(Participant, w.participant_b)
        revoke_link(b)
    problems = []
    for rule, method in _rules(app):
        if POLICY[rule.endpoint] != "link":
            continue
        response = _call(w.clients["participant"], method, _url(rule, w, w.token_b, {}))
        if response.status_code != 410 or b"data-link-state" not in response.data:
            problems.append(f"{method} {rule.rule}: {response.status_code}")
    assert not problems, problems


def test_translator_never_sees_participant_data(app, world):
    w = world
    client = w.clients["translator"]
    for rule, method in _rules(app):
        if method != "GET" or "translator" not in ALLOWED[POLICY[rule.endpoint]] or rule.endpoint == "static":
            continue
        for slug in ("privacy", "how-to-run-check"):
            response = _call(client, "GET", _url(rule, w, w.token_a, {"slug": slug}))
            body = response.get_data()
            assert response.status_code < 400, (rule.rule, response.status_code)
            for secret in (A_NAME, A_EMAIL, B_NAME, B_EMAIL, B_MESSAGE, w.token_a, w.token_b):
                assert secret.encode() not in body, (rule.rule, secret)


def test_agents_cannot_revoke_someone_elses_api_token(app, world):
    w = world
    with app.app_context(), session_scope() as session:
        row, _token = create_token(session, session.get(StaffUser, w.users["admin"].id), "admin's")
        token_id = row.id
    assert w.clients["agent"].post(f"/staff/api-tokens/{token_id}/revoke").status_code == 404
    with app.app_context(), session_scope() as session:
        assert session.get(ApiToken, token_id).revoked_at is None
