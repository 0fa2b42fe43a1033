"""A lossy idle phase's fast half: counted apart, and left out of a direction's loss where it
crowded the link (stats.fast_half_counts).

End to end with the reference client against the app's own peer: loopback loses nothing, so the
client's test hook leaves probes unsent, as a lossy line would lose them. Every twentieth idle
probe makes the idle phase lossy (5 %), which starts the fast half halfway through the first.
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
    # The loss was certain halfway through the first half (stats.idle_lossy_already): the fast half
    # began there, and ran at four times the rate for the remaining 1.5 s.
    assert 60 <= sent[str(IDLE)] <= 100 and sent[str(FAST)] > 6 * sent[str(IDLE)], sent
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


async def _idle_on_a_model_link(
    run,
    *,
    crowd_rtt: float | None,
    drains: bool,
    lose_every: int = 10,
    stall_ms: float | None = None,
    left_ms: float = 0.0,
    resumed: list | None = None,
) -> float:
    """The reference client's idle phase (``_idle``) against a model of the link, fed every 5 ms as
    echoes would feed it: a 20 ms round trip that loses every ``lose_every``-th idle probe; its fast
    half's round trips stand at ``crowd_rtt`` (None: as the first half's), or only for ``stall_ms``
    from 100 ms into it (a stall, not a queue). Once the fast half stops, the echoes of its queued
    probes keep coming for 300 ms if the queue ``drains``, else for ever. The first half's probes
    then go at the client's rate (gentler while it resumes), their round trips standing at
    ``crowd_rtt`` for ``left_ms`` more (the queue an echo's silence does not show); ``resumed``
    collects (time, rate) per probe sent after the fast half. Returns how long the phase took (ms)."""
    import asyncio

    from preflight.network.reference_client import _idle
    from preflight.network.timing import now_ms

    async def link():
        first_seq = 0
        next_first, fast_since = now_ms(), None
        while True:
            now = now_ms()
            if not run.fast:  # the first half's probes, at their own rate: before the fast half and after it
                while now >= next_first:
                    hz = run.plan.crowded_probe_hz if run.resuming_gently else run.plan.idle_probe_hz
                    queued = run.drain_started is not None and now - run.drain_started < 300 + left_ms
                    if run.drain_started is not None and resumed is not None:
                        resumed.append((now, hz))
                    run.sent[IDLE] = first_seq + 1
                    if (first_seq + 1) % lose_every:
                        run.echoes_recv[IDLE] = run.echoes_recv.get(IDLE, 0) + 1
                        run.idle_seq_seen = first_seq
                        run.rtts[IDLE].append((now, crowd_rtt if queued else 20.0))
                        run.last_echo_at = now
                    first_seq, next_first = first_seq + 1, next_first + 1000 / hz
            else:
                next_first = now
                fast_since = fast_since or now
                stalled = stall_ms is None or 100 <= now - fast_since < 100 + stall_ms
                stopped = run.drain_started
                if stopped is None or not drains or now - stopped < 300:
                    run.rtts[IDLE].append((now, crowd_rtt if crowd_rtt is not None and stalled else 20.0))
                    run.last_echo_at = now
            await asyncio.sleep(0.005)

    feeder = asyncio.ensure_future(link())
    started = now_ms()
    try:
        await _idle(run)
    finally:
        feeder.cancel()
    return now_ms() - started


def _client_run(idle_s: float):
    from preflight.network.reference_run import ClientRun, Plan

    return ClientRun(Plan(idle_s=idle_s))


def test_the_fast_half_starts_halfway_once_the_loss_is_certain():
    """Every tenth idle probe lost: the idle phase is lossy whatever follows, so its fast half starts
    halfway through the first half, and the phase still ends at twice its planned length."""
    import asyncio

    run = _client_run(1.0)
    took = asyncio.run(_idle_on_a_model_link(run, crowd_rtt=None, drains=True))
    assert run.lossy is True and run.fast_half_crowded is False
    assert 60 <= run.sent[IDLE] <= 90, run.sent  # half of the first half's 150
    assert 1900 <= took < 2300, took


def test_a_clean_first_half_keeps_its_length_and_has_no_fast_half():
    import asyncio

    run = _client_run(0.6)
    took = asyncio.run(_idle_on_a_model_link(run, crowd_rtt=None, drains=True, lose_every=10_000))
    assert run.lossy is False and run.base_rtts is None
    assert 550 <= took < 800, took


def test_a_crowded_fast_half_drains_then_the_first_half_resumes_to_the_phases_end():
    """Its round trips climb 300 ms over the first half's, as on a thin uplink: it stops, and once
    the echoes of its queue stop coming, the first half's probing resumes, gently for the first
    echoes, then at its own rate until the lengthened phase's end, which gets back the time since
    the fast half was found crowded (at most a third of the planned length): more probes than
    planned."""
    import asyncio

    run = _client_run(1.0)
    resumed: list = []
    took = asyncio.run(_idle_on_a_model_link(run, crowd_rtt=320.0, drains=True, resumed=resumed))
    assert run.fast_half_crowded is True and run.fast is False and run.resume_cleared is True
    # Halfway (0.5 s): 75; crowded a window and a round trip later, 0.3 s of queue and the
    # silence that says it drained; ten gentle probes (0.2 s); then 150 a second to the end.
    # ~0.65 s from crowded to the first half's rate again, given back up to 0.33 s.
    assert stats.FAST_GIVEN_BACK_SHARE == 1 / 3
    assert run.sent[IDLE] >= 150 + 70, run.sent
    assert 2300 <= took < 2650, took
    rates = [hz for _, hz in resumed]
    gentle = rates.count(run.plan.crowded_probe_hz)
    assert rates[0] == run.plan.crowded_probe_hz and rates[-1] == run.plan.idle_probe_hz, rates
    assert stats.FAST_CROWDED_ECHOES // 2 <= gentle <= stats.FAST_CROWDED_ECHOES // 2 + 2, rates


def test_a_resumed_first_half_stays_gentle_while_a_queue_is_left():
    """The echoes' silence says the downlink drained; an uplink can still hold a queue (Firefox's
    thin uplink held ~250 ms). The resumed first half probes at crowded_probe_hz until the round
    trip of its last ten echoes is back to the first half's, then at idle_probe_hz."""
    import asyncio

    run = _client_run(1.0)
    resumed: list = []
    took = asyncio.run(_idle_on_a_model_link(run, crowd_rtt=320.0, drains=True, left_ms=400.0, resumed=resumed))
    gentle = [t for t, hz in resumed if hz == run.plan.crowded_probe_hz]
    assert run.resume_cleared is True
    assert took < 2 * 1000 + 1000 / 3 + 300, took  # what is given back is capped
    # 0.4 s at 50 a second: ~20 probes, and the median of the last ten turning back after five more.
    assert 0.4 * run.plan.crowded_probe_hz <= len(gentle) <= 0.4 * run.plan.crowded_probe_hz + 10, resumed
    assert resumed[-1][1] == run.plan.idle_probe_hz


