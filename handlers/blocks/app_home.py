"""The App Home tab: balance, today's use against the caps, the user's last sends, and for
admins the health of the setup. Pure builders: the handler gathers the facts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.mrkdwn import SECTION_LIMIT, code, cut, escape, quote
from bot.numbers import display_msisdn
from bot.pricing import money
from bot.santo.models import Balance
from bot.store.audit import Usage
from bot.store.home import Health
from bot.store.sends import SendView
from bot.store.tables import SendKind, SendState
from handlers.blocks.home import counts_line, outcome_line
from handlers.ids import ActionId

HOME_BLOCKS_MAX = 100
"""Slack's limit for a Home tab."""
TEXT_SHOWN = 120
"""Characters of a send's text shown in its line."""
_NO_COUNTS = ("scheduled", "cancelled")
"""States whose numbers have not gone out: their line says so instead of counting."""


@dataclass(frozen=True)
class Allowance:
    """What someone used today, and what they may use (None: no cap)."""

    who: str
    used: Usage
    max_recipients: int | None
    max_cost: Decimal | None


@dataclass(frozen=True)
class SendLine:
    view: SendView
    permalink: str | None


@dataclass(frozen=True)
class SetupHealth:
    """For admins."""

    platform_problem: str | None
    """Why the platform could not be asked (plain words), or None when it answered."""
    sandbox: bool
    callback_url: str | None
    """The report callback URL to register, or None when SANTO_REPORT_TOKEN is not set."""
    host_known: bool
    """PUBLIC_URL is set (otherwise the URL has a placeholder host)."""
    stats: Health
    poll_after: str
    give_up_after: str


@dataclass(frozen=True)
class HomeFacts:
    updated_at: datetime
    balance: Balance | None = None
    balance_problem: str | None = None
    allowances: list[Allowance] = field(default_factory=list)
    sends: list[SendLine] = field(default_factory=list)
    health: SetupHealth | None = None


def when(at: datetime) -> str:
    """A time each reader sees in their own Slack timezone (UTC in the fallback)."""
    if at.tzinfo is None:  # SQLite gives back naive datetimes; they are stored in UTC
        at = at.replace(tzinfo=UTC)
    return f"<!date^{int(at.timestamp())}^{{date_short_pretty}} {{time}}|{at:%Y-%m-%d %H:%M} UTC>"


def _section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=cut(text, SECTION_LIMIT)))


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def balance_block(facts: HomeFacts) -> SectionBlock:
    if facts.balance is not None:
        text = f"*Balance:* {money(facts.balance.amount)} (account {code(facts.balance.cpid)})"
    else:
        text = f"*Balance:* unknown. {facts.balance_problem or 'The platform did not answer.'}"
    return SectionBlock(
        text=MarkdownTextObject(text=cut(text, SECTION_LIMIT)),
        accessory=ButtonElement(text="Refresh", action_id=ActionId.HOME_REFRESH, value="refresh"),
    )


def allowance_line(allowance: Allowance) -> str:
    used = allowance.used
    if allowance.max_recipients is None:
        numbers = f"{_plural(used.recipients, 'number')} (no cap)"
    else:
        numbers = f"{used.recipients:,} of {allowance.max_recipients:,} numbers"
    if allowance.max_cost is None:
        cost = f"≈ {money(used.cost)} (no cap)"
    else:
        cost = f"≈ {money(used.cost)} of {money(allowance.max_cost)}"
    return f"*{allowance.who}:* {numbers} · {cost}"


def today_block(allowances: list[Allowance]) -> SectionBlock:
    lines = ["*Today* (since 00:00 UTC)", *(allowance_line(a) for a in allowances)]
    return _section("\n".join(lines))


