"""The stats chart of a workspace's period, drawn in the worker process and uploaded to Slack
privately (`files.uploadV2` with no channel): messages and the Home tab show it with an image
block that names the file (`slack_file`), so it is never posted on its own."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta, tzinfo

from slack_sdk.web.async_client import AsyncWebClient

from bot.charts.data import build_chart_data
from bot.charts.draw import draw_chart
from bot.i18n import Texts
from bot.services import Services
from bot.store.models import PeriodStats
from bot.store.stats import send_outcomes
from bot.views.stats import ChartImage

log = logging.getLogger(__name__)

READY_CHECKS = 8
"""files.info asked this many times at most (0.25 s, then doubling up to 2 s: about 10 s)."""


async def ready(slack: AsyncWebClient, file_id: str) -> bool:
    """Whether Slack has finished the upload: it does so after `files.completeUploadExternal`
    answers, and refuses an image block naming the file before then (`invalid slack file`). Its
    `mimetype` shows it done."""
    delay = 0.25
    for _ in range(READY_CHECKS):
        info = await slack.files_info(file=file_id)
        if (info.get("file") or {}).get("mimetype"):
            return True
        await asyncio.sleep(delay)
        delay = min(delay * 2, 2.0)
    return False


async def upload_png(slack: AsyncWebClient, png: bytes, filename: str, title: str, alt: str) -> str | None:
    """A private upload: the file's id once Slack can show it; None if it still cannot after
    about 10 s (logged: what would show it goes without it)."""
    answer = await slack.files_upload_v2(content=png, filename=filename, title=title, alt_txt=alt)
    file_id = str(answer["files"][0]["id"])
    if await ready(slack, file_id):
        return file_id
    log.warning("uploaded file %s still not processed by Slack: shown without it", file_id)
    return None


async def period_chart(
    services: Services,
    t: Texts,
    team_id: str,
    stats: PeriodStats,
    period: tuple[datetime, datetime],
    zone: tzinfo,
    names: tuple[str, str, str],
) -> str | None:
    """The period's chart, uploaded in the workspace (`services` as it sees it): the file id;
    None when nothing was sent, or when it could not be drawn or uploaded (logged: the figures
    are shown without it). `names`: the file's name, title and alt text."""
    since, until = period
    outcomes = await send_outcomes(services.db, team_id, since, until)
    data = build_chart_data(t, stats, outcomes, since, until, zone)
    if data is None:
        return None
    filename, title, alt = names
    try:
        png = await services.workers.run(draw_chart, data)
        return await upload_png(services.slack, png, filename, title, alt)
    except Exception:  # the figures go out without it
        log.exception("the stats chart of %s could not be drawn or uploaded", team_id)
        return None


def recent_image(t: Texts, file_id: str, days: int) -> ChartImage:
    """How a chart of the last `days` days is shown, in the reader's language."""
    return ChartImage(file_id, t("stats.chart.title", days=days), t("stats.chart.alt", days=days))


async def recent_chart(
    services: Services, t: Texts, team_id: str, stats: PeriodStats, period: tuple[datetime, datetime]
) -> ChartImage | None:
    """The chart of the last days up to now (`/sms stats`, the Home tab): days in UTC."""
    days = round((period[1] - period[0]) / timedelta(days=1))
    names = (
        f"santo-stats-{days}d.png",
        t("stats.chart.file_title", days=days),
        t("stats.chart.alt", days=days),
    )
    file_id = await period_chart(services, t, team_id, stats, period, UTC, names)
    return recent_image(t, file_id, days) if file_id is not None else None
