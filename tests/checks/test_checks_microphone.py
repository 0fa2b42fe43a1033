"""Microphone judging: access errors, silence, clipping, a quiet signal, roles."""

import pytest
from pydantic import ValidationError

from preflight.checks.microphone import MicrophonePayload, judge
from preflight.profiles import DEVICE_THRESHOLDS as T


def payload(**fields):
    values = {
        "permission": "granted",
        "devices": 1,
        "duration_ms": 3000,
        "sample_rate": 48000,
        "peak_dbfs": -3.0,
        "rms_dbfs": -12.0,
        "mean_rms_dbfs": -30.0,
        "clipped_run": 0,
        "clipped_samples": 0,
        "windows": 70,
    }
    values.update(fields)
    return MicrophonePayload.model_validate(values)


def test_working_microphone_passes(make_ctx):
    finding = judge(payload(), make_ctx())
    assert (finding.verdict, finding.reason, finding.guide) == ("pass", "microphone_ok", "")
    assert finding.metrics == {"mic_peak_dbfs": -3.0, "mic_rms_dbfs": -12.0}


@pytest.mark.parametrize(
    ("error", "reason", "guide"),
    [
        ("NotAllowedError", "microphone_denied", "allow-camera-microphone#chrome"),
        ("NotFoundError", "microphone_not_found", "microphone-problems#not-found"),
        ("NotReadableError", "microphone_busy", "microphone-problems#not-found"),
        ("OverconstrainedError", "microphone_constraints", "microphone-problems#not-found"),
        ("TypeError", "microphone_error", "microphone-problems#not-found"),
    ],
)
def test_access_errors(make_ctx, error, reason, guide):
    finding = judge(MicrophonePayload.model_validate({"error": error}), make_ctx())
    assert (finding.verdict, finding.reason, finding.guide) == ("fail", reason, guide)


def test_silence_fails(make_ctx):
    finding = judge(payload(peak_dbfs=-120.0, rms_dbfs=-120.0), make_ctx())
    assert (finding.verdict, finding.reason, finding.guide) == (
        "fail",
        "microphone_silent",
        "microphone-problems#silent",
    )
    assert finding.metrics["mic_rms_dbfs"] == -120.0


def test_silence_boundary_is_testrtcs_minus_60(make_ctx):
    assert judge(payload(rms_dbfs=T.mic_silent_rms_dbfs.value - 0.1), make_ctx()).reason == "microphone_silent"
    assert judge(payload(rms_dbfs=T.mic_silent_rms_dbfs.value), make_ctx()).reason == "microphone_too_quiet"


def test_clipping_warns_above_six_consecutive_samples(make_ctx):
    finding = judge(payload(peak_dbfs=0.0, clipped_run=int(T.clip_run.value) + 1), make_ctx())
    assert (finding.verdict, finding.reason, finding.guide) == (
        "warn",
        "microphone_clipping",
        "microphone-problems#clipping",
    )
    assert judge(payload(peak_dbfs=0.0, clipped_run=int(T.clip_run.value)), make_ctx()).verdict == "pass"


def test_quiet_signal_warns(make_ctx):
    finding = judge(payload(rms_dbfs=T.mic_quiet_rms_dbfs.value - 0.1), make_ctx())
    assert (finding.verdict, finding.reason, finding.guide) == (
        "warn",
        "microphone_too_quiet",
        "microphone-problems#too-quiet",
    )
    assert judge(payload(rms_dbfs=T.mic_quiet_rms_dbfs.value), make_ctx()).verdict == "pass"


def test_attendee_silence_is_a_warning(make_ctx):
    finding = judge(payload(rms_dbfs=-100.0), make_ctx(role="attendee"))
    assert (finding.verdict, finding.reason) == ("warn", "microphone_silent")


def test_an_opened_microphone_must_be_measured_for_two_seconds():
    with pytest.raises(ValidationError, match="duration_ms must be at least 2000"):
        payload(duration_ms=int(T.mic_min_ms.value) - 1)
    with pytest.raises(ValidationError, match="peak_dbfs and rms_dbfs are required"):
        MicrophonePayload.model_validate({"duration_ms": 3000})


def test_levels_stay_within_dbfs_range():
    with pytest.raises(ValidationError):
        payload(rms_dbfs=-121.0)
    with pytest.raises(ValidationError):
        payload(peak_dbfs=7.0)


def test_a_stalled_audio_graph_is_not_a_silent_microphone(make_ctx):
    # Firefox without an audio output keeps its AudioContext suspended: the analyser reads -120 dBFS.
    p = MicrophonePayload.model_validate(
        {"duration_ms": 3000, "peak_dbfs": -120.0, "rms_dbfs": -120.0, "audio_state": "suspended", "method": "analyser"}
    )
    finding = judge(p, make_ctx())
    assert (finding.verdict, finding.reason) == ("warn", "microphone_not_measured")


def test_a_microphone_that_could_not_be_measured_is_a_warning(make_ctx):
    p = MicrophonePayload.model_validate({"unmeasured": True, "audio_state": "suspended"})
    assert (judge(p, make_ctx()).verdict, judge(p, make_ctx()).reason) == ("warn", "microphone_not_measured")


def test_silence_recorded_while_the_graph_was_stalled_is_still_silence(make_ctx):
    p = MicrophonePayload.model_validate(
        {
            "duration_ms": 3000,
            "peak_dbfs": -120.0,
            "rms_dbfs": -120.0,
            "audio_state": "suspended",
            "method": "recording",
        }
    )
    assert judge(p, make_ctx()).reason == "microphone_silent"
