"""Slack's answers kept per process: people's names (for "Send as SMS")."""

import asyncio

from aiohttp import web
from slack_sdk.web.async_client import AsyncWebClient

from bot.dev.slack_standin import SlackStandIn
from bot.domain.plain_text import to_plain_text
from bot.slack_cache import UserNames
from tests.conftest import Serve


async def test_names_come_from_users_info_once(serve: Serve) -> None:
    standin = SlackStandIn()
    standin.base_url = await serve(standin.app())
    client = AsyncWebClient(token=standin.token, base_url=standin.api_url())
    names = UserNames()
    found = await names.lookup(client, ["U0ALICE", "U0BOB", "U0NOBODY", "U0ALICE"])
    assert found == {"U0ALICE": "alice", "U0BOB": "bob"}
    assert len(standin.calls_to("users.info")) == 3
    again = await names.lookup(client, ["U0BOB"])
    assert again == {"U0BOB": "bob"}
    assert len(standin.calls_to("users.info")) == 3  # cached
    assert to_plain_text("hi <@U0ALICE> and <@U0NOBODY>", found) == "hi @alice and @U0NOBODY"


async def test_a_slow_slack_costs_names_not_the_modal(serve: Serve) -> None:
    async def slow(_request: web.Request) -> web.Response:
        await asyncio.sleep(5)
        return web.json_response({"ok": True, "user": {"name": "late"}})

    app = web.Application()
    app.router.add_post("/api/users.info", slow)
    url = await serve(app)
    client = AsyncWebClient(token="xoxb-x", base_url=url + "/api/")
    assert await UserNames().lookup(client, ["U1", "U2"], timeout=0.2) == {}
