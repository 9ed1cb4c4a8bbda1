"""The thread reply that explains failed numbers, one line each, within Slack's limits."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import Block, MarkdownTextObject, SectionBlock

from bot.mrkdwn import SECTION_LIMIT
from bot.numbers import display_msisdn
from bot.santo.codes import report_meaning
from bot.store.notify import Failure

MAX_PER_REPLY = 400
"""Failures listed in one reply; more go in the next one."""
_MAX_BLOCKS = 45


def failure_line(failure: Failure) -> str:
    code = failure.code or ""
    reason = report_meaning("400", code) if code else "failed (no reason given)"
    suffix = f" ({code})" if code and code.isdigit() else ""
    return f"{display_msisdn(failure.number)} — {reason}{suffix}"


def build_failures_reply(failures: Sequence[Failure]) -> tuple[str, list[Block]]:
    """(fallback text, blocks): a heading, then the lines packed into sections."""
    count = len(failures)
    heading = f"*Failed ({count:,})*"
    blocks: list[Block] = []
    chunk = heading
    for failure in failures:
        line = failure_line(failure)
        if len(chunk) + 1 + len(line) > SECTION_LIMIT - 100:
            blocks.append(SectionBlock(text=MarkdownTextObject(text=chunk)))
            chunk = line
            if len(blocks) >= _MAX_BLOCKS:
                break
        else:
            chunk = f"{chunk}\n{line}"
    if chunk and len(blocks) < _MAX_BLOCKS:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=chunk)))
    plural = "number" if count == 1 else "numbers"
    return f"{count:,} {plural} failed", blocks
