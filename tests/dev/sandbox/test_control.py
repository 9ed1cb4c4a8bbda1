"""Sandbox-only controls (/_sandbox/…), latency and configuration checks."""

from __future__ import annotations

import time

import pytest

from bot.dev.sandbox import SandboxConfig
from tests.dev.sandbox.conftest import CN, Callbacks, Sandbox, StartSandbox


async def test_state_endpoint_counts_and_hides_passwords(sandbox_factory: StartSandbox) -> None:
    sandbox = await sandbox_factory(accounts={"Acme": "S3cret-pw"})
    login = {"cpid": "Acme", "cppwd": "S3cret-pw"}
    await sandbox.submit(command="MULTI_MT_REQUEST", da=f"{CN},8613910825658", sm="x", **login)
    await sandbox.submit(command="MT_REQUEST", da=CN, sm="", **login)
    await sandbox.state.drain()
    async with sandbox.http.get(sandbox.url + "/_sandbox/state") as response:
        assert response.status == 200
        text = await response.text()
        state = await response.json()
    assert state["balances"] == {"Acme": 99.84}
    assert (state["messages"], state["recipients"], state["reports"]) == (1, 2, 2)
    assert state["rejections"] == 1
    assert state["deliveries"] == 0
    assert state["pending_tasks"] == 0
    assert "S3cret-pw" not in text


async def test_force_endpoint_sets_validates_and_clears(sandbox: Sandbox, callbacks: Callbacks) -> None:
    sandbox.state.config.callback_url = callbacks.url
    url = sandbox.url + "/_sandbox/force"
    async with sandbox.http.post(url, json={CN: "403"}) as response:
        assert response.status == 200
        assert await response.json() == {"forced": {CN: "403"}}
    for bad in ({CN: "999"}, {"+86139": "401"}, ["not", "an", "object"], {CN: 5}):
        async with sandbox.http.post(url, json=bad) as response:
            assert response.status == 400
    assert sandbox.state.config.forced == {CN: "403"}
    msgid = dict(await sandbox.submit(command="MT_REQUEST", da=CN, sm="x"))["mtmsgid"]
    [request] = await callbacks.wait_for(1)
    assert request.query["rsm"] == f"{msgid}|400|403||"
    async with sandbox.http.post(url, json={CN: None}) as response:
        assert await response.json() == {"forced": {}}


async def test_callback_endpoint_sets_the_url(sandbox: Sandbox, callbacks: Callbacks) -> None:
    url = sandbox.url + "/_sandbox/callback"
    async with sandbox.http.post(url, json={"url": "ftp://nowhere"}) as response:
        assert response.status == 400
    async with sandbox.http.post(url, json={"url": callbacks.url}) as response:
        assert response.status == 200
    await sandbox.submit(command="MT_REQUEST", da=CN, sm="x")
    [request] = await callbacks.wait_for(1)
    assert request.query["command"] == "RT_REQUEST"


async def test_latency_is_added_to_every_request(sandbox_factory: StartSandbox) -> None:
    sandbox = await sandbox_factory(latency=0.3)
    started = time.monotonic()
    await sandbox.balance()
    assert time.monotonic() - started >= 0.3


@pytest.mark.parametrize(
    "settings",
    [
        {"fail_rate": 1.5},
        {"fail_rate": 0.6, "no_report_rate": 0.6},
        {"latency": -1.0},
        {"accounts": {}},
        {"delivery_attempts": 0},
        {"forced": {CN: "maybe"}},
        {"forced": {"+" + CN: "401"}},
    ],
)
def test_config_rejects_nonsense(settings: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        SandboxConfig(**settings)  # type: ignore[arg-type]


def test_config_normalises_forced_outcomes() -> None:
    config = SandboxConfig(forced={CN: "delivrd", "8613910825658": "NONE"})
    assert config.forced == {CN: "DELIVRD", "8613910825658": "none"}
