"""The server's public address in its answers, for a media server behind a 1:1 NAT.

A cloud VM or a container sees only its private address (10.0.0.5); the provider's NAT maps a
public one (203.0.113.7) to it, port for port. aioice gathers host candidates from the
interfaces, so without help the answer offers participants an address they cannot reach, and
without STUN nothing else. ``MEDIA_PUBLIC_ADDRESS`` names the public address (as Janus's
``nat_1_1_mapping``): each UDP host candidate of the same IP family is announced at that
address with its real port (the NAT keeps ports), and the connection line follows.

The private candidate is replaced, not kept beside it: no participant can reach it (they are on
the internet, the server is behind the NAT), while browsers would still send connectivity checks
to that private address into their own network, where the same private ranges are common; it
would also tell every participant the server's internal addressing. A client inside the server's
private network then needs the NAT to loop back (hairpin) to the public address, or the setting
left empty on a media server of its own.

Only the server's answer changes: aioice keeps its private sockets, the NAT turns the
participant's checks to the public address into packets for them, and their replies back.
"""

from __future__ import annotations

import ipaddress
import re

# a=candidate:<foundation> <component> udp <priority> <address> <port> typ host ...
_HOST_CANDIDATE = re.compile(
    r"^(a=candidate:\S+ \d+ udp \d+ )(\S+)( \d{1,5} typ host\b.*)$", re.IGNORECASE | re.MULTILINE
)
_CONNECTION = re.compile(r"^c=IN IP[46] (\S+)(\r?)$", re.MULTILINE)


def _family(address: str) -> int | None:
    try:
        return ipaddress.ip_address(address).version
    except ValueError:
        return None


def announce_public(sdp: str, public: list[str]) -> str:
    """``sdp`` (the server's answer) with every UDP host address of a family in ``public`` replaced by it.

    Unchanged when ``public`` is empty. Server-reflexive and relay candidates are left as they are.
    """
    by_family = {_family(address): address for address in public}
    by_family.pop(None, None)
    if not by_family:
        return sdp
    mapped: dict[str, str] = {}

    def host(match: re.Match) -> str:
        address = match.group(2)
        target = by_family.get(_family(address))
        if target is None:
            return match.group(0)
        mapped[address] = target
        return f"{match.group(1)}{target}{match.group(3)}"

    sdp = _HOST_CANDIDATE.sub(host, sdp)

    def connection(match: re.Match) -> str:
        target = mapped.get(match.group(1))
        if target is None:
            return match.group(0)
        return f"c=IN IP{_family(target)} {target}{match.group(2)}"

    return _CONNECTION.sub(connection, sdp)
