"""What the page and the server's peer say to each other (shared constants and formats).

Signalling: one ``POST /c/<token>/network/offer`` carries every offer (one control peer
connection, ``DOWN_CONNECTIONS`` download and ``UP_CONNECTIONS`` upload ones) and returns
every answer; aiortc does not trickle, so its answers already hold all candidates. The page
gzips the request where it can (``Content-Encoding: gzip``) and the answers come back
compressed: two dozen of each fit in the first flight of a new TCP window.

Control peer connection (``ctl``), two data channels created by the page:
- ``probe``: unreliable, unordered. The page sends PROBE packets (150 per second while idle, 600
  in a lossy idle phase's fast half, 100 during the bulk phases; after a fast half that crowded
  the link, 50 during the download and in the resumed first half until its queue clears), the server
  answers each with an ECHO. Each tag (phase | SETTLING | FAST) numbers its probes from 0; the
  counts on each side give loss per direction, a tag's span of sequence numbers a floor under
  what the page says it sent; timestamps give round-trip time (page) and one-way jitter (each
  receiver).
- ``ctl``: reliable JSON messages: ``{"t": "phase", "phase": "down"|"up"}`` (the upload's
  carries ``"sent"``, the probes sent so far per phase), ``{"t": "stop"}``,
  ``{"t": "done", "sent": {...}}`` from the page; ``{"t": "up", ...}`` progress and the signed
  ``{"t": "summary", ...}`` from the server, sent once: as soon as the upload's rate settles
  (the loss counts come from the idle phase, so the record is complete then), or on ``done``.

Bulk peer connections (``down`` and ``up``), one reliable, unordered ``bulk`` channel each (a
retransmission delays only its own message, not the ones behind it): the
server fills the download ones, the page the upload ones. Separate associations because one
SCTP association's window caps a flow under loss and delay, so that the probes never queue
behind bulk data inside aiortc, and so that the download's retransmissions end with it: the
download connections are closed before the upload starts (on a thin uplink, the
acknowledgements of a recovering download alone can fill the link for seconds).

Control messages: ``{"t": "down", "last", "best", "queue_ms"}`` each window of the download
(the server paces by it), ``{"t": "down", "saturate": true, "kbps"}``, ``{"t": "down", "stop": true}``;
``{"t": "up", "saturate": true}`` once the page has the upload rate. The page fills the queues
(saturate) only where the loaded round trip can matter: ``/network/config`` gives
``loaded_rtt_below_ms``, the event's round-trip limit, above which it cannot change the verdict.
"""

from __future__ import annotations

import os
import struct

# Phases, as tagged on every probe and echo.
PHASE_IDLE, PHASE_DOWN, PHASE_UP, PHASE_END = 0, 1, 2, 3
PHASE_NAMES = {"idle": PHASE_IDLE, "down": PHASE_DOWN, "up": PHASE_UP, "end": PHASE_END}

# Binary probe formats (network byte order).
# PROBE (page -> server): type=1, tag, pad, seq (within the tag), send time (ms, page clock).
PROBE = struct.Struct("!BBHId")
# ECHO (server -> page): type=2, server phase, pad, probe seq, echo seq, pad, probe time, server send time (ms).
ECHO = struct.Struct("!BBHIIIdd")
PROBE_TYPE, ECHO_TYPE = 1, 2
# Added to an echo's phase tag during the first SETTLE_MS (+ one RTT) of a bulk phase, while
# queues still hold the previous phase's data: such echoes do not count for loss.
SETTLING = 0x80
SETTLE_MS = 500
# Added to a probe's and its echo's tag in a lossy idle phase's fast second half (stats.idle_is_lossy):
# counted apart, so that the loss of a half that crowded a thin link can be left out
# (stats.fast_half_counts).
FAST = 0x40

