"""Sends scheduled for later go out on time, exactly once, with balance and caps checked again."""

from __future__ import annotations

import logging
from dataclasses import replace

from bot.domain.money import Estimate, money
from bot.domain.send_request import SendRequest
from bot.i18n import Msg
from bot.logs import log_context
from bot.santo.errors import SantoError
from bot.sending.caps import checked
from bot.sending.file_send import resume
from bot.sending.low_balance import read_balance
from bot.sending.send import estimate_for, stored_request, submit
from bot.services import Periodic, Services
from bot.store.audit import Action, record_request
from bot.store.db import now
from bot.store.file_sends import own_texts
from bot.store.schedule import claim_due, numbers_of, refuse
from bot.store.sends import get_send

log = logging.getLogger(__name__)


class Scheduler(Periodic):
    async def round(self) -> None:
        for send_id in await claim_due(self.services.db, now()):
            with log_context(send_id=send_id):
                await self.send(send_id)
        await resume(self.services)  # sends from a file cut short by a restart

    async def send(self, send_id: int) -> None:
        """A due send, claimed: checked again through the door (`checked`), then submitted; or
        refused, which its channel message shows."""
        request = await due_request(self.services, send_id)
        if request is None:
            return
        services = await self.services.for_team(request.team_id)  # its workspace's clients
        estimate = await estimate_for(services, request)
        reason = await balance_short(services, send_id, estimate)  # a platform call: not under the lock
        async with checked(services, request, estimate, approved=True, stored_as=send_id) as door:
            reason = reason or door.verdict.refusal
            if reason is not None:  # stored before letting go: its numbers no longer count
                await refuse(services.db, send_id, reason, now())
        if reason is not None:
            services.wake_notifier()
            outcome, detail = "refused", f"scheduled: {reason}"
        else:
            outcome, detail = await submit(services, send_id, request), None
        action = Action.REFUSED if reason else Action.SEND
        await record_request(
            services.db, request, action, estimate.total, outcome=outcome, detail=detail, send_id=send_id
        )


async def due_request(services: Services, send_id: int) -> SendRequest | None:
    """The stored send as a request again, with each number's own text if it has them."""
    stored = await get_send(services.db, send_id)
    if stored is None:
        return None
    request = stored_request(stored, await numbers_of(services.db, send_id))
    texts = await own_texts(services.db, send_id, [n.msisdn for n in request.numbers])
    return replace(request, texts=texts)


async def balance_short(services: Services, send_id: int, estimate: Estimate) -> Msg | None:
    """Why the balance cannot pay for the send, if it cannot (an unknown balance lets it go)."""
    if estimate.total is None:
        return None
    try:
        balance = (await read_balance(services)).amount
    except SantoError as exc:
        log.info("balance unknown at scheduled time of send %d: %s", send_id, exc)
        return None
    if balance >= estimate.total:
        return None
    return Msg.of("send.detail.balance_below", balance=money(balance), cost=money(estimate.total))
