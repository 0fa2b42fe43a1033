"""Check runs built through the real participant path: payloads as static/js/check.js posts them, sent to
``/c/<token>/results`` so the same judging and store write the rows staff-side code reads.

The network check's upload figure comes from the server's signed record (normally written by the aiortc
peer); ``network_payload`` signs one with the app's secret for this participant and run, exactly as
the peer does, so the judge accepts it as genuine.

Import as ``from participant_runs import post_run`` (``tests/`` is on ``sys.path``).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import update

from preflight.db import session_scope
from preflight.models import CheckRun
from preflight.netrules.summary import sign
from result_payloads import FEATURES, PAYLOADS, server_record

SAFARI = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 "
    "Safari/605.1.15"
)
FIREFOX_MAC = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.0; rv:118.0) Gecko/20100101 Firefox/118.0"
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
)


def network_payload(
    secret: str,
    participant_id: int,
    run_id: str,
    up: float = 10000.0,
    down: float = 20000.0,
    rtt: float = 20.0,
    ice_remote: dict | None = None,
) -> dict:
    """A connected network result with a server record signed for this participant and run.

    ``ice_remote``: the media path's far end as the server saw it (``{"addr", "type"}``), when a test
    needs it to match a real client's address (a re-probe from that client compares with it)."""
    session = "sess-" + run_id[-8:]
    seen = {"ice_remote": ice_remote} if ice_remote else {}
    record = server_record(participant_id, run_id, session=session, up=up, rtt=rtt, **seen)
    return dict(
        state="connected",
        session=session,
        connect_ms=210.0,
        candidates={"host": 2, "srflx": 0, "prflx": 0, "relay": 0, "udp": 2, "tcp": 0},
        selected={"local_type": "host", "remote_type": "host", "protocol": "udp", "relay_protocol": None},
        rtt_ms=float(rtt),
        rtt_p90_ms=float(rtt) * 1.2,
        jitter_down_ms=2.0,
        download_kbps=float(down),
        download_windows=[float(down)] * 6,
        download_settled=True,
        loaded_rtt_down_ms=float(rtt) + 20,
        loaded_rtt_up_ms=float(rtt) + 25,
        probes_sent={"0": 250, "1": 300, "2": 300, "3": 0},
        echoes_recv={"0": 250, "2": 250, "130": 50, "1": 300},
        timeouts=[],
        hidden=False,
        throttled=False,
        server=sign(secret, record),
        duration_ms=9000.0,
    )


def make_checks(
    app,
    participant_id: int,
    run_id: str,
    network: dict | None = None,
    camera: str = "granted",
    checks=("browser", "camera", "microphone", "speakers", "network"),
) -> dict:
    """Payloads for ``checks``: healthy by default; ``network`` = {'up', 'down', 'rtt'}; ``camera`` = permission."""
    out = {}
    for name in checks:
        if name == "network":
            out[name] = network_payload(app.config["SECRET_KEY"], participant_id, run_id, **(network or {}))
        elif name == "camera" and camera != "granted":
            out[name] = {
                "permission": camera,
                "devices": 1,
                "error": "NotAllowedError" if camera == "denied" else "NotFoundError",
            }
        else:
            out[name] = PAYLOADS[name]
    return out


def verdict_payload(app, participant_id: int, run_id: str, check: str, verdict: str) -> dict:
    """A payload the judge gives ``verdict`` for ``check``, as a real browser could send it.

    Camera and microphone failures are judged as warnings for attendees (they only recommend those
    devices): ask for them on a presenter.
    """
    if verdict == "pass":
        return make_checks(app, participant_id, run_id, checks=(check,))[check]
    if check == "browser":
        features = dict(FEATURES, rtc_peer_connection=False) if verdict == "fail" else dict(FEATURES)
        codecs = ["VP8", "H264"] if verdict == "fail" else []  # no video codec the platforms use: a warning
        return dict(PAYLOADS["browser"], features=features, video_codecs=codecs)
    if check == "camera":
        if verdict == "fail":  # a covered lens: dark, uniform frames
            frames = [{"luma": 3.0, "variance": 2.0, "diff": None if i == 0 else 0.5} for i in range(30)]
            return dict(PAYLOADS["camera"], frames=frames)
        return dict(PAYLOADS["camera"], width=480, height=270)  # below 360p: a warning
    if check == "microphone":
        if verdict == "fail":  # muted: the loudest window stays far below speech
            return dict(PAYLOADS["microphone"], peak_dbfs=-66.0, rms_dbfs=-72.0, mean_rms_dbfs=-80.0)
        return dict(PAYLOADS["microphone"], peak_dbfs=-36.0, rms_dbfs=-50.0, mean_rms_dbfs=-56.0)  # too quiet
    if check == "speakers":
        return {"answer": "no", "played": True} if verdict == "fail" else {"answer": "yes", "played": False}
    if check == "network":
        secret = app.config["SECRET_KEY"]
        if verdict == "fail":  # connected, but too slow for any call, even audio
            return network_payload(secret, participant_id, run_id, up=40.0, down=80.0)
        return network_payload(secret, participant_id, run_id, rtt=250.0)  # high latency
    raise ValueError(f"no payload for {check}={verdict}")


def post_run(
    app,
    client,
    participant,
    token: str,
    at: datetime | None = None,
    run_id: str | None = None,
    ua: str = CHROME,
    remote_addr: str = "127.0.0.1",
    **kw,
) -> dict:
    """Post one run for ``participant`` (a model with ``id``) through ``/c/<token>/results``; return the answer.

    ``at`` back-dates the run afterwards (the store stamps the real time), for charts over time.
    """
    run_id = run_id or "run-" + uuid.uuid4().hex[:16]
    body = {"run_id": run_id, "checks": make_checks(app, participant.id, run_id, **kw)}
    response = client.post(
        f"/c/{token}/results", json=body, headers={"User-Agent": ua}, environ_base={"REMOTE_ADDR": remote_addr}
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    if at is not None:
        with app.app_context(), session_scope() as session:
            session.execute(
                update(CheckRun)
                .where(CheckRun.run_key == run_id, CheckRun.participant_id == participant.id)
                .values(created_at=at, updated_at=at)
            )
    return response.get_json()


def probe_payload(
    secret: str, participant_id: int, run_id: str, rtt: float = 20.0, path: str = "host", addr: str = "10.0.0.2"
) -> dict:
    """A short re-probe as the page sends it: connected, round trip only, the server's record of the media path."""
    session = "sess-" + run_id[-8:]
    record = server_record(participant_id, run_id, session=session, rtt=rtt, ice_remote={"addr": addr, "type": path})
    return dict(
        state="connected",
        session=session,
        connect_ms=180.0,
        candidates={"host": 2, "srflx": 0, "prflx": 0, "relay": 0, "udp": 2, "tcp": 0},
        rtt_ms=float(rtt),
        probes_sent={"0": 20},
        echoes_recv={"0": 20},
        server=sign(secret, record),
        duration_ms=3000.0,
    )


def post_probe(app, client, participant, token: str, remote_addr: str = "127.0.0.1", **kw):
    """Post a re-probe for ``participant`` through ``/c/<token>/probe`` from ``remote_addr``; return the response."""
    run_id = "probe-" + uuid.uuid4().hex[:16]
    body = {
        "run_id": run_id,
        "checks": {"network": probe_payload(app.config["SECRET_KEY"], participant.id, run_id, **kw)},
    }
    return client.post(f"/c/{token}/probe", json=body, environ_base={"REMOTE_ADDR": remote_addr})
