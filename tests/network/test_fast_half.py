"""A lossy idle phase's fast half: counted apart, and left out of a direction's loss where it
crowded the link (stats.fast_half_counts).

End to end with the reference client against the app's own peer: loopback loses nothing, so the
client's test hook leaves probes unsent, as a lossy line would lose them. Every twentieth idle
probe makes the idle phase lossy (5 %), which starts the fast half.
"""

from __future__ import annotations

import pytest

from preflight.checks.network import NetworkPayload, assess, fast_down_counts
from preflight.netrules import protocol as P
from preflight.netrules import stats
from preflight.profiles import get_profile

IDLE, FAST = P.PHASE_IDLE, P.PHASE_IDLE | P.FAST


def _payload(result: dict) -> NetworkPayload:
    return NetworkPayload.model_validate({k: v for k, v in result.items() if k in NetworkPayload.model_fields})


def _run(net, run_id: str, lose: dict[int, int]) -> tuple[dict, dict]:
    result = net.run(run_id, idle_s=1.0, download=False, upload=False, lose_probes_every=lose)
    assert result["state"] == "connected", result
    return result, result["server_record"]


def test_a_fast_half_as_lossy_as_the_first_counts_in_both_directions(net, wait_no_live):
    result, record = _run(net, "run-fast-1", {IDLE: 20, FAST: 20})
    sent = result["probes_sent"]
    assert sent[str(IDLE)] > 100 and sent[str(FAST)] > 2 * sent[str(IDLE)]  # four times the rate
    assert record["loss_up_fast"]["counted"] is True, record["loss_up_fast"]
    assert record["probes_up_sent"] == sent[str(IDLE)] + sent[str(FAST)]
    assert record["loss_up_pct"] == pytest.approx(5.0, abs=0.5)
    # The fast half's echoes come back tagged as such, and count toward the downlink's loss.
    assert result["echoes_recv"][str(FAST)] == record["echoes_sent"][str(FAST)] > 0
    assert abs(result["fast_queue_down_ms"]) < stats.SPARE_QUEUE_MS
    assert fast_down_counts(_payload(result), record) is True
    assert wait_no_live() == 0


def test_a_fast_half_that_lost_far_more_than_the_first_is_left_out(net, wait_no_live, client):
    """A quarter of the fast half's probes lost against a twentieth of the first half's: the fast
    half crowded a thin uplink. Its loss is the probing's, not the line's, and the uplink's loss is
    counted on the first half alone."""
    result, record = _run(net, "run-fast-2", {IDLE: 20, FAST: 4})
    sent = result["probes_sent"]
    assert record["loss_up_fast"]["counted"] is False, record["loss_up_fast"]
    assert record["probes_up_sent"] == sent[str(IDLE)]
    assert record["loss_up_pct"] == pytest.approx(5.0, abs=1.5)
    # Posted as the page would: the stored verdict's loss is the first half's, and operators see why.
    finding = assess(_payload(result), record, get_profile("generic"), "attendee")
    assert finding.metrics["loss_up_pct"] == record["loss_up_pct"]
    assert finding.details["server"]["loss_up_fast"]["counted"] is False
    assert finding.details["loss_down_fast"]["counted"] is True  # the downlink lost nothing
    body = {"run_id": "run-fast-2", "checks": {"network": _payload(result).model_dump(exclude_none=True)}}
    response = client.post(f"/c/{net.token}/results", json=body)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["results"]["network"]["metrics"]["loss_up_pct"] == record["loss_up_pct"]
    assert wait_no_live() == 0


@pytest.mark.parametrize(
    ("base", "fast", "queue_ms", "counted"),
    [
        ((450, 428), (1700, 1615), 1.0, True),  # 5 % and 5 %
        ((450, 428), (1700, 1598), 1.0, True),  # 5 % and 6 %: sampling
        ((450, 441), (1700, 1580), 1.0, False),  # 2 % and 7 %: the fast half crowded the link
        ((450, 428), (1700, 1615), stats.SPARE_QUEUE_MS + 1, False),  # a standing queue
        ((450, 428), (1700, 1615), None, False),  # no delay to judge by
        ((450, 428), (0, 0), 0.0, False),  # no fast half
        ((0, 0), (1700, 1615), 0.0, False),  # nothing to compare with
        ((450, 450), (1700, 1700), 0.0, True),  # a clean link
    ],
)
def test_fast_half_counts(base, fast, queue_ms, counted):
    assert stats.fast_half_counts(base, fast, queue_ms) is counted


@pytest.mark.parametrize(
    ("recent", "base", "crowded"),
    [(20.0, 20.0, False), (59.9, 20.0, False), (60.1, 20.0, True), (None, 20.0, False), (400.0, None, False)],
)
def test_fast_half_crowded(recent, base, crowded):
    assert stats.fast_half_crowded(recent, base) is crowded


def test_the_reference_client_ends_a_fast_half_that_crowds_the_link():
    """Its round trips climb 300 ms over the first half's, as on a thin uplink: the half ends within
    a window and a round trip or two, not after its full length."""
    import asyncio

    from preflight.network.reference_client import _fast_half
    from preflight.network.reference_run import ClientRun, Plan
    from preflight.network.timing import now_ms

    run = ClientRun(Plan())
    run.rtts[IDLE] = [(now_ms() - 1000 + i, 20.0) for i in range(100)]
    run.base_rtts = len(run.rtts[IDLE])

    async def crowd() -> float:
        async def echoes():
            while True:
                run.rtts[IDLE].append((now_ms(), 320.0))
                await asyncio.sleep(0.005)

        feeder = asyncio.ensure_future(echoes())
        started = now_ms()
        try:
            await _fast_half(run, 3000)
        finally:
            feeder.cancel()
        return now_ms() - started

    took = asyncio.run(crowd())
    assert run.fast_half_crowded is True
    assert took < 1000, took


def test_the_reference_client_keeps_a_fast_half_that_does_not_crowd():
    import asyncio

    from preflight.network.reference_client import _fast_half
    from preflight.network.reference_run import ClientRun, Plan
    from preflight.network.timing import now_ms

    run = ClientRun(Plan())
    run.rtts[IDLE] = [(now_ms() - 1000 + i, 20.0) for i in range(100)]
    run.base_rtts = len(run.rtts[IDLE])
    run.rtts[IDLE].append((now_ms() + 10_000, 22.0))  # every round trip of the half: 2 ms more
    asyncio.run(_fast_half(run, 400))
    assert run.fast_half_crowded is False
