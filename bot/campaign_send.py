"""Submitting a resumable send (a send from a file), exactly once per number across restarts.

One process at a time submits a resumable send: it holds the send's lease (`submit_owner`,
`submit_lease`), renewing it while it works. Every request first claims its numbers
(Queued → Submitting, one UPDATE guarded by the status), then calls the platform, then stores
the answer (msgid and Pending, or why not). So:
- a number is only ever requested by the run that moved it out of Queued: nobody gets it twice;
- a run that stops (shutdown, crash) leaves Queued numbers for the next run: nobody is skipped;
- only numbers Submitting when a run died are ambiguous: the next run marks them Unknown
  (never resent, per the rule on ambiguous submits).
Messages that come out identical go in batches of ≤100 (MULTI_MT_REQUEST); personalised ones
one request per number (MT_REQUEST). Requests go out at a steady rate capped by
SANTO_MAX_REQUESTS_PER_SECOND, with at most SANTO_CONCURRENCY in flight.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import select, update

from bot.santo.errors import SantoError
from bot.santo.models import BatchOutcome
from bot.services import Services
from bot.store.db import Database, now
from bot.store.reports import mark_dirty
from bot.store.sends import RESUMABLE_UNOWNED, finish_send, record_outcome
from bot.store.tables import NumberStatus, Recipient, Send, SendState

log = logging.getLogger(__name__)

BATCH = 100
LEASE = timedelta(seconds=30)
"""How long a run's hold on a send lasts without renewal: a crashed run's send is resumed after it."""
PROGRESS_EVERY = 1.0
"""Seconds between progress updates of the home message while a send goes out."""


class Pacer:
    """A steady rate: each `wait()` returns at least 1/rate seconds after the previous one."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        async with self._lock:
            at = time.monotonic()
            slot = max(self._next, at)
            self._next = slot + self.interval
        if slot > at:
            await asyncio.sleep(slot - at)


# ------------------------------------------------------------------ store


async def acquire(db: Database, send_id: int, owner: str, at: datetime) -> Send | None:
    """Take over a resumable send whose lease is free or expired; numbers a previous run left
    Submitting (no answer stored) become Unknown. None when another run holds it."""
    async with db.session.begin() as session:
        won = await session.execute(
            update(Send)
            .where(
                Send.id == send_id,
                Send.state == SendState.SENDING,
                Send.submit_lease.is_not(None),
                Send.submit_lease < at,
            )
            .values(submit_owner=owner, submit_lease=at + LEASE)
            .returning(Send.id)
        )
        if won.first() is None:
            return None
        rows = await session.execute(
            update(Recipient)
            .where(Recipient.send_id == send_id, Recipient.status == NumberStatus.SUBMITTING)
            .values(status=NumberStatus.UNKNOWN, updated_at=at)
            .returning(Recipient.id)
        )
        lost = len(rows.all())
        if lost:
            log.warning("send %d: %d numbers were in flight when a run stopped: Unknown", send_id, lost)
            await mark_dirty(session, [send_id], at)
        return await session.get(Send, send_id)


async def renew(db: Database, send_id: int, owner: str, at: datetime) -> bool:
    async with db.session.begin() as session:
        kept = await session.execute(
            update(Send)
            .where(Send.id == send_id, Send.submit_owner == owner)
            .values(submit_lease=at + LEASE)
            .returning(Send.id)
        )
        return kept.first() is not None


async def release(db: Database, send_id: int, owner: str) -> None:
    async with db.session.begin() as session:
        await session.execute(
            update(Send)
            .where(Send.id == send_id, Send.submit_owner == owner)
            .values(submit_owner=None, submit_lease=RESUMABLE_UNOWNED)
        )


async def queued(db: Database, send_id: int) -> list[tuple[int, str, str | None]]:
    async with db.session() as session:
        rows = await session.execute(
            select(Recipient.id, Recipient.number, Recipient.text)
            .where(Recipient.send_id == send_id, Recipient.status == NumberStatus.QUEUED)
            .order_by(Recipient.id)
        )
        return [(i, n, t) for i, n, t in rows.all()]


async def claim(db: Database, send_id: int, ids: list[int], at: datetime) -> list[str]:
    """Queued → Submitting for these rows; the numbers this run may now request."""
    async with db.session.begin() as session:
        rows = await session.execute(
            update(Recipient)
            .where(Recipient.id.in_(ids), Recipient.status == NumberStatus.QUEUED)
            .values(status=NumberStatus.SUBMITTING, updated_at=at)
            .returning(Recipient.number)
        )
        return [number for (number,) in rows.all()]


async def resumable_sends(db: Database, at: datetime) -> list[int]:
    """Resumable sends still Sending that no live run holds."""
    async with db.session() as session:
        rows = await session.scalars(
            select(Send.id).where(
                Send.state == SendState.SENDING, Send.submit_lease.is_not(None), Send.submit_lease < at
            )
        )
        return list(rows)


async def own_texts(db: Database, send_id: int, numbers: list[str]) -> tuple[str, ...] | None:
    """Each number's own message in a personalised send (None when the send has one text)."""
    async with db.session() as session:
        rows = await session.execute(
            select(Recipient.number, Recipient.text).where(
                Recipient.send_id == send_id, Recipient.text.is_not(None)
            )
        )
        texts = {number: text for number, text in rows.all() if text is not None}
    if not texts:
        return None
    return tuple(texts.get(n, "") for n in numbers)


