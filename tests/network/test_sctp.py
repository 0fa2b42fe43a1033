"""aiortc's SCTP sender fast-retransmits a lost chunk once, then leaves it to the T3 timer (sctp.py).

Two real aiortc peers on this machine; the sender's transport drops one chosen DATA chunk on its
first two transmissions (the original and its fast retransmission are both lost) while the
sender keeps sending, so every SACK that follows reports the chunk missing.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
import time
import types

from aiortc import RTCConfiguration, RTCPeerConnection
from aiortc.rtcsctptransport import DataChunk, RTCSctpTransport

from preflight.network import sctp

MESSAGES, SIZE, LOST = 300, 1000, 20
INTERVAL_S = 0.002


async def _connect(sender: RTCPeerConnection, receiver: RTCPeerConnection, channel) -> None:
    """Offer, answer, and wait until the sender's ``channel`` is open."""
    opened = asyncio.Event()
    channel.on("open", opened.set)
    await sender.setLocalDescription(await sender.createOffer())
    await receiver.setRemoteDescription(sender.localDescription)
    await receiver.setLocalDescription(await receiver.createAnswer())
    await sender.setRemoteDescription(receiver.localDescription)
    await asyncio.wait_for(opened.wait(), 10)


class _ReturnPath:
    """What the sender's transport receives arrives ``delay`` late (a round trip's return leg).
    ``close()`` stops deliveries first, so none is left half-scheduled when the loop ends."""

    def __init__(self, transport, delay: float):
        self.handle, self.delay, self.open = transport._handle_data, delay, True
        self.loop = asyncio.get_running_loop()
        transport._handle_data = self.late

    async def late(self, data) -> None:
        self.loop.call_later(self.delay, self._deliver, data)

    def _deliver(self, data) -> None:
        if self.open:
            asyncio.ensure_future(self.handle(data))

    async def close(self) -> None:
        self.open = False
        await asyncio.sleep(0.05)  # deliveries already started finish


@contextlib.asynccontextmanager
async def _probe_peers():
    """Two connected aiortc peers with an unreliable "probe" channel, as the check's control
    connection has; yields (sender, receiver, channel, messages received, return paths to close)."""
    sctp.install()
    config = RTCConfiguration(iceServers=[])
    sender, receiver = RTCPeerConnection(config), RTCPeerConnection(config)
    received: list[bytes] = []
    receiver.on("datachannel", lambda channel: channel.on("message", received.append))
    channel = sender.createDataChannel("probe", ordered=False, maxRetransmits=0)
    paths: list[_ReturnPath] = []
    try:
        await _connect(sender, receiver, channel)
        yield sender, receiver, channel, received, paths
    finally:
        for path in paths:
            await path.close()
        await sender.close()
        await receiver.close()


async def _transfer(*, patched: bool) -> tuple[list[float], int]:
    """Send MESSAGES messages with message LOST dropped twice; (its send times, messages received)."""
    sctp.install()
    config = RTCConfiguration(iceServers=[])
    sender, receiver = RTCPeerConnection(config), RTCPeerConnection(config)
    received: list[bytes] = []
    arrived = asyncio.Event()

    def on_channel(channel):
        def on_message(message):
            received.append(message)
            if len(received) == MESSAGES:
                arrived.set()

        channel.on("message", on_message)

    receiver.on("datachannel", on_channel)
    channel = sender.createDataChannel("bulk", ordered=False)
    try:
        await _connect(sender, receiver, channel)

        transport = sender.sctp
        if not patched:
            # The handler as aiortc ships it, on this transport only.
            original = sctp.original_receive_sack_chunk()
            transport._receive_sack_chunk = types.MethodType(original, transport)
        sends: list[float] = []
        send_chunk = transport._send_chunk

        async def lossy(chunk):
            if isinstance(chunk, DataChunk) and chunk.user_data[:4] == struct.pack("!I", LOST):
                sends.append(time.monotonic())
                if len(sends) <= 2:
                    return  # lost on the way
            await send_chunk(chunk)

        transport._send_chunk = lossy
        for n in range(MESSAGES):
            channel.send(struct.pack("!I", n) + bytes(SIZE - 4))
            await asyncio.sleep(INTERVAL_S)
        await asyncio.wait_for(arrived.wait(), 8)
        return sends, len(received)
    finally:
        await sender.close()
        await receiver.close()


