"""Changes to show, appended by writers and folded into their sends by the notifier."""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"


def upgrade() -> None:
    op.create_table(
        "send_changes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("send_id", sa.Integer, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("send_changes")
