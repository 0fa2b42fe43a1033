"""Speaker judging: the participant's answer after a sound they started."""

from preflight.checks.speakers import SpeakersPayload, judge


def payload(**fields):
    values = {"answer": "yes", "played": True, "plays": 1, "output_selection": True, "outputs": 2}
    values.update(fields)
    return SpeakersPayload.model_validate(values)


def test_heard_passes(make_ctx):
    finding = judge(payload(), make_ctx())
    assert (finding.verdict, finding.reason, finding.guide) == ("pass", "speakers_ok", "")
    assert finding.details["output_selection"] is True


def test_not_heard_fails_for_every_role(make_ctx):
    for role in ("attendee", "presenter"):
        finding = judge(payload(answer="no"), make_ctx(role=role))
        assert (finding.verdict, finding.reason, finding.guide) == (
            "fail",
            "speakers_not_heard",
            "speaker-problems#no-sound",
        )


def test_heard_although_nothing_played_warns(make_ctx):
    finding = judge(payload(played=False, play_error="NotAllowedError"), make_ctx())
    assert (finding.verdict, finding.reason) == ("warn", "speakers_not_played")
    assert finding.details["play_error"] == "NotAllowedError"


def test_output_selection_is_reported_not_judged(make_ctx):
    assert judge(payload(output_selection=False, outputs=0), make_ctx()).verdict == "pass"


def test_a_refused_play_answered_no_is_not_a_speaker_fault(make_ctx):
    finding = judge(payload(answer="no", played=False, play_error="NotAllowedError"), make_ctx())
    assert (finding.verdict, finding.reason) == ("warn", "speakers_not_played")


def test_a_participant_who_cannot_hear_is_recorded_not_failed(make_ctx):
    # No sound needs to have played: someone who cannot hear may answer at once.
    attendee = judge(payload(answer="cannot_hear", played=False, plays=0), make_ctx(role="attendee"))
    assert (attendee.verdict, attendee.reason, attendee.guide) == ("pass", "speakers_captions", "")
    # A presenter takes questions: support is warned so captions or an interpreter are ready.
    presenter = judge(payload(answer="cannot_hear", played=False, plays=0), make_ctx(role="presenter"))
    assert (presenter.verdict, presenter.reason) == ("warn", "speakers_captions")
