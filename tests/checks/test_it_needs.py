"""The hosts, ports and protocols the IT message lists for this test: read from the settings, never a credential."""

from __future__ import annotations

import json

import pytest

from preflight.checks.it_needs import ice_rule, it_details, own_rules
from preflight.profiles import get_profile


@pytest.mark.parametrize(
    "url, expected",
    [
        ("stun:stun.example.org", ("stun.example.org", "UDP", "3478", False, "stun")),
        ("turn:turn.example.org:3478?transport=udp", ("turn.example.org", "UDP", "3478", False, "turn")),
        ("turn:turn.example.org?transport=tcp", ("turn.example.org", "TCP", "3478", False, "turn")),
        ("turns:turn.example.org:443?transport=tcp", ("turn.example.org", "TCP", "443", True, "turn")),
        ("turns:turn.example.org", ("turn.example.org", "TCP", "5349", True, "turn")),
        ("turn:[2001:db8::7]:3478", ("2001:db8::7", "UDP", "3478", False, "turn")),
        ("turn:someone@turn.example.org:3478", ("turn.example.org", "UDP", "3478", False, "turn")),
    ],
)
def test_ice_urls_become_rules(url, expected):
    rule = ice_rule(url)
    assert (rule["host"], rule["protocol"], rule["port"], rule["tls"], rule["role"]) == expected


@pytest.mark.parametrize("url", ["", "https://turn.example.org", "turn:", "turn:a b:3478"])
def test_what_is_not_an_ice_url_is_left_out(url):
    assert ice_rule(url) is None


def test_rules_from_the_settings_carry_no_credentials():
    config = {
        "BASE_URL": "https://admin:hunter2@preflight.example.org:8443/path",
        "MEDIA_PUBLIC_ADDRESS": ["203.0.113.7"],
        "MEDIA_UDP_PORTS": (40000, 40999),
        "ICE_SERVERS": [
            {"urls": "turn:turn.example.org:3478", "username": "u-1", "credential": "c-2"},
            {"urls": ["turn:turn.example.org:3478"], "secret": "s-3"},  # the same rule once
            "not a server",
        ],
    }
    rules = own_rules(config)
    assert [(r["host"], r["protocol"], r["port"], r["role"]) for r in rules] == [
        ("preflight.example.org", "TCP", "8443", "page"),
        ("203.0.113.7", "UDP", "40000-40999", "media"),
        ("turn.example.org", "UDP", "3478", "turn"),
    ]
    shown = json.dumps(it_details(get_profile("zoom"), config))
    for secret in ("admin", "hunter2", "u-1", "c-2", "s-3"):
        assert secret not in shown


def test_generic_gets_only_the_tests_part():
    config = {"BASE_URL": "https://preflight.example.org", "MEDIA_UDP_PORTS": None, "ICE_SERVERS": []}
    assert it_details(get_profile("generic"), config) == {
        "test": [
            {"host": "preflight.example.org", "protocol": "TCP", "port": "443", "tls": True, "role": "page"},
            {"host": "preflight.example.org", "protocol": "UDP", "port": "", "tls": False, "role": "media"},
        ]
    }
    zoom = it_details(get_profile("zoom"), config)
    assert zoom["platform"] == "Zoom" and zoom["hosts"] == ["*.zoom.us", "*.zoom.com"]
