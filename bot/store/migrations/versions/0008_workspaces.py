"""One deployment for many workspaces: what is stored is keyed by the Santo account it belongs to
(`account`: '' for the deployment's own, else the workspace's team id), the workspaces with their
Santo accounts, and Slack's installations and OAuth states (slack_sdk's own tables)."""

import sqlalchemy as sa
from alembic import op
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

revision = "0008"
down_revision = "0007"

_KEYED = {  # table: (unique index, its columns after the account)
    "recipients": ("ux_recipients_msgid_number", ["msgid", "number"]),
    "reports": ("ux_reports_key", ["msgid", "number", "value", "code"]),
    "inbound": ("ux_inbound_message", ["momsgid", "phone"]),
}


def _account() -> sa.Column[str]:
    return sa.Column("account", sa.String(32), nullable=False, server_default="")


def _slack_tables() -> sa.MetaData:
    metadata = sa.MetaData()
    SQLAlchemyInstallationStore.build_installations_table(metadata, "slack_installations")
    SQLAlchemyInstallationStore.build_bots_table(metadata, "slack_bots")
    SQLAlchemyOAuthStateStore.build_oauth_states_table(metadata, "slack_oauth_states")
    return metadata


def upgrade() -> None:
    for table, (index, columns) in _KEYED.items():
        with op.batch_alter_table(table) as batch:
            batch.add_column(_account())
            batch.drop_index(index)
            batch.create_index(index, ["account", *columns], unique=True)
    _rekey(
        "conversations",
        ["phone", "channel_id", "thread_ts"],
        [
            sa.Column("phone", sa.String(20), primary_key=True),
            sa.Column("channel_id", sa.String(32), nullable=False),
            sa.Column("thread_ts", sa.String(32), nullable=False),
        ],
    )
    _rekey(
        "opt_outs",
        ["number", "created_at", "source", "user_id"],
        [
            sa.Column("number", sa.String(20), primary_key=True),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("source", sa.String(16), nullable=False),
            sa.Column("user_id", sa.String(32)),
        ],
    )
    op.create_table(
        "workspaces",
        sa.Column("team_id", sa.String(32), primary_key=True),
        sa.Column("report_token", sa.String(64), nullable=False, unique=True),
        sa.Column("installed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("installed_by", sa.String(32)),
        sa.Column("uninstalled_at", sa.DateTime(timezone=True)),
        sa.Column("santo_cpid", sa.String(64)),
        sa.Column("santo_secret", sa.Text()),
        sa.Column("santo_base_url", sa.String(200)),
        sa.Column("connected_by", sa.String(32)),
        sa.Column("connected_at", sa.DateTime(timezone=True)),
    )
    _slack_tables().create_all(op.get_bind())


def _rekey(table: str, names: list[str], columns: list[sa.Column[object]]) -> None:
    """The table again with `account` first in its primary key, its rows kept (as the own account's)."""
    old = f"{table}_0007"
    op.rename_table(table, old)
    account = sa.Column("account", sa.String(32), primary_key=True, server_default="")
    op.create_table(table, account, *columns)
    listed = ", ".join(names)
    op.execute(f"INSERT INTO {table} (account, {listed}) SELECT '', {listed} FROM {old}")
    op.drop_table(old)


def downgrade() -> None:
    _slack_tables().drop_all(op.get_bind())
    op.drop_table("workspaces")
    for table in ("opt_outs", "conversations"):
        with op.batch_alter_table(table, recreate="always") as batch:
            batch.drop_column("account")
    for table, (index, columns) in _KEYED.items():
        with op.batch_alter_table(table) as batch:
            batch.drop_index(index)
            batch.create_index(index, columns, unique=True)
            batch.drop_column("account")
