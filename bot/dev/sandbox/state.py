"""The sandbox's memory: balances, accepted messages, their reports, what phones wrote back, and
the background work that delivers them (through `bot.dev.sandbox.courier`)."""

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

from aiohttp import web

from bot.dev.sandbox.config import (
    FAILURE_CODES,
    NO_REPORT,
    SandboxConfig,
    check_msisdn,
    normalise_outcome,
)
from bot.dev.sandbox.courier import Courier, Delivery
from bot.dev.sandbox.phone import DEFAULT_DC, PhoneMessage, hex_of, phone_number, reply_of
from bot.dev.sandbox.pricing import price_for
from bot.dev.sandbox.rules import Destination
from bot.dev.sandbox.uplink import Due, inbound_jobs, report_jobs
from bot.santo.codes import DELIVERED_CODE, Command

log = logging.getLogger(__name__)

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


class SandboxState:
    """Everything the sandbox knows; reachable in-process through the app's SANDBOX_STATE."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = replace(config, accounts=dict(config.accounts), forced=dict(config.forced))
        """A private copy: change callback_url, latency, … here at run time."""
        self.balances: dict[str, Decimal] = {}
        self.messages: dict[str, Message] = {}
        self.rejections: list[Rejection] = []
        self.inbound: list[PhoneMessage] = []
        """What phones wrote to the customer, in order."""
        self.courier = Courier(self.config)
        self._rng = random.Random(config.seed)
        self._last_id = 0 if config.first_msgid is None else config.first_msgid - 1
        self._tasks: set[asyncio.Task[None]] = set()
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
        """A unique 20-digit id: microseconds since 1970, then 4 random digits (or the next one
        from `first_msgid`)."""
        if self.config.first_msgid is not None:
            self._last_id += 1
            return f"{self._last_id:020d}"
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
            "inbound": len(self.inbound),
            "deliveries": len(self.deliveries),
            "deliveries_ok": sum(1 for d in self.deliveries if d.ok),
            "pending_tasks": len(self._tasks),
            "callback_url": self.config.callback_url,
            "report_shape": self.config.report_shape,
            "inbound_shape": self.config.inbound_shape,
            "forced": dict(self.config.forced),
        }

    @property
    def deliveries(self) -> list[Delivery]:
        """Every attempt at delivering a callback, one entry per report or message in it."""
        return self.courier.deliveries

    # ---- phones ----------------------------------------------------------------------------

    async def write(
        self, phone: str, text: str, *, dc: str = DEFAULT_DC, to: str | None = None
    ) -> PhoneMessage:
        """A phone writes to the customer now: the message is delivered (retries included) before
        this returns. A ValueError for a number, coding or text the platform would not carry."""
        message = self._phone_message(phone_number(phone), text, dc, to or self.config.service_number)
        await self._send_inbound([message])
        return message

    def delivered(self, msgid: str) -> bool:
        """Whether the customer accepted the report or phone's message with this id."""
        return any(d.ok and d.msgid == msgid for d in self.deliveries)

    def _phone_message(self, phone: str, text: str, dc: str, to: str) -> PhoneMessage:
        hex_of(text, dc)  # a text its coding cannot write is refused here, not on the way
        return PhoneMessage(self.new_msgid(), phone, to, text, dc, time.time())

    async def _send_inbound(self, messages: list[PhoneMessage]) -> None:
        self.inbound.extend(messages)
        jobs = inbound_jobs(self.config.inbound_shape, messages)
        await asyncio.gather(*(self.courier.deliver(job) for job in jobs))

    async def _replies(self, message: Message, replies: list[tuple[str, str]]) -> None:
        """(phone, text): phones answering a delivered message write back `reply_delay` after its report."""
        to = message.sender or self.config.service_number
        await asyncio.sleep(self.config.reply_delay)
        await self._send_inbound([self._phone_message(p, text, DEFAULT_DC, to) for p, text in replies])

    # ---- background work ------------------------------------------------------------------

    @property
    def tasks(self) -> frozenset[asyncio.Task[None]]:
        """Report and reply tasks still running."""
        return frozenset(self._tasks)

    async def start(self) -> None:
        """Open the HTTP session callbacks are delivered with (the app's on_startup)."""
        self.courier.session()

    async def drain(self) -> None:
        """Wait until every scheduled report and reply has been delivered (or given up)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def close(self) -> None:
        """Cancel pending callbacks and close the HTTP session: nothing outlives the app."""
        self._closed = True
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        await self.courier.close()

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
        reports = [Due(r.msisdn, r.outcome, r.duplicate) for r in due]
        jobs = report_jobs(self.config.report_shape, message.cpid, message.msgid, reports, now)
        await asyncio.gather(*(self.courier.deliver(job) for job in jobs))
        replies = [
            (r.msisdn, text)
            for r in due
            if r.outcome == DELIVERED_CODE and (text := reply_of(r.msisdn)) is not None
        ]
        if replies:
            self._spawn(self._replies(message, replies))


SANDBOX_STATE = web.AppKey("SANDBOX_STATE", SandboxState)
"""`app[SANDBOX_STATE]`: the sandbox's state, for tests and the console."""
