"""Submitting a resumable send (a send from a file), exactly once per number across restarts.

One process at a time submits a resumable send: it holds the send's lease (`submit_owner`,
`submit_lease`), renewing it while it works. Every request first claims its numbers
(Queued → Submitting, one UPDATE guarded by the status), then calls the platform, then stores
the answer (msgid and Pending, or why not; answers are written in groups, off the way of the
next requests: see `Writer`). So:
- a number is only ever requested by the run that moved it out of Queued: nobody gets it twice;
- a run that stops (shutdown, crash) leaves Queued numbers for the next run: nobody is skipped;
- only numbers Submitting when a run died are ambiguous: the next run marks them Unknown
  (never resent, per the rule on ambiguous submits).
Messages that come out identical go in batches of ≤100 (MULTI_MT_REQUEST); personalised ones
one request per number (MT_REQUEST). Requests go out at a steady rate capped by
SANTO_MAX_REQUESTS_PER_SECOND for the whole process (`Services.submit_pacer`, shared by every
send running in it), with at most SANTO_CONCURRENCY in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, select, update

from bot.domain.states import NumberStatus, SendState
from bot.santo.errors import SantoError
from bot.santo.models import BatchOutcome
from bot.services import Services
from bot.store.db import Database, now
from bot.store.reports import apply_stored_reports, mark_dirty
from bot.store.sends import RESUMABLE_UNOWNED, finish_send, outcome_values
from bot.store.tables import Recipient, Report, Send

log = logging.getLogger(__name__)

_recipients = cast(Table, Recipient.__table__)
_reports = cast(Table, Report.__table__)
_unindexed_status = _recipients.c.status + ""
"""`status || ''`: the same value, but no index on status can serve it. A claim names its rows by
id; on `status = 'queued'` both SQLite and PostgreSQL (whose statistics predate the send's
10,000 new rows) would rather walk every queued row of the status index than use the ids."""

BATCH = 100
LEASE = timedelta(seconds=10)
"""How long a run's hold on a send lasts without renewal (renewed four times as often): a crashed
run's send is resumed by the next process's scheduler once it has lapsed."""
PROGRESS_EVERY = 1.0
"""Seconds between progress updates of the channel message while a send goes out."""
RECORD_DELAY = 0.05
"""Seconds a platform's answer may wait to be stored with others (it is off the requests' way)."""


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


async def queued(db: Database, send_id: int) -> list[tuple[int, str | None]]:
    """The rows still to submit, in file order: (id, the number's own text or None)."""
    async with db.engine.connect() as connection:  # Core: 10,000 rows read in a third of the ORM's time
        rows = await connection.execute(
            select(_recipients.c.id, _recipients.c.text)
            .where(_recipients.c.send_id == send_id, _recipients.c.status == NumberStatus.QUEUED)
            .order_by(_recipients.c.id)
        )
        return [(row_id, text) for row_id, text in rows.all()]


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


Claimed = dict[str, int]
"""The numbers a claim won, with their row ids."""


class Writer:
    """Group commit for one run: one transaction for whatever waits, claims never held up.

    A claim (Queued → Submitting) is on the way of a request: its future resolves only after its
    commit, so no request goes out unclaimed, and it is written as soon as the writer is free.
    An answer is off that way: it is only queued, the worker goes on to its next request, and
    answers are written together once the first of them has waited RECORD_DELAY (or at
    `flush()`), with the claims waiting then, if any. A crash before that commit leaves their
    numbers Submitting, hence Unknown, which they are. With the answers the writer also marks
    the send for the notifier, at most every PROGRESS_EVERY seconds (progress in its message)."""

    def __init__(self, services: Services, send_id: int) -> None:
        self.services = services
        self.db = services.db
        self.send_id = send_id
        self._claims: list[tuple[list[int], asyncio.Future[Claimed]]] = []
        self._records: list[tuple[BatchOutcome, Claimed, asyncio.Future[Claimed]]] = []
        self._unsaved: list[asyncio.Future[Claimed]] = []
        self._oldest = 0.0
        self._flushing = False
        self._wake = asyncio.Event()
        self._shown = 0.0

    async def claim(self, ids: list[int]) -> Claimed:
        """Queued → Submitting for these rows; the numbers this run may now request."""
        future: asyncio.Future[Claimed] = asyncio.get_running_loop().create_future()
        self._claims.append((ids, future))
        self._wake.set()
        return await future

    def record(self, outcome: BatchOutcome, claimed: Claimed) -> None:
        """Queue a submit's answer (see `flush`)."""
        if not self._records:
            self._oldest = time.monotonic()
        future: asyncio.Future[Claimed] = asyncio.get_running_loop().create_future()
        self._records.append((outcome, claimed, future))
        self._unsaved.append(future)
        self._wake.set()

    async def flush(self) -> None:
        """From now on write answers at once; wait until every one queued is committed (raises
        what a write raised)."""
        self._flushing = True
        self._wake.set()
        unsaved, self._unsaved = self._unsaved, []
        if unsaved:
            await asyncio.gather(*unsaved)

    async def run(self) -> None:
        while True:
            wait = self._oldest + RECORD_DELAY - time.monotonic() if self._records else None
            due = wait is not None and (wait <= 0 or self._flushing)
            if not self._claims and not due:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), wait)
                continue
            claims, self._claims = self._claims, []
            records: list[tuple[BatchOutcome, Claimed, asyncio.Future[Claimed]]] = []
            if due:
                records, self._records = self._records, []
            futures = [future for _, future in claims] + [future for _, _, future in records]
            try:
                answers = await self._write(
                    [ids for ids, _ in claims], [(outcome, claimed) for outcome, claimed, _ in records]
                )
            except Exception as exc:
                for future in futures:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for future, answer in zip(futures, answers + [{}] * len(records), strict=True):
                if not future.done():
                    future.set_result(answer)

    async def _early(self, msgids: list[str]) -> list[str]:
        """Which of these msgids already have reports stored (they came before the submit's answer)."""
        async with self.db.session() as session:
            return list((await session.execute(_EARLY, {"msgids": msgids})).scalars())

    async def _write(
        self, claims: list[list[int]], records: list[tuple[BatchOutcome, Claimed]]
    ) -> list[Claimed]:
        """One transaction through `Database.write` (on SQLite the writer thread, in one hop and
        in turn with the report batches): the answers, each on its claimed rows by id, then the
        claims. Returns what each claim won."""
        at = now()
        rows: list[dict[str, Any]] = []
        msgids: list[str] = []
        for outcome, claimed in records:
            values = outcome_values(outcome)
            rows += [
                {
                    "rid": claimed[n],
                    "s": values["status"],
                    "m": values.get("msgid"),
                    "c": values["code"],
                    "t": at,
                }
                for n in outcome.numbers
                if n in claimed
            ]
            if values.get("msgid"):
                msgids.append(str(values["msgid"]))

        def write(connection: Connection) -> list[Claimed]:
            if rows:
                connection.execute(_RECORD, rows)
            return [
                {number: row_id for number, row_id in connection.execute(_CLAIM, {"ids": ids, "t": at}).all()}
                for ids in claims
            ]

        answers = await self.db.write(write)
        # After the commit: a report committed meanwhile saw no msgid to apply to, and is visible now.
        early = await self._early(msgids) if msgids else []
        show = bool(records) and time.monotonic() - self._shown >= PROGRESS_EVERY
        if early or show:
            async with self.db.session.begin() as session:
                if early:  # reports that arrived before their msgid was stored: apply them now
                    await apply_stored_reports(session, early, at)
                if show:
                    await mark_dirty(session, [self.send_id], at)
        if show:
            self._shown = time.monotonic()
            self.services.wake_notifier()
        return answers


