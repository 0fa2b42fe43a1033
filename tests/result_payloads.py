"""Valid raw measurements for each check, as static/js/check.js posts them (shared by fault and fuzz tests).

Import as ``from result_payloads import PAYLOADS`` (``tests/`` is on ``sys.path``: it holds the root conftest).
"""

# Every browser feature the browser check asks about, all present.
FEATURES = dict(
    rtc_peer_connection=True,
    get_user_media=True,
    enumerate_devices=True,
    set_sink_id=True,
    get_display_media=True,
    audio_context=True,
)

# The network check's figures (the page's data-metric names), written out so a renamed or
# dropped figure fails the tests.
NETWORK_METRICS = frozenset(
    {"connect_ms", "rtt_ms", "jitter_ms", "loss_up_pct", "loss_down_pct", "upload_kbps", "download_kbps"}
    | {"loaded_rtt_ms", "mos"}
)


def server_record(
    participant_id: int, run_id: str, *, session: str = "sess1", up: float = 10000.0, rtt: float = 21.0, **changes
) -> dict:
    """A healthy record of the server's own figures, as the aiortc peer signs it; ``changes`` override fields."""
    record = {
        "v": 1,
        "sid": session,
        "pid": participant_id,
        "run": run_id,
        "upload_kbps": float(up),
        "upload_windows": [float(up)] * 6,
        "upload_settled": True,
        "loss_up_pct": 0.0,
        "probes_up_sent": 550,
        "probes_up_recv": 550,
        "echoes_sent": {"0": 250, "2": 250, "130": 50, "1": 300},
        "jitter_up_ms": 1.0,
        "sctp_rtt_ms": float(rtt),
        "down_connections": 2,
        "up_connections": 4,
        "ice_remote": {"addr": "10.0.0.2", "type": "host"},
        "http_addr": "10.0.0.2",
    }
    record.update(changes)
    return record


PAYLOADS = {
    "browser": {
        "secure_context": True,
        "features": dict(FEATURES),
        "video_codecs": ["VP8", "H264"],
        "audio_codecs": ["opus"],
    },
    "camera": {
        "permission": "granted",
        "devices": 1,
        "width": 1280,
        "height": 720,
        "fps": 30.0,
        "duration_ms": 3000,
        "frames": [{"luma": 120.0, "variance": 900.0, "diff": None if i == 0 else 4.0} for i in range(30)],
    },
    "microphone": {
        "permission": "granted",
        "devices": 1,
        "duration_ms": 3000,
        "sample_rate": 48000,
        "peak_dbfs": -6.0,
        "rms_dbfs": -24.0,
        "mean_rms_dbfs": -32.0,
        "windows": 60,
    },
    "speakers": {"answer": "yes", "played": True},
    "network": {"state": "failed", "timeouts": ["connect"]},
}
