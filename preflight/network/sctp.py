"""Five corrections to aiortc's SCTP, which the network check depends on.

aiortc (``RTCSctpTransport._receive_sack_chunk``, 1.x) counts a miss for every chunk a SACK
reports missing and fast-retransmits it at every third miss, again and again: once a chunk has
been fast-retransmitted, the SACKs still arriving for data sent before that retransmission
(a round trip's worth at ~1,000 packets/s) strike it anew, so one lost packet goes out many
times. On the lab's 4g link (12 Mbit/s, 80 ms, 0.3 % loss) the server's download sender
retransmitted up to 364 KB in one 250 ms window (11.6 Mbit/s of copies on a 12 Mbit/s link),
the bottleneck carried duplicates instead of new data, and the download read 11-20 % low
(docs/netlab.md, "Repeated fast retransmissions").

Linux's SCTP fast-retransmits a chunk once (it is then marked ``SCTP_DONT_FRTX``) and leaves a
lost retransmission to the retransmission timer (T3). ``install()`` makes aiortc do the same:
before each SACK is handled, a chunk already sent more than once and not marked for
retransmission cannot collect miss indications. T3 still resends it, so nothing is lost for good.

A second correction, which the upload measurement depends on: aiortc
(``_update_advanced_peer_ack_point``) sends a FORWARD TSN on *every* SACK while the peer has
not yet acknowledged the abandoned chunks it skips, and the browser answers every FORWARD TSN
with a SACK at once. On a long round trip each SACK that arrives in the meantime starts one more
FORWARD TSN / SACK loop, and every loop runs until the peer's acknowledgement comes back. The
control connection's echoes (sent once, never retransmitted) lose a few packets when the
download fills the downlink; on the lab's satellite link (600 ms) the loops then grew to
~600 SACKs a second for 2-4 s of the upload phase, ~450 kbit/s of a 2 Mbit/s uplink the upload
meter never saw, and the upload read 15-25 % low in about half the runs (docs/netlab.md,
"The satellite upload's missing fifth"). ``install()`` sends a FORWARD TSN when the point it
reports has moved, and the same one again only once 1.5 smoothed round trips have passed
without its acknowledgement (by then every SACK sent before it arrived is in), or when T3
expires (RFC 3758 section 3.5 A5): a lost FORWARD TSN is still repeated, within a round trip.

A third correction: the round trip that paces those repeats must be the link's. aiortc times
one on the first chunk each SACK acknowledges cumulatively, even one a gap block acknowledged
long before, which waited for the hole ahead of it. On the control connection at 5 % loss its
smoothed round trip grew to ~0.5 s on a 20 ms link, the repeat waited as long, the window filled
with echoes the browser no longer acknowledged, and nothing moved until T3. ``install()`` times
only chunks acknowledged for the first time.

A fourth correction, on the receiving side, for Firefox: aiortc (``_receive_forward_tsn_chunk``)
answers every FORWARD TSN with a SACK at once, an out-of-date one too (its point already passed),
and Firefox's SCTP (usrsctp) sends a FORWARD TSN for every SACK that reports a cumulative TSN
below the point it has skipped to. Every SACK already on its way when a probe is abandoned comes
back as a FORWARD TSN; all but the first are out of date, and each still drew a SACK, which drew
a FORWARD TSN again whenever another probe had been abandoned in the meantime. With a new loss
every round trip the chains never end: on the lab's 5 % loss link ~1,850 packets a second each
way on the control connection in Firefox's upload phase (docs/netlab.md, "What filled Firefox's
uplink"). ``install()`` answers an out-of-date FORWARD TSN that came without data at most once per
``STALE_FORWARD_TSN_SACK_S`` (RFC 3758 section 3.6 says SHOULD: it may mean a SACK was lost, and
the next one repeats it). A FORWARD TSN that moves the point is acknowledged at once, as before.

A fifth, for the connection's set-up: aiortc starts its retransmission timeout at RFC 4960's 3 s
(``SCTP_RTO_INITIAL``), which times INIT and COOKIE ECHO until a round trip is measured. Both
ends send an INIT (RFC 8841), so one lost packet is covered by the other end's handshake, but
where both are hit the connection waits for a timer: 3 s in aiortc, 3 s in Firefox's usrsctp
(Chromium's dcsctp: 0.5 s). A Firefox check at 5 % loss then connected in 3.3 s and its step took
16.1 s. ``install()`` sets RFC 9260's 1 s (section 16, RTO.Initial).
"""

