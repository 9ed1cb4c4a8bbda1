"""The platform's endpoints by POST (form body) as well as GET, and under a path prefix."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import pytest

from bot.dev.sandbox import SandboxConfig
from tests.dev.sandbox.conftest import CN, CPID, PASSWORD, StartSandbox

AUTH = {"cpid": CPID, "cppwd": PASSWORD}


async def test_every_endpoint_answers_a_post_form_like_a_get(sandbox_factory: StartSandbox) -> None:
    sandbox = await sandbox_factory()
    form = {"command": "MT_REQUEST", **AUTH, "da": CN, "sm": "测试 & more"}
    async with sandbox.http.post(sandbox.url + "/submit", data=form) as response:
        assert response.status == 200
        answer = dict(parse_qsl(await response.text()))
    assert (answer["command"], answer["mtstat"]) == ("MT_RESPONSE", "ACCEPTD")
    assert sandbox.state.messages[answer["mtmsgid"]].text == "测试 & more"
    await sandbox.state.drain()
    for path, extra in [
        ("/get-balance", {}),
        ("/verifyPhoneNumber", {"da": CN}),
        ("/get-pricing", {"countryCode": "CN"}),
        ("/get-rptstatus", {"msgid": answer["mtmsgid"]}),
    ]:
        async with sandbox.http.post(sandbox.url + path, data={**AUTH, **extra}) as posted:
            by_post = await posted.text()
        assert posted.status == 200
        assert by_post == await sandbox.get(path, **AUTH, **extra), path
    assert '"mtstat":"success"' in by_post


async def test_a_post_body_wins_over_the_query(sandbox_factory: StartSandbox) -> None:
    sandbox = await sandbox_factory()
    url = sandbox.url + "/get-balance?cpid=Test101&cppwd=wrong"
    async with sandbox.http.post(url, data={"cppwd": PASSWORD}) as response:
        assert '"errcode":"000"' in await response.text()


async def test_a_prefix_serves_every_platform_path_under_it(sandbox_factory: StartSandbox) -> None:
    sandbox = await sandbox_factory(path_prefix="/http")
    for method in ("GET", "POST"):
        async with sandbox.http.request(method, sandbox.url + "/http/get-balance", params=AUTH) as response:
            assert response.status == 200
            assert '"balance":100.00' in await response.text()
    async with sandbox.http.get(
        sandbox.url + "/http/submit", params={"command": "MT_REQUEST", **AUTH, "da": CN, "sm": "x"}
    ) as response:
        assert "mtstat=ACCEPTD" in await response.text()
    async with sandbox.http.get(sandbox.url + "/get-balance", params=AUTH) as response:
        assert response.status == 404  # only under the prefix
    async with sandbox.http.get(sandbox.url + "/_sandbox/state") as response:
        assert response.status == 200  # the sandbox's own controls stay where they are


@pytest.mark.parametrize(
    "settings",
    [
        {"path_prefix": "http"},
        {"path_prefix": "/http/"},
        {"report_shape": "fancy"},
        {"inbound_shape": "both"},
    ],
)
def test_bad_prefixes_and_shapes_are_refused(settings: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=next(iter(settings))):
        SandboxConfig(**settings)
