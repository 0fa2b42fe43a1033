"""Browser judging: every rule, and every platform profile's supported-browser list."""

import pytest

from preflight.checks.base import Context
from preflight.checks.browser import BrowserPayload, judge
from preflight.checks.client import ClientInfo
from preflight.profiles import PROFILES

from checks_samples import CHROME, FIREFOX, IPHONE, SAFARI
from result_payloads import FEATURES


def payload(secure=True, codecs=("VP8", "H264", "VP9"), **features):
    return BrowserPayload.model_validate(
        {
            "secure_context": secure,
            "features": {**FEATURES, **features},
            "video_codecs": list(codecs),
            "audio_codecs": ["opus"],
        }
    )


def client(family, major=None, device="desktop"):
    return ClientInfo(
        family=family,
        name=family.title(),
        major=major,
        version=f"{major}.0" if major else "",
        os_family="Windows",
        device_type=device,
    )


def test_modern_chrome_passes(make_ctx):
    finding = judge(payload(), make_ctx("zoom", ua=CHROME))
    assert (finding.verdict, finding.reason, finding.guide) == ("pass", "browser_ok", "")
    assert finding.metrics == {"browser_major": 156}
    assert finding.details["browser"] == "Chrome" and finding.details["platform"] == "Zoom"


def test_not_secure_context_fails_first(make_ctx):
    finding = judge(payload(secure=False, rtc_peer_connection=False), make_ctx())
    assert (finding.verdict, finding.reason, finding.guide) == (
        "fail",
        "browser_not_secure",
        "browser-problems#not-secure",
    )


def test_internet_explorer_fails(make_ctx):
    finding = judge(payload(), make_ctx(ua="Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko"))
    assert (finding.verdict, finding.reason, finding.guide) == (
        "fail",
        "browser_unsupported",
        "browser-problems#unsupported",
    )
    assert finding.details["recommended"] == ["chrome", "edge", "firefox", "safari"]


@pytest.mark.parametrize("missing", ["rtc_peer_connection", "get_user_media"])
def test_missing_webrtc_fails(make_ctx, missing):
    finding = judge(payload(**{missing: False}), make_ctx())
    assert (finding.verdict, finding.reason) == ("fail", "browser_no_webrtc")
    assert finding.details["missing"] == [missing]


def test_in_app_browser_without_webrtc_fails(make_ctx):
    profile = make_ctx().profile
    ctx = Context(profile=profile, role="attendee", client=client("inapp", 442, "mobile"))
    finding = judge(payload(get_user_media=False), ctx)
    assert (finding.verdict, finding.reason, finding.guide) == (
        "fail",
        "browser_in_app",
        "browser-problems#in-app-browser",
    )


def test_in_app_browser_with_webrtc_warns(make_ctx):
    ctx = Context(profile=make_ctx().profile, role="attendee", client=client("inapp", 442, "mobile"))
    assert (judge(payload(), ctx).verdict, judge(payload(), ctx).reason) == ("warn", "browser_in_app")


def test_outdated_warns_with_minimum(make_ctx):
    ctx = Context(profile=make_ctx("zoom").profile, role="attendee", client=client("chrome", 71))
    finding = judge(payload(), ctx)
    assert (finding.verdict, finding.reason, finding.guide) == ("warn", "browser_outdated", "browser-problems#outdated")
    assert finding.details["min_major"] == 72


def test_teams_in_firefox_and_safari_is_limited_and_names_edge_and_chrome(make_ctx):
    for ua in (FIREFOX, SAFARI):
        finding = judge(payload(), make_ctx("teams", ua=ua))
        assert (finding.verdict, finding.reason, finding.guide) == (
            "warn",
            "browser_limited",
            "browser-problems#limited",
        )
        assert finding.details["recommended"] == ["edge", "chrome"]


def test_presenter_without_screen_sharing_warns(make_ctx):
    finding = judge(payload(get_display_media=False), make_ctx(role="presenter", ua=IPHONE))
    assert (finding.verdict, finding.reason) == ("warn", "browser_no_screen_share")


def test_attendee_without_screen_sharing_passes(make_ctx):
    assert judge(payload(get_display_media=False), make_ctx(role="attendee", ua=IPHONE)).verdict == "pass"


def test_no_common_video_codec_warns(make_ctx):
    finding = judge(payload(codecs=("AV1",)), make_ctx())
    assert (finding.verdict, finding.reason) == ("warn", "browser_codecs")


def test_unknown_codec_list_is_not_judged(make_ctx):
    assert judge(payload(codecs=()), make_ctx()).verdict == "pass"


def test_codec_names_are_matched_case_insensitively(make_ctx):
    assert judge(payload(codecs=("h264",)), make_ctx()).verdict == "pass"


FAMILIES = ("chrome", "edge", "firefox", "safari", "opera", "samsung", "other", "ie")
EXPECTED = {
    "full": ("pass", "browser_ok"),
    "limited": ("warn", "browser_limited"),
    "unsupported": ("fail", "browser_unsupported"),
}


@pytest.mark.parametrize("platform", sorted(PROFILES))
@pytest.mark.parametrize("family", FAMILIES)
def test_every_profile_judges_every_family_by_its_support_level(platform, family):
    profile = PROFILES[platform]
    support = profile.browser(family)
    ctx = Context(profile=profile, role="attendee", client=client(family, max(support.min_major, 1) + 10))
    finding = judge(payload(), ctx)
    assert (finding.verdict, finding.reason) == EXPECTED[support.level]
    assert finding.details["recommended"] == list(profile.recommended_browsers)


WITH_MINIMUM = [
    (p, f)
    for p in sorted(PROFILES)
    for f in FAMILIES
    if PROFILES[p].browser(f).level != "unsupported" and PROFILES[p].browser(f).min_major > 1
]


@pytest.mark.parametrize(("platform", "family"), WITH_MINIMUM)
def test_every_profile_warns_below_its_minimum_version(platform, family):
    profile = PROFILES[platform]
    support = profile.browser(family)
    if support.refuse_below >= support.min_major:
        pytest.skip("this platform refuses every version below its minimum (no warning zone)")
    ctx = Context(profile=profile, role="attendee", client=client(family, support.min_major - 1))
    finding = judge(payload(), ctx)
    assert (finding.verdict, finding.reason) == ("warn", "browser_outdated")
    ctx = Context(profile=profile, role="attendee", client=client(family, support.min_major))
    assert judge(payload(), ctx).reason != "browser_outdated"


CHROME_49 = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) "
    "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/49.0.2623.112 Safari/537.36"
)


@pytest.mark.parametrize("platform", sorted(PROFILES))
def test_a_browser_far_below_the_minimum_fails(platform, make_ctx):
    finding = judge(payload(), make_ctx(platform, ua=CHROME_49))
    assert (finding.verdict, finding.reason) == ("fail", "browser_outdated")
    assert finding.details["refused"] is True


@pytest.mark.parametrize(("platform", "family"), WITH_MINIMUM)
def test_every_profile_fails_below_its_refusal_line_with_a_source(platform, family):
    support = PROFILES[platform].browser(family)
    assert 1 <= support.refuse_below <= support.min_major and support.refuse_source
    ctx = Context(profile=PROFILES[platform], role="attendee", client=client(family, support.refuse_below - 1))
    assert judge(payload(), ctx).verdict == "fail"
    ctx = Context(profile=PROFILES[platform], role="attendee", client=client(family, support.refuse_below))
    assert judge(payload(), ctx).verdict != "fail" or support.level == "unsupported"
