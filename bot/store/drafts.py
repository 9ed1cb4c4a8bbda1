"""Drafts: a send waiting for its confirmation, consumed exactly once by Send."""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import update

from bot.store.db import Database, now
from bot.store.tables import Draft


async def save_draft(
    db: Database, team_id: str, user_id: str, payload: dict[str, Any], draft_id: str | None = None
) -> str:
    draft_id = draft_id or uuid.uuid4().hex
    async with db.session.begin() as session:
        session.add(Draft(id=draft_id, team_id=team_id, user_id=user_id, payload=json.dumps(payload)))
    return draft_id


async def consume_draft(db: Database, draft_id: str, user_id: str) -> dict[str, Any] | None:
    """Take the draft for sending; None if it is gone, used already, or not this user's."""
    async with db.session.begin() as session:
        taken = await session.execute(
            update(Draft)
            .where(Draft.id == draft_id, Draft.user_id == user_id, Draft.consumed_at.is_(None))
            .values(consumed_at=now())
            .returning(Draft.payload)
        )
        row = taken.first()
    if row is None:
        return None
    payload: dict[str, Any] = json.loads(row[0])
    return payload
