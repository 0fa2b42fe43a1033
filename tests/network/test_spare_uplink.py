"""The uplink's loss counts the download phase's probes where the uplink had room then (stats.spare_direction)."""

from __future__ import annotations

import asyncio
import time

import pytest

from preflight.checks.network import NetworkPayload, assess
from preflight.netrules import protocol as P
from preflight.netrules import stats
from preflight.network import reference_client
from preflight.network.aiortc_internals import count_datagrams
from preflight.network.spare_uplink import SpareUplink
from preflight.profiles import get_profile


@pytest.mark.parametrize(
    ("use_kbps", "rate_kbps", "queue_ms", "spare"),
    [
        (400, 10_000, 1.0, True),  # a 10 Mbit/s download's acknowledgements on a 10 Mbit/s uplink
        (350, 1_000, 4.0, True),  # ADSL 8/1: a third of the uplink
        (213, 300, 2.0, False),  # 4 Mbit/s down beside a 300 kbit/s uplink: crowded
        (400, 10_000, 35.0, False),  # room by the figures, yet a standing queue
        (500, 1_000, 0.0, True),  # at the share exactly
        (None, 1_000, 0.0, False),  # the download never ended
        (100, None, 0.0, False),  # no upload rate
        (100, 1_000, None, False),  # no probe timed
        (100, 0, 0.0, False),
    ],
)
def test_a_direction_is_spare_with_room_and_no_queue(use_kbps, rate_kbps, queue_ms, spare):
    assert stats.spare_direction(use_kbps, rate_kbps, queue_ms) is spare


# Chromium on thin-lossy (300 kbit/s up, 2 % loss): the 2 Mbit/s download's acknowledgements used
# ~80 % of the uplink with no queue; 447 of 451 idle probes and 178 of 181 download ones arrived.
IDLE, AGREES = (451, 447), (181, 178)


@pytest.mark.parametrize(
    ("use_kbps", "rate_kbps", "queue_ms", "idle", "loaded", "spare"),
    [
        (244, 292, 0.3, IDLE, AGREES, True),
        (244, 292, 0.3, IDLE, (181, 160), False),  # 12 % lost against 1 %: a buffer overflowed
        (257, 303, 395.5, IDLE, AGREES, False),  # Firefox's acknowledgements: a standing queue
        (280, 292, 0.3, IDLE, AGREES, False),  # above SPARE_FULL_SHARE: no room, whatever the count
        (244, 292, 0.3, None, None, False),  # no counts to compare
        (244, 292, 0.3, IDLE, (0, 0), False),  # no download probes
        (100, 292, 0.3, IDLE, (181, 160), True),  # plainly spare: the counts are not asked
    ],
)
def test_a_busier_direction_counts_where_its_loss_agrees_with_the_idle_one(
    use_kbps, rate_kbps, queue_ms, idle, loaded, spare
):
    assert stats.spare_direction(use_kbps, rate_kbps, queue_ms, idle, loaded) is spare


@pytest.mark.parametrize(
    ("base", "extra", "agrees"),
    [
        ((451, 447), (181, 178), True),
        ((451, 447), (181, 170), False),  # 6 % against 1 %: z = 3.9
        ((451, 447), (181, 173), True),  # 4.4 % against 0.9 %: z = 2.9, sampling can do that
        ((2000, 1900), (2000, 1920), True),  # fewer lost than the base
        ((0, 0), (181, 178), False),
        ((451, 451), (181, 181), True),  # a clean line
    ],
)
def test_loss_agrees_within_three_standard_errors(base, extra, agrees):
    assert stats.loss_agrees(base, extra) is agrees


class _Transport:
    async def _handle_data(self, data: bytes) -> None:
        pass


class _Channel:
    def __init__(self) -> None:
        self.transport = _Transport()


def test_two_meters_on_one_connection_share_one_wrapper():
    """The control connection is counted by the upload's meter and the spare uplink's: its packet
    handler is wrapped once (one more step per packet, not two), and each meter sees every packet."""
    channel, first, second = _Channel(), [], []
    assert count_datagrams(channel, first.append)
    wrapped = channel.transport._handle_data
    assert count_datagrams(channel, second.append)
    assert channel.transport._handle_data is wrapped
    asyncio.run(wrapped(b"x" * 10))
    assert first == second == [10]
    assert count_datagrams(object(), first.append) is False  # nothing to wrap


