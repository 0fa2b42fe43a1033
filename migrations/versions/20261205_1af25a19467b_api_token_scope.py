"""api token scope

Tokens get a scope, "read" or "write". Tokens that exist at the upgrade become "read": they were
made when the API could only read, so whoever holds one was never meant to change data with it.

Revision ID: 1af25a19467b
Revises: a7f3c9e21d54
Create Date: 2026-12-05 18:40:00
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "1af25a19467b"
down_revision: Union[str, None] = "a7f3c9e21d54"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scope", sa.String(length=10), server_default="read", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_column("scope")
