"""The Send modal: form → inline errors → confirmation (pushed) → Send → outcome."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext

from bot.domain.actor import Actor
from bot.domain.mrkdwn import escape
from bot.domain.numbers import parse_numbers
from bot.domain.send_request import SendRequest
from bot.domain.spreadsheet import FileProblem, FileSendPlan
from bot.domain.states import SendKind
from bot.domain.voice import language_of_text
from bot.i18n import Texts
from bot.sending.file_intake import file_problem, load_file
from bot.sending.parse import InputProblem, check_sender, placeholder_names
from bot.sending.review import review, review_file
from bot.store.drafts import consume_draft
from bot.views.file_send import chosen_file
from bot.views.ids import ActionId, BlockId, CallbackId
from bot.views.send_modal import build_notice_view
from handlers.common import (
    Interaction,
    Sub,
    confirm_in_view,
    in_background,
    open_send_modal,
    send_and_tell_in_view,
    subcommands,
    tell_in_view,
    update_view,
)

MAX_RECIPIENTS_SHOWN_IN_ERROR = 5
FILE_READ_BEFORE_ACK = 1.5
"""Seconds a file may take to fetch and read before the ack: quicker, its errors show on the field."""
MIN_SCHEDULE_AHEAD = 60
MAX_SCHEDULE_AHEAD = 90 * 24 * 3600


def _value(values: dict[str, Any], block: BlockId, action: ActionId) -> Any:
    return (values.get(block) or {}).get(action) or {}


def read_form(
    t: Texts, actor: Actor, view: dict[str, Any], region: str | None = None
) -> tuple[SendRequest | None, dict[str, str], int]:
    """The submitted form → (request, field errors in the user's language, duplicates dropped);
    `region`: the country a number without its code is likely from (`Interaction.number_region`)."""
    values = view.get("state", {}).get("values", {})
    recipients = _value(values, BlockId.RECIPIENTS, ActionId.RECIPIENTS).get("value") or ""
    message = (_value(values, BlockId.MESSAGE, ActionId.MESSAGE).get("value") or "").strip()
    kind_option = _value(values, BlockId.KIND, ActionId.KIND).get("selected_option") or {}
    lang_option = _value(values, BlockId.LANG, ActionId.LANG).get("selected_option") or {}
    sender = _value(values, BlockId.SENDER, ActionId.SENDER).get("value")
    channel = view.get("private_metadata") or _value(values, BlockId.CHANNEL, ActionId.CHANNEL).get(
        "selected_conversation"
    )
    kind = SendKind.VOICE if kind_option.get("value") == SendKind.VOICE else SendKind.SMS

    errors: dict[str, str] = {}
    parsed = parse_numbers(recipients, region)
    file = chosen_file(values)
    if file is not None:
        if recipients.strip():
            errors[BlockId.RECIPIENTS] = t("send.errors.numbers_and_file")
        elif kind == SendKind.VOICE:
            errors[BlockId.FILE] = t("send.errors.file_voice")
        elif problem := file_problem(file):
            errors[BlockId.FILE] = t.render(problem)
    elif not parsed.numbers:
        if parsed.invalid:
            shown = t("send.errors.separator").join(
                t("send.errors.invalid_entry", raw=e.raw[:30], reason=e.reason)
                for e in parsed.invalid[:MAX_RECIPIENTS_SHOWN_IN_ERROR]
            )
            errors[BlockId.RECIPIENTS] = t("send.errors.no_valid_number", shown=shown)
        else:
            errors[BlockId.RECIPIENTS] = t("send.errors.no_number")
    if not message:
        errors[BlockId.MESSAGE] = t("send.errors.no_message")
    elif file is None and (names := placeholder_names(message, shown=str)):
        errors[BlockId.MESSAGE] = t("send.errors.placeholders", names=names)
    try:
        sender_id = check_sender(sender, kind)
    except InputProblem as exc:
        errors[BlockId.SENDER] = t.render(exc.message)
        sender_id = None
    if not channel:
        errors[BlockId.CHANNEL] = t("send.errors.no_channel")
    scheduled_at = _value(values, BlockId.SCHEDULE, ActionId.SCHEDULE).get("selected_date_time")
    if scheduled_at is not None:
        problem_key = schedule_problem(scheduled_at)
        if problem_key:
            errors[BlockId.SCHEDULE] = t(problem_key)
    if errors:
        return None, errors, 0
    request = SendRequest(
        team_id=actor.team_id,
        user_id=actor.user_id,
        channel_id=str(channel),
        kind=kind,
        text=message,
        numbers=tuple(parsed.numbers),
        sender_id=sender_id,
        lang=(lang_option.get("value") or language_of_text(message)) if kind == SendKind.VOICE else None,
        lang_from_text=kind == SendKind.VOICE and not lang_option.get("value"),
        invalid=tuple((e.raw, e.reason) for e in parsed.invalid),
        scheduled_at=int(scheduled_at) if scheduled_at is not None else None,
        from_file=str(file.get("name") or "file.csv") if file is not None else None,
        ui_language=t.language.value,
    )
    return request, {}, parsed.duplicates


def schedule_problem(value: object) -> str | None:
    """Why a picked send time won't do (the key of its text), or None."""
    if not isinstance(value, int | float | str) or not str(value).isdigit():
        return "send.errors.schedule_pick"
    seconds = int(value) - time.time()
    if seconds < MIN_SCHEDULE_AHEAD:
        return "send.errors.schedule_soon"
    if seconds > MAX_SCHEDULE_AHEAD:
        return "send.errors.schedule_far"
    return None


async def on_submit_form(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
) -> None:
    """The form's errors are said on its fields (in the ack); otherwise the confirmation is
    pushed, checking at first, and filled in the background."""
    interaction = Interaction.of(body, context)
    services, t = interaction.services, interaction.t
    request, errors, duplicates = read_form(t, interaction.actor, view, await interaction.number_region())
    if request is None:
        await ack(response_action="errors", errors=errors)
        return
    draft_id = uuid.uuid4().hex
    external_id = f"confirm-{draft_id}"
    file = chosen_file(view.get("state", {}).get("values", {}))
    loading: asyncio.Task[tuple[SendRequest, FileSendPlan]] | None = None
    if file is not None:  # read now if it is quick, so a bad file is said on the field
        loading = asyncio.ensure_future(load_file(services, str(file.get("id")), request))
        await asyncio.wait({loading}, timeout=FILE_READ_BEFORE_ACK)
        if loading.done() and isinstance(problem := loading.exception(), FileProblem):
            await ack(response_action="errors", errors={BlockId.FILE: t.render(problem.message)})
            return
    title = t("send.confirm.title")
    await ack(
        response_action="push", view=build_notice_view(t, title, t("send.notice.checking"), external_id)
    )

    async def confirmation(interaction: Interaction) -> None:
        if loading is None:
            blocks, _estimate = await review(services, t, request, duplicates)
            await confirm_in_view(interaction, request, blocks, draft_id, external_id)
            return
        try:
            ready, plan = await loading
        except FileProblem as exc:
            problem = t("send.notice.file_problem", problem=escape(t.render(exc.message)))
            await update_view(services, external_id, build_notice_view(t, title, problem, external_id))
            return
        blocks = await review_file(services, t, ready, plan)
        await confirm_in_view(interaction, ready, blocks, draft_id, external_id)

    in_background(interaction, confirmation, on_error=tell_in_view(external_id))


async def on_confirm(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
) -> None:
    """Send pressed. Taking the draft is one quick UPDATE, done before the ack on purpose:
    a second click is answered at once, and nothing can send twice."""
    interaction = Interaction.of(body, context)
    services, t = interaction.services, interaction.t
    draft_id = str(view.get("private_metadata", ""))
    payload = await consume_draft(services.db, draft_id, interaction.actor.user_id)
    if payload is None:
        notice = build_notice_view(t, t("send.notice.send"), t("send.notice.already"))
        await ack(response_action="update", view=notice)
        return
    external_id = f"sent-{draft_id}"
    sending = build_notice_view(t, t("send.notice.sending_title"), t("send.notice.sending"), external_id)
    await ack(response_action="update", view=sending)
    send_and_tell_in_view(interaction, SendRequest.from_payload(payload), external_id)


async def open_modal(interaction: Interaction, _rest: str) -> None:
    """`/sms` alone: the Send modal, reporting to the channel it was typed in."""
    await open_send_modal(interaction, interaction.actor.channel_id)


def register(app: AsyncApp) -> None:
    subcommands(app).add(Sub.MODAL, open_modal)
    app.view(CallbackId.SEND_MODAL)(on_submit_form)
    app.view(CallbackId.CONFIRM)(on_confirm)
