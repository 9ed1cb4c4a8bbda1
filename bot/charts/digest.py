"""The weekly digest: last week's figures and chart, posted to SANTO_DIGEST_CHANNEL every Monday
at 09:00 in SANTO_DIGEST_TIMEZONE, in the deployment's default language.

Exactly once, however many `serve` processes run and however often they restart: a week's
digest is due from Monday 09:00 of the week after, and each workspace's is a `notices` row
(kind `digest`, period the ISO week) claimed with a lease before it is posted and marked posted
after. A process that comes up late posts the digest it missed; one that dies while posting
leaves the claim to run out, and another posts it then. In distribution mode every connected
workspace gets its own, in its own channel of that name."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import Block

from bot.charts.publish import period_chart
from bot.services import Periodic, Services
from bot.store import workspaces
from bot.store.db import now
from bot.store.digests import DIGEST
from bot.store.notices import claim, mark_posted, posted_at
from bot.store.stats import period_stats
from bot.views.stats import ChartImage, build_stats_blocks, build_stats_text

log = logging.getLogger(__name__)

EVERY = 60.0
"""Seconds between two looks at whether a digest is due."""
LEASE = timedelta(minutes=10)
"""How long a claim holds: a process that died posting (or whose post failed) is taken over then."""
POST_AT = time(9)
DAYS = 7


@dataclass(frozen=True)
class Week:
    """A week whose digest is due: Monday 00:00 to the next Monday 00:00, local time."""

    first: date
    start: datetime
    end: datetime

    @property
    def label(self) -> str:
        """Its ISO week, e.g. `2026-W48`."""
        year, week, _ = self.first.isocalendar()
        return f"{year}-W{week:02d}"

    @property
    def last(self) -> date:
        return self.first + timedelta(days=DAYS - 1)


def due_week(at: datetime, zone: tzinfo) -> Week:
    """The latest week whose digest is due at `at`: the week before this one from Monday 09:00,
    before that the one before it."""
    local = at.astimezone(zone)
    monday = local.date() - timedelta(days=local.weekday())
    if local < datetime.combine(monday, POST_AT, zone):
        monday -= timedelta(days=DAYS)
    first = monday - timedelta(days=DAYS)
    return Week(first, datetime.combine(first, time(0), zone), datetime.combine(monday, time(0), zone))


class Digest(Periodic):
    def __init__(self, services: Services, every: float = EVERY) -> None:
        super().__init__(services, every)
        channel = services.settings.santo_digest_channel
        assert channel is not None
        self.channel = channel
        self.zone = ZoneInfo(services.settings.santo_digest_timezone)
        self._team_id: str | None = None
        self._done: set[tuple[str, str]] = set()
        """(account, week) known to be posted: not asked about again by this process."""

    async def round(self) -> None:
        week = due_week(now(), self.zone)
        for team_id in await self.workspaces():
            services = await self.services.for_team(team_id)
            account = services.account_of(team_id)
            if (account, week.label) not in self._done:
                await self.post(services, team_id, account, week)

    async def workspaces(self) -> list[str]:
        """Every connected workspace (distribution mode), or the deployment's own (asked of
        Slack once: sends are stored under its team id)."""
        if self.services.settings.distributed:
            return await workspaces.connected_teams(self.services.db)
        if self._team_id is None:
            self._team_id = str((await self.services.slack.auth_test())["team_id"])
        return [self._team_id]

    async def message(self, services: Services, team_id: str, week: Week) -> tuple[str, list[Block]]:
        """The week's figures and chart, in the deployment's default language."""
        t = services.languages.texts(None)
        figures = await period_stats(services.db, team_id, week.start, week.end)
        dates = {"first": week.first.isoformat(), "last": week.last.isoformat()}
        text = build_stats_text(t, figures, DAYS, title=t("stats.digest.title", week=week.label, **dates))
        if not figures.sends:
            return text, build_stats_blocks(text, None)
        alt = t("stats.digest.alt", week=week.label)
        names = (f"santo-digest-{week.label}.png", t("stats.digest.file_title", week=week.label), alt)
        period = (week.start, week.end)
        file_id = await period_chart(services, t, team_id, figures, period, self.zone, names)
        title = t("stats.digest.chart_title", week=week.label)
        chart = ChartImage(file_id, title, alt) if file_id is not None else None
        return text, build_stats_blocks(text, chart)

    async def post(self, services: Services, team_id: str, account: str, week: Week) -> None:
        db = services.db
        if not await claim(db, account, DIGEST, week.label, now(), LEASE):
            if await posted_at(db, account, DIGEST, week.label) is not None:
                self._done.add((account, week.label))
                log.info("weekly digest %s of %s: posted already", week.label, team_id)
            else:
                log.info("weekly digest %s of %s: another process is posting it", week.label, team_id)
            return
        text, blocks = await self.message(services, team_id, week)
        try:
            answer = await services.slack.chat_postMessage(channel=self.channel, text=text, blocks=blocks)
        except SlackApiError as exc:  # the claim runs out, then it is tried again
            log.error(
                "weekly digest %s of %s could not be posted to %s (%s); trying again in %s",
                week.label,
                team_id,
                self.channel,
                exc.response.get("error"),
                LEASE,
            )
            return
        await mark_posted(db, account, DIGEST, week.label, now(), str(answer.get("ts")))
        self._done.add((account, week.label))
        log.info("weekly digest %s of %s posted to %s", week.label, team_id, self.channel)
