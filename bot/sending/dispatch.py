"""The one door every send goes through: guardrails, approval, the send itself, the audit trail."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError

from bot.domain.money import Estimate
from bot.domain.send_request import SendRequest
from bot.i18n import TEXTS, Language, Msg, Texts
from bot.logs import log_context
from bot.sending.caps import checked
from bot.sending.opt_outs import without_opted_out
from bot.sending.send import CannotPost, SendResult, estimate_for, execute
from bot.sending.step_end import fail_step, step_error
from bot.services import Services
from bot.store import approvals as approval_store
from bot.store.audit import Action, record_decision, record_request
from bot.store.db import now
from bot.store.sends import begin_retry
from bot.store.tables import Approval
from bot.views.approvals import build_approval_message

log = logging.getLogger(__name__)

Tell = Callable[[str], Awaitable[None]]
"""Says something to the requester, in their language (the request's `ui_language`)."""


def texts_of_request(services: Services, request: SendRequest) -> Texts:
    """The requester's texts: they asked in the language stored on the request."""
    return services.languages.texts(request.ui_language)


@dataclass(frozen=True)
class Refused:
    """The guardrails refused the send (the requester has been told `reason`)."""

    reason: Msg


@dataclass(frozen=True)
class Asked:
    """An admin was asked to approve the send (the requester has been told)."""

    approval_id: str


async def dispatch(
    services: Services,
    request: SendRequest,
    tell: Tell,
    estimate: Estimate | None = None,
    approved_by: str | None = None,
) -> SendResult | Refused | Asked | None:
    """Send now, ask an admin first, or refuse — telling the requester which, and why. None:
    nothing could be sent (said). `approved_by`: the admin who approved the request; it is
    checked again all the same (caps may be spent since), only not put to an admin."""
    with log_context(workspace=request.team_id):
        return await _dispatch(services, request, tell, estimate, approved_by)


async def _dispatch(
    services: Services,
    request: SendRequest,
    tell: Tell,
    estimate: Estimate | None,
    approved_by: str | None,
) -> SendResult | Refused | Asked | None:
    if estimate is None:
        estimate = await estimate_for(services, request)
    async with checked(services, request, estimate, approved=approved_by is not None) as door:
        verdict = door.verdict
        if verdict.refusal is None and not verdict.needs_approval:
            return await _send_now(services, request, tell, estimate, reserved=door.release)
    if verdict.refusal is not None:
        await refuse(services, request, estimate, verdict.refusal, tell, approved_by)
        return Refused(verdict.refusal)
    approval_id = await request_approval(services, request, estimate, tell)
    return Asked(approval_id) if approval_id is not None else None


async def refuse(
    services: Services,
    request: SendRequest,
    estimate: Estimate,
    reason: Msg,
    tell: Tell,
    approved_by: str | None,
) -> None:
    """The refusal, in the audit trail (English) and told to the requester (in their language)."""
    t = texts_of_request(services, request)
    if approved_by is None:
        detail, told = str(reason), t("dispatch.refused", reason=reason)
    else:
        detail = str(Msg.of("dispatch.refused_after_approval.audit", admin=approved_by, reason=reason))
        told = t("dispatch.refused_after_approval.told", admin=approved_by, reason=reason)
    await record_request(services.db, request, Action.REFUSED, estimate.total, detail=detail)
    await tell(told)


async def _send_now(
    services: Services,
    request: SendRequest,
    tell: Tell,
    estimate: Estimate | None = None,
    reserved: Callable[[], Awaitable[None]] | None = None,
) -> SendResult | None:
    """`reserved`: called once the send is stored (its numbers count against the caps from then)."""
    t = texts_of_request(services, request)
    current = await without_opted_out(services, request)
    if current.opted_out != request.opted_out:  # someone opted out since the confirmation
        request, estimate = current, None
    if not request.numbers:
        n = len(request.opted_out)
        english = TEXTS[Language.EN].count("dispatch.all_opted_out", n)
        await record_request(services.db, request, Action.REFUSED, None, detail=english)
        await tell(t.count("dispatch.all_opted_out", n))
        return None
    if request.opted_out:
        await tell(t.count("dispatch.opted_out", len(request.opted_out)))
    cost = estimate.total if estimate else None
    if request.retry_of is not None and not await begin_retry(services.db, request.retry_of):
        await tell(t("dispatch.already_retried"))
        return None
    try:
        result = await execute(services, request, estimate, reserved)
    except CannotPost as exc:
        await record_request(services.db, request, Action.REFUSED, cost, detail=str(exc))
        await tell(t.render(exc.message))
        return None
    await record_request(
        services.db, request, Action.SEND, cost, outcome=result.state, send_id=result.send_id
    )
    return result


async def request_approval(
    services: Services, request: SendRequest, estimate: Estimate, tell: Tell
) -> str | None:
    """The approval request posted for admins: its id; None if it could not be posted (said)."""
    settings = services.settings
    channel = settings.sms_approvals_channel
    assert channel is not None  # check_send refuses a send needing approval without a channel
    approval_id = await approval_store.create_approval(
        services.db,
        team_id=request.team_id,
        requester_id=request.user_id,
        channel_id=request.channel_id,
        payload=request.to_payload(),
        recipients=len(request.numbers),
        estimated_cost=estimate.total,
        expires_after=settings.sms_approval_expires_after,
    )
    t = texts_of_request(services, request)  # posted in the approvals channel: the sender's language
    text, blocks = build_approval_message(
        t,
        approval_id,
        request.user_id,
        request.channel_id,
        request.kind,
        request.text,
        len(request.numbers),
        estimate.total,
    )
    try:
        posted = await services.slack.chat_postMessage(channel=channel, text=text, blocks=blocks)
    except SlackApiError as exc:
        log.warning("could not post an approval request: %s", exc.response.get("error"))
        await tell(t("dispatch.approval_cannot_post", channel=channel))
        return None
    await approval_store.set_message(services.db, approval_id, str(posted["channel"]), str(posted["ts"]))
    await record_request(services.db, request, Action.APPROVAL_REQUESTED, estimate.total)
    await tell(t("dispatch.approval_asked", channel=channel))
    return approval_id


async def show_decision(services: Services, approval: Approval) -> None:
    """Update the approval request in its channel to say what became of it."""
    if not approval.message_channel or not approval.message_ts:
        return
    request = SendRequest.from_payload(json.loads(approval.payload))
    text, blocks = build_approval_message(
        texts_of_request(services, request),
        approval.id,
        approval.requester_id,
        approval.channel_id,
        request.kind,
        request.text,
        approval.recipients,
        approval.estimated_cost,
        approval.state,
        approval.decided_by,
    )
    try:
        await services.slack.chat_update(
            channel=approval.message_channel, ts=approval.message_ts, text=text, blocks=blocks
        )
    except SlackApiError as exc:
        log.warning("could not update approval %s: %s", approval.id, exc.response.get("error"))


async def tell_requester(services: Services, user_id: str, text: str) -> None:
    try:
        await services.slack.chat_postMessage(channel=user_id, text=text)
    except SlackApiError as exc:
        log.warning("could not message %s: %s", user_id, exc.response.get("error"))


async def expire_approvals(services: Services) -> None:
    """Approvals nobody decided in time: marked Expired, shown, the requester told. Never sent."""
    for approval in await approval_store.expire_due(services.db, now()):
        await show_decision(services, approval)
        await record_decision(services.db, approval, Action.EXPIRED, approval.requester_id)
        request = SendRequest.from_payload(json.loads(approval.payload))
        t = texts_of_request(services, request)
        if request.step_run is not None:  # a workflow step waited for it: it ends here
            error = await step_error(services, t, Msg.of("steps.error.expired"))
            await fail_step(services, request.step_run, error)
            continue
        await tell_requester(services, approval.requester_id, t("dispatch.expired", n=approval.recipients))
