"""The sandbox's memory: balances, accepted messages, their reports and every report delivery."""

from __future__ import annotations

import asyncio
import logging
import random
import secrets
import time
from collections.abc import Coroutine, Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import aiohttp
from yarl import URL

from bot.dev.sandbox.config import (
    FAILURE_CODES,
    NO_REPORT,
    SandboxConfig,
    check_msisdn,
    normalise_outcome,
)
from bot.dev.sandbox.pricing import price_for
from bot.dev.sandbox.rules import Destination
from bot.santo.codes import DELIVERED_CODE, Command

log = logging.getLogger(__name__)

REPORT_DC = "15"
"""Data coding of the report's `sm`: 15 = GBK (manual 4.3)."""
REPORT_ENCODING = "gbk"

CONVENTION_SUFFIXES: dict[str, str] = {
    "0401": "401",
    "0402": "402",
    "0403": "403",
    "0404": "404",
    "0501": "501",
    "0000": NO_REPORT,
}
"""Last four digits of a number → its outcome, for demos (see the package docstring)."""

_CENT = Decimal("0.01")


def report_value(code: str) -> str:
    """Status value of a status code (manual 5.2): DELIVRD → 0, 401..404 → 400, 501 → 500."""
    if code == DELIVERED_CODE:
        return "0"
    if code == "501":
        return "500"
    return "400"


def report_content(msgid: str, code: str) -> str:
    """`0513594772db8c|0|DELIVRD||`, `0513594772db8c|400|404||` (manual 4.3)."""
    return f"{msgid}|{report_value(code)}|{code}||"


def report_hex(content: str) -> str:
    """The report's `sm`: hex of the content's GBK bytes, lower case as in the manual."""
    return content.encode(REPORT_ENCODING).hex()


def report_query(msgid: str, msisdn: str, code: str) -> str:
    """The RT_REQUEST query string, fields in the manual's order, `|` left as printed."""
    content = report_content(msgid, code)
    pairs = [
        ("command", Command.RT_REQUEST.value),
        ("msgid", msgid),
        ("da", msisdn),
        ("dc", REPORT_DC),
        ("sm", report_hex(content)),
        ("rsm", content),
    ]
    return "&".join(f"{key}={quote(value, safe='|')}" for key, value in pairs)


def report_url(callback_url: str, query: str) -> URL:
    """The callback URL with the report's fields after any query it already has (a token)."""
    base = URL(callback_url)
    existing = base.raw_query_string
    joined = f"{existing}&{query}" if existing else query
    bare = str(base.with_query(None).with_fragment(None))
    return URL(f"{bare}?{joined}", encoded=True)


def describe_url(url: str) -> str:
    """A callback URL for logs: scheme, host and path, never its query (it may hold a token)."""
    try:
        parsed = URL(url)
        return str(parsed.with_query(None).with_fragment(None).with_user(None))
    except (ValueError, TypeError):
        return "<invalid URL>"


@dataclass
class Recipient:
    """One destination number of an accepted message."""

    msisdn: str
    region: str
    price: Decimal
    """Price per part to this number."""
    outcome: str
    """DELIVRD, 401..404, 501 or none (never reported)."""
    duplicate: bool
    """Whether its report is delivered twice."""
    reported_at: float | None = None
    """Wall-clock time the report was produced; None until report_delay has passed."""

    @property
    def report_status(self) -> str:
        """`/get-rptstatus`'s mtstat: none until the report exists, then success or failed."""
        if self.reported_at is None:
            return NO_REPORT
        return "success" if self.outcome == DELIVERED_CODE else "failed"


@dataclass
class Message:
    msgid: str
    cpid: str
    command: Command
    text: str
    sender: str | None
    lang: str | None
    parts: int
    cost: Decimal
    accepted_at: float
    recipients: dict[str, Recipient] = field(default_factory=dict)
    """By MSISDN, in the order they were sent."""


@dataclass(frozen=True)
class Rejection:
    msgid: str
    cpid: str
    command: str
    code: str
    at: float


