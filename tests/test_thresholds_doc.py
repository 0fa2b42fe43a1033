"""docs/thresholds.md is generated from preflight/profiles/ and must not drift."""

from pathlib import Path

from preflight.profiles import PROFILES, get_profile
from preflight.thresholds_doc import render

DOC = Path(__file__).resolve().parent.parent / "docs" / "thresholds.md"


def test_doc_matches_code():
    assert DOC.read_text() == render(), "run: flask --app wsgi thresholds > docs/thresholds.md"


def test_every_number_has_a_source():
    for profile in PROFILES.values():
        for rate in (
            profile.audio_up,
            profile.video_min_up,
            profile.video_min_down,
            profile.video_rec_up,
            profile.video_rec_down,
        ):
            assert rate.source and rate.kbps > 0
        for limit in (profile.rtt_ms, profile.jitter_ms, profile.loss_pct):
            assert limit.source and 0 < limit.warn < limit.fail


def test_role_rules():
    teams = get_profile("teams")
    assert teams.upload_limits("attendee")[0].kbps < teams.upload_limits("presenter")[0].kbps
    for profile in PROFILES.values():
        fail, warn = profile.upload_limits("presenter")
        assert fail.kbps < warn.kbps
        fail, warn = profile.download_limits("attendee")
        assert fail.kbps < warn.kbps


def test_unknown_platform_is_generic():
    assert get_profile("myspace").key == "generic"


def test_browser_rules():
    assert get_profile("teams").browser("firefox").level == "limited"
    assert get_profile("zoom").browser("chrome").level == "full"
    assert get_profile("generic").browser("ie").level == "unsupported"
    assert get_profile("generic").browser("netscape").level == "limited"
