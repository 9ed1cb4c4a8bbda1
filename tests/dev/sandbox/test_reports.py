"""Status reports: content, encoding, outcomes, retries, duplicates, and clean shutdown."""

from __future__ import annotations

import asyncio
import binascii
import socket

import aiohttp
import pytest
from aiohttp import web

from bot.dev.sandbox import SANDBOX_STATE, SandboxConfig, SandboxState, create_sandbox_app
from bot.dev.sandbox.config import FAILURE_CODES, NO_REPORT
from bot.dev.sandbox.uplink import report_content, report_hex
from bot.webserver import running
from tests.conftest import Serve
from tests.dev.sandbox.conftest import CN, CPID, PASSWORD, US, Callbacks, Sandbox, StartSandbox

MANUAL_HEX = "30353133353934373732646238637c307c44454c495652447c7c"


def test_manual_example_content_encodes_to_the_manuals_hex() -> None:
    content = report_content("0513594772db8c", "DELIVRD")
    assert content == "0513594772db8c|0|DELIVRD||"
    assert report_hex(content) == MANUAL_HEX
    assert report_content("0513594772db8c", "404") == "0513594772db8c|400|404||"
    assert report_content("0513594772db8c", "501") == "0513594772db8c|500|501||"


async def test_delivered_report_reaches_the_callback(
    sandbox_factory: StartSandbox, callbacks: Callbacks
) -> None:
    sandbox = await sandbox_factory(callback_url=callbacks.url)
    msgid = dict(await sandbox.submit(command="MT_REQUEST", da=CN, sm="测试"))["mtmsgid"]
    [request] = await callbacks.wait_for(1)
    raw = request.query_string
    assert [pair.split("=", 1)[0] for pair in raw.split("&")] == [
        "command",
        "msgid",
        "da",
        "dc",
        "sm",
        "rsm",
    ]
    assert raw.endswith(f"&rsm={msgid}|0|DELIVRD||")  # as printed in the manual, `|` unescaped
    query = request.query
    assert query["command"] == "RT_REQUEST"
    assert (query["msgid"], query["da"], query["dc"]) == (msgid, CN, "15")
    assert query["rsm"] == f"{msgid}|0|DELIVRD||"
    assert binascii.unhexlify(query["sm"]).decode("gbk") == query["rsm"]
    await sandbox.state.drain()
    [delivery] = sandbox.state.deliveries
    assert (delivery.msgid, delivery.da, delivery.status, delivery.attempt) == (msgid, CN, 200, 1)


async def test_callback_url_keeps_its_own_query(sandbox_factory: StartSandbox, callbacks: Callbacks) -> None:
    sandbox = await sandbox_factory(callback_url=callbacks.url + "?token=abc")
    await sandbox.submit(command="MT_REQUEST", da=CN, sm="x")
    [request] = await callbacks.wait_for(1)
    assert request.query_string.startswith("token=abc&command=RT_REQUEST&")
    assert request.query["token"] == "abc"


async def test_failure_outcomes_forced_and_by_convention(
    sandbox_factory: StartSandbox, callbacks: Callbacks
) -> None:
    forced = "8613910825658"
    sandbox = await sandbox_factory(callback_url=callbacks.url, forced={forced: "402"})
    async with sandbox.http.post(sandbox.url + "/_sandbox/force", json={"8613910825659": "501"}) as response:
        assert response.status == 200
    numbers = [forced, "8613910825659", "8613910820402", "8613910820501", "8613910820403", CN]
    msgid = dict(await sandbox.submit(command="MULTI_MT_REQUEST", da=",".join(numbers), sm="x"))["mtmsgid"]
    await callbacks.wait_for(len(numbers))
    by_number = {q["da"]: q["rsm"] for q in callbacks.queries()}
    assert by_number == {
        forced: f"{msgid}|400|402||",
        "8613910825659": f"{msgid}|500|501||",
        "8613910820402": f"{msgid}|400|402||",
        "8613910820501": f"{msgid}|500|501||",
        "8613910820403": f"{msgid}|400|403||",
        CN: f"{msgid}|0|DELIVRD||",
    }
    for query in callbacks.queries():
        assert binascii.unhexlify(query["sm"]).decode("gbk") == query["rsm"]


async def test_forced_outcome_beats_the_convention(sandbox_factory: StartSandbox) -> None:
    sandbox = await sandbox_factory(forced={"8613910820402": "DELIVRD"})
    msgid = dict(await sandbox.submit(command="MT_REQUEST", da="8613910820402", sm="x"))["mtmsgid"]
    await sandbox.state.drain()
    rows = await sandbox.json("/get-rptstatus", msgid=msgid)
    assert rows[0]["mtstat"] == "success"


async def test_number_ending_0000_is_never_reported(
    sandbox_factory: StartSandbox, callbacks: Callbacks
) -> None:
    silent = "8613910820000"
    sandbox = await sandbox_factory(callback_url=callbacks.url)
    msgid = dict(await sandbox.submit(command="MULTI_MT_REQUEST", da=f"{silent},{CN}", sm="x"))["mtmsgid"]
    await callbacks.wait_for(1)
    await sandbox.state.drain()
    await asyncio.sleep(0.1)  # well past report_delay
    assert [q["da"] for q in callbacks.queries()] == [CN]
    rows = await sandbox.json("/get-rptstatus", msgid=msgid)
    assert {row["da"]: row["mtstat"] for row in rows} == {silent: "none", CN: "success"}


