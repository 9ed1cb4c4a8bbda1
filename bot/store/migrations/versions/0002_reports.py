"""Status reports, bad callbacks, inbound messages; what the notifier and reconciler track."""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    with op.batch_alter_table("sends") as sends:
        sends.add_column(sa.Column("change_seq", sa.Integer, nullable=False, server_default="0"))
        sends.add_column(sa.Column("notify_attempts", sa.Integer, nullable=False, server_default="0"))
    with op.batch_alter_table("recipients") as recipients:
        recipients.add_column(sa.Column("polled_at", sa.DateTime(timezone=True)))
    op.create_index("ix_recipients_pending", "recipients", ["status", "updated_at"])
    op.create_table(
        "reports",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("msgid", sa.String(64), nullable=False),
        sa.Column("number", sa.String(20), nullable=False),
        sa.Column("value", sa.String(8), nullable=False),
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("raw", sa.Text, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ux_reports_key", "reports", ["msgid", "number", "value", "code"], unique=True)
    op.create_table(
        "bad_callbacks",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("raw", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "inbound",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("command", sa.String(32), nullable=False),
        sa.Column("raw", sa.Text, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True)),
        sa.Column("claimed_until", sa.DateTime(timezone=True)),
    )


def downgrade() -> None:
    op.drop_table("inbound")
    op.drop_table("bad_callbacks")
    op.drop_index("ux_reports_key", "reports")
    op.drop_table("reports")
    op.drop_index("ix_recipients_pending", "recipients")
    with op.batch_alter_table("recipients") as recipients:
        recipients.drop_column("polled_at")
    with op.batch_alter_table("sends") as sends:
        sends.drop_column("notify_attempts")
        sends.drop_column("change_seq")
