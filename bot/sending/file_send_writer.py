"""The group writer of a file send's run: claims and answers committed together, answers off
the requests' way (the run is `bot.sending.file_send`, its queries `bot.store.file_sends`)."""

from __future__ import annotations

import asyncio
import contextlib
import time

from bot.santo.models import BatchOutcome
from bot.services import Services
from bot.store.db import now
from bot.store.file_sends import Claimed, commit_group
from bot.store.reports import apply_stored_reports, mark_dirty

PROGRESS_EVERY = 1.0
"""Seconds between progress updates of the channel message while a send goes out."""
RECORD_DELAY = 0.05
"""Seconds a platform's answer may wait to be stored with others (it is off the requests' way)."""


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
        self._unsaved: set[asyncio.Future[Claimed]] = set()
        """Answers queued and not yet committed, or whose commit failed (`flush` raises it)."""
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
        self._unsaved.add(future)
        self._wake.set()

    async def flush(self) -> None:
        """From now on write answers at once; wait until every one queued is committed (raises
        what a write raised)."""
        self._flushing = True
        self._wake.set()
        unsaved, self._unsaved = self._unsaved, set()
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
            # Committed: forgotten (a run of 100,000 requests would otherwise keep a future each).
            self._unsaved.difference_update(future for _, _, future in records)

    async def _write(
        self, claims: list[list[int]], records: list[tuple[BatchOutcome, Claimed]]
    ) -> list[Claimed]:
        """Commit these claims and answers (`commit_group`); then apply reports that came before
        their msgids and mark the send for the notifier if it is time. Returns what each claim won."""
        at = now()
        answers, early = await commit_group(self.db, claims, records, at)
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
