"""The report route (`GET|POST /santo/reports/{token}`) and its group-commit writer.

A request is answered 200 only once its report is committed. Requests hand their report to
one writer task and wait; the writer commits whatever has queued up in one transaction, so
under load many reports share a commit instead of each paying for one.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from urllib.parse import quote

from aiohttp import web

from bot.sandbox.logs import mask_passwords
from bot.santo.codes import Command
from bot.santo.reports import ReportError, is_status_report, parse_report
from bot.services import SERVICES, Services
from bot.store.db import now
from bot.store.reports import Callback, store_callbacks

log = logging.getLogger(__name__)

MAX_REPORT_BODY = 16 * 1024
MAX_BATCH = 500


class ReportWriter:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.queue: asyncio.Queue[tuple[Callback, asyncio.Future[None]]] = asyncio.Queue()
        self.batches = 0

    async def write(self, callback: Callback) -> None:
        """Returns once `callback` is committed; raises if the commit failed."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        await self.queue.put((callback, done))
        await done

    async def run(self) -> None:
        """Commit batches until shutdown; then commit what is queued and return."""
        stopping = asyncio.ensure_future(self.services.stopping.wait())
        try:
            while True:
                getting = asyncio.ensure_future(self.queue.get())
                await asyncio.wait([getting, stopping], return_when=asyncio.FIRST_COMPLETED)
                if not getting.done():
                    getting.cancel()
                    break
                batch = [getting.result()]
                while len(batch) < MAX_BATCH and not self.queue.empty():
                    batch.append(self.queue.get_nowait())
                await self._commit(batch)
        finally:
            stopping.cancel()
        await self.flush()

    async def _commit(self, batch: list[tuple[Callback, asyncio.Future[None]]]) -> None:
        try:
            await store_callbacks(self.services.db, [callback for callback, _ in batch], now())
        except Exception as exc:
            log.exception("could not store %d callback(s); the platform is told to try again", len(batch))
            for _, done in batch:
                if not done.done():
                    done.set_exception(exc)
            return
        self.batches += 1
        for _, done in batch:
            if not done.done():
                done.set_result(None)
        self.services.wake_notifier()

    async def flush(self) -> None:
        """Commit what is still queued (at shutdown, after the server stopped taking requests)."""
        batch = []
        while not self.queue.empty():
            batch.append(self.queue.get_nowait())
        if batch:
            await self._commit(batch)


WRITER = web.AppKey("report_writer", ReportWriter)


def _token_ok(request: web.Request, services: Services) -> bool:
    expected = services.settings.santo_report_token
    if expected is None:
        return False
    given = request.match_info.get("token", "")
    return hmac.compare_digest(given.encode(), expected.get_secret_value().encode())


async def report_route(request: web.Request) -> web.Response:
    services: Services = request.app[SERVICES]
    if not _token_ok(request, services):
        raise web.HTTPNotFound()
    if (request.content_length or 0) > MAX_REPORT_BODY:
        raise web.HTTPRequestEntityTooLarge(max_size=MAX_REPORT_BODY, actual_size=request.content_length or 0)
    params = {key: value for key, value in request.query.items()}
    raw = request.query_string
    if request.method == "POST":
        body = await request.read()
        if len(body) > MAX_REPORT_BODY:
            raise web.HTTPRequestEntityTooLarge(max_size=MAX_REPORT_BODY, actual_size=len(body))
        try:
            form = await request.post()
        except ValueError:  # undecodable bytes
            form = None
        if form is None:
            raw = mask_passwords(request.query_string + "&" + body.decode("utf-8", "replace"))
            await _store(
                request.app[WRITER], Callback(raw=raw[:MAX_REPORT_BODY], bad_reason="unreadable form body")
            )
            return web.Response(status=400, text="malformed report: unreadable form body")
        params.update({key: value for key, value in form.items() if isinstance(value, str)})
        raw = "&".join(part for part in (raw, body.decode("utf-8", "replace")) if part)
    raw = mask_passwords(raw)[:MAX_REPORT_BODY]
    writer = request.app[WRITER]
    command = params.get("command", "").strip().upper()
    if command and not is_status_report(params):
        await _store(writer, Callback(raw=raw, command=command[:32]))
        return web.Response(text=f"command={quote(command)}&rtstat=ACCEPTD&rterrcode=000")
    try:
        report = parse_report(params)
    except ReportError as exc:
        log.warning("malformed report (%s): %s", exc, raw[:500])
        await _store(writer, Callback(raw=raw, bad_reason=str(exc)))
        return web.Response(status=400, text=f"malformed report: {exc}")
    await _store(writer, Callback(raw=raw, report=report))
    return web.Response(
        text=f"command={Command.RT_RESPONSE}&msgid={quote(report.msgid)}&rtstat=ACCEPTD&rterrcode=000"
    )


async def _store(writer: ReportWriter, callback: Callback) -> None:
    try:
        await writer.write(callback)
    except Exception:
        raise web.HTTPServiceUnavailable(text="could not store the report; try again") from None
