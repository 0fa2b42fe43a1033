"""Importing participants through the staff pages: preview, all-or-nothing, valid rows only."""

import io
from datetime import timedelta
import re
from pathlib import Path

import pytest
from sqlmodel import select
from workbooks import eventbrite_xlsx, microsoft_forms_xlsx, refused, xlsx

from preflight.db import session_scope
from preflight.models import Participant, PendingImport, utcnow

FIXTURES = Path(__file__).parent / "importer" / "fixtures"

GOOD = (
    "Name,Email,Language,Role\nAda Lovelace,ada@example.org,en,presenter\n"
    "Camille Durand,camille@example.org,fr,attendee\n"
)
MIXED = GOOD + ",nobody@example.org,en,attendee\nBad Email,not-an-email,en,attendee\n"


def upload(client, event_id, content: bytes, filename="people.csv"):
    return client.post(
        f"/staff/events/{event_id}/import",
        data={"file": (io.BytesIO(content), filename)},
        content_type="multipart/form-data",
    )


def participants(app, event_id):
    with app.app_context(), session_scope() as session:
        return session.exec(
            select(Participant).where(Participant.event_id == event_id).order_by(Participant.email)
        ).all()


def test_preview_shows_format_columns_and_rows_without_storing(client, auth, make_event, app):
    auth.login("agent")
    event = make_event()
    response = upload(client, event.id, GOOD.encode())
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'data-format="csv"' in page
    assert 'data-column="email"' in page and 'data-column="name"' in page
    assert "Ada Lovelace" in page
    assert participants(app, event.id) == []


def test_confirm_imports_with_links(client, auth, make_event, app):
    auth.login("agent")
    event = make_event()
    upload(client, event.id, GOOD.encode())
    response = client.post(f"/staff/events/{event.id}/import/confirm", data={})
    assert response.status_code == 302
    rows = participants(app, event.id)
    assert [(p.email, p.language, p.role) for p in rows] == [
        ("ada@example.org", "en", "presenter"),
        ("camille@example.org", "fr", "attendee"),
    ]
    assert all(p.token_hash for p in rows)


def test_bad_rows_are_reported_with_line_numbers(client, auth, make_event):
    auth.login("agent")
    event = make_event()
    page = upload(client, event.id, MIXED.encode()).get_data(as_text=True)
    assert 'data-error="missing_name" data-line="4"' in page
    assert 'data-error="invalid_email" data-line="5"' in page
    assert "not-an-email" in page


def test_all_or_nothing_by_default(client, auth, make_event, app):
    auth.login("agent")
    event = make_event()
    upload(client, event.id, MIXED.encode())
    response = client.post(f"/staff/events/{event.id}/import/confirm", data={}, follow_redirects=True)
    assert "Nothing was imported" in response.get_data(as_text=True)
    assert participants(app, event.id) == []


def test_valid_rows_only_when_chosen(client, auth, make_event, app):
    auth.login("agent")
    event = make_event()
    upload(client, event.id, MIXED.encode())
    client.post(f"/staff/events/{event.id}/import/confirm", data={"valid_only": "y"})
    assert [p.email for p in participants(app, event.id)] == ["ada@example.org", "camille@example.org"]


def test_reimport_updates_instead_of_duplicating(client, auth, make_event, app):
    auth.login("agent")
    event = make_event()
    upload(client, event.id, GOOD.encode())
    client.post(f"/staff/events/{event.id}/import/confirm", data={})
    token_hashes = {p.email: p.token_hash for p in participants(app, event.id)}
    upload(client, event.id, GOOD.replace("Ada Lovelace", "Ada King").encode())
    client.post(f"/staff/events/{event.id}/import/confirm", data={})
    rows = participants(app, event.id)
    assert len(rows) == 2
    assert rows[0].name == "Ada King" and rows[0].token_hash == token_hashes["ada@example.org"]


def test_reimport_without_language_or_role_columns_keeps_them(client, auth, make_event, app):
    auth.login("agent")
    event = make_event()
    upload(client, event.id, GOOD.encode())
    client.post(f"/staff/events/{event.id}/import/confirm", data={})
    # A later list carries names and emails only, or leaves the cells empty.
    upload(client, event.id, b"Name,Email\nAda King,ada@example.org\n")
    client.post(f"/staff/events/{event.id}/import/confirm", data={})
    upload(client, event.id, b"Name,Email,Language,Role\nCamille D.,camille@example.org,,\n")
    client.post(f"/staff/events/{event.id}/import/confirm", data={})
    ada, camille = participants(app, event.id)
    assert (ada.name, ada.language, ada.role) == ("Ada King", "en", "presenter")
    assert (camille.name, camille.language, camille.role) == ("Camille D.", "fr", "attendee")


