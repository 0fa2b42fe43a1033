"""outbox batch: invitations and reminders sent in the background, with progress

Revision ID: b3d81f6a2c47
Revises: 1af25a19467b
Create Date: 2026-12-05 19:10:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "b3d81f6a2c47"
down_revision: Union[str, None] = "1af25a19467b"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_message") as batch:
        batch.add_column(sa.Column("batch", sa.String(length=40), nullable=True))
        batch.create_index("ix_outbox_message_batch", ["batch"])


def downgrade() -> None:
    with op.batch_alter_table("outbox_message") as batch:
        batch.drop_index("ix_outbox_message_batch")
        batch.drop_column("batch")
