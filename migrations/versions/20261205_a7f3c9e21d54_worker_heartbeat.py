"""worker heartbeat

Revision ID: a7f3c9e21d54
Revises: e6da54ce3bf8
Create Date: 2026-12-05 16:50:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import preflight.models.types

revision: str = "a7f3c9e21d54"
down_revision: Union[str, None] = "e6da54ce3bf8"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "worker_heartbeat",
        sa.Column("worker_id", sa.String(length=120), nullable=False),
        sa.Column("beat_at", preflight.models.types.UTCDateTime(), nullable=False),
        sa.Column("interval_seconds", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("worker_id"),
    )


def downgrade() -> None:
    op.drop_table("worker_heartbeat")
