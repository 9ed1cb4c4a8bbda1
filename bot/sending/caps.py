"""Daily caps reserved atomically: a send's check and the storing of its send row happen under a
lock per workspace, so two sends started at once cannot both pass a cap, whichever way they
came (`checked`, the one door). In one process an asyncio lock; across processes on PostgreSQL
an advisory lock. Without a daily cap, nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from types import TracebackType

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.money import Estimate
from bot.domain.send_request import SendRequest
from bot.sending.guard import Verdict, check_send
from bot.services import Services


class CapGuard:
    """`async with CapGuard(services, team) as guard:` check the caps, then send with
    `reserved=guard.release`: the lock is let go as soon as the send is stored (its numbers then
    count), not after the platform has answered."""

    def __init__(self, services: Services, team_id: str) -> None:
        settings = services.settings
        caps = (
            settings.sms_daily_recipients,
            settings.sms_daily_cost,
            settings.sms_user_daily_recipients,
            settings.sms_user_daily_cost,
        )
        self.services, self.team_id = services, team_id
        self.needed = any(cap is not None for cap in caps)
        self._lock = services.cap_locks.setdefault(team_id, asyncio.Lock())
        self._connection: AsyncConnection | None = None
        self._held = False

    async def __aenter__(self) -> CapGuard:
        if not self.needed:
            return self
        await self._lock.acquire()
        self._held = True
        db = self.services.db
        if not db.is_sqlite:  # SQLite has one writer at a time and one process: the lock above is enough
            self._connection = await db.engine.connect()
            await self._connection.execute(select(func.pg_advisory_lock(func.hashtext(self._key))))
        return self

    @property
    def _key(self) -> str:
        return f"santo-caps:{self.team_id}"

    async def release(self) -> None:
        """Let the next send of the workspace check its caps (idempotent)."""
        if not self._held:
            return
        self._held = False
        try:
            if self._connection is not None:
                await self._connection.execute(select(func.pg_advisory_unlock(func.hashtext(self._key))))
                await self._connection.close()
                self._connection = None
        finally:
            self._lock.release()

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.release()


@dataclass(frozen=True)
class Checked:
    verdict: Verdict
    release: Callable[[], Awaitable[None]]
    """Lets the workspace's next send be checked: call it once this send is stored (its numbers
    count from then), or once its refusal is (they no longer do). Leaving the block calls it too."""


@asynccontextmanager
async def checked(
    services: Services,
    request: SendRequest,
    estimate: Estimate,
    *,
    approved: bool = False,
    stored_as: int | None = None,
) -> AsyncIterator[Checked]:
    """The door every send passes before its numbers are submitted — a new one or an approved one
    (`bot.sending.dispatch`), a scheduled one when it is due (`bot.sending.scheduler`): the
    guardrails' verdict (`check_send`: who, where, per-send limits, daily caps) taken under the
    workspace's cap lock. Inside the block, store the send (or, for one already stored,
    `stored_as`, its refusal) before letting go: the next send's check counts it."""
    async with CapGuard(services, request.team_id) as guard:
        verdict = await check_send(
            services,
            request.team_id,
            request.user_id,
            request.channel_id,
            len(request.numbers),
            estimate,
            approved=approved,
            exclude_send_id=stored_as,
        )
        yield Checked(verdict, guard.release)
