"""Each verdict reason as a short sentence for support staff ("The camera sends a black picture").

Participants read their own, longer wording with the fix (templates/participant/verdicts/); staff
need what is wrong at a glance, in their language, with the code kept for the technical details.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

# i18n: why a check did not pass, as support staff read it on the dashboard and in alerts
REASONS = {
    "browser_not_secure": _l("Page not opened over HTTPS: no camera or calls there"),
    "browser_unsupported": _l("Browser not supported by the event's platform"),
    "browser_no_webrtc": _l("Browser cannot make calls (no WebRTC)"),
    "browser_in_app": _l("Opened in another app's built-in browser"),
    "browser_outdated": _l("Browser too old for the event's platform"),
    "browser_limited": _l("Browser works only with limits on the event's platform"),
    "browser_no_screen_share": _l("Browser cannot share the screen"),
    "browser_codecs": _l("Browser lacks the video formats the platform uses"),
    "camera_denied": _l("Camera permission denied"),
    "camera_not_found": _l("No camera found"),
    "camera_busy": _l("Camera in use by another app"),
    "camera_constraints": _l("Camera could not be opened with the settings asked for"),
    "camera_error": _l("Camera could not be opened"),
    "camera_black": _l("Camera sends a black picture (covered or switched off)"),
    "camera_frozen": _l("Camera picture is frozen"),
    "camera_low_fps": _l("Camera picture is jerky (few frames per second)"),
    "camera_low_quality": _l("Camera picture is low quality"),
    "camera_no_frames": _l("Camera sent too few frames to judge"),
    "microphone_denied": _l("Microphone permission denied"),
    "microphone_not_found": _l("No microphone found"),
    "microphone_busy": _l("Microphone in use by another app"),
    "microphone_constraints": _l("Microphone could not be opened with the settings asked for"),
    "microphone_error": _l("Microphone could not be opened"),
    "microphone_silent": _l("Microphone picks up nothing (muted or wrong device)"),
    "microphone_too_quiet": _l("Microphone is very quiet"),
    "microphone_clipping": _l("Microphone is too loud and distorts"),
    "microphone_not_measured": _l("Microphone level could not be measured in this browser"),
    "speakers_not_heard": _l("Did not hear the test sound"),
    "speakers_not_played": _l("The test sound could not be played"),
    "speakers_captions": _l("Follows with captions or a hearing aid"),
    "no_webrtc": _l("Browser cannot make calls (no WebRTC)"),
    "no_connection": _l("No connection at all to the media server"),
    "udp_blocked": _l("Calls blocked by a firewall (UDP), web pages work"),
    "tcp_only_turn": _l("Connects only through the relay over TCP: calls may lag"),
    "vpn_proxy": _l("Behind a VPN or proxy"),
    "low_upload": _l("Upload too slow"),
    "low_download": _l("Download too slow"),
    "high_latency": _l("Long delay (round trip)"),
    "high_jitter": _l("Delay varies a lot (jitter)"),
    "packet_loss": _l("Data lost on the way (packet loss)"),
    "bufferbloat": _l("Delay grows a lot when the connection is busy"),
    "tab_hidden": _l("Tab was in the background: figures may be too low"),
    "server_busy": _l("Our server was busy: the network was not measured, or not fully"),
    "measurement_incomplete": _l("Network measurement did not finish"),
}


def reason_text(reason: str) -> str:
    """The staff sentence for ``reason`` in the current language; the code itself when unknown."""
    text = REASONS.get(reason or "")
    return str(text) if text is not None else (reason or "")
