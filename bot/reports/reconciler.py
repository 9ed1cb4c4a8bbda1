"""Numbers that never got a report (docs/architecture.md, "From a report back to Slack").

Every `every` seconds: apply stored reports still waiting for their number (closes any race
between a submit's answer and its first report); ask the platform (`get-rptstatus`) about
numbers Pending for longer than REPORT_POLL_AFTER, in bounded batches; mark numbers Pending
for longer than REPORT_GIVE_UP_AFTER as No report. The platform does not promise a report
for every message. Sends that can no longer have a Pending number stop being looked at. Then
remove what is older than SANTO_KEEP_DAYS (`bot.reports.retention`).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from urllib.parse import urlencode

from bot.logs import log_context
from bot.reports.retention import Retention
from bot.santo.codes import DELIVERED_CODE
from bot.santo.errors import SantoError
from bot.santo.models import ReportState
from bot.santo.reports import StatusReport
from bot.sending.dispatch import expire_approvals
from bot.services import Periodic, Services
from bot.store import workspaces
from bot.store.callbacks import Callback
from bot.store.db import now
from bot.store.reconcile import claim_msgids_to_poll, give_up, stop_waiting
from bot.store.reports import store_callbacks, sweep_orphans
from bot.store.schedule import recover_stuck

log = logging.getLogger(__name__)

MSGIDS_PER_ROUND = 20
STUCK_AFTER = timedelta(minutes=30)
"""A send still Sending after this was cut short by a crash: its unanswered numbers are Unknown."""
POLL_CONCURRENCY = 4


class Reconciler(Periodic):
    def __init__(self, services: Services, every: float) -> None:
        super().__init__(services, every)
        self.retention = Retention(services)

    async def round(self) -> None:
        settings, db = self.services.settings, self.services.db
        changed = await sweep_orphans(db, now())
        msgids = await claim_msgids_to_poll(db, settings.report_poll_after, now(), MSGIDS_PER_ROUND)
        gate = asyncio.Semaphore(POLL_CONCURRENCY)

        async def poll(account: str, msgid: str) -> list[Callback]:
            workspace = await self.services.for_team(account) if account else self.services
            if not workspace.connected:  # it left: its numbers are given up on in time
                return []
            async with gate:
                with log_context(msgid=msgid, workspace=account or None):
                    try:
                        statuses = await workspace.santo.report_status(msgid)
                    except SantoError as exc:
                        log.info("could not ask the platform about msgid %s: %s", msgid, exc)
                        return []
            return [
                Callback(
                    raw=urlencode(  # kept like a callback's form body
                        {"cmd": "get-rptstatus", "msgid": msgid, "da": s.number, "mtstat": s.state}
                    ),
                    reports=(
                        StatusReport(
                            msgid=msgid,
                            number=s.number,
                            value="0" if s.state == ReportState.DELIVERED else "400",
                            code=DELIVERED_CODE if s.state == ReportState.DELIVERED else "",
                            content="",
                        ),
                    ),
                    account=account,
                )
                for s in statuses
                if s.state != ReportState.NONE and s.number
            ]

        found = [c for batch in await asyncio.gather(*(poll(a, m) for a, m in msgids)) for c in batch]
        if found:
            await store_callbacks(db, found, now())
        gave_up = await give_up(db, settings.report_give_up_after, now())
        await stop_waiting(db)
        await expire_approvals(self.services)
        stuck = await recover_stuck(db, STUCK_AFTER, now())
        if settings.distributed:  # workspaces that left, past SANTO_RETENTION_DAYS: their data goes
            for team_id in await workspaces.gone_before(
                db, now() - timedelta(days=settings.santo_retention_days)
            ):
                await workspaces.forget(db, team_id)
                log.info(
                    "workspace %s left %d days ago: its data is deleted",
                    team_id,
                    settings.santo_retention_days,
                )
        if changed or found or gave_up or stuck:
            self.services.wake_notifier()
        await self.retention.round()