async def is_resumable(db: Database, send_id: int) -> bool:
    async with db.session() as session:
        lease = await session.scalar(select(Send.submit_lease).where(Send.id == send_id))
        return lease is not None


class Writer:
    """Group commit for one run: claims and answers queued by the workers are written together,
    one transaction for whatever is waiting (durability costs one commit per batch, not per request).
    A claim's future resolves only after its commit, so no request goes out unclaimed."""

    def __init__(self, db: Database, send_id: int) -> None:
        self.db = db
        self.send_id = send_id
        self._queue: asyncio.Queue[tuple[list[int] | BatchOutcome, asyncio.Future[list[str]]]] = (
            asyncio.Queue()
        )

    async def claim(self, ids: list[int]) -> list[str]:
        return await self._put(ids)

    async def record(self, outcome: BatchOutcome) -> None:
        await self._put(outcome)

    async def _put(self, item: list[int] | BatchOutcome) -> list[str]:
        future: asyncio.Future[list[str]] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((item, future))
        return await future

    async def run(self) -> None:
        while True:
            items = [await self._queue.get()]
            while not self._queue.empty() and len(items) < 500:
                items.append(self._queue.get_nowait())
            try:
                answers = await self._write([item for item, _ in items])
            except Exception as exc:
                for _, future in items:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), answer in zip(items, answers, strict=True):
                if not future.done():
                    future.set_result(answer)

    async def _write(self, items: list[list[int] | BatchOutcome]) -> list[list[str]]:
        at = now()
        answers: list[list[str]] = []
        async with self.db.session.begin() as session:
            for item in items:
                if isinstance(item, BatchOutcome):
                    await record_outcome(session, self.send_id, item)
                    answers.append([])
                    continue
                rows = await session.execute(
                    update(Recipient)
                    .where(Recipient.id.in_(item), Recipient.status == NumberStatus.QUEUED)
                    .values(status=NumberStatus.SUBMITTING, updated_at=at)
                    .returning(Recipient.number)
                )
                answers.append([number for (number,) in rows.all()])
        return answers


# ------------------------------------------------------------------ the run


def units(rows: list[tuple[int, str, str | None]], default_text: str) -> list[tuple[list[int], str]]:
    """Requests to make: rows with the same text in batches of ≤100, in file order."""
    by_text: dict[str, list[int]] = defaultdict(list)
    for row_id, _number, text in rows:
        by_text[text if text is not None else default_text].append(row_id)
    out = [(ids[i : i + BATCH], text) for text, ids in by_text.items() for i in range(0, len(ids), BATCH)]
    out.sort(key=lambda unit: unit[0][0])
    return out


async def drive(services: Services, send_id: int) -> SendState | None:
    """Submit what is left of a resumable send. None when another run holds it; SENDING when
    this run stopped before the end (shutdown), the send's outcome when it is done."""
    db, settings = services.db, services.settings
    owner = uuid.uuid4().hex
    send = await acquire(db, send_id, owner, now())
    if send is None:
        return None
    work = units(await queued(db, send_id), send.text)
    pending: asyncio.Queue[tuple[list[int], str]] = asyncio.Queue()
    for unit in work:
        pending.put_nowait(unit)
    pacer = Pacer(settings.santo_max_requests_per_second)
    lost = asyncio.Event()
    last_shown = 0.0

    async def progress(force: bool = False) -> None:
        nonlocal last_shown
        if force or time.monotonic() - last_shown >= PROGRESS_EVERY:
            last_shown = time.monotonic()
            async with db.session.begin() as session:
                await mark_dirty(session, [send_id], now())
            services.wake_notifier()

    writer = Writer(db, send_id)

    async def store(outcome: BatchOutcome) -> None:
        await writer.record(outcome)
        await progress()

    async def worker() -> None:
        while not services.stopping.is_set() and not lost.is_set():
            try:
                ids, text = pending.get_nowait()
            except asyncio.QueueEmpty:
                return
            await pacer.wait()
            if services.stopping.is_set() or lost.is_set():
                return
            numbers = await writer.claim(ids)
            if not numbers:
                continue
            try:
                await services.santo.send_sms(numbers, text, send.sender_id, on_batch=store)
            except SantoError as exc:  # refused before the request (invalid text or sender)
                await store(BatchOutcome(tuple(numbers), error=exc))

    async def keep_lease() -> None:
        while True:
            await asyncio.sleep(LEASE.total_seconds() / 3)
            if not await renew(db, send_id, owner, now()):
                log.warning("send %d: another run took it over; this one stops", send_id)
                lost.set()
                return

    keeper = asyncio.create_task(keep_lease())
    writing = asyncio.create_task(writer.run())
    try:
        workers = max(1, settings.santo_concurrency)
        await asyncio.gather(*(worker() for _ in range(workers)))
    finally:
        keeper.cancel()
        writing.cancel()
        await asyncio.gather(keeper, writing, return_exceptions=True)
    if lost.is_set():
        return SendState.SENDING
    if not pending.empty() or await queued(db, send_id):
        await release(db, send_id, owner)
        await progress(force=True)
        return SendState.SENDING
    state = await finish_send(db, send_id)
    services.wake_notifier()
    return state


async def resume(services: Services) -> int:
    """Start a run for every resumable send nobody is submitting (after a restart). Returns how many."""
    ids = await resumable_sends(services.db, now())
    for send_id in ids:
        services.background.spawn(drive(services, send_id))
    return len(ids)
