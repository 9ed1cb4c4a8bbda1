"""The report route (`GET|POST /santo/reports/{token}`) and its group-commit writer.

A request is answered 200 only once its report is committed. Requests hand their report to
the writer and wait; the writer commits whatever has queued up in one transaction, so under
load many reports share a commit instead of each paying for one. On PostgreSQL two batches may
be committed side by side: while one is in the database, the event loop answers the requests
of the last one and reads the next ones.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time

from aiohttp import web
from pydantic import SecretStr

from bot.domain.opt_out import OptWords
from bot.metrics import (
    CALLBACKS_RECEIVED,
    CALLBACKS_REFUSED,
    CALLBACKS_STORED,
    REPORT_BATCH_SIZE,
    REPORT_COMMIT_SECONDS,
)
from bot.santo.redact import mask_passwords
from bot.santo.reports import ReportError
from bot.santo.uplink import Shape, parse_uplink
from bot.services import Services
from bot.store.callbacks import REPORT_LENGTHS, Callback
from bot.store.db import now, unavailable
from bot.store.inbound import INBOUND_LENGTHS
from bot.store.reports import store_callbacks
from bot.store.tables import OWN_ACCOUNT

log = logging.getLogger(__name__)

MAX_REPORT_BODY = 512 * 1024
"""A callback's body at most: room for a MULTI_ request of `uplink.MAX_ITEMS` items."""
MAX_RAW_KEPT = 16 * 1024
"""Characters of a callback's raw text kept with what it held."""
MAX_BATCH = 500
LANES = 2
"""Batches committed side by side at most (PostgreSQL; SQLite has one writer)."""
_LENGTHS = {**REPORT_LENGTHS, **INBOUND_LENGTHS}


class ShuttingDown(Exception):
    """The process is stopping: a callback not queued yet is refused (503), for the platform
    to send again, never answered 200 without being stored."""


class ReportWriter:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.pending: list[tuple[Callback, asyncio.Future[None]]] = []
        """Callbacks waiting for the next commit, in arrival order."""
        self._ready = asyncio.Event()
        self._in_flight: list[int] = []
        """The sizes of the batches being committed."""
        self.lanes = 1 if services.db.is_sqlite else LANES
        self.batches = 0
        self._token: tuple[SecretStr | None, bytes | None] = (None, None)
        settings = services.settings
        self.words = OptWords(settings.santo_opt_out_words, settings.santo_opt_in_words)

    def submit(self, callback: Callback) -> asyncio.Future[None]:
        """A future done once `callback` is committed (or failing if the commit failed).
        ShuttingDown once the process stops: what is queued by then is still committed."""
        if self.services.stopping.is_set():
            raise ShuttingDown
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.pending.append((callback, done))
        if self._may_start():
            self._ready.set()
        return done

    def _may_start(self) -> bool:
        """Whether a batch of what is pending may start now. While one is being committed, a
        second starts only once it would hold half as many callbacks: every commit costs a round
        trip and a fixed share of the database's work, and a few callbacks sent on their own
        in between would spend that for little and then hold up the larger batch behind them."""
        in_flight = self._in_flight
        return not in_flight or (len(in_flight) < self.lanes and 2 * len(self.pending) >= max(in_flight))

    async def run(self) -> None:
        """Commit batches until shutdown; then commit what is queued and return."""
        stopping = self.services.stopping
        watch = asyncio.ensure_future(stopping.wait())
        watch.add_done_callback(lambda _: self._ready.set())
        try:
            await asyncio.gather(*(self._lane(stopping) for _ in range(self.lanes)))
        finally:
            watch.cancel()
        await self.flush()

    async def _lane(self, stopping: asyncio.Event) -> None:
        """Commit batches, one at a time, side by side with the other lanes (`_may_start`). Under
        load a batch is waiting whenever a commit ends: the lane goes straight on with it,
        without waiting for a wake-up."""
        while True:
            if not self.pending:
                if stopping.is_set():
                    return
            elif self._may_start():
                batch = self.pending[:MAX_BATCH]
                del self.pending[:MAX_BATCH]
                self._in_flight.append(len(batch))
                try:
                    await self._commit(batch)
                finally:
                    self._in_flight.remove(len(batch))
                    self._ready.set()  # another lane may start now
                continue
            self._ready.clear()
            await self._ready.wait()

    async def _commit(self, batch: list[tuple[Callback, asyncio.Future[None]]]) -> None:
        """Commit `batch` and answer its requests. If it fails for what one of its callbacks
        holds, the others must not fail with it (the platform would send them all again, to
        fail together again): each is then committed on its own, and only those failing alone
        are answered with the error. A database that is away fails the whole batch at once."""
        failed = await self._store(batch)
        if failed is None or len(batch) == 1 or unavailable(failed):
            self._answer(batch, failed)
            return
        log.warning(
            "a batch of %d callbacks failed (%s); storing them one by one", len(batch), _first_line(failed)
        )
        for index, item in enumerate(batch):
            failed = await self._store([item])
            if failed is not None and unavailable(failed):
                self._answer(batch[index:], failed)
                return
            self._answer([item], failed)

    async def _store(self, batch: list[tuple[Callback, asyncio.Future[None]]]) -> Exception | None:
        """Commit the batch's callbacks in one transaction; the error if that failed."""
        started = time.perf_counter()
        try:
            await store_callbacks(self.services.db, [callback for callback, _ in batch], now(), self.words)
        except Exception as exc:
            return exc
        REPORT_COMMIT_SECONDS.observe(time.perf_counter() - started)
        REPORT_BATCH_SIZE.observe(len(batch))
        self.batches += 1
        self.services.wake_notifier()
        return None

    @staticmethod
    def _answer(batch: list[tuple[Callback, asyncio.Future[None]]], failed: Exception | None) -> None:
        if failed is not None:
            what = f"{len(batch)} callbacks" if len(batch) > 1 else f"a callback ({batch[0][0].raw[:200]!r})"
            log.error("could not store %s; the platform is told to try again", what, exc_info=failed)
        for _, done in batch:
            if done.done():  # its request was cancelled
                continue
            if failed is None:
                done.set_result(None)
            else:
                done.set_exception(failed)

    async def flush(self) -> None:
        """Commit what is still queued (at shutdown, after the server stopped taking requests)."""
        while self.pending:
            batch = self.pending[:MAX_BATCH]
            del self.pending[:MAX_BATCH]
            await self._commit(batch)

    async def account_of(self, given: str) -> str | None:
        """The Santo account whose report URL holds `given`, None for no account's. One
        deployment for many workspaces: the workspace's own token (looked up once a while);
        otherwise SANTO_REPORT_TOKEN, compared in constant time (encoded once, not per request)."""
        services = self.services
        if services.settings.distributed:
            return await services.report_tokens.team(given)
        secret = services.settings.santo_report_token
        if secret is not self._token[0]:
            self._token = (secret, None if secret is None else secret.get_secret_value().encode())
        expected = self._token[1]
        return OWN_ACCOUNT if expected is not None and hmac.compare_digest(given.encode(), expected) else None


