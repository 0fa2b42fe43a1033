"""Help requests, one feature area (blueprint ``help``).

- ``participant_views``: the participant's "I need help" page and status fragment under ``/c/<token>/help``;
- ``staff_views``: the support queue and one request's page under ``/staff/help`` and ``/staff/events/<id>/help/<id>``;
- ``requests``: creating, listing and updating requests (no Flask request objects);
- ``priority``: how urgent a request is; ``forms``: the staff forms.
"""

from flask import Blueprint

bp = Blueprint("help", __name__)


from . import participant_views, staff_views  # noqa: E402,F401
