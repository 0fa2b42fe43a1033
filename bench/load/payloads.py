"""The raw measurements a participant's page posts, one builder per check (see preflight/checks/*.py
for the strict models), with the small random spread of real devices and links."""

from __future__ import annotations

import random


# Raw measurements as the page sends them (see preflight/checks/*.py for the strict models).
def browser_payload() -> dict:
    return {
        "secure_context": True,
        "features": {
            "rtc_peer_connection": True,
            "get_user_media": True,
            "enumerate_devices": True,
            "set_sink_id": True,
            "get_display_media": True,
            "audio_context": True,
        },
        "video_codecs": ["VP8", "VP9", "H264", "AV1"],
        "audio_codecs": ["opus", "G722", "PCMU", "PCMA"],
        "cookies_enabled": True,
    }


def camera_payload() -> dict:
    frames = []
    for i in range(30):
        frames.append(
            {
                "luma": round(random.uniform(90, 140), 1),
                "variance": round(random.uniform(400, 1500), 1),
                "diff": None if i == 0 else round(random.uniform(1.5, 8.0), 2),
            }
        )
    return {
        "permission": "granted",
        "devices": random.choice([1, 1, 2]),
        "width": 1280,
        "height": 720,
        "fps": round(random.uniform(24, 30), 1),
        "settings_fps": 30.0,
        "duration_ms": 3000,
        "frames": frames,
    }


def microphone_payload() -> dict:
    return {
        "permission": "granted",
        "devices": random.choice([1, 2]),
        "duration_ms": 3000,
        "sample_rate": 48000,
        "peak_dbfs": round(random.uniform(-12, -3), 1),
        "rms_dbfs": round(random.uniform(-30, -18), 1),
        "mean_rms_dbfs": round(random.uniform(-40, -28), 1),
        "windows": 60,
    }


def speakers_payload() -> dict:
    return {"answer": "yes", "played": True, "plays": 1, "output_selection": True, "outputs": 2}


def network_payload() -> dict:
    return {
        "v": 1,
        "state": "connected",
        "connect_ms": round(random.uniform(80, 400)),
        "candidates": {"host": 2, "srflx": 1, "udp": 3},
        "selected": {"local_type": "srflx", "remote_type": "host", "protocol": "udp"},
        "rtt_ms": round(random.uniform(15, 60), 1),
        "rtt_p90_ms": round(random.uniform(30, 90), 1),
        "jitter_down_ms": round(random.uniform(1, 6), 2),
        "download_kbps": round(random.uniform(3000, 20000)),
        "download_settled": True,
        "duration_ms": 12000,
    }


# (check, payload factory, seconds the step takes in a browser before it posts)
STEPS = (
    ("browser", browser_payload, 1),
    ("camera", camera_payload, 5),
    ("microphone", microphone_payload, 5),
    ("speakers", speakers_payload, 8),
    ("network", network_payload, 15),
)
