"""Measured values in plain words with units, for staff: "Network: 32 Mbit/s down, 32 up, 1 ms, MOS 4.4".

Reads what the store writes (``preflight.results.values``); raw keys stay behind "technical details".
"""

from __future__ import annotations

from flask_babel import format_decimal
from flask_babel import gettext as _

from ..dashboard.format import CHECK_LABELS
from .reasons import reason_text
from .values import details, metrics, raw

# Reason suffix of a device that could not be opened -> plain words.
ACCESS = {
    "denied": lambda: _("permission denied"),
    "not_found": lambda: _("no device found"),
    "busy": lambda: _("in use by another app"),
    "constraints": lambda: _("could not be opened"),
    "error": lambda: _("could not be opened"),
}


def _num(value, digits: int = 0) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return format_decimal(round(value, digits) if digits else round(value))


def _mbit(kbps) -> str | None:
    if isinstance(kbps, bool) or not isinstance(kbps, (int, float)):
        return None
    mbit = kbps / 1000
    # Two decimals below 1 Mbit/s: a 40 kbit/s link must not read "0 up".
    return format_decimal(round(mbit, 2) if mbit < 1 else round(mbit, 1) if mbit < 10 else round(mbit))


def _network(m: dict) -> list[str]:
    parts = []
    if (down := _mbit(m.get("download_kbps"))) is not None:
        # i18n: measured download rate, e.g. "32 Mbit/s down"
        parts.append(_("%(rate)s Mbit/s down", rate=down))
    if (up := _mbit(m.get("upload_kbps"))) is not None:
        # i18n: measured upload rate after the download rate, e.g. "32 up"
        parts.append(_("%(rate)s up", rate=up) if parts else _("%(rate)s Mbit/s up", rate=up))
    if (rtt := _num(m.get("rtt_ms"))) is not None:
        parts.append(_("%(ms)s ms", ms=rtt))
    if (mos := _num(m.get("mos"), 1)) is not None:
        # i18n: MOS = mean opinion score of call quality (1-5)
        parts.append(_("MOS %(mos)s", mos=mos))
    return parts


def _camera(m: dict) -> list[str]:
    width, height, fps = m.get("camera_width"), m.get("camera_height"), _num(m.get("camera_fps"))
    if isinstance(width, int) and isinstance(height, int) and fps:  # pixels: no thousands separator ("1280×720")
        # i18n: camera resolution and frame rate, e.g. "1280×720 at 30 fps"
        return [_("%(width)s×%(height)s at %(fps)s fps", width=width, height=height, fps=fps)]
    return []


def _microphone(m: dict) -> list[str]:
    if (level := _num(m.get("mic_rms_dbfs"), 1)) is not None:
        # i18n: loudest speech level the microphone picked up
        return [_("speech level %(level)s dBFS", level=level)]
    return []


def _speakers(r: dict) -> list[str]:
    answer = r.get("answer")
    if answer == "yes":
        return [_("heard the test sound")]
    if answer in ("no", "unsure"):
        return [_("did not hear the test sound")]
    if answer == "cannot_hear":
        # i18n: the participant cannot hear sounds and follows events with captions or a hearing aid
        return [_("follows with captions or a hearing aid")]
    return []


def _browser(d: dict) -> list[str]:
    name = d.get("browser") or d.get("family")
    return [str(name)[:60]] if isinstance(name, str) and name else []


def figures(check: str, values, reason: str = "") -> str:
    """The measured values of one result in plain words ("" when nothing was measured)."""
    kind = (reason or "").removeprefix(f"{check}_")
    if check in ("camera", "microphone") and kind in ACCESS:
        return ACCESS[kind]()
    m = metrics(values)
    parts = {
        "network": lambda: _network(m),
        "camera": lambda: _camera(m),
        "microphone": lambda: _microphone(m),
        "speakers": lambda: _speakers(raw(values)),
        "browser": lambda: _browser(details(values)),
    }.get(check, list)()
    return ", ".join(parts)


def line(check: str, values, reason: str = "") -> str:
    """``Check: figures`` ("Camera: permission denied"); just the check's name when nothing was measured."""
    label = str(CHECK_LABELS.get(check, check))
    text = figures(check, values, reason)
    # i18n: a check's name and its measured values, e.g. "Network: 32 Mbit/s down, 32 up, 1 ms"
    return _("%(check)s: %(figures)s", check=label, figures=text) if text else label


def problem(check: str, values, reason: str = "") -> str:
    """What is wrong with one result, for staff: ``Check: reason in words (figures)``.

    "Camera: Camera sends a black picture (covered or switched off) (1280×720 at 30 fps)"; a device
    that could not be opened gets no figures (its reason already says it).
    """
    label = str(CHECK_LABELS.get(check, check))
    why = reason_text(reason)
    kind = (reason or "").removeprefix(f"{check}_")
    said = "" if check in ("camera", "microphone") and kind in ACCESS else figures(check, values, reason)
    if said.lower() == why.lower():  # "did not hear the test sound" says the reason already
        said = ""
    if why.lower().startswith(label.lower()):  # "Camera permission denied" names its check already
        return f"{why} ({said})" if said else why
    if why and said:
        # i18n: a check, why it did not pass and what was measured, e.g. "Network: Upload too slow (0.3 Mbit/s up)"
        return _("%(check)s: %(problem)s (%(figures)s)", check=label, problem=why, figures=said)
    if why or said:
        return _("%(check)s: %(figures)s", check=label, figures=why or said)
    return label