def test_the_one_way_zero_comes_from_the_unhurried_echoes():
    """down_transits (jitter, the download's zero queue) keep the idle echoes from before any fast
    half: a first half resumed after it meets the queues that fast half left (network-flows.js)."""
    run = _client_run(1.0)
    echo = lambda tag, t_server: P.ECHO.pack(P.ECHO_TYPE, tag, 0, 1, 1, 0, 0.0, t_server)  # noqa: E731
    run.on_echo(echo(IDLE, 0.0))
    from preflight.network.reference_client import _start_fast_half

    _start_fast_half(run)
    run.on_echo(echo(FAST, 0.0))
    run.on_echo(echo(IDLE, -250.0))  # 250 ms longer on its way
    assert len(run.down_transits) == 1 and len(run.fast_down_transits) == 1
    assert run.echoes_recv[IDLE] == 2


def test_a_crowded_fast_half_that_never_drains_ends_the_idle_phase():
    import asyncio

    from preflight.netrules import stats as rules

    run = _client_run(2.0)
    took = asyncio.run(_idle_on_a_model_link(run, crowd_rtt=320.0, drains=False))
    assert run.fast_half_crowded is True and run.fast is False and run.resumed_rtts is None
    assert run.sent[IDLE] < 200, run.sent  # the first half did not resume
    # Halfway (1 s), crowded a window and a round trip later, then the drain's cap.
    assert took < 1000 + 600 + rules.FAST_DRAIN_MAX_MS + 300, took


def test_a_stall_does_not_stop_the_fast_half():
    """60 ms of echoes delayed 300 ms at once (a stall of the browser or the server, not a queue):
    the fast half runs on to the idle phase's end."""
    import asyncio

    run = _client_run(1.0)
    took = asyncio.run(_idle_on_a_model_link(run, crowd_rtt=320.0, drains=True, stall_ms=60))
    assert run.fast_half_crowded is False and run.lossy is True
    assert run.sent[IDLE] <= 90, run.sent
    assert took >= 1900, took


class _CountingChannel:
    readyState = "open"

    def __init__(self) -> None:
        self.tags: list[int] = []

    def send(self, packet: bytes) -> None:
        self.tags.append(P.PROBE.unpack(packet)[1])


def _download_probes(crowded: bool) -> int:
    """How many probes the reference client sends in 0.5 s of its download phase."""
    import asyncio

    from preflight.network.reference_client import _send_probes

    run = _client_run(1.0)
    run.phase = P.PHASE_DOWN
    run.drain_started = 1.0 if crowded else None
    channel = _CountingChannel()

    async def half_a_second() -> None:
        sender = asyncio.ensure_future(_send_probes(run, channel))
        await asyncio.sleep(0.5)
        sender.cancel()

    asyncio.run(half_a_second())
    assert set(channel.tags) <= {P.PHASE_DOWN}
    return len(channel.tags)


def test_after_a_crowded_fast_half_the_download_probes_at_half_the_rate():
    """A fast half that crowded the link marks a thin one: the download phase then probes at
    crowded_probe_hz (50 a second) so that its acknowledgements and probes leave the uplink room
    (network-flows.js, bulkProbeHz); otherwise at probe_hz (100)."""
    plan = _client_run(1.0).plan
    assert plan.crowded_probe_hz == plan.probe_hz / 2
    crowded, normal = _download_probes(crowded=True), _download_probes(crowded=False)
    assert 0.5 * plan.crowded_probe_hz - 4 <= crowded <= 0.5 * plan.crowded_probe_hz + 4, crowded
    assert 0.5 * plan.probe_hz - 4 <= normal <= 0.5 * plan.probe_hz + 4, normal
