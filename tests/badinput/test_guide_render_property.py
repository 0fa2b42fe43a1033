"""Property tests of the guide renderer (translators' Markdown, agents' playbook pages are untrusted):
any text renders, and what comes out holds only allow-listed tags and attributes, no script, no
event handler, no inline style, no ``javascript:`` link, media only from ``/static/``.
The front-matter parser refuses bad files with ValueError (the guide is then shown as invalid),
and the playbook editor answers any source with a page, never a 500.
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from preflight.guides.library import parse_guide
from preflight.guides.render import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, render_markdown

SETTINGS = settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Pieces attackers and careless editors write; joined at random with text and line breaks.
PIECES = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[a](javascript:alert(1))",
    "<a href='jAvAsCrIpT:alert(1)'>x</a>",
    "[b](&#106;avascript:alert(1))",
    '<a href="java\tscript:x">t</a>',
    "<iframe src=//evil.example></iframe>",
    "<svg onload=alert(1)>",
    "<video src=https://evil.example/v.mp4 poster=http://evil.example/p.png></video>",
    "![i](http://evil.example/x.png)",
    "![ok](/static/img/ok.png)",
    '<div style="background:url(x)">s</div>',
    "<style>body{}</style>",
    "<!-- c -->",
    "<object data=x></object>",
    "<form action=//evil><input></form>",
    "<meta http-equiv=refresh content='0;url=//evil'>",
    "<base href=//evil/>",
    "<link rel=stylesheet href=//evil/x.css>",
    "{.cls #ident onclick=x}",
    '{style="color:red"}',
    "# Title {#t}",
    "## Section {#sec-1}",
    "### Sub",
    "[x](#anchor)",
    "[g](camera-problems#black)",
    "[m](mailto:a@b.c)",
    "| a | b |\n|---|---|\n| 1 | 2 |",
    "```\n<script>x</script>\n```",
    "<details open ontoggle=alert(1)>",
    "<a href=data:text/html,x>d</a>",
    "> quote",
    "- item",
    "1. one",
    "***",
    "\\",
    "<",
    ">",
    "&",
    '"',
    "'",
    "`",
    "\x00",
    "\u202e",
    "\ufeff",
]
text_pieces = st.one_of(st.sampled_from(PIECES), st.text(max_size=30))
documents = st.lists(text_pieces, max_size=25).flatmap(
    lambda parts: st.lists(st.sampled_from(["", " ", "\n", "\n\n"]), min_size=len(parts), max_size=len(parts)).map(
        lambda seps: "".join(p + s for p, s in zip(parts, seps))
    )
)
SAFE_SCHEMES = {"", "http", "https", "mailto", "tel"}


class Collector(HTMLParser):
    """Every start tag with its attributes."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    handle_startendtag = handle_starttag


def _link_for(slug: str, anchor: str | None) -> str:
    return f"/guides/{slug}" + (f"#{anchor}" if anchor else "")


def assert_safe(html: str) -> None:
    """The rendered HTML obeys the allow-list."""
    collector = Collector()
    collector.feed(html)
    for tag, attrs in collector.tags:
        assert tag in ALLOWED_TAGS, tag
        allowed = ALLOWED_ATTRIBUTES["*"] | ALLOWED_ATTRIBUTES.get(tag, set()) | {"rel"}
        for name, value in attrs:
            assert name in allowed, (tag, name)
            assert not name.startswith("on") and name != "style", (tag, name)
            value = value or ""
            if name == "href":
                scheme = urlsplit(value.strip()).scheme.lower()
                assert scheme in SAFE_SCHEMES, (tag, value)
            if name in ("src", "poster"):
                assert value.startswith("/static/"), (tag, value)
    # Text that merely reads "javascript:" is harmless; a raw tag is not.
    assert "<script" not in html.lower()


@given(body=documents)
@SETTINGS
def test_any_markdown_renders_safely(body):
    assert_safe(render_markdown(body, _link_for, anchor_label=lambda title: f"Link to the section {title}"))


@given(body=st.text(max_size=400))
@SETTINGS
def test_any_text_renders_safely(body):
    assert_safe(render_markdown(body, _link_for))


@given(
    meta=st.lists(
        st.one_of(
            st.sampled_from(
                [
                    "title: T",
                    "title:",
                    "title: [a, b]",
                    "keywords: x",
                    "keywords: [a, 1]",
                    "order: x",
                    "source_hash: 000123456789",
                    "source_hash: [1]",
                    ": :",
                    "a: {b",
                    "- x",
                    "title: !!python/object:os.system x",
                ]
            ),
            st.text(max_size=20),
        ),
        max_size=6,
    ),
    body=st.text(max_size=100),
    fence=st.sampled_from(["---", "+++", "", "---\n---"]),
)
@SETTINGS
def test_front_matter_is_parsed_or_refused_with_value_error(meta, body, fence):
    text = f"{fence}\n" + "\n".join(meta) + f"\n{fence}\n{body}" if fence else body
    try:
        guide = parse_guide(text, "some-guide", "fr")
    except ValueError:
        return
    assert guide.title and isinstance(guide.body, str)
    assert_safe(render_markdown(guide.body, _link_for))


_STATE: dict = {}


@given(source=st.one_of(documents, st.text(max_size=300).map(lambda t: "---\ntitle: T\n---\n" + t)))
@settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_playbook_editor_never_crashes(app, client, auth, source):
    if _STATE.get("app") is not app:
        _STATE.clear()
        _STATE["app"] = app
        auth.login("agent")
    response = client.post("/staff/playbook/no-sound/edit", data={"source": source})
    assert response.status_code in (200, 302, 400), response.status_code
    if response.status_code != 302:
        body = response.get_data(as_text=True)
        preview = body.split('class="playbook-preview', 1)[-1] if 'class="playbook-preview' in body else ""
        assert "<script>alert" not in preview