def test_aiortc_as_shipped_fast_retransmits_the_same_chunk_again_and_again():
    # Why sctp.py exists: if this starts failing, aiortc has fixed it and the patch can go.
    sends, received = asyncio.run(_transfer(patched=False))
    assert received == MESSAGES
    assert len(sends) >= 3
    assert sends[2] - sends[0] < 0.5  # the third copy went out on SACKs, long before any T3 timer


def test_a_fast_retransmitted_chunk_is_left_to_the_retransmission_timer():
    sends, received = asyncio.run(_transfer(patched=True))
    assert received == MESSAGES  # nothing lost for good: T3 resends it
    assert len(sends) == 3
    assert sends[1] - sends[0] < 0.5  # one fast retransmission...
    assert sends[2] - sends[1] >= 0.9  # ...then only the T3 timer (aiortc's RTO is at least 1 s)


def test_install_is_idempotent():
    sctp.install()
    patched = RTCSctpTransport._receive_sack_chunk
    sctp.install()
    assert RTCSctpTransport._receive_sack_chunk is patched
    assert sctp.original_receive_sack_chunk() is not patched
    for name in ("_update_advanced_peer_ack_point", "_t3_expired", "_receive_forward_tsn_chunk"):
        assert hasattr(getattr(RTCSctpTransport, name), "__wrapped_original__"), name


def test_a_transport_without_the_expected_internals_is_left_alone():
    # The wrapper reads private attributes defensively: a transport lacking them still works.
    calls = []

    async def original(self, chunk):
        calls.append(chunk)

    asyncio.run(sctp.wrap(original)(object(), "sack"))
    assert calls == ["sack"]


def test_the_patch_refuses_an_aiortc_it_was_not_checked_against():
    """The private method patched here can change in any minor release: the pin and the guard agree."""
    import re
    import tomllib
    from pathlib import Path

    import pytest

    sctp.check_version()  # the installed (locked) aiortc is the supported one
    sctp.check_version(sctp.SUPPORTED_AIORTC + ".9")
    with pytest.raises(RuntimeError, match="re-check its patch"):
        sctp.check_version("1.17.0")
    with pytest.raises(RuntimeError):
        sctp.check_version("1.160.0")
    project = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())
    pin = next(d for d in project["project"]["dependencies"] if d.startswith("aiortc"))
    major, minor = sctp.SUPPORTED_AIORTC.split(".")
    assert pin.replace(" ", "") == f"aiortc>={major}.{minor},<{major}.{int(minor) + 1}", pin
    lock = (Path(__file__).resolve().parents[2] / "requirements.lock").read_text()
    assert re.search(rf"^aiortc=={re.escape(sctp.SUPPORTED_AIORTC)}\.\d+$", lock, re.M)


# ----- FORWARD TSN: one per new point, not one per SACK ----------------------------------------
# An echo-like flow (small unreliable messages, never retransmitted) over a long round trip: the
# sender's transport loses a few of them, and everything the sender receives arrives DELAY_S late.

ECHOES, ECHO_INTERVAL_S, DELAY_S = 150, 0.02, 0.3
ECHOES_LOST = (30, 45, 60, 75, 90)


async def _echoes(*, patched: bool) -> tuple[int, int, int]:
    """(FORWARD TSNs sent, messages received, TSNs the receiver has not acknowledged at the end)."""
    from aiortc.rtcsctptransport import ForwardTsnChunk

    async with _probe_peers() as (sender, receiver, channel, received, paths):
        transport = sender.sctp
        if not patched:
            for name in ("_update_advanced_peer_ack_point", "_t3_expired"):
                original = getattr(RTCSctpTransport, name).__wrapped_original__
                setattr(transport, name, types.MethodType(original, transport))
        forward_tsns = 0
        send_chunk = transport._send_chunk

        async def lossy(chunk):
            nonlocal forward_tsns
            if isinstance(chunk, ForwardTsnChunk):
                forward_tsns += 1
            if isinstance(chunk, DataChunk) and struct.unpack("!I", chunk.user_data[:4])[0] in ECHOES_LOST:
                return  # lost on the way
            await send_chunk(chunk)

        transport._send_chunk = lossy
        paths.append(_ReturnPath(transport, DELAY_S))
        for n in range(ECHOES):
            channel.send(struct.pack("!I", n) + bytes(28))
            await asyncio.sleep(ECHO_INTERVAL_S)
        await asyncio.sleep(4 * DELAY_S + 1.5)  # the last acknowledgements, and a T3 if one is due
        unacknowledged = (transport._local_tsn - 1 - receiver.sctp._last_received_tsn) % (1 << 32)
        return forward_tsns, len(received), unacknowledged


