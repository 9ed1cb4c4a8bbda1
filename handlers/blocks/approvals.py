"""The approval request posted to the approvals channel, and its decided form."""

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

from bot.mrkdwn import quote
from bot.pricing import money
from bot.store.tables import ApprovalState
from handlers.ids import ActionId

DECIDED = {
    ApprovalState.APPROVED: ":white_check_mark: Approved by <@{who}>",
    ApprovalState.REJECTED: ":no_entry: Rejected by <@{who}> — nothing was sent",
    ApprovalState.EXPIRED: ":hourglass: Expired without a decision — nothing was sent",
}


def build_approval_message(
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
    what = "a voice call" if kind == "voice" else "an SMS"
    head = (
        f"*Approval needed:* <@{requester_id}> wants to send {what} to {recipients:,} "
        f"number{'s' if recipients != 1 else ''} from <#{channel_id}> · ≈ {money(cost)}"
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
                        text="Approve", action_id=ActionId.APPROVE, value=approval_id, style="primary"
                    ),
                    ButtonElement(
                        text="Reject", action_id=ActionId.REJECT, value=approval_id, style="danger"
                    ),
                ]
            )
        )
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text="Only admins' clicks count.")]))
    else:
        blocks.append(
            SectionBlock(text=MarkdownTextObject(text=DECIDED[ApprovalState(state)].format(who=decided_by)))
        )
    return f"Approval needed: {recipients:,} numbers, ≈ {money(cost)}", blocks
