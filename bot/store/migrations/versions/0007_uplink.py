"""Two-way SMS: inbound messages with their sender and text, inbox conversations, opt-outs,
and sends answered from Slack in a thread."""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    with op.batch_alter_table("sends") as sends:
        sends.add_column(sa.Column("thread_ts", sa.String(32)))
    with op.batch_alter_table("inbound") as inbound:
        inbound.add_column(sa.Column("momsgid", sa.String(64)))
        inbound.add_column(sa.Column("phone", sa.String(20)))
        inbound.add_column(sa.Column("to_number", sa.String(32)))
        inbound.add_column(sa.Column("text", sa.Text()))
        inbound.add_column(sa.Column("opt", sa.String(8)))
        inbound.add_column(
            sa.Column("send_id", sa.Integer(), sa.ForeignKey("sends.id", name="fk_inbound_send"))
        )
        inbound.create_index("ux_inbound_message", ["momsgid", "phone"], unique=True)
        inbound.create_index("ix_inbound_send", ["send_id"])
    op.create_table(
        "conversations",
        sa.Column("phone", sa.String(20), primary_key=True),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("thread_ts", sa.String(32), nullable=False),
    )
    op.create_table(
        "opt_outs",
        sa.Column("number", sa.String(20), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("user_id", sa.String(32)),
    )


def downgrade() -> None:
    op.drop_table("opt_outs")
    op.drop_table("conversations")
    with op.batch_alter_table("sends") as sends:
        sends.drop_column("thread_ts")
    with op.batch_alter_table("inbound") as inbound:
        inbound.drop_index("ix_inbound_send")
        inbound.drop_index("ux_inbound_message")
        inbound.drop_constraint("fk_inbound_send", type_="foreignkey")
        for column in ("send_id", "opt", "text", "to_number", "phone", "momsgid"):
            inbound.drop_column(column)