def test_reimport_with_language_and_role_changes_them(client, auth, make_event, app):
    auth.login("agent")
    event = make_event()
    upload(client, event.id, GOOD.encode())
    client.post(f"/staff/events/{event.id}/import/confirm", data={})
    upload(client, event.id, b"Name,Email,Language,Role\nAda Lovelace,ada@example.org,fr,attendee\n")
    client.post(f"/staff/events/{event.id}/import/confirm", data={})
    ada = participants(app, event.id)[0]
    assert (ada.language, ada.role) == ("fr", "attendee")


@pytest.mark.parametrize(
    "content, message", [(b"", "empty"), (b"\x00\x01\x02\x03PK\x03\x04" * 50, "CSV"), (b"foo,bar\n1,2\n", "No column")]
)
def test_unreadable_files_get_a_clear_error(client, auth, make_event, content, message):
    auth.login("agent")
    event = make_event()
    response = upload(client, event.id, content)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_confirm_without_upload_asks_again(client, auth, make_event):
    auth.login("agent")
    event = make_event()
    response = client.post(f"/staff/events/{event.id}/import/confirm", data={}, follow_redirects=True)
    assert "upload it again" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "fixture, fmt",
    [
        ("zoom_webinar_attendees_2025.csv", "zoom_webinar_attendees"),
        ("teams_attendance_2023.csv", "teams_attendance"),
        ("eventbrite_us.csv", "eventbrite"),
        ("google_forms.csv", "google_forms"),
        ("excel_fr_semicolon_cp1252.csv", "csv"),
    ],
)
def test_platform_exports_import_end_to_end(client, auth, make_event, app, fixture, fmt):
    auth.login("agent")
    event = make_event()
    page = upload(client, event.id, (FIXTURES / fixture).read_bytes(), fixture).get_data(as_text=True)
    assert f'data-format="{fmt}"' in page
    client.post(f"/staff/events/{event.id}/import/confirm", data={"valid_only": "y"})
    assert participants(app, event.id), "nothing imported"


def _waiting_previews(app):
    with app.app_context(), session_scope() as session:
        return session.exec(select(PendingImport)).all()


def _age(app, hours):
    with app.app_context(), session_scope() as session:
        for pending in session.exec(select(PendingImport)):
            pending.created_at = utcnow() - timedelta(hours=hours)


def test_a_preview_keeps_parsed_rows_in_the_database_not_files(client, auth, make_event, app):
    auth.login("agent")
    event = make_event()
    upload(client, event.id, GOOD.encode())
    [waiting] = _waiting_previews(app)
    assert waiting.event_id == event.id and waiting.staff_id is not None
    assert [row["email"] for row in waiting.payload["rows"]] == ["ada@example.org", "camille@example.org"]
    uploads = Path(app.instance_path) / "uploads"
    assert not uploads.exists() or not any(uploads.iterdir())
    client.post(f"/staff/events/{event.id}/import/confirm", data={})
    assert _waiting_previews(app) == [] and len(participants(app, event.id)) == 2


def test_a_waiting_preview_expires_and_is_purged(client, auth, make_event, app, runner):
    """Import previews hold names and addresses: two hours, then asked for again and deleted by purge."""
    auth.login("agent")
    event = make_event()
    upload(client, event.id, GOOD.encode())
    _age(app, 3)
    response = client.post(f"/staff/events/{event.id}/import/confirm", data={}, follow_redirects=True)
    assert "upload it again" in response.get_data(as_text=True)
    assert participants(app, event.id) == [] and _waiting_previews(app) == []

    upload(client, event.id, GOOD.encode())
    _age(app, 1)
    assert runner.invoke(args=["purge"]).exit_code == 0
    assert len(_waiting_previews(app)) == 1, "a preview under two hours old stays"
    _age(app, 3)
    assert runner.invoke(args=["purge"]).exit_code == 0
    assert _waiting_previews(app) == []


def test_erasing_a_participant_deletes_previews_that_list_them(client, auth, make_event, make_participant, app):
    auth.login("admin")
    event = make_event()
    ada, _ = make_participant(event=event, name="Ada Lovelace", email="ada@example.org")
    upload(client, event.id, GOOD.encode())
    assert len(_waiting_previews(app)) == 1
    client.post(f"/staff/events/{event.id}/participants/{ada.id}/delete")
    assert _waiting_previews(app) == []


def test_preview_says_which_rows_are_new_changed_or_unchanged(client, auth, make_event):
    auth.login("agent")
    event = make_event()
    upload(client, event.id, GOOD.encode())
    client.post(f"/staff/events/{event.id}/import/confirm", data={})
    changed = (
        "Name,Email,Language,Role\nAda Lovelace,ada@example.org,fr,presenter\n"
        "Camille Durand,camille@example.org,fr,attendee\nGrace Hopper,grace@example.org,en,attendee\n"
    )
    page = upload(client, event.id, changed.encode()).get_data(as_text=True)
    assert 'data-status="changed"' in page and "Language: English → Français" in page
    assert page.count('data-status="unchanged"') == 1 and page.count('data-status="new"') == 1
    assert "New: 1 · changed: 1 · unchanged: 1." in page


