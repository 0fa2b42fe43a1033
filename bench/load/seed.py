"""Seed a load-test database: one event, N participants with personal links, a few agents.

Uses the application's own models and link code (``preflight.links.issue_link``), so the tokens
written out are exactly what the server will accept, provided it runs with the same secret key.

    .venv/bin/python bench/load/seed.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/preflight_load \
        --secret-key "$KEY" --participants 1000 --agents 5 --out /tmp/load-seed.json

The output JSON holds ``{"event_id", "tokens": [...], "agents": [{"email", "password"}]}``.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from preflight import create_app  # noqa: E402
from preflight.auth.passwords import hash_password  # noqa: E402
from preflight.db import session_scope  # noqa: E402
from preflight.links import issue_link  # noqa: E402
from preflight.models import Event, Participant, StaffUser, utcnow  # noqa: E402

LANGUAGES = ("en", "fr", "de", "es")
EVENT_NAME = "Load test webinar"
WARM_UP = 8


def seed(database_url: str, secret_key: str, participants: int, agents: int) -> dict:
    """Create the event, participants and agents; return what the load script needs."""
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": secret_key, "PREFLIGHT_ENV": "development"})
    tokens: list[str] = []
    accounts: list[dict] = []
    with app.app_context():
        with session_scope() as session:
            # The event is today: participants check in the hour before it starts.
            starts = (utcnow() + timedelta(hours=1)).replace(second=0, microsecond=0)
            event = Event(
                name=EVENT_NAME,
                starts_at=starts,
                ends_at=starts + timedelta(hours=2),
                timezone="Europe/Paris",
                platform="zoom",
                support_email="support@example.org",
                support_phone="+33 1 23 45 67 89",
            )
            session.add(event)
            session.flush()
            for n in range(participants):
                # One in twenty presents; languages rotate so every catalog is exercised.
                person = Participant(
                    event_id=event.id,
                    name=f"Load participant {n}",
                    email=f"load{n}@example.org",
                    language=LANGUAGES[n % len(LANGUAGES)],
                    role="presenter" if n % 20 == 0 else "attendee",
                )
                tokens.append(issue_link(person))
                session.add(person)
            # One hash for all agents: argon2 is deliberately slow and the password is throwaway.
            password = secrets.token_urlsafe(12) + "7a"
            password_hash = hash_password(password)
            for n in range(agents):
                email = f"agent{n}-{secrets.token_hex(3)}@load.example.org"
                session.add(StaffUser(email=email, name=f"Agent {n}", role="agent", password_hash=password_hash))
                accounts.append({"email": email, "password": password})
            # A separate event for warming the workers up, so its rows never count in the run.
            warm_event = Event(
                name="Load test warm-up", starts_at=starts, ends_at=starts + timedelta(hours=2), platform="zoom"
            )
            session.add(warm_event)
            session.flush()
            warm = []
            for n in range(WARM_UP):
                person = Participant(
                    event_id=warm_event.id,
                    name=f"Warm-up {n}",
                    email=f"warm{n}@example.org",
                    language=LANGUAGES[n % len(LANGUAGES)],
                )
                warm.append(issue_link(person))
                session.add(person)
            session.flush()
            event_id = event.id
    app.extensions["preflight_engine"].dispose()
    return {"event_id": event_id, "tokens": tokens, "agents": accounts, "warm_up": warm}


def main(argv: list[str] | None = None) -> None:
    """Command line: seed and write the JSON file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--secret-key", required=True)
    parser.add_argument("--participants", type=int, default=1000)
    parser.add_argument("--agents", type=int, default=5)
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args(argv)
    data = seed(args.database_url, args.secret_key, args.participants, args.agents)
    args.out.write_text(json.dumps(data))
    args.out.chmod(0o600)
    print(
        f"seeded event {data['event_id']}: {len(data['tokens'])} participants, {len(data['agents'])} agents -> "
        f"{args.out}"
    )


if __name__ == "__main__":
    main()