async def test_callback_answering_500_is_retried(sandbox_factory: StartSandbox, callbacks: Callbacks) -> None:
    callbacks.script = [500, 503]
    sandbox = await sandbox_factory(callback_url=callbacks.url)
    await sandbox.submit(command="MT_REQUEST", da=CN, sm="x")
    await callbacks.wait_for(3)
    await sandbox.state.drain()
    assert len(callbacks.received) == 3
    assert len({r.query_string for r in callbacks.received}) == 1  # the same report each time
    assert [(d.attempt, d.status) for d in sandbox.state.deliveries] == [
        (1, 500),
        (2, 503),
        (3, 200),
    ]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_unreachable_callback_is_tried_delivery_attempts_times(
    sandbox_factory: StartSandbox,
) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/report"
    sandbox = await sandbox_factory(callback_url=url, delivery_attempts=3)
    await sandbox.submit(command="MT_REQUEST", da=CN, sm="x")
    await sandbox.state.drain()
    attempts = sandbox.state.deliveries
    assert [d.attempt for d in attempts] == [1, 2, 3]
    assert all(d.status is None and d.error for d in attempts)
    # the report exists regardless of the callback
    rows = await sandbox.json("/get-rptstatus", msgid=attempts[0].msgid)
    assert rows[0]["mtstat"] == "success"


async def test_duplicate_rate_one_delivers_every_report_twice(
    sandbox_factory: StartSandbox, callbacks: Callbacks
) -> None:
    sandbox = await sandbox_factory(callback_url=callbacks.url, duplicate_rate=1.0)
    await sandbox.submit(command="MULTI_MT_REQUEST", da=f"{CN},{US}", sm="x")
    await callbacks.wait_for(4)
    await sandbox.state.drain()
    numbers = sorted(q["da"] for q in callbacks.queries())
    assert numbers == sorted([CN, CN, US, US])
    assert sorted(d.copy for d in sandbox.state.deliveries) == [1, 1, 2, 2]


async def test_no_callback_url_means_no_delivery_but_a_report(sandbox: Sandbox) -> None:
    msgid = dict(await sandbox.submit(command="MT_REQUEST", da=CN, sm="x"))["mtmsgid"]
    await sandbox.state.drain()
    assert sandbox.state.deliveries == []
    assert (await sandbox.json("/get-rptstatus", msgid=msgid))[0]["mtstat"] == "success"


async def test_callback_url_can_change_at_run_time(sandbox: Sandbox, callbacks: Callbacks) -> None:
    sandbox.state.config.callback_url = callbacks.url
    await sandbox.submit(command="MT_REQUEST", da=CN, sm="x")
    [request] = await callbacks.wait_for(1)
    assert request.query["da"] == CN


def test_seeded_mix_is_deterministic_and_honours_rates() -> None:
    def outcomes(fail_rate: float = 0.0, no_report_rate: float = 0.0) -> list[str]:
        config = SandboxConfig(seed=7, fail_rate=fail_rate, no_report_rate=no_report_rate)
        state = SandboxState(config)
        return [state.outcome_for(f"861391082{5000 + i:04d}")[0] for i in range(200)]

    assert outcomes() == ["DELIVRD"] * 200
    all_failed = outcomes(fail_rate=1.0)
    assert set(all_failed) <= set(FAILURE_CODES)
    assert len(set(all_failed)) == len(FAILURE_CODES)  # reasons spread over 401-404, 501
    assert outcomes(no_report_rate=1.0) == [NO_REPORT] * 200
    mixed = outcomes(fail_rate=0.3, no_report_rate=0.2)
    assert mixed == outcomes(fail_rate=0.3, no_report_rate=0.2)
    failed = sum(1 for o in mixed if o in FAILURE_CODES)
    silent = mixed.count(NO_REPORT)
    assert 40 <= failed <= 80
    assert 20 <= silent <= 60
    other_seed = SandboxState(SandboxConfig(seed=8, fail_rate=0.3, no_report_rate=0.2))
    assert mixed != [other_seed.outcome_for(f"861391082{5000 + i:04d}")[0] for i in range(200)]


@pytest.mark.parametrize("mounted", [False, True])
async def test_pending_reports_are_cancelled_on_cleanup(mounted: bool) -> None:
    sandbox_app = create_sandbox_app(SandboxConfig(report_delay=30))
    state = sandbox_app[SANDBOX_STATE]
    app = sandbox_app
    prefix = ""
    if mounted:
        app = web.Application()
        app.add_subapp("/sandbox", sandbox_app)
        prefix = "/sandbox"
    params = {"command": "MT_REQUEST", "cpid": CPID, "cppwd": PASSWORD, "da": CN, "sm": "x"}
    async with running(app) as url, aiohttp.ClientSession() as http:
        async with http.get(url + prefix + "/submit", params=params) as response:
            assert "mtstat=ACCEPTD" in await response.text()
        [task] = state.tasks
        assert not task.done()
    assert task.cancelled()
    assert state.tasks == frozenset()


async def test_mounted_sandbox_serves_and_delivers(serve: Serve, callbacks: Callbacks) -> None:
    sandbox_app = create_sandbox_app(SandboxConfig(report_delay=0.05, callback_url=callbacks.url))
    parent = web.Application()
    parent.add_subapp("/sandbox", sandbox_app)
    url = await serve(parent) + "/sandbox"
    params = {"command": "MT_REQUEST", "cpid": CPID, "cppwd": PASSWORD, "da": CN, "sm": "x"}
    async with aiohttp.ClientSession() as http:
        async with http.get(url + "/submit", params=params) as response:
            body = await response.text()
        async with http.get(url + "/get-balance", params={"cpid": CPID, "cppwd": PASSWORD}) as r:
            assert await r.text() == ('{"cpid":"Test101","errcode":"000","mtstat":"ACCEPTD","balance":99.92}')
    assert "mtstat=ACCEPTD" in body
    [request] = await callbacks.wait_for(1)
    assert request.query["da"] == CN
    assert len(sandbox_app[SANDBOX_STATE].messages) == 1
