"""The message for a participant's IT team, in the viewer's language, from ``details["it"]``.

``details["it"]`` is built by ``preflight.checks.it_needs`` when a network verdict is blocked by
policy. The participant's verdict and the staff participant page render the same lines. Host
names, protocols and ports are data (shown as they are, in ``<code>``); the words around them
are translated.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import Markup, escape

from ..guides.requirements import port_numbers
from ..profiles.platforms import HOSTS_NOT_IN_SOURCES, HOSTS_SELF_HOSTED


def _code(value: Any) -> Markup:
    return Markup("<code>{}</code>").format(value)


def _fill(translated: str, **values: Any) -> Markup:
    """A translated pattern with its placeholders filled: the pattern escaped, the values escaped unless Markup."""
    return escape(translated) % values


def it_message_lines(it: Any, locale: str | None = None) -> list[Markup]:
    """The lines of the message, in ``locale`` when given (staff see it in the participant's language).

    Empty for anything but a mapping (a result stored without it).
    """
    if locale:
        with force_locale(locale):
            return it_message_lines(it)
    if not isinstance(it, Mapping):
        return []
    lines: list[Markup] = []
    platform = it.get("platform")
    if platform:
        lines.append(
            _fill(
                # i18n: start of the message for the participant's IT team; %(platform)s is Zoom, Microsoft Teams...
                _(
                    "Hello, I will join an online event on %(platform)s and a connection test shows that video "
                    "calls are blocked or slowed on this network. Could you allow the following for %(platform)s?"
                ),
                platform=platform,
            )
        )
        # i18n: heading of the hosts and ports the event's platform needs, e.g. "For Zoom:"
        lines += [Markup(""), _fill(_("For %(platform)s:"), platform=platform)]
        lines += [line for line in (_hosts_line(it, platform), _ports_line(it.get("media_ports") or "")) if line]
    else:
        lines.append(
            escape(
                # i18n: start of the message for the participant's IT team when the event names no platform
                _(
                    "Hello, I will join an online event and a connection test shows that video calls are blocked "
                    "or slowed on this network. Could you allow the following, which the test needs?"
                )
            )
        )
    rules = [rule for rule in it.get("test") or [] if isinstance(rule, Mapping)]
    if rules:
        # i18n: heading of the hosts and ports Preflight's own connection test reaches (its page, media, relay)
        lines += [Markup(""), escape(_("For this connection test:"))]
        lines += [_rule_line(rule) for rule in rules]
    return lines


def _hosts_line(it: Mapping, platform: str) -> Markup | None:
    hosts = [str(h) for h in it.get("hosts") or []]
    if hosts:
        # i18n: host names the IT team should allow, e.g. "Hosts: *.zoom.us, *.zoom.com"
        return _fill(_("Hosts: %(hosts)s"), hosts=Markup(", ").join(_code(h) for h in hosts))
    if it.get("hosts_note") == HOSTS_SELF_HOSTED:
        # i18n: the event runs its own server of this platform (Jitsi Meet); its address comes from the organisers
        pattern = _("Hosts: the event's own %(platform)s server (the organisers can give you its address)")
        return _fill(pattern, platform=platform)
    if it.get("hosts_note") == HOSTS_NOT_IN_SOURCES:
        # i18n: Preflight does not list this platform's host names; the platform's documentation for IT teams does
        pattern = _("Hosts: as listed in the network requirements %(platform)s publishes for IT teams")
        return _fill(pattern, platform=platform)
    return None


def _ports_line(media_ports: str) -> Markup | None:
    numbers, more = port_numbers(media_ports)
    if more:
        ports = (
            _fill(_("%(ports)s, and the ranges the platform lists for its media servers"), ports=_code(numbers))
            if numbers
            else escape(_("the ranges the platform lists for its media servers"))
        )
    elif numbers:
        ports = _code(numbers)
    else:
        return None
    # i18n: protocols and ports the IT team should allow, e.g. "Ports: UDP 8801–8810 · TCP 443"
    return _fill(_("Ports: %(ports)s"), ports=ports)


def _rule_line(rule: Mapping) -> Markup:
    protocol, port = str(rule.get("protocol") or ""), str(rule.get("port") or "")
    role = rule.get("role")
    suffix = (" (HTTPS)" if role == "page" else " (TLS)") if rule.get("tls") else ""
    if port:
        ports = _code(f"{protocol} {port}{suffix}")
    else:
        # i18n: e.g. "UDP, any port": the test server's media ports are not fixed
        ports = _fill(_("%(protocol)s, any port"), protocol=_code(protocol))
    if role == "page":
        # i18n: what a host and port is for: this connection test's web page
        purpose = _("the test page")
    elif role == "media":
        # i18n: what a host and port is for: the test's audio and video data
        purpose = _("the test's audio and video")
    elif role == "turn":
        # i18n: what a host and port is for: a relay server (TURN), carrying audio and video when direct paths are shut
        purpose = _("relay server (TURN)")
    else:
        # i18n: what a host and port is for: a STUN server, which tells the browser its public address
        purpose = _("address lookup (STUN)")
    # i18n: one host the IT team should allow, e.g. "turn.example.org: UDP 3478 – relay server (TURN)"
    pattern = _("%(host)s: %(ports)s – %(purpose)s")
    return _fill(pattern, host=_code(rule.get("host") or ""), ports=ports, purpose=purpose)
