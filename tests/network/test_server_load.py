"""A whole check over loopback records how busy the server's loop was in each phase, and a
server that could not keep up is not read as the participant's poor line."""

from __future__ import annotations

import threading
import time

from prometheus_client import REGISTRY

from preflight.checks.network import NetworkPayload, assess, strained_phases
from preflight.netrules import protocol as P
from preflight.network.host import get_host
from preflight.profiles import SERVER_LOAD_THRESHOLDS as LIMITS
from preflight.profiles import get_profile


class LoopHog:
    """Blocks the server's WebRTC loop 40 ms in every 50 (as a core shared with too much would)."""

    def __init__(self) -> None:
        self.running = threading.Event()

    def _block(self) -> None:
        if self.running.is_set():
            time.sleep(0.04)
            get_host().loop().call_later(0.01, self._block)

    def __enter__(self) -> "LoopHog":
        self.running.set()
        get_host().loop().call_soon_threadsafe(self._block)
        return self

    def __exit__(self, *exc) -> None:
        self.running.clear()


def test_each_phase_of_a_check_has_the_loops_load(net):
    record = net.run("run-load-1")["server_record"]
    load = record["server_load"]
    assert set(load) == {str(P.PHASE_IDLE), str(P.PHASE_DOWN), str(P.PHASE_UP)}
    for window in load.values():
        assert window["ticks"] >= 5 and window["late_p90_ms"] >= 0 and 0 <= window["cpu"] <= 1


def test_a_blocked_server_loop_is_recorded_and_its_failures_set_aside(net_for, client):
    # A presenter of a Zoom event: the role that needs the most, so a starved figure fails first.
    net = net_for(role="presenter")
    with LoopHog():
        result = net.run("run-load-2")
    record = result["server_record"]
    assert all(window["late_p90_ms"] > LIMITS.late_p90_ms.value for window in record["server_load"].values())
    assert strained_phases(record) == [P.PHASE_IDLE, P.PHASE_DOWN, P.PHASE_UP]
    # Whatever the hog did to the figures, none of it is a verdict on the line.
    # The reference client's result is the page's payload, with the client's own extras.
    page = NetworkPayload.model_validate({k: v for k, v in result.items() if k in NetworkPayload.model_fields})
    finding = assess(page, record, get_profile("zoom"), "presenter")
    blamed = {"low_upload", "low_download", "high_latency", "high_jitter", "packet_loss", "bufferbloat"}
    assert not blamed & {issue["reason"] for issue in finding.details["issues"]}
    assert finding.reason in ("network_ok", "server_busy")

    # Posted as the page would: the stored verdict is the same, and operators see the strain.
    before = {phase: _strained_count(phase) for phase in ("idle", "down", "up")}
    fields = page.model_dump(exclude_none=True)
    response = client.post(f"/c/{net.token}/results", json={"run_id": "run-load-2", "checks": {"network": fields}})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["results"]["network"]["reason"] == finding.reason
    assert {phase: _strained_count(phase) - before[phase] for phase in before} == {"idle": 1, "down": 1, "up": 1}


def _strained_count(phase: str) -> float:
    return REGISTRY.get_sample_value("preflight_network_phases_strained_total", {"phase": phase}) or 0.0
