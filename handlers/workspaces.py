"""A workspace leaving (distribution mode): `app_uninstalled` and `tokens_revoked`."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext

from bot.distribution import leave
from bot.services import Services


async def on_uninstalled(context: AsyncBoltContext) -> None:
    services = Services.of(context)
    if services.clients is not None and context.team_id:
        await leave(services, services.clients.installations, context.team_id, bot_only=False)


async def on_tokens_revoked(event: dict[str, Any], context: AsyncBoltContext) -> None:
    """The bot's token revoked is the app gone from the workspace; a user's alone changes nothing
    (the app holds no user tokens)."""
    services = Services.of(context)
    bots = (event.get("tokens") or {}).get("bot") or []
    if services.clients is not None and context.team_id and bots:
        await leave(services, services.clients.installations, context.team_id, bot_only=True)


def register(app: AsyncApp) -> None:
    app.event("app_uninstalled")(on_uninstalled)
    app.event("tokens_revoked")(on_tokens_revoked)
