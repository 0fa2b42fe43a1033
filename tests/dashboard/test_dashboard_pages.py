"""Dashboard pages: overview, live fragments, participant page, actions, charts, CSV, roles."""

from __future__ import annotations

import re
import csv
import io
import xml.etree.ElementTree as ET

import pytest
from sqlmodel import select

from preflight.db import session_scope
from preflight.models import ParticipantHandled, StaffNote
from participant_runs import post_run
from participant_runs import FIREFOX_MAC
from support_factories import ago, csrf_token, login_with_csrf


@pytest.fixture
def scene(make_event, make_participant, run_check):
    """An event with a failing presenter, a warned attendee, a ready one and one who has not started."""
    event = make_event(name="Town hall")
    failing, _ = make_participant(
        event=event, name="Fiona Fail", email="fiona@example.org", role="presenter", language="fr"
    )
    warned, _ = make_participant(event=event, name="Walter Warn", email="walter@example.org")
    ready, _ = make_participant(event=event, name="Rita Ready", email="rita@example.org")
    idle, _ = make_participant(event=event, name="Ida Idle", email="ida@example.org")
    run_check(failing, "pass", at=ago(hours=5))
    run_check(
        failing,
        "fail",
        checks={"camera": "fail", "network": "fail", "microphone": "pass"},
        at=ago(minutes=5),
        ua=FIREFOX_MAC,
    )
    run_check(warned, "warn")
    run_check(ready, "pass")
    return {"event": event, "failing": failing, "warned": warned, "ready": ready, "idle": idle}


def test_overview_shows_readiness_time_left_and_who_needs_attention(client, auth, scene):
    auth.login("agent")
    event = scene["event"]
    response = client.get(f"/staff/events/{event.id}/dashboard")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "HX-Request" in response.headers["Vary"]
    for status, n in (("not_ready", 1), ("warnings", 1), ("not_started", 1), ("ready", 1)):
        assert f'data-status="{status}" data-count="{n}"' in html
    assert "(25 %)" in html
    assert "The event starts in 2 days" in html
    # attention first: the failing presenter's row comes first, with values, fix links, browser and OS
    rows = html.split("<tr data-participant=")[1:]
    assert "Fiona Fail" in rows[0] and "Walter Warn" in rows[1]
    assert 'data-metric="upload_kbps"' in rows[0] and "40 kbit/s" in rows[0]
    assert (
        "camera_black" in rows[0]
        and 'data-playbook="black-camera"' in rows[0]
        and 'data-playbook="low-bandwidth"' in rows[0]
    )
    assert "/guides/camera-problems?lang=fr#black" in rows[0]
    assert "Firefox 118" in rows[0] and "Mac OS X 14" in rows[0]


