"""Slack's installations of the app (distribution mode), in slack_sdk's own tables."""

from __future__ import annotations

import logging

from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore

from bot.store import workspaces
from bot.store.db import Database, now

log = logging.getLogger(__name__)


class Installations(AsyncSQLAlchemyInstallationStore):
    """slack_sdk's store; an installation saved also records its workspace (and report URL)."""

    def __init__(self, client_id: str, db: Database) -> None:
        super().__init__(client_id=client_id, engine=db.engine)
        self.db = db

    async def async_save(self, installation: Installation) -> None:
        await super().async_save(installation)
        if installation.team_id:
            await workspaces.install(self.db, installation.team_id, installation.user_id, now())
            log.info("installed in workspace %s", installation.team_id)
