"""Validating the page's signalling request before any peer connection is created.

A malformed, oversized or wrong offer is refused with a reason code (the view answers 400)
and leaves nothing behind: nothing is created until everything here has passed.
"""

from __future__ import annotations

import json
import re
import zlib
from dataclasses import dataclass
from typing import Any

from aiortc.sdp import SessionDescription

from ..netrules import protocol as P
from .session import Offer

RUN_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class OfferError(ValueError):
    """The signalling request cannot be used; ``code`` is a stable reason code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def request_json(body: bytes, encoding: str | None, max_bytes: int = P.MAX_OFFER_REQUEST_BYTES) -> Any:
    """The signalling request's JSON (None when it is not JSON), gunzipped first when the page
    compressed it (``Content-Encoding: gzip``); ``max_bytes`` caps the body as the server reads it.

    Compressed, two dozen offers fit in the first flight of a new TCP window instead of two or
    three: on a 600 ms round trip that is more than a second of the check (docs/netlab.md)."""
    coding = (encoding or "identity").strip().lower()
    if coding == "gzip":
        inflater = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)  # gzip framing
        try:
            body = inflater.decompress(body, max_bytes + 1)
        except zlib.error:
            raise OfferError("offer_malformed", "the gzip body could not be read") from None
        if len(body) > max_bytes or inflater.unconsumed_tail:
            raise OfferError("offer_too_large", f"the signalling request is limited to {max_bytes} bytes")
        if not inflater.eof:
            raise OfferError("offer_malformed", "the gzip body ends early")
    elif coding != "identity":
        raise OfferError("offer_encoding", "Content-Encoding must be gzip or none")
    try:
        return json.loads(body)
    except (ValueError, RecursionError):  # not JSON, or nested past the parser's depth
        return None


@dataclass
class OfferRequest:
    """A validated signalling request."""

    run_id: str
    offers: list[Offer]
    negotiated: bool = False  # the data channels are negotiated out of band (protocol.CHANNELS_NEGOTIATED)


def parse_request(data: Any, max_down: int = P.DOWN_CONNECTIONS, max_up: int = P.MAX_BULK_CONNECTIONS) -> OfferRequest:
    """Check the JSON body ``{"run_id": str, "offers": [{"kind": "ctl"|"down"|"up", "sdp": str}, ...]}``,
    with ``"channels": "negotiated"`` when the page negotiates its data channels out of band."""
    if not isinstance(data, dict):
        raise OfferError("offer_malformed", "expected a JSON object")
    run_id = data.get("run_id")
    if not isinstance(run_id, str) or not RUN_ID.match(run_id):
        raise OfferError("offer_malformed", "run_id must be 1-64 characters of A-Z a-z 0-9 _ -")
    channels = data.get("channels")
    if channels is not None and channels != P.CHANNELS_NEGOTIATED:
        raise OfferError("offer_malformed", f"channels must be {P.CHANNELS_NEGOTIATED!r} when given")
    offers = data.get("offers")
    if not isinstance(offers, list) or not offers:
        raise OfferError("offer_malformed", "offers must be a non-empty list")
    parsed: list[Offer] = []
    for item in offers:
        if (
            not isinstance(item, dict)
            or item.get("kind") not in ("ctl", "down", "up")
            or not isinstance(item.get("sdp"), str)
        ):
            raise OfferError("offer_malformed", "each offer needs kind (ctl, down or up) and sdp (string)")
        if len(item["sdp"].encode()) > P.MAX_SDP_BYTES:
            raise OfferError("offer_too_large", f"an SDP offer is limited to {P.MAX_SDP_BYTES} bytes")
        check_sdp(item["sdp"])
        parsed.append(Offer(kind=item["kind"], sdp=item["sdp"]))
    kinds = [o.kind for o in parsed]
    if kinds.count("ctl") != 1:
        raise OfferError("offer_malformed", "exactly one ctl offer is needed")
    # The page asks for exactly what /network/config told it: a tight cap keeps one request from
    # opening many more peer connections (each costs the server sockets, DTLS and SCTP state).
    for kind, most in (("down", max_down), ("up", max_up)):
        if not 1 <= kinds.count(kind) <= most:
            raise OfferError("offer_malformed", f"between 1 and {most} {kind} offers are needed")
    # The control connection first: its data channels carry the probes and the protocol.
    parsed.sort(key=lambda o: o.kind != "ctl")
    return OfferRequest(run_id=run_id, offers=parsed, negotiated=channels == P.CHANNELS_NEGOTIATED)


def check_sdp(sdp: str) -> None:
    """A data-channel-only offer: one SCTP application section, ICE credentials, a DTLS fingerprint."""
    if not sdp.startswith("v=0"):
        raise OfferError("offer_invalid_sdp", "not an SDP offer")
    try:
        description = SessionDescription.parse(sdp)
    except Exception:  # aiortc's parser raises whatever the bad line triggers
        raise OfferError("offer_invalid_sdp", "the SDP offer could not be parsed") from None
    media = description.media
    if len(media) != 1 or media[0].kind != "application":
        raise OfferError(
            "offer_wrong_media", "only one data-channel (application) section is accepted; no audio or video"
        )
    section = media[0]
    if "SCTP" not in (section.profile or "") or (section.sctp_port is None and not section.sctpmap):
        raise OfferError("offer_wrong_media", "the application section must be SCTP over DTLS")
    if section.ice is None or not (section.ice.usernameFragment and section.ice.password):
        raise OfferError("offer_invalid_sdp", "ICE credentials are missing")
    if not section.dtls or not section.dtls.fingerprints:
        raise OfferError("offer_invalid_sdp", "the DTLS fingerprint is missing")
