"""The user agent as the server reads it (ua-parser), reduced to the profiles' browser families."""

import pytest

from preflight.checks.client import client_info

UAS = {
    "chrome": (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 "
        "Safari/537.36",
        "chrome",
        120,
        "desktop",
    ),
    "headless": (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36",
        "chrome",
        156,
        "desktop",
    ),
    "chromium": (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chromium/120.0.0.0 Chrome/120.0.0.0 "
        "Safari/537.36",
        "chrome",
        120,
        "desktop",
    ),
    "chrome android": (
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile "
        "Safari/537.36",
        "chrome",
        120,
        "mobile",
    ),
    "edge": (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 "
        "Safari/537.36 Edg/120.0.0.0",
        "edge",
        120,
        "desktop",
    ),
    "edgehtml": (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/70.0.3538.102 "
        "Safari/537.36 Edge/18.19582",
        "edge",
        18,
        "desktop",
    ),
    "firefox": ("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", "firefox", 128, "desktop"),
    "firefox android": (
        "Mozilla/5.0 (Android 13; Mobile; rv:120.0) Gecko/120.0 Firefox/120.0",
        "firefox",
        120,
        "mobile",
    ),
    "safari": (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 "
        "Safari/605.1.15",
        "safari",
        17,
        "desktop",
    ),
    "iphone safari": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 "
        "Mobile/15E148 Safari/604.1",
        "safari",
        17,
        "mobile",
    ),
    "ipad safari": (
        "Mozilla/5.0 (iPad; CPU OS 16_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.0 "
        "Mobile/15E148 Safari/604.1",
        "safari",
        16,
        "tablet",
    ),
    # Chrome on iOS is Safari's engine: judged as Safari of the iOS version.
    "chrome ios": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 13_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/120.0 "
        "Mobile/15E148 Safari/604.1",
        "safari",
        13,
        "mobile",
    ),
    "opera": (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 "
        "Safari/537.36 OPR/105.0.0.0",
        "opera",
        105,
        "desktop",
    ),
    "samsung": (
        "Mozilla/5.0 (Linux; Android 13; SM-S901B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 "
        "Chrome/115.0.0.0 Mobile Safari/537.36",
        "samsung",
        23,
        "mobile",
    ),
    "ie11": ("Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko", "ie", 11, "desktop"),
    "facebook": (
        "Mozilla/5.0 (Linux; Android 12; SM-G991B Build/SP1A.210812.016; wv) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Version/4.0 Chrome/120.0.0.0 Mobile Safari/537.36 [FB_IAB/FB4A;FBAV/442.0.0.0;]",
        "inapp",
        442,
        "mobile",
    ),
    "instagram": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 16_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 "
        "Instagram 250.0.0.21.109",
        "inapp",
        250,
        "mobile",
    ),
    "android webview": (
        "Mozilla/5.0 (Linux; Android 10; SM-G973F Build/QP1A.190711.020; wv) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Version/4.0 Chrome/120.0.6099.43 Mobile Safari/537.36",
        "inapp",
        120,
        "mobile",
    ),
    "vivaldi": (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 "
        "Safari/537.36 Vivaldi/6.5",
        "other",
        6,
        "desktop",
    ),
}


@pytest.mark.parametrize("name", sorted(UAS))
def test_families(name):
    ua, family, major, device = UAS[name]
    info = client_info(ua)
    assert (info.family, info.major, info.device_type) == (family, major, device)
    assert info.user_agent == ua
    assert info.in_app is (family == "inapp")


@pytest.mark.parametrize("ua", ["", "garbage", "curl/8.0"])
def test_unknown_agents(ua):
    info = client_info(ua)
    assert info.family == "other" and info.device_type == "desktop"


def test_long_agent_is_cut():
    assert len(client_info("Mozilla/5.0 " + "x" * 2000).user_agent) == 512


def test_names_and_versions_for_storage():
    info = client_info(UAS["firefox"][0])
    assert (info.name, info.version, info.os_family) == ("Firefox", "128.0", "Linux")
