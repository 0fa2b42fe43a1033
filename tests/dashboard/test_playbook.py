"""The support playbook: shipped pages, rendering, editing by staff with history, safety."""

from __future__ import annotations

import pytest

from preflight.db import session_scope
from preflight.playbook.pages import SLUGS, history
from support_factories import csrf_token, login_with_csrf


def test_every_incident_has_questions_fix_escalation_and_contacts(client, auth):
    auth.login("agent")
    index = client.get("/staff/playbook/").get_data(as_text=True)
    for slug in ("no-sound", "black-camera", "udp-blocked", "low-bandwidth", "browser-unsupported", "platform-outage"):
        assert slug in SLUGS and f"/staff/playbook/{slug}" in index
        html = client.get(f"/staff/playbook/{slug}").get_data(as_text=True)
        for section in ("questions", "fix", "escalation", "contacts"):
            assert f'id="{section}"' in html, (slug, section)


def test_links_to_guides_resolve(client, auth):
    auth.login("agent")
    html = client.get("/staff/playbook/udp-blocked").get_data(as_text=True)
    assert "/guides/firewall-vpn-proxy?lang=" in html and "#ask-it" in html


@pytest.mark.csrf
def test_staff_edit_a_page_with_history(client, make_staff):
    user = make_staff("agent")
    login_with_csrf(client, user)
    url = "/staff/playbook/no-sound/edit"
    token = csrf_token(client, url)
    assert (
        client.post(url, data={"source": "---\ntitle: No sound\n---\n## Ask {#questions}\n\nIs it muted?"}).status_code
        == 400
    )  # no CSRF token
    source = (
        "---\ntitle: No sound at all\n---\n## Ask {#questions}\n\n"
        "Is it muted? <script>alert(1)</script> [x](javascript:alert(1))\n"
    )
    assert client.post(url, data={"source": source, "csrf_token": token}).status_code == 302
    html = client.get("/staff/playbook/no-sound").get_data(as_text=True)
    assert "No sound at all" in html and "Is it muted?" in html
    assert "<script>alert" not in html and 'href="javascript' not in html, html[html.find("<script>alert") - 300 :]
    assert user.name in html  # history shows who edited


def test_bad_front_matter_is_refused(client, auth):
    auth.login("admin")
    response = client.post("/staff/playbook/no-sound/edit", data={"source": "---\ntitle: [unclosed\n---\nbody"})
    assert response.status_code == 400 and "cannot be read" in response.get_data(as_text=True)
    assert client.post("/staff/playbook/no-sound/edit", data={"source": ""}).status_code == 400
    assert client.post("/staff/playbook/no-sound/edit", data={"source": "x" * 50001}).status_code == 400


def test_unknown_page_and_roles(client, auth):
    assert client.get("/staff/playbook/").status_code == 302
    auth.login("translator")
    assert client.get("/staff/playbook/no-sound").status_code == 403
    assert client.post("/staff/playbook/no-sound/edit", data={"source": "x"}).status_code == 403
    auth.logout()
    auth.login("agent")
    assert client.get("/staff/playbook/../etc/passwd").status_code == 404
    assert client.get("/staff/playbook/nope").status_code == 404
    assert client.get("/staff/playbook/nope/edit").status_code == 404


BILLION_LAUGHS = (
    "---\n"
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
    "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
    "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
    "title: *g\n"
    "---\nbody"
)


@pytest.mark.parametrize(
    "source, reason",
    [
        (BILLION_LAUGHS, "aliases are not allowed"),
        ("---\ntitle: [1, 2]\n---\nbody", "title must be text"),
        ("---\ntitle: " + "x" * 600 + "\n---\nbody", "longer than"),
    ],
)
def test_front_matter_that_could_explode_is_refused(app, client, auth, source, reason):
    """YAML aliases (billion laughs), non-text titles and huge values are refused, nothing saved."""
    auth.login("admin")
    response = client.post("/staff/playbook/no-sound/edit", data={"source": source})
    assert response.status_code == 400
    assert reason in response.get_data(as_text=True)
    # Nothing saved: no revision. (Looking for "lol" in the page matched a random CSRF token once.)
    with app.app_context(), session_scope() as session:
        assert history(session, "no-sound") == []