from __future__ import annotations

import functools
import time
from importlib.metadata import version
from typing import Any, Awaitable, Callable

from aiortc import rtcsctptransport
from aiortc.rtcsctptransport import RTCSctpTransport

# The aiortc minor release whose ``SCTP_RTO_INITIAL``, private ``_receive_sack_chunk``,
# ``_update_advanced_peer_ack_point``, ``_t3_expired`` and ``_receive_forward_tsn_chunk``,
# transport fields (``_forward_tsn_chunk``, ``_rto``, ``_srtt``, ``_rttvar``, ``_sack_needed``,
# ``_last_received_tsn``) and chunk fields (``_sent_queue``, ``_sent_count``, ``_retransmit``,
# ``_misses``, ``_acked``) this module was checked against; pyproject.toml pins the same minor
# release.
SUPPORTED_AIORTC = "1.16"

# The same FORWARD TSN goes out again once the SACKs sent before it arrived have come back: past
# one round trip (1.5 smoothed ones, for the spread) a SACK still below its point means it was
# lost. Not a whole RTO (1 s at least in aiortc): meanwhile the peer's cumulative TSN stays put,
# gaps pile up past what its SACKs report (Chromium's), their echoes stay "in flight", the window
# fills and the echoes wait in aiortc until T3, read by the page as a queue of 0.7-1.2 s
# (docs/netlab.md, "Probes at 600 a second").
FORWARD_TSN_REPEAT_RTTS = 1.5
FORWARD_TSN_REPEAT_MIN_S = 0.02

# RFC 9260 (section 16): RTO.Initial, 1 s (RFC 4960 had 3 s, as aiortc ships).
RTO_INITIAL_S = 1.0
AIORTC_RTO_INITIAL_S = rtcsctptransport.SCTP_RTO_INITIAL  # as shipped, for the test that shows why

# How often an out-of-date FORWARD TSN may draw a SACK of its own: the longest RFC 9260 (6.2)
# lets a receiver delay one, so a peer that lost the SACK hears again in time.
STALE_FORWARD_TSN_SACK_S = 0.2

# A miss count no run of SACKs can raise to the fast-retransmit threshold (3).
_NEVER = -(1 << 30)

# aiortc's handlers of a received chunk (SACK, FORWARD TSN): (transport, chunk) -> awaitable.
ChunkHandler = Callable[[Any, Any], Awaitable[None]]


def wrap(original: ChunkHandler) -> ChunkHandler:
    """``original`` (aiortc's SACK handler), with chunks sent more than once kept from fast retransmission,
    and no round trip timed on a chunk a gap block acknowledged earlier."""

    @functools.wraps(original)
    async def receive_sack_chunk(self, chunk):
        queue = getattr(self, "_sent_queue", ())
        for sent in queue:
            # Sent more than once and not already marked for retransmission: it has been
            # retransmitted, so only the T3 timer may resend it.
            if getattr(sent, "_sent_count", 1) > 1 and not getattr(sent, "_retransmit", False):
                sent._misses = _NEVER
        # aiortc times a round trip on the first chunk a SACK acknowledges cumulatively. One a gap
        # block acknowledged before waited for the hole ahead of it to be filled or skipped: its
        # "round trip" includes that wait, so it is not timed (RFC 9260 6.3.1 times a chunk on its
        # first acknowledgement).
        head = queue[0] if queue else None
        kept = None
        if head is not None and getattr(head, "_acked", False) and hasattr(self, "_srtt"):
            kept = (self._srtt, getattr(self, "_rttvar", None), getattr(self, "_rto", None))
        await original(self, chunk)
        if kept is not None:
            self._srtt, self._rttvar, self._rto = kept

    receive_sack_chunk.__wrapped_original__ = original  # type: ignore[attr-defined]
    return receive_sack_chunk


def forward_tsn_repeat_s(transport: Any) -> float:
    """How long the same FORWARD TSN is kept back: FORWARD_TSN_REPEAT_RTTS smoothed round trips
    (at least FORWARD_TSN_REPEAT_MIN_S), never more than the retransmission timeout."""
    rto = getattr(transport, "_rto", 1.0)
    srtt = getattr(transport, "_srtt", None)
    if srtt is None:
        return rto
    return min(rto, max(FORWARD_TSN_REPEAT_MIN_S, FORWARD_TSN_REPEAT_RTTS * srtt))