# Built once: every commit of a run uses them.
_CLAIM = (
    update(_recipients)
    .where(
        _recipients.c.id.in_(bindparam("ids", expanding=True)),
        _unindexed_status == NumberStatus.QUEUED.value,
    )
    .values(status=NumberStatus.SUBMITTING, updated_at=bindparam("t"))
    .returning(_recipients.c.number, _recipients.c.id)
)
"""Queued → Submitting for a request's rows; the numbers won, with their ids."""
_RECORD = (
    update(_recipients)
    .where(_recipients.c.id == bindparam("rid"))
    .values(status=bindparam("s"), msgid=bindparam("m"), code=bindparam("c"), updated_at=bindparam("t"))
)
"""A submit's answer on one claimed row (executemany: every answer of a commit in one call)."""
_EARLY = select(_reports.c.msgid).where(_reports.c.msgid.in_(bindparam("msgids", expanding=True))).distinct()
"""Which of these msgids already have reports stored (they came before the submit's answer)."""


# ------------------------------------------------------------------ the run


def units(rows: list[tuple[int, str | None]], default_text: str) -> list[tuple[list[int], str]]:
    """Requests to make: rows with the same text in batches of ≤100, in file order."""
    by_text: dict[str, list[int]] = defaultdict(list)
    for row_id, text in rows:
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
    pacer = services.submit_pacer  # one per process: concurrent sends share the cap
    lost = asyncio.Event()
    writer = Writer(services, send_id)

    async def worker() -> None:
        while not services.stopping.is_set() and not lost.is_set():
            try:
                ids, text = pending.get_nowait()
            except asyncio.QueueEmpty:
                return
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
    if not pending.empty() or await queued(db, send_id):
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
