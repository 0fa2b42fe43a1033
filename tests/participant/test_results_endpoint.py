"""POST /c/<token>/results: validation, idempotent storage, re-runs, what is stored."""

import json

import pytest
from sqlmodel import select

from preflight.db import session_scope
from preflight.links import revoke_link
from preflight.models import CheckResult, CheckRun, Participant
from result_payloads import FEATURES

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
)
BROWSER = {"secure_context": True, "features": FEATURES, "video_codecs": ["VP8", "H264"], "audio_codecs": ["opus"]}
FRAMES = [{"luma": 90.0, "variance": 400.0, "diff": None}] + [{"luma": 90.0, "variance": 400.0, "diff": 2.5}] * 19
CAMERA = {
    "permission": "granted",
    "devices": 1,
    "width": 640,
    "height": 480,
    "fps": 20.0,
    "duration_ms": 1500,
    "frames": FRAMES,
}
MICROPHONE = {"permission": "granted", "devices": 1, "duration_ms": 3000, "peak_dbfs": -3.0, "rms_dbfs": -12.0}
SPEAKERS = {"answer": "yes", "played": True}


def post(client, token, checks, run_id="run-0123456789", ua=CHROME, **context):
    body = {"run_id": run_id, "checks": checks}
    if context:
        body["context"] = context
    return client.post(f"/c/{token}/results", json=body, headers={"User-Agent": ua})


def stored(app, participant_id):
    with app.app_context(), session_scope() as session:
        runs = session.exec(select(CheckRun).where(CheckRun.participant_id == participant_id)).all()
        results = (
            session.exec(select(CheckResult).where(CheckResult.run_id.in_([r.id for r in runs]))).all() if runs else []
        )
        person = session.get(Participant, participant_id)
        return runs, {r.check: r for r in results}, person


def test_judges_and_answers_with_verdicts_and_html(client, make_participant):
    _, token = make_participant(role="presenter")
    response = post(client, token, {"browser": BROWSER, "camera": CAMERA})
    assert response.status_code == 200
    data = response.get_json()
    assert data["run_id"] == "run-0123456789"
    camera = data["results"]["camera"]
    assert (camera["verdict"], camera["reason"], camera["attempts"], camera["stored"]) == (
        "pass",
        "camera_ok",
        1,
        "created",
    )
    assert camera["metrics"] == {"camera_width": 640, "camera_height": 480, "camera_fps": 20.0, "camera_luma": 90.0}
    assert 'data-metric="camera_width" data-value="640"' in camera["html"]
    assert "640" in camera["html"] and "frames per second" in camera["html"]
    assert data["overall"]["verdict"] == "incomplete"
    assert "microphone" in data["overall"]["missing"] and "speakers" in data["overall"]["missing"]
    assert "The check is not finished" in data["overall"]["html"]


def test_failure_links_the_guide_in_the_participants_language(client, make_participant):
    _, token = make_participant(language="fr")
    data = post(client, token, {"speakers": {"answer": "no", "played": True}}).get_json()
    result = data["results"]["speakers"]
    assert (result["verdict"], result["guide"]) == ("fail", "speaker-problems#no-sound")
    assert result["guide_url"] == "/guides/speaker-problems?lang=fr#no-sound"
    assert 'href="/guides/speaker-problems?lang=fr#no-sound"' in result["html"]
    assert data["overall"]["verdict"] == "fail"


def test_stores_raw_values_verdicts_and_the_browser(app, client, make_participant):
    participant, token = make_participant(role="presenter")
    post(
        client,
        token,
        {"browser": BROWSER, "camera": CAMERA, "microphone": MICROPHONE, "speakers": SPEAKERS},
        tab_hidden=True,
    )
    runs, results, person = stored(app, participant.id)
    assert len(runs) == 1
    run = runs[0]
    assert (run.run_key, run.browser_family, run.browser_version, run.os_family, run.device_type) == (
        "run-0123456789",
        "Chrome",
        "120.0",
        "Windows",
        "desktop",
    )
    assert run.user_agent == CHROME and run.untrusted is True
    assert set(results) == {"browser", "camera", "microphone", "speakers"}
    camera = results["camera"]
    assert (camera.verdict, camera.reason, camera.guide, camera.attempts) == ("pass", "camera_ok", "", 1)
    assert camera.values["raw"]["width"] == 640 and len(camera.values["raw"]["frames"]) == 20
    assert camera.values["raw"]["error"] is None
    assert camera.values["metrics"]["camera_fps"] == 20.0
    assert results["microphone"].values["raw"]["rms_dbfs"] == -12.0
    assert results["browser"].values["details"]["browser"] == "Chrome"
    assert person.last_checked_at is not None
    # Every expected check is in but the network one, which is judged too when registered.
    from preflight.checks import names

    assert run.overall == ("pass" if names() == ["browser", "camera", "microphone", "speakers"] else "incomplete")


