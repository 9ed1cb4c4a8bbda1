"""Sends from a file: each number's own text, and who is submitting a send (resumable sends)."""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    with op.batch_alter_table("recipients") as recipients:
        recipients.add_column(sa.Column("text", sa.Text))
    with op.batch_alter_table("sends") as sends:
        sends.add_column(sa.Column("submit_owner", sa.String(32)))
        sends.add_column(sa.Column("submit_lease", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("sends") as sends:
        sends.drop_column("submit_lease")
        sends.drop_column("submit_owner")
    with op.batch_alter_table("recipients") as recipients:
        recipients.drop_column("text")
