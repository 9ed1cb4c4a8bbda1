"""The Workflow Builder steps' work. Send an SMS: its inputs read as a send request, which goes
through the one door like any other send (number rules, opt-outs, guardrails, caps, approvals,
audit), and the outcome as the step's outputs or error; a send waiting for an admin ends its
step when it is decided. Get SMS delivery status: counts from the stored state.

A run is taken once (`bot.store.step_runs`): Slack delivers an event again when our answer was
slow, and the repeat does nothing, in whichever process it lands."""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from bot.domain.actor import WORKFLOW
from bot.domain.numbers import display_msisdn, parse_numbers
from bot.domain.send_request import SendRequest
from bot.domain.sms_text import SenderIdError, validate_sender_id
from bot.domain.states import AWAITING_OUTCOME, NumberStatus, SendKind, SendState
from bot.i18n import Msg, Problem, Texts
from bot.santo.codes import request_error_meaning
from bot.sending.dispatch import Asked, Refused, dispatch, texts_of_request
from bot.sending.opt_outs import without_opted_out
from bot.sending.send import SendResult
from bot.sending.step_end import complete_step, fail_step, step_error
from bot.services import Services
from bot.store import step_runs
from bot.store.inbound import OPTED_OUT_CODE
from bot.store.sends import load_send
from bot.views.channel_message import refusal_reasons
from bot.views.ids import StepField, StepId

log = logging.getLogger(__name__)

_MSGIDS = re.compile(r"[\s,，]+")
RAW_SHOWN = 40
"""Characters of something typed as a number that a refusal line shows."""
DELIVERED = (NumberStatus.DELIVERED,)


@dataclass(frozen=True)
class StepCall:
    """One step run as Slack delivers it: a `function_executed` event."""

    execution_id: str
    team_id: str
    step: str
    inputs: dict[str, Any]
    token: str
    """The run's workflow token (`xwfp-…`): what ends the step."""
    workflow_run: str | None = None

    @classmethod
    def of(cls, body: dict[str, Any]) -> StepCall:
        event = body.get("event") or {}
        inputs = event.get("inputs")
        return cls(
            execution_id=str(event.get("function_execution_id", "")),
            team_id=str(body.get("team_id", "")),
            step=str((event.get("function") or {}).get("callback_id", "")),
            inputs=inputs if isinstance(inputs, dict) else {},
            token=str(event.get("bot_access_token", "")),
            workflow_run=event.get("workflow_execution_id"),
        )

    def text(self, name: StepField) -> str:
        value = self.inputs.get(name.value)
        return value.strip() if isinstance(value, str) else ""


async def run_step(services: Services, call: StepCall) -> None:
    """Take the run (once: a repeat of its event does nothing), then do its step. A `Problem`
    ends the step with its message."""
    taken = await step_runs.take(
        services.db, call.execution_id, call.team_id, call.step, call.workflow_run, call.token
    )
    if not taken:
        log.info("step run %s delivered again: it was taken already", call.execution_id)
        return
    t = services.languages.texts(None)  # nobody's Slack locale: the app's default language
    try:
        if not services.connected:  # a workspace with no Santo account yet (distribution mode)
            raise Problem(Msg.of("workspace.not_connected"))
        if call.step == StepId.SEND_SMS:
            await send_sms(services, t, call)
        else:
            await delivery_status(services, call)
    except Problem as problem:
        await fail_step(
            services, call.execution_id, await step_error(services, t, problem.message), call.token
        )


async def send_sms(services: Services, t: Texts, call: StepCall) -> None:
    request = await without_opted_out(services, step_request(services, t, call))
    said: list[str] = []

    async def tell(text: str) -> None:
        said.append(text)

    result = await dispatch(services, request, tell)
    await end_send_step(services, request, result, said, call.token)


def step_request(services: Services, t: Texts, call: StepCall) -> SendRequest:
    """The step's inputs as a send request from `WORKFLOW`; raises `Problem` when nothing can go."""
    message = call.text(StepField.MESSAGE)
    recipients = call.text(StepField.RECIPIENTS)
    if not recipients:
        raise Problem(Msg.of("steps.error.no_recipients"))
    if not message:
        raise Problem(Msg.of("steps.error.empty_message"))
    parsed = parse_numbers(recipients, services.settings.sms_default_region)
    invalid = tuple((error.raw[:RAW_SHOWN], error.reason) for error in parsed.invalid)
    if not parsed.numbers:
        lines = [t("steps.refused.line", number=raw, reason=t.render(why)) for raw, why in invalid]
        raise Problem(Msg.of("steps.error.no_valid_number", refused="\n".join(lines)))
    sender = call.text(StepField.SENDER_ID)
    try:
        sender_id = validate_sender_id(sender) if sender else None
    except SenderIdError as exc:
        raise Problem(Msg.of("steps.error.sender_id", reason=exc.reason)) from None
    return SendRequest(
        team_id=call.team_id,
        user_id=WORKFLOW,
        channel_id=call.text(StepField.REPORT_CHANNEL),
        kind=SendKind.SMS,
        text=message,
        numbers=tuple(parsed.numbers),
        sender_id=sender_id,
        invalid=invalid,
        ui_language=services.languages.default.value,
        step_run=call.execution_id,
    )


