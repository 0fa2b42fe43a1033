"""What the pre-flight page needs besides the participant: settings and texts for check.js."""

from __future__ import annotations

from pathlib import Path

from flask import current_app, url_for
from flask_babel import gettext as _

from ..checks import ORDER, names
from ..profiles import DEVICE_THRESHOLDS as T
from ..profiles import PROBE_THRESHOLDS

# Optional step scripts, loaded in this order after check.js when present (the network step ships
# its statistics mirror and its step).
STEP_SCRIPTS = ("js/network-stats.js", "js/network-support.js", "js/network-flows.js", "js/network.js")


def step_scripts() -> list[str]:
    """Static paths of the optional step scripts that exist."""
    static = Path(current_app.static_folder)
    return [path for path in STEP_SCRIPTS if (static / path).is_file()]


def strings() -> dict[str, str]:
    """Texts check.js shows, translated on the server (placeholders: ``{n}``, ``{total}``, ...)."""
    return {
        "waiting": _("Waiting."),
        "running": _("Checking…"),
        "done": _("Done."),
        "sending": _("Sending the result…"),
        # i18n: shown while results wait for a connection; they are kept in the browser's storage
        "queued": _("Saved on this device, sending…"),
        "queued_long": _(
            "Your results are saved on this device. We keep trying to send them: please keep this page open."
        ),
        "sent_later": _("Your saved results have been sent."),
        "rejected": _("This result could not be saved: {message}"),
        "expired": _("This page has expired. Please reload it and run the check again."),
        "step_error": _("This check could not run. Please try again."),
        "unavailable": _("This check is not available yet."),
        # i18n: {n} is the current step number, {total} the number of steps, {name} the step's name
        "progress": _("Step {n} of {total}: {name}"),
        "progress_done": _("All checks are done."),
        "camera_asking": _("Opening the camera. If your browser asks, choose Allow."),
        "camera_measuring": _("Checking the picture. You should see yourself in the preview."),
        "mic_asking": _("Opening the microphone. If your browser asks, choose Allow."),
        "mic_measuring": _("Please speak now, for example count slowly to five."),
        "speakers_play": _("Play the test sound, then tell us whether you heard it."),
        "speakers_answer": _("Did you hear the sound?"),
        "speakers_playing": _("Playing the test sound…"),
        # i18n: read by screen readers when a check's result arrives, e.g. "Camera: Works. ..."
        "verdict_announced": _("{step}: {verdict}"),
        "default_device": _("Default device"),
        # i18n: a device without a name; {n} is its number
        "camera_n": _("Camera {n}"),
        "microphone_n": _("Microphone {n}"),
        "speaker_n": _("Speaker {n}"),
    }


def page_config(token: str) -> dict:
    """The JSON settings block of the page (``#pf-config``)."""
    return {
        "token": token,
        "resultsUrl": url_for("participant.post_results", token=token),
        "toneUrl": url_for("static", filename="audio/test-tone.wav"),
        "steps": list(ORDER),
        "judged": names(),
        "thresholds": {
            "cameraMeasureMs": T.camera_measure_ms.value,
            "micMeasureMs": T.mic_measure_ms.value,
            "micMinMs": T.mic_min_ms.value,
            "clipLevel": T.clip_level.value,
            "dbfsFloor": T.dbfs_floor.value,
        },
        "strings": strings(),
    }


def reprobe_config(token: str) -> dict:
    """The re-probe's settings (``config.reprobe``), present only when the page should offer one."""
    return {
        "url": url_for("participant.post_probe", token=token),
        "ms": PROBE_THRESHOLDS.probe_ms.value,
        "strings": {
            # i18n: offered when the participant comes back to the check page some time after a complete check
            "offer": _("Back again? Check in 5 seconds whether your connection is still the one you tested."),
            "button": _("Check my connection again"),
            "running": _("Checking your connection…"),
            "failed": _("The quick check could not finish. To be sure, please run the full check again."),
        },
    }
