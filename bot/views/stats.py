"""`/sms stats`: a workspace's sending over a period, overall and for its top countries. Pure
builders: the handler gathers the facts (`bot.store.stats`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from slack_sdk.models.blocks import Block, ImageBlock, MarkdownTextObject, SectionBlock

from bot.domain.money import money
from bot.domain.mrkdwn import SECTION_LIMIT, cut
from bot.domain.numbers import country_name
from bot.domain.states import NumberStatus
from bot.i18n import Texts
from bot.santo.codes import report_meaning
from bot.store.models import PeriodStats, Tally

TOP_COUNTRIES = 10
TOP_REASONS = 3


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "–"


def duration(t: Texts, delta: timedelta | None) -> str:
    if delta is None:
        return t("stats.no_median")
    seconds = round(delta.total_seconds())
    if seconds < 60:
        return t("stats.duration.s", n=seconds)
    if seconds < 3600:
        return t("stats.duration.min", n=seconds // 60, s=seconds % 60)
    return t("stats.duration.h", n=seconds // 3600, min=seconds % 3600 // 60)


def median(delays: list[timedelta]) -> timedelta | None:
    if not delays:
        return None
    ordered = sorted(delays)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def rates(t: Texts, tally: Tally, delays: list[timedelta]) -> str:
    shares = {
        name: percent(tally.statuses[status], tally.numbers)
        for name, status in (
            ("delivered", NumberStatus.DELIVERED),
            ("failed", NumberStatus.FAILED),
            ("no_report", NumberStatus.NO_REPORT),
        )
    }
    return t("stats.rates", **shares, median=duration(t, median(delays)))


def reasons(t: Texts, tally: Tally) -> str | None:
    top = tally.failure_codes.most_common(TOP_REASONS)
    if not top:
        return None
    listed = " · ".join(
        t("stats.reason", meaning=report_meaning("400", code), code=code or "–", n=n) for code, n in top
    )
    return t("stats.reasons", reasons=listed)


def country_line(t: Texts, region: str, tally: Tally, delays: list[timedelta]) -> str:
    name = country_name(region, t.language) if len(region) == 2 and region.isalpha() else region
    numbers = t.count("channel_message.numbers", tally.numbers)
    return t("stats.country", country=name, numbers=numbers, rates=rates(t, tally, delays))


def build_stats_text(t: Texts, stats: PeriodStats, days: int, title: str | None = None) -> str:
    """The period's figures in the reader's language, as mrkdwn, under `title` (by default
    "last `days` days")."""
    title = title or t("stats.title", days=days)
    if not stats.sends:
        return "\n".join([title, t("stats.none")])
    every_delay = [d for delays in stats.delays.values() for d in delays]
    lines = [
        title,
        t(
            "stats.totals",
            sends=t.count("stats.sends", stats.sends),
            numbers=t.count("channel_message.numbers", stats.total.numbers),
            spend=money(stats.spend),
        ),
        rates(t, stats.total, every_delay),
    ]
    failures = reasons(t, stats.total)
    if failures:
        lines.append(failures)
    ranked = sorted(stats.countries.items(), key=lambda item: (-item[1].numbers, item[0]))
    lines.append(t("stats.countries", n=min(TOP_COUNTRIES, len(ranked))))
    lines += [
        country_line(t, region, tally, stats.delays.get(region, []))
        for region, tally in ranked[:TOP_COUNTRIES]
    ]
    return "\n".join(lines)


@dataclass(frozen=True)
class ChartImage:
    """An uploaded chart and what the image block says of it."""

    file_id: str
    title: str
    alt: str


def chart_block(chart: ChartImage) -> ImageBlock:
    """The chart, by its uploaded file (never a public URL)."""
    return ImageBlock(slack_file={"id": chart.file_id}, alt_text=chart.alt, title=chart.title)


def build_stats_blocks(text: str, chart: ChartImage | None) -> list[Block]:
    """The figures, and the chart under them when there is one."""
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=cut(text, SECTION_LIMIT)))]
    return blocks + ([chart_block(chart)] if chart is not None else [])
