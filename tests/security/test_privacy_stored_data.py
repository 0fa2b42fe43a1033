"""Privacy: only what the checks need is kept. No IP address and no device label reaches the database
(nor, therefore, the dashboard, the API or exports); the page shows a privacy notice in the
participant's language, linking to the privacy guide.
"""

from __future__ import annotations

import json
import re

import pytest
from sqlmodel import select

from preflight.checks import REGISTRY
from preflight.db import session_scope
from preflight.models import CheckResult, metadata
from preflight.netrules.summary import sign
from result_payloads import server_record

ADDRESSES = ("203.0.113.45", "198.51.100.77")
# Names that would carry a device's identity or a network address.
IDENTIFYING = ("label", "device_id", "deviceid", "group_id", "ip", "addr", "address", "mac", "serial", "hostname")


def _network_payload(app, participant_id: int, run_id: str) -> dict:
    record = server_record(
        participant_id,
        run_id,
        echoes_sent={"0": 250, "1": 300},
        ice_remote={"addr": ADDRESSES[0], "type": "srflx"},
        http_addr=ADDRESSES[1],
    )
    return {
        "state": "connected",
        "session": "sess1",
        "connect_ms": 200.0,
        "rtt_ms": 20.0,
        "jitter_down_ms": 2.0,
        "download_kbps": 20000.0,
        "download_settled": True,
        "echoes_recv": {"0": 250, "1": 300},
        "server": sign(app.config["SECRET_KEY"], record),
        "duration_ms": 9000.0,
    }


def test_network_result_keeps_no_ip_address(app, client, make_participant):
    participant, token = make_participant()
    body = {"run_id": "privacy-run-1", "checks": {"network": _network_payload(app, participant.id, "privacy-run-1")}}
    response = client.post(f"/c/{token}/results", json=body)
    assert response.status_code == 200, response.data
    # The signed record was used (the upload figure comes from it)...
    assert response.get_json()["results"]["network"]["metrics"]["upload_kbps"] == 10000.0
    with app.app_context(), session_scope() as session:
        [stored] = session.exec(select(CheckResult)).all()
        text = json.dumps(stored.values)
    # ...but neither the addresses nor the record that carried them are stored.
    for address in ADDRESSES:
        assert address not in text
    assert "server" not in stored.values["raw"]
    assert stored.values["details"]["server"]["remote_type"] == "srflx"
    # A repeat of the same post is still recognised as the same result (stored once, unchanged).
    again = client.post(f"/c/{token}/results", json=body).get_json()
    assert again["results"]["network"]["stored"] == "unchanged"
    assert ADDRESSES[0] not in again["results"]["network"]["html"]


@pytest.mark.parametrize(
    "check, extra",
    [
        ("camera", {"label": "FaceTime HD Camera (05ac:8514)"}),
        ("camera", {"device_id": "d41d8cd98f00b204e9800998ecf8427e"}),
        ("microphone", {"label": "MacBook Pro Microphone"}),
        ("speakers", {"output_label": "AirPods Pro"}),
    ],
)
def test_device_labels_are_refused(client, make_participant, check, extra):
    from result_payloads import PAYLOADS

    _participant, token = make_participant()
    body = {"run_id": "privacy-run-2", "checks": {check: {**PAYLOADS[check], **extra}}}
    response = client.post(f"/c/{token}/results", json=body)
    assert response.status_code == 400


def test_no_stored_field_names_a_device_or_an_address():
    """Check payload models and database columns: nothing identifying, unless declared NOT_STORED."""
    problems = []
    for name, check in REGISTRY.items():
        stored = set(check.model.model_fields) - set(getattr(check.model, "NOT_STORED", ()))
        for field in stored:
            if any(word in field.lower().split("_") or field.lower() == word for word in IDENTIFYING):
                problems.append(f"{name}.{field}")
    for table in metadata.sorted_tables:
        for column in table.columns:
            if any(word in column.name.lower().split("_") for word in ("ip", "addr", "label", "mac")):
                problems.append(f"{table.name}.{column.name}")
    assert not problems, problems


@pytest.mark.parametrize(
    "language, words",
    [
        ("en", "Your privacy"),
        ("fr", "Vos données personnelles"),
        ("de", "Ihre Daten und Ihre Privatsphäre"),
        ("es", "Su privacidad"),
    ],
)
def test_privacy_notice_on_the_page_in_the_participants_language(client, make_participant, language, words):
    """The notice is titled with the privacy guide's title in the participant's language and links to that guide."""
    _participant, token = make_participant(language=language)
    page = client.get(f"/c/{token}")
    html = page.get_data(as_text=True)
    notice = html[html.index("data-privacy-notice") :]
    assert words in notice[:2000]
    tag = re.search(r'<a [^>]*data-action="privacy-guide"[^>]*>', notice).group(0)
    assert re.search(r'href="/guides/privacy[?"#]', tag) and f'hreflang="{language}"' in tag
    if language == "en":
        assert "deleted 90 days after the event" in notice
