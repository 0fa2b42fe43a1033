"""The factory and its configuration errors."""

import pytest

from preflight import create_app
from preflight.config import SETTINGS, ConfigError, load_settings, settings_table


def test_defaults_without_environment():
    config = load_settings({})
    assert config["PREFLIGHT_ENV"] == "development"
    assert config["ICE_SERVERS"] == []
    assert config["LOCALES"] == ["en", "fr", "de", "es"]


def test_environment_overrides_are_parsed():
    config = load_settings(
        {
            "PREFLIGHT_LINK_TTL_DAYS": "3",
            "PREFLIGHT_SMTP_STARTTLS": "yes",
            "PREFLIGHT_ICE_SERVERS": '[{"urls": "stun:a"}]',
            "PREFLIGHT_NETWORK_RATE_CAP_KBPS": "8000",
        }
    )
    assert config["NETWORK_RATE_CAP_KBPS"] == 8000
    assert config["LINK_TTL_DAYS"] == 3
    assert config["SMTP_STARTTLS"] is True
    assert config["ICE_SERVERS"] == [{"urls": "stun:a"}]


@pytest.mark.parametrize(
    "name, value",
    [
        ("PREFLIGHT_LINK_TTL_DAYS", "soon"),
        ("PREFLIGHT_SMTP_STARTTLS", "maybe"),
        ("PREFLIGHT_ICE_SERVERS", '{"urls": "x"}'),
        ("PREFLIGHT_ICE_SERVERS", "[oops"),
        # A check paced below what any platform needs would fail every participant.
        ("PREFLIGHT_NETWORK_RATE_CAP_KBPS", "500"),
        ("PREFLIGHT_NETWORK_RATE_CAP_KBPS", "1000000"),
        ("PREFLIGHT_NETWORK_RATE_CAP_KBPS", "fast"),
    ],
)
def test_bad_values_name_the_variable(name, value):
    with pytest.raises(ConfigError, match=name):
        load_settings({name: value})


def test_production_requires_a_secret(monkeypatch, tmp_path):
    monkeypatch.setenv("PREFLIGHT_ENV", "production")
    monkeypatch.delenv("PREFLIGHT_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="PREFLIGHT_SECRET_KEY"):
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})


def test_production_refuses_a_short_secret(monkeypatch, tmp_path):
    monkeypatch.setenv("PREFLIGHT_ENV", "production")
    monkeypatch.setenv("PREFLIGHT_SECRET_KEY", "short")
    with pytest.raises(ConfigError, match="too short"):
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})


def test_production_sets_secure_cookies_and_hsts(monkeypatch, tmp_path):
    monkeypatch.setenv("PREFLIGHT_ENV", "production")
    monkeypatch.setenv("PREFLIGHT_SECRET_KEY", "x" * 40)
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    response = app.test_client().get("/healthz")
    assert "max-age" in response.headers["Strict-Transport-Security"]


def test_development_keeps_a_generated_secret(app_config):
    del app_config["SECRET_KEY"]
    first = create_app(app_config).config["SECRET_KEY"]
    second = create_app(app_config).config["SECRET_KEY"]
    assert first == second and len(first) >= 32


def test_test_config_overrides(app):
    assert app.testing
    assert app.config["BASE_URL"] == "http://localhost"


def test_settings_table_lists_every_variable():
    table = settings_table()
    for setting in SETTINGS:
        assert f"`{setting.env}`" in table


def test_readme_documents_every_variable():
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    missing = [s.env for s in SETTINGS if s.env not in readme]
    assert not missing, f"README lacks {missing}: paste `flask --app wsgi config-table`"


def test_media_settings_are_parsed():
    config = load_settings(
        {"PREFLIGHT_MEDIA_PUBLIC_ADDRESS": " 2001:db8::7, 203.0.113.7", "PREFLIGHT_MEDIA_UDP_PORTS": "40000-40999"}
    )
    assert config["MEDIA_PUBLIC_ADDRESS"] == ["203.0.113.7", "2001:db8::7"]
    assert config["MEDIA_UDP_PORTS"] == (40000, 40999)
    unset = load_settings({"PREFLIGHT_MEDIA_PUBLIC_ADDRESS": "", "PREFLIGHT_MEDIA_UDP_PORTS": " "})
    assert unset["MEDIA_PUBLIC_ADDRESS"] == [] and unset["MEDIA_UDP_PORTS"] is None
    assert load_settings({})["MEDIA_UDP_PORTS"] is None


@pytest.mark.parametrize(
    "name, value, words",
    [
        ("PREFLIGHT_MEDIA_PUBLIC_ADDRESS", "media.example.org", "not an IP address: 'media.example.org'"),
        ("PREFLIGHT_MEDIA_PUBLIC_ADDRESS", "203.0.113.300", "not an IP address"),
        ("PREFLIGHT_MEDIA_PUBLIC_ADDRESS", "203.0.113.7:3478", "not an IP address"),
        ("PREFLIGHT_MEDIA_PUBLIC_ADDRESS", "0.0.0.0", "participants cannot reach it"),
        ("PREFLIGHT_MEDIA_PUBLIC_ADDRESS", "127.0.0.1", "participants cannot reach it"),
        ("PREFLIGHT_MEDIA_PUBLIC_ADDRESS", "fe80::1", "participants cannot reach it"),
        ("PREFLIGHT_MEDIA_PUBLIC_ADDRESS", "203.0.113.7,198.51.100.2", "more than one IPv4 address"),
        ("PREFLIGHT_MEDIA_UDP_PORTS", "40000", "expected FIRST-LAST"),
        ("PREFLIGHT_MEDIA_UDP_PORTS", "40000:40999", "expected FIRST-LAST"),
        ("PREFLIGHT_MEDIA_UDP_PORTS", "-1-40", "expected FIRST-LAST"),
        ("PREFLIGHT_MEDIA_UDP_PORTS", "low-high", "expected FIRST-LAST"),
        ("PREFLIGHT_MEDIA_UDP_PORTS", "40999-40000", "must run upwards"),
        ("PREFLIGHT_MEDIA_UDP_PORTS", "500-999", "privileged"),
        ("PREFLIGHT_MEDIA_UDP_PORTS", "65000-70000", "within 1024-65535"),
        ("PREFLIGHT_MEDIA_UDP_PORTS", "40000-40004", "holds 5 ports: one network check needs up to 27"),
    ],
)
def test_bad_media_settings_are_refused_at_start_up(name, value, words, monkeypatch, tmp_path):
    with pytest.raises(ConfigError, match=name) as refused:
        load_settings({name: value})
    assert words in str(refused.value)
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=name):
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})


def test_media_settings_in_a_test_config_are_parsed_and_checked(app_config):
    app = create_app({**app_config, "MEDIA_PUBLIC_ADDRESS": "203.0.113.7", "MEDIA_UDP_PORTS": "40000-40999"})
    assert app.config["MEDIA_PUBLIC_ADDRESS"] == ["203.0.113.7"] and app.config["MEDIA_UDP_PORTS"] == (40000, 40999)
    with pytest.raises(ConfigError, match="PREFLIGHT_MEDIA_UDP_PORTS"):
        create_app({**app_config, "MEDIA_UDP_PORTS": "1-2"})
