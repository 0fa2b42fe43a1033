"""What a participant's browser downloads for the pre-flight page: the transfer-size budget.

Renders ``/c/<token>`` for a throw-away participant (temporary SQLite database) and fetches, through
the app itself (WhiteNoise in front of Flask, as in production), everything the first visit loads:
the HTML, every stylesheet and script the page names and the test tone. The page never loads htmx;
while the participant has an open help request it also loads the small help status poller
(``static/js/help-status.js``), so both first visits are measured and must fit the budget: the
usual one, and one with a help request open. Sizes are what crosses the network: the compressed
variant a browser sending ``Accept-Encoding: br, gzip`` gets. A repeat visit loads only the HTML:
every asset has a fingerprinted name cached for a year (``immutable``). The HTML is counted
gzip-compressed, as the reverse proxy in front of the app sends it (docs/operations.md: `gzip on`
for text/html); its uncompressed size is printed too. Exits 1 when either first visit is over budget.

    .venv/bin/python bench/page_weight.py
"""

from __future__ import annotations

import gzip
import re
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
from preflight.models import Event, HelpRequest, Participant, utcnow  # noqa: E402

BUDGET = 45_000  # bytes crossing the network on a first visit (45 kB, decimal)


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


def first_visit(help_open: bool = False) -> tuple[list[tuple[str, int, int, str, str]], bytes]:
    """([(url, transfer bytes, uncompressed bytes, encoding, cache-control)], HTML) of a first visit;
    ``help_open``: the participant has asked for help and waits for the answer."""
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "bench-" + "x" * 40,
                "DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3",
                "WTF_CSRF_ENABLED": False,
                "RATELIMIT_ENABLED": False,
            }
        )
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
                if help_open:
                    session.flush()
                    session.add(HelpRequest(event_id=event.id, participant_id=participant.id, message="Help"))
        client = app.test_client()
        page = client.get(f"/c/{token}")
        if page.status_code != 200:
            raise SystemExit(f"page answered {page.status_code}")
        html = page.get_data(as_text=True)
        parser = Assets()
        parser.feed(html)
        tone = re.search(r'/static/audio/test-tone[^"&]*\.wav', html)
        urls = parser.urls + ([tone.group(0)] if tone else [])
        rows = []
        for url in urls:
            with client.get(url, headers={"Accept-Encoding": "br, gzip"}) as compressed, client.get(url) as plain:
                rows.append(
                    (
                        url,
                        len(compressed.data),
                        len(plain.data),
                        compressed.headers.get("Content-Encoding", "identity"),
                        compressed.headers.get("Cache-Control", ""),
                    )
                )
        app.extensions["preflight_engine"].dispose()
    return rows, page.data


def main() -> int:
    """Print both tables and both totals; 1 when either is over budget."""
    usual, usual_total = report("first visit", *first_visit())
    helped, helped_total = report("first visit with a help request open", *first_visit(True))
    print(
        f"first loads: {usual_total:,} B, {helped_total:,} B with a help request open; budget {BUDGET:,} B each"
        f" ({'both fit' if max(usual, helped) == 0 else 'OVER'})"
    )
    return max(usual, helped)


def report(title: str, rows, body: bytes) -> tuple[int, int]:
    """Print one visit's table; (1 when over budget or not cached for good, else 0; the total in bytes)."""
    html = len(gzip.compress(body, compresslevel=6))  # nginx's gzip_comp_level is 1..9; 6 is the usual setting
    width = max(len(url) for url, *_ in rows)
    print(f"{title} (bytes on the wire, Accept-Encoding: br, gzip):")
    print(f"  {'HTML (gzip, as the proxy sends it)':<{width}}  {html:>7,} B  ({len(body):,} B uncompressed)")
    for url, sent, plain, encoding, cache in rows:
        print(f"  {url:<{width}}  {sent:>7,} B  ({encoding}, {plain:,} B uncompressed; {cache})")
    total = html + sum(sent for _, sent, *_ in rows)
    print(f"  {'total':<{width}}  {total:>7,} B  of {BUDGET:,} B budget ({100 * total / BUDGET:.0f} %)")
    uncompressed = len(body) + sum(plain for _, _, plain, *_ in rows)
    print(f"  {'(uncompressed: ' + format(uncompressed, ',') + ' B)':<{width}}")
    cached = all("immutable" in cache for *_, cache in rows)
    print(
        f"repeat visit: {html:,} B (the HTML only; assets are fingerprinted and immutable: {'yes' if cached else 'NO'})"
    )
    if total > BUDGET or not cached:
        print(
            f"OVER BUDGET by {total - BUDGET:,} B" if total > BUDGET else "assets not cached as immutable",
            file=sys.stderr,
        )
        return 1, total
    return 0, total


if __name__ == "__main__":
    sys.exit(main())
