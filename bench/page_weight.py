"""Weight of the participant's pre-flight page: our own JavaScript and CSS against a 60 KB budget.

Renders ``/c/<token>`` for a throw-away participant (temporary SQLite database), reads which
scripts and stylesheets the page really loads, and prints their sizes before compression.
Vendored files (``static/vendor/``, e.g. htmx) are listed separately and not counted.
Exits 1 when our own files exceed the budget.

    .venv/bin/python bench/page_weight.py
"""

from __future__ import annotations

import sys
import tempfile
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from preflight import create_app  # noqa: E402
from preflight import migrate as migrations  # noqa: E402
from preflight.db import get_engine, session_scope  # noqa: E402
from preflight.links import issue_link  # noqa: E402
from preflight.models import Event, Participant, utcnow  # noqa: E402

BUDGET = 60_000  # bytes, uncompressed (60 KB)


class Assets(HTMLParser):
    """Collects ``<script src>`` and ``<link rel=stylesheet href>`` URLs."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and attrs.get("src"):
            self.urls.append(attrs["src"])
        elif tag == "link" and "stylesheet" in (attrs.get("rel") or "") and attrs.get("href"):
            self.urls.append(attrs["href"])


def page_assets() -> list[str]:
    """Static URLs loaded by a freshly rendered check page."""
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"TESTING": True, "SECRET_KEY": "bench-" + "x" * 40, "DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3",
                          "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})
        with app.app_context():
            migrations.upgrade(get_engine())
            with session_scope() as session:
                starts = utcnow() + timedelta(days=1)
                event = Event(name="Bench", starts_at=starts, ends_at=starts + timedelta(hours=1))
                session.add(event)
                session.flush()
                participant = Participant(event_id=event.id, name="Bench", email="bench@example.org")
                token = issue_link(participant)
                session.add(participant)
        response = app.test_client().get(f"/c/{token}")
        app.extensions["preflight_engine"].dispose()
    if response.status_code != 200:
        raise SystemExit(f"page answered {response.status_code}")
    parser = Assets()
    parser.feed(response.get_data(as_text=True))
    return parser.urls


def main() -> int:
    """Print the table; 1 when over budget."""
    own, vendored = [], []
    for url in page_assets():
        path = ROOT / url.split("?")[0].lstrip("/")
        size = path.stat().st_size
        (vendored if "/static/vendor/" in url else own).append((url, size))
    width = max(len(url) for url, _ in own + vendored)
    print("own JavaScript and CSS (uncompressed):")
    for url, size in own:
        print(f"  {url:<{width}}  {size:>7,} B")
    total = sum(size for _, size in own)
    print(f"  {'total':<{width}}  {total:>7,} B  of {BUDGET:,} B budget ({100 * total / BUDGET:.0f} %)")
    print("vendored (not counted):")
    for url, size in vendored:
        print(f"  {url:<{width}}  {size:>7,} B")
    if total > BUDGET:
        print(f"OVER BUDGET by {total - BUDGET:,} B", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
