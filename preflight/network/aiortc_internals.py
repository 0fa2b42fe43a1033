"""Every place the network check reaches into aiortc's or aioice's private attributes.

The measurement depends on a few internals that aiortc does not expose: the UDP sockets aioice
gathered, the SCTP congestion window, the packets an association receives, its smoothed
round-trip time and the nominated ICE pair; and ``MEDIA_UDP_PORTS`` replaces how aioice binds
its host sockets (``confine_ports``). They live here, each guarded so that a missing
attribute degrades the measurement instead of failing the check. Re-check every function
(and ``sctp.py`` beside it) at each aiortc upgrade: the version is pinned in pyproject.toml
for that reason, and tests/network exercises each path.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from typing import Any, Callable

from aioice.candidate import Candidate, candidate_foundation, candidate_priority
from aioice.ice import StunProtocol, server_reflexive_candidate
from aiortc import RTCPeerConnection

from ..netrules import protocol as P
from .udp_ports import datagram_endpoint_in_range

log = logging.getLogger(__name__)

# Receive buffer for the peers' UDP sockets. A data-channel burst at 20 Mbit/s outruns the
# default 208 KiB (about 90 full packets once kernel overhead is counted) whenever the loop is
# busy for a few tens of ms; the drops then look like a slow link. The kernel caps the size
# at net.core.rmem_max (docs/capacity.md).
RCVBUF_BYTES = 4 * 1024 * 1024

# Largest SCTP window forced on a download association (see open_window).
OPEN_WINDOW_BYTES = 4 * 1024 * 1024


def enlarge_receive_buffers(pc: RTCPeerConnection, size: int = RCVBUF_BYTES) -> int:
    """Raise SO_RCVBUF on the UDP sockets aioice gathered for ``pc``; returns how many were set."""
    done = 0
    try:
        protocols = pc.sctp.transport.transport.iceGatherer._connection._protocols
    except AttributeError:
        return 0
    for protocol in protocols:
        sock = getattr(getattr(protocol, "transport", None), "get_extra_info", lambda _name: None)("socket")
        if sock is not None:
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)
                done += 1
            except OSError:
                pass
    return done


def confine_ports(pc: RTCPeerConnection, ports: tuple[int, int]) -> bool:
    """Make ``pc``'s ICE gathering bind its host sockets within ``ports``; False (nothing changed) where it cannot.

    Call it after ``setRemoteDescription`` (which creates the ICE gatherer) and before
    ``setLocalDescription`` (which gathers). aioice 0.13 binds every host candidate to port 0 in
    ``Connection.get_component_candidates`` and aiortc passes no port option through
    ``RTCIceGatherer`` (aiortc #487), so this one connection's method is replaced by the same
    steps on sockets of ``udp_ports.bind_in_range``: a host candidate per address, then the STUN
    query for IPv4 ones; aioice's own method still runs, without addresses, for a TURN
    allocation (the server's peers have none: ice.for_aiortc). Raises ``PortsExhausted`` from
    gathering when the range is full, after closing the sockets it bound.
    """
    try:
        connection = pc.sctp.transport.transport.iceGatherer._connection
        original = connection.get_component_candidates
    except AttributeError:
        return False

    async def confined(component: int, addresses: list[str], timeout: int = 5) -> list[Candidate]:
        protocols: list[StunProtocol] = []
        try:
            for address in addresses:
                try:
                    transport, protocol = await datagram_endpoint_in_range(
                        lambda: StunProtocol(connection), address, ports
                    )
                except OSError as exc:  # as aioice: an address that cannot be bound is left out (not PortsExhausted)
                    log.info("could not bind to %s: %s", address, exc)
                    continue
                host, port = transport.get_extra_info("sockname")[:2]
                protocol.local_candidate = Candidate(
                    foundation=candidate_foundation("host", "udp", host),
                    component=component,
                    transport="udp",
                    priority=candidate_priority(component, "host"),
                    host=host,
                    port=port,
                    type="host",
                )
                protocols.append(protocol)
        except BaseException:
            for protocol in protocols:
                protocol.transport.close()
            raise
        connection._protocols += protocols
        candidates = [protocol.local_candidate for protocol in protocols]
        if connection.stun_server:
            queries = [
                asyncio.ensure_future(server_reflexive_candidate(protocol, connection.stun_server))
                for protocol in protocols
                if ipaddress.ip_address(protocol.local_candidate.host).version == 4
            ]
            if queries:
                done, pending = await asyncio.wait(queries, timeout=timeout)
                candidates += [task.result()[0] for task in done if task.exception() is None]
                for task in pending:
                    task.cancel()
        return candidates + await original(component, [], timeout)

    connection.get_component_candidates = confined
    return True


def open_window(channel: Any, size: int) -> None:
    """Let the pace, not aiortc's congestion window, set the download rate.

    aiortc's SCTP grows its window slowly and collapses it to one packet on every timeout:
    seconds to fill a 10 Mbit/s satellite link. The pace (stats.Pacing) is driven by the page's
    one-way queue measurement instead, so the window only has to hold the pace's
    bandwidth-delay product.
    """
    transport = getattr(channel, "transport", None)
    size = max(4 * P.CHUNK_PAYLOAD_BYTES, min(size, OPEN_WINDOW_BYTES))
    if transport is not None and hasattr(transport, "_cwnd"):
        transport._cwnd = max(transport._cwnd, size)
        transport._ssthresh = max(getattr(transport, "_ssthresh", 0) or 0, size)


def count_datagrams(channel: Any, count: Callable[[int], None]) -> bool:
    """Call ``count(size)`` for every SCTP packet the channel's association receives.

    Wraps the private ``RTCSctpTransport._handle_data`` of this one transport (each bulk
    channel has its own peer connection) once, however many meters count it (the control
    connection has two: the upload's and the spare uplink's); False, and nothing changed, where
    it is missing."""
    transport = getattr(channel, "transport", None)
    counters = getattr(transport, "_pf_counters", None)
    if counters is not None:
        counters.append(count)
        return True
    handle = getattr(transport, "_handle_data", None)
    if handle is None:
        return False
    counters = [count]

    async def counted(data: bytes) -> None:
        size = len(data)
        for each in counters:
            each(size)
        await handle(data)

    transport._handle_data = counted
    transport._pf_counters = counters
    return True


def path_of(channel: Any) -> str | None:
    """Bench trace only: "local -> remote" of the channel's nominated ICE pair, None if unknown."""
    try:
        connection = channel.transport.transport.transport._connection
        pair = next(iter(connection._nominated.values()))
        return f"{pair.local_addr[0]}:{pair.local_addr[1]}->{pair.remote_addr[0]}:{pair.remote_addr[1]}"
    except (AttributeError, StopIteration, IndexError, TypeError):
        return None


def instrument(channel: Any, counts: dict[str, int]) -> None:
    """Bench trace only: count data bytes sent, retransmitted and T3 expiries on a download transport."""
    transport = getattr(channel, "transport", None)
    if transport is None or getattr(transport, "_pf_instrumented", False):
        return
    transport._pf_instrumented = True
    for key in ("tx", "rtx", "t3"):
        counts.setdefault(key, 0)
    send_chunk, t3 = transport._send_chunk, transport._t3_expired

    async def counted(chunk):
        data = getattr(chunk, "user_data", None)
        if data is not None:
            counts["tx"] += len(data)
            if getattr(chunk, "_sent_count", 1) > 1:
                counts["rtx"] += len(data)
        await send_chunk(chunk)

    def expired():
        counts["t3"] += 1
        t3()

    transport._send_chunk, transport._t3_expired = counted, expired


def sctp_rtt_ms(pc: RTCPeerConnection | None) -> float | None:
    """aiortc's smoothed SCTP round-trip time on ``pc`` in ms, None where unknown."""
    try:
        srtt = pc.sctp._srtt  # seconds
    except AttributeError:
        return None
    return srtt * 1000 if srtt is not None else None


def nominated_remote(pc: RTCPeerConnection | None) -> dict | None:
    """The remote address, candidate type and transport of the ICE pair ``pc`` nominated, None before one is."""
    try:
        connection = pc.sctp.transport.transport._connection
        pair = next(iter(connection._nominated.values()))
        candidate = pair.remote_candidate
        return {"addr": pair.remote_addr[0], "type": candidate.type, "protocol": candidate.transport.lower()}
    except (AttributeError, StopIteration, TypeError, IndexError):
        return None


def _ice_connection(pc: RTCPeerConnection | None) -> Any:
    return pc.sctp.transport.transport._connection


def selected_pair(pc: RTCPeerConnection | None) -> dict | None:
    """The nominated ICE pair of ``pc`` as the page reports its selected pair (``SelectedPair``), None before one is.

    ``relay_protocol`` is how this side reaches its TURN server when the local candidate is a
    relay: ``udp``, ``tcp``, or ``tls`` for a ``turns:`` URL (aioice uses only the first TURN URL).
    """
    try:
        connection = _ice_connection(pc)
        pair = next(iter(connection._nominated.values()))
        local, remote = pair.local_candidate, pair.remote_candidate
    except (AttributeError, StopIteration, TypeError):
        return None
    relay_protocol = None
    if local.type == "relay":
        relay_protocol = (
            "tls" if getattr(connection, "turn_ssl", False) else getattr(connection, "turn_transport", "udp")
        )
    return {
        "local_type": local.type,
        "remote_type": remote.type,
        "protocol": local.transport.lower(),
        "relay_protocol": relay_protocol,
    }


def local_candidates(pc: RTCPeerConnection | None) -> dict[str, int] | None:
    """How many local candidates ``pc`` gathered, by type and by protocol (``Candidates``), None where unknown."""
    try:
        gathered = _ice_connection(pc).local_candidates
    except AttributeError:
        return None
    counts = dict.fromkeys(("host", "srflx", "prflx", "relay", "udp", "tcp"), 0)
    for candidate in gathered:
        for key in (candidate.type, candidate.transport.lower()):
            if key in counts:
                counts[key] += 1
    return counts