@dataclass(frozen=True)
class Delivery:
    """One HTTP attempt at delivering one report."""

    msgid: str
    da: str
    code: str
    """The report's status code (DELIVRD, 401, …)."""
    url: str
    """The callback URL as configured (without the report's fields)."""
    copy: int
    """1, or 2 for the duplicate of a report."""
    attempt: int
    """1 for the first try, then 2, 3, … for retries."""
    status: int | None
    """HTTP status of the answer; None when there was no answer."""
    error: str | None
    at: float

    @property
    def ok(self) -> bool:
        return self.status == 200


class SandboxState:
    """Everything the sandbox knows; reachable in-process through the app's SANDBOX_STATE."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = replace(config, accounts=dict(config.accounts), forced=dict(config.forced))
        """A private copy: change callback_url, latency, … here at run time."""
        self.balances: dict[str, Decimal] = {}
        self.messages: dict[str, Message] = {}
        self.rejections: list[Rejection] = []
        self.deliveries: list[Delivery] = []
        self._rng = random.Random(config.seed)
        self._last_id = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._semaphore = asyncio.Semaphore(config.delivery_concurrency)
        self._session: aiohttp.ClientSession | None = None
        self._closed = False
        for cpid in self.config.accounts:
            self.balance_of(cpid)

    # ---- accounts and money -------------------------------------------------------------

    def balance_of(self, cpid: str) -> Decimal:
        if cpid not in self.balances:
            self.balances[cpid] = Decimal(str(self.config.balance)).quantize(_CENT)
        return self.balances[cpid]

    def set_balance(self, cpid: str, amount: float | Decimal) -> None:
        self.balances[cpid] = Decimal(str(amount)).quantize(_CENT)

    # ---- outcomes -------------------------------------------------------------------------

    def force(self, msisdn: str, outcome: str | None) -> None:
        """Force a number's outcome from now on (None removes the rule)."""
        number = check_msisdn(msisdn)
        if outcome is None:
            self.config.forced.pop(number, None)
        else:
            self.config.forced[number] = normalise_outcome(outcome)

    def outcome_for(self, msisdn: str) -> tuple[str, bool]:
        """(outcome, duplicate) of a newly accepted number.

        Draws the same amount of randomness for every number, so a seed replays a run.
        """
        draw = self._rng.random()
        reason = self._rng.choice(FAILURE_CODES)
        duplicate = self._rng.random() < self.config.duplicate_rate
        forced = self.config.forced.get(msisdn)
        if forced is not None:
            return forced, duplicate
        for suffix, outcome in CONVENTION_SUFFIXES.items():
            if msisdn.endswith(suffix):
                return outcome, duplicate
        if draw < self.config.fail_rate:
            return reason, duplicate
        if draw < self.config.fail_rate + self.config.no_report_rate:
            return NO_REPORT, duplicate
        return DELIVERED_CODE, duplicate

    # ---- messages -------------------------------------------------------------------------

    def new_msgid(self) -> str:
        """A unique 20-digit id: microseconds since 1970, then 4 random digits."""
        candidate = time.time_ns() // 1000 * 10_000 + secrets.randbelow(10_000)
        candidate = max(candidate, self._last_id + 1)
        self._last_id = candidate
        return f"{candidate:020d}"

    def reject(self, cpid: str, command: str, code: str) -> str:
        msgid = self.new_msgid()
        self.rejections.append(Rejection(msgid, cpid, command, code, time.time()))
        return msgid

    def accept(
        self,
        *,
        cpid: str,
        command: Command,
        text: str,
        numbers: Iterable[Destination],
        parts: int,
        sender: str | None = None,
        lang: str | None = None,
    ) -> Message:
        """Charge the account, record the message and schedule its reports."""
        message = Message(
            msgid=self.new_msgid(),
            cpid=cpid,
            command=command,
            text=text,
            sender=sender,
            lang=lang,
            parts=parts,
            cost=Decimal(0),
            accepted_at=time.time(),
        )
        for number in numbers:
            outcome, duplicate = self.outcome_for(number.msisdn)
            price = price_for(number.region)
            message.recipients[number.msisdn] = Recipient(
                number.msisdn, number.region, price, outcome, duplicate
            )
            message.cost += price * parts
        self.balances[cpid] = self.balance_of(cpid) - message.cost
        self.messages[message.msgid] = message
        self._spawn(self._report_later(message))
        return message

    def reports(self, cpid: str, msgid: str, da: str | None = None) -> list[Recipient]:
        """The numbers `/get-rptstatus` answers for: the account's own message only."""
        message = self.messages.get(msgid)
        if message is None or message.cpid != cpid:
            return []
        return [r for r in message.recipients.values() if da is None or r.msisdn == da]

    def summary(self) -> dict[str, Any]:
        """What `GET /_sandbox/state` shows (never a password)."""
        recipients = [r for m in self.messages.values() for r in m.recipients.values()]
        return {
            "balances": {cpid: float(amount) for cpid, amount in self.balances.items()},
            "messages": len(self.messages),
            "recipients": len(recipients),
            "reports": sum(1 for r in recipients if r.reported_at is not None),
            "rejections": len(self.rejections),
            "deliveries": len(self.deliveries),
            "deliveries_ok": sum(1 for d in self.deliveries if d.ok),
            "pending_tasks": len(self._tasks),
            "callback_url": self.config.callback_url,
            "forced": dict(self.config.forced),
        }

    # ---- background work ------------------------------------------------------------------

    @property
    def tasks(self) -> frozenset[asyncio.Task[None]]:
        """Report tasks still running."""
        return frozenset(self._tasks)

    async def start(self) -> None:
        """Open the HTTP session reports are delivered with (the app's on_startup)."""
        self._get_session()

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session

    async def drain(self) -> None:
        """Wait until every scheduled report has been produced and delivered (or given up)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def close(self) -> None:
        """Cancel pending reports and close the HTTP session: nothing outlives the app."""
        self._closed = True
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        if self._closed:
            work.close()
            return
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            log.error("sandbox report task failed", exc_info=exc)

    async def _report_later(self, message: Message) -> None:
        await asyncio.sleep(self.config.report_delay)
        due = [r for r in message.recipients.values() if r.outcome != NO_REPORT]
        now = time.time()
        for recipient in due:
            recipient.reported_at = now
        await asyncio.gather(*(self._deliver(message.msgid, r) for r in due))

    async def _deliver(self, msgid: str, recipient: Recipient) -> None:
        for copy in (1, 2) if recipient.duplicate else (1,):
            callback_url = self.config.callback_url
            if not callback_url:
                return
            await self._deliver_copy(callback_url, msgid, recipient, copy)

    async def _deliver_copy(self, callback_url: str, msgid: str, recipient: Recipient, copy: int) -> bool:
        attempts = self.config.delivery_attempts
        where = describe_url(callback_url)
        for attempt in range(1, attempts + 1):
            status, error = await self._attempt(callback_url, msgid, recipient)
            self.deliveries.append(
                Delivery(
                    msgid=msgid,
                    da=recipient.msisdn,
                    code=recipient.outcome,
                    url=callback_url,
                    copy=copy,
                    attempt=attempt,
                    status=status,
                    error=error,
                    at=time.time(),
                )
            )
            if status == 200:
                log.info(
                    "report %s/%s (%s) delivered to %s",
                    msgid,
                    recipient.msisdn,
                    recipient.outcome,
                    where,
                )
                return True
            log.warning(
                "report %s/%s to %s, attempt %d of %d: %s",
                msgid,
                recipient.msisdn,
                where,
                attempt,
                attempts,
                f"HTTP {status}" if status is not None else error,
            )
            if attempt < attempts:
                await asyncio.sleep(self.config.retry_backoff * 2 ** (attempt - 1))
        return False

    async def _attempt(
        self, callback_url: str, msgid: str, recipient: Recipient
    ) -> tuple[int | None, str | None]:
        try:
            target = report_url(callback_url, report_query(msgid, recipient.msisdn, recipient.outcome))
        except (ValueError, TypeError) as exc:
            return None, f"invalid callback URL: {type(exc).__name__}"
        session = self._get_session()
        timeout = aiohttp.ClientTimeout(total=self.config.delivery_timeout)
        async with self._semaphore:
            try:
                async with session.get(target, timeout=timeout, allow_redirects=False) as response:
                    await response.read()
                    return response.status, None
            except (aiohttp.ClientError, TimeoutError) as exc:
                return None, f"{type(exc).__name__}: {exc}"