def limit_forward_tsn(original: Callable[[Any], None]) -> Callable[[Any], None]:
    """``original`` (aiortc's ``_update_advanced_peer_ack_point``), with a FORWARD TSN that reports
    the same point as the last one kept back for ``forward_tsn_repeat_s``."""

    @functools.wraps(original)
    def update_advanced_peer_ack_point(self) -> None:
        original(self)
        chunk = getattr(self, "_forward_tsn_chunk", None)
        if chunk is None:
            return
        now = time.monotonic()
        last = getattr(self, "_pf_forward_tsn", None)  # (cumulative TSN, when) of the last one sent
        if last is not None and last[0] == chunk.cumulative_tsn and now - last[1] < forward_tsn_repeat_s(self):
            self._forward_tsn_chunk = None  # the same FORWARD TSN is still on its way
        else:
            self._pf_forward_tsn = (chunk.cumulative_tsn, now)

    update_advanced_peer_ack_point.__wrapped_original__ = original  # type: ignore[attr-defined]
    return update_advanced_peer_ack_point


def repeat_forward_tsn_on_timeout(original: Callable[[Any], None]) -> Callable[[Any], None]:
    """``original`` (aiortc's T3 expiry), after which the pending FORWARD TSN goes out again at once."""

    @functools.wraps(original)
    def t3_expired(self) -> None:
        self._pf_forward_tsn = None
        original(self)

    t3_expired.__wrapped_original__ = original  # type: ignore[attr-defined]
    return t3_expired


def quiet_stale_forward_tsn(original: ChunkHandler) -> ChunkHandler:
    """``original`` (aiortc's FORWARD TSN handler), with an out-of-date FORWARD TSN answered by a
    SACK at most once per ``STALE_FORWARD_TSN_SACK_S``."""

    @functools.wraps(original)
    async def receive_forward_tsn_chunk(self, chunk) -> None:
        sack_owed = getattr(self, "_sack_needed", False)  # data earlier in the packet owes one anyway
        last = getattr(self, "_last_received_tsn", None)
        await original(self, chunk)
        if sack_owed or last is None or getattr(self, "_last_received_tsn", None) != last:
            return  # it moved the point (or data came with it): acknowledge at once
        now = time.monotonic()
        answered = getattr(self, "_pf_stale_forward_tsn_sack", None)
        if answered is not None and now - answered < STALE_FORWARD_TSN_SACK_S:
            self._sack_needed = False  # the next SACK reports the same point
        else:
            self._pf_stale_forward_tsn_sack = now

    receive_forward_tsn_chunk.__wrapped_original__ = original  # type: ignore[attr-defined]
    return receive_forward_tsn_chunk


def original_receive_sack_chunk() -> ChunkHandler:
    """aiortc's own SACK handler (for tests that show why the patch exists)."""
    handler = RTCSctpTransport._receive_sack_chunk
    return getattr(handler, "__wrapped_original__", handler)


def check_version(installed: str | None = None) -> None:
    """Refuse an aiortc release this patch was not checked against (RuntimeError)."""
    installed = installed or version("aiortc")
    if installed != SUPPORTED_AIORTC and not installed.startswith(SUPPORTED_AIORTC + "."):
        raise RuntimeError(
            f"aiortc {installed} is installed, but preflight/network/sctp.py was checked against "
            f"{SUPPORTED_AIORTC}.x: re-check its patches of RTCSctpTransport first"
        )


# Each patched method of RTCSctpTransport and the wrapper that corrects it.
_PATCHES = (
    ("_receive_sack_chunk", wrap),
    ("_update_advanced_peer_ack_point", limit_forward_tsn),
    ("_t3_expired", repeat_forward_tsn_on_timeout),
    ("_receive_forward_tsn_chunk", quiet_stale_forward_tsn),
)


def install() -> None:
    """Patch aiortc's SACK handling, FORWARD TSN sending and answering, and initial RTO (idempotent)."""
    check_version()
    for name, correct in _PATCHES:
        method = getattr(RTCSctpTransport, name)
        if not hasattr(method, "__wrapped_original__"):  # once per process
            setattr(RTCSctpTransport, name, correct(method))
    rtcsctptransport.SCTP_RTO_INITIAL = RTO_INITIAL_S  # read by each transport as it is created
