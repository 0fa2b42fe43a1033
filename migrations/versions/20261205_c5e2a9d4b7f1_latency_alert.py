"""latency alert thresholds per event

Revision ID: c5e2a9d4b7f1
Revises: b3d81f6a2c47
Create Date: 2026-12-05 19:20:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "c5e2a9d4b7f1"
down_revision: Union[str, None] = "b3d81f6a2c47"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Existing events get the defaults (200 ms, 5 participants, 30 minutes).
    with op.batch_alter_table("event") as batch:
        batch.add_column(sa.Column("latency_alert_ms", sa.Integer(), nullable=False, server_default="200"))
        batch.add_column(sa.Column("latency_alert_participants", sa.Integer(), nullable=False, server_default="5"))
        batch.add_column(sa.Column("latency_alert_minutes", sa.Integer(), nullable=False, server_default="30"))


def downgrade() -> None:
    with op.batch_alter_table("event") as batch:
        batch.drop_column("latency_alert_minutes")
        batch.drop_column("latency_alert_participants")
        batch.drop_column("latency_alert_ms")
