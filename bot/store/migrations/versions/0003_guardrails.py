"""Approvals and the audit trail."""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.create_table(
        "approvals",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("requester_id", sa.String(32), nullable=False),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("recipients", sa.Integer, nullable=False),
        sa.Column("estimated_cost", sa.Numeric(14, 4)),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(32)),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        sa.Column("message_channel", sa.String(32)),
        sa.Column("message_ts", sa.String(32)),
    )
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("channel_id", sa.String(32)),
        sa.Column("recipients", sa.Integer),
        sa.Column("estimated_cost", sa.Numeric(14, 4)),
        sa.Column("outcome", sa.String(32)),
        sa.Column("detail", sa.Text),
        sa.Column("send_id", sa.Integer),
    )
    op.create_index("ix_audit_at", "audit", ["at"])
    op.create_index("ix_sends_created", "sends", ["team_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_sends_created", "sends")
    op.drop_table("audit")
    op.drop_table("approvals")