# The data channels are negotiated out of band when the signalling request says
# ``"channels": "negotiated"``: the page and the server each create them with these stream ids, so
# no DCEP open/ack crosses the link. Firefox sends nothing on a channel before its ack arrives: a
# round trip saved there (0.6 s on a satellite link). Without the field the page opens them in band.
CHANNELS_NEGOTIATED = "negotiated"
CTL_CHANNEL_ID, PROBE_CHANNEL_ID = 0, 1  # on the control connection
BULK_CHANNEL_ID = 0  # on each bulk connection
# Each channel's stream id and options (RTCDataChannelInit), for both sides of the protocol.
CHANNEL_SPECS: dict[str, tuple[int, dict]] = {
    "ctl": (CTL_CHANNEL_ID, {}),
    "probe": (PROBE_CHANNEL_ID, {"ordered": False, "maxRetransmits": 0}),
    "bulk": (BULK_CHANNEL_ID, {"ordered": False}),
}

# How many bulk peer connections a check opens per direction, and the most a page may ask for.
DOWN_CONNECTIONS = 2
UP_CONNECTIONS = 4
# On a long round trip (the page's config request took LONG_RTT_CONFIG_MS or more) the page opens
# more upload connections: Chromium's SCTP (dcsctp) starts with a 500 ms retransmission timeout,
# so past that round trip its first message times out and each association then grows by about
# one packet per round trip; the growth adds up over associations (docs/netlab.md). 24 rather
# than 12 took a 600 ms upload phase from 8.5 s to 5 s, for about 1 s more to connect.
UP_CONNECTIONS_LONG_RTT = 24
LONG_RTT_CONFIG_MS = 500
MAX_BULK_CONNECTIONS = 24

# Largest bulk message (see message_bytes): whole SCTP chunks, so no partial fragment per
# message. Senders keep about two messages queued per channel: aiortc moves one message at a
# time into SCTP, so this keeps the pace in charge without starving it.
BULK_MESSAGE_BYTES = 7 * 1161

# Bulk data is paced to at most this rate (kbit/s of payload) in each direction. The judged
# window ends at 20 Mbit/s and the profiles need at most a few; a faster link is reported as
# "at least this" (``*_capped``). Pacing keeps one check's CPU bounded and stops a fast sender
# from overrunning aiortc's receive path (UDP buffer drops collapse SCTP's window).
# Benches may lower it (PREFLIGHT_NETWORK_RATE_CAP_KBPS) to model slower participants; the
# page learns the value from /network/config.
MAX_RATE_KBPS = int(os.environ.get("PREFLIGHT_NETWORK_RATE_CAP_KBPS", "30000"))

# Bytes on the wire per SCTP packet beyond the data-channel payload: IPv4 20 + UDP 8 +
# DTLS 1.2 record header 13 + AES-GCM explicit nonce 8 and tag 16 + SCTP common header 12 +
# DATA chunk header 16. Rates are reported at the IP level, as links are sold.
PACKET_OVERHEAD_BYTES = 93
# The same less the SCTP headers (12 + 16): what a decrypted SCTP packet lacks of its IP size.
DATAGRAM_OVERHEAD_BYTES = PACKET_OVERHEAD_BYTES - 28
# Data-channel payload per SCTP DATA chunk (aiortc: 1189 - 12 - 16; Chrome's dcsctp is within a few bytes).
CHUNK_PAYLOAD_BYTES = 1161

# Limits on what the page may send at signalling time.
MAX_OFFER_REQUEST_BYTES = 64 * 1024
MAX_SDP_BYTES = 16 * 1024
RUN_ID_MAX = 64


def message_bytes(kbps: float) -> int:
    """Bulk message size for a pace: whole SCTP chunks, about 20 ms of data, 1 to 7 chunks."""
    chunks = max(1, min(7, round(kbps * 125 * 0.02 / CHUNK_PAYLOAD_BYTES)))
    return chunks * CHUNK_PAYLOAD_BYTES


def wire_bytes(message_bytes: int) -> int:
    """Bytes on the wire (IP level) that carried one data-channel message of ``message_bytes``."""
    chunks = max(1, -(-message_bytes // CHUNK_PAYLOAD_BYTES))
    return message_bytes + chunks * PACKET_OVERHEAD_BYTES
