"""The thread reply that explains failed numbers, one line each, within Slack's limits.

Written in the send's language, like its channel message."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import Block, MarkdownTextObject, SectionBlock

from bot.domain.mrkdwn import CODE_SHOWN, SECTION_LIMIT, cut, outside
from bot.domain.numbers import display_msisdn
from bot.domain.states import NumberStatus
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
    """(fallback text, blocks): the failed numbers, then those without a report, each under its
    heading, the lines packed into sections."""
    failed = [f for f in failures if f.status != NumberStatus.NO_REPORT]
    unreported = [f for f in failures if f.status == NumberStatus.NO_REPORT]
    lines: list[str] = []
    if failed:
        lines.append(t("failures.heading", n=len(failed)))
        lines += [failure_line(t, f.number, f.code) for f in failed]
    if unreported:
        lines.append(t("failures.no_report_heading", n=len(unreported)))
        lines += [
            t("failures.no_report_line", number=outside(display_msisdn(f.number), CODE_SHOWN))
            for f in unreported
        ]
    blocks: list[Block] = []
    chunk = ""
    for line in (cut(line, SECTION_LIMIT - 100) for line in lines):
        if chunk and len(chunk) + 1 + len(line) > SECTION_LIMIT - 100:
            blocks.append(SectionBlock(text=MarkdownTextObject(text=chunk)))
            chunk = line
            if len(blocks) >= _MAX_BLOCKS:
                break
        else:
            chunk = f"{chunk}\n{line}" if chunk else line
    if chunk and len(blocks) < _MAX_BLOCKS:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=chunk)))
    if failed:
        return t.count("failures.fallback", len(failed)), blocks
    return t.count("failures.no_report_fallback", len(unreported)), blocks
