"""Bad signalling requests get a clear 400 and leave no peer behind."""

from __future__ import annotations

import asyncio
import gzip
import json

import pytest
from aiortc import RTCPeerConnection

from preflight.netrules import protocol as P
from preflight.network.offer import OfferError, check_sdp, request_json
from preflight.network.registry import live_checks
from preflight.network.session import CheckSession


async def _offers(audio: bool = False) -> list[dict]:
    offers = []
    for kind in ["ctl", "down", "up"]:
        pc = RTCPeerConnection()
        if audio and kind == "ctl":
            pc.addTransceiver("audio")
        pc.createDataChannel(kind)
        await pc.setLocalDescription(await pc.createOffer())
        offers.append({"kind": kind, "sdp": pc.localDescription.sdp})
        await pc.close()
    return offers


@pytest.fixture(scope="module")
def good_offers():
    """A valid set of offers (one ctl, one down, one up), made once."""
    return asyncio.run(_offers())


def _post(client, token, body, **kwargs):
    if not isinstance(body, (bytes, str)):
        body = json.dumps(body)
    return client.post(f"/c/{token}/network/offer", data=body, content_type="application/json", **kwargs)


def _replace(offers, old, new, index=0):
    changed = [dict(o) for o in offers]
    changed[index]["sdp"] = changed[index]["sdp"].replace(old, new)
    return changed


@pytest.mark.parametrize(
    "body, code",
    [
        (b"{not json", "offer_malformed"),
        ([], "offer_malformed"),
        ({"offers": []}, "offer_malformed"),
        ({"run_id": "bad id!", "offers": [{"kind": "ctl", "sdp": "v=0"}]}, "offer_malformed"),
        ({"run_id": "r1", "offers": "nope"}, "offer_malformed"),
        ({"run_id": "r1", "offers": [{"kind": "video", "sdp": "v=0"}]}, "offer_malformed"),
        ({"run_id": "r1", "offers": [{"kind": "ctl", "sdp": 42}]}, "offer_malformed"),
        ({"run_id": "r1", "offers": [{"kind": "ctl", "sdp": "hello"}]}, "offer_invalid_sdp"),
        ({"run_id": "r1", "offers": [{"kind": "ctl", "sdp": "v=0\r\nm=application x"}]}, "offer_invalid_sdp"),
        ({"run_id": "r1", "channels": "in-band", "offers": [{"kind": "ctl", "sdp": "v=0"}]}, "offer_malformed"),
        ({"run_id": "r1", "channels": True, "offers": [{"kind": "ctl", "sdp": "v=0"}]}, "offer_malformed"),
    ],
)
def test_malformed_requests_are_refused(client, link, body, code):
    response = _post(client, link[1], body)
    assert response.status_code == 400
    assert response.get_json()["error"] == code
    assert live_checks() == 0


def test_missing_ctl_or_too_many_bulk_offers(client, link, good_offers):
    only_bulk = [o for o in good_offers if o["kind"] != "ctl"]
    down, up = only_bulk
    assert _post(client, link[1], {"run_id": "r1", "offers": only_bulk}).get_json()["error"] == "offer_malformed"
    too_many = good_offers[:1] + [down] * (P.MAX_BULK_CONNECTIONS + 1) + [up]
    assert _post(client, link[1], {"run_id": "r1", "offers": too_many}).get_json()["error"] == "offer_malformed"
    no_up = good_offers[:1] + [down]
    assert _post(client, link[1], {"run_id": "r1", "offers": no_up}).get_json()["error"] == "offer_malformed"
    two_ctl = good_offers[:1] * 2 + only_bulk
    assert _post(client, link[1], {"run_id": "r1", "offers": two_ctl}).status_code == 400
    assert live_checks() == 0


def test_oversized_requests_are_refused(client, link, good_offers):
    huge_sdp = good_offers[0]["sdp"] + "a=x-padding:" + "x" * P.MAX_SDP_BYTES + "\r\n"
    response = _post(client, link[1], {"run_id": "r1", "offers": [{"kind": "ctl", "sdp": huge_sdp}] + good_offers[1:]})
    assert response.status_code == 400 and response.get_json()["error"] == "offer_too_large"
    response = _post(client, link[1], b"{" + b" " * P.MAX_OFFER_REQUEST_BYTES + b"}")
    assert response.status_code == 400 and response.get_json()["error"] == "offer_too_large"
    assert live_checks() == 0