def test_a_retried_identical_post_is_stored_once(app, client, make_participant):
    participant, token = make_participant()
    first = post(client, token, {"speakers": SPEAKERS, "camera": CAMERA})
    second = post(client, token, {"speakers": SPEAKERS, "camera": CAMERA})
    assert first.status_code == second.status_code == 200
    assert second.get_json()["results"]["speakers"]["stored"] == "unchanged"
    assert second.get_json()["results"]["speakers"]["attempts"] == 1
    runs, results, _ = stored(app, participant.id)
    assert len(runs) == 1 and len(results) == 2
    assert results["speakers"].attempts == 1


def test_rerunning_a_check_replaces_its_result(app, client, make_participant):
    participant, token = make_participant()
    post(client, token, {"speakers": {"answer": "no", "played": True}, "camera": CAMERA})
    response = post(client, token, {"speakers": SPEAKERS}, attempts={"speakers": 2})
    result = response.get_json()["results"]["speakers"]
    assert (result["verdict"], result["stored"], result["attempts"]) == ("pass", "replaced", 2)
    runs, results, _ = stored(app, participant.id)
    assert len(runs) == 1
    assert (results["speakers"].verdict, results["speakers"].attempts) == ("pass", 2)
    assert results["speakers"].values["raw"]["answer"] == "yes"
    assert results["camera"].attempts == 1  # the other check is untouched
    # The same answer again in a third attempt still counts as a new attempt...
    post(client, token, {"speakers": SPEAKERS}, attempts={"speakers": 3})
    # ...while the retried third post does not.
    post(client, token, {"speakers": SPEAKERS}, attempts={"speakers": 3})
    assert stored(app, participant.id)[1]["speakers"].attempts == 3


def test_different_values_without_an_attempt_count_also_replace(app, client, make_participant):
    participant, token = make_participant()
    post(client, token, {"speakers": {"answer": "no", "played": True}})
    post(client, token, {"speakers": SPEAKERS})
    assert stored(app, participant.id)[1]["speakers"].attempts == 2


def test_a_new_run_id_is_a_new_run(app, client, make_participant):
    participant, token = make_participant()
    post(client, token, {"speakers": SPEAKERS}, run_id="run-aaaaaaaaaa")
    post(client, token, {"speakers": SPEAKERS}, run_id="run-bbbbbbbbbb")
    runs, _, _ = stored(app, participant.id)
    assert sorted(r.run_key for r in runs) == ["run-aaaaaaaaaa", "run-bbbbbbbbbb"]


def test_run_ids_are_per_participant(app, client, make_participant, make_event):
    event = make_event()
    first, first_token = make_participant(event=event)
    second, second_token = make_participant(event=event)
    post(client, first_token, {"speakers": SPEAKERS})
    post(client, second_token, {"speakers": {"answer": "no", "played": True}})
    assert stored(app, first.id)[1]["speakers"].verdict == "pass"
    assert stored(app, second.id)[1]["speakers"].verdict == "fail"


def test_overall_follows_the_results(app, client, make_participant):
    participant, token = make_participant(role="presenter")
    post(client, token, {"browser": BROWSER, "camera": CAMERA, "microphone": MICROPHONE})
    assert stored(app, participant.id)[0][0].overall == "incomplete"
    post(client, token, {"speakers": {"answer": "no", "played": True}})
    assert stored(app, participant.id)[0][0].overall == "fail"


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        (b"{not json", 400, "invalid_results"),
        (
            json.dumps({"run_id": "run-0123456789", "checks": {"speakers": {"answer": "yes"}}}).encode(),
            400,
            "invalid_results",
        ),
        (
            json.dumps({"run_id": "run-0123456789", "checks": {"camera": {"width": "wide"}}}).encode(),
            400,
            "invalid_results",
        ),
        (json.dumps({"run_id": "run-0123456789", "checks": {"x-ray": {}}}).encode(), 400, "invalid_results"),
        (
            json.dumps({"run_id": "run-0123456789", "checks": {"speakers": SPEAKERS}, "verdict": "pass"}).encode(),
            400,
            "invalid_results",
        ),
    ],
)
def test_invalid_posts_are_refused_and_nothing_is_written(app, client, make_participant, body, status, error):
    participant, token = make_participant()
    response = client.post(f"/c/{token}/results", data=body, content_type="application/json")
    assert response.status_code == status
    data = response.get_json()
    assert data["error"] == error and data["message"].startswith(("Invalid results", "Results are not valid JSON"))
    runs, _, person = stored(app, participant.id)
    assert runs == [] and person.last_checked_at is None


