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

from bot.domain.money import money
from bot.domain.mrkdwn import CODE_SHOWN, SECTION_LIMIT, code, cut, escape, quote
from bot.domain.states import SendState
from bot.i18n import Texts
from bot.santo.models import Balance
from bot.store.models import Health, SendView, Usage
from bot.views.channel_message import counts_line, kind_key, outcome_line, recipients_text
from bot.views.ids import ActionId
from bot.views.stats import ChartImage, chart_block

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
    """Whose: "You" or "Workspace", in the reader's language."""
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
    """Durations, in the reader's language."""


@dataclass(frozen=True)
class HomeFacts:
    updated_at: datetime
    balance: Balance | None = None
    balance_problem: str | None = None
    allowances: list[Allowance] = field(default_factory=list)
    sends: list[SendLine] = field(default_factory=list)
    health: SetupHealth | None = None
    account: list[Block] = field(default_factory=list)
    """Distribution mode, for admins: the workspace's Santo account and how to change it."""
    stats: str | None = None
    """The workspace's last days, as `/sms stats` shows them."""
    chart: ChartImage | None = None
    chart_drawn_at: datetime | None = None


def when(at: datetime) -> str:
    """A time each reader sees in their own Slack timezone (UTC in the fallback)."""
    if at.tzinfo is None:  # SQLite gives back naive datetimes; they are stored in UTC
        at = at.replace(tzinfo=UTC)
    return f"<!date^{int(at.timestamp())}^{{date_short_pretty}} {{time}}|{at:%Y-%m-%d %H:%M} UTC>"


def _section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=cut(text, SECTION_LIMIT)))


def balance_block(t: Texts, facts: HomeFacts) -> SectionBlock:
    if facts.balance is not None:
        text = t(
            "app_home.balance.known",
            amount=money(facts.balance.amount),
            cpid=code(facts.balance.cpid, CODE_SHOWN),
        )
    else:
        text = t("app_home.balance.unknown", problem=facts.balance_problem or t("app_home.balance.no_answer"))
    return SectionBlock(text=MarkdownTextObject(text=cut(text, SECTION_LIMIT)), accessory=refresh_button(t))


def refresh_button(t: Texts) -> ButtonElement:
    return ButtonElement(text=t("app_home.refresh"), action_id=ActionId.HOME_REFRESH, value="refresh")


def allowance_line(t: Texts, allowance: Allowance) -> str:
    used = allowance.used
    if allowance.max_recipients is None:
        numbers = t("app_home.today.numbers", numbers=t.count("channel_message.numbers", used.recipients))
    else:
        numbers = t("app_home.today.numbers_of", used=used.recipients, max=allowance.max_recipients)
    if allowance.max_cost is None:
        cost = t("app_home.today.cost", cost=money(used.cost))
    else:
        cost = t("app_home.today.cost_of", cost=money(used.cost), max=money(allowance.max_cost))
    return t("app_home.today.line", who=allowance.who, numbers=numbers, cost=cost)


def today_block(t: Texts, allowances: list[Allowance]) -> SectionBlock:
    lines = [t("app_home.today.title"), *(allowance_line(t, a) for a in allowances)]
    return _section("\n".join(lines))


def send_line(t: Texts, line: SendLine) -> str:
    view = line.view
    send = view.send
    head = t(f"app_home.sends.{kind_key(send.kind)}", to=recipients_text(t, view), channel=send.channel_id)
    if send.created_at is not None:
        head += f" · {when(send.created_at)}"
    if line.permalink:
        head += f" · {t('app_home.sends.open', link=escape(line.permalink))}"
    state = str(send.state)
    status = "" if state in _NO_COUNTS else counts_line(t, view)
    if state != SendState.ACCEPTED:
        extra = outcome_line(t, view)
        if extra:
            status = f"{status}\n{cut(extra, 300)}" if status else cut(extra, 300)
    return f"{head}\n{status}\n{quote(send.text, TEXT_SHOWN)}"


