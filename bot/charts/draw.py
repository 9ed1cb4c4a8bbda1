"""The stats chart as a PNG: delivery rate per day for the top countries (a line each) beside the
failures by reason (bars). Runs in the worker process (`bot.worker_pool`): matplotlib is imported
inside `draw_chart` only, so the web process, which imports this module to name the function,
never loads it. Takes plain data, gives back bytes."""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd")
"""One colour per country line, in order (as many as `TOP_COUNTRIES` in `bot.charts.data`)."""
BAR_COLOUR = "#8c564b"
BAR_SLOTS = 4
"""Room for this many bars at least, so that one or two reasons keep bars of a usual height."""
SIZE = (10.0, 4.5)
DPI = 100
"""1000 × 450 pixels: sharp in a Slack message, a few tens of kilobytes."""
DAY_TICKS = 8
"""Days named on the time axis at most (every day of a week, every few of 90 days)."""
LABEL_WIDTH = 26
"""Characters of a line of a reason shown beside its bar."""
LAST_RESORT = "Last Resort"
"""matplotlib's font of boxes for any character: no font for the reader's script at all."""
BASE_FONT = "DejaVu Sans"
"""matplotlib's own font: Latin, Greek, Cyrillic; other scripts need a font of the host."""


@dataclass(frozen=True)
class ChartLabels:
    """Every word on the chart, in one language."""

    rates_title: str
    rates_axis: str
    reasons_title: str
    reasons_axis: str
    no_failures: str
    countries: tuple[str, ...]
    """Legend names, in the order of `ChartData.rates`."""
    reasons: tuple[str, ...]
    """Bar labels, in the order of `ChartData.failures`."""

    def words(self) -> str:
        return "".join(
            [
                self.rates_title,
                self.rates_axis,
                self.reasons_title,
                self.reasons_axis,
                self.no_failures,
                *self.countries,
                *self.reasons,
            ]
        )


@dataclass(frozen=True)
class ChartData:
    days: tuple[date, ...]
    rates: tuple[tuple[float | None, ...], ...]
    """Per country, per day: the percentage of its numbers delivered (None: nothing sent)."""
    failures: tuple[int, ...]
    """Failed numbers per reason, most first."""
    labels: ChartLabels
    """In the reader's language."""
    fallback: ChartLabels
    """In English: used where the host has no font for the reader's script."""


@cache
def _charmap(path: str) -> frozenset[int]:
    from matplotlib import ft2font

    return frozenset(ft2font.FT2Font(path).get_charmap())


def font_families(text: str) -> list[str] | None:
    """Fonts that together have a glyph for every character of `text`, matplotlib's own first;
    None when the host has none for some of them (rather than boxes in their place)."""
    from matplotlib import font_manager

    needed = {ord(c) for c in text if not c.isspace()}
    missing = needed - _charmap(font_manager.findfont(BASE_FONT))
    if not missing:
        return [BASE_FONT]
    for entry in font_manager.fontManager.ttflist:
        if entry.name.startswith(LAST_RESORT):
            continue
        try:
            if missing <= _charmap(entry.fname):
                return [BASE_FONT, entry.name]
        except (OSError, RuntimeError):
            continue
    return None


def _label(text: str) -> str:
    """A bar's label on two lines at most."""
    lines = textwrap.wrap(text, LABEL_WIDTH, max_lines=2, placeholder="…")
    return "\n".join(lines)


def draw_chart(data: ChartData) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    families = font_families(data.labels.words())
    labels = data.labels if families is not None else data.fallback
    settings: dict[Any, Any] = {"font.family": families or [BASE_FONT], "font.size": 10, "axes.titlesize": 11}
    with matplotlib.rc_context(settings):
        figure = Figure(figsize=SIZE, dpi=DPI, layout="constrained")
        FigureCanvasAgg(figure)
        rates, reasons = figure.subplots(1, 2, width_ratios=[3, 2])

        for n, (country, series) in enumerate(zip(labels.countries, data.rates, strict=True)):
            points = [(x, rate) for x, rate in enumerate(series) if rate is not None]
            rates.plot(
                [x for x, _ in points],
                [rate for _, rate in points],
                color=PALETTE[n % len(PALETTE)],
                marker="o",
                markersize=7,
                linewidth=2,
                label=country,
            )
        rates.set_title(labels.rates_title)
        rates.set_ylabel(labels.rates_axis)
        rates.set_ylim(-5, 105)
        rates.set_xlim(-0.5, max(len(data.days) - 0.5, 0.5))
        ticks = list(range(0, len(data.days), -(-len(data.days) // DAY_TICKS)))
        rates.set_xticks(ticks, [data.days[x].strftime("%m-%d") for x in ticks])
        rates.grid(True, color="#dddddd")
        if labels.countries:  # under the plot, where it hides no point
            rates.legend(
                loc="upper center",
                bbox_to_anchor=(0.5, -0.1),
                ncols=len(labels.countries),
                fontsize=9,
                frameon=False,
            )

        reasons.set_title(labels.reasons_title)
        if data.failures:
            positions = list(range(len(data.failures)))
            reasons.barh(positions, data.failures, height=0.6, color=BAR_COLOUR)
            reasons.set_yticks(positions, [_label(r) for r in labels.reasons])
            reasons.set_ylim(max(len(positions), BAR_SLOTS) - 0.5, -0.5)  # most first, never one fat bar
            reasons.set_xlim(0, max(data.failures) * 1.15)  # room for the counts at the bars' ends
            reasons.set_xlabel(labels.reasons_axis)
            reasons.xaxis.get_major_locator().set_params(integer=True)
            for position, count in zip(positions, data.failures, strict=True):
                reasons.annotate(
                    str(count), (count, position), xytext=(3, 0), textcoords="offset points", va="center"
                )
        else:
            reasons.text(0.5, 0.5, labels.no_failures, ha="center", va="center", transform=reasons.transAxes)
            reasons.set_xticks([])
            reasons.set_yticks([])

        out = io.BytesIO()
        figure.savefig(out, format="png", facecolor="white")
    return out.getvalue()
