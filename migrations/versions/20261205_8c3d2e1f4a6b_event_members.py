"""event members: agents scoped to their events

Every existing agent is made a member of every existing event, so nobody loses access on upgrade;
from then on admins assign agents per event (an agent who creates an event is its member).

Revision ID: 8c3d2e1f4a6b
Revises: 5e1f0c2a9b7d
Create Date: 2026-12-05 13:00:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import preflight.models.types

revision: str = "8c3d2e1f4a6b"
down_revision: Union[str, None] = "5e1f0c2a9b7d"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "event_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("staff_user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", preflight.models.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["staff_user_id"], ["staff_user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id", "staff_user_id"),
    )
    with op.batch_alter_table("event_member", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_member_event_id"), ["event_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_event_member_staff_user_id"), ["staff_user_id"], unique=False)
    op.execute(
        "INSERT INTO event_member (event_id, staff_user_id, created_at) "
        "SELECT event.id, staff_user.id, CURRENT_TIMESTAMP FROM event CROSS JOIN staff_user WHERE staff_user.role = 'agent'"
    )


def downgrade() -> None:
    with op.batch_alter_table("event_member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_member_staff_user_id"))
        batch_op.drop_index(batch_op.f("ix_event_member_event_id"))
    op.drop_table("event_member")
