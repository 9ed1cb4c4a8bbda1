"""The web process's edges: Slack signatures, health and readiness."""

import time
from urllib.parse import urlencode

import aiohttp

from tests.e2e.conftest import World


async def get(url: str) -> tuple[int, object]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, await response.json()


async def test_healthz_says_it_serves_readyz_what_it_checked_until_shutdown(world: World) -> None:
    assert await get(world.url + "/healthz") == (200, {"ok": True})
    loops = {"report-writer": "ok", "notifier": "ok", "reconciler": "ok", "scheduler": "ok"}
    assert await get(world.url + "/readyz") == (
        200,
        {"ready": True, "failed": [], "checks": {"database": "ok", **loops}},
    )
    world.services.stopping.set()  # what a shutdown sets first: the loops end their round
    status, body = await get(world.url + "/readyz")
    assert status == 503 and isinstance(body, dict)
    assert "process" in body["failed"] and body["checks"]["process"] == "shutting down"
    assert await get(world.url + "/healthz") == (503, {"ok": False})


async def test_unsigned_bad_and_stale_requests_get_401_and_do_nothing(world: World) -> None:
    body = urlencode({"command": "/sms", "text": "balance", "user_id": "U0ALICE", "channel_id": "C0GENERAL"})
    status, _ = await world.slack.post(body, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 401
    bad = world.slack.signed_headers(body) | {"X-Slack-Signature": "v0=" + "0" * 64}
    assert (await world.slack.post(body, headers=bad))[0] == 401
    stale = world.slack.signed_headers(body, timestamp=int(time.time()) - 6 * 60)
    assert (await world.slack.post(body, headers=stale))[0] == 401
    assert not world.standin.responses and not world.sandbox.messages


async def test_a_command_is_acknowledged_before_the_platform_answers(world: World) -> None:
    world.sandbox.config.latency = 1.0
    status, body = await world.slack.command("balance")
    assert (status, body) == (200, "")
    assert not world.standin.responses  # the answer comes later, through response_url
    await world.standin.wait_for(lambda: bool(world.standin.responses), what="the balance answer")
    assert "¥100.00" in world.standin.responses[0].text


async def test_an_unexpected_failure_reaches_the_user_as_a_plain_apology(world: World) -> None:
    world.standin.fail("views.open", times=1, status=500)
    answer = await world.command("")
    assert "Sorry, something went wrong on our side (reference `" in answer.text
    assert "Traceback" not in answer.text and "SlackApiError" not in answer.text