def send_line(line: SendLine) -> str:
    view = line.view
    send = view.send
    what = "Voice call" if send.kind == SendKind.VOICE else "SMS"
    to = display_msisdn(view.single_number) if view.single_number else _plural(send.recipients, "number")
    head = f"*{what} to {to}* in <#{send.channel_id}>"
    if send.created_at is not None:
        head += f" · {when(send.created_at)}"
    if line.permalink:
        head += f" · <{escape(line.permalink)}|open its message>"
    state = str(send.state)
    status = "" if state in _NO_COUNTS else counts_line(view)
    if state != SendState.ACCEPTED:
        extra = outcome_line(view)
        if extra:
            status = f"{status}\n{cut(extra, 300)}" if status else cut(extra, 300)
    return f"{head}\n{status}\n{quote(send.text, TEXT_SHOWN)}"


def sends_blocks(lines: list[SendLine]) -> list[Block]:
    blocks: list[Block] = [_section("*Your last sends*" if lines else "*Your sends*")]
    if not lines:
        blocks.append(
            _section("You haven't sent anything yet. Press *Send SMS*, or type `/sms` in a channel.")
        )
    for line in lines:
        blocks.append(_section(send_line(line)))
    return blocks


def health_lines(health: SetupHealth) -> list[str]:
    lines = []
    where = " (the built-in sandbox)" if health.sandbox else ""
    if health.platform_problem is None:
        lines.append(f":white_check_mark: *Platform* reachable{where}: it answered the balance query.")
    else:
        lines.append(f":x: *Platform* not usable{where}: {health.platform_problem}")
    if health.callback_url is None:
        lines.append(
            ":x: *Report callback*: SANTO_REPORT_TOKEN is not set, so the platform cannot deliver "
            "reports. Set it to a long random string, then register the URL shown here."
        )
    else:
        callback = (
            ":white_check_mark: *Report callback URL* to register with the platform "
            f"(keep it secret):\n{code(health.callback_url)}"
        )
        if not health.host_known:
            callback += "\n_Set PUBLIC_URL to this app's address to see the full URL._"
        lines.append(callback)
    stats = health.stats
    reports = f"*Reports received* in the last 24 h: {stats.reports:,}"
    if stats.last_report_at is not None:
        reports += f" (the last {when(stats.last_report_at)})"
    elif stats.pending:
        reports = ":warning: " + reports + ": check that the callback URL is registered."
    lines.append(reports)
    if stats.bad_callbacks:
        lines.append(
            f":warning: {_plural(stats.bad_callbacks, 'callback')} in the last 24 h could not be "
            "understood (kept in the `bad_callbacks` table)."
        )
    pending = f"*Numbers still Pending:* {stats.pending:,}"
    if stats.overdue:
        pending += (
            f" ({stats.overdue:,} waiting longer than {health.poll_after}: being asked for with "
            f"get-rptstatus; after {health.give_up_after} they become No report)"
        )
    lines.append(pending)
    return lines


def health_blocks(health: SetupHealth) -> list[Block]:
    return [
        DividerBlock(),
        _section("*Setup health* (only admins see this)"),
        _section("\n".join(health_lines(health))),
    ]


def build_home_view(facts: HomeFacts) -> View:
    blocks: list[Block] = [
        HeaderBlock(text="Santo SMS"),
        balance_block(facts),
        ActionsBlock(
            elements=[
                ButtonElement(text="Send SMS", action_id=ActionId.HOME_SEND, value="send", style="primary")
            ]
        ),
        ContextBlock(elements=[MarkdownTextObject(text=f"Updated {when(facts.updated_at)}")]),
        DividerBlock(),
    ]
    if facts.allowances:
        blocks += [today_block(facts.allowances), DividerBlock()]
    blocks += sends_blocks(facts.sends)
    if facts.health is not None:
        blocks += health_blocks(facts.health)
    return View(type="home", blocks=blocks[:HOME_BLOCKS_MAX])


def build_notice_home(text: str, refresh: bool = True) -> View:
    """A Home tab that only says something (not allowed, or a problem building it)."""
    section = SectionBlock(
        text=MarkdownTextObject(text=cut(text, SECTION_LIMIT)),
        accessory=(
            ButtonElement(text="Refresh", action_id=ActionId.HOME_REFRESH, value="refresh")
            if refresh
            else None
        ),
    )
    return View(type="home", blocks=[HeaderBlock(text="Santo SMS"), section])
