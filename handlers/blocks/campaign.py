"""Sends from a file: the Send modal's file field, and the confirmation of a file send."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.blocks.block_elements import InputInteractiveElement

from bot.campaign import MAX_ROWS, PHONE_HEADERS, Campaign
from bot.mrkdwn import SECTION_LIMIT, code, cut, escape, quote
from bot.numbers import country_name, flag
from bot.pricing import Estimate, money
from bot.sending import SendRequest
from handlers.blocks.confirm import cost_blocks
from handlers.blocks.home import slack_date
from handlers.ids import ActionId, BlockId

MAX_BAD_LINES = 20
MAX_COUNTRY_LINES = 25
SAMPLES = 2


class FileInputElement(InputInteractiveElement):
    """Slack's `file_input` element (not in this slack_sdk release)."""

    type = "file_input"

    @property
    def attributes(self) -> set[str]:  # type: ignore[override]
        return super().attributes.union({"filetypes", "max_files"})

    def __init__(
        self,
        *,
        action_id: str | None = None,
        filetypes: list[str] | None = None,
        max_files: int | None = None,
    ) -> None:
        super().__init__(type=self.type, action_id=action_id)
        self.filetypes = filetypes
        self.max_files = max_files


def build_file_block() -> InputBlock:
    headers = ", ".join(PHONE_HEADERS)
    return InputBlock(
        block_id=BlockId.FILE,
        label="Or send from a file (CSV or Excel)",
        optional=True,
        hint=(
            f"Up to {MAX_ROWS:,} rows. The phone column is the one headed {headers} — or the first. "
            "Other columns can go in the message as {column}, e.g. Hello {name}."
        ),
        element=FileInputElement(action_id=ActionId.FILE, filetypes=["csv", "xlsx"], max_files=1),
    )


def _join_limited(lines: list[str], limit: int, more: str) -> str:
    shown = lines[:limit]
    if len(lines) > limit:
        shown.append(more.format(n=len(lines) - limit))
    return cut("\n".join(shown), SECTION_LIMIT)


def build_file_confirmation_blocks(
    request: SendRequest, campaign: Campaign, estimate: Estimate, balance: Decimal | None
) -> list[Block]:
    count = len(request.numbers)
    name = code(request.from_file or "the file")
    how = "personalised " if campaign.personalised else ""
    head = (
        f"*Send this {how}SMS to {count:,} number{'s' if count != 1 else ''}* from {name} "
        f"into <#{request.channel_id}>?"
    )
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=head))]
    if campaign.personalised:
        blocks.append(SectionBlock(text=MarkdownTextObject(text="*Template*\n" + quote(request.text, 1000))))
    for i, row in enumerate(campaign.rows[:SAMPLES]):
        title = f"*Sample {i + 1}* — row {row.line}, {escape(row.number.display)}"
        blocks.append(SectionBlock(text=MarkdownTextObject(text=f"{title}\n{quote(row.text, 1200)}")))
    info = request.text_info
    parts = info.parts
    form = f"{info.encoding}, {parts} part{'s' if parts != 1 else ''} per message"
    if campaign.personalised:
        form += " at the longest"
    if request.sender_id:
        form += f" · sender {code(request.sender_id)}"
    if request.scheduled_at is not None:
        form += f" · *scheduled for* {slack_date(datetime.fromtimestamp(request.scheduled_at, UTC))}"
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=form)]))

    regions = Counter(n.region for n in request.numbers)
    prices = {line.region: line.price for line in estimate.lines}
    lines = []
    for region, n in regions.most_common():
        price = prices.get(region)
        each = "no price" if price is None else f"{money(price)} a part"
        lines.append(f"{flag(region)} {escape(country_name(region))} — {n:,} · {each}")
    if lines:
        text = _join_limited(lines, MAX_COUNTRY_LINES, "…and {n} more countries")
        blocks.append(SectionBlock(text=MarkdownTextObject(text="*Recipients by country*\n" + text)))

    if campaign.bad:
        bad = [
            f"• row {line}: {code(raw[:40]) if raw else '(empty)'} — {escape(why)}"
            for line, raw, why in campaign.bad
        ]
        text = _join_limited(bad, MAX_BAD_LINES, "…and {n} more rows")
        title = f"*Not sent: {len(campaign.bad):,} row{'s' if len(campaign.bad) != 1 else ''} left out*"
        blocks.append(SectionBlock(text=MarkdownTextObject(text=f"{title}\n{text}")))
    if campaign.duplicates:
        blocks.append(
            ContextBlock(
                elements=[MarkdownTextObject(text=f"{campaign.duplicates} duplicate number(s) dropped")]
            )
        )

    return [*blocks, *cost_blocks(estimate, balance)]


def chosen_file(values: dict[str, Any]) -> dict[str, Any] | None:
    """The file picked in the Send modal's file field, if any."""
    files = ((values.get(BlockId.FILE) or {}).get(ActionId.FILE) or {}).get("files") or []
    first = files[0] if files else None
    return first if isinstance(first, dict) else None