def sends_blocks(t: Texts, lines: list[SendLine]) -> list[Block]:
    if not lines:
        return [_section(t("app_home.sends.none_title")), _section(t("app_home.sends.none"))]
    return [_section(t("app_home.sends.title")), *(_section(send_line(t, line)) for line in lines)]


def health_lines(t: Texts, health: SetupHealth) -> list[str]:
    where = "sandbox" if health.sandbox else "platform"
    if health.platform_problem is None:
        lines = [t(f"app_home.health.{where}_ok")]
    else:
        lines = [t(f"app_home.health.{where}_problem", problem=health.platform_problem)]
    if health.callback_url is None:
        lines.append(t("app_home.health.no_token"))
    else:
        callback = t("app_home.health.callback", url=code(health.callback_url))
        if not health.host_known:
            callback += "\n" + t("app_home.health.no_host")
        lines.append(callback)
    stats = health.stats
    if stats.last_report_at is not None:
        lines.append(t("app_home.health.reports_last", n=stats.reports, when=when(stats.last_report_at)))
    elif stats.pending:
        lines.append(t("app_home.health.reports_missing", n=stats.reports))
    else:
        lines.append(t("app_home.health.reports", n=stats.reports))
    if stats.bad_callbacks:
        lines.append(t.count("app_home.health.bad_callbacks", stats.bad_callbacks))
    if stats.overdue:
        lines.append(
            t(
                "app_home.health.pending_overdue",
                n=stats.pending,
                overdue=stats.overdue,
                poll_after=health.poll_after,
                give_up_after=health.give_up_after,
            )
        )
    else:
        lines.append(t("app_home.health.pending", n=stats.pending))
    return lines


def health_blocks(t: Texts, health: SetupHealth) -> list[Block]:
    return [
        DividerBlock(),
        _section(t("app_home.health.title")),
        _section("\n".join(health_lines(t, health))),
    ]


def stats_blocks(t: Texts, facts: HomeFacts) -> list[Block]:
    """The workspace's last days, and their chart once drawn (it is drawn once a day)."""
    if facts.stats is None:
        return []
    blocks: list[Block] = [DividerBlock(), _section(facts.stats)]
    if facts.chart is not None:
        blocks.append(chart_block(facts.chart))
        if facts.chart_drawn_at is not None:
            drawn = t("stats.chart.drawn", when=when(facts.chart_drawn_at))
            blocks.append(ContextBlock(elements=[MarkdownTextObject(text=drawn)]))
    return blocks


def build_home_view(t: Texts, facts: HomeFacts) -> View:
    """The Home tab in the viewing user's language."""
    blocks: list[Block] = [
        HeaderBlock(text=t("app_home.header")),
        balance_block(t, facts),
        ActionsBlock(
            elements=[
                ButtonElement(
                    text=t("app_home.send"), action_id=ActionId.HOME_SEND, value="send", style="primary"
                )
            ]
        ),
        ContextBlock(elements=[MarkdownTextObject(text=t("app_home.updated", when=when(facts.updated_at)))]),
        DividerBlock(),
    ]
    if facts.allowances:
        blocks += [today_block(t, facts.allowances), DividerBlock()]
    blocks += sends_blocks(t, facts.sends)
    blocks += stats_blocks(t, facts)
    if facts.health is not None:
        blocks += health_blocks(t, facts.health) + facts.account
    return View(type="home", blocks=blocks[:HOME_BLOCKS_MAX])


def build_notice_home(t: Texts, text: str, refresh: bool = True) -> View:
    """A Home tab that only says something (not allowed, or a problem building it)."""
    section = SectionBlock(
        text=MarkdownTextObject(text=cut(text, SECTION_LIMIT)),
        accessory=refresh_button(t) if refresh else None,
    )
    return View(type="home", blocks=[HeaderBlock(text=t("app_home.header")), section])