def test_only_ticked_rows_are_imported(client, auth, make_event, app):
    auth.login("agent")
    event = make_event()
    page = upload(client, event.id, GOOD.encode()).get_data(as_text=True)
    ticked = re.findall(r'<input type="checkbox" name="row" value="(\d+)" checked', page)
    assert len(ticked) == 2
    # Untick the first row (Ada, the presenter): the plain form posts the others.
    client.post(f"/staff/events/{event.id}/import/confirm", data={"rows_listed": "1", "row": ticked[1:]})
    assert [p.email for p in participants(app, event.id)] == ["camille@example.org"]


def test_the_upload_form_offers_xlsx(client, auth, make_event):
    auth.login("agent")
    event = make_event()
    page = client.get(f"/staff/events/{event.id}/import").get_data(as_text=True)
    assert ".xlsx" in page and "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" in page
    assert "Excel (.xlsx)" in page


def test_microsoft_forms_workbook_previews_then_imports(client, auth, make_event, app):
    auth.login("agent")
    event = make_event()
    response = upload(client, event.id, microsoft_forms_xlsx(), "Registration(1-2).xlsx")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'data-format="microsoft_forms"' in page
    assert "<dd data-sheet>Sheet1</dd>" in page and "row 1" in page
    assert 'data-column="email"' in page and 'data-column="language"' in page
    assert '<tr data-row="2">' in page and '<tr data-row="3">' in page and "Lena Vogel" in page
    assert participants(app, event.id) == []

    client.post(f"/staff/events/{event.id}/import/confirm", data={})
    assert [(p.name, p.email, p.language, p.role) for p in participants(app, event.id)] == [
        ("Camille Durand", "camille.durand@exemple.fr", "fr", "attendee"),
        ("Lena Vogel", "lena.vogel@example.de", "de", "attendee"),
    ]


def test_eventbrite_workbook_previews_its_bad_row_then_imports_the_valid_ones(client, auth, make_event, app):
    auth.login("agent")
    event = make_event()
    page = upload(client, event.id, eventbrite_xlsx(), "report.xlsx").get_data(as_text=True)
    assert 'data-format="eventbrite"' in page and "<dd data-sheet>Attendees</dd>" in page
    assert 'data-error="duplicate_email" data-line="4"' in page
    assert "Camille Durand" in page and "Ajay Rao" in page

    response = client.post(f"/staff/events/{event.id}/import/confirm", data={}, follow_redirects=True)
    assert "Nothing was imported" in response.get_data(as_text=True)
    assert participants(app, event.id) == []

    upload(client, event.id, eventbrite_xlsx(), "report.xlsx")
    client.post(f"/staff/events/{event.id}/import/confirm", data={"valid_only": "y"})
    rows = participants(app, event.id)
    assert [(p.name, p.email, p.language) for p in rows] == [
        ("Ajay Rao", "ajay.rao@example.com", "en"),
        ("Camille Durand", "camille.durand@exemple.fr", "fr"),
    ]
    assert all(p.token_hash for p in rows)


def test_a_workbook_is_recognised_whatever_its_file_name(client, auth, make_event):
    auth.login("agent")
    event = make_event()
    page = upload(client, event.id, microsoft_forms_xlsx(), "responses.csv").get_data(as_text=True)
    assert 'data-format="microsoft_forms"' in page and "data-sheet" in page
    page = upload(client, event.id, GOOD.encode(), "people.xlsx").get_data(as_text=True)
    assert 'data-format="csv"' in page and "data-sheet" not in page
    workbook = xlsx(("People", [row.split(",") for row in GOOD.splitlines()]))
    page = upload(client, event.id, workbook, "people.csv").get_data(as_text=True)
    assert '<dd data-format="xlsx">Excel workbook</dd>' in page and "<dd data-sheet>People</dd>" in page


@pytest.mark.parametrize(
    "content, message",
    [
        (microsoft_forms_xlsx()[:3000], "could not be read: it may be damaged"),
        (b"PK\x03\x04" + bytes(300), "could not be read: it may be damaged"),
        (refused("password_protected.xlsx"), "protected by a password"),
        (refused("excel_97_2003.xls"), "Excel 97-2003 workbook (.xls)"),
        (xlsx(), "The file is empty."),
        (xlsx(("Sheet1", [["Topic", "Room"], ["Kick-off", "A"]])), "No column with names"),
    ],
    ids=["truncated", "corrupt", "password", "xls", "empty-workbook", "no-header"],
)
def test_unusable_workbooks_get_a_clear_error_and_nothing_is_kept(client, auth, make_event, app, content, message):
    auth.login("agent")
    event = make_event()
    response = upload(client, event.id, content, "participants.xlsx")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    assert 'type="file"' in page  # the upload form again, ready for the fixed file
    assert _waiting_previews(app) == [] and participants(app, event.id) == []
