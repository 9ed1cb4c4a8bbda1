"""`/sms optout [list | add <number> | remove <number>]`: the numbers no send reaches, for admins."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.domain.mrkdwn import CODE_SHOWN, outside
from bot.domain.numbers import NumberError, display_msisdn, parse_number
from bot.sending.guard import is_admin, whom_to_ask
from bot.store.audit import Action, record
from bot.store.db import now
from bot.store.inbound import add_opt_out, list_opt_outs, remove_opt_out
from handlers.common import Interaction, Sub, answer, subcommands

SHOWN = 50
"""Numbers listed at most (newest first)."""


async def opt_out_text(interaction: Interaction, rest: str) -> str:
    services, t, actor = interaction.services, interaction.t, interaction.actor
    if not is_admin(services, actor.user_id):
        return t("opt_outs.only_admins", who=whom_to_ask(services))
    word, _, typed = rest.strip().partition(" ")
    word = word.lower()
    if word in ("", "list"):
        entries = await list_opt_outs(services.db, services.account_of(actor.team_id), SHOWN + 1)
        if not entries:
            return t("opt_outs.empty")
        lines = [
            t(f"opt_outs.line_{entry.source}", number=outside(display_msisdn(entry.number), CODE_SHOWN))
            for entry in entries[:SHOWN]
        ]
        more = [t("opt_outs.more", n=SHOWN)] if len(entries) > SHOWN else []
        return "\n".join([t("opt_outs.title"), *lines, *more])
    if word not in ("add", "remove"):
        return t("opt_outs.usage")
    try:
        number = parse_number(typed.strip())
    except NumberError as exc:
        return t(
            "opt_outs.not_a_number", number=outside(typed.strip(), CODE_SHOWN), reason=t.render(exc.message)
        )
    if word == "add":
        changed = await add_opt_out(
            services.db, services.account_of(actor.team_id), number.msisdn, actor.user_id, now()
        )
        action, key = Action.OPT_OUT_ADDED, "opt_outs.added" if changed else "opt_outs.already"
    else:
        changed = await remove_opt_out(services.db, services.account_of(actor.team_id), number.msisdn)
        action, key = Action.OPT_OUT_REMOVED, "opt_outs.removed" if changed else "opt_outs.not_listed"
    if changed:
        await record(
            services.db,
            team_id=actor.team_id,
            user_id=actor.user_id,
            action=action,
            channel_id=actor.channel_id,
            recipients=1,
        )
    return t(key, number=number.display)


def register(app: AsyncApp) -> None:
    subcommands(app).add(Sub.OPT_OUT, answer(opt_out_text))
