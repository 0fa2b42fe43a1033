"""Host candidates that browsers hide behind an mDNS name, made usable by the server's peer.

Browsers without a capture permission on the page (camera denied or never asked, or the
permission released) hide their host address behind a random ``<uuid>.local`` name (Firefox,
Chromium and Safari all do; draft-ietf-mmusic-mdns-ice-candidates). Such a name resolves only by
multicast on the browser's own link, never across a routed path to the server. aioice tries for
a second per connection, drops the candidate, and, with no remote candidate left and no trickle,
fails the connection at once: before the browser's connectivity checks can reach it as
peer-reflexive candidates. The participant is then told UDP is blocked on a path where it flows
freely.

The server knows the browser's address from the HTTP request (behind trusted proxies, from
``X-Forwarded-For``), and the hidden candidate still carries its real port. Written into the
offer in place of the name, it is the browser's true host candidate whenever no NAT stands
between the two (the same network, a routed or VPN path, IPv6). Behind a NAT its checks go
unanswered, but the check list is no longer empty: the agent keeps waiting, and the browser's
own checks arrive and are paired as peer-reflexive, as they are for any browser behind a NAT.

Hidden TCP host candidates (Firefox offers one beside each UDP one) are taken out: the server's
peer speaks ICE over UDP only, yet aiortc hands every candidate to aioice, which first tries to
resolve the name and waits about a second for each before it drops it. That was a second per
connection of the server's answer: 7 s for a check's seven connections, past the answer's time
limit for the 27 of a long round trip.
"""

from __future__ import annotations

import ipaddress
import re

# a=candidate:<foundation> <component> UDP <priority> <name>.local <port> typ host ...
_HIDDEN_UDP_HOST = re.compile(
    r"^(a=candidate:\S+ \d+ udp \d+ )([0-9A-Za-z-]{1,64}\.local)( \d{1,5} typ host\b.*)$",
    re.IGNORECASE | re.MULTILINE,
)


# a=candidate:<foundation> <component> TCP <priority> <name>.local <port> typ host tcptype ..., whole line
_HIDDEN_TCP_HOST = re.compile(
    r"^a=candidate:\S+ \d+ tcp \d+ [0-9A-Za-z-]{1,64}\.local \d{1,5} typ host\b.*(\r?\n|$)",
    re.IGNORECASE | re.MULTILINE,
)


def reveal_hidden_hosts(sdp: str, browser_address: str | None) -> str:
    """``sdp`` with each UDP host candidate hidden behind an mDNS name given ``browser_address`` instead,
    and each hidden TCP host candidate taken out (the server's peer cannot use it).

    The UDP ones are left for aioice to try to resolve when the address is unknown or not an IP
    address.
    """
    sdp = _HIDDEN_TCP_HOST.sub("", sdp)
    try:
        address = ipaddress.ip_address(browser_address or "")
    except ValueError:
        return sdp
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return _HIDDEN_UDP_HOST.sub(lambda m: f"{m.group(1)}{address}{m.group(3)}", sdp)
