"""Inbound SMS in Slack: each with who wrote and what, and a Reply button; many in one message.

A reply to a send goes in that send's thread, in the send's language; a message that answers no
recent send goes to the inbox channel, one thread per number."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from slack_sdk.models.blocks import (
    Block,
    ButtonElement,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.domain.mrkdwn import CODE_SHOWN, PLAIN_LIMIT, SECTION_LIMIT, code, cut, outside
from bot.domain.numbers import display_msisdn
from bot.domain.opt_out import OptChange
from bot.i18n import Texts
from bot.views.ids import ActionId, BlockId, CallbackId
from bot.views.modals import form_modal, text_area

PER_MESSAGE = 50
"""Inbound messages shown in one Slack message: one section each (Slack allows 50 blocks)."""
TEXT_SHOWN = 1500


@dataclass(frozen=True)
class Shown:
    """One inbound SMS as it is shown."""

    inbound_id: int
    phone: str
    text: str
    opt: str | None


def _line(t: Texts, key: str, item: Shown) -> str:
    number = outside(display_msisdn(item.phone), CODE_SHOWN)
    text = outside(item.text, TEXT_SHOWN, newlines=True) or t("replies.empty")
    line = t(key, number=number, text=text)
    if item.opt == OptChange.OUT:
        line = f"{line}\n{t('replies.opted_out')}"
    elif item.opt == OptChange.IN:
        line = f"{line}\n{t('replies.opted_in')}"
    return cut(line, SECTION_LIMIT)


def build_inbound_message(t: Texts, items: Sequence[Shown], *, reply: bool) -> tuple[str, list[Block]]:
    """(fallback, blocks) for up to PER_MESSAGE inbound SMS: `reply` for those answering a send
    ("Reply from …"), else messages to the inbox ("Message from …")."""
    key = "replies.reply_line" if reply else "replies.inbox_line"
    button = cut(t("replies.button"), PLAIN_LIMIT)
    blocks: list[Block] = [
        SectionBlock(
            text=MarkdownTextObject(text=_line(t, key, item)),
            accessory=ButtonElement(text=button, action_id=ActionId.REPLY, value=str(item.inbound_id)),
        )
        for item in items[:PER_MESSAGE]
    ]
    first = items[0]
    fallback = t.count("replies.fallback", len(items), number=display_msisdn(first.phone))
    return cut(fallback.replace("*", ""), SECTION_LIMIT), blocks


def build_raw_callback(t: Texts, command: str, raw: str) -> str:
    """A callback in a shape nobody expected, for admins to look at."""
    return t("inbox.message", command=outside(command or "?", CODE_SHOWN), raw=code(raw, 2500))


def build_reply_modal(t: Texts, number: str, price: str | None, metadata: str) -> View:
    """The small modal that answers one number: the text, and what a part costs and holds."""
    about = t("replies.modal.about", number=outside(number, CODE_SHOWN))
    if price:
        about = f"{about}\n{t('replies.modal.price', price=price)}"
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=about)),
        text_area(
            BlockId.REPLY_TEXT, ActionId.REPLY_TEXT, t("replies.modal.text"), hint=t("replies.modal.parts")
        ),
    ]
    return form_modal(t, "replies.modal", CallbackId.REPLY, blocks, private_metadata=metadata)
