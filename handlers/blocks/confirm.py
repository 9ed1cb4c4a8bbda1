"""The confirmation: what will be sent, to whom, what it costs. Only its Send button sends."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.mrkdwn import SECTION_LIMIT, code, cut, escape, quote
from bot.numbers import flag
from bot.pricing import Estimate, money
from bot.sending import SendRequest
from bot.store.tables import SendKind
from handlers.blocks.home import slack_date
from handlers.ids import ActionId, CallbackId

MAX_COUNTRY_LINES = 25
MAX_INVALID_LINES = 20


def _join_limited(lines: list[str], limit: int, more: str) -> str:
    shown = lines[:limit]
    if len(lines) > limit:
        shown.append(more.format(n=len(lines) - limit))
    return cut("\n".join(shown), SECTION_LIMIT)


def build_confirmation_blocks(
    request: SendRequest, estimate: Estimate, balance: Decimal | None, duplicates: int = 0
) -> list[Block]:
    what = "voice call" if request.kind == SendKind.VOICE else "SMS"
    count = len(request.numbers)
    head = f"*Send this {what} to {count:,} number{'s' if count != 1 else ''}* into <#{request.channel_id}>?"
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=head)),
        SectionBlock(text=MarkdownTextObject(text=quote(request.text, 1500))),
    ]
    if request.kind == SendKind.VOICE:
        form = f"Voice call in {request.lang or 'zh-cn'}"
    else:
        info = request.text_info
        form = f"{info.encoding}, {info.parts} part{'s' if info.parts != 1 else ''} per message"
    if request.sender_id:
        form += f" · sender {code(request.sender_id)}"
    if request.scheduled_at is not None:
        form += f" · *scheduled for* {slack_date(datetime.fromtimestamp(request.scheduled_at, UTC))}"
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=form)]))

    lines = []
    for line in estimate.lines:
        price = "no price" if line.price is None else f"{line.count:,} × {money(line.price)}"
        if line.price is not None and request.parts != 1:
            price += f" × {request.parts} parts"
        lines.append(f"{flag(line.region)} {escape(line.country)} — {price}")
    if lines:
        text = _join_limited(lines, MAX_COUNTRY_LINES, "…and {n} more countries")
        blocks.append(SectionBlock(text=MarkdownTextObject(text="*Recipients by country*\n" + text)))

    if request.invalid:
        bad = [f"• {code(raw[:40])} — {escape(why)}" for raw, why in request.invalid]
        text = _join_limited(bad, MAX_INVALID_LINES, "…and {n} more")
        title = f"*Not sent: {len(request.invalid)} invalid*"
        blocks.append(SectionBlock(text=MarkdownTextObject(text=f"{title}\n{text}")))
    if duplicates:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=f"{duplicates} duplicate(s) dropped")]))

    return [*blocks, *cost_blocks(estimate, balance)]


def cost_blocks(estimate: Estimate, balance: Decimal | None) -> list[Block]:
    """The confirmation's last part: estimated cost, balance, and a warning when it won't do."""
    cost = estimate.total
    money_line = f"*Estimated cost* {money(cost)}"
    if cost is None:
        unpriced = ", ".join(estimate.unpriced[:5])
        money_line += f" (no price for {escape(unpriced)}; known part {money(estimate.known_total)})"
    money_line += f" · *Balance* {money(balance)}"
    blocks: list[Block] = [DividerBlock(), SectionBlock(text=MarkdownTextObject(text=money_line))]
    spend = cost if cost is not None else estimate.known_total
    if balance is not None and spend > balance:
        warning = (
            ":warning: The estimated cost is more than the balance: "
            "the platform will refuse the send (0107 — insufficient balance). Top up first."
        )
        blocks.append(SectionBlock(text=MarkdownTextObject(text=warning)))
    return blocks


def build_confirmation_view(draft_id: str, blocks: list[Block], external_id: str) -> View:
    return View(
        type="modal",
        callback_id=CallbackId.CONFIRM,
        title="Confirm send",
        submit="Send",
        close="Back",
        private_metadata=draft_id,
        external_id=external_id,
        blocks=blocks,
    )


def build_confirmation_message(draft_id: str, blocks: list[Block]) -> list[Block]:
    """The quick-send form of the confirmation: an ephemeral message with Send and Cancel."""
    return [
        *blocks,
        ActionsBlock(
            elements=[
                ButtonElement(text="Send", action_id=ActionId.CONFIRM_SEND, value=draft_id, style="primary"),
                ButtonElement(text="Cancel", action_id=ActionId.CANCEL_SEND, value=draft_id),
            ]
        ),
    ]
