"""Submitting a resumable send (a send from a file), exactly once per number across restarts.

One process at a time submits a resumable send: it holds the send's lease (`submit_owner`,
`submit_lease`), renewing it while it works. Every request first claims its numbers
(Queued → Submitting, one UPDATE guarded by the status), then calls the platform, then stores
the answer (msgid and Pending, or why not; answers are written in groups, off the way of the
next requests: see `bot.sending.file_send_writer.Writer`; the queries are in
`bot.store.file_sends`). So:
- a number is only ever requested by the run that moved it out of Queued: nobody gets it twice;
- a run that stops (shutdown, crash) leaves Queued numbers for the next run: nobody is skipped;
- only numbers Submitting when a run died are ambiguous: the next run marks them Unknown
  (never resent, per the rule on ambiguous submits).
Messages that come out identical go in batches of ≤100 (MULTI_MT_REQUEST); personalised ones
one request per number (MT_REQUEST); the queued rows are read back and planned a page at a time
(`Pages`). Requests go out at a steady rate capped by
SANTO_MAX_REQUESTS_PER_SECOND for the whole process (`Services.submit_pacer`, shared by every
send running in it), with at most SANTO_CONCURRENCY in flight.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import defaultdict, deque

from bot.domain.states import SendState
from bot.santo.errors import SantoError
from bot.santo.models import BatchOutcome
from bot.sending.file_send_writer import Writer
from bot.services import Services
from bot.store.db import now
from bot.store.file_sends import LEASE, Claimed, acquire, queued, release, renew, resumable_sends
from bot.store.reports import mark_dirty
from bot.store.sends import finish_send

log = logging.getLogger(__name__)

BATCH = 100
PAGE = 10_000
"""Queued rows read back and planned at a time: a run of 100,000 numbers never holds them all."""


def units(rows: list[tuple[int, str | None]], default_text: str) -> list[tuple[list[int], str]]:
    """Requests to make: rows with the same text in batches of ≤100, in file order."""
    by_text: dict[str, list[int]] = defaultdict(list)
    for row_id, text in rows:
        by_text[text if text is not None else default_text].append(row_id)
    out = [(ids[i : i + BATCH], text) for text, ids in by_text.items() for i in range(0, len(ids), BATCH)]
    out.sort(key=lambda unit: unit[0][0])
    return out


class Pages:
    """The requests a run has left to make, planned a page of queued rows at a time (PAGE rows, in
    file order; `units`): the next page is read once the last one's requests are all handed out,
    by the worker that finds none left while the others wait for it."""

    def __init__(self, services: Services, send_id: int, text: str) -> None:
        self.db = services.db
        self.send_id = send_id
        self.text = text
        self._units: deque[tuple[list[int], str]] = deque()
        self._after = 0
        """The last row id read."""
        self._read_all = False
        self._reading = asyncio.Lock()

    async def next(self) -> tuple[list[int], str] | None:
        """The next request to make (row ids and their text); None once every row is handed out."""
        async with self._reading:
            if not self._units and not self._read_all:
                rows = await queued(self.db, self.send_id, after=self._after, limit=PAGE)
                self._read_all = len(rows) < PAGE
                if rows:
                    self._after = rows[-1][0]
                self._units.extend(units(rows, self.text))
            return self._units.popleft() if self._units else None


async def drive(services: Services, send_id: int) -> SendState | None:
    """Submit what is left of a resumable send. None when another run holds it; SENDING when
    this run stopped before the end (shutdown), the send's outcome when it is done."""
    db, settings = services.db, services.settings
    owner = uuid.uuid4().hex
    send = await acquire(db, send_id, owner, now())
    if send is None:
        return None
    services = await services.for_team(send.team_id)  # its workspace's clients (after a restart)
    pending = Pages(services, send_id, send.text)
    pacer = services.submit_pacer  # one per process: concurrent sends share the cap
    lost = asyncio.Event()
    writer = Writer(services, send_id)

    async def worker() -> None:
        while not services.stopping.is_set() and not lost.is_set():
            unit = await pending.next()
            if unit is None:
                return
            ids, text = unit
            await pacer.wait()
            if services.stopping.is_set() or lost.is_set():
                return
            claimed = await writer.claim(ids)
            if not claimed:
                continue

            async def store(outcome: BatchOutcome, claimed: Claimed = claimed) -> None:
                writer.record(outcome, claimed)

            numbers = list(claimed)
            try:
                await services.santo.send_sms(numbers, text, send.sender_id, on_batch=store)
            except SantoError as exc:  # refused before the request (invalid text or sender)
                await store(BatchOutcome(tuple(numbers), error=exc))

    async def keep_lease() -> None:
        renewed = time.monotonic()
        while True:
            await asyncio.sleep(LEASE.total_seconds() / 4)
            try:
                kept = await renew(db, send_id, owner, now())
            except Exception:
                log.warning("send %d: could not renew its lease", send_id, exc_info=True)
                if time.monotonic() - renewed < LEASE.total_seconds() / 2:
                    continue  # try again: the lease still holds past the next try
                kept = False  # it may lapse before the next try: stop, and let a run take over
            if not kept:
                log.warning("send %d: this run lost its hold on the send; it stops", send_id)
                lost.set()
                return
            renewed = time.monotonic()

    keeper = asyncio.create_task(keep_lease())
    writing = asyncio.create_task(writer.run())
    workers = [asyncio.create_task(worker()) for _ in range(max(1, settings.santo_concurrency))]
    try:
        try:
            await asyncio.gather(*workers)
        finally:
            for task in workers:  # one failed (or the run was cancelled): the others stop too
                task.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            await writer.flush()  # every answer received is stored before this run ends
    finally:
        keeper.cancel()
        writing.cancel()
        await asyncio.gather(keeper, writing, return_exceptions=True)
    if lost.is_set():
        return SendState.SENDING
    if await queued(db, send_id, limit=1):
        await release(db, send_id, owner)
        async with db.session.begin() as session:
            await mark_dirty(session, [send_id], now())
        services.wake_notifier()
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
