"""The Bolt app: our settings passed explicitly, services in every listener's context."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.response import BoltResponse
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.distribution import oauth_flow
from bot.i18n import TEXTS, TEXTS_KEY
from bot.services import CONTEXT_KEY, Services
from handlers import register_all
from handlers.common import told

log = logging.getLogger(__name__)


def build_bolt_app(services: Services) -> AsyncApp:
    settings = services.settings
    signing = settings.slack_signing_secret
    clients = services.clients
    app = AsyncApp(
        client=services.slack,
        signing_secret=signing.get_secret_value() if signing else "",
        process_before_response=False,
        oauth_flow=(
            oauth_flow(settings, clients.installations, services.slack_http) if clients is not None else None
        ),
    )

    @app.middleware
    async def inject_services(
        context: AsyncBoltContext, next: Callable[[], Awaitable[BoltResponse]]
    ) -> BoltResponse:
        workspace = await services.for_team(context.team_id)  # distribution mode: its own clients
        context[CONTEXT_KEY] = workspace
        context[TEXTS_KEY] = await workspace.languages.texts_for(context.user_id)
        return await next()

    @app.error
    async def on_error(error: Exception, body: dict[str, Any], context: AsyncBoltContext) -> None:
        """The one place an unexpected listener error ends: logged, and the user told plainly."""
        log.error("listener failed", exc_info=error)
        if CONTEXT_KEY not in context:
            return  # failed before our middleware: the request may not be verified, so act on nothing
        response_url = body.get("response_url")
        if response_url:
            t = context.get(TEXTS_KEY) or TEXTS[services.languages.default]
            await AsyncWebhookClient(response_url).send(text=told(t, error), response_type="ephemeral")

    register_all(app)
    return app
