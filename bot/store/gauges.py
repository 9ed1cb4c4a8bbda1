"""What `/metrics` reads from the database when it is scraped, and never on a request's way."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select

from bot.domain.states import NumberStatus
from bot.store import changes
from bot.store.db import Database
from bot.store.reports import of_waiting_sends
from bot.store.tables import Inbound, Recipient, Send


@dataclass(frozen=True)
class StoredState:
    sends_by_state: dict[str, int]
    numbers_awaiting_report: int
    """Numbers sent (Pending) whose delivery report has not come yet."""
    unshown_sends: int
    """Sends whose message in Slack does not show their latest change yet (the notifier's)."""
    oldest_unshown: datetime | None
    unposted_inbound: int
    """Phones' messages not posted to Slack yet (the notifier's too)."""


async def stored_state(db: Database) -> StoredState:
    """Counts that the indexes answer, but for the inbox's few rows. On a connection of their own:
    with SQLite, the thread that writes reports does not wait for them."""
    async with db.engine.connect() as connection:
        by_state = (await connection.execute(select(Send.state, func.count()).group_by(Send.state))).all()
        awaiting = await connection.scalar(
            select(func.count())
            .select_from(Recipient)
            .where(of_waiting_sends(), Recipient.status == NumberStatus.PENDING)
        )
        unshown, oldest = (await connection.execute(changes.unshown())).one()
        unposted = await connection.scalar(
            select(func.count()).select_from(Inbound).where(Inbound.posted_at.is_(None))
        )
    if oldest is not None and oldest.tzinfo is None:  # SQLite gives it back without its zone
        oldest = oldest.replace(tzinfo=UTC)
    return StoredState(
        sends_by_state={str(state): int(count) for state, count in by_state},
        numbers_awaiting_report=int(awaiting or 0),
        unshown_sends=int(unshown),
        oldest_unshown=oldest,
        unposted_inbound=int(unposted or 0),
    )