def test_summary_fragment_is_small_and_polls(client, auth, scene, run_check):
    auth.login("agent")
    event = scene["event"]
    response = client.get(f"/staff/events/{event.id}/dashboard/summary", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    assert html.lstrip().startswith('<section id="dash-summary"') and "<html" not in html
    assert 'hx-trigger="every 10s"' in html and 'data-status="ready" data-count="1"' in html
    run_check(scene["idle"], "pass")  # a new result arrives
    html = client.get(f"/staff/events/{event.id}/dashboard/summary", headers={"HX-Request": "true"}).get_data(
        as_text=True
    )
    assert 'data-status="ready" data-count="2"' in html and 'data-status="not_started" data-count="0"' in html


def test_table_fragment_for_htmx_keeps_filters(client, auth, scene):
    auth.login("agent")
    event = scene["event"]
    response = client.get(
        f"/staff/events/{event.id}/dashboard?check=network&status=not_ready",
        headers={"HX-Request": "true", "HX-Target": "dash-table"},
    )
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="dash-table"') and "<html" not in html
    assert "Fiona Fail" in html and "Walter Warn" not in html
    assert "check=network" in html and "every 30s" in html  # the polling URL keeps the filters


def test_participant_page_has_runs_values_history_and_guides(client, auth, scene):
    auth.login("agent")
    event, p = scene["event"], scene["failing"]
    html = client.get(f"/staff/events/{event.id}/dashboard/participants/{p.id}").get_data(as_text=True)
    assert html.count('<article class="run"') == 2
    assert 'data-trend="worse"' in html
    assert 'data-metric="camera_luma"' in html and 'data-metric="loss_up_pct"' in html
    assert "camera-problems#black" in html and "low-bandwidth#upload" in html
    assert 'data-action="resend-link"' in html and 'data-action="mark-handled"' in html


def test_unknown_ids_are_404(client, auth, scene, make_event):
    auth.login("agent")
    other = make_event(name="Other")
    assert client.get("/staff/events/999999/dashboard").status_code == 404
    assert client.get(f"/staff/events/{other.id}/dashboard/participants/{scene['failing'].id}").status_code == 404
    assert client.get(f"/staff/events/{other.id}/dashboard/charts/nope.svg").status_code == 404


def test_mark_handled_note_and_back(client, auth, scene, app):
    user = auth.login("agent")
    event, p = scene["event"], scene["failing"]
    base = f"/staff/events/{event.id}/dashboard/participants/{p.id}"
    assert client.post(base + "/handled").status_code == 302
    html = client.get(f"/staff/events/{event.id}/dashboard").get_data(as_text=True)
    assert html.split("<tr data-participant=")[-1].count("Fiona Fail") == 1  # handled: last
    assert client.post(base + "/notes", data={"body": "Called her, new webcam tomorrow"}).status_code == 302
    assert client.post(base + "/notes", data={"body": ""}).status_code == 400
    with app.app_context(), session_scope() as session:
        mark = session.get(ParticipantHandled, p.id)
        assert mark.handled_by_id == user.id
        notes = list(
            session.exec(select(StaffNote.body).where(StaffNote.participant_id == p.id, StaffNote.kind == "note"))
        )
    assert notes == ["Called her, new webcam tomorrow"]
    assert client.post(base + "/unhandled").status_code == 302
    with app.app_context(), session_scope() as session:
        assert session.get(ParticipantHandled, p.id) is None


def test_resend_link_and_reminder_are_received(smtp_server, client, auth, scene):
    auth.login("agent")
    event, p = scene["event"], scene["idle"]
    base = f"/staff/events/{event.id}/dashboard/participants/{p.id}"
    assert client.post(base + "/resend").status_code == 302
    assert client.post(base + "/resend").status_code == 302  # forced: sent again
    assert client.post(base + "/remind").status_code == 302
    assert [m["To"].addresses[0].addr_spec for m in smtp_server.messages] == ["ida@example.org"] * 3
    assert "/c/" in smtp_server.messages[0].get_body(("plain",)).get_content()


def test_resend_after_revocation_issues_a_new_link(smtp_server, client, auth, scene):
    auth.login("agent")
    event, p = scene["event"], scene["idle"]
    client.post(f"/staff/events/{event.id}/participants/{p.id}/revoke")
    assert client.post(f"/staff/events/{event.id}/dashboard/participants/{p.id}/remind").status_code == 302
    assert smtp_server.messages == []  # a reminder needs a working link
    client.post(f"/staff/events/{event.id}/dashboard/participants/{p.id}/resend")
    [message] = smtp_server.messages
    token = message.get_body(("plain",)).get_content().split("/c/")[1].split()[0]
    assert client.get(f"/c/{token}").status_code == 200


@pytest.mark.csrf
def test_actions_need_the_csrf_token(client, make_staff, scene):
    login_with_csrf(client, make_staff("agent"))
    event, p = scene["event"], scene["failing"]
    url = f"/staff/events/{event.id}/dashboard/participants/{p.id}"
    assert client.post(url + "/handled").status_code == 400
    token = csrf_token(client, url)
    assert client.post(url + "/handled", data={"csrf_token": token}).status_code == 302


def test_charts_are_svg_images_without_script_with_tables(client, auth, scene):
    auth.login("agent")
    event = scene["event"]
    html = client.get(f"/staff/events/{event.id}/dashboard/charts", headers={"HX-Request": "true"}).get_data(
        as_text=True
    )
    for name in ("readiness", "failures", "bandwidth", "rtt"):
        assert f'data-chart="{name}"' in html
        response = client.get(f"/staff/events/{event.id}/dashboard/charts/{name}.svg")
        assert response.status_code == 200 and response.mimetype == "image/svg+xml"
        body = response.get_data(as_text=True)
        assert "<script" not in body
        ET.fromstring(body)  # well-formed
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    # text alternatives: the failures table says one participant fails video and network
    assert '<th scope="row">Video</th><td>1</td><td>0</td>' in html
    assert '<th scope="row">Network</th><td>1</td><td>1</td>' in html
    assert "<html" in client.get(f"/staff/events/{event.id}/dashboard/charts").get_data(
        as_text=True
    )  # without htmx: a page
    failures = client.get(f"/staff/events/{event.id}/dashboard/charts/failures.svg").get_data(as_text=True)
    assert "url(#hatch)" in failures  # warnings are hatched, not only coloured
    readiness = client.get(f"/staff/events/{event.id}/dashboard/charts/readiness.svg").get_data(as_text=True)
    assert "stroke-dasharray" in readiness


def test_csv_export_has_status_and_latest_values(client, auth, scene):
    auth.login("agent")
    event = scene["event"]
    response = client.get(f"/staff/events/{event.id}/dashboard.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    by_name = {r["name"]: r for r in rows}
    assert len(rows) == 4
    assert by_name["Fiona Fail"]["status"] == "not_ready"
    assert by_name["Fiona Fail"]["network_verdict"] == "fail"
    assert by_name["Ida Idle"]["status"] == "not_started" and by_name["Ida Idle"]["camera_verdict"] == ""
    filtered = client.get(f"/staff/events/{event.id}/dashboard.csv?status=ready").get_data(as_text=True)
    assert "Rita Ready" in filtered and "Fiona Fail" not in filtered


def test_csv_values_come_from_runs_posted_by_the_participant_page(app, client, auth, make_event, make_participant):
    """The *_values columns carry the judged figures the real store writes (they were empty: dicts were dropped)."""
    event = make_event()
    p, token = make_participant(event=event, name="Nora Net", role="presenter")
    post_run(app, client, p, token, network={"up": 300, "down": 900, "rtt": 650}, camera="denied")
    auth.login("agent")
    rows = list(
        csv.DictReader(
            io.StringIO(client.get(f"/staff/events/{event.id}/dashboard.csv").get_data(as_text=True).lstrip("\ufeff"))
        )
    )
    row = {r["name"]: r for r in rows}["Nora Net"]
    assert row["network_verdict"] == "fail"
    assert "upload_kbps=300.0" in row["network_values"] and "download_kbps=900.0" in row["network_values"]
    assert "rtt_ms=650.0" in row["network_values"]
    assert row["camera_verdict"] == "fail" and row["camera_reason"] == "camera_denied"
    assert (
        "Network: 0.9 Mbit/s down, 0.3 up, 650 ms" in row["summary"] and "Camera: permission denied" in row["summary"]
    )


@pytest.mark.parametrize(
    "path",
    [
        "/dashboard",
        "/dashboard/summary",
        "/dashboard/charts",
        "/dashboard/charts/rtt.svg",
        "/dashboard.csv",
        "/report",
        "/report.csv",
    ],
)
def test_translators_and_anonymous_cannot_see_the_dashboard(client, auth, scene, path):
    url = f"/staff/events/{scene['event'].id}{path}"
    assert client.get(url).status_code == 302  # to the sign-in page
    auth.login("translator")
    assert client.get(url).status_code == 403


def test_a_participant_link_opens_no_staff_page(client, scene, make_participant):
    _, token = make_participant(event=scene["event"])
    assert client.get(f"/c/{token}").status_code == 200
    assert client.get(f"/staff/events/{scene['event'].id}/dashboard").status_code == 302
    assert client.get("/staff/help").status_code == 302


def test_summary_warns_when_alerts_cannot_be_delivered(client, auth, app, make_event, offline_receiver, worker):
    from preflight.alerts.outbox import enqueue

    event = make_event()
    with app.app_context(), session_scope() as session:
        enqueue(session, "stuck:1", "alert_digest", "webhook", offline_receiver.url, {"json": {}}, event_id=event.id)
    auth.login("agent")
    assert "data-undelivered" not in client.get(f"/staff/events/{event.id}/dashboard/summary").get_data(as_text=True)
    worker()
    html = client.get(f"/staff/events/{event.id}/dashboard/summary").get_data(as_text=True)
    assert 'data-undelivered="1"' in html and "could not connect to the receiver" in html


def test_dashboard_csv_neutralises_formulas_from_participants(app, client, auth, make_event, make_participant):
    """A name a participant's organiser typed as a formula stays text in Excel (safe_cell, preflight/spreadsheet.py)."""
    event = make_event()
    p, token = make_participant(event=event, name='=HYPERLINK("http://evil")')
    post_run(app, client, p, token)
    auth.login("agent")
    rows = list(
        csv.DictReader(
            io.StringIO(client.get(f"/staff/events/{event.id}/dashboard.csv").get_data(as_text=True).lstrip("\ufeff"))
        )
    )
    assert [r["name"] for r in rows] == ['\'=HYPERLINK("http://evil")']
    assert rows[0]["summary"].startswith("Browser") and "Camera: 1280×720 at 30 fps" in rows[0]["summary"]


def test_staff_see_measured_values_in_plain_words_raw_keys_behind_details(
    app, client, auth, make_event, make_participant
):
    """Dashboard row and participant page from a real posted run: words with units first, raw keys in a disclosure."""
    event = make_event()
    p, token = make_participant(event=event, name="Paula Plain", role="presenter")
    post_run(app, client, p, token, camera="denied", network={"up": 300, "down": 32000, "rtt": 40})
    auth.login("agent")
    row = client.get(f"/staff/events/{event.id}/dashboard").get_data(as_text=True)
    assert "32 Mbit/s down, 0.3 up, 40 ms" in row and "permission denied" in row
    page = client.get(f"/staff/events/{event.id}/dashboard/participants/{p.id}").get_data(as_text=True)
    network = page.index('data-figures="network"')
    assert "32 Mbit/s down, 0.3 up, 40 ms" in page[network : network + 200]
    assert network < page.index("Technical details") < page.index('data-metric="raw.probes_sent.0"')


def test_summary_warns_when_the_worker_is_not_running(client, auth, app, runner, make_event):
    """Issue 17: no heartbeat, then a fresh one, then a stale one."""
    from datetime import timedelta

    from preflight.models import WorkerHeartbeat, utcnow

    event = make_event()
    auth.login("agent")
    url = f"/staff/events/{event.id}/dashboard/summary"
    assert 'data-worker="missing"' in client.get(url).get_data(as_text=True)
    assert runner.invoke(args=["worker", "--once"]).exit_code == 0
    assert "data-worker=" not in client.get(url).get_data(as_text=True)
    with app.app_context(), session_scope() as session:
        for row in session.exec(select(WorkerHeartbeat)).all():
            row.beat_at = utcnow() - timedelta(minutes=5)
    html = client.get(url).get_data(as_text=True)
    assert 'data-worker="stale"' in html and "5 minutes" in html


def test_slow_link_reads_in_plain_words_and_figures_come_before_raw_values(client, auth, scene):
    """A 40 kbit/s upload must not read "0 up", and the judged figures lead the technical details."""
    auth.login("agent")
    event, p = scene["event"], scene["failing"]
    html = client.get(f"/staff/events/{event.id}/dashboard/participants/{p.id}").get_data(as_text=True)
    assert "0.08 Mbit/s down, 0.04 up, 20 ms" in html
    network = html.split('data-check="network" data-verdict="fail"')[1].split("</details>")[0]
    names = re.findall(r'<dd data-metric="([^"]+)"', network)
    first_raw = next(i for i, name in enumerate(names) if name.startswith("raw."))
    assert {"upload_kbps", "download_kbps", "rtt_ms", "mos"} <= set(names[:first_raw])
    assert "raw.duration_ms" in names  # nothing cut off
