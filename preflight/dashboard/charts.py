"""Charts of an event's readiness, as server-side SVG (pygal) with the same figures as tables.

Each chart has a ``*_data`` function (used for the SVG and for the text table
next to it) and is drawn without relying on colour alone: line series differ by
dash pattern, the second bar series is hatched, values are printed on bars.
"""

from __future__ import annotations

import re
import sys
from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime, timedelta

import pygal
from flask_babel import format_datetime
from flask_babel import gettext as _
from pygal.style import Style
from sqlalchemy import select
from sqlmodel import Session

from ..models import CheckResult, CheckRun, Event, Participant, utcnow
from .format import CATEGORIES, CATEGORY_LABELS, STATUS_LABELS
from ..results.values import metrics
from .status import JUDGED, latest_runs

# pygal appends a legacy import hook (find_module only, for its map plugins, unused here) to
# sys.meta_path; every later failed import in the process would then raise an ImportWarning.
sys.meta_path[:] = [finder for finder in sys.meta_path if type(finder).__name__ != "PluginImportFixer"]

STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#1b1f24",
    foreground_strong="#1b1f24",
    foreground_subtle="#57606a",
    colors=("#1a7f37", "#9a6700", "#cf222e", "#57606a", "#1e5ac8"),
    font_family="system-ui, sans-serif",
    value_font_size=14,
    label_font_size=13,
    major_label_font_size=13,
    legend_font_size=14,
    title_font_size=16,
)
DASHES = ("", "8,4", "2,4", "12,4,2,4")
HATCH = (
    '<pattern id="hatch" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
    '<rect width="8" height="8" fill="#f3e7c6"/><line x1="0" y1="0" x2="0" y2="8" stroke="#9a6700" '
    'stroke-width="4"/></pattern>'
)
BANDWIDTH_BINS = (500, 1000, 2000, 5000, 10000, 20000, 50000)  # kbit/s upper bounds
RTT_BINS = (50, 100, 200, 300, 500)  # ms upper bounds
# Readiness over time: the finest of these steps that gives at most MAX_POINTS points, so a trend shows
# whether invitations went out an hour or a month before the event (hourly alone gave 1-2 points).
STEPS = tuple(timedelta(minutes=m) for m in (5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080))
MAX_POINTS = 48
SCRIPT = re.compile(r"<script.*?</script>", re.S)


@dataclass
class Table:
    """A chart's figures: column headers and rows (the text alternative)."""

    title: str
    columns: list[str]
    rows: list[list]


def _config(**extra) -> dict:
    return {
        **dict(
            style=STYLE,
            js=[],
            disable_xml_declaration=True,
            width=800,
            height=400,
            legend_at_bottom=True,
            truncate_legend=-1,
            truncate_label=-1,
        ),
        **extra,
    }


def to_svg(chart) -> bytes:
    """Render without pygal's script (the SVG is shown as an image; scripts would not run anyway)."""
    return SCRIPT.sub("", chart.render(is_unicode=True)).encode()


# --- readiness over time -------------------------------------------------------------------------


def readiness_data(session: Session, event: Event, now: datetime | None = None) -> Table:
    """Participants in each status at regular times from the first invitation until the event (or now)."""
    now = now or utcnow()
    created = [
        c
        for (c,) in session.execute(
            select(Participant.created_at).where(Participant.event_id == event.id).order_by(Participant.created_at)
        )
    ]
    columns = [_("Time")] + [str(STATUS_LABELS[s]) for s in ("ready", "warnings", "not_ready", "not_started")]
    if not created:
        return Table(_("Readiness over time"), columns, [])
    runs = session.execute(
        select(CheckRun.participant_id, CheckRun.created_at, CheckRun.overall)
        .join(Participant, Participant.id == CheckRun.participant_id)
        .where(Participant.event_id == event.id, CheckRun.overall.in_(JUDGED))
        .order_by(CheckRun.created_at, CheckRun.id)
    ).all()
    start, end = created[0], max(min(now, event.starts_at), created[0])
    step = next((s for s in STEPS if (end - start) / s <= MAX_POINTS), STEPS[-1])
    points, t = [], start + step
    while t < end:
        points.append(t)
        t += step
    points = points[-MAX_POINTS:] + [end]
    latest: dict[int, str] = {}
    rows, i = [], 0
    for point in points:
        while i < len(runs) and runs[i][1] <= point:
            latest[runs[i][0]] = runs[i][2]
            i += 1
        total = bisect_right(created, point)
        values = list(latest.values())
        ready, warn, fail = values.count("pass"), values.count("warn"), values.count("fail")
        label = format_datetime(point, "short") if step < timedelta(days=1) else format_datetime(point, "d MMM")
        rows.append([label, ready, warn, fail, max(total - ready - warn - fail, 0)])
    return Table(_("Readiness over time"), columns, rows)


