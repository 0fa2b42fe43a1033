"""Settings: defaults, overridden by ``PREFLIGHT_*`` environment variables.

Every setting is listed once in ``SETTINGS`` with its default and a one-line
description; the README's configuration table is generated from it
(``flask --app wsgi config-table``), so the two cannot drift apart.
"""

from __future__ import annotations

import copy
import ipaddress
import json
import os
from dataclasses import dataclass
from typing import Any, Callable

from .netrules import protocol as P


class ConfigError(RuntimeError):
    """Raised at start-up when the configuration cannot work."""


def _bool(value: str) -> bool:
    if value.strip().lower() in {"1", "true", "yes", "on"}:
        return True
    if value.strip().lower() in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"not a boolean: {value!r}")


def _json_list(value: str) -> list:
    parsed = json.loads(value) if value.strip() else []
    if not isinstance(parsed, list):
        raise ValueError("expected a JSON list")
    return parsed


def _csv_list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def public_addresses(value: str) -> list[str]:
    """``MEDIA_PUBLIC_ADDRESS``: at most one IPv4 and one IPv6 address (comma-separated), as a list."""
    found: dict[int, str] = {}
    for item in _csv_list(value):
        try:
            address = ipaddress.ip_address(item)
        except ValueError:
            raise ValueError(f"not an IP address: {item!r} (give the address itself, not a host name)") from None
        if address.is_unspecified or address.is_loopback or address.is_multicast or address.is_link_local:
            raise ValueError(f"{item} is unspecified, loopback, multicast or link-local: participants cannot reach it")
        if address.version in found:
            raise ValueError(f"more than one IPv{address.version} address ({found[address.version]}, {item})")
        found[address.version] = str(address)
    return [found[version] for version in sorted(found)]


# UDP ports one check may need per host address: its control connection and the most bulk ones.
PORTS_PER_CHECK = 1 + P.DOWN_CONNECTIONS + P.UP_CONNECTIONS_LONG_RTT


def rate_cap(value: str) -> int:
    """A network check's pace cap in kbit/s: enough for any platform's needs, at most protocol's bound."""
    kbps = int(value)
    if not 1000 <= kbps <= P.MAX_RATE_KBPS:
        raise ValueError(f"{kbps} kbit/s: give 1000 to {P.MAX_RATE_KBPS} (the platforms need up to a few Mbit/s)")
    return kbps


def udp_port_range(value: str) -> tuple[int, int] | None:
    """``MEDIA_UDP_PORTS``: ``FIRST-LAST`` (inclusive) as a tuple; empty: None (any ephemeral port)."""
    if not value.strip():
        return None
    first, dash, last = value.strip().partition("-")
    if not dash or not first.strip().isdigit() or not last.strip().isdigit():
        raise ValueError(f"expected FIRST-LAST, e.g. 40000-40999, not {value!r}")
    low, high = int(first), int(last)
    if not 1024 <= low <= high <= 65535:
        raise ValueError(f"{value!r}: ports must run upwards within 1024-65535 (lower ones are privileged)")
    if high - low + 1 < PORTS_PER_CHECK:
        raise ValueError(
            f"{value!r} holds {high - low + 1} ports: one network check needs up to {PORTS_PER_CHECK} "
            "per host address (docs/operations.md)"
        )
    return low, high


@dataclass(frozen=True)
class Setting:
    """One configurable value: its Flask config key, default, parser and doc."""

    key: str
    default: Any
    parse: Callable[[str], Any]
    doc: str

    @property
    def env(self) -> str:
        return f"PREFLIGHT_{self.key}"


