"""Workflow Builder step runs: each `function_executed` event taken once, and ended once."""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"


def upgrade() -> None:
    op.create_table(
        "step_runs",
        sa.PrimaryKeyConstraint("execution_id"),
        sa.Column("execution_id", sa.String(64), nullable=False),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("step", sa.String(32), nullable=False),
        sa.Column("workflow_run", sa.String(64)),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("token", sa.Text()),
        sa.Column("ended_at", sa.DateTime(timezone=True)),
        sa.Column("outcome", sa.String(16)),
        sa.Column("detail", sa.Text()),
    )


def downgrade() -> None:
    op.drop_table("step_runs")
