"""What the server's upload meter counts: every packet of the upload and control connections,
at IP level, during the upload phase only (upload.py)."""

from __future__ import annotations

import asyncio
import types

from preflight.netrules import protocol as P
from preflight.network.upload import UploadMeter


def _channel() -> types.SimpleNamespace:
    """A data channel whose association hands every packet to ``transport._handle_data``, as aiortc's does."""
    handled: list[bytes] = []

    async def handle_data(data: bytes) -> None:
        handled.append(data)

    channel = types.SimpleNamespace(transport=types.SimpleNamespace(_handle_data=handle_data), handled=handled)
    channel.on = lambda event, handler: None
    return channel


def _meter(phase: dict) -> UploadMeter:
    return UploadMeter(active=lambda: phase["up"], heard=lambda: None, trace=lambda *a, **k: None)


def test_the_control_connections_packets_count_during_the_upload_only():
    phase = {"up": False}
    meter = _meter(phase)
    control = _channel()
    meter.add_control(control)
    assert meter.control_counted

    asyncio.run(control.transport._handle_data(bytes(60)))  # an acknowledgement before the upload
    assert meter.bytes_wire == 0
    phase["up"] = True
    asyncio.run(control.transport._handle_data(bytes(60)))
    asyncio.run(control.transport._handle_data(bytes(100)))
    assert meter.bytes_wire == 160 + 2 * P.DATAGRAM_OVERHEAD_BYTES
    assert len(control.handled) == 3  # every packet still reaches the association

    # The probe itself was counted with its packet: noting it adds nothing.
    meter.note_probe(received=1000.0, transit=20.0, idle=False, size=P.PROBE.size)
    assert meter.bytes_wire == 160 + 2 * P.DATAGRAM_OVERHEAD_BYTES


def test_without_the_associations_internals_each_probe_is_counted_instead():
    phase = {"up": True}
    meter = _meter(phase)
    meter.add_control(types.SimpleNamespace(transport=None))
    assert not meter.control_counted
    meter.note_probe(received=1000.0, transit=20.0, idle=False, size=P.PROBE.size)
    assert meter.bytes_wire == P.wire_bytes(P.PROBE.size)


def test_upload_packets_count_with_their_headers_and_reach_the_association():
    phase = {"up": True}
    meter = _meter(phase)
    bulk = _channel()
    meter.add_channel(bulk)
    asyncio.run(bulk.transport._handle_data(bytes(1200)))
    assert meter.bytes_wire == 1200 + P.DATAGRAM_OVERHEAD_BYTES
    assert len(bulk.handled) == 1
