"""`/sms audit [days]`: for admins, a summary of the period and its CSV, sent to them privately."""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import timedelta
from decimal import Decimal

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError

from bot.domain.actor import Actor
from bot.domain.money import money
from bot.domain.mrkdwn import escape
from bot.i18n import Msg, Texts
from bot.sending.guard import is_admin, whom_to_ask
from bot.services import Services
from bot.store.audit import Action, entries_since, record
from bot.store.db import now
from bot.store.tables import AuditEntry
from handlers.common import Sub, answer, subcommands

DEFAULT_DAYS = 7
MAX_DAYS = 366
COLUMNS = ["at", "user", "action", "channel", "recipients", "estimated_cost", "outcome", "detail", "send_id"]


def parse_days(text: str) -> int | None:
    word = text.strip()
    if not word:
        return DEFAULT_DAYS
    if word.isdigit() and 1 <= int(word) <= MAX_DAYS:
        return int(word)
    return None


def to_csv(entries: list[AuditEntry]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for e in entries:
        writer.writerow(
            [
                e.at.isoformat(),
                e.user_id,
                e.action,
                e.channel_id or "",
                e.recipients or "",
                e.estimated_cost if e.estimated_cost is not None else "",
                e.outcome or "",
                e.detail or "",
                e.send_id or "",
            ]
        )
    return out.getvalue()


def summary(t: Texts, entries: list[AuditEntry], days: int) -> str:
    actions = Counter(e.action for e in entries)
    sends = [e for e in entries if e.action == Action.SEND]
    numbers = sum(e.recipients or 0 for e in sends)
    cost = sum((e.estimated_cost or Decimal(0) for e in sends), Decimal(0))
    users = len({e.user_id for e in sends})
    lines = [
        t.count("audit.title", days),
        t("audit.sends", sends=len(sends), users=users, numbers=numbers, cost=money(cost)),
        t(
            "audit.approvals",
            refused=actions[Action.REFUSED],
            asked=actions[Action.APPROVAL_REQUESTED],
            approved=actions[Action.APPROVED],
            rejected=actions[Action.REJECTED],
            expired=actions[Action.EXPIRED],
        ),
    ]
    return "\n".join(lines)


async def audit_text(services: Services, t: Texts, actor: Actor, args: str) -> str:
    """The summary in the admin's language; the CSV is data and stays English, like the trail."""
    if not is_admin(services, actor.user_id):
        return t("audit.only_admins", who=whom_to_ask(services))
    days = parse_days(args)
    if days is None:
        return t("audit.days", max=MAX_DAYS)
    since = now() - timedelta(days=days)
    entries = await entries_since(services.db, actor.team_id, since)
    text = summary(t, entries, days)
    await record(
        services.db,
        team_id=actor.team_id,
        user_id=actor.user_id,
        action=Action.AUDIT_EXPORT,
        channel_id=actor.channel_id,
        detail=str(Msg.of("audit.export_detail", days=days, entries=len(entries))),
    )
    try:
        dm = await services.slack.conversations_open(users=actor.user_id)
        channel = str(dm["channel"]["id"])
        await services.slack.files_upload_v2(
            channel=channel,
            content=to_csv(entries),
            filename=f"santo-audit-{now():%Y-%m-%d}-{days}d.csv",
            title=t("audit.file_title", days=days),
            initial_comment=text,
        )
    except SlackApiError as exc:
        return f"{text}\n{t('audit.not_sent', error=escape(str(exc.response.get('error'))))}"
    return f"{text}\n{t('audit.in_dm')}"


def register(app: AsyncApp) -> None:
    subcommands(app).add(Sub.AUDIT, answer(lambda it, rest: audit_text(it.services, it.t, it.actor, rest)))
