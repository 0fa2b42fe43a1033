"""Valid staff form posts shared by tests (``tests/`` is on ``sys.path``).

Import as ``from staff_forms import EVENT_FORM`` and override fields with ``{**EVENT_FORM, ...}``.
"""

EVENT_FORM = {
    "name": "Webinar",
    "platform": "zoom",
    "timezone": "Europe/Paris",
    "starts_at": "2027-01-10T10:00",
    "ends_at": "2027-01-10T12:00",
    "default_language": "en",
    "default_role": "attendee",
}
