"""The language a send's messages are written in (its sender's, from their Slack locale)."""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    with op.batch_alter_table("sends") as sends:
        sends.add_column(sa.Column("ui_language", sa.String(8)))


def downgrade() -> None:
    with op.batch_alter_table("sends") as sends:
        sends.drop_column("ui_language")
