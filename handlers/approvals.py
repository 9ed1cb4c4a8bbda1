"""Approve / Reject on an approval request: only admins' clicks count, and only the first."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond

from bot.domain.send_request import SendRequest
from bot.domain.states import ApprovalState
from bot.i18n import Msg
from bot.sending.dispatch import send_now, show_decision, tell_requester, texts_of_request
from bot.sending.guard import is_admin, whom_to_ask
from bot.store import approvals as approval_store
from bot.store.audit import Action, record
from bot.store.db import now
from bot.views.ids import ActionId
from handlers.common import Press, apologise


async def on_decision(
    ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext, respond: AsyncRespond
) -> None:
    await ack()
    press = Press.of(body, context, respond)
    services, actor, t, whisper = press.services, press.actor, press.t, press.whisper
    approval_id = press.value
    approve = press.action_id == ActionId.APPROVE

    async def work() -> None:
        if not is_admin(services, actor.user_id):
            await whisper(t("approvals.only_admins", who=whom_to_ask(services)))
            return
        approval = await approval_store.decide(services.db, approval_id, actor.user_id, approve, now())
        if approval is None:
            current = await approval_store.get_approval(services.db, approval_id)
            if current is None:
                await whisper(t("approvals.unknown"))
            elif current.state == ApprovalState.PENDING:  # pending but past its time
                await whisper(t("approvals.expired"))
            else:
                await whisper(t(f"approvals.already.{current.state}", user=current.decided_by))
            return
        await show_decision(services, approval)
        request = SendRequest.from_payload(json.loads(approval.payload))
        theirs = texts_of_request(services, request)
        await record(
            services.db,
            team_id=approval.team_id,
            user_id=actor.user_id,
            action=Action.APPROVED if approve else Action.REJECTED,
            channel_id=approval.channel_id,
            recipients=approval.recipients,
            estimated_cost=approval.estimated_cost,
            detail=str(Msg.of("approvals.audit_detail", user=approval.requester_id)),
        )
        if not approve:
            await tell_requester(
                services,
                approval.requester_id,
                theirs("approvals.told.rejected", admin=actor.user_id, n=approval.recipients),
            )
            return

        async def tell(text: str) -> None:
            await tell_requester(services, approval.requester_id, text)

        result = await send_now(services, request, tell)
        if result is not None:
            await tell_requester(
                services,
                approval.requester_id,
                theirs(
                    "approvals.told.approved",
                    admin=actor.user_id,
                    n=approval.recipients,
                    channel=result.channel_id,
                ),
            )

    services.background.spawn(work(), on_error=apologise(t, respond))


def register(app: AsyncApp) -> None:
    app.action(ActionId.APPROVE)(on_decision)
    app.action(ActionId.REJECT)(on_decision)
