"""Playbook pages: shipped as Markdown files in ``playbook/``, edited by staff in the database.

The newest ``playbook_revision`` of a slug wins over the shipped file, so edits
survive upgrades and can be read back (history) without write access to the code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlmodel import Session, select

from .. import front_matter
from ..models import PlaybookRevision, StaffUser

PLAYBOOK_DIR = Path(__file__).resolve().parent.parent.parent / "playbook"
SLUGS = ("no-sound", "black-camera", "udp-blocked", "low-bandwidth", "browser-unsupported", "platform-outage")
MAX_CHARS = 50000


@dataclass
class Page:
    """One playbook page as shown: title, Markdown source and who last changed it."""

    slug: str
    source: str
    title: str
    body: str
    updated_at: datetime | None = None
    author: str = ""


def parse(slug: str, source: str) -> tuple[str, str]:
    """(title, Markdown body) of a page's source; raises ValueError when the front matter is broken."""
    try:
        post = front_matter.loads(source)
    except Exception as exc:  # yaml raises many kinds; all mean "cannot read the header"
        raise ValueError(str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__) from None
    title = post.metadata.get("title") or slug.replace("-", " ").capitalize()
    if not isinstance(title, str):
        raise ValueError("the title must be text")
    return title, post.content


def shipped_source(slug: str) -> str:
    """The page as shipped in ``playbook/<slug>.md``."""
    return (PLAYBOOK_DIR / f"{slug}.md").read_text(encoding="utf-8")


def load(session: Session, slug: str) -> Page | None:
    """The current version of a page, or None for an unknown slug."""
    if slug not in SLUGS:
        return None
    found = session.exec(
        select(PlaybookRevision, StaffUser)
        .join(StaffUser, StaffUser.id == PlaybookRevision.author_id, isouter=True)
        .where(PlaybookRevision.slug == slug)
        .order_by(PlaybookRevision.id.desc())
    ).first()
    if found is None:
        source = shipped_source(slug)
        title, body = parse(slug, source)
        return Page(slug, source, title, body)
    revision, author = found
    try:
        title, body = parse(slug, revision.body)
    except ValueError:  # saved edits are validated; keep the page readable regardless
        title, body = slug, revision.body
    return Page(slug, revision.body, title, body, revision.created_at, author.name if author else "")


def save(session: Session, slug: str, source: str, author: StaffUser) -> PlaybookRevision:
    """Store a new revision (validated by the caller with ``parse``)."""
    revision = PlaybookRevision(slug=slug, body=source, author_id=author.id)
    session.add(revision)
    session.flush()
    return revision


def history(session: Session, slug: str, limit: int = 20) -> list[tuple[PlaybookRevision, StaffUser | None]]:
    """The latest revisions of a page with their authors."""
    return list(
        session.exec(
            select(PlaybookRevision, StaffUser)
            .join(StaffUser, StaffUser.id == PlaybookRevision.author_id, isouter=True)
            .where(PlaybookRevision.slug == slug)
            .order_by(PlaybookRevision.id.desc())
            .limit(limit)
        ).all()
    )
