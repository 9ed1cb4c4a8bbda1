"""Sends from a file: the Send modal's file field, and the confirmation of a file send."""

from __future__ import annotations

from collections import Counter
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

from bot.domain.money import Estimate, money
from bot.domain.mrkdwn import code, escape, quote
from bot.domain.numbers import country_name, flag
from bot.domain.send_request import SendRequest
from bot.domain.spreadsheet import PHONE_HEADERS, FileSendPlan
from bot.i18n import Texts
from bot.views.confirm import cost_blocks, form_line, join_limited, opted_out_blocks
from bot.views.ids import ActionId, BlockId

MAX_COUNTRY_LINES = 25


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


def build_file_block(t: Texts, max_rows: int) -> InputBlock:
    """The Send modal's file field; its hint says how many rows a file may have (`SMS_MAX_FILE_ROWS`)."""
    return InputBlock(
        block_id=BlockId.FILE,
        label=t("file_send.field.label"),
        optional=True,
        hint=t("file_send.field.hint", rows=max_rows, headers=", ".join(PHONE_HEADERS)),
        element=FileInputElement(action_id=ActionId.FILE, filetypes=["csv", "xlsx"], max_files=1),
    )


def build_file_confirmation_blocks(
    t: Texts, request: SendRequest, plan: FileSendPlan, estimate: Estimate, balance: Decimal | None
) -> list[Block]:
    head = t.count(
        "file_send.confirm.head_personalised" if plan.personalised else "file_send.confirm.head",
        len(request.numbers),
        file=code(request.from_file) if request.from_file else t("file_send.confirm.the_file"),
        channel=request.channel_id,
    )
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=head))]
    if plan.personalised:
        template = f"{t('file_send.confirm.template')}\n{quote(request.text, 1000)}"
        blocks.append(SectionBlock(text=MarkdownTextObject(text=template)))
    for i, row in enumerate(plan.samples):
        title = t("file_send.confirm.sample", i=i + 1, line=row.line, number=escape(row.number.display))
        blocks.append(SectionBlock(text=MarkdownTextObject(text=f"{title}\n{quote(row.text, 1200)}")))
    info = request.text_info
    parts_key = "file_send.confirm.longest" if plan.personalised else "send.confirm.parts"
    blocks.append(form_line(t, request, t.count(parts_key, info.parts, encoding=info.encoding)))

    regions = Counter(n.region for n in request.numbers)
    prices = {line.region: line.price for line in estimate.lines}
    lines = []
    for region, n in regions.most_common():
        price = prices.get(region)
        each = (
            t("send.confirm.no_price")
            if price is None
            else t("file_send.confirm.per_part", price=money(price))
        )
        country = escape(country_name(region, t.language))
        lines.append(t("file_send.confirm.country", flag=flag(region), country=country, n=n, each=each))
    if lines:
        text = join_limited(t, lines, MAX_COUNTRY_LINES, "send.confirm.more_countries")
        blocks.append(SectionBlock(text=MarkdownTextObject(text=f"{t('send.confirm.by_country')}\n{text}")))

    if plan.bad:
        empty = t("file_send.confirm.empty_cell")
        bad = [
            t(
                "file_send.confirm.bad_line",
                line=line,
                raw=code(raw[:40]) if raw else empty,
                why=escape(t.render(why)),
            )
            for line, raw, why in plan.bad
        ]
        text = join_limited(t, bad, len(bad), "file_send.confirm.more_rows", total=plan.bad_rows)
        title = t.count("file_send.confirm.bad", plan.bad_rows)
        blocks.append(SectionBlock(text=MarkdownTextObject(text=f"{title}\n{text}")))
    if plan.duplicates:
        dropped = t("file_send.confirm.duplicates", n=plan.duplicates)
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=dropped)]))

    return [*blocks, *opted_out_blocks(t, request), *cost_blocks(t, estimate, balance)]


def chosen_file(values: dict[str, Any]) -> dict[str, Any] | None:
    """The file picked in the Send modal's file field, if any."""
    files = ((values.get(BlockId.FILE) or {}).get(ActionId.FILE) or {}).get("files") or []
    first = files[0] if files else None
    return first if isinstance(first, dict) else None
