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

from bot.domain.money import Estimate, money
from bot.domain.mrkdwn import CODE_SHOWN, SECTION_LIMIT, code, cut, escape, outside, quote
from bot.domain.numbers import country_name, display_msisdn, flag
from bot.domain.send_request import SendRequest
from bot.domain.sms_text import analyse, unicode_only_because_of, without
from bot.domain.states import SendKind
from bot.i18n import Texts
from bot.views.channel_message import slack_date
from bot.views.ids import ActionId, CallbackId
from bot.views.modals import form_modal

MAX_COUNTRY_LINES = 25
MAX_INVALID_LINES = 20


def join_limited(t: Texts, lines: list[str], limit: int, more: str, total: int | None = None) -> str:
    """At most `limit` lines, then the `more` text (`…and {n} more`) for the rest: of `lines`, or
    of `total` when `lines` are only the first of them."""
    shown = lines[:limit]
    rest = (len(lines) if total is None else total) - len(shown)
    if rest > 0:
        shown.append(t(more, n=rest))
    return cut("\n".join(shown), SECTION_LIMIT)


def form_line(t: Texts, request: SendRequest, parts: str) -> ContextBlock:
    """`GSM-7, 1 part per message · sender ACME · scheduled for …`, from the parts' text on."""
    bits = [parts]
    if request.sender_id:
        bits.append(t("send.confirm.sender", sender=code(request.sender_id)))
    if request.scheduled_at is not None:
        when = slack_date(t, datetime.fromtimestamp(request.scheduled_at, UTC))
        bits.append(t("send.confirm.scheduled", when=when))
    return ContextBlock(elements=[MarkdownTextObject(text=" · ".join(bits))])


def build_confirmation_blocks(
    t: Texts, request: SendRequest, estimate: Estimate, balance: Decimal | None, duplicates: int = 0
) -> list[Block]:
    head = t.count(f"send.confirm.head_{request.kind}", len(request.numbers), channel=request.channel_id)
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=head)),
        SectionBlock(text=MarkdownTextObject(text=quote(request.text, 1500))),
    ]
    if request.kind == SendKind.VOICE and request.lang_from_text and request.lang:
        parts = t("send.confirm.voice_from_text", lang=request.lang, name=t(f"codes.voice.{request.lang}"))
    elif request.kind == SendKind.VOICE:
        parts = t("send.confirm.voice", lang=request.lang or "zh-cn")
    else:
        info = request.text_info
        encoding = t(f"send.confirm.encoding.{info.encoding.name}")
        parts = t.count("send.confirm.parts", info.parts, encoding=encoding)
    blocks.append(form_line(t, request, parts))
    blocks.extend(unicode_blocks(t, request, estimate))

    lines = []
    for line in estimate.lines:
        if line.price is None:
            price = t("send.confirm.no_price")
        elif request.parts != 1:
            price = t(
                "send.confirm.price_parts", count=line.count, price=money(line.price), parts=request.parts
            )
        else:
            price = t("send.confirm.price", count=line.count, price=money(line.price))
        country = escape(country_name(line.region, t.language))
        lines.append(t("send.confirm.country", flag=flag(line.region), country=country, price=price))
    if lines:
        text = join_limited(t, lines, MAX_COUNTRY_LINES, "send.confirm.more_countries")
        blocks.append(SectionBlock(text=MarkdownTextObject(text=f"{t('send.confirm.by_country')}\n{text}")))

    if request.invalid:
        bad = [f"• {code(raw[:40])} — {escape(t.render(why))}" for raw, why in request.invalid]
        text = join_limited(t, bad, MAX_INVALID_LINES, "send.confirm.more")
        title = t("send.confirm.invalid", n=len(request.invalid))
        blocks.append(SectionBlock(text=MarkdownTextObject(text=f"{title}\n{text}")))
    if duplicates:
        blocks.append(
            ContextBlock(elements=[MarkdownTextObject(text=t("send.confirm.duplicates", n=duplicates))])
        )

    return [*blocks, *opted_out_blocks(t, request), *cost_blocks(t, estimate, balance)]


def unicode_blocks(t: Texts, request: SendRequest, estimate: Estimate) -> list[Block]:
    """When a few characters alone make an SMS Unicode: which, and what it costs without them."""
    odd = unicode_only_because_of(request.text) if request.kind == SendKind.SMS and not request.texts else ()
    if not odd:
        return []
    parts = analyse(without(request.text, odd)).parts
    shown = " ".join(c if c.isprintable() and not c.isspace() else f"U+{ord(c):04X}" for c in odd)
    per_part = [line.price * line.count for line in estimate.lines if line.price is not None]
    if estimate.total is None or not per_part:
        text = t.count("send.confirm.unicode_because", parts, chars=escape(shown))
    else:
        cost = money(sum(per_part, Decimal(0)) * parts)
        text = t.count("send.confirm.unicode_because_cost", parts, chars=escape(shown), cost=cost)
    return [ContextBlock(elements=[MarkdownTextObject(text=text)])]


def opted_out_blocks(t: Texts, request: SendRequest) -> list[Block]:
    """The numbers left out because they opted out, if any: said, and listed."""
    if not request.opted_out:
        return []
    shown = [f"• {outside(display_msisdn(n), CODE_SHOWN)}" for n in request.opted_out]
    text = join_limited(t, shown, MAX_INVALID_LINES, "send.confirm.more")
    title = t.count("send.confirm.opted_out", len(request.opted_out))
    return [SectionBlock(text=MarkdownTextObject(text=f"{title}\n{text}"))]


def cost_blocks(t: Texts, estimate: Estimate, balance: Decimal | None) -> list[Block]:
    """The confirmation's last part: estimated cost, balance, and a warning when it won't do."""
    cost = estimate.total
    if cost is None:
        unpriced = [country_name(line.region, t.language) for line in estimate.lines if line.price is None]
        known = money(estimate.known_total)
        estimated = t("send.cost.unpriced", unpriced=escape(", ".join(unpriced[:5])), known=known)
    else:
        estimated = t("send.cost.estimated", cost=money(cost))
    if balance is None:
        funds = t("send.cost.balance_unknown")
    else:
        funds = t("send.cost.balance", balance=money(balance))
    blocks: list[Block] = [
        DividerBlock(),
        SectionBlock(text=MarkdownTextObject(text=f"{estimated} · {funds}")),
    ]
    spend = cost if cost is not None else estimate.known_total
    if balance is not None and spend > balance:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=t("send.cost.over_balance"))))
    return blocks


def build_confirmation_view(
    t: Texts, draft_id: str, blocks: list[Block], external_id: str, notify_on_close: bool = False
) -> View:
    """The confirmation in a modal; `notify_on_close` asks Slack to say when it is closed."""
    return form_modal(
        t,
        "send.confirm",
        CallbackId.CONFIRM,
        blocks,
        private_metadata=draft_id,
        external_id=external_id,
        notify_on_close=notify_on_close,
    )


def build_confirmation_message(t: Texts, draft_id: str, blocks: list[Block]) -> list[Block]:
    """The quick-send form of the confirmation: an ephemeral message with Send and Cancel."""
    return [
        *blocks,
        ActionsBlock(
            elements=[
                ButtonElement(
                    text=t("send.confirm.send"),
                    action_id=ActionId.CONFIRM_SEND,
                    value=draft_id,
                    style="primary",
                ),
                ButtonElement(text=t("send.confirm.cancel"), action_id=ActionId.CANCEL_SEND, value=draft_id),
            ]
        ),
    ]