def readiness_svg(table: Table) -> bytes:
    """Line chart of ``readiness_data``: one dash pattern per status."""
    chart = pygal.Line(
        **_config(
            title=table.title,
            x_label_rotation=30,
            show_minor_x_labels=False,
            dots_size=3,
            fill=False,
            **_whole_numbers(table),
        )
    )
    chart.x_labels = [row[0] for row in table.rows]
    chart.x_labels_major_every = max(len(table.rows) // 8, 1)
    for index, name in enumerate(table.columns[1:]):
        chart.add(name, [row[index + 1] for row in table.rows], stroke_style={"width": 3, "dasharray": DASHES[index]})
    return to_svg(chart)


# --- failures by category -------------------------------------------------------------------------


def failures_data(session: Session, event: Event) -> Table:
    """Participants whose latest run fails (or warns) in each category: audio, video, network, browser."""
    latest = latest_runs(event.id)
    stmt = (
        select(latest.c.participant_id, CheckResult.check, CheckResult.verdict)
        .join(CheckResult, CheckResult.run_id == latest.c.run_id)
        .where(CheckResult.verdict.in_(("fail", "warn")))
    )
    # A participant failing both microphone and speakers counts once under audio.
    seen: dict[tuple[str, str], set[int]] = {}
    for participant_id, check, verdict in session.execute(stmt):
        seen.setdefault((CATEGORIES.get(check, check), verdict), set()).add(participant_id)
    rows = []
    for category in ("audio", "video", "network", "browser"):
        fail = seen.get((category, "fail"), set())
        warn = seen.get((category, "warn"), set()) - fail
        rows.append([str(CATEGORY_LABELS[category]), len(fail), len(warn)])
    return Table(_("Problems by category (latest run)"), [_("Category"), _("Failing"), _("Warnings only")], rows)


def _whole_numbers(table: Table) -> dict:
    """Y-axis options for counts of people: whole-number labels only (pygal would label 0.5, 1.5 ...)."""
    top = max([int(v) for row in table.rows for v in row[1:] if isinstance(v, (int, float))] + [1])
    step = max(1, -(-top // 8))
    return {
        "y_labels": list(range(0, top + step + 1, step)),
        "range": (0, top + step),
        "value_formatter": lambda v: f"{v:g}",
    }


FAIL_FIRST = STYLE.colors[2:3] + STYLE.colors[1:2]  # failing red, warnings amber: never green for a failure
NEUTRAL = STYLE.colors[4:5] + STYLE.colors[1:2]  # measured ranges are neither good nor bad: blue, then hatched


def bars_svg(table: Table, colors: tuple = FAIL_FIRST) -> bytes:
    """Bar chart of a two-series table; the second series is hatched; whole-number axis."""
    style = Style(**{**STYLE.__dict__, "colors": tuple(colors)}) if tuple(colors) != STYLE.colors else STYLE
    chart = pygal.Bar(
        **_config(
            title=table.title,
            print_values=True,
            print_zeroes=True,
            defs=[HATCH],
            style=style,
            **_whole_numbers(table),
            css=[
                "file://style.css",
                "file://graph.css",
                "inline:.serie-1 .rect { fill: url(#hatch) !important; stroke: #9a6700; stroke-width: 2 }",
            ],
        )
    )
    chart.x_labels = [row[0] for row in table.rows]
    for index, name in enumerate(table.columns[1:]):
        chart.add(name, [row[index + 1] for row in table.rows])
    return to_svg(chart)


# --- distributions of measured network figures -----------------------------------------------------


def _network_values(session: Session, event: Event) -> list[dict]:
    latest = latest_runs(event.id)
    stmt = (
        select(CheckResult.values)
        .join(latest, latest.c.run_id == CheckResult.run_id)
        .where(CheckResult.check == "network")
    )
    return [metrics(v) for (v,) in session.execute(stmt)]


def _number(values: dict, *names: str) -> float | None:
    for name in names:
        value = values.get(name)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    return None


def _bin_labels(bounds: tuple, unit: str, scale: float = 1.0) -> list[str]:
    def show(x):
        return f"{x / scale:g}"

    labels = [f"< {show(bounds[0])} {unit}"]
    labels += [f"{show(a)}–{show(b)} {unit}" for a, b in zip(bounds, bounds[1:])]
    return labels + [f"≥ {show(bounds[-1])} {unit}"]


def _histogram(samples: list[float], bounds: tuple) -> list[int]:
    counts = [0] * (len(bounds) + 1)
    for sample in samples:
        counts[bisect_right(bounds, sample)] += 1
    return counts


def bandwidth_data(session: Session, event: Event) -> Table:
    """How many participants measured each range of upload and download throughput."""
    values = _network_values(session, event)
    up = [x for x in (_number(v, "upload_kbps") for v in values) if x is not None]
    down = [x for x in (_number(v, "download_kbps") for v in values) if x is not None]
    labels = _bin_labels(BANDWIDTH_BINS, "Mbit/s", 1000)
    rows = [
        [label, u, d] for label, u, d in zip(labels, _histogram(up, BANDWIDTH_BINS), _histogram(down, BANDWIDTH_BINS))
    ]
    return Table(_("Measured bandwidth (participants)"), [_("Range"), _("Upload"), _("Download")], rows)


def rtt_data(session: Session, event: Event) -> Table:
    """How many participants measured each range of round-trip time."""
    samples = [x for x in (_number(v, "rtt_ms") for v in _network_values(session, event)) if x is not None]
    labels = _bin_labels(RTT_BINS, "ms")
    rows = [[label, n] for label, n in zip(labels, _histogram(samples, RTT_BINS))]
    return Table(_("Measured round-trip time (participants)"), [_("Range"), _("Participants")], rows)


CHARTS = {
    "readiness": (readiness_data, readiness_svg),
    "failures": (failures_data, bars_svg),
    "bandwidth": (bandwidth_data, lambda table: bars_svg(table, NEUTRAL)),
    "rtt": (rtt_data, lambda table: bars_svg(table, NEUTRAL)),
}
