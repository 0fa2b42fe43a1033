"""Speakers check: the participant's own answer after a test sound they started.

- warn: the page could not play the sound (``play()`` rejected): whatever the answer, it cannot
  be about this sound, and a refusal is not "not heard"; the participant is asked to try again;
- fail: "I did not hear it" a sound that played;
- pass: "I heard it";
- "I cannot hear, I follow with captions or a hearing aid" (``cannot_hear``) is an honest answer,
  not a broken speaker: recorded as ``speakers_captions`` so support can make sure captions (or an
  interpreter) are on. It passes for roles that only need to follow the event; a presenter is
  warned, because taking questions by ear is part of the role (support arranges captions).
Whether the output device can be chosen in the browser (``setSinkId``) is reported, not judged.
"""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import Field

from .base import Context, Finding, Payload

PlayError = Literal["NotAllowedError", "NotSupportedError", "AbortError", "UnknownError"]


class SpeakersPayload(Payload):
    """The answer and what the page knows about sound output."""

    answer: Literal["yes", "no", "cannot_hear"]
    played: bool
    play_error: Optional[PlayError] = None
    plays: int = Field(default=1, ge=0, le=100)
    output_selection: bool = False
    outputs: int = Field(default=0, ge=0, le=64)
    output_chosen: bool = False


def judge(payload: SpeakersPayload, ctx: Context) -> Finding:
    """Judge the speaker answer."""
    details = {
        "output_selection": payload.output_selection,
        "outputs": payload.outputs,
        "play_error": payload.play_error,
    }
    if payload.answer == "cannot_hear":
        verdict = "warn" if ctx.role == "presenter" else "pass"
        return Finding("speakers", verdict, "speakers_captions", "", {}, details)
    # A sound the browser refused to play says nothing about the speakers, whatever the answer.
    if not payload.played:
        return Finding("speakers", "warn", "speakers_not_played", "speaker-problems#no-sound", {}, details)
    if payload.answer == "no":
        return Finding("speakers", "fail", "speakers_not_heard", "speaker-problems#no-sound", {}, details)
    return Finding("speakers", "pass", "speakers_ok", "", {}, details)


MODEL = SpeakersPayload
