"""Camera check: access, resolution and frame rate delivered, black and frozen pictures.

The page opens the camera, shows the preview for ``camera_measure_ms`` and sends, per analysed
frame, the mean luma, the luma variance and the mean absolute luma difference to the previous
frame (all on a 160x120 copy, 0-255). Limits come from ``profiles.DEVICE_THRESHOLDS``:
- fail: the camera could not be opened (permission denied, none found, busy, constraints);
- fail: fewer than ``camera_min_frames`` frames analysed;
- fail: more than ``black_share`` of the frames darker than ``black_luma`` on average and without
  detail (luma spread below ``black_detail``): a covered lens or a closed shutter, not a dark scene;
- fail: more than ``frozen_share`` of consecutive frames identical (difference < ``frozen_diff``);
- fail: frame rate below ``fps_fail``;
- warn: frame rate below ``fps_warn`` or the shorter side below ``min_side_warn`` pixels.
For a role that only recommends a camera (attendees), failures become warnings.
"""

from __future__ import annotations

from typing import Optional

from pydantic import Field

from ..profiles import DEVICE_THRESHOLDS as T
from .base import Context, Finding, MediaAccess, Payload, judge_device

GUIDES = {
    "not_found": "camera-problems#not-found",
    "busy": "camera-problems#busy",
    "constraints": "camera-problems#not-found",
    "error": "camera-problems#not-found",
}


class FrameSample(Payload):
    """Pixel statistics of one analysed frame."""

    luma: float = Field(ge=0, le=255)
    variance: float = Field(ge=0, le=255 * 255)
    # Mean |luma difference| to the previous analysed frame (None for the first one).
    diff: Optional[float] = Field(default=None, ge=0, le=255)


class CameraPayload(MediaAccess):
    """Raw facts from the page about the camera."""

    width: int = Field(default=0, ge=0, le=16384)
    height: int = Field(default=0, ge=0, le=16384)
    # Frames per second actually delivered (counted in the page), and what the track claims.
    fps: Optional[float] = Field(default=None, ge=0, le=1000)
    settings_fps: Optional[float] = Field(default=None, ge=0, le=1000)
    duration_ms: int = Field(default=0, ge=0, le=60000)
    frames: list[FrameSample] = Field(default_factory=list, max_length=200)
    track_muted: bool = False


def _metrics(p: CameraPayload) -> dict:
    metrics = {}
    if p.width and p.height:
        metrics.update(camera_width=p.width, camera_height=p.height)
    fps = p.fps if p.fps is not None else p.settings_fps
    if fps is not None:
        metrics["camera_fps"] = round(fps, 1)
    if p.frames:
        metrics["camera_luma"] = round(sum(f.luma for f in p.frames) / len(p.frames), 1)
    return metrics


def judge(payload: CameraPayload, ctx: Context) -> Finding:
    """Judge the camera measurements."""
    return judge_device("camera", payload, ctx, GUIDES, _judge_opened)


def _is_black(frame) -> bool:
    """Dark on average (testrtc's rule) and without detail: a uniform dark frame, not a dark scene."""
    return frame.luma < T.black_luma.value and frame.variance < T.black_detail.value**2


def _judge_opened(p: CameraPayload) -> Finding:
    """The verdict on a camera that opened."""
    metrics = _metrics(p)

    def finding(verdict: str, reason: str, guide: str = "", **details) -> Finding:
        return Finding("camera", verdict, reason, guide, metrics, details)

    frames = p.frames
    # No picture size means the video never delivered a frame: the analysed frames are an empty
    # canvas, not a black picture.
    if len(frames) < T.camera_min_frames.value or not (p.width and p.height):
        return finding("fail", "camera_no_frames", "camera-problems#frozen", frames=len(frames))
    black = sum(1 for f in frames if _is_black(f))
    if black > len(frames) * T.black_share.value:
        return finding("fail", "camera_black", "camera-problems#black", black=black, frames=len(frames))
    diffs = [f.diff for f in frames if f.diff is not None]
    frozen = sum(1 for d in diffs if d < T.frozen_diff.value)
    if diffs and frozen > len(diffs) * T.frozen_share.value:
        return finding("fail", "camera_frozen", "camera-problems#frozen", frozen=frozen, pairs=len(diffs))
    fps = metrics.get("camera_fps")
    if fps is not None and fps < T.fps_fail.value:
        return finding("fail", "camera_low_fps", "camera-problems#low-quality", fps_fail=T.fps_fail.value)
    low_fps = fps is not None and fps < T.fps_warn.value
    small = bool(p.width and p.height) and min(p.width, p.height) < T.min_side_warn.value
    if low_fps or small:
        return finding("warn", "camera_low_quality", "camera-problems#low-quality", low_fps=low_fps, small=small)
    return finding("pass", "camera_ok")


MODEL = CameraPayload
