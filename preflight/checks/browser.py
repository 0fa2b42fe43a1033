"""Browser check: the user agent (parsed on the server) and the features the page detected.

Rules, worst first:
- fail: page not in a secure context (no camera, no WebRTC there);
- fail: Internet Explorer or a browser the platform does not support;
- fail: no ``RTCPeerConnection`` or no ``getUserMedia`` (an in-app browser gets its own reason);
- warn: a browser inside another app that still has WebRTC;
- fail: older than the version the platform's web client refuses (``refuse_below``, per profile);
- warn: older than the platform's minimum major version;
- warn: supported "with limits" by the platform (e.g. Teams in Firefox or Safari);
- warn: a presenter's browser cannot share the screen (no ``getDisplayMedia``);
- warn: no video codec the platforms use (neither VP8 nor H.264).
Whenever the verdict is not a pass, the wording names the profile's recommended browsers.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from .base import Context, Finding, Payload

Codec = Annotated[str, StringConstraints(min_length=1, max_length=30, pattern=r"^[A-Za-z0-9._-]+$")]
COMMON_VIDEO_CODECS = {"VP8", "H264"}
APPLE_SYSTEMS = {"Mac OS X", "macOS", "iOS", "iPadOS"}


class Features(Payload):
    """Feature flags detected in the page (``typeof``/``in`` tests, no verdicts)."""

    rtc_peer_connection: bool
    get_user_media: bool
    enumerate_devices: bool
    set_sink_id: bool
    get_display_media: bool
    audio_context: bool


class BrowserPayload(Payload):
    """Raw facts from the page about the browser."""

    secure_context: bool
    features: Features
    # Codec names from RTCRtpSender.getCapabilities (without the "video/" prefix).
    video_codecs: list[Codec] = Field(default_factory=list, max_length=40)
    audio_codecs: list[Codec] = Field(default_factory=list, max_length=40)
    cookies_enabled: bool = True


def _finding(verdict: str, reason: str, guide: str, ctx: Context, payload: BrowserPayload, **details) -> Finding:
    client = ctx.client
    metrics = {"browser_major": client.major} if client.major is not None else {}
    return Finding(
        check="browser",
        verdict=verdict,
        reason=reason,
        guide=guide,
        metrics=metrics,
        details={
            "browser": client.name or client.family,
            "version": client.version,
            "os": client.os_family,
            "recommended": list(ctx.profile.recommended_browsers),
            "platform": ctx.profile.label,
            "video_codecs": list(payload.video_codecs),
            "set_sink_id": payload.features.set_sink_id,
            **details,
        },
    )


def judge(payload: BrowserPayload, ctx: Context) -> Finding:
    """Judge the browser against the event platform's supported-browser list."""
    client, features = ctx.client, payload.features
    support = ctx.profile.browser(client.family)
    has_webrtc = features.rtc_peer_connection and features.get_user_media

    if not payload.secure_context:
        return _finding("fail", "browser_not_secure", "browser-problems#not-secure", ctx, payload)
    if client.family == "ie" or support.level == "unsupported":
        return _finding("fail", "browser_unsupported", "browser-problems#unsupported", ctx, payload)
    if not has_webrtc:
        if client.in_app:
            return _finding("fail", "browser_in_app", "browser-problems#in-app-browser", ctx, payload)
        missing = [name for name in ("rtc_peer_connection", "get_user_media") if not getattr(features, name)]
        # A recommended browser without WebRTC has had it taken away (a policy, an extension or an
        # embedding app): telling its user to open the link in that same browser would not help.
        # A "Safari" off Apple systems is another browser built on Safari's engine (WebKitGTK,
        # Epiphany), which may lack WebRTC altogether: that one is sent to a recommended browser.
        genuine = client.family != "safari" or client.os_family in APPLE_SYSTEMS
        switched_off = genuine and client.family in ctx.profile.recommended_browsers
        return _finding(
            "fail",
            "browser_no_webrtc",
            "browser-problems#unsupported",
            ctx,
            payload,
            missing=missing,
            switched_off=switched_off,
        )
    if client.in_app:
        return _finding("warn", "browser_in_app", "browser-problems#in-app-browser", ctx, payload)
    if client.major is not None and client.major < support.refuse_below:
        # The platform's web client turns this version away: the participant cannot join at all.
        return _finding(
            "fail",
            "browser_outdated",
            "browser-problems#outdated",
            ctx,
            payload,
            min_major=support.min_major,
            refused=True,
        )
    if client.major is not None and client.major < support.min_major:
        return _finding(
            "warn", "browser_outdated", "browser-problems#outdated", ctx, payload, min_major=support.min_major
        )
    if support.level == "limited":
        return _finding("warn", "browser_limited", "browser-problems#limited", ctx, payload)
    if ctx.role == "presenter" and not features.get_display_media:
        return _finding("warn", "browser_no_screen_share", "browser-problems#limited", ctx, payload)
    if payload.video_codecs and not COMMON_VIDEO_CODECS & {c.upper() for c in payload.video_codecs}:
        return _finding("warn", "browser_codecs", "browser-problems#limited", ctx, payload)
    return _finding("pass", "browser_ok", "", ctx, payload)


MODEL = BrowserPayload
