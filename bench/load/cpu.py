"""CPU use during a load test, per process group (gunicorn, PostgreSQL, locust) and for the machine."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any
from pathlib import Path


CLK_TCK = os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    """Direct children of ``pid`` (Linux /proc)."""
    path = Path(f"/proc/{pid}/task/{pid}/children")
    try:
        return [int(p) for p in path.read_text().split()]
    except OSError:
        return []


def cpu_seconds(pid: int) -> float:
    """User+system CPU seconds used so far by ``pid`` (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def pids_named(name: str) -> list[int]:
    """Processes whose command name is ``name`` (e.g. ``postgres``)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == name:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def system_cpu() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


@dataclass
class CpuMeter:
    """CPU seconds used by the server, PostgreSQL, locust and the machine during a run.

    Processes that exit or appear during the run are counted by sampling every second."""

    server: Any  # harness.Server (anything with pids())
    locust_pid: int | None = None
    samples: dict[str, dict[int, float]] = field(default_factory=lambda: {"gunicorn": {}, "postgres": {}, "locust": {}})
    start_usage: dict[str, dict[int, float]] = field(default_factory=dict)
    machine_start: tuple[float, float] = (0.0, 0.0)
    machine_end: tuple[float, float] = (0.0, 0.0)
    peak_busy: float = 0.0

    def _groups(self) -> dict[str, list[int]]:
        groups = {"gunicorn": self.server.pids(), "postgres": pids_named("postgres"), "locust": []}
        if self.locust_pid:
            groups["locust"] = [self.locust_pid, *children(self.locust_pid)]
        return groups

    def begin(self) -> None:
        """Remember where every process stood before the run."""
        self.machine_start = system_cpu()
        self._last = self.machine_start
        for group, pids in self._groups().items():
            self.start_usage[group] = {pid: cpu_seconds(pid) for pid in pids}
            self.samples[group] = dict(self.start_usage[group])

    def sample(self) -> None:
        """Record current usage (call about once a second)."""
        for group, pids in self._groups().items():
            for pid in pids:
                used = cpu_seconds(pid)
                if used:
                    self.samples[group][pid] = used
                    self.start_usage.setdefault(group, {}).setdefault(pid, 0.0)
        now = system_cpu()
        busy, total = now[0] - self._last[0], now[1] - self._last[1]
        if total > 0:
            self.peak_busy = max(self.peak_busy, busy / total)
        self._last = now

    def end(self) -> dict:
        """CPU seconds per group and the machine's average busy share."""
        self.sample()
        self.machine_end = system_cpu()
        used = {
            group: sum(v - self.start_usage[group].get(pid, 0.0) for pid, v in pids.items())
            for group, pids in self.samples.items()
        }
        busy = self.machine_end[0] - self.machine_start[0]
        total = self.machine_end[1] - self.machine_start[1]
        used["machine_busy_share"] = busy / total if total else 0.0
        used["machine_peak_busy_share"] = self.peak_busy
        # Everything else that ran meanwhile (other jobs on a shared machine skew the latencies).
        used["other"] = max(0.0, busy / CLK_TCK - used["gunicorn"] - used["postgres"] - used["locust"])
        used["cores"] = os.cpu_count() or 1
        return used