def test_the_meter_counts_every_packet_of_the_download_phase_only():
    download = {"on": False}
    meter = SpareUplink(active=lambda: download["on"])
    channel = _Channel()
    meter.watch(channel)

    async def receive(count: int) -> None:
        for _ in range(count):
            await channel.transport._handle_data(b"x" * 100)

    asyncio.run(receive(5))  # idle: not counted
    download["on"] = True
    meter.start()
    asyncio.run(receive(50))
    time.sleep(0.1)
    meter.stop()
    download["on"] = False
    asyncio.run(receive(5))
    wire = 50 * (100 + P.DATAGRAM_OVERHEAD_BYTES)
    assert meter.bytes_wire == wire
    use = meter.use_kbps()
    assert 0.5 * wire * 8 / 100 < use <= wire * 8 / 100
    for transit in (10.0, 11.0, 12.0):
        meter.note_probe(transit)
    judged = meter.judge(base_transit=10.5, upload_kbps=10_000)
    assert judged == {"spare": True, "use_kbps": round(use, 1), "queue_ms": 0.5}
    assert meter.judge(base_transit=10.5, upload_kbps=use)["spare"] is False
    assert meter.judge(base_transit=None, upload_kbps=10_000)["spare"] is False
    # Most of the uplink used: the probes count only where they lost no more than the idle ones.
    busy = use / 0.8
    assert meter.judge(10.5, busy, idle=(450, 441), loaded=(180, 176))["spare"] is True
    assert meter.judge(10.5, busy, idle=(450, 441), loaded=(180, 150))["spare"] is False


def test_the_download_phase_probes_count_toward_the_uplink_loss_when_it_had_room(net, wait_no_live):
    """Every tenth download-phase probe is never sent. On loopback the uplink has room during the
    download, so the server counts those probes: the uplink's loss is the download phase's share."""
    result = net.run("run-spare-1", idle_s=1.0, phase_cap_s=2.5, lose_probes_every={P.PHASE_DOWN: 10})
    assert result["state"] == "connected", result
    record = result["server_record"]
    sent = result["probes_sent"]
    judged = record["loss_up_download"]
    assert judged["use_kbps"] < stats.SPARE_SHARE * record["upload_kbps"], judged
    assert judged["spare"] is True, judged
    idle, download = sent[str(P.PHASE_IDLE)], sent[str(P.PHASE_DOWN)]
    assert download > 20
    assert record["probes_up_sent"] == idle + download
    lost = record["probes_up_sent"] - record["probes_up_recv"]
    # A tenth of the download phase's probes, none of the idle ones (loopback loses nothing).
    assert abs(lost - download / 10) <= 1
    assert record["loss_up_pct"] == round(100 * lost / (idle + download), 2)
    assert wait_no_live() == 0


def test_without_room_only_the_idle_probes_count(net, wait_no_live, monkeypatch):
    """The same check where no uplink would count as spare: the lost download probes are left out."""
    monkeypatch.setattr(stats, "SPARE_SHARE", 0.0)
    monkeypatch.setattr(stats, "SPARE_FULL_SHARE", 0.0)
    result = net.run("run-spare-2", idle_s=1.0, phase_cap_s=2.5, lose_probes_every={P.PHASE_DOWN: 10})
    assert result["state"] == "connected", result
    record = result["server_record"]
    assert record["loss_up_download"]["spare"] is False
    assert record["probes_up_sent"] == result["probes_sent"][str(P.PHASE_IDLE)]
    assert record["loss_up_pct"] == 0.0
    assert wait_no_live() == 0


def test_a_busier_uplink_counts_the_download_probes_only_where_they_lost_no_more(net, wait_no_live, monkeypatch):
    """Every uplink counts as busier than plainly spare (SPARE_SHARE 0): the download phase's probes
    count where they lost no more than the idle ones, and are left out where a tenth went missing."""
    monkeypatch.setattr(stats, "SPARE_SHARE", 0.0)
    clean = net.run("run-spare-3", idle_s=1.0, phase_cap_s=2.5)
    assert clean["state"] == "connected", clean
    record = clean["server_record"]
    assert record["loss_up_download"]["spare"] is True, record["loss_up_download"]
    sent = clean["probes_sent"]
    assert record["probes_up_sent"] == sent[str(P.PHASE_IDLE)] + sent[str(P.PHASE_DOWN)]
    lossy = net.run("run-spare-4", idle_s=1.0, phase_cap_s=2.5, lose_probes_every={P.PHASE_DOWN: 10})
    assert lossy["state"] == "connected", lossy
    record = lossy["server_record"]
    assert record["loss_up_download"]["spare"] is False, record["loss_up_download"]
    assert record["probes_up_sent"] == lossy["probes_sent"][str(P.PHASE_IDLE)]
    assert record["loss_up_pct"] == 0.0
    # The stored verdict's details say why, for staff and operators.
    payload = NetworkPayload.model_validate(reference_client.page_payload(lossy))
    finding = assess(payload, record, get_profile("generic"), "attendee")
    assert finding.details["server"]["loss_up_download"] == record["loss_up_download"]
    assert wait_no_live() == 0
