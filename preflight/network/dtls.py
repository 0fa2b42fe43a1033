"""One correction to aiortc's DTLS handshake, which the network check's connection time depends on.

aiortc answers as the DTLS client, and OpenSSL re-sends a lost flight of the client only when its
own timer fires: 1 s, then 2 s, 4 s. The browser, as the server, re-sends its flight on a 50 ms
timer when it hears nothing, which tells the client that its last flight was lost; RFC 6347's
state machine (section 4.2.4, "Read retransmit") then re-sends that flight at once, but OpenSSL's
client ignores the hint. On the lab's 5 % loss link a capture showed Chromium re-sending its
flight at 0.2, 0.3, 0.5 and 0.9 s while OpenSSL waited for 1.2, 3.2 and 7.2 s: the check took
7-8 s to connect (docs/netlab.md, "Where a lossy connection waits").

``install()`` adds the missing step: while the handshake runs, a datagram made only of handshake
messages already received is the peer's retransmission, and the transport re-sends the last flight
it wrote. Nothing changes once the handshake is done.

The first flight (the ClientHello) is the one case that hint cannot cover: where it is lost, the
browser has heard nothing and has nothing to re-send, and OpenSSL waits 1 s, then 2 s more if its
copy is lost too (a 3.1 s connection at 5 % loss in the lab). ``install()`` therefore also sends
the first flight once more after ``FIRST_FLIGHT_RESEND_S`` without an answer. Where the answer
was only slow (a round trip over 0.4 s), the browser takes the copy for a retransmission and
re-sends its own flight once: a few packets, no delay.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any, Awaitable, Callable

from aiortc.rtcdtlstransport import RTCDtlsTransport

from . import sctp

# DTLS record header: type (1), version (2), epoch (2), sequence number (6), length (2).
RECORD_HEADER = 13
HANDSHAKE = 22

Method = Callable[[Any], Awaitable[None]]

FIRST_FLIGHT_RESEND_S = 0.4


def handshake_messages(datagram: bytes) -> list[tuple[int, int]]:
    """(message type, message sequence) of each plaintext handshake record in ``datagram``."""
    found, at = [], 0
    while at + RECORD_HEADER <= len(datagram):
        kind, epoch = datagram[at], int.from_bytes(datagram[at + 3 : at + 5], "big")
        length = int.from_bytes(datagram[at + 11 : at + 13], "big")
        body = datagram[at + RECORD_HEADER : at + RECORD_HEADER + length]
        if kind == HANDSHAKE and epoch == 0 and len(body) >= 6:
            found.append((body[0], int.from_bytes(body[4:6], "big")))
        at += RECORD_HEADER + length
    return found


class _Handshake:
    """What one transport's handshake has seen and sent."""

    def __init__(self) -> None:
        self.seen: set[tuple[int, int]] = set()
        self.flight: list[bytes] = []
        self.new_flight = True  # the next datagram written starts a new flight
        self.resent = 0  # flights re-sent because the peer repeated itself
        self.first_resent = False  # the first flight, re-sent once because nothing came back


def _state(transport: Any) -> _Handshake:
    state = transport.__dict__.get("_preflight_handshake")
    if state is None:
        state = transport.__dict__["_preflight_handshake"] = _Handshake()
    return state


def wrap_do_handshake(original: Method) -> Method:
    """``RTCDtlsTransport._do_handshake`` with the ICE transport's send and receive watched for its
    duration only: what it sends is kept as the last flight, and a datagram of handshake messages
    already received (the peer's retransmission) re-sends that flight at once; so does silence
    ``FIRST_FLIGHT_RESEND_S`` after the first flight. The data path after the handshake is
    aiortc's own, untouched."""

    @functools.wraps(original)
    async def do_handshake(self) -> None:
        state, ice = _state(self), self.transport
        receive, send = ice._recv, ice._send

        async def recording(data: bytes) -> None:
            if state.new_flight:
                state.flight, state.new_flight = [], False
            state.flight.append(data)
            await send(data)

        async def first_answer() -> bytes:
            # Nothing heard yet since the first flight: send it again once if the answer is late.
            state.first_resent = True
            answer = asyncio.ensure_future(receive())
            try:
                done, _ = await asyncio.wait({answer}, timeout=FIRST_FLIGHT_RESEND_S)
                if not done:
                    for datagram in state.flight:
                        await send(datagram)
                return await answer
            finally:
                answer.cancel()  # aiortc's own timer may give up first (OpenSSL's 1 s)

        async def watching() -> bytes:
            if state.flight and not state.seen and not state.first_resent:
                data = await first_answer()
            else:
                data = await receive()
            messages = handshake_messages(data) if data and 19 < data[0] < 64 else []
            if messages and all(message in state.seen for message in messages):
                state.resent += 1
                for datagram in state.flight:
                    await send(datagram)
            elif messages:
                state.new_flight = True
            state.seen.update(messages)
            return data

        # Attributes of the ICE transport (aiortc binds them to its connection); restored below.
        ice._recv, ice._send = watching, recording
        try:
            await original(self)
        finally:
            ice._recv, ice._send = receive, send

    do_handshake.__wrapped_original__ = original  # type: ignore[attr-defined]
    return do_handshake


def install() -> None:
    """Patch aiortc's DTLS handshake once per process (idempotent)."""
    sctp.check_version()
    if not hasattr(RTCDtlsTransport._do_handshake, "__wrapped_original__"):
        RTCDtlsTransport._do_handshake = wrap_do_handshake(RTCDtlsTransport._do_handshake)
