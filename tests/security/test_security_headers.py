"""The header set on every kind of response, the cookies' flags, and what the pages may load.

A strict CSP only protects if the pages obey it, so the templates and static files are also read
for inline scripts, inline styles, event-handler attributes and third-party addresses.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from preflight import PROJECT_ROOT, create_app
from preflight.config import ConfigError
from preflight.security import content_security_policy

TEMPLATES = PROJECT_ROOT / "templates"
STATIC = PROJECT_ROOT / "static"
EXPECTED_DIRECTIVES = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "connect-src": "'self'",
    "font-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def _csp(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    directives = {}
    for part in policy.split(";"):
        name, _, value = part.strip().partition(" ")
        directives[name] = value.strip()
    return directives


@pytest.fixture
def responses(client, auth, make_participant):
    """One response of every family: participant page, its JSON, guides, staff, errors, static."""
    _participant, token = make_participant()
    out = {
        "participant page": client.get(f"/c/{token}"),
        "results (json)": client.post(f"/c/{token}/results", json={"run_id": "x"}),
        "unknown link": client.get("/c/not-a-token"),
        "guide": client.get("/guides/"),
        "healthz": client.get("/healthz"),
        "not found": client.get("/no/such/page"),
        "login": client.get("/staff/login"),
    }
    with client.get("/static/css/app.css") as static:
        out["static"] = static
    auth.login("admin")
    out["staff page"] = client.get("/staff/")
    return out


def test_strict_csp_on_every_response(responses):
    for name, response in responses.items():
        directives = _csp(response)
        for directive, value in EXPECTED_DIRECTIVES.items():
            assert directives.get(directive) == value, (name, directive, directives.get(directive))
        text = response.headers["Content-Security-Policy"]
        # Nothing that re-opens script injection, and no other origin anywhere.
        for loose in ("'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "*", "http:", "https:"):
            assert loose not in text, (name, loose)
        assert set(directives["img-src"].split()) <= {"'self'", "data:", "blob:"}
        assert set(directives["media-src"].split()) <= {"'self'", "data:", "blob:"}


def test_other_headers_on_every_response(responses):
    for name, response in responses.items():
        assert response.headers["X-Content-Type-Options"] == "nosniff", name
        assert response.headers["Referrer-Policy"] == "no-referrer", name
        assert response.headers["X-Frame-Options"] == "DENY", name
        # Development: no HSTS (it would pin localhost to HTTPS in the developer's browser).
        assert "Strict-Transport-Security" not in response.headers, name
        assert "camera=(self)" in response.headers["Permissions-Policy"], name


def test_personal_pages_are_never_cached(responses):
    for name in ("participant page", "results (json)", "staff page", "unknown link"):
        assert "no-store" in responses[name].headers["Cache-Control"], name


def test_frame_ancestors_allow_list(app_config, make_participant):
    app_config["FRAME_ANCESTORS"] = ["https://events.example.org", "https://www.example.com:8443"]
    app = create_app(app_config)
    try:
        response = app.test_client().get("/healthz")
        assert _csp(response)["frame-ancestors"] == "https://events.example.org https://www.example.com:8443"
        # X-Frame-Options cannot express an allow-list: it must not contradict the CSP.
        assert "X-Frame-Options" not in response.headers
    finally:
        app.extensions["preflight_engine"].dispose()


@pytest.mark.parametrize(
    "bad",
    ["*", "https://a.example.org; script-src *", "'unsafe-inline'", "javascript:", "example.org/path", "http://x y"],
)
def test_frame_ancestors_refuses_anything_but_origins(app_config, bad):
    app_config["FRAME_ANCESTORS"] = [bad]
    with pytest.raises(ConfigError, match="FRAME_ANCESTORS"):
        create_app(app_config)


def test_policy_function_matches_default():
    assert "frame-ancestors 'none'" in content_security_policy([])


@pytest.fixture
def production_app(app_config, monkeypatch):
    monkeypatch.setenv("PREFLIGHT_ENV", "production")
    app = create_app(app_config)
    yield app
    app.extensions["preflight_engine"].dispose()


def test_production_hsts_and_cookie_flags(production_app, make_participant, make_staff, staff_password):
    client = production_app.test_client()
    response = client.get("/staff/login")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    user = make_staff("agent")
    # Production sessions are Secure cookies: the test client must speak HTTPS to send them back.
    signed_in = client.post(
        "/staff/login", data={"email": user.email, "password": staff_password}, base_url="https://localhost"
    )
    assert signed_in.status_code == 302
    for header in signed_in.headers.getlist("Set-Cookie"):
        assert "Secure" in header and "HttpOnly" in header and "SameSite" in header, header
    _participant, token = make_participant()
    page = client.get(f"/c/{token}?lang=fr", base_url="https://localhost")
    assert page.status_code == 200
    for header in page.headers.getlist("Set-Cookie"):
        assert "Secure" in header and "HttpOnly" in header and "SameSite" in header, header


def _templates():
    for path in sorted(TEMPLATES.rglob("*.html")):
        if path.relative_to(TEMPLATES).parts[0] == "email":
            continue  # emails are read in mail clients, where inline styles are the norm and CSP does not apply
        yield path


def test_templates_obey_the_csp():
    problems = []
    for path in _templates():
        text = path.read_text()
        for match in re.finditer(r"<script\b([^>]*)>", text):
            attrs = match.group(1)
            if "src=" not in attrs and 'type="application/json"' not in attrs:
                problems.append(f"{path.relative_to(TEMPLATES)}: inline <script>")
        if re.search(r"<style\b", text):
            problems.append(f"{path.relative_to(TEMPLATES)}: <style> element")
        if re.search(r"\sstyle\s*=", text):
            problems.append(f"{path.relative_to(TEMPLATES)}: style attribute")
        for handler in re.findall(r"\s(on[a-z]+)\s*=\s*[\"']", text):
            problems.append(f"{path.relative_to(TEMPLATES)}: {handler}= handler")
        if re.search(r"javascript:", text, re.IGNORECASE):
            problems.append(f"{path.relative_to(TEMPLATES)}: javascript: URL")
    assert not problems, problems


THIRD_PARTY = re.compile(r"""(?:src|href|action|poster|data)\s*=\s*["'](?:https?:)?//""", re.IGNORECASE)