def test_aiortc_as_shipped_answers_every_sack_with_a_forward_tsn():
    # Why the second correction exists: if this starts failing, aiortc sends fewer and it can go.
    forward_tsns, received, unacknowledged = asyncio.run(_echoes(patched=False))
    assert received == ECHOES - len(ECHOES_LOST)
    assert unacknowledged == 0
    assert forward_tsns > 6 * len(ECHOES_LOST)


def test_a_forward_tsn_goes_out_once_per_new_point_and_the_receiver_still_skips_every_loss():
    forward_tsns, received, unacknowledged = asyncio.run(_echoes(patched=True))
    assert received == ECHOES - len(ECHOES_LOST)
    assert unacknowledged == 0  # every lost echo was skipped: nothing is left waiting
    assert 1 <= forward_tsns <= 2 * len(ECHOES_LOST)


# ----- Out-of-date FORWARD TSNs: not every one answered (the Firefox ping-pong) -----------------
# A sender that sends a FORWARD TSN on every SACK below its point, as Firefox's SCTP does (aiortc's
# own sender as shipped does the same), loses every tenth of a fast run of probes, and hears the
# receiver a round trip late: a new probe is abandoned every round trip, so each out-of-date
# FORWARD TSN's SACK draws another FORWARD TSN.

PROBES, PROBE_INTERVAL_S, LOSE_EVERY, RETURN_DELAY_S = 300, 0.002, 10, 0.05


async def _probes(*, patched_receiver: bool) -> tuple[int, int, int, int]:
    """(FORWARD TSNs sent, SACKs the receiver sent, probes received, TSNs left unacknowledged)."""
    from aiortc.rtcsctptransport import ForwardTsnChunk, SackChunk

    async with _probe_peers() as (sender, receiver, channel, received, paths):
        sending, receiving = sender.sctp, receiver.sctp
        for name in ("_update_advanced_peer_ack_point", "_t3_expired"):  # Firefox-like sender
            original = getattr(RTCSctpTransport, name).__wrapped_original__
            setattr(sending, name, types.MethodType(original, sending))
        if not patched_receiver:
            original = RTCSctpTransport._receive_forward_tsn_chunk.__wrapped_original__
            receiving._receive_forward_tsn_chunk = types.MethodType(original, receiving)
        counts = {"forward_tsns": 0, "sacks": 0}
        send_chunk, answer_chunk = sending._send_chunk, receiving._send_chunk

        async def lossy(chunk):
            if isinstance(chunk, ForwardTsnChunk):
                counts["forward_tsns"] += 1
            if isinstance(chunk, DataChunk) and struct.unpack("!I", chunk.user_data[:4])[0] % LOSE_EVERY == 5:
                return  # lost on the way
            await send_chunk(chunk)

        async def counted(chunk):
            if isinstance(chunk, SackChunk):
                counts["sacks"] += 1
            await answer_chunk(chunk)

        sending._send_chunk, receiving._send_chunk = lossy, counted
        paths.append(_ReturnPath(sending, RETURN_DELAY_S))
        for n in range(PROBES):
            channel.send(struct.pack("!I", n) + bytes(28))
            await asyncio.sleep(PROBE_INTERVAL_S)

        def unacknowledged() -> int:
            return (sending._local_tsn - 1 - receiving._last_received_tsn) % (1 << 32)

        deadline = time.monotonic() + 6  # the last losses are skipped on a T3 timeout (>= 1 s)
        while unacknowledged() and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        return counts["forward_tsns"], counts["sacks"], len(received), unacknowledged()


def test_aiortc_as_shipped_answers_every_out_of_date_forward_tsn_and_the_exchange_runs_away():
    # Why the third correction exists: if this starts failing, aiortc has changed and it can go.
    forward_tsns, sacks, _, _ = asyncio.run(_probes(patched_receiver=False))
    assert forward_tsns > 5 * PROBES
    assert sacks > 5 * PROBES


