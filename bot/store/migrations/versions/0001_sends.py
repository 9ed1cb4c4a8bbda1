"""Sends, their numbers, and drafts awaiting confirmation."""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "sends",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("message_ts", sa.String(32)),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("sender_id", sa.String(16)),
        sa.Column("lang", sa.String(8)),
        sa.Column("encoding", sa.String(8), nullable=False),
        sa.Column("parts", sa.Integer, nullable=False),
        sa.Column("recipients", sa.Integer, nullable=False),
        sa.Column("estimated_cost", sa.Numeric(14, 4)),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("detail", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("dirty_since", sa.DateTime(timezone=True)),
        sa.Column("claimed_until", sa.DateTime(timezone=True)),
        sa.Column("not_before", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_sends_dirty", "sends", ["dirty_since"])
    op.create_table(
        "recipients",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("send_id", sa.Integer, sa.ForeignKey("sends.id", ondelete="CASCADE"), nullable=False),
        sa.Column("number", sa.String(20), nullable=False),
        sa.Column("region", sa.String(2)),
        sa.Column("msgid", sa.String(64)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("code", sa.String(16)),
        sa.Column("updated_at", sa.DateTime(timezone=True)),
        sa.Column("announced", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_index("ux_recipients_msgid_number", "recipients", ["msgid", "number"], unique=True)
    op.create_index("ix_recipients_send", "recipients", ["send_id", "status"])
    op.create_table(
        "drafts",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("consumed_at", sa.DateTime(timezone=True)),
    )


def downgrade() -> None:
    op.drop_table("drafts")
    op.drop_table("recipients")
    op.drop_table("sends")
