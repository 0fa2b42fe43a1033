"""Camera judging: access errors, black and frozen pictures, frame rate, resolution, roles."""

import pytest

from preflight.checks.camera import CameraPayload, judge
from preflight.profiles import DEVICE_THRESHOLDS as T

from checks_samples import FIREFOX, IPHONE


def frames(n=20, luma=90.0, diff=2.5, variance=400.0):
    return [{"luma": luma, "variance": variance, "diff": None if i == 0 else diff} for i in range(n)]


def payload(**fields):
    values = {
        "permission": "granted",
        "devices": 1,
        "width": 640,
        "height": 480,
        "fps": 20.0,
        "settings_fps": 20.0,
        "duration_ms": 1500,
        "frames": frames(),
    }
    values.update(fields)
    return CameraPayload.model_validate(values)


def test_working_camera_passes_with_its_figures(make_ctx):
    finding = judge(payload(), make_ctx())
    assert (finding.verdict, finding.reason, finding.guide) == ("pass", "camera_ok", "")
    assert finding.metrics == {"camera_width": 640, "camera_height": 480, "camera_fps": 20.0, "camera_luma": 90.0}


@pytest.mark.parametrize(
    ("error", "reason", "guide"),
    [
        ("NotAllowedError", "camera_denied", "allow-camera-microphone#chrome"),
        ("SecurityError", "camera_denied", "allow-camera-microphone#chrome"),
        ("NotFoundError", "camera_not_found", "camera-problems#not-found"),
        ("NotReadableError", "camera_busy", "camera-problems#busy"),
        ("AbortError", "camera_busy", "camera-problems#busy"),
        ("TimeoutError", "camera_busy", "camera-problems#busy"),
        ("OverconstrainedError", "camera_constraints", "camera-problems#not-found"),
        ("NotSupportedError", "camera_error", "camera-problems#not-found"),
        ("UnknownError", "camera_error", "camera-problems#not-found"),
    ],
)
def test_access_errors(make_ctx, error, reason, guide):
    finding = judge(CameraPayload.model_validate({"error": error, "permission": "denied", "devices": 0}), make_ctx())
    assert (finding.verdict, finding.reason, finding.guide) == ("fail", reason, guide)
    assert finding.details["error"] == error


def test_denied_guide_follows_the_browser(make_ctx):
    denied = CameraPayload.model_validate({"error": "NotAllowedError"})
    assert judge(denied, make_ctx(ua=FIREFOX)).guide == "allow-camera-microphone#firefox"
    assert judge(denied, make_ctx(ua=IPHONE)).guide == "allow-camera-microphone#mobile"


def test_constraint_name_is_kept(make_ctx):
    finding = judge(CameraPayload.model_validate({"error": "OverconstrainedError", "constraint": "width"}), make_ctx())
    assert finding.details["constraint"] == "width"


def test_too_few_frames_fails(make_ctx):
    n = int(T.camera_min_frames.value) - 1
    finding = judge(payload(frames=frames(n)), make_ctx())
    assert (finding.verdict, finding.reason, finding.guide) == ("fail", "camera_no_frames", "camera-problems#frozen")
    assert judge(payload(frames=frames(n + 1)), make_ctx()).verdict == "pass"


def test_black_picture_fails(make_ctx):
    finding = judge(payload(frames=frames(luma=0.0, diff=0.0, variance=0.0)), make_ctx())
    assert (finding.verdict, finding.reason, finding.guide) == ("fail", "camera_black", "camera-problems#black")
    assert finding.metrics["camera_luma"] == 0.0


def test_black_share_boundary(make_ctx):
    # testrtc: an error when more than a third of the frames are black.
    dark = [{"luma": T.black_luma.value - 0.1, "variance": 1.0, "diff": 3.0}] * 10
    light = [{"luma": 90.0, "variance": 400.0, "diff": 3.0}] * 20
    assert judge(payload(frames=dark + light), make_ctx()).verdict == "pass"  # 10 of 30 = exactly a third
    assert judge(payload(frames=dark + [dark[0]] + light), make_ctx()).reason == "camera_black"
    at_limit = [{"luma": T.black_luma.value, "variance": 1.0, "diff": 3.0}] * 30
    assert judge(payload(frames=at_limit), make_ctx()).verdict == "pass"


