"""What a participant's IT team must open: the event platform's hosts and ports, and this test's own.

Built when a network verdict is blocked by policy (``network.NETWORK_POLICY_REASONS``) and kept in
the finding's details as ``details["it"]``, so the participant's verdict and the staff pages show the
same list. Only host names, protocols and ports: never a TURN username, credential or secret.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ..profiles import Profile

# RFC 7064 / 7065 URIs: stun[s]:host[:port], turn[s]:host[:port][?transport=udp|tcp]. A user part
# ("name@host") is not in the RFCs but is dropped all the same, so no name ever reaches the page.
ICE_URL = re.compile(r"^(stuns?|turns?):(?:[^@]*@)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?(?:\?(.*))?$")


def it_details(profile: Profile, config: dict[str, Any]) -> dict[str, Any]:
    """``details["it"]``: the platform's part (none for the generic profile) and ``test``, this test's hosts."""
    details: dict[str, Any] = {"test": own_rules(config)}
    if profile.key != "generic":
        details.update(
            platform=profile.label,
            media_ports=profile.media_ports,
            hosts=list(profile.media_hosts),
            hosts_note=profile.media_hosts_note,
        )
    return details


def own_rules(config: dict[str, Any]) -> list[dict[str, Any]]:
    """What this Preflight's check reaches: its page (BASE_URL), its media peers' UDP ports, its ICE servers.

    Each rule is ``{host, protocol ("TCP"/"UDP"), port ("" = any), tls, role}`` with ``role`` one of
    ``page``, ``media``, ``stun``, ``turn``.
    """
    rules: list[dict[str, Any]] = []

    def add(rule: dict[str, Any]) -> None:
        if rule not in rules:
            rules.append(rule)

    host, port, tls = _base(config.get("BASE_URL") or "")
    if host:
        add({"host": host, "protocol": "TCP", "port": str(port), "tls": tls, "role": "page"})
    # The peers' candidates carry MEDIA_PUBLIC_ADDRESS when it is set, else the host's own address,
    # which is the page's host as far as a participant's network can tell.
    udp = config.get("MEDIA_UDP_PORTS")
    udp_ports = f"{udp[0]}-{udp[1]}" if isinstance(udp, (tuple, list)) and len(udp) == 2 else ""
    for media_host in config.get("MEDIA_PUBLIC_ADDRESS") or ([host] if host else []):
        add({"host": str(media_host), "protocol": "UDP", "port": udp_ports, "tls": False, "role": "media"})
    for entry in config.get("ICE_SERVERS") or []:
        urls = entry.get("urls") if isinstance(entry, dict) else None
        for url in [urls] if isinstance(urls, str) else urls or []:
            rule = ice_rule(url) if isinstance(url, str) else None
            if rule:
                add(rule)
    return rules


def ice_rule(url: str) -> dict[str, Any] | None:
    """One ICE server URL as a rule: ``turns:turn.example.org:443?transport=tcp`` -> TCP 443 over TLS."""
    match = ICE_URL.match(url.strip())
    if not match:
        return None
    scheme, host, port, query = match.groups()
    tls = scheme.endswith("s")
    transport = (parse_qs(query or "").get("transport") or [""])[0].lower()
    return {
        "host": host.strip("[]"),
        "protocol": "TCP" if tls or transport == "tcp" else "UDP",
        "port": port or ("5349" if tls else "3478"),  # RFC 7064/7065 default ports
        "tls": tls,
        "role": "turn" if scheme.startswith("turn") else "stun",
    }


def _base(base_url: str) -> tuple[str, int, bool]:
    """(host, port, TLS) of BASE_URL; the host is empty when it cannot be read (never a user or password)."""
    try:
        parts = urlsplit(base_url)
        port = parts.port
    except ValueError:
        return "", 0, False
    tls = parts.scheme == "https"
    return parts.hostname or "", port or (443 if tls else 80), tls
