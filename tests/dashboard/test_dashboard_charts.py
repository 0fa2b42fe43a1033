"""Chart figures: readiness over time, failures by category, bandwidth and RTT distributions."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import update

from preflight.dashboard import charts
from preflight.db import session_scope
from preflight.models import Participant, utcnow
from participant_runs import post_run


def _table(app, fn, event, **kw):
    with app.test_request_context(), session_scope() as session:
        return fn(session, event, **kw)


def test_readiness_over_time_sweeps_runs_in_order(app, client, make_event, make_participant):
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    event = make_event(starts_at=now + timedelta(hours=2), ends_at=now + timedelta(hours=3))
    a, a_token = make_participant(event=event)
    b, b_token = make_participant(event=event)
    with app.app_context(), session_scope() as session:
        session.execute(update(Participant).values(created_at=now - timedelta(hours=10)))
    assert (
        post_run(app, client, a, a_token, network={"up": 30}, at=now - timedelta(hours=8, minutes=30))["overall"][
            "verdict"
        ]
        == "fail"
    )
    assert post_run(app, client, a, a_token, at=now - timedelta(hours=4, minutes=30))["overall"]["verdict"] == "pass"
    assert (
        post_run(app, client, b, b_token, camera="denied", at=now - timedelta(hours=2, minutes=30))["overall"][
            "verdict"
        ]
        == "warn"
    )
    table = _table(app, charts.readiness_data, event, now=now)
    assert table.columns[1:] == ["Ready", "Warnings", "Not ready", "Not started"]
    rows = [row[1:] for row in table.rows]
    assert len(rows) == 40  # every 15 minutes over the 10 hours since the first invitation: enough to see a trend
    assert rows[0] == [0, 0, 0, 2]  # after 15 min
    assert rows[4] == [0, 0, 0, 2] and rows[5] == [0, 0, 1, 1]  # a failed at -8:30 (1:30 in)
    assert rows[20] == [0, 0, 1, 1] and rows[21] == [1, 0, 0, 1]  # a fixed it at -4:30
    assert rows[-1] == [1, 1, 0, 0]  # b warned at -2:30


def test_failures_count_participants_once_per_category(app, make_event, make_participant, run_check):
    event = make_event()
    p, _ = make_participant(event=event, role="presenter")
    q, _ = make_participant(event=event)
    run_check(p, "fail", checks={"microphone": "fail", "speakers": "fail", "network": "warn"})
    run_check(q, "warn", checks={"microphone": "warn", "browser": "fail"})
    rows = {row[0]: row[1:] for row in _table(app, charts.failures_data, event).rows}
    assert rows == {"Audio": [1, 1], "Video": [0, 0], "Network": [0, 1], "Browser": [1, 0]}


def test_bandwidth_and_rtt_histograms_use_latest_network_values(app, client, make_event, make_participant):
    """Runs posted through /c/<token>/results: the charts read what the real store writes (metrics)."""
    event = make_event()
    for up, down, rtt in ((300, 900, 40), (1500, 25000, 120), (8000, 60000, 700)):
        p, token = make_participant(event=event)
        post_run(
            app, client, p, token, network={"up": 8000, "down": 8000, "rtt": 10}, at=utcnow() - timedelta(minutes=30)
        )
        post_run(app, client, p, token, network={"up": up, "down": down, "rtt": rtt})  # the latest run counts
    bandwidth = _table(app, charts.bandwidth_data, event)
    assert bandwidth.rows[0] == ["< 0.5 Mbit/s", 1, 0]
    assert bandwidth.rows[1] == ["0.5–1 Mbit/s", 0, 1]
    assert bandwidth.rows[2] == ["1–2 Mbit/s", 1, 0]
    assert bandwidth.rows[4] == ["5–10 Mbit/s", 1, 0]
    assert bandwidth.rows[6] == ["20–50 Mbit/s", 0, 1]
    assert bandwidth.rows[7] == ["≥ 50 Mbit/s", 0, 1]
    rtt = {row[0]: row[1] for row in _table(app, charts.rtt_data, event).rows}
    assert rtt == {"< 50 ms": 1, "50–100 ms": 0, "100–200 ms": 1, "200–300 ms": 0, "300–500 ms": 0, "≥ 500 ms": 1}


def test_empty_event_charts_render(app, make_event):
    event = make_event()
    for name, (data, svg) in charts.CHARTS.items():
        with app.test_request_context(), session_scope() as session:
            assert svg(data(session, event)).startswith(b"<svg"), name


def test_failures_are_drawn_red_and_counts_on_whole_numbers(app, client, make_event, make_participant):
    """Real failing runs: the failing series is red (not the style's green), the count axis has no 0.5 steps."""
    event = make_event()
    p, token = make_participant(event=event, role="presenter")
    post_run(app, client, p, token, camera="denied", network={"up": 300, "down": 900, "rtt": 650})
    with app.test_request_context(), session_scope() as session:
        table = charts.failures_data(session, event)
        svg = charts.bars_svg(table).decode()
    assert {row[0]: row[1] for row in table.rows} == {"Audio": 0, "Video": 1, "Network": 1, "Browser": 0}
    assert "#cf222e" in svg and "#1a7f37" not in svg
    y_axis = re.search(r'<g class="axis y[^"]*">(.*?)</g></g>', svg, re.S).group(1)
    labels = [float(x) for x in re.findall(r"<text[^>]*>([0-9.]+)</text>", y_axis)]
    assert labels and all(x == int(x) for x in labels), labels
