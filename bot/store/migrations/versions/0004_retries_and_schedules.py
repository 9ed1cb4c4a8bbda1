"""Retries of failed numbers and scheduled sends."""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"


def columns() -> list[sa.Column[object]]:
    return [
        sa.Column("scheduled_at", sa.DateTime(timezone=True)),
        sa.Column("cancelled_by", sa.String(32)),
        sa.Column("retry_of", sa.Integer),
        sa.Column("retry_send_id", sa.Integer),
        sa.Column("retry_claimed_by", sa.String(32)),
        sa.Column("retry_claimed_at", sa.DateTime(timezone=True)),
        sa.Column("origin_link", sa.Text),
    ]


def upgrade() -> None:
    with op.batch_alter_table("sends") as sends:
        for column in columns():
            sends.add_column(column)
    op.create_index("ix_sends_scheduled", "sends", ["state", "scheduled_at"])


def downgrade() -> None:
    op.drop_index("ix_sends_scheduled", "sends")
    with op.batch_alter_table("sends") as sends:
        for column in reversed(columns()):
            sends.drop_column(column.name)
