"""Reading locust's CSV results: per-endpoint latency and failures, and the table printed from them."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path


@dataclass
class EndpointStats:
    """One line of locust's ``*_stats.csv``."""

    name: str
    requests: int
    failures: int
    rps: float
    p50: float
    p95: float
    p99: float
    max: float


def read_stats(csv_prefix: Path) -> list[EndpointStats]:
    """Per-endpoint figures plus the ``Aggregated`` line (last)."""
    rows = []
    with open(f"{csv_prefix}_stats.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            name = row["Name"] if row["Type"] in ("", None) else f"{row['Type']} {row['Name']}"
            rows.append(
                EndpointStats(
                    name=name.strip(),
                    requests=int(row["Request Count"]),
                    failures=int(row["Failure Count"]),
                    rps=float(row["Requests/s"]),
                    p50=_num(row["50%"]),
                    p95=_num(row["95%"]),
                    p99=_num(row["99%"]),
                    max=_num(row["Max Response Time"]),
                )
            )
    return rows


def read_failures(csv_prefix: Path) -> list[dict]:
    """Locust's failure table (method, name, error, occurrences)."""
    path = Path(f"{csv_prefix}_failures.csv")
    if not path.exists():
        return []
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def _num(value: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def print_table(stats: list[EndpointStats], duration: float) -> None:
    """The per-endpoint table."""
    print(f"{'endpoint':54} {'requests':>9} {'fail':>5} {'req/s':>7} {'p50':>6} {'p95':>6} {'p99':>6} {'max':>7}  (ms)")
    for s in stats:
        print(
            f"{s.name[:54]:54} {s.requests:>9} {s.failures:>5} {s.requests / duration if duration else 0:>7.1f} "
            f"{s.p50:>6.0f} {s.p95:>6.0f} {s.p99:>6.0f} {s.max:>7.0f}"
        )
