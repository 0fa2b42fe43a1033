"""Device checks (camera, microphone): the same limits for every platform, each with its source.

The page reads the measuring parameters (durations, clip level, dBFS floor) from the template,
which takes them from here; the judges in ``preflight/checks/`` read the limits.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Threshold:
    """One device-check figure, its unit and where it comes from."""

    value: float
    unit: str
    source: str


TESTRTC_CAMERA = "test.webrtc.org (webrtc/testrtc src/js/camresolutionstest.js, videoframechecker.js)"
TESTRTC_MIC = "test.webrtc.org (webrtc/testrtc src/js/mictest.js)"
OUR_CHOICE = "Preflight's own choice"


@dataclass(frozen=True)
class DeviceThresholds:
    """Limits for the camera and microphone checks, each with its source."""

    camera_measure_ms: Threshold
    camera_min_frames: Threshold
    black_luma: Threshold
    black_share: Threshold
    black_detail: Threshold
    frozen_diff: Threshold
    frozen_share: Threshold
    fps_fail: Threshold
    fps_warn: Threshold
    min_side_warn: Threshold
    mic_measure_ms: Threshold
    mic_min_ms: Threshold
    mic_silent_rms_dbfs: Threshold
    mic_quiet_rms_dbfs: Threshold
    clip_level: Threshold
    clip_run: Threshold
    dbfs_floor: Threshold


DEVICE_THRESHOLDS = DeviceThresholds(
    camera_measure_ms=Threshold(1500, "ms", OUR_CHOICE + ": 7+ frames even at 5 fps; testrtc samples for 8 s"),
    camera_min_frames=Threshold(
        5, "frames", OUR_CHOICE + ": fewer analysed frames means the camera delivers almost nothing"
    ),
    black_luma=Threshold(20, "luma 0-255", TESTRTC_CAMERA + ": nonBlackPixelLumaThreshold = 20 (Rec. 709 luma)"),
    black_share=Threshold(1 / 3, "share of frames", TESTRTC_CAMERA + ": error when blackFrames > testedFrames / 3"),
    black_detail=Threshold(
        20,
        "luma standard deviation, 0-255",
        OUR_CHOICE
        + ": a dark frame whose luma spreads this much shows detail (a face lit by a screen, a lamp in a dark room, "
        "a test pattern); a covered lens or a closed shutter is uniform (spread of a few levels)",
    ),
    frozen_diff=Threshold(
        0.05,
        "mean absolute luma difference, 0-255",
        OUR_CHOICE
        + " (testrtc counts SSIM > 0.985 as identical): a repeated frame differs by exactly 0, sensor noise keeps a "
        "still scene above ~0.1 at 160x120",
    ),
    frozen_share=Threshold(
        1 / 3, "share of frame pairs", TESTRTC_CAMERA + ": error when frozenFrames > testedFrames / 3"
    ),
    fps_fail=Threshold(
        5, "frames/s", TESTRTC_CAMERA + ": error when the average frame rate is below 5; Meet playbook: FPS > 5"
    ),
    fps_warn=Threshold(
        10,
        "frames/s",
        OUR_CHOICE + "; Teams CQD marks video poor below 7 fps (stream-classification-in-call-quality-dashboard.md)",
    ),
    min_side_warn=Threshold(
        360,
        "pixels (shorter side)",
        "360p is the lowest video tier most platforms send (Zoom 360p, Vonage ladder 500k = 360p)",
    ),
    mic_measure_ms=Threshold(3000, "ms", OUR_CHOICE + ": 3 s of speech; testrtc collects 2 s"),
    mic_min_ms=Threshold(2000, "ms", TESTRTC_MIC + ": collectSeconds = 2.0"),
    mic_silent_rms_dbfs=Threshold(-60, "dBFS (max RMS)", TESTRTC_MIC + ": lowVolumeThreshold = -60 (error below)"),
    mic_quiet_rms_dbfs=Threshold(
        -40, "dBFS (max RMS)", OUR_CHOICE + ": speech near a microphone peaks around -30 to -10 dBFS RMS"
    ),
    clip_level=Threshold(
        0.99,
        "absolute sample value, 0-1",
        OUR_CHOICE
        + " ("
        + TESTRTC_MIC
        + " uses clipThreshold 1.0): also catches limiters that stop just short of full scale",
    ),
    clip_run=Threshold(6, "consecutive samples", TESTRTC_MIC + ": clipCountThreshold = 6 consecutive clipped samples"),
    dbfs_floor=Threshold(
        -120, "dBFS", OUR_CHOICE + ": digital silence is reported as this floor (JSON has no -infinity)"
    ),
)

# Which device checks a role needs: "required" failures fail the run, "recommended" ones only warn.
# Webinar attendees watch and listen (a camera or microphone problem only matters in a Q&A);
# presenters are seen and heard. Speakers and the browser are required for everyone.
DEVICE_NEEDS: dict[str, dict[str, str]] = {
    "attendee": {"camera": "recommended", "microphone": "recommended"},
    "presenter": {"camera": "required", "microphone": "required"},
}


def device_need(role: str, check: str) -> str:
    """``required`` or ``recommended`` for ``check`` in ``role`` (unknown roles: required)."""
    return DEVICE_NEEDS.get(role, {}).get(check, "required")
