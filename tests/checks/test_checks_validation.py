"""Strict reading of a results post: size, media type, JSON, envelope, every payload."""

import json

import pytest

from preflight.checks.submission import PayloadError, parse
from result_payloads import FEATURES

BROWSER = {"secure_context": True, "features": FEATURES, "video_codecs": ["VP8"], "audio_codecs": ["opus"]}
SPEAKERS = {"answer": "yes", "played": True}
LIMIT = 64 * 1024


def body(checks=None, run_id="run-0123456789", **extra):
    data = {"run_id": run_id, "checks": checks if checks is not None else {"speakers": SPEAKERS}}
    data.update(extra)
    return json.dumps(data).encode()


def refused(raw, content_type="application/json", limit=LIMIT):
    with pytest.raises(PayloadError) as info:
        parse(raw, content_type, limit)
    return info.value


def test_a_valid_post():
    submission = parse(
        body({"browser": BROWSER, "speakers": SPEAKERS}, context={"tab_hidden": True, "attempts": {"speakers": 2}}),
        "application/json; charset=utf-8",
        LIMIT,
    )
    assert submission.run_id == "run-0123456789"
    assert list(submission.checks) == ["browser", "speakers"]
    assert submission.tab_hidden is True and submission.attempts == {"speakers": 2}


def test_too_large_is_413():
    error = refused(body() + b" " * LIMIT)
    assert error.status == 413 and "too large" in error.message


def test_not_json_media_type_is_415():
    assert refused(body(), "text/plain").status == 415
    assert refused(body(), None).status == 415


@pytest.mark.parametrize("raw", [b"{", b"\xff\xfe", b"[]", b"null", b'"x"'])
def test_not_a_json_object_is_400(raw):
    error = refused(raw)
    assert error.status == 400 and ("JSON" in error.message)


@pytest.mark.parametrize(
    ("raw", "loc"),
    [
        (body(run_id="short"), "run_id"),
        (body(run_id="has spaces in it"), "run_id"),
        (body(run_id=12345678), "run_id"),
        (body(checks={}), "checks"),
        (body(checks={"speakers": "yes"}), "checks.speakers"),
        (body(extra_key=1), "extra_key"),
        (body(context={"tab_hidden": "no"}), "context.tab_hidden"),
        (body(context={"what": 1}), "context.what"),
    ],
)
def test_envelope_errors_name_the_field(raw, loc):
    error = refused(raw)
    assert error.status == 400
    assert error.details[0]["loc"] == loc
    assert error.message.startswith("Invalid results: " + loc)


def test_unknown_check_is_refused():
    error = refused(body({"speakers": SPEAKERS, "telepathy": {}}))
    assert error.details == [{"loc": "checks.telepathy", "message": error.details[0]["message"]}]
    assert "unknown check" in error.message


@pytest.mark.parametrize("attempts", [{"camera": 0}, {"camera": 1001}, {"telepathy": 1}])
def test_attempt_counts_are_checked(attempts):
    assert refused(body(context={"attempts": attempts})).details[0]["loc"].startswith("context.attempts")


@pytest.mark.parametrize(
    ("check", "payload", "loc"),
    [
        ("speakers", {"answer": "maybe", "played": True}, "checks.speakers.answer"),
        ("speakers", {"answer": "yes", "played": 1}, "checks.speakers.played"),  # no int for bool
        (
            "speakers",
            {"answer": "yes", "played": True, "verdict": "pass"},
            "checks.speakers.verdict",
        ),  # no client verdicts
        ("speakers", {"played": True}, "checks.speakers.answer"),
        ("camera", {"width": "640"}, "checks.camera.width"),  # no strings for numbers
        ("camera", {"width": True}, "checks.camera.width"),  # no bools for numbers
        ("camera", {"width": 640.5}, "checks.camera.width"),
        ("camera", {"width": -1}, "checks.camera.width"),
        ("camera", {"width": 100000}, "checks.camera.width"),
        ("camera", {"fps": 1e400}, "checks.camera.fps"),  # infinity
        ("camera", {"error": "EvilError"}, "checks.camera.error"),
        ("camera", {"constraint": "<script>"}, "checks.camera.constraint"),
        ("camera", {"frames": [{"luma": 300, "variance": 1}]}, "checks.camera.frames.0.luma"),
        ("camera", {"frames": [{"luma": 1, "variance": 1}] * 201}, "checks.camera.frames"),
        (
            "microphone",
            {"error": None, "duration_ms": 3000, "peak_dbfs": 0, "rms_dbfs": 10},
            "checks.microphone.rms_dbfs",
        ),
        ("browser", {**BROWSER, "features": {**FEATURES, "webgpu": True}}, "checks.browser.features.webgpu"),
        ("browser", {**BROWSER, "video_codecs": ["VP8"] * 41}, "checks.browser.video_codecs"),
        ("browser", {**BROWSER, "video_codecs": ["video/VP8 <b>"]}, "checks.browser.video_codecs.0"),
        ("browser", {"secure_context": True}, "checks.browser.features"),
    ],
)
def test_payload_errors_name_the_field(check, payload, loc):
    error = refused(body({check: payload}))
    assert error.status == 400
    assert loc in [d["loc"] for d in error.details], error.details


def test_every_error_is_reported_up_to_a_limit():
    error = refused(body({"camera": {f"k{i}": i for i in range(50)}}))
    assert len(error.details) == 20
    assert "(and 19 more)" in error.message