async def end_send_step(
    services: Services,
    request: SendRequest,
    result: SendResult | Refused | Asked | None,
    said: list[str],
    token: str | None = None,
) -> None:
    """End the step with what became of its send: the outputs of a send that went, or what the
    requester was told of one that did not. An admin asked: it waits for the decision
    (`end_decided_step`)."""
    assert request.step_run is not None
    if isinstance(result, Asked):
        return
    t = texts_of_request(services, request)
    if not isinstance(result, SendResult):
        error = await step_error(services, t, "\n".join(said))
        await fail_step(services, request.step_run, error, token)
        return
    view = await load_send(services.db, result.send_id)
    if view is not None and result.state in (SendState.REJECTED, SendState.UNKNOWN):
        if result.state == SendState.REJECTED:
            failed = Msg.of("steps.error.rejected", reasons=refusal_reasons(t, view))
        else:
            failed = Msg.of("steps.error.unknown", msgids=",".join(view.msgids))
        await fail_step(services, request.step_run, await step_error(services, t, failed), token)
        return
    await complete_step(services, request.step_run, await send_outputs(services, t, request, result), token)


async def send_outputs(
    services: Services, t: Texts, request: SendRequest, result: SendResult
) -> dict[str, Any]:
    sent = await step_runs.sent_to(services.db, result.send_id)
    lines = [t("steps.refused.line", number=raw, reason=t.render(why)) for raw, why in request.invalid]
    lines += [
        t("steps.refused.line", number=display_msisdn(n), reason=t("steps.refused.opted_out"))
        for n in request.opted_out
    ]
    lines += [
        t("steps.refused.line", number=display_msisdn(number), reason=_refused_reason(t, status, code))
        for number, status, code in sent.refused
    ]
    return {
        StepField.MSGID.value: ",".join(sent.msgids),
        StepField.NUMBERS_SENT.value: sent.accepted,
        StepField.NUMBERS_REFUSED.value: "\n".join(lines) or t("steps.refused.none"),
    }


def _refused_reason(t: Texts, status: str, code: str | None) -> str:
    if code == OPTED_OUT_CODE:
        return t("steps.refused.opted_out")
    if status == NumberStatus.REJECTED and code:
        return t("steps.refused.platform", meaning=t.render(request_error_meaning(code)), code=code)
    return t("channel_message.outcome.unreachable")


async def end_decided_step(
    services: Services, request: SendRequest, admin: str, approve: bool
) -> Refused | None:
    """An admin decided on the send a step asked for: rejected, the step fails; approved, the
    send goes through the door again and the step ends with its outcome. The refusal, if the
    send was refused when checked again (the admin is told)."""
    assert request.step_run is not None
    if not approve:
        t = texts_of_request(services, request)
        error = await step_error(services, t, Msg.of("steps.error.rejected_by_admin", admin=f"<@{admin}>"))
        await fail_step(services, request.step_run, error)
        return None
    said: list[str] = []

    async def tell(text: str) -> None:
        said.append(text)

    result = await dispatch(services, request, tell, approved_by=admin)
    await end_send_step(services, request, result, said)
    return result if isinstance(result, Refused) else None


async def delivery_status(services: Services, call: StepCall) -> None:
    """The numbers of the msgids' sends (this workspace's only), delivered, failed or pending."""
    msgids = [m for m in _MSGIDS.split(call.text(StepField.MSGID)) if m]
    if not msgids:
        raise Problem(Msg.of("steps.error.no_msgid"))
    counts = await step_runs.delivery_counts(services.db, call.team_id, msgids)
    unknown = [m for m in msgids if m not in counts]
    if unknown:
        raise Problem(Msg.of("steps.error.unknown_msgid", msgids=", ".join(unknown)))
    total: Counter[str] = sum(counts.values(), Counter())
    delivered = sum(total[s] for s in DELIVERED)
    pending = sum(total[s] for s in AWAITING_OUTCOME)
    outputs = {
        StepField.DELIVERED.value: delivered,
        StepField.FAILED.value: total.total() - delivered - pending,
        StepField.PENDING.value: pending,
    }
    await complete_step(services, call.execution_id, outputs, call.token)
