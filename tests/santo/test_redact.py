"""No password in any log record: the sandbox's own log and aiohttp's access log."""

from __future__ import annotations

import logging

import aiohttp
import pytest

from bot.dev.sandbox import SandboxConfig, create_sandbox_app
from bot.santo.redact import mask_passwords, mask_secrets
from bot.webserver import running
from tests.dev.sandbox.conftest import CN

SECRET = "S3cr3t-Pa55"
WRONG = "Wr0ng-Guess"


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("/submit?cpid=A&cppwd=abc&da=1", "/submit?cpid=A&cppwd=***&da=1"),
        ("/get-balance?cpid=A&cppwd=a%26b", "/get-balance?cpid=A&cppwd=***"),
        ('"GET /x?CPPWD=abc HTTP/1.1"', '"GET /x?CPPWD=*** HTTP/1.1"'),
        ("/x?cpid=A", "/x?cpid=A"),
    ],
)
def test_mask_passwords(raw: str, masked: str) -> None:
    assert mask_passwords(raw) == masked


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("GET /santo/reports/tok3n?msgid=1 HTTP/1.1", "GET /santo/reports/***?msgid=1 HTTP/1.1"),
        ("bytearray(b'/santo/reports/tok3n')", "bytearray(b'/santo/reports/***')"),
        ("/santo/reports/tok3n/x&cppwd=pw", "/santo/reports/***/x&cppwd=***"),
        ("/santo/other/tok3n", "/santo/other/tok3n"),
        ("token xoxb-12-34-aBc and xapp-1-A-2", "token xoxb-*** and xapp-***"),
    ],
)
def test_mask_secrets(raw: str, masked: str) -> None:
    assert mask_secrets(raw) == masked


def _texts(record: logging.LogRecord) -> list[str]:
    texts = [record.getMessage()]
    texts += [str(value) for value in vars(record).values() if isinstance(value, str | dict)]
    return texts


async def test_password_never_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    app = create_sandbox_app(SandboxConfig(accounts={"Acme": SECRET}, report_delay=0.01))
    login = {"cpid": "Acme", "cppwd": SECRET}
    async with running(app) as url, aiohttp.ClientSession() as http:
        calls = [
            ("/submit", {**login, "command": "MT_REQUEST", "da": CN, "sm": "hi"}),
            ("/submit", {**login, "command": "MT_REQUEST", "da": "bad", "sm": "hi"}),
            ("/submit", {"cpid": "Acme", "cppwd": WRONG, "command": "MT_REQUEST", "da": CN}),
            ("/get-balance", login),
            ("/get-balance", {"cpid": "Acme", "cppwd": WRONG}),
            ("/get-pricing", {**login, "countryCode": "CN"}),
            ("/verifyPhoneNumber", {**login, "da": CN}),
            ("/get-rptstatus", {**login, "msgid": "1"}),
            ("/no-such-path", login),
        ]
        for path, params in calls:
            async with http.get(url + path, params=params) as response:
                await response.read()
    # the server has finished (access log lines are written after each response)
    assert caplog.records
    for record in caplog.records:
        for text in _texts(record):
            assert SECRET not in text, record
            assert WRONG not in text, record
    masked = [r for r in caplog.records if "cppwd=***" in r.getMessage()]
    assert {r.name for r in masked} >= {"bot.dev.sandbox", "aiohttp.access"}
    assert len([r for r in masked if r.name == "bot.dev.sandbox"]) == len(calls)
