"""Who may use each endpoint of the app: the policy the authorisation matrix enforces.

A new route needs an entry here (``test_every_route_has_a_policy`` fails otherwise), which forces a
decision about who may use it.
"""

# Who may use an endpoint:
#   public       anyone (no data behind it, or the data is public)
#   link         only with a valid participant link in the URL (the token is the credential)
#   staff        signed-in admins and agents
#   admin        signed-in admins
#   translation  signed-in translators and admins
#   api          an API bearer token of an admin or agent (session cookies never count)
#   api-write    the same, and the token must have the write scope (a read token gets 403)
#   signed-in    any signed-in staff member (their own account)
#   password-link  only with a valid invitation or reset link in the URL (nobody holds one here)
#   metrics      only with the metrics bearer token or from an allowed address (off here: 404;
#                tests/test_metrics.py covers both ways in)
POLICY: dict[str, str] = {
    "static": "public",
    "health.healthz": "public",
    "metrics.metrics": "metrics",
    "participant.favicon": "public",
    "guides.index": "public",
    "guides.guide": "public",
    "auth.login": "public",
    "auth.logout": "public",
    "accounts.set_password": "password-link",
    "accounts.forgot_password": "public",
    "accounts.change_password": "signed-in",
    "auth.confirm": "signed-in",
    "accounts.users": "admin",
    "accounts.invite_user": "admin",
    "accounts.update_user": "admin",
    "accounts.send_user_link": "admin",
    "api.openapi": "public",
    "participant.check_page": "link",
    "participant.post_results": "link",
    "help.ask": "link",
    "help.status": "link",
    "participant.survey": "link",
    "network.config": "link",
    "network.offer": "link",
    "network.close": "link",
    "network.http_ping": "link",
    "network.http_down": "link",
    "network.http_up": "link",
    "api.events": "api",
    "api.participants": "api",
    "api.participant": "api",
    "api.help_requests": "api",
    "api.readiness": "api",
    "api.create_participant": "api-write",
    "api.change_participant": "api-write",
    "api.change_help_request": "api-write",
    "api_tokens.index": "staff",
    "api_tokens.create": "staff",
    "api_tokens.revoke": "staff",
    "staff.events": "staff",
    "staff.new_event": "staff",
    "staff.edit_event": "staff",
    "staff.event": "staff",
    "staff.add_participant": "staff",
    "staff.revoke": "staff",
    "staff.renew": "staff",
    "staff.edit_participant": "staff",
    "staff.export_links": "staff",
    "staff.set_members": "admin",
    "staff.delete": "admin",
    "staff.audit_log": "admin",
    "staff.import_upload": "staff",
    "staff.import_confirm": "staff",
    "staff.send": "staff",
    "staff.retry": "staff",
    "staff.send_one_participant": "staff",
    "staff.translator_home": "translation",
    "dashboard.event": "staff",
    "dashboard.summary": "staff",
    "dashboard.charts_fragment": "staff",
    "dashboard.chart": "staff",
    "dashboard.participant": "staff",
    "dashboard.export_csv": "staff",
    "dashboard.report": "staff",
    "dashboard.report_csv": "staff",
    "dashboard.resend": "staff",
    "dashboard.remind": "staff",
    "dashboard.mark_handled": "staff",
    "dashboard.unmark_handled": "staff",
    "dashboard.add_note": "staff",
    "help.queue": "staff",
    "help.request": "staff",
    "help.update": "staff",
    "help.note": "staff",
    "help.send_reply": "staff",
    "survey.schedule": "staff",
    "playbook.index": "staff",
    "playbook.show": "staff",
    "playbook.edit": "staff",
    "translations_admin.status": "translation",
    "translations_admin.locale_guides": "translation",
    "translations_admin.preview": "translation",
}
ALLOWED = {
    "public": {"anonymous", "participant", "translator", "agent", "admin"},
    "link": {"participant"},
    "staff": {"agent", "admin"},
    "admin": {"admin"},
    "translation": {"translator", "admin"},
    "api": {"agent", "admin"},
    "api-write": {"agent", "admin"},
    "signed-in": {"translator", "agent", "admin"},
    "password-link": set(),
    "metrics": set(),
}