def test_pages_load_nothing_from_elsewhere():
    """No template pulls a script, style, image, font or frame from another site."""
    problems = []
    for path in _templates():
        for line in path.read_text().splitlines():
            for match in THIRD_PARTY.finditer(line):
                # Plain links the participant may follow (<a href>) are not requests the page makes.
                if not re.search(r"<a\b[^>]*$", line[: match.start()]):
                    problems.append(f"{path.relative_to(TEMPLATES)}: {line.strip()[:120]}")
    assert not problems, problems


def test_static_files_call_no_other_site():
    problems = []
    for path in sorted(STATIC.rglob("*")):
        if path.suffix not in (".js", ".css") or "vendor" in path.parts:
            continue
        text = path.read_text()
        for pattern in (
            r"""fetch\(\s*["'](?:https?:)?//""",
            r"""url\(\s*["']?(?:https?:)?//""",
            r"@import\s+[\"']?(?:url\()?(?:https?:)?//",
            r"""new\s+(?:WebSocket|EventSource)\(\s*["'](?:wss?|https?):""",
            r"""stun:|turns?:""",
        ):
            if re.search(pattern, text):
                problems.append(f"{path.relative_to(STATIC)}: {pattern}")
    assert not problems, problems


def test_rendered_participant_page_has_no_foreign_urls(responses):
    html = responses["participant page"].get_data(as_text=True)
    for match in re.finditer(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html):
        url = match.group(1)
        assert not re.match(r"(?:https?:)?//", url) or url.startswith("http://localhost/"), url


def test_error_pages_carry_the_headers_too(app):
    @app.get("/_boom")
    def _boom():
        raise RuntimeError("boom")

    response = app.test_client().get("/_boom")
    assert response.status_code == 500
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_static_path_is_the_project_static():
    assert Path(STATIC / "js" / "check.js").is_file()
