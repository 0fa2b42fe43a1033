"""Property tests of ``POST /c/<token>/results``: whatever the body, the answer is a stored result or a
clear 4xx, never a 500, and a refused post writes nothing (no run, no result, no "last checked").

Bodies come from three generators: arbitrary bytes and content types; arbitrary JSON; and valid
posts with random mutations (keys dropped, retyped, added; extreme numbers; several checks at once
with one of them spoiled), which reach the strict per-check models rather than stopping at the envelope.
"""

from __future__ import annotations

import copy
import json
import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from result_payloads import PAYLOADS
from sqlalchemy import func
from sqlmodel import select

from preflight.db import session_scope
from preflight.models import CheckResult, CheckRun, Participant

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
OK_STATUSES = {200, 400, 413, 415}

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=5), st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=20,
)
run_ids = st.one_of(st.from_regex(r"\A[A-Za-z0-9_-]{8,64}\Z"), st.text(max_size=70), json_scalars)


@st.composite
def mutated_payload(draw, name: str):
    """A valid payload of check ``name`` with zero or more random changes."""
    payload = copy.deepcopy(PAYLOADS[name])
    for _ in range(draw(st.integers(0, 3))):
        keys = sorted(payload)
        action = draw(st.sampled_from(["drop", "retype", "add", "extreme"] if keys else ["add"]))
        if action == "drop":
            payload.pop(draw(st.sampled_from(keys)))
        elif action == "retype":
            payload[draw(st.sampled_from(keys))] = draw(json_values)
        elif action == "add":
            payload[draw(st.text(min_size=1, max_size=12))] = draw(json_values)
        else:
            payload[draw(st.sampled_from(keys))] = draw(
                st.sampled_from([0, -1, 2**63, -(2**63), 1e308, -1e308, 5e-324, "", "x" * 5000, [], {}])
            )
    return payload


@st.composite
def mutated_post(draw) -> dict:
    """A whole post: one to five checks (some possibly spoilt), a context, a run id."""
    names = draw(st.lists(st.sampled_from(sorted(PAYLOADS)), min_size=1, max_size=5, unique=True))
    body = {"run_id": draw(run_ids), "checks": {name: draw(mutated_payload(name)) for name in names}}
    if draw(st.booleans()):
        body["context"] = draw(
            st.one_of(
                st.fixed_dictionaries(
                    {
                        "tab_hidden": st.booleans(),
                        "attempts": st.dictionaries(
                            st.sampled_from(names + ["nope"]), st.integers(-5, 2000), max_size=3
                        ),
                    }
                ),
                json_values,
            )
        )
    if draw(st.integers(0, 9)) == 0:
        body[draw(st.text(min_size=1, max_size=8))] = draw(json_values)
    return body


def _snapshot(app, participant_id: int) -> tuple:
    with app.app_context(), session_scope() as session:
        runs = session.exec(
            select(func.count()).select_from(CheckRun).where(CheckRun.participant_id == participant_id)
        ).one()
        results = session.exec(
            select(func.count())
            .select_from(CheckResult)
            .join(CheckRun)
            .where(CheckRun.participant_id == participant_id)
        ).one()
        checked = session.get(Participant, participant_id).last_checked_at
    return runs, results, checked


def _stored_checks(app, participant_id: int, run_id: str) -> set[str]:
    with app.app_context(), session_scope() as session:
        rows = session.exec(
            select(CheckResult.check)
            .join(CheckRun)
            .where(CheckRun.participant_id == participant_id, CheckRun.run_key == run_id)
        ).all()
    return set(rows)


def _check_answer(app, participant_id: int, response, body, before) -> None:
    assert response.status_code in OK_STATUSES, (response.status_code, body)
    data = response.get_json()
    assert isinstance(data, dict)
    if response.status_code == 200:
        assert set(data["results"]) == set(body["checks"])
        assert _stored_checks(app, participant_id, body["run_id"]) >= set(body["checks"])
        for result in data["results"].values():
            assert result["verdict"] in ("pass", "warn", "fail") and result["stored"] in (
                "created",
                "replaced",
                "unchanged",
            )
    else:
        assert data["error"] in ("invalid_results", "too_large", "unsupported_media_type") and data["message"]
        assert _snapshot(app, participant_id) == before, "a refused post changed the database"


