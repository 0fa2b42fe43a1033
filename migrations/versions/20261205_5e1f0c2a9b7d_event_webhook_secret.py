"""event webhook signing secret

Events that already have a webhook get a key now, so their posts are signed from the upgrade on.

Revision ID: 5e1f0c2a9b7d
Revises: 73ba869cfa20
Create Date: 2026-12-05 12:45:00
"""
import secrets
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "5e1f0c2a9b7d"
down_revision: Union[str, None] = "73ba869cfa20"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("webhook_secret", sa.String(length=64), server_default="", nullable=False))
    connection = op.get_bind()
    event = sa.table("event", sa.column("id", sa.Integer), sa.column("webhook_url", sa.String), sa.column("webhook_secret", sa.String))
    for (event_id,) in connection.execute(sa.select(event.c.id).where(event.c.webhook_url != "")).all():
        connection.execute(event.update().where(event.c.id == event_id).values(webhook_secret=secrets.token_urlsafe(32)))


def downgrade() -> None:
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_column("webhook_secret")
