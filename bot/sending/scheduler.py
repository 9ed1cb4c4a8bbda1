"""Sends scheduled for later go out on time, exactly once, with balance and caps checked again."""

from __future__ import annotations

import logging

from bot.domain.money import money
from bot.i18n import Msg
from bot.santo.errors import SantoError
from bot.sending.file_send import resume
from bot.sending.guard import check_send
from bot.sending.send import stored_request, submit
from bot.services import Periodic
from bot.store.audit import Action, record_request
from bot.store.db import now
from bot.store.schedule import claim_due, numbers_of, refuse
from bot.store.sends import get_send

log = logging.getLogger(__name__)


class Scheduler(Periodic):
    async def round(self) -> None:
        for send_id in await claim_due(self.services.db, now()):
            await self.send(send_id)
        await resume(self.services)  # sends from a file cut short by a restart

    async def send(self, send_id: int) -> None:
        services = self.services
        stored = await get_send(services.db, send_id)
        if stored is None:
            return
        request = stored_request(stored, await numbers_of(services.db, send_id))
        estimate = await services.prices.estimate(request.numbers, request.parts)
        verdict = await check_send(
            services,
            request.team_id,
            request.user_id,
            request.channel_id,
            len(request.numbers),
            estimate,
            exclude_send_id=send_id,
        )
        reason = verdict.refusal
        if reason is None and estimate.total is not None:
            try:
                balance = (await services.santo.balance()).amount
            except SantoError as exc:
                balance = None
                log.info("balance unknown at scheduled time of send %d: %s", send_id, exc)
            if balance is not None and balance < estimate.total:
                reason = Msg.of(
                    "send.detail.balance_below", balance=money(balance), cost=money(estimate.total)
                )
        if reason:
            await refuse(services.db, send_id, reason, now())
            services.wake_notifier()
            outcome, detail = "refused", f"scheduled: {reason}"
        else:
            outcome, detail = await submit(services, send_id, request), None
        action = Action.REFUSED if reason else Action.SEND
        await record_request(
            services.db, request, action, estimate.total, outcome=outcome, detail=detail, send_id=send_id
        )