def test_out_of_date_forward_tsns_are_answered_sparingly_and_every_loss_is_still_skipped():
    forward_tsns, sacks, received, unacknowledged = asyncio.run(_probes(patched_receiver=True))
    assert received == PROBES - PROBES // LOSE_EVERY  # every probe not lost arrived
    assert unacknowledged == 0  # every lost probe was skipped: nothing is left waiting
    # About one SACK per probe received, plus one per FORWARD TSN that moved the point.
    assert sacks <= 1.3 * PROBES
    assert forward_tsns <= 1.3 * PROBES


def test_an_out_of_date_forward_tsn_is_answered_again_once_the_interval_has_passed(monkeypatch):
    """A duplicate may mean the SACK was lost (RFC 3758 3.6): one answer per interval, not none."""
    clock = [100.0]
    monkeypatch.setattr(sctp.time, "monotonic", lambda: clock[0])

    async def original(self, chunk):  # aiortc's handler: always owes a SACK, moves the point if new
        self._sack_needed = True
        if chunk > self._last_received_tsn:
            self._last_received_tsn = chunk

    handler = sctp.quiet_stale_forward_tsn(original)
    transport = types.SimpleNamespace(_sack_needed=False, _last_received_tsn=10)

    def answered(cumulative_tsn: int) -> bool:
        transport._sack_needed = False
        asyncio.run(handler(transport, cumulative_tsn))
        return transport._sack_needed

    assert answered(12)  # moves the point: acknowledged at once
    assert answered(12)  # the first out-of-date one is answered
    clock[0] += 0.05
    assert answered(11) is False  # within the interval: the next SACK will say it
    assert answered(12) is False
    clock[0] += sctp.STALE_FORWARD_TSN_SACK_S
    assert answered(12)  # the interval has passed: answered again
    assert answered(13)  # a new point is never held back
    transport._sack_needed = True  # data earlier in the same packet owes a SACK anyway
    asyncio.run(handler(transport, 13))
    assert transport._sack_needed


# ----- A lost FORWARD TSN is repeated within a round trip or two, not after a whole RTO --------


def test_the_same_forward_tsn_waits_one_and_a_half_round_trips_at_most_an_rto():
    def repeat(srtt, rto=1.0):
        return sctp.forward_tsn_repeat_s(types.SimpleNamespace(_srtt=srtt, _rto=rto))

    assert repeat(None) == 1.0  # no round trip measured yet: the RTO, as before
    assert repeat(0.02) == 0.03
    assert repeat(0.001) == sctp.FORWARD_TSN_REPEAT_MIN_S
    assert repeat(0.9) == 1.0  # a long round trip: never longer than the RTO
    assert sctp.forward_tsn_repeat_s(object()) == 1.0  # a transport without the fields


async def _skipped_after_a_lost_forward_tsn() -> float:
    """Seconds from the first (lost) FORWARD TSN until the receiver has skipped the lost echo."""
    from aiortc.rtcsctptransport import ForwardTsnChunk

    async with _probe_peers() as (sender, receiver, channel, _, paths):
        transport = sender.sctp
        send_chunk = transport._send_chunk
        lost_at: list[float] = []
        lost_tsn: list[int] = []

        async def lossy(chunk):
            if isinstance(chunk, DataChunk) and struct.unpack("!I", chunk.user_data[:4])[0] == 20:
                lost_tsn.append(chunk.tsn)
                return  # the echo is lost...
            if isinstance(chunk, ForwardTsnChunk) and not lost_at:
                lost_at.append(time.monotonic())
                return  # ...and so is the first FORWARD TSN that skips it
            await send_chunk(chunk)

        transport._send_chunk = lossy
        paths.append(_ReturnPath(transport, RETURN_DELAY_S))
        skipped_at = None
        for n in range(150):
            channel.send(struct.pack("!I", n) + bytes(28))
            await asyncio.sleep(0.005)
            if skipped_at is None and lost_tsn and lost_at:
                if (receiver.sctp._last_received_tsn - lost_tsn[0]) % (1 << 32) < (1 << 31):
                    skipped_at = time.monotonic()
        assert lost_at, "no FORWARD TSN was sent"
        return float("inf") if skipped_at is None else skipped_at - lost_at[0]  # inf: not within 0.75 s


def test_a_lost_forward_tsn_is_repeated_within_a_few_round_trips():
    # With the repeat held back for a whole RTO (1 s at least), the receiver's cumulative TSN stood
    # still that long, and a fast flow's echoes queued in aiortc behind a full window.
    waited = asyncio.run(_skipped_after_a_lost_forward_tsn())
    assert waited < 0.4, waited  # about 1.5 round trips of 50 ms, and a SACK to trigger it


