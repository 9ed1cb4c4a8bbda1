"""One deployment for many workspaces ("Add to Slack"): Bolt's OAuth flow with slack_sdk's
SQLAlchemy stores in the app's own database, the install and redirect routes, and what happens
when a workspace leaves."""

from __future__ import annotations

import logging

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore

from bot.services import Services
from bot.settings import Settings
from bot.slack_client import CountingWebClient, SlackHttp
from bot.store import schedule, workspaces
from bot.store.db import now
from bot.store.installations import Installations

log = logging.getLogger(__name__)

BOT_SCOPES = (
    "commands",
    "chat:write",
    "chat:write.public",
    "im:write",
    "files:write",
    "files:read",
    "usergroups:read",
    "users:read",
)
"""As `oauth_config.scopes.bot` in manifest.yml (a test holds them together)."""
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
STATE_SECONDS = 600


def oauth_flow(settings: Settings, installations: Installations, http: SlackHttp) -> AsyncOAuthFlow:
    """Bolt's flow, its Web API client on SLACK_API_URL (for `oauth.v2.access`)."""
    assert settings.slack_client_id is not None and settings.slack_client_secret is not None
    redirect = f"{settings.public_url}{REDIRECT_PATH}" if settings.public_url else None
    return AsyncOAuthFlow(
        client=CountingWebClient(base_url=settings.slack_api_url, http=http),
        settings=AsyncOAuthSettings(
            client_id=settings.slack_client_id,
            client_secret=settings.slack_client_secret.get_secret_value(),
            scopes=list(BOT_SCOPES),
            user_scopes=[],
            redirect_uri=redirect,
            install_path=INSTALL_PATH,
            redirect_uri_path=REDIRECT_PATH,
            installation_store=installations,
            state_store=AsyncSQLAlchemyOAuthStateStore(
                expiration_seconds=STATE_SECONDS, engine=installations.engine
            ),
            state_expiration_seconds=STATE_SECONDS,
        ),
    )


BOLT_APP = web.AppKey("bolt_app_for_oauth", AsyncApp)


async def _bolt_request(request: web.Request) -> AsyncBoltRequest:
    return AsyncBoltRequest(
        body=(await request.read()).decode("utf-8", "replace"),
        query=request.query_string,
        headers=dict(request.headers),
    )


async def install_page(request: web.Request) -> web.StreamResponse:
    """`GET /slack/install`: the "Add to Slack" page (a fresh state, kept in a cookie too)."""
    flow = request.app[BOLT_APP].oauth_flow
    assert flow is not None
    return await to_aiohttp_response(await flow.handle_installation(await _bolt_request(request)))


async def oauth_redirect(request: web.Request) -> web.StreamResponse:
    """`GET /slack/oauth_redirect`: Slack sends the installer back here with a code and the state;
    a state this app did not issue to this browser, or one already used, is refused."""
    flow = request.app[BOLT_APP].oauth_flow
    assert flow is not None
    return await to_aiohttp_response(await flow.handle_callback(await _bolt_request(request)))


def add_routes(app: web.Application, bolt: AsyncApp) -> None:
    app[BOLT_APP] = bolt
    app.router.add_get(INSTALL_PATH, install_page)
    app.router.add_get(REDIRECT_PATH, oauth_redirect)


async def leave(services: Services, installations: Installations, team_id: str, bot_only: bool) -> None:
    """The app was uninstalled, or its tokens revoked: the tokens and the Santo credentials go at
    once, scheduled sends are cancelled; the rest is kept for SANTO_RETENTION_DAYS."""
    if bot_only:
        await installations.async_delete_bot(enterprise_id=None, team_id=team_id)
    else:
        await installations.async_delete_all(enterprise_id=None, team_id=team_id)
    await workspaces.leave(services.db, team_id, now())
    cancelled = await schedule.cancel_all(services.db, team_id, now())
    services.report_tokens.forget(team_id)
    if services.clients is not None:
        await services.clients.forget(team_id)
    log.info(
        "workspace %s left: its tokens and Santo account removed, %d scheduled sends cancelled",
        team_id,
        cancelled,
    )
