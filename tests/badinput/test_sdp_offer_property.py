"""Property test of the signalling request check (``preflight.network.offer.parse_request``): valid offers
mutated line by line, and arbitrary JSON, either pass or raise ``OfferError`` (the view's 400) —
never another exception, which would be a 500 after peers might have been created.
The HTTP side (400 and no live peer for refused offers) is covered in tests/network/test_offers.py.
"""

from __future__ import annotations

import asyncio

import pytest
from aiortc import RTCPeerConnection
from hypothesis import given, settings
from hypothesis import strategies as st

from preflight.network.offer import OfferError, parse_request

# Calls asyncio.run() in the main thread (tests/conftest.py, SERIAL_MARKERS).
pytestmark = pytest.mark.own_loop

SETTINGS = settings(max_examples=200, deadline=None, database=None)


async def _offer(kind: str, audio: bool = False) -> str:
    pc = RTCPeerConnection()
    if audio:
        pc.addTransceiver("audio")
    pc.createDataChannel(kind)
    await pc.setLocalDescription(await pc.createOffer())
    sdp = pc.localDescription.sdp
    await pc.close()
    return sdp


@pytest.fixture(scope="module")
def offers() -> dict[str, str]:
    async def make():
        return {"ctl": await _offer("ctl"), "bulk": await _offer("bulk"), "audio": await _offer("ctl", audio=True)}

    return asyncio.run(make())


GARBAGE_LINES = [
    "a=",
    "m=",
    "m=application",
    "m=video 9 UDP/TLS/RTP/SAVPF 96",
    "a=fingerprint:",
    "a=fingerprint:sha-256 zz",
    "a=ice-ufrag:",
    "a=sctp-port:-1",
    "a=sctp-port:99999999999999999999",
    "c=IN IP4",
    "a=candidate:x",
    "a=candidate:1 1 udp",
    "a=rtpmap:96",
    "a=setup:",
    "o=",
    "t=0",
    "v=1",
    "\x00",
    "a=" + "x" * 5000,
    "a=group:BUNDLE 0 1 2",
    "a=mid:",
    "b=AS:-5",
]


@st.composite
def mutated_sdp(draw, sdp: str) -> str:
    lines = sdp.split("\r\n")
    for _ in range(draw(st.integers(1, 4))):
        action = draw(st.sampled_from(["drop", "duplicate", "garbage", "edit", "swap"]))
        index = draw(st.integers(0, max(0, len(lines) - 1)))
        if action == "drop" and lines:
            lines.pop(index)
        elif action == "duplicate" and lines:
            lines.insert(index, lines[index])
        elif action == "garbage":
            lines.insert(index, draw(st.one_of(st.sampled_from(GARBAGE_LINES), st.text(max_size=40))))
        elif action == "edit" and lines:
            line = lines[index]
            cut = draw(st.integers(0, len(line)))
            lines[index] = line[:cut] + draw(st.text(max_size=10)) + line[cut + draw(st.integers(0, 5)) :]
        elif action == "swap" and len(lines) > 1:
            other = draw(st.integers(0, len(lines) - 1))
            lines[index], lines[other] = lines[other], lines[index]
    return draw(st.sampled_from(["\r\n", "\n"])).join(lines)


def _check(body) -> None:
    try:
        parse_request(body)
    except OfferError as exc:
        assert exc.code.startswith("offer_")


def test_mutated_offers_are_refused_cleanly(offers):
    @given(data=st.data())
    @SETTINGS
    def run(data):
        which = data.draw(st.sampled_from(["ctl", "bulk"]))
        ctl = data.draw(mutated_sdp(offers["ctl"])) if which == "ctl" else offers["ctl"]
        bulk = data.draw(mutated_sdp(offers["bulk"])) if which == "bulk" else offers["bulk"]
        _check({"run_id": "run-1234", "offers": [{"kind": "ctl", "sdp": ctl}, {"kind": "bulk", "sdp": bulk}]})

    run()


@given(
    body=st.recursive(
        st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20)),
        lambda c: st.one_of(
            st.lists(c, max_size=4),
            st.dictionaries(st.sampled_from(["run_id", "offers", "kind", "sdp", "x"]), c, max_size=4),
        ),
        max_leaves=15,
    )
)
@SETTINGS
def test_any_json_is_refused_cleanly(body):
    _check(body)


def test_wrong_media_and_huge_offers_are_refused(offers):
    with pytest.raises(OfferError, match="no audio or video"):
        parse_request(
            {
                "run_id": "r1",
                "offers": [{"kind": "ctl", "sdp": offers["audio"]}, {"kind": "bulk", "sdp": offers["bulk"]}],
            }
        )
    huge = offers["ctl"] + "a=x-pad:" + "x" * 200_000 + "\r\n"
    with pytest.raises(OfferError) as caught:
        parse_request(
            {"run_id": "r1", "offers": [{"kind": "ctl", "sdp": huge}, {"kind": "bulk", "sdp": offers["bulk"]}]}
        )
    assert caught.value.code == "offer_too_large"
    many = [{"kind": "ctl", "sdp": offers["ctl"]}] + [{"kind": "bulk", "sdp": offers["bulk"]}] * 50
    with pytest.raises(OfferError):
        parse_request({"run_id": "r1", "offers": many})
