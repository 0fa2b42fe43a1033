"""The pre-flight page as the server renders it: the contract, CSP hygiene, language, time zone."""

import json
import re

from preflight.participant.verdicts import help_url
from preflight.profiles import DEVICE_THRESHOLDS as T

IE11 = "Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko"


def page(client, token, **headers):
    response = client.get(f"/c/{token}", headers=headers)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_contract_attributes(client, make_participant):
    _, token = make_participant()
    html = page(client, token)
    assert 'data-action="start"' in html
    assert re.findall(r'data-check="(\w+)"', html) == ["browser", "camera", "microphone", "speakers", "network"]
    assert 'data-answer="yes"' in html and 'data-answer="no"' in html and 'data-answer="cannot_hear"' in html
    assert "data-verdict" not in html  # absent until the server has judged
    # Every step's status line is a polite live region; verdicts go through one announcer.
    assert len(re.findall(r'<p class="status" data-role="status" role="status">', html)) == 5
    assert len(re.findall(r'data-role="announcer" role="status"', html)) == 1
    assert 'data-role="verdict" aria-live' not in html


def test_no_inline_script_or_style(client, make_participant):
    _, token = make_participant()
    html = page(client, token)
    assert " style=" not in html and "<style" not in html
    for tag in re.findall(r"<script[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert re.search(r"\son\w+=", html) is None  # no inline event handlers


def test_everything_is_served_from_our_origin(client, make_participant):
    _, token = make_participant()
    html = page(client, token)
    for url in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert not url.startswith(("http:", "https:", "//")) or url.startswith("mailto:"), url


def test_event_participant_and_language_switcher(client, make_participant, make_event):
    event = make_event(name="Annual meeting", platform="teams")
    _, token = make_participant(event=event, name="Ada Lovelace")
    html = page(client, token)
    assert "Annual meeting" in html and "Ada Lovelace" in html and "Microsoft Teams" in html
    assert 'class="lang-switcher"' in html and "?lang=fr" in html


def test_start_time_in_the_browsers_time_zone(client, make_participant):
    _, token = make_participant()
    client.set_cookie("pf_tz", "America/New_York")
    assert "Eastern" in page(client, token)
    client.set_cookie("pf_tz", "Asia/Tokyo")
    assert "Japan" in page(client, token)


def test_config_block_carries_the_thresholds_and_the_results_url(client, make_participant):
    _, token = make_participant()
    html = page(client, token)
    config = json.loads(
        re.search(r'<script type="application/json" id="pf-config">(.*?)</script>', html, re.S).group(1)
    )
    assert config["resultsUrl"] == f"/c/{token}/results"
    assert config["thresholds"] == {
        "cameraMeasureMs": T.camera_measure_ms.value,
        "micMeasureMs": T.mic_measure_ms.value,
        "micMinMs": T.mic_min_ms.value,
        "clipLevel": T.clip_level.value,
        "dbfsFloor": T.dbfs_floor.value,
    }
    assert config["judged"][:4] == ["browser", "camera", "microphone", "speakers"]
    assert config["strings"]["queued"] == "Saved on this device, sending…"


def test_internet_explorer_is_told_at_once(client, make_participant):
    _, token = make_participant()
    assert "Internet Explorer cannot join" in page(client, token, **{"User-Agent": IE11})
    assert "Internet Explorer cannot join" not in page(client, token)


def test_french_participant_gets_a_french_page(client, make_participant):
    _, token = make_participant(language="fr")
    html = page(client, token)
    assert '<html lang="fr"' in html
    assert '"resultsUrl"' in html


def test_first_opening_is_recorded(app, client, make_participant):
    from preflight.db import session_scope
    from preflight.models import Participant

    participant, token = make_participant()
    page(client, token)
    with app.app_context(), session_scope() as session:
        assert session.get(Participant, participant.id).first_opened_at is not None


def test_help_hook_only_when_the_help_page_exists(app):
    with app.test_request_context():
        expected = "/c/abc/help" if "help.ask" in app.view_functions else None
        assert help_url("abc") == expected
        app.view_functions.pop("help.ask", None)
        assert help_url("abc") is None
