"""The approval request posted to the approvals channel, and its decided form.

Written in the language of the send's sender, like the send's own message."""

from __future__ import annotations

from decimal import Decimal

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.domain.actor import WORKFLOW
from bot.domain.money import money_or_unknown
from bot.domain.mrkdwn import quote
from bot.domain.states import ApprovalState
from bot.i18n import Texts
from bot.views.channel_message import kind_key
from bot.views.ids import ActionId


def build_approval_message(
    t: Texts,
    approval_id: str,
    requester_id: str,
    channel_id: str,
    kind: str,
    text: str,
    recipients: int,
    cost: Decimal | None,
    state: str = ApprovalState.PENDING,
    decided_by: str | None = None,
) -> tuple[str, list[Block]]:
    head = t(
        "approvals.request.workflow" if requester_id == WORKFLOW else f"approvals.request.{kind_key(kind)}",
        user=requester_id,
        numbers=t.count("channel_message.numbers", recipients),
        channel=channel_id,
        cost=money_or_unknown(t, cost),
    )
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=head)),
        SectionBlock(text=MarkdownTextObject(text=quote(text))),
    ]
    if state == ApprovalState.PENDING:
        blocks.append(
            ActionsBlock(
                elements=[
                    ButtonElement(
                        text=t("approvals.request.approve"),
                        action_id=ActionId.APPROVE,
                        value=approval_id,
                        style="primary",
                    ),
                    ButtonElement(
                        text=t("approvals.request.reject"),
                        action_id=ActionId.REJECT,
                        value=approval_id,
                        style="danger",
                    ),
                ]
            )
        )
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=t("approvals.request.only_admins"))]))
    else:
        decided = t(f"approvals.decided.{ApprovalState(state).value}", user=decided_by)
        blocks.append(SectionBlock(text=MarkdownTextObject(text=decided)))
    return t("approvals.request.fallback", n=recipients, cost=money_or_unknown(t, cost)), blocks