# ----- The round trip is timed on chunks acknowledged for the first time ------------------------


async def _smoothed_rtt_with_holes(*, patched: bool) -> tuple[float, float]:
    """(the sender's largest smoothed round trip, the return path's delay) over a fast run of
    echoes with every tenth lost: the chunks behind each hole are acknowledged in gap blocks first."""
    async with _probe_peers() as (sender, receiver, channel, _, paths):
        transport = sender.sctp
        if not patched:
            original = sctp.original_receive_sack_chunk()
            transport._receive_sack_chunk = types.MethodType(original, transport)
        send_chunk = transport._send_chunk

        async def lossy(chunk):
            if isinstance(chunk, DataChunk) and struct.unpack("!I", chunk.user_data[:4])[0] % LOSE_EVERY == 5:
                return
            await send_chunk(chunk)

        transport._send_chunk = lossy
        paths.append(_ReturnPath(transport, RETURN_DELAY_S))
        largest = 0.0
        for n in range(PROBES):
            channel.send(struct.pack("!I", n) + bytes(28))
            await asyncio.sleep(PROBE_INTERVAL_S)
            largest = max(largest, transport._srtt or 0.0)
        return largest, RETURN_DELAY_S


def test_aiortc_as_shipped_times_the_wait_behind_a_hole_as_a_round_trip():
    # Why the third correction exists: if this starts failing, aiortc times round trips right.
    srtt, delay = asyncio.run(_smoothed_rtt_with_holes(patched=False))
    assert srtt > 2 * delay


def test_the_round_trip_is_timed_only_on_chunks_acknowledged_for_the_first_time():
    srtt, delay = asyncio.run(_smoothed_rtt_with_holes(patched=True))
    assert srtt < 1.5 * delay


# ----- Set-up: INIT and COOKIE ECHO are timed from RFC 9260's 1 s, not 3 s ---------------------


async def _open_with_both_cookie_echoes_lost(rto_initial: float | None = None) -> float:
    """Seconds from the answer until the channel opens when each end's first COOKIE ECHO is lost
    (both ends send an INIT: one lost packet alone is covered by the other end's handshake)."""
    from aiortc import rtcsctptransport
    from aiortc.rtcsctptransport import CookieEchoChunk

    sctp.install()
    installed = rtcsctptransport.SCTP_RTO_INITIAL
    if rto_initial is not None:
        rtcsctptransport.SCTP_RTO_INITIAL = rto_initial
    config = RTCConfiguration(iceServers=[])
    sender, receiver = RTCPeerConnection(config), RTCPeerConnection(config)
    channel = sender.createDataChannel("probe", ordered=False, maxRetransmits=0)
    opened = asyncio.Event()
    channel.on("open", opened.set)
    try:
        await sender.setLocalDescription(await sender.createOffer())
        await receiver.setRemoteDescription(sender.localDescription)
        await receiver.setLocalDescription(await receiver.createAnswer())
        for transport in (sender.sctp, receiver.sctp):
            lost: list[bool] = []

            async def lossy(chunk, send=transport._send_chunk, lost=lost):
                if isinstance(chunk, CookieEchoChunk) and not lost:
                    lost.append(True)
                    return
                await send(chunk)

            transport._send_chunk = lossy
        started = time.monotonic()
        await sender.setRemoteDescription(receiver.localDescription)
        await asyncio.wait_for(opened.wait(), 10)
        return time.monotonic() - started
    finally:
        rtcsctptransport.SCTP_RTO_INITIAL = installed
        await sender.close()
        await receiver.close()


def test_aiortc_as_shipped_waits_three_seconds_when_both_handshakes_lose_a_packet():
    # Why the fifth correction exists: if aiortc ships RFC 9260's 1 s, it can go.
    assert sctp.AIORTC_RTO_INITIAL_S == 3.0
    assert asyncio.run(_open_with_both_cookie_echoes_lost(sctp.AIORTC_RTO_INITIAL_S)) >= 2.9


def test_a_lost_handshake_packet_is_sent_again_after_one_second():
    waited = asyncio.run(_open_with_both_cookie_echoes_lost())  # as install() set it
    assert 0.9 <= waited < 2.0, waited
