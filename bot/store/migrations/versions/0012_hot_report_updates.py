"""A report's update touches no index of `recipients`: `status` leaves its indexes, and the
Pending numbers are found through the sends still waiting for them (`sends.waiting`)."""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"

_OPEN = "'queued', 'submitting', 'pending'"
_SENDING = "'posting', 'sending', 'scheduled'"


def upgrade() -> None:
    op.add_column("sends", sa.Column("waiting", sa.Boolean, nullable=False, server_default=sa.true()))
    # Only the sends that may still have Pending numbers stay waiting (the reconciler's rule).
    op.execute(
        f"UPDATE sends SET waiting = false WHERE state NOT IN ({_SENDING}) AND NOT EXISTS "
        f"(SELECT 1 FROM recipients WHERE recipients.send_id = sends.id AND recipients.status IN ({_OPEN}))"
    )
    waiting = sa.text("waiting")
    op.create_index("ix_sends_waiting", "sends", ["id"], postgresql_where=waiting, sqlite_where=waiting)
    op.drop_index("ix_recipients_pending", "recipients")
    op.drop_index("ix_recipients_send", "recipients")
    op.create_index("ix_recipients_send", "recipients", ["send_id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE recipients SET (fillfactor = 80)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE recipients RESET (fillfactor)")
    op.drop_index("ix_recipients_send", "recipients")
    op.create_index("ix_recipients_send", "recipients", ["send_id", "status"])
    op.create_index("ix_recipients_pending", "recipients", ["status", "updated_at"])
    op.drop_index("ix_sends_waiting", "sends")
    op.drop_column("sends", "waiting")
