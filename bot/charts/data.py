"""What the stats chart shows, from a period's figures: the top countries' delivery rate on each
day (days in the reader's timezone) and the top failure reasons, with every label in the
reader's language and in English (`bot.charts.draw` picks the one the host has fonts for)."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta, tzinfo

from bot.charts.draw import ChartData, ChartLabels
from bot.domain.numbers import country_name
from bot.domain.states import NumberStatus
from bot.i18n import TEXTS, Language, Texts
from bot.santo.codes import report_meaning
from bot.store.models import PeriodStats, SentOutcome

TOP_COUNTRIES = 5
TOP_REASONS = 6


def period_days(since: datetime, until: datetime, zone: tzinfo) -> tuple[date, ...]:
    """Every day the period touches, in `zone`."""
    first, last = since.astimezone(zone).date(), (until - timedelta(microseconds=1)).astimezone(zone).date()
    return tuple(first + timedelta(days=n) for n in range((last - first).days + 1))


def region_label(t: Texts, region: str) -> str:
    return country_name(region, t.language) if len(region) == 2 and region.isalpha() else region


def chart_labels(t: Texts, regions: list[str], codes: list[str]) -> ChartLabels:
    return ChartLabels(
        rates_title=t("stats.chart.rates_title"),
        rates_axis=t("stats.chart.rates_axis"),
        reasons_title=t("stats.chart.reasons_title"),
        reasons_axis=t("stats.chart.reasons_axis"),
        no_failures=t("stats.chart.no_failures"),
        countries=tuple(region_label(t, r) for r in regions),
        reasons=tuple(
            t("stats.chart.reason", meaning=report_meaning("400", code), code=code or "–") for code in codes
        ),
    )


def build_chart_data(
    t: Texts,
    stats: PeriodStats,
    outcomes: list[SentOutcome],
    since: datetime,
    until: datetime,
    zone: tzinfo,
) -> ChartData | None:
    """The chart of the period; None when nothing was sent (no chart then)."""
    if not stats.total.numbers:
        return None
    ranked = sorted(stats.countries.items(), key=lambda item: (-item[1].numbers, item[0]))
    regions = [region for region, _ in ranked[:TOP_COUNTRIES]]
    days = period_days(since, until, zone)
    numbers: Counter[tuple[str, date]] = Counter()
    delivered: Counter[tuple[str, date]] = Counter()
    for outcome in outcomes:
        key = (outcome.region, outcome.sent_at.astimezone(zone).date())
        numbers[key] += outcome.numbers
        if outcome.status == NumberStatus.DELIVERED:
            delivered[key] += outcome.numbers
    rates = tuple(
        tuple(
            100 * delivered[(region, day)] / numbers[(region, day)] if numbers[(region, day)] else None
            for day in days
        )
        for region in regions
    )
    reasons = stats.total.failure_codes.most_common(TOP_REASONS)
    codes = [code for code, _ in reasons]
    return ChartData(
        days=days,
        rates=rates,
        failures=tuple(n for _, n in reasons),
        labels=chart_labels(t, regions, codes),
        fallback=chart_labels(TEXTS[Language.EN], regions, codes),
    )
