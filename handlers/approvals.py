"""Approve / Reject on an approval request: only admins' clicks count, and only the first."""

from __future__ import annotations

import json

from slack_bolt.async_app import AsyncApp

from bot.domain.send_request import SendRequest
from bot.domain.states import ApprovalState
from bot.i18n import Msg
from bot.sending.dispatch import Refused, dispatch, show_decision, tell_requester, texts_of_request
from bot.sending.guard import is_admin, whom_to_ask
from bot.sending.send import SendResult
from bot.sending.workflow_steps import end_decided_step
from bot.store import approvals as approval_store
from bot.store.audit import Action, record_decision
from bot.store.db import now
from bot.views.ids import ActionId
from handlers.common import Interaction, listener


async def decide(interaction: Interaction) -> None:
    services, t, whisper = interaction.services, interaction.t, interaction.whisper
    user = interaction.actor.user_id
    approve = interaction.action_id == ActionId.APPROVE
    if not is_admin(services, user):
        await whisper(t("approvals.only_admins", who=whom_to_ask(services)))
        return
    approval = await approval_store.decide(services.db, interaction.value, user, approve, now())
    if approval is None:
        current = await approval_store.get_approval(services.db, interaction.value)
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
    detail = str(Msg.of("approvals.audit_detail", user=approval.requester_id))
    await record_decision(
        services.db, approval, Action.APPROVED if approve else Action.REJECTED, user, detail
    )
    if request.step_run is not None:  # a Workflow Builder step waits for this decision
        refused = await end_decided_step(services, request, user, approve)
        if refused is not None:
            await whisper(t("approvals.refused_at_send_step", reason=refused.reason))
        return
    if not approve:
        told = theirs("approvals.told.rejected", admin=user, n=approval.recipients)
        await tell_requester(services, approval.requester_id, told)
        return

    async def tell(text: str) -> None:
        await tell_requester(services, approval.requester_id, text)

    result = await dispatch(services, request, tell, approved_by=user)
    if isinstance(result, Refused):  # checked again now: the caps may be spent since it was asked
        await whisper(t("approvals.refused_at_send", user=approval.requester_id, reason=result.reason))
    elif isinstance(result, SendResult):
        told = theirs(
            "approvals.told.approved", admin=user, n=approval.recipients, channel=result.channel_id
        )
        await tell_requester(services, approval.requester_id, told)


def register(app: AsyncApp) -> None:
    app.action(ActionId.APPROVE)(listener(decide))
    app.action(ActionId.REJECT)(listener(decide))
