"""The check page with failing or unusual devices (Chromium's fake devices varied per test):
denied permissions, no camera, black, frozen or busy cameras, a silent microphone, a stalled
audio graph. Every verdict comes from the server; the participant is never blamed for what the
page could not measure."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from test_check_page import metric, results, start, step, verdict_of

STALLED_AUDIO = """
Object.defineProperty(AudioContext.prototype, "state", { get: function () { return "suspended"; } });
AudioContext.prototype.resume = function () { return new Promise(function () {}); };
"""


@pytest.mark.browser_context_args(permissions=[])
def test_camera_permission_denied(page, make_participant):
    _, token = make_participant(role="presenter")
    start(page, token)
    assert verdict_of(page, "camera") == "fail"
    camera = step(page, "camera")
    expect(camera.locator("[data-reason]")).to_have_attribute("data-reason", "camera_denied")
    expect(camera).to_contain_text("not allowed to use your camera")
    # The fix links to the guide section for this browser.
    link = camera.locator(".guide-link a")
    assert re.search(r"/guides/allow-camera-microphone\?lang=en#chrome$", link.get_attribute("href"))
    assert verdict_of(page, "microphone") == "fail"


@pytest.mark.browser_context_args(permissions=["microphone"])
def test_attendee_without_camera_permission_only_gets_a_warning(page, make_participant):
    _, token = make_participant(role="attendee")
    start(page, token)
    assert verdict_of(page, "camera") == "warn"
    expect(step(page, "camera")).to_contain_text("others will not see you")
    assert verdict_of(page, "microphone") == "pass"


@pytest.mark.parametrize("browser_type_launch_args", [{"devices": "none"}], indirect=True)
def test_no_camera(page, make_participant):
    _, token = make_participant(role="presenter")
    start(page, token)
    assert verdict_of(page, "camera") == "fail"
    camera = step(page, "camera")
    expect(camera.locator("[data-reason]")).to_have_attribute("data-reason", "camera_not_found")
    expect(camera).to_contain_text("No camera was found")
    assert "camera-problems" in camera.locator(".guide-link a").get_attribute("href")


@pytest.mark.parametrize("browser_type_launch_args", [{"video": "black"}], indirect=True)
def test_black_camera(page, make_participant):
    _, token = make_participant(role="presenter")
    start(page, token)
    assert verdict_of(page, "camera") == "fail"
    camera = step(page, "camera")
    expect(camera.locator("[data-reason]")).to_have_attribute("data-reason", "camera_black")
    assert metric(page, "camera_luma") < 20
    assert metric(page, "camera_width") == 640
    expect(camera).to_contain_text("privacy shutter")


@pytest.mark.parametrize("browser_type_launch_args", [{"video": "frozen"}], indirect=True)
def test_frozen_camera(page, make_participant):
    _, token = make_participant(role="presenter")
    start(page, token)
    assert verdict_of(page, "camera") == "fail"
    expect(step(page, "camera").locator("[data-reason]")).to_have_attribute("data-reason", "camera_frozen")


@pytest.mark.parametrize("browser_type_launch_args", [{"audio": "silence"}], indirect=True)
def test_silent_microphone(page, make_participant):
    _, token = make_participant(role="presenter")
    start(page, token)
    assert verdict_of(page, "camera") == "pass"
    assert verdict_of(page, "microphone") == "fail"
    mic = step(page, "microphone")
    expect(mic.locator("[data-reason]")).to_have_attribute("data-reason", "microphone_silent")
    assert metric(page, "mic_rms_dbfs") < -60
    expect(mic).to_contain_text("picks up no sound")


def test_camera_busy(page, make_participant):
    _, token = make_participant(role="presenter")
    page.add_init_script("""
      (() => {
        const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
        navigator.mediaDevices.getUserMedia = (constraints) => constraints && constraints.video
          ? Promise.reject(new DOMException("Could not start video source", "NotReadableError"))
          : original(constraints);
      })();
    """)
    start(page, token)
    assert verdict_of(page, "camera") == "fail"
    camera = step(page, "camera")
    expect(camera.locator("[data-reason]")).to_have_attribute("data-reason", "camera_busy")
    expect(camera).to_contain_text("used by another program")
    assert camera.locator(".guide-link a").get_attribute("href").endswith("#busy")


def test_stalled_audio_graph_measures_the_microphone_from_a_recording(page, make_participant, app):
    participant, token = make_participant()
    page.add_init_script(STALLED_AUDIO)
    start(page, token)
    assert verdict_of(page, "microphone") == "pass"
    raw = results(app, participant.id)[1]["microphone"].values["raw"]
    assert (raw["method"], raw["audio_state"]) == ("recording", "suspended")
    assert raw["duration_ms"] >= 2000 and metric(page, "mic_rms_dbfs") > -60


def test_stalled_audio_graph_without_another_way_is_not_a_silent_microphone(page, make_participant):
    _, token = make_participant()
    page.add_init_script(STALLED_AUDIO + "delete window.MediaRecorder;")
    start(page, token)
    assert verdict_of(page, "microphone") == "warn"
    mic = step(page, "microphone")
    expect(mic.locator("[data-reason]")).to_have_attribute("data-reason", "microphone_not_measured")
    assert "picks up no sound" not in mic.inner_text()
