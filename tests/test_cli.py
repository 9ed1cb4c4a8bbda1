"""`python -m bot check` and `migrate` as a user runs them."""

import asyncio
import os
import sys

from bot.dev.slack_standin import SlackStandIn
from tests.conftest import Serve


async def run(*args: str, env: dict[str, str]) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        env=os.environ | env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    return process.returncode or 0, out.decode()


async def test_check_reaches_slack_and_prints_the_callback_url(serve: Serve, database_url: str) -> None:
    standin = SlackStandIn(token="xoxb-check")
    standin.base_url = await serve(standin.app())
    env = {
        "SLACK_BOT_TOKEN": "xoxb-check",
        "SLACK_SIGNING_SECRET": "check-signing-secret",
        "SLACK_API_URL": standin.api_url(),
        "SANTO_SANDBOX": "true",
        "DATABASE_URL": database_url,
        "SANTO_REPORT_TOKEN": "tok-123",
        "PUBLIC_URL": "https://sms.example.com",
    }
    code, out = await run("migrate", env=env)
    assert code == 0 and "up to date" in out
    code, out = await run("check", env=env)
    assert code == 0, out
    assert "slack: connected to" in out
    assert "https://sms.example.com/santo/reports/tok-123" in out
    assert "ok   workflow steps (add them in Workflow Builder; paid Slack plans only):" in out
    assert (
        "send_sms (Send an SMS): recipients, message, [sender_id], [report_channel]"
        " → msgid, numbers_sent, numbers_refused" in out
    )
    assert "delivery_status (Get SMS delivery status): msgid → delivered, failed, pending" in out


async def test_check_fails_clearly_when_things_are_missing(database_url: str) -> None:
    env = {
        "SANTO_CPID": "Acme",
        "SANTO_CPPWD": "pw-cli-77x",
        "SANTO_BASE_URL": "http://127.0.0.1:9",
        "DATABASE_URL": database_url,
    }
    code, out = await run("check", env=env)
    assert code == 1
    assert "FAIL platform: the platform did not answer" in out
    assert "FAIL slack: SLACK_BOT_TOKEN is not set" in out
    assert "FAIL reports: SANTO_REPORT_TOKEN is not set" in out
    assert "pw-cli-77x" not in out


async def test_malformed_settings_exit_2_with_one_clear_message() -> None:
    code, out = await run(
        "serve", env={"PORT": "eighty", "SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}
    )
    assert code == 2
    assert "PORT" in out and "whole number" in out
    assert "Traceback" not in out
