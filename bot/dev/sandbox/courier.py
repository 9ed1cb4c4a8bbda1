"""Delivering callbacks to the customer's URL: each attempt logged, failures retried with a
doubling backoff, at most `delivery_concurrency` in flight."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

import aiohttp
from yarl import URL

from bot.dev.sandbox.config import SandboxConfig
from bot.dev.sandbox.uplink import Job, Outgoing, describe_url, report_url

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Delivery:
    """One report's (or phone message's) part in one HTTP attempt at delivering a callback."""

    msgid: str
    """The report's msgid, or the message's momsgid."""
    da: str
    """The number the report is about, or the phone that wrote."""
    code: str
    """The report's status code (DELIVRD, 401, …); empty for a phone's message."""
    url: str
    """The callback URL as configured (without the callback's fields)."""
    copy: int
    """1, or 2 for the duplicate of a report."""
    attempt: int
    """1 for the first try, then 2, 3, … for retries."""
    status: int | None
    """HTTP status of the answer; None when there was no answer."""
    error: str | None
    """Why the attempt failed: no answer, or an answer that does not accept the callback."""
    at: float
    command: str
    """The callback's command: RT_REQUEST, MULTI_RT_REQUEST, MO_REQUEST or MULTI_MO_REQUEST."""

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.error is None


class Courier:
    """Carries callbacks to `config.callback_url` (read at each delivery: it may change)."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.deliveries: list[Delivery] = []
        self._semaphore = asyncio.Semaphore(config.delivery_concurrency)
        self._session: aiohttp.ClientSession | None = None

    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def deliver(self, job: Job) -> bool:
        """Each copy of a callback in turn; True when every one was accepted."""
        delivered = True
        for copy, outgoing in enumerate(job, 1):
            callback_url = self.config.callback_url
            if not callback_url:
                return False
            delivered = await self._deliver_copy(callback_url, outgoing, copy) and delivered
        return delivered

    async def _deliver_copy(self, callback_url: str, outgoing: Outgoing, copy: int) -> bool:
        attempts = self.config.delivery_attempts
        where = describe_url(callback_url)
        what = ", ".join(f"{item.msgid}/{item.da} ({item.code or 'MO'})" for item in outgoing.items[:5])
        for attempt in range(1, attempts + 1):
            status, error = await self._attempt(callback_url, outgoing)
            now = time.time()
            self.deliveries.extend(
                Delivery(
                    msgid=item.msgid,
                    da=item.da,
                    code=item.code,
                    url=callback_url,
                    copy=copy,
                    attempt=attempt,
                    status=status,
                    error=error,
                    at=now,
                    command=outgoing.command.value,
                )
                for item in outgoing.items
            )
            if error is None:
                log.info("%s %s delivered to %s", outgoing.command.value, what, where)
                return True
            log.warning(
                "%s %s to %s, attempt %d of %d: %s",
                outgoing.command.value,
                what,
                where,
                attempt,
                attempts,
                error,
            )
            if attempt < attempts:
                await asyncio.sleep(self.config.retry_backoff * 2 ** (attempt - 1))
        return False

    async def _attempt(self, callback_url: str, outgoing: Outgoing) -> tuple[int | None, str | None]:
        """(HTTP status or None, why it failed or None)."""
        try:
            if outgoing.post:
                target, body = URL(callback_url), outgoing.encoded()
            else:
                target, body = report_url(callback_url, outgoing.encoded()), None
        except (ValueError, TypeError) as exc:
            return None, f"invalid callback URL: {type(exc).__name__}"
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if body is not None else None
        timeout = aiohttp.ClientTimeout(total=self.config.delivery_timeout)
        async with self._semaphore:
            try:
                async with self.session().request(
                    "POST" if body is not None else "GET",
                    target,
                    data=body,
                    headers=headers,
                    timeout=timeout,
                    allow_redirects=False,
                ) as response:
                    text = (await response.read()).decode("utf-8", "replace")
                    return response.status, outgoing.refusal(response.status, text)
            except (aiohttp.ClientError, TimeoutError) as exc:
                return None, f"{type(exc).__name__}: {exc}"
