"""Error pages in the visitor's language, with a language switcher and a way on."""

from __future__ import annotations

import re

from preflight.db import session_scope
from preflight.links import lookup, revoke_link


def revoke(app, token):
    with app.app_context(), session_scope() as session:
        found = lookup(session, token)
        revoke_link(found.participant)
        session.add(found.participant)


def title(html: str) -> str:
    return re.search(r"<title>(.*?)</title>", html, re.S).group(1).strip()


def test_a_revoked_link_answers_in_the_participants_language(app, client, make_event, make_participant):
    event = make_event(default_language="en")
    _, token = make_participant(event=event, language="de")
    revoke(app, token)
    html = client.get(f"/c/{token}").get_data(as_text=True)
    assert '<html lang="de"' in html and "Dieser Link ist nicht mehr gültig" in html


def test_a_revoked_link_answers_in_the_browsers_language_before_the_events(app, client, make_event, make_participant):
    event = make_event(default_language="en")
    participant, token = make_participant(event=event, language="")
    revoke(app, token)
    response = client.get(f"/c/{token}", headers={"Accept-Language": "es-ES,es;q=0.9"})
    html = response.get_data(as_text=True)
    assert response.status_code == 410
    assert '<html lang="es"' in html and "Este enlace ya no es válido" in html
    assert participant.name not in html
    # A choice made on the page still wins.
    chosen = client.get(f"/c/{token}?lang=fr", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert '<html lang="fr"' in chosen


def test_an_unknown_page_is_entirely_in_the_visitors_language(client):
    response = client.get("/no/such/page", headers={"Accept-Language": "fr"})
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert title(html) == "Page introuvable · Preflight"
    assert "Not Found" not in html
    # A language switcher that keeps the visitor here, and a way on.
    assert 'class="lang-switcher"' in html and 'href="?lang=de"' in html
    assert 'href="/guides/?lang=fr"' in html


def test_other_error_titles_are_translated_too(client):
    response = client.post("/guides/", headers={"Accept-Language": "de"})
    assert response.status_code == 405
    assert title(response.get_data(as_text=True)) == "Nicht erlaubt · Preflight"
