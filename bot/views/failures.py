"""The thread reply that explains failed numbers, one line each, within Slack's limits.

Written in the send's language, like its channel message."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import Block, MarkdownTextObject, SectionBlock

from bot.domain.mrkdwn import CODE_SHOWN, SECTION_LIMIT, cut, outside
from bot.domain.numbers import display_msisdn
from bot.i18n import Texts
from bot.santo.codes import report_meaning
from bot.store.models import Failure

MAX_PER_REPLY = 400
"""Failures listed in one reply; more go in the next one."""
_MAX_BLOCKS = 45


def failure_line(t: Texts, number: str, code: str | None) -> str:
    """A failed number and why, in plain words (with the platform's code when it gave one,
    escaped and cut: it comes from outside)."""
    shown = outside(display_msisdn(number), CODE_SHOWN)
    if not code:
        return t("failures.line", number=shown, reason=t("failures.no_reason"))
    reason = t.render(report_meaning("400", code))
    return t("failures.line_with_code", number=shown, reason=reason, code=outside(code, CODE_SHOWN))


def build_failures_reply(t: Texts, failures: Sequence[Failure]) -> tuple[str, list[Block]]:
    """(fallback text, blocks): a heading, then the lines packed into sections."""
    count = len(failures)
    blocks: list[Block] = []
    chunk = t("failures.heading", n=count)
    for failure in failures:
        line = cut(failure_line(t, failure.number, failure.code), SECTION_LIMIT - 100)
        if len(chunk) + 1 + len(line) > SECTION_LIMIT - 100:
            blocks.append(SectionBlock(text=MarkdownTextObject(text=chunk)))
            chunk = line
            if len(blocks) >= _MAX_BLOCKS:
                break
        else:
            chunk = f"{chunk}\n{line}"
    if chunk and len(blocks) < _MAX_BLOCKS:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=chunk)))
    return t.count("failures.fallback", count), blocks
