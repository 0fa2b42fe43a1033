"""Every POST route of the app, fed hostile bodies by a signed-in admin (so staff forms are reached too)
and with a participant's link: never a 500.

Bodies: JSON nested past the recursion limit, JSON that is not an object, objects with non-string
values (posted to HTML forms), broken UTF-8, huge fields, a multipart body without its boundary.
"""

from __future__ import annotations

import json

import pytest

DEEP = "[" * 50_000 + "]" * 50_000
BODIES = [
    ("deep json", DEEP[:60_000].encode(), "application/json"),
    ("deep object", ('{"a":' * 5000 + "1" + "}" * 5000).encode(), "application/json"),
    ("json list", b"[1, 2, 3]", "application/json"),
    ("json string", b'"hello"', "application/json"),
    ("json number", b"1e999", "application/json"),
    (
        "json with objects",
        json.dumps({"message": {"a": 1}, "name": [1, 2], "email": 3, "phone": None, "csrf_token": {}}).encode(),
        "application/json",
    ),
    ("broken utf-8 form", b"name=\xff\xfe&email=\xc3\x28&message=\xed\xa0\x80", "application/x-www-form-urlencoded"),
    ("huge form field", b"message=" + b"x" * 200_000 + b"&name=" + b"y" * 100_000, "application/x-www-form-urlencoded"),
    (
        "multipart without boundary",
        b"--x\r\nContent-Disposition: form-data; name=file\r\n\r\nabc\r\n--x--",
        "multipart/form-data",
    ),
    ("garbage bytes", bytes(range(256)) * 4, "application/octet-stream"),
]


def _post_rules(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "POST" in rule.methods and rule.endpoint != "auth.logout":
            yield rule


def _url(rule, token: str, event_id: int, participant_id: int) -> str:
    values = {
        "token": token,
        "event_id": event_id,
        "participant_id": participant_id,
        "request_id": 1,
        "token_id": 1,
        "session_id": "abcdef0123456789",
        "kind": "invitation",
        "slug": "no-sound",
        "locale": "fr",
        "name": "readiness",
    }
    path = rule.rule
    for name in rule.arguments:
        for converter in ("int:", "path:", ""):
            path = path.replace(f"<{converter}{name}>", str(values.get(name, "x")))
    return path


@pytest.mark.parametrize("label, body, content_type", BODIES, ids=[b[0] for b in BODIES])
def test_no_post_route_crashes_on_hostile_bodies(
    app, client, auth, make_event, make_participant, label, body, content_type
):
    event = make_event()
    participant, token = make_participant(event=event)
    auth.login("admin")
    crashes = []
    for rule in _post_rules(app):
        if rule.endpoint == "staff.delete":
            continue  # would delete the participant the other routes use; its form is CSRF-only
        response = client.post(_url(rule, token, event.id, participant.id), data=body, content_type=content_type)
        response.get_data()
        if response.status_code >= 500:
            crashes.append(f"{rule.rule}: {response.status_code}")
    assert not crashes, f"{label}: {crashes}"
