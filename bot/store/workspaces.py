"""Workspaces of a distributed deployment: their report tokens and the Santo accounts they
connected (the password kept encrypted, as `bot.secrets` made it)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from cachetools import TTLCache
from sqlalchemy import delete, func, select, update

from bot.store.db import Database
from bot.store.sealed import SecretBox
from bot.store.tables import (
    Approval,
    AuditEntry,
    Conversation,
    Draft,
    Inbound,
    Notice,
    OptOut,
    Recipient,
    Report,
    Send,
    Workspace,
)


@dataclass(frozen=True)
class SantoAccount:
    """A workspace's connected account: the password still encrypted."""

    cpid: str
    secret: str
    base_url: str


async def install(db: Database, team_id: str, user_id: str | None, now: datetime) -> None:
    """Record an installation (again): a workspace that comes back keeps its report URL and account."""
    async with db.session.begin() as session:
        found = await session.get(Workspace, team_id)
        if found is None:
            token = secrets.token_urlsafe(24)
            session.add(
                Workspace(team_id=team_id, report_token=token, installed_at=now, installed_by=user_id)
            )
        else:
            found.installed_at, found.installed_by, found.uninstalled_at = now, user_id, None


async def get(db: Database, team_id: str) -> Workspace | None:
    async with db.session() as session:
        return await session.get(Workspace, team_id)


async def team_of_token(db: Database, token: str) -> str | None:
    """The installed workspace whose report URL holds `token`."""
    async with db.session() as session:
        return await session.scalar(
            select(Workspace.team_id).where(
                Workspace.report_token == token, Workspace.uninstalled_at.is_(None)
            )
        )


async def connect(db: Database, team_id: str, account: SantoAccount, user_id: str, now: datetime) -> None:
    async with db.session.begin() as session:
        await session.execute(
            update(Workspace)
            .where(Workspace.team_id == team_id)
            .values(
                santo_cpid=account.cpid,
                santo_secret=account.secret,
                santo_base_url=account.base_url,
                connected_by=user_id,
                connected_at=now,
            )
        )


async def leave(db: Database, team_id: str, now: datetime) -> None:
    """Uninstalled or tokens revoked: the Santo credentials go at once; the data stays until the
    retention ends."""
    async with db.session.begin() as session:
        await session.execute(
            update(Workspace)
            .where(Workspace.team_id == team_id)
            .values(uninstalled_at=now, santo_cpid=None, santo_secret=None, santo_base_url=None)
        )


async def reseal_all(db: Database, box: SecretBox) -> int:
    """Every stored password sealed again with the newest key; how many."""
    async with db.session.begin() as session:
        found = list(await session.scalars(select(Workspace).where(Workspace.santo_secret.is_not(None))))
        for workspace in found:
            workspace.santo_secret = box.reseal(workspace.santo_secret or "")
        return len(found)


async def counts(db: Database) -> tuple[int, int]:
    """(installed, connected to a Santo account)."""
    async with db.session() as session:
        installed = Workspace.uninstalled_at.is_(None)
        total = await session.scalar(select(func.count()).select_from(Workspace).where(installed))
        connected = await session.scalar(
            select(func.count()).select_from(Workspace).where(installed, Workspace.santo_secret.is_not(None))
        )
        return int(total or 0), int(connected or 0)


async def connected_teams(db: Database) -> list[str]:
    """Installed workspaces with a Santo account connected."""
    async with db.session() as session:
        rows = await session.scalars(
            select(Workspace.team_id)
            .where(Workspace.uninstalled_at.is_(None), Workspace.santo_secret.is_not(None))
            .order_by(Workspace.team_id)
        )
        return list(rows)


async def gone_before(db: Database, before: datetime) -> list[str]:
    """Workspaces uninstalled before `before`: their data is to be deleted."""
    async with db.session() as session:
        rows = await session.scalars(select(Workspace.team_id).where(Workspace.uninstalled_at < before))
        return list(rows)


async def forget(db: Database, team_id: str) -> None:
    """Delete everything kept of a workspace that left, one table at a time (each a short
    transaction: report intake never waits long for it), the workspace itself last."""
    keyed = [
        *(delete(t).where(t.account == team_id) for t in (Inbound, Report, Conversation, OptOut, Notice)),
        *(delete(t).where(t.team_id == team_id) for t in (Approval, Draft, AuditEntry)),
    ]
    for statement in keyed:
        async with db.session.begin() as session:
            await session.execute(statement)
    async with db.session.begin() as session:
        sends = select(Send.id).where(Send.team_id == team_id).scalar_subquery()
        await session.execute(delete(Recipient).where(Recipient.send_id.in_(sends)))
        await session.execute(delete(Send).where(Send.team_id == team_id))
        await session.execute(delete(Workspace).where(Workspace.team_id == team_id))


TOKENS_KEPT = 10_000
TOKEN_SECONDS = 60.0
"""How long a process trusts what it found for a token: an uninstalled workspace's URL stops
working within this time, a new one's starts at once (a miss is not kept)."""


class ReportTokens:
    """Which workspace a report URL's token belongs to, asked of the database at most once a
    minute per token: a report costs no extra query."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._known: TTLCache[str, str] = TTLCache(TOKENS_KEPT, TOKEN_SECONDS)

    async def team(self, token: str) -> str | None:
        team = self._known.get(token)
        if team is None:
            team = await team_of_token(self.db, token)
            if team is not None:
                self._known[token] = team
        return team

    def forget(self, team_id: str) -> None:
        """At once in this process, when the workspace leaves."""
        for token in [t for t, team in self._known.items() if team == team_id]:
            self._known.pop(token, None)
