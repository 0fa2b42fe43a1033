"""Helpers for the engine tests (import as ``from engine_support import ...``): staged payloads, the
stored re-probe, the phone-width layout check."""

from __future__ import annotations


def staged_network(secret: str, kind: str, participant_id: int, run_id: str) -> dict:
    """What the page would send: ``udp_blocked`` (WebRTC failed, plain HTTPS works) or ``relay`` (TURN over TCP)."""
    from participant_runs import network_payload
    from result_payloads import PAYLOADS, server_record

    from preflight.netrules.summary import sign

    if kind == "udp_blocked":
        return dict(PAYLOADS["network"], http={"ok": True, "rtt_ms": 40.0, "down_kbps": 3000.0})
    if kind == "relay":
        payload = network_payload(secret, participant_id, run_id, rtt=60.0)
        payload["selected"] = {"local_type": "relay", "remote_type": "host", "protocol": "tcp", "relay_protocol": "tcp"}
        payload["candidates"] = {"host": 2, "srflx": 0, "prflx": 0, "relay": 1, "udp": 2, "tcp": 1}
        # Through TURN the server sees the relay's address, not the participant's.
        relay = {"addr": "81.2.69.160", "type": "relay"}
        record = server_record(participant_id, run_id, session=payload["session"], rtt=60.0, ice_remote=relay)
        payload["server"] = sign(secret, record)
        return payload
    raise ValueError(kind)


def stored_probe(app, participant_id: int):
    """The participant's latest re-probe as the server stored it (None when there is none)."""
    from sqlmodel import select

    from preflight.db import session_scope
    from preflight.models import NetworkProbe

    with app.app_context(), session_scope() as session:
        probe = session.exec(select(NetworkProbe).where(NetworkProbe.participant_id == participant_id)).first()
        if probe is not None:
            session.expunge(probe)
        return probe


def assert_readable_at_phone_width(layout: dict) -> None:
    """The IT message is shown (opened), no wider than the screen, and the page does not scroll sideways."""
    pre = layout["pre"]
    print(
        "LAYOUT", {k: v for k, v in layout.items() if k != "pre"}, {k: v for k, v in (pre or {}).items() if k != "text"}
    )
    assert layout["viewport"] <= 400, layout  # a phone's width, not a laptop's
    assert pre and 0 < pre["client"] <= layout["viewport"] and pre["right"] <= layout["viewport"] + 0.5, layout
    assert pre["scroll"] <= pre["client"], layout  # wrapped, not cut off at the edge
    assert layout["page_width"] <= layout["viewport"], layout
    assert "UDP" in pre["text"] or "TCP" in pre["text"], pre["text"]


# The policy verdicts each engine shows at phone width: (staged kind, verdict, reason, words shown).
POLICY_VERDICTS = [
    ("relay", "warn", "tcp_only_turn", "Your connection works through the relay only"),
    ("udp_blocked", "fail", "udp_blocked", "the audio and video connection is blocked"),
]
