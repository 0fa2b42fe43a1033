"""A network's fingerprint, and whether two of them are the same network (and whether it got worse).

Built by the server only: the public address prefix of the HTTP request and of the media path (from
the server's signed record), never a full address, plus the media path's type. The page's own
claims never enter it. No Flask, no database: the judge and the re-probe both call it.
"""

from __future__ import annotations

import ipaddress
from typing import Any

CANDIDATE_TYPES = ("host", "srflx", "prflx", "relay")
PROTOCOLS = ("udp", "tcp")
# The figures compared between a check and a re-probe (they live in the result's metrics).
FIGURES = ("rtt_ms", "download_kbps", "upload_kbps")


def prefix(address: Any, v4_bits: int = 24, v6_bits: int = 48) -> str | None:
    """``address`` cut to its network prefix (``203.0.113.0/24``, ``2001:db8:1::/48``); None if not an address."""
    try:
        ip = ipaddress.ip_address(str(address).split("%")[0])
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # a dual-stack socket reports IPv4 clients as ::ffff:a.b.c.d
    bits = v4_bits if ip.version == 4 else v6_bits
    return str(ipaddress.ip_network(f"{ip}/{bits}", strict=False))


def build(http_addr: Any, record: dict | None, v4_bits: int = 24, v6_bits: int = 48) -> dict:
    """The fingerprint from the results request's address and the verified server record (or None)."""
    remote = record.get("ice_remote") if isinstance(record, dict) else None
    remote = remote if isinstance(remote, dict) else {}
    path = remote.get("type") if remote.get("type") in CANDIDATE_TYPES else None
    protocol = remote.get("protocol") if remote.get("protocol") in PROTOCOLS else None
    return {
        "v": 1,
        "http": prefix(http_addr, v4_bits, v6_bits),
        "media": prefix(remote.get("addr"), v4_bits, v6_bits) if remote.get("addr") else None,
        "path": path,
        "protocol": protocol,
        # The browser's side of the media path is a TURN relay: what a firewall leaves when UDP is shut.
        "relay": path == "relay",
    }


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def same_network(before: dict, now: dict) -> bool | None:
    """True/False when the prefixes say so (media compared only when both are known); None when unknown."""
    if not before.get("http") or not now.get("http"):
        return None
    if before["http"] != now["http"]:
        return False
    if before.get("media") and now.get("media") and before["media"] != now["media"]:
        return False
    return True


def worse(before: dict, now: dict, rtt_ratio: float, rtt_added_ms: float, rate_ratio: float) -> list[str]:
    """What looks worse now, as reason codes: ``relay_now``, ``rtt_higher``, ``rate_lower``.

    ``before`` and ``now`` are fingerprints with the figures of ``FIGURES`` merged in; a figure
    missing on either side is not compared (the re-probe measures no rate)."""
    reasons = []
    if now.get("relay") and before.get("path") and not before.get("relay"):
        reasons.append("relay_now")
    rtt_then, rtt_now = _num(before.get("rtt_ms")), _num(now.get("rtt_ms"))
    if rtt_then is not None and rtt_now is not None:
        if rtt_now > rtt_then * rtt_ratio and rtt_now > rtt_then + rtt_added_ms:
            reasons.append("rtt_higher")
    for name in ("download_kbps", "upload_kbps"):
        then, current = _num(before.get(name)), _num(now.get(name))
        if then and current is not None and current < then * rate_ratio:
            reasons.append("rate_lower")
            break
    return reasons