def test_frozen_picture_fails(make_ctx):
    finding = judge(payload(frames=frames(diff=0.0)), make_ctx())
    assert (finding.verdict, finding.reason, finding.guide) == ("fail", "camera_frozen", "camera-problems#frozen")


def test_frozen_share_and_difference_boundary(make_ctx):
    still = [{"luma": 90.0, "variance": 400.0, "diff": T.frozen_diff.value - 0.001}]
    moving = [{"luma": 90.0, "variance": 400.0, "diff": T.frozen_diff.value}]
    first = [{"luma": 90.0, "variance": 400.0, "diff": None}]
    assert judge(payload(frames=first + still * 10 + moving * 20), make_ctx()).verdict == "pass"  # 10 of 30 pairs
    assert judge(payload(frames=first + still * 11 + moving * 19), make_ctx()).reason == "camera_frozen"


def test_a_dark_scene_with_detail_is_not_a_black_picture(make_ctx):
    # WebKit's mock camera, a face lit by a screen: dark on average, but a picture.
    dark_scene = frames(luma=19.0, variance=4047.0)
    assert judge(payload(frames=dark_scene), make_ctx()).reason == "camera_ok"
    spread = T.black_detail.value
    uniform = frames(luma=19.0, variance=(spread - 0.1) ** 2)
    assert judge(payload(frames=uniform), make_ctx()).reason == "camera_black"
    assert judge(payload(frames=frames(luma=19.0, variance=spread**2)), make_ctx()).reason == "camera_ok"


def test_black_wins_over_frozen(make_ctx):
    assert judge(payload(frames=frames(luma=2.0, diff=0.0, variance=4.0)), make_ctx()).reason == "camera_black"


def test_very_low_frame_rate_fails(make_ctx):
    finding = judge(payload(fps=T.fps_fail.value - 0.5), make_ctx())
    assert (finding.verdict, finding.reason, finding.guide) == ("fail", "camera_low_fps", "camera-problems#low-quality")


def test_low_frame_rate_warns(make_ctx):
    finding = judge(payload(fps=T.fps_warn.value - 0.5), make_ctx())
    assert (finding.verdict, finding.reason) == ("warn", "camera_low_quality")
    assert finding.details["low_fps"] is True
    assert judge(payload(fps=T.fps_warn.value), make_ctx()).verdict == "pass"


def test_measured_rate_wins_over_settings_and_settings_are_the_fallback(make_ctx):
    assert judge(payload(fps=3.0, settings_fps=30.0), make_ctx()).reason == "camera_low_fps"
    assert judge(payload(fps=None, settings_fps=3.0), make_ctx()).reason == "camera_low_fps"
    assert judge(payload(fps=None, settings_fps=None), make_ctx()).verdict == "pass"


def test_small_picture_warns(make_ctx):
    finding = judge(payload(width=320, height=240), make_ctx())
    assert (finding.verdict, finding.reason) == ("warn", "camera_low_quality")
    assert finding.details["small"] is True
    assert judge(payload(width=640, height=360), make_ctx()).verdict == "pass"
    assert judge(payload(width=360, height=640), make_ctx()).verdict == "pass"  # portrait phone


def test_attendee_failures_become_warnings(make_ctx):
    finding = judge(payload(frames=frames(luma=0.0, variance=0.0)), make_ctx(role="attendee"))
    assert (finding.verdict, finding.reason) == ("warn", "camera_black")
    assert finding.details["optional_for_role"] is True
    denied = judge(CameraPayload.model_validate({"error": "NotAllowedError"}), make_ctx(role="attendee"))
    assert (denied.verdict, denied.reason) == ("warn", "camera_denied")


def test_attendee_warnings_and_passes_are_unchanged(make_ctx):
    assert judge(payload(width=320, height=240), make_ctx(role="attendee")).verdict == "warn"
    assert judge(payload(), make_ctx(role="attendee")).verdict == "pass"


def test_frames_without_a_picture_size_are_no_frames_not_a_black_picture(make_ctx):
    # The video never delivered a frame: the page analysed an empty (all-zero) canvas.
    empty = [{"luma": 0.0, "variance": 0.0, "diff": None if i == 0 else 0.0} for i in range(10)]
    finding = judge(payload(width=0, height=0, fps=None, settings_fps=None, frames=empty), make_ctx())
    assert (finding.verdict, finding.reason) == ("fail", "camera_no_frames")
