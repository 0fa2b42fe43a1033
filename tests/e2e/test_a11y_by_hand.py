"""The check page as a keyboard or screen-reader user meets it (what axe cannot see): what is
announced and with which name, where focus goes, what stays visible, and a path for people who
cannot hear."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from test_check_page import SLOW, start, step, verdict_of

pytestmark = pytest.mark.ui_only

# Records every text a live region takes, in order (as a screen reader would be handed them).
LIVE_LOG = """
window.__spoken = [];
new MutationObserver(function (records) {
  records.forEach(function (r) {
    var node = r.target.nodeType === 3 ? r.target.parentElement : r.target;
    var region = node && node.closest && node.closest('[role="status"], [aria-live]');
    if (region && region.textContent.trim()) {
      window.__spoken.push([region.getAttribute("data-role") || region.id || "?", region.textContent.trim()]);
    }
  });
}).observe(document, { subtree: true, childList: true, characterData: true });
"""


def run_answering_cannot_hear(page, make_participant, role="presenter"):
    """A whole run (network step left out) in which the speakers step is answered "I cannot hear"."""
    _, token = make_participant(role=role)
    start(page, token)
    cannot = step(page, "speakers").locator('[data-answer="cannot_hear"]')
    expect(cannot).to_be_enabled(timeout=SLOW)
    cannot.click()


def spoken(page):
    return page.evaluate("window.__spoken")


def test_verdicts_are_announced_with_their_own_step_and_prompts_are_spoken(page, make_participant):
    page.add_init_script(LIVE_LOG)
    _, token = make_participant(role="presenter")
    start(page, token)
    for name in ("browser", "camera", "microphone"):
        verdict_of(page, name)
    said = spoken(page)
    announced = [text for region, text in said if region == "announcer"]
    # Each verdict is read with its step's name, whatever step has started since.
    for title in ("Browser", "Camera", "Microphone"):
        assert any(re.match(rf"^(.* )?{title}: \S", text) for text in announced), (title, announced)
    # The microphone's prompt is a status line, so it is read out when it appears.
    assert any(region == "status" and "speak" in text.lower() for region, text in said), said


def test_a_participant_who_cannot_hear_has_an_honest_answer_and_a_visual_sign(page, make_participant, app):
    _, token = make_participant(role="attendee")
    start(page, token)
    speakers = step(page, "speakers")
    play = speakers.locator('[data-action="play-sound"]')
    expect(play).to_be_enabled(timeout=SLOW)
    # While the sound plays, the page shows it (for those who cannot tell by ear).
    playing = speakers.locator('[data-role="playing"]')
    expect(playing).to_be_hidden()
    play.click()
    expect(playing).to_be_visible()
    expect(playing).to_contain_text("The test sound is playing")
    cannot = speakers.locator('[data-answer="cannot_hear"]')
    expect(cannot).to_be_enabled()
    cannot.focus()
    page.keyboard.press("Enter")
    assert verdict_of(page, "speakers") == "pass"
    expect(speakers.locator("[data-reason]")).to_have_attribute("data-reason", "speakers_captions")
    expect(speakers).to_contain_text("captions")
    expect(playing).to_be_hidden()


def test_cannot_hear_is_possible_without_playing_the_sound(page, make_participant):
    run_answering_cannot_hear(page, make_participant)  # a presenter
    assert verdict_of(page, "speakers") == "warn"  # a presenter: support arranges captions


def test_browsing_the_device_list_changes_nothing_until_confirmed(page, make_participant):
    run_answering_cannot_hear(page, make_participant)
    expect(page.locator('[data-role="summary"]')).to_be_visible(timeout=SLOW)  # the run is over
    microphone = step(page, "microphone")
    select = microphone.locator('[data-role="device"]')
    expect(select).to_be_enabled()
    assert select.locator("option").count() >= 2, "Chromium's fake devices give several microphones"
    select.focus()
    page.keyboard.press("ArrowDown")
    page.wait_for_timeout(300)
    # No re-run on an arrow key: the verdict stays, focus stays on the list, a button offers the change.
    expect(microphone).to_have_attribute("data-verdict", re.compile("pass|warn|fail"))
    expect(microphone).not_to_have_class(re.compile("is-running"))
    assert page.evaluate("document.activeElement.id") == "microphone-device"
    use = microphone.locator('[data-action="use-device"]')
    expect(use).to_be_visible()
    expect(use).to_have_text("Use this microphone")
    # Enter in the list confirms: the step runs again with the chosen device, focus stays.
    chosen = select.input_value()
    page.keyboard.press("Enter")
    expect(microphone).not_to_have_attribute("data-verdict", re.compile("."), timeout=SLOW)
    assert page.evaluate("document.activeElement.id") == "microphone-device"
    verdict_of(page, "microphone")
    assert select.input_value() == chosen
    expect(use).to_be_hidden()


def test_no_focused_control_hides_under_the_progress_card(page, make_participant):
    page.set_viewport_size({"width": 800, "height": 600})
    run_answering_cannot_hear(page, make_participant)
    expect(page.locator('[data-role="summary"]')).to_be_visible(timeout=SLOW)
    # Walk backwards through every control by keyboard, as after a run.
    page.locator('[data-role="summary"] [data-action="restart"]').focus()
    checked = 0
    for _ in range(25):
        page.keyboard.press("Shift+Tab")
        box = page.evaluate(
            """() => {
              const el = document.activeElement, card = document.querySelector('.progress-card');
              if (!el || el === document.body) return null;
              const r = el.getBoundingClientRect(), c = card.getBoundingClientRect();
              const sticky = getComputedStyle(card).position === 'sticky';
              return {tag: el.tagName, text: el.textContent.trim().slice(0, 40), top: r.top, bottom: r.bottom,
                      cardBottom: c.bottom, covered: sticky && r.top < c.bottom && c.top <= 0};
            }"""
        )
        if box is None:
            break
        checked += 1
        assert not box["covered"], box
    assert checked >= 5
    # The summary's heading, which takes focus at the end of a run, shows that it has it.
    page.locator("#summary-title").focus()
    outline = page.evaluate("getComputedStyle(document.querySelector('#summary-title')).outlineStyle")
    assert outline not in ("none", ""), outline
    # Zoomed in (or a short screen) the card does not stick at all.
    page.set_viewport_size({"width": 640, "height": 400})
    assert page.evaluate("getComputedStyle(document.querySelector('.progress-card')).position") == "static"


def test_an_invalid_help_request_focuses_its_summary_and_a_quiet_refresh_keeps_focus(page, make_participant):
    _, token = make_participant()
    page.goto(f"/c/{token}/help")
    page.locator('[data-action="send-help"]').click()  # nothing typed
    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    assert page.evaluate("document.activeElement.id") == "error-summary"
    expect(summary.locator('a[href="#message"]')).to_be_visible()

    # With a request open, the check page polls the status every 30 s (help-status.js, no htmx; a fake
    # clock here); an unchanged answer (204) swaps nothing, says nothing, and focus stays.
    page.locator("#message").fill("My camera stays black")
    page.locator('[data-action="send-help"]').click()
    page.add_init_script(LIVE_LOG)
    page.clock.install()
    page.goto(f"/c/{token}")
    ask = page.locator("#help-status-ask")
    ask.focus()
    with page.expect_response(re.compile(r"/help/status\?v=")) as polled:
        page.clock.fast_forward(30_000)
    assert polled.value.status == 204
    assert page.evaluate("document.activeElement.id") == "help-status-ask"
    assert page.evaluate("typeof window.htmx") == "undefined"
    assert [who for who, _ in spoken(page) if who.startswith("help-status")] == []
