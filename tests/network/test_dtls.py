"""aiortc's DTLS client re-sends its last flight when the peer re-sends its own, and its first
flight when nothing answers it for a while (dtls.py).

Two real aiortc peers on this machine. The answerer is the DTLS client (as the server's peer is
with a browser). Its second flight is lost once on the way; the offerer (the DTLS server) re-sends
its flight on its timer, and the patched client answers that at once with its own last flight.
Or its first flight (the ClientHello) is lost: the DTLS server has heard nothing to answer, and
the patched client sends it again after 0.4 s instead of OpenSSL's 1 s.
"""

from __future__ import annotations

import asyncio
import time

from aiortc import RTCConfiguration, RTCPeerConnection

from preflight.network import dtls

CLIENT_HELLO, SERVER_HELLO = 1, 2


def test_handshake_messages_reads_plaintext_records_only():
    hello = bytes([22, 0xFE, 0xFD, 0, 0]) + bytes(6) + (12).to_bytes(2, "big") + bytes([1, 0, 0, 8, 0, 3]) + bytes(6)
    encrypted = bytes([22, 0xFE, 0xFD, 0, 1]) + bytes(6) + (4).to_bytes(2, "big") + bytes(4)
    assert dtls.handshake_messages(hello + encrypted) == [(CLIENT_HELLO, 3)]
    assert dtls.handshake_messages(b"") == [] and dtls.handshake_messages(hello[:10]) == []


async def _handshake(lose_client_flight: bool, lose_hello: bool = False) -> tuple[float, list[str], int]:
    """Connect two peers (the answerer is the DTLS client); optionally lose the client's second
    flight, or its first, once. Returns (seconds to open, what the client sent, flights the patch
    re-sent on the peer's repeat)."""
    dtls.install()
    config = RTCConfiguration(iceServers=[])
    offerer, answerer = RTCPeerConnection(config), RTCPeerConnection(config)
    channel = offerer.createDataChannel("ctl")
    opened = asyncio.Event()
    channel.on("open", opened.set)
    sent: list[str] = []
    try:
        await offerer.setLocalDescription(await offerer.createOffer())
        await answerer.setRemoteDescription(offerer.localDescription)
        await answerer.setLocalDescription(await answerer.createAnswer())
        ice = answerer.sctp.transport.transport
        send, lost = ice._send, []

        async def lossy(data: bytes) -> None:
            messages = dtls.handshake_messages(data)
            sent.append("hello" if (CLIENT_HELLO, 0) in messages else "flight" if messages else "other")
            if lose_client_flight and messages and (CLIENT_HELLO, 0) not in messages and not lost:
                lost.append(data)
                return  # the client's second flight, lost once
            if lose_hello and (CLIENT_HELLO, 0) in messages and not lost:
                lost.append(data)
                return  # the client's first flight, lost once
            await send(data)

        ice._send = lossy
        started = time.monotonic()
        await offerer.setRemoteDescription(answerer.localDescription)
        await asyncio.wait_for(opened.wait(), 15)
        assert lost or not (lose_client_flight or lose_hello), "the client's flight was not seen"
        return time.monotonic() - started, sent, dtls._state(answerer.sctp.transport).resent
    finally:
        await offerer.close()
        await answerer.close()


def test_a_lost_client_flight_is_sent_again_when_the_server_repeats_itself():
    seconds, sent, resent = asyncio.run(_handshake(lose_client_flight=True))
    # The server's timer (OpenSSL, 1 s) re-sends its flight, and the client answers it with its
    # own last flight at once (without the patch it waits for its own timer).
    assert resent >= 1 and sent.count("flight") >= 2, (resent, sent)
    assert seconds < 2.5, seconds


def test_the_patch_leaves_a_clean_handshake_alone():
    _, sent, resent = asyncio.run(_handshake(lose_client_flight=False))
    assert resent == 0 and sent.count("flight") == 1, sent


def test_a_lost_first_flight_is_sent_again_before_openssl_would():
    seconds, sent, _ = asyncio.run(_handshake(lose_client_flight=False, lose_hello=True))
    assert sent.count("hello") == 2, sent
    # FIRST_FLIGHT_RESEND_S after the lost one, where OpenSSL alone waits 1 s.
    assert dtls.FIRST_FLIGHT_RESEND_S <= seconds < 0.9, seconds


def test_a_first_flight_answered_in_time_is_sent_once():
    _, sent, _ = asyncio.run(_handshake(lose_client_flight=False))
    assert sent.count("hello") == 1, sent