def _first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:300]


WRITER = web.AppKey("report_writer", ReportWriter)


def _mask(raw: str) -> str:
    """`mask_passwords`, after a cheap look for the word (a report never has a password)."""
    return mask_passwords(raw) if "cppwd" in raw.lower() else raw


# What the route counts (`bot.metrics`): one increment when a callback arrives, one when it is
# answered, on counters bound once per shape.
UNREAD, MALFORMED = "unread", "malformed"
_SHAPES = [*(shape.value for shape in Shape), UNREAD, MALFORMED]
_RECEIVED = {shape: CALLBACKS_RECEIVED.labels(shape) for shape in _SHAPES}
_STORED = {shape: CALLBACKS_STORED.labels(shape) for shape in _SHAPES}


def _refused(shape: str, reason: str) -> None:
    CALLBACKS_REFUSED.labels(shape, reason).inc()


async def report_route(request: web.Request) -> web.Response:
    writer = request.app[WRITER]
    account = await writer.account_of(request.match_info.get("token", ""))
    if account is None:
        _RECEIVED[UNREAD].inc()
        _refused(UNREAD, "wrong_token")
        raise web.HTTPNotFound()
    if request.method == "POST":
        try:
            callback, answer, shape = await _understood_post(request, account)
        except web.HTTPRequestEntityTooLarge:
            _RECEIVED[UNREAD].inc()
            _refused(UNREAD, "too_large")
            raise
    else:
        query = _mask(request.query_string)
        callback, answer, shape = _understood(dict(request.query.items()), query, account)
    _RECEIVED[shape].inc()
    # Awaited here, not a few calls down: each coroutine between the route and this future is
    # one more frame to resume per request when its batch commits.
    try:
        await writer.submit(callback)
    except ShuttingDown:
        _refused(shape, "shutting_down")
        raise web.HTTPServiceUnavailable(text="shutting down; try again") from None
    except Exception:
        _refused(shape, "not_stored")
        raise web.HTTPServiceUnavailable(text="could not store the report; try again") from None
    if answer.status == 200:
        _STORED[shape].inc()
    else:
        _refused(shape, MALFORMED)
    return answer


async def _understood_post(request: web.Request, account: str) -> tuple[Callback, web.Response, str]:
    if (request.content_length or 0) > MAX_REPORT_BODY:
        raise web.HTTPRequestEntityTooLarge(max_size=MAX_REPORT_BODY, actual_size=request.content_length or 0)
    params = dict(request.query.items())
    body = await request.read()
    if len(body) > MAX_REPORT_BODY:
        raise web.HTTPRequestEntityTooLarge(max_size=MAX_REPORT_BODY, actual_size=len(body))
    try:
        form = await request.post()
    except (ValueError, LookupError):  # undecodable bytes, or a charset nobody knows
        raw = mask_passwords(request.query_string + "&" + body.decode("utf-8", "replace"))
        return (
            Callback(raw=raw[:MAX_RAW_KEPT], bad_reason="unreadable form body", account=account),
            web.Response(status=400, text="malformed report: unreadable form body"),
            MALFORMED,
        )
    params.update({key: value for key, value in form.items() if isinstance(value, str)})
    raw = "&".join(part for part in (request.query_string, body.decode("utf-8", "replace")) if part)
    return _understood(params, mask_passwords(raw), account)


def _understood(params: dict[str, str], raw: str, account: str) -> tuple[Callback, web.Response, str]:
    """What to store for a callback to `account`'s URL (its parameters, query and form; its raw
    text, password masked), the answer to give once it is stored, and its shape (for the
    counters)."""
    raw = raw[:MAX_RAW_KEPT]
    try:
        uplink = parse_uplink(params, _LENGTHS)
    except ReportError as exc:
        log.warning("malformed callback (%s): %s", exc, raw[:500])
        return (
            Callback(raw=raw, bad_reason=str(exc), account=account),
            web.Response(status=400, text=f"malformed callback: {exc}"),
            MALFORMED,
        )
    if uplink.shape == Shape.UNKNOWN:
        log.warning("a callback in a shape nobody expected is kept for admins: %s", raw[:500])
    callback = Callback(
        raw=raw,
        reports=uplink.reports,
        messages=uplink.messages,
        command=uplink.command if uplink.shape == Shape.UNKNOWN else None,
        account=account,
    )
    return callback, web.Response(text=uplink.answer), uplink.shape.value