def test_audio_or_video_offers_are_wrong_media():
    offers = asyncio.run(_offers(audio=True))
    assert "m=audio" in offers[0]["sdp"]
    with pytest.raises(OfferError) as info:
        check_sdp(offers[0]["sdp"])
    assert info.value.code == "offer_wrong_media"


def test_wrong_media_offer_gets_400(client, link):
    offers = asyncio.run(_offers(audio=True))
    response = _post(client, link[1], {"run_id": "r1", "offers": offers})
    assert response.status_code == 400 and response.get_json()["error"] == "offer_wrong_media"
    assert live_checks() == 0


@pytest.mark.parametrize(
    "old, new",
    [
        ("a=ice-ufrag:", "a=x-ice-ufrag:"),
        ("a=fingerprint:", "a=x-fingerprint:"),
        ("UDP/DTLS/SCTP", "UDP/TLS/RTP/SAVPF"),
    ],
)
def test_offers_missing_essentials_are_refused(client, link, good_offers, old, new):
    response = _post(client, link[1], {"run_id": "r1", "offers": _replace(good_offers, old, new)})
    assert response.status_code == 400
    assert response.get_json()["error"] in ("offer_invalid_sdp", "offer_wrong_media")
    assert live_checks() == 0


def test_an_offer_aiortc_refuses_closes_what_was_created(client, link, good_offers, monkeypatch, wait_no_live):
    original = CheckSession.accept
    created = []

    async def failing_accept(self, offers, negotiated=False):
        created.append(self)
        await original(self, offers[:1])  # the ctl peer connection exists...
        raise ValueError("simulated refusal")  # ...then aiortc refuses the next one

    monkeypatch.setattr(CheckSession, "accept", failing_accept)
    response = _post(client, link[1], {"run_id": "r1", "offers": good_offers})
    assert response.status_code == 400 and response.get_json()["error"] == "offer_rejected"
    assert wait_no_live() == 0
    assert created and created[0].closed.is_set() and created[0].close_reason == "bad_offer"
    assert created[0].ctl_pc.connectionState == "closed"


def _gzip_post(client, token, body: bytes, encoding: str = "gzip"):
    return client.post(
        f"/c/{token}/network/offer",
        data=body,
        headers={"Content-Encoding": encoding, "Content-Type": "application/json"},
    )


def test_bad_gzip_bodies_are_refused_and_leave_nothing(client, link, good_offers):
    body = json.dumps({"run_id": "r1", "offers": good_offers}).encode()
    packed = gzip.compress(body)
    cases = [
        (b"not gzip at all", 400, "offer_malformed"),
        (packed[: len(packed) // 2], 400, "offer_malformed"),  # cut short
        # A few KB that inflate past the request limit (a decompression bomb) are refused unread.
        (gzip.compress(b" " * (P.MAX_OFFER_REQUEST_BYTES + 10)), 400, "offer_too_large"),
        (gzip.compress(b"{not json"), 400, "offer_malformed"),
    ]
    for data, status, code in cases:
        response = _gzip_post(client, link[1], data)
        assert (response.status_code, response.get_json()["error"]) == (status, code)
    response = _gzip_post(client, link[1], body, encoding="br")
    assert response.status_code == 415 and response.get_json()["error"] == "offer_encoding"
    assert live_checks() == 0


def test_request_json_reads_plain_and_gzipped_bodies():
    body = json.dumps({"a": 1}).encode()
    assert request_json(body, None) == request_json(body, "identity") == {"a": 1}
    assert request_json(gzip.compress(body), " GZIP ") == {"a": 1}
    assert request_json(b"\xff\xfe", None) is None
    assert request_json(b"[" * 50_000, None) is None  # nested past the parser's depth
    with pytest.raises(OfferError) as raised:
        request_json(gzip.compress(b"x" * 101), "gzip", max_bytes=100)
    assert raised.value.code == "offer_too_large"
    # Exactly at the limit is fine.
    assert request_json(gzip.compress(b" " * 98 + b"{}"), "gzip", max_bytes=100) == {}
