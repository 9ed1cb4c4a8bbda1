"""GET /metrics: behind METRICS_TOKEN, in Prometheus's text format, counting what the app does.

The counters belong to the process (every app a test starts adds to them): tests compare a
scrape after the work with one before it. The gauges are read from the test's own database."""

from __future__ import annotations

import re

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from bot.dev.sandbox import SandboxConfig
from tests.e2e.conftest import CHANNEL, MakeWorld, World

TOKEN = "metrics-token-5e1f"
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def scrape(world: World, token: str | None = TOKEN) -> tuple[int, str, str]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with aiohttp.ClientSession() as http, http.get(world.url + "/metrics", headers=headers) as answer:
        return answer.status, answer.headers.get("Content-Type", ""), await answer.text()


async def samples(world: World) -> Samples:
    status, _, body = await scrape(world)
    assert status == 200, body
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(body)
        for sample in family.samples
    }


def value(scraped: Samples, name: str, **labels: str) -> float:
    return scraped.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_the_route_exists_only_with_a_token_and_asks_for_it(make_world: MakeWorld) -> None:
    without = await make_world()
    assert (await scrape(without))[0] == 404
    world = await make_world(metrics_token=TOKEN)
    for token in (None, "wrong-token"):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with aiohttp.ClientSession() as http, http.get(world.url + "/metrics", headers=headers) as answer:
            assert answer.status == 401
            assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    status, content_type, body = await scrape(world)
    assert status == 200 and content_type.startswith("text/plain")
    assert "# TYPE santo_callbacks_received_total counter" in body


async def test_callbacks_slack_and_platform_calls_are_counted_without_numbers_or_users(
    make_world: MakeWorld,
) -> None:
    world = await make_world(metrics_token=TOKEN)
    before = await samples(world)
    world.standin.rate_limit("chat.update", times=1, retry_after=1)
    await world.send("send 8613910825657,8613910820402 hello")
    await world.shows("*Delivered* 1 · *Failed* 1 · *Pending* 0", within=20)
    async with aiohttp.ClientSession() as http:
        async with http.get(world.report_url + "?command=RT_REQUEST&msgid=x&da=1&sm=zz") as answer:
            assert answer.status == 400
        async with http.get(f"{world.url}/santo/reports/not-the-token?command=RT_REQUEST") as answer:
            assert answer.status == 404
    await world.quiet()
    after = await samples(world)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("santo_callbacks_received_total", shape="report") == 2
    assert grew("santo_callbacks_stored_total", shape="report") == 2
    assert grew("santo_callbacks_received_total", shape="malformed") == 1
    assert grew("santo_callbacks_refused_total", shape="malformed", reason="malformed") == 1
    assert grew("santo_callbacks_refused_total", shape="unread", reason="wrong_token") == 1
    assert grew("santo_report_commit_seconds_count") >= 1
    assert grew("santo_report_to_slack_seconds_count") >= 1
    assert grew("santo_slack_calls_total", method="chat.update", result="rate_limited") == 1
    assert grew("santo_slack_calls_total", method="chat.update", result="ok") >= 1
    assert grew("santo_slack_calls_total", method="chat.postMessage", result="ok") >= 1
    assert grew("santo_platform_requests_total", endpoint="submit", code="000") == 1
    assert grew("santo_platform_request_seconds_count", endpoint="submit") == 1
    assert value(after, "santo_sends", state="accepted") == 1
    assert value(after, "santo_numbers_awaiting_report") == 0
    assert value(after, "santo_notifier_backlog", kind="sends") == 0

    labels = {v for (name, pairs) in after if name.startswith("santo_") for _k, v in pairs}
    assert not [v for v in labels if re.search(r"\d{5}", v) or v.startswith(("U0", "T0", CHANNEL))]


async def test_the_gauges_read_the_database_at_scrape_time(make_world: MakeWorld) -> None:
    world = await make_world(SandboxConfig(report_delay=3600), metrics_token=TOKEN)
    await world.send("send 8613910825657,8613910825658 hello")
    await world.channel_message()
    scraped = await samples(world)
    assert value(scraped, "santo_numbers_awaiting_report") == 2
    assert value(scraped, "santo_sends", state="accepted") == 1
    assert value(scraped, "santo_sends", state="rejected") == 0
    [msgid] = world.sandbox.messages
    report = {"command": "RT_REQUEST", "msgid": msgid, "da": "8613910825657", "rsm": f"{msgid}|0|DELIVRD||"}
    async with aiohttp.ClientSession() as http, http.get(world.report_url, params=report) as answer:
        assert answer.status == 200
    assert value(await samples(world), "santo_numbers_awaiting_report") == 1