def test_wrong_media_type_is_415(client, make_participant):
    _, token = make_participant()
    response = client.post(f"/c/{token}/results", data="run_id=x", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert response.get_json()["error"] == "unsupported_media_type"


def test_oversized_post_is_413(app, client, make_participant):
    participant, token = make_participant()
    body = json.dumps(
        {"run_id": "run-0123456789", "checks": {"speakers": SPEAKERS}, "pad": "x" * app.config["MAX_RESULT_BYTES"]}
    )
    response = client.post(f"/c/{token}/results", data=body, content_type="application/json")
    assert response.status_code == 413
    assert "too large" in response.get_json()["message"]
    assert stored(app, participant.id)[0] == []


def test_unknown_token_is_404(client):
    response = client.post(
        "/c/not-a-real-token/results", json={"run_id": "run-0123456789", "checks": {"speakers": SPEAKERS}}
    )
    assert response.status_code == 404


def test_revoked_link_is_410(app, client, make_participant):
    participant, token = make_participant()
    with app.app_context(), session_scope() as session:
        revoke_link(session.get(Participant, participant.id))
    assert post(client, token, {"speakers": SPEAKERS}).status_code == 410


def test_get_is_not_allowed(client, make_participant):
    _, token = make_participant()
    assert client.get(f"/c/{token}/results").status_code == 405


def test_lost_race_for_the_run_stores_once(app, client, make_participant, monkeypatch):
    """Two identical posts at once: the loser hits the unique key, rolls back and finds the winner's run."""
    from preflight.participant import store

    participant, token = make_participant()
    post(client, token, {"speakers": SPEAKERS})
    real, calls = store._run, []

    def unseen_once(session, participant_id, run_key):
        calls.append(run_key)
        return None if len(calls) == 1 else real(session, participant_id, run_key)

    monkeypatch.setattr(store, "_run", unseen_once)
    response = post(client, token, {"speakers": SPEAKERS})
    assert response.status_code == 200 and len(calls) == 2
    assert response.get_json()["results"]["speakers"]["stored"] == "unchanged"
    runs, results, _ = stored(app, participant.id)
    assert len(runs) == 1 and results["speakers"].attempts == 1


@pytest.mark.csrf
def test_csrf_token_is_required(client, make_participant):
    _, token = make_participant()
    page = client.get(f"/c/{token}")
    csrf = page.get_data(as_text=True).split('name="csrf-token" content="')[1].split('"')[0]
    body = {"run_id": "run-0123456789", "checks": {"speakers": SPEAKERS}}
    assert client.post(f"/c/{token}/results", json=body).status_code == 400
    assert client.post(f"/c/{token}/results", json=body, headers={"X-CSRFToken": csrf}).status_code == 200


@pytest.mark.ratelimit
def test_posts_are_rate_limited(app_config, client, make_participant):
    _, token = make_participant()
    client.application.config["RATELIMIT_PUBLIC"] = "2 per minute"
    statuses = [post(client, token, {"speakers": SPEAKERS}).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_summary_offers_support_and_the_help_hook(app, client, make_participant):
    _, token = make_participant()
    html = post(client, token, {"speakers": {"answer": "no", "played": True}}).get_json()["overall"]["html"]
    assert "help@example.org" in html and 'data-action="restart"' in html
    if "help.ask" in app.view_functions:
        assert f'data-action="help" href="/c/{token}/help"' in html
    else:
        assert 'data-action="help"' not in html


def test_one_link_stores_at_most_the_configured_number_of_runs(app, client, make_participant):
    """A link posting new runs in a loop is stopped at the cap, in its language; earlier runs are
    kept and still updatable."""
    app.config["MAX_RUNS_PER_PARTICIPANT"] = 3
    participant, token = make_participant(language="de")
    for n in range(3):
        assert post(client, token, {"speakers": SPEAKERS}, run_id=f"run-cap-00000{n}").status_code == 200
    refused = post(client, token, {"speakers": SPEAKERS}, run_id="run-cap-000009")
    assert refused.status_code == 429
    body = refused.get_json()
    assert body["error"] == "too_many_runs" and "Support" in body["message"]  # German, for the participant
    assert (
        post(client, token, {"camera": CAMERA}, run_id="run-cap-000002").status_code == 200
    )  # an existing run goes on
    with app.app_context(), session_scope() as session:
        assert len(session.exec(select(CheckRun).where(CheckRun.participant_id == participant.id)).all()) == 3


@pytest.mark.csrf
def test_csrf_token_is_enough_over_https(client, make_participant):
    """Behind TLS (X-Forwarded-Proto https) the page sends no Referer (Referrer-Policy: no-referrer)."""
    _, token = make_participant()
    https = {"base_url": "https://localhost"}
    page = client.get(f"/c/{token}", **https)
    csrf = page.get_data(as_text=True).split('name="csrf-token" content="')[1].split('"')[0]
    body = {"run_id": "run-0123456789", "checks": {"speakers": SPEAKERS}}
    refused = client.post(f"/c/{token}/results", json=body, **https)
    assert refused.status_code == 400
    stored = client.post(f"/c/{token}/results", json=body, headers={"X-CSRFToken": csrf}, **https)
    assert stored.status_code == 200, stored.get_data(as_text=True)
