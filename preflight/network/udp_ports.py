"""UDP sockets for the peers within ``MEDIA_UDP_PORTS``, so a firewall needs to open only that range.

aioice binds each host candidate to an ephemeral port (port 0) and the installed aioice offers no
way to restrict it; ``aiortc_internals.confine_ports`` makes the peers' ICE gathering bind here
instead. Every worker process of every media server on the host shares the range: a port taken
by any of them is simply skipped (the kernel refuses the bind), so no coordination is needed. A
range with no free port left raises ``PortsExhausted``, which the offer answers as a full server
(503 + Retry-After), never as a crash.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import secrets
import socket
from typing import Any, Callable


class PortsExhausted(Exception):
    """No port of the range is free on that address."""

    def __init__(self, address: str, ports: tuple[int, int]) -> None:
        super().__init__(f"no free UDP port in {ports[0]}-{ports[1]} on {address}")
        self.address = address
        self.ports = ports


def bind_in_range(address: str, ports: tuple[int, int]) -> socket.socket:
    """A UDP socket bound to ``address`` and a free port of ``ports`` (inclusive); PortsExhausted when none is.

    The search starts at a random port so that processes starting together do not all race for
    the same first ports. Other bind errors (an address that went away) are raised as they are.
    """
    family = socket.AF_INET6 if ipaddress.ip_address(address).version == 6 else socket.AF_INET
    low, high = ports
    count = high - low + 1
    start = secrets.randbelow(count)
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        for step in range(count):
            port = low + (start + step) % count
            try:
                sock.bind((address, port))
            except OSError as exc:
                if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                    continue
                raise
            sock.setblocking(False)
            return sock
    except BaseException:
        sock.close()
        raise
    sock.close()
    raise PortsExhausted(address, ports)


async def datagram_endpoint_in_range(
    factory: Callable[[], asyncio.DatagramProtocol], address: str, ports: tuple[int, int]
) -> tuple[asyncio.DatagramTransport, Any]:
    """``loop.create_datagram_endpoint`` on a socket of ``bind_in_range``."""
    sock = bind_in_range(address, ports)
    try:
        return await asyncio.get_running_loop().create_datagram_endpoint(factory, sock=sock)
    except BaseException:
        sock.close()
        raise