@given(body=mutated_post())
@SETTINGS
def test_mutated_posts(app, client, make_participant, body):
    participant, token = _participant(make_participant)
    before = _snapshot(app, participant.id)
    raw = json.dumps(body, allow_nan=False)
    response = client.post(f"/c/{token}/results", data=raw, content_type="application/json")
    _check_answer(app, participant.id, response, body, before)


@given(body=json_values)
@SETTINGS
def test_any_json(app, client, make_participant, body):
    participant, token = _participant(make_participant)
    before = _snapshot(app, participant.id)
    response = client.post(f"/c/{token}/results", data=json.dumps(body), content_type="application/json")
    assert response.status_code in (400, 413), body
    assert _snapshot(app, participant.id) == before


@given(
    raw=st.binary(max_size=2000),
    content_type=st.sampled_from(
        [
            "application/json",
            "application/json; charset=utf-8",
            "text/plain",
            "application/x-www-form-urlencoded",
            "",
            "multipart/form-data; boundary=x",
        ]
    ),
)
@SETTINGS
def test_any_bytes(app, client, make_participant, raw, content_type):
    participant, token = _participant(make_participant)
    before = _snapshot(app, participant.id)
    response = client.post(f"/c/{token}/results", data=raw, content_type=content_type or None)
    assert response.status_code in OK_STATUSES - {200} or _valid_json_post(raw), (response.status_code, raw)
    assert response.status_code < 500
    if response.status_code != 200:
        assert _snapshot(app, participant.id) == before


def test_huge_and_deep_bodies(app, client, make_participant):
    participant, token = make_participant()
    before = _snapshot(app, participant.id)
    limit = app.config["MAX_RESULT_BYTES"]
    deep = "[" * 100_000 + "]" * 100_000
    for raw, expected in (
        (b"x" * (limit + 1), 413),
        (deep.encode()[:limit], 400),
        (("{" * 2000).encode(), 400),
        (
            json.dumps({"run_id": "abcdefgh", "checks": {"browser": {"video_codecs": ["VP8"] * 10_000}}}).encode()[
                :limit
            ],
            400,
        ),
    ):
        response = client.post(f"/c/{token}/results", data=raw, content_type="application/json")
        assert response.status_code == expected, (expected, raw[:40])
    # Larger than Flask's own request limit: refused before the view reads it, still not a 500.
    response = client.post(
        f"/c/{token}/results", data=b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1), content_type="application/json"
    )
    assert response.status_code == 413
    assert _snapshot(app, participant.id) == before


def test_a_spoilt_check_spoils_the_whole_post(app, client, make_participant):
    """Never half a post: four valid checks and one invalid one store nothing."""
    participant, token = make_participant()
    body = {"run_id": "all-or-nothing-1", "checks": copy.deepcopy(PAYLOADS)}
    body["checks"]["camera"]["fps"] = math.pi * 1e6
    response = client.post(f"/c/{token}/results", json=body)
    assert response.status_code == 400 and "checks.camera.fps" in response.get_json()["message"]
    assert _snapshot(app, participant.id) == (0, 0, None)
    body["checks"]["camera"]["fps"] = 30.0
    assert client.post(f"/c/{token}/results", json=body).status_code == 200
    assert _stored_checks(app, participant.id, "all-or-nothing-1") == set(PAYLOADS)


def _valid_json_post(raw: bytes) -> bool:
    try:
        data = json.loads(raw)
    except ValueError:
        return False
    return isinstance(data, dict) and "run_id" in data


_PARTICIPANT: dict = {}


def _participant(make_participant):
    """One participant per test function (hypothesis calls the body many times with the same fixtures)."""
    key = id(make_participant)
    if key not in _PARTICIPANT:
        _PARTICIPANT.clear()
        _PARTICIPANT[key] = make_participant()
    return _PARTICIPANT[key]
