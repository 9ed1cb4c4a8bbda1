"""`python -m bot check` and `migrate` as a user runs them."""

import asyncio
import os
import sys

from cryptography.fernet import Fernet

from bot.dev.slack_standin import SlackStandIn
from bot.settings import load_settings
from bot.store import workspaces
from bot.store.db import Database, now
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
        "SANTO_LOW_BALANCE": "25",
        "SMS_ADMINS": "U0BOB",
        "DATABASE_URL": database_url,
        "SANTO_REPORT_TOKEN": "tok-123",
        "PUBLIC_URL": "https://sms.example.com",
        "SANTO_DIGEST_CHANNEL": "sms-stats",
        "SANTO_DIGEST_TIMEZONE": "Asia/Shanghai",
    }
    code, out = await run("migrate", env=env)
    assert code == 0 and "up to date" in out
    code, out = await run("check", env=env)
    assert code == 0, out
    assert "slack: connected to" in out
    assert (
        "ok   low-balance alert: on below ¥25.00, posted to the DMs of the admins U0BOB (SMS_ADMINS); "
        "the balance is also checked every 15 min" in out
    )
    assert "https://sms.example.com/santo/reports/tok-123" in out
    assert "ok   workflow steps (add them in Workflow Builder; paid Slack plans only):" in out
    assert (
        "send_sms (Send an SMS): recipients, message, [sender_id], [report_channel]"
        " → msgid, numbers_sent, numbers_refused" in out
    )
    assert "delivery_status (Get SMS delivery status): msgid → delivered, failed, pending" in out
    assert "ok   digest: last week's figures and chart to #sms-stats, Mondays 09:00 Asia/Shanghai" in out


async def test_check_fails_clearly_when_things_are_missing(database_url: str) -> None:
    env = {
        "SANTO_CPID": "Acme",
        "SANTO_CPPWD": "pw-cli-77x",
        "SANTO_BASE_URL": "http://127.0.0.1:9",
        "DATABASE_URL": database_url,
        "SANTO_LOW_BALANCE": "5",
    }
    code, out = await run("check", env=env)
    assert code == 1
    assert (
        "FAIL low-balance alert: on below ¥5.00, but it has nowhere to go: "
        "set SANTO_ALERT_CHANNEL or SMS_ADMINS" in out
    )
    assert "FAIL platform: the platform did not answer" in out
    assert "FAIL slack: SLACK_BOT_TOKEN is not set" in out
    assert "FAIL reports: SANTO_REPORT_TOKEN is not set" in out
    assert "ok   digest: off (set SANTO_DIGEST_CHANNEL" in out
    assert "pw-cli-77x" not in out


async def test_malformed_settings_exit_2_with_one_clear_message() -> None:
    code, out = await run(
        "serve", env={"PORT": "eighty", "SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}
    )
    assert code == 2
    assert "PORT" in out and "whole number" in out
    assert "Traceback" not in out


async def test_an_unknown_digest_timezone_is_a_clear_settings_error() -> None:
    env = {"SANTO_DIGEST_CHANNEL": "#sms-stats", "SANTO_DIGEST_TIMEZONE": "Europe/Atlantis"}
    code, out = await run("check", env=env)
    assert code == 2
    assert "SANTO_DIGEST_TIMEZONE: unknown timezone (should be an IANA timezone name" in out
    assert "Traceback" not in out


async def test_check_says_many_workspaces_and_how_many_are_installed_and_connected(database_url: str) -> None:
    env = {
        "SLACK_CLIENT_ID": "1111.2222",
        "SLACK_CLIENT_SECRET": "cli-client-secret",
        "SLACK_SIGNING_SECRET": "check-signing-secret",
        "SANTO_SECRETS_KEY": Fernet.generate_key().decode(),
        "DATABASE_URL": database_url,
        "PUBLIC_URL": "https://sms.example.com",
    }
    code, out = await run("migrate", env=env)
    assert code == 0, out
    db = Database(load_settings(database_url=database_url).sqlalchemy_url)
    for team in ("T0ONE", "T0TWO"):
        await workspaces.install(db, team, "U0INSTALLER", now())
    await workspaces.connect(
        db, "T0TWO", workspaces.SantoAccount("Acme", "sealed", "https://api2.santo.cc"), "U0", now()
    )
    await db.close()
    code, out = await run("check", env=env)
    assert code == 0, out
    assert "mode: one deployment for many workspaces" in out
    assert "ok   low-balance alert: off (SANTO_LOW_BALANCE is not set)" in out
    assert "workspaces: 2 installed, 1 with a Santo account connected" in out
    assert (
        "https://sms.example.com/slack/install" in out
        and "https://sms.example.com/slack/oauth_redirect" in out
    )
    code, out = await run("check", env=env | {"SLACK_BOT_TOKEN": "xoxb-both"})
    assert code == 1 and "FAIL settings" in out and "SLACK_BOT_TOKEN" in out
