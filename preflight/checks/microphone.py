"""Microphone check: access, silence, clipping and a too-quiet signal over at least 2 s.

The page analyses the signal in ~43 ms windows for ``mic_measure_ms`` while the participant
speaks, and sends the highest peak and the highest window RMS in dBFS (judged on the maximum,
not the mean: speech has pauses), the mean RMS, and the longest run of consecutive samples at
or above ``clip_level``. Limits come from ``profiles.DEVICE_THRESHOLDS``:
- fail: the microphone could not be opened (permission denied, none found, busy);
- warn ``microphone_not_measured``: the page's audio graph did not run and no recording could be
  decoded (the microphone opened; its level is unknown, not silent);
- fail: the highest RMS stays below ``mic_silent_rms_dbfs`` (muted or wrong device);
- warn: more than ``clip_run`` consecutive clipped samples (too loud, distorted);
- warn: the highest RMS below ``mic_quiet_rms_dbfs`` (too quiet).
For a role that only recommends a microphone (attendees), failures become warnings.
"""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import Field, model_validator

from ..profiles import DEVICE_THRESHOLDS as T
from .base import Context, Finding, MediaAccess, judge_device

GUIDES = {
    "not_found": "microphone-problems#not-found",
    "busy": "microphone-problems#not-found",
    "constraints": "microphone-problems#not-found",
    "error": "microphone-problems#not-found",
}
DBFS = dict(ge=T.dbfs_floor.value, le=6)


class MicrophonePayload(MediaAccess):
    """Raw facts from the page about the microphone signal."""

    duration_ms: int = Field(default=0, ge=0, le=60000)
    sample_rate: Optional[int] = Field(default=None, ge=3000, le=384000)
    peak_dbfs: Optional[float] = Field(default=None, **DBFS)
    rms_dbfs: Optional[float] = Field(default=None, **DBFS)
    mean_rms_dbfs: Optional[float] = Field(default=None, **DBFS)
    clipped_run: int = Field(default=0, ge=0, le=10_000_000)
    clipped_samples: int = Field(default=0, ge=0, le=100_000_000)
    windows: int = Field(default=0, ge=0, le=100_000)
    # The page's AudioContext state while measuring, and how it measured: live ("analyser") or
    # from a recording decoded afterwards ("recording") when the audio graph did not run.
    audio_state: Optional[Literal["running", "suspended", "closed", "interrupted"]] = None
    method: Optional[Literal["analyser", "recording"]] = None
    # Neither way worked: the microphone opened but its level could not be measured.
    unmeasured: bool = False

    @model_validator(mode="after")
    def _measured(self):
        """Without an error, the signal must have been measured for long enough."""
        if self.error is None and not self.unmeasured:
            if self.peak_dbfs is None or self.rms_dbfs is None:
                raise ValueError("peak_dbfs and rms_dbfs are required when the microphone opened")
            if self.duration_ms < T.mic_min_ms.value:
                raise ValueError(f"duration_ms must be at least {int(T.mic_min_ms.value)} when the microphone opened")
        return self


def judge(payload: MicrophonePayload, ctx: Context) -> Finding:
    """Judge the microphone measurements."""
    return judge_device("microphone", payload, ctx, GUIDES, _judge_opened)


def _judge_opened(p: MicrophonePayload) -> Finding:
    """The verdict on a microphone that opened."""
    # A stalled audio graph reads digital silence from a working microphone: that is "could not
    # measure", never "your microphone picks up no sound".
    stalled = p.method != "recording" and p.audio_state not in (None, "running")
    if p.unmeasured or (stalled and p.rms_dbfs is not None and p.rms_dbfs < T.mic_silent_rms_dbfs.value):
        return Finding(
            "microphone",
            "warn",
            "microphone_not_measured",
            "microphone-problems#silent",
            {},
            {"audio_state": p.audio_state},
        )
    metrics = {"mic_peak_dbfs": round(p.peak_dbfs, 1), "mic_rms_dbfs": round(p.rms_dbfs, 1)}

    def finding(verdict: str, reason: str, guide: str = "", **details) -> Finding:
        return Finding("microphone", verdict, reason, guide, metrics, details)

    if p.rms_dbfs < T.mic_silent_rms_dbfs.value:
        return finding("fail", "microphone_silent", "microphone-problems#silent")
    if p.clipped_run > T.clip_run.value:
        return finding("warn", "microphone_clipping", "microphone-problems#clipping", clipped_run=p.clipped_run)
    if p.rms_dbfs < T.mic_quiet_rms_dbfs.value:
        return finding("warn", "microphone_too_quiet", "microphone-problems#too-quiet")
    return finding("pass", "microphone_ok")


MODEL = MicrophonePayload