SETTINGS: tuple[Setting, ...] = (
    Setting("ENV", "development", str, "`production` enforces a real secret key, secure cookies and HSTS."),
    Setting(
        "SECRET_KEY",
        None,
        str,
        "Signs sessions and derives link tokens. Required in production; a random one is kept in `instance/` "
        "otherwise.",
    ),
    Setting(
        "DATABASE_URL",
        None,
        str,
        "SQLAlchemy URL. Default: SQLite file `instance/preflight.sqlite3`. Production: `postgresql+psycopg://user:pass@host/db`.",
    ),
    Setting(
        "DATABASE_BUSY_TIMEOUT",
        15.0,
        float,
        "SQLite only: seconds a write waits for another writer's lock before the request answers 503 (Retry-After).",
    ),
    Setting(
        "STATIC_MAX_AGE",
        3600,
        int,
        "Seconds browsers may cache static files asked for by their plain name; fingerprinted names (what the pages "
        "use) are cached for a year, immutable.",
    ),
    Setting("BASE_URL", "http://127.0.0.1:5000", str, "Public address used in links and emails."),
    Setting("LINK_TTL_DAYS", 14, int, "Days after an event ends before its participant links expire."),
    Setting("DEFAULT_LOCALE", "en", str, "Language when nothing else decides."),
    Setting("LOCALES", ["en", "fr", "de", "es"], _csv_list, "Shipped languages (comma-separated)."),
    Setting(
        "PSEUDO_LOCALES",
        [],
        _csv_list,
        "Debug locales selectable with `?lang=` but never shown or stored: `en_XA` (accented, longer) and/or `ar_XB` "
        "(right-to-left). Built by `flask i18n compile`.",
    ),
    Setting(
        "SMTP_HOST",
        "",
        str,
        "SMTP server. Empty: mail is written to the local sink `instance/mail/` (Maildir) instead of sent.",
    ),
    Setting("SMTP_PORT", 25, int, "SMTP port."),
    Setting("SMTP_USER", "", str, "SMTP user name (empty: no authentication)."),
    Setting("SMTP_PASSWORD", "", str, "SMTP password."),
    Setting("SMTP_STARTTLS", False, _bool, "Use STARTTLS."),
    Setting("SMTP_TIMEOUT", 10, int, "Seconds before an SMTP attempt gives up."),
    Setting("MAIL_FROM", "Preflight <preflight@localhost>", str, "Sender of invitations and alerts."),
    Setting(
        "ICE_SERVERS",
        [],
        _json_list,
        "JSON list of RTCIceServer objects, e.g. "
        '`[{"urls": "turn:turn.example.org:3478", "username": "u", "credential": "p"}]`. '
        "Empty: none (never a public server).",
    ),
    Setting(
        "MEDIA_PUBLIC_ADDRESS",
        [],
        public_addresses,
        "The public address a 1:1 NAT maps to this media server (cloud VM, container), e.g. `203.0.113.7`; one "
        "IPv4 and/or one IPv6, comma-separated. The server's ICE candidates then carry it, with the real ports, in "
        "place of the private address. Empty: the addresses of the host's interfaces.",
    ),
    Setting(
        "MEDIA_UDP_PORTS",
        None,
        udp_port_range,
        "UDP ports the network check's peers bind, `FIRST-LAST` (e.g. `40000-40999`), for a firewall or a port "
        "mapping; a full range answers 503 + Retry-After. Empty: any ephemeral port.",
    ),
    Setting(
        "MAX_CHECKS_PER_ADDRESS",
        4,
        int,
        "Network checks one client address may run at once in one process (participants behind one office NAT share "
        "it); more get 503 + Retry-After.",
    ),
    Setting(
        "MAX_CONCURRENT_CHECKS",
        6,
        int,
        "Network checks one process runs at once (one core each: docs/capacity.md); more get 503 + Retry-After.",
    ),
    Setting(
        "NETWORK_RATE_CAP_KBPS",
        P.MAX_RATE_KBPS,
        rate_cap,
        'Most a network check sends each way, in kbit/s of payload (a faster link reads "more than" this). Each '
        "check's CPU grows with it: lower it on a small server (docs/capacity.md), never below what the event's "
        "platform needs.",
    ),
    Setting(
        "CHECK_TIME_LIMIT",
        40,
        int,
        "Hard limit in seconds for one network check's peer connection (a 600 ms satellite link needs about 15).",
    ),
    Setting(
        "LOG_FORMAT",
        "text",
        str,
        "`json`: one JSON object per log line (app and gunicorn access log), with the request id. `text`: plain lines.",
    ),
    Setting(
        "METRICS_TOKEN",
        "",
        str,
        "Bearer token for `GET /metrics` (Prometheus). Empty and no `METRICS_ALLOW`: the endpoint answers 404.",
    ),
    Setting(
        "METRICS_ALLOW",
        [],
        _csv_list,
        "Client addresses allowed to read `/metrics` without the token (comma-separated, e.g. `127.0.0.1`).",
    ),
    Setting("MAX_RESULT_BYTES", 64 * 1024, int, "Largest accepted result payload."),
    Setting("MAX_UPLOAD_BYTES", 5 * 1024 * 1024, int, "Largest accepted participant file."),
    Setting(
        "RATELIMIT_STORAGE_URL",
        "memory://",
        str,
        "Rate-limit counters: `memory://` (one process) or `redis://127.0.0.1:6379/0` (several workers).",
    ),
    Setting(
        "RATELIMIT_PUBLIC", "120 per minute", str, "Limit per client address on public endpoints (participant links)."
    ),
    Setting("RATELIMIT_LOGIN", "10 per minute", str, "Limit per client address on staff sign-in attempts."),
    Setting(
        "TRUSTED_PROXIES",
        0,
        int,
        "Reverse proxies in front of gunicorn that set `X-Forwarded-For`/`-Proto` (usually 1). 0: the client address "
        "is the connection's; behind a proxy that would put every participant under one rate limit.",
    ),
    Setting(
        "FRAME_ANCESTORS",
        [],
        _csv_list,
        "Origins allowed to embed the participant page in a frame (comma-separated). Empty: none.",
    ),
    Setting(
        "SESSION_HOURS",
        12,
        int,
        "Staff sessions end this many hours after sign-in, however active (signing out ends every session of the "
        "account).",
    ),
    Setting(
        "REAUTH_MINUTES",
        15,
        int,
        "Creating API tokens and deleting data ask for the password again when it was last typed longer ago than this.",
    ),
    Setting(
        "RETENTION_DAYS", 90, int, "Participant data is purged this many days after the event ends (`flask purge`)."
    ),
    Setting("ALERT_DIGEST_MINUTES", 15, int, "Failures are batched into one digest per event at this interval."),
    Setting(
        "MASS_ALERT_SHARE",
        0.3,
        float,
        "Share of participants whose latest result on one check (recent window) fails that fires a mass alert.",
    ),
    Setting("MASS_ALERT_WINDOW_MINUTES", 30, int, "Window for the mass-alert share."),
    Setting(
        "MASS_ALERT_MIN_RUNS",
        10,
        int,
        "Distinct participants judged on a check in the window before a mass alert can fire.",
    ),
    Setting(
        "MAX_RUNS_PER_PARTICIPANT",
        50,
        int,
        "Runs one participant link may store; further new runs are refused (429) and the earlier ones kept.",
    ),
    Setting(
        "ALERT_WEBHOOK_URL",
        "",
        str,
        "Default incoming-webhook URL for alerts (JSON; Slack/Teams compatible); events may set their own.",
    ),
    Setting(
        "ALERT_WEBHOOK_SECRET",
        "",
        str,
        "Key of the HMAC signature (`X-Preflight-Signature`) on posts to `ALERT_WEBHOOK_URL`; events' own webhooks get "
        "their own key.",
    ),
    Setting(
        "WEBHOOK_ALLOWED_HOSTS",
        [],
        _csv_list,
        "Host names, addresses or networks (comma-separated, e.g. `chat.internal,10.0.5.0/24`) that webhooks may reach "
        "although private; every other private, loopback, link-local or reserved address is refused.",
    ),
    Setting("WEBHOOK_TIMEOUT", 10, int, "Seconds before a webhook post gives up (it is then retried)."),
    Setting(
        "OUTBOX_RETRY_SECONDS",
        30,
        int,
        "First retry delay of a failed alert, reply or survey email/webhook; doubles each time, at most an hour.",
    ),
    Setting(
        "OUTBOX_MAX_ATTEMPTS",
        25,
        int,
        "Attempts before an outbox message is set aside as dead (visible, and retried by `flask outbox retry-dead`).",
    ),
)


