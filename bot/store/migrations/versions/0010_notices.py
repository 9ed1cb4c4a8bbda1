"""Notices the app posts on its own (the weekly digest, the low-balance alert): each once."""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"


def upgrade() -> None:
    op.create_table(
        "notices",
        sa.PrimaryKeyConstraint("account", "kind", "period"),
        sa.Column("account", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("period", sa.String(32), nullable=False),
        sa.Column("claimed_until", sa.DateTime(timezone=True)),
        sa.Column("posted_at", sa.DateTime(timezone=True)),
        sa.Column("detail", sa.Text()),
    )


def downgrade() -> None:
    op.drop_table("notices")
