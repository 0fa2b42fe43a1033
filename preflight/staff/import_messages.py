"""Human, translated wording for the importer's machine codes."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

FORMAT_LABELS = {
    "csv": _l("Plain CSV file"),
    "xlsx": _l("Excel workbook"),
    "zoom_webinar_attendees": _l("Zoom webinar attendee report"),
    "zoom_registration": _l("Zoom registration report"),
    "zoom_meeting_participants": _l("Zoom meeting participants report"),
    "teams_attendance": _l("Microsoft Teams attendance report"),
    "eventbrite": _l("Eventbrite attendee report"),
    "microsoft_forms": _l("Microsoft Forms responses"),
    "google_forms": _l("Google Forms responses"),
    "goto_webinar": _l("GoTo Webinar attendee report"),
}


def format_label(code: str, fallback: str = "") -> str:
    """The translated name of a recognised file format."""
    label = FORMAT_LABELS.get(code)
    return str(label) if label else (fallback or code)


def row_error_message(code: str, value: str = "") -> str:
    """Why a row was refused, in the staff member's language."""
    messages = {
        "missing_name": _("The name is missing."),
        "missing_email": _("The email address is missing."),
        # i18n: %(value)s is the email address as written in the file
        "invalid_email": _("“%(value)s” is not a valid email address.", value=value),
        # i18n: %(value)s is the email address as written in the file
        "duplicate_email": _("“%(value)s” appears again with a different name.", value=value),
        # i18n: %(value)s is the language as written in the file
        "unknown_language": _("Unknown or unsupported language “%(value)s”.", value=value),
        # i18n: %(value)s is the role as written in the file
        "unknown_role": _("Unknown role “%(value)s” (expected attendee or presenter).", value=value),
        "too_long": _("A value is too long."),
    }
    return messages.get(code, code)


def file_error_message(code: str) -> str:
    """Why a whole file was refused."""
    messages = {
        "empty": _("The file is empty."),
        "binary": _(
            "This is neither a CSV export nor an Excel workbook (.xlsx). Save it as CSV or XLSX and try again."
        ),
        "no_header": _("No column with names and no column with email addresses could be found."),
        "too_large": _("The file is too large (at most 5 MB and 20,000 rows)."),
        "encoding": _("The file's text encoding could not be read. Save it as “CSV UTF-8” and try again."),
        "damaged_xlsx": _(
            "This Excel workbook could not be read: it may be damaged or only partly downloaded. Open it in Excel "
            "and save it again, or save it as CSV, then upload it again."
        ),
        "encrypted": _(
            "This workbook is protected by a password. Open it in Excel, remove the password and save it, or save "
            "it as CSV, then upload it again."
        ),
        "legacy_xls": _(
            "This is an old Excel 97-2003 workbook (.xls). Open it in Excel and save it as “Excel Workbook (.xlsx)” "
            "or as CSV, then upload it again."
        ),
    }
    return messages.get(code, _("The file could not be read."))