def load_settings(environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Return a Flask config mapping built from defaults and ``PREFLIGHT_*`` variables."""
    environ = os.environ if environ is None else environ
    config: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = environ.get(setting.env)
        if raw is None:
            config[setting.key] = copy.deepcopy(setting.default)
            continue
        try:
            config[setting.key] = setting.parse(raw)
        except (ValueError, json.JSONDecodeError) as exc:
            raise ConfigError(f"{setting.env}: {exc}") from None
    # Flask reads these names itself.
    config["PREFLIGHT_ENV"] = config.pop("ENV")
    return config


# Settings whose test-config overrides may still be raw strings: parsed (and checked) at start-up.
_PARSED_AT_START = ("MEDIA_PUBLIC_ADDRESS", "MEDIA_UDP_PORTS")


def parse_overrides(config: dict[str, Any]) -> None:
    """Parse the settings of ``_PARSED_AT_START`` given as strings (a test config); ConfigError names the variable."""
    for setting in SETTINGS:
        if setting.key in _PARSED_AT_START and isinstance(config.get(setting.key), str):
            try:
                config[setting.key] = setting.parse(config[setting.key])
            except ValueError as exc:
                raise ConfigError(f"{setting.env}: {exc}") from None


def settings_table() -> str:
    """The Markdown table of settings for the README."""
    lines = ["| variable | default | meaning |", "| --- | --- | --- |"]
    for setting in SETTINGS:
        default = setting.default
        if isinstance(default, list):
            default = ",".join(map(str, default)) if default else "(empty)"
        shown = "(none)" if default in (None, "") else f"`{default}`"
        lines.append(f"| `{setting.env}` | {shown} | {setting.doc} |")
    return "\n".join(lines)
