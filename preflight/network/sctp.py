"""One correction to aiortc's SCTP sender, which the download measurement depends on.

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
"""

from __future__ import annotations

import functools
from importlib.metadata import version
from typing import Any, Awaitable, Callable

from aiortc.rtcsctptransport import RTCSctpTransport

# The aiortc minor release whose private ``_receive_sack_chunk`` and chunk fields
# (``_sent_queue``, ``_sent_count``, ``_retransmit``, ``_misses``) this module was checked
# against; pyproject.toml pins the same minor release.
SUPPORTED_AIORTC = "1.16"

# A miss count no run of SACKs can raise to the fast-retransmit threshold (3).
_NEVER = -(1 << 30)

SackHandler = Callable[[Any, Any], Awaitable[None]]


def wrap(original: SackHandler) -> SackHandler:
    """``original`` (aiortc's SACK handler), with chunks sent more than once kept from fast retransmission."""

    @functools.wraps(original)
    async def receive_sack_chunk(self, chunk):
        for sent in getattr(self, "_sent_queue", ()):
            # Sent more than once and not already marked for retransmission: it has been
            # retransmitted, so only the T3 timer may resend it.
            if getattr(sent, "_sent_count", 1) > 1 and not getattr(sent, "_retransmit", False):
                sent._misses = _NEVER
        await original(self, chunk)

    receive_sack_chunk.__wrapped_original__ = original  # type: ignore[attr-defined]
    return receive_sack_chunk


def original_receive_sack_chunk() -> SackHandler:
    """aiortc's own SACK handler (for tests that show why the patch exists)."""
    handler = RTCSctpTransport._receive_sack_chunk
    return getattr(handler, "__wrapped_original__", handler)


def check_version(installed: str | None = None) -> None:
    """Refuse an aiortc release this patch was not checked against (RuntimeError)."""
    installed = installed or version("aiortc")
    if installed != SUPPORTED_AIORTC and not installed.startswith(SUPPORTED_AIORTC + "."):
        raise RuntimeError(
            f"aiortc {installed} is installed, but preflight/network/sctp.py was checked against "
            f"{SUPPORTED_AIORTC}.x: re-check its patch of RTCSctpTransport._receive_sack_chunk first"
        )


def install() -> None:
    """Patch aiortc's SACK handling once per process (idempotent)."""
    check_version()
    if not hasattr(RTCSctpTransport._receive_sack_chunk, "__wrapped_original__"):
        RTCSctpTransport._receive_sack_chunk = wrap(RTCSctpTransport._receive_sack_chunk)
