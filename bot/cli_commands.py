"""The CLI's commands besides the sandbox: serve, migrate, check."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.money import money
from bot.i18n import TEXTS, Language
from bot.logs import configure_logging
from bot.santo.client import SantoClient
from bot.santo.errors import SantoError
from bot.sending.low_balance import CHECK_EVERY
from bot.settings import Settings, SettingsError, load_settings
from bot.store import workspaces
from bot.store.db import Database
from bot.store.sealed import SecretBox
from bot.views.workflow_steps import STEPS, Parameter, Step
from bot.web import REQUESTS, create_web_app, santo_config
from bot.webserver import running

log = logging.getLogger(__name__)


async def serve(_args: argparse.Namespace) -> int:
    """The web process: serve on $PORT until SIGTERM or Ctrl-C, then shut down gracefully."""
    settings = load_settings()
    configure_logging(settings.log_format)
    app = create_web_app(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with running(app, host="0.0.0.0", port=settings.port, shutdown_timeout=REQUESTS):
        log.info("serving on port %d", settings.port)
        await stop.wait()
        log.info("shutting down: finishing work in flight")
    return 0


async def migrate(_args: argparse.Namespace) -> int:
    settings = load_settings()
    configure_logging(settings.log_format)
    db = Database(settings.sqlalchemy_url)
    try:
        await db.migrate()
    finally:
        await db.close()
    print("database schema is up to date")
    return 0


async def check(_args: argparse.Namespace) -> int:
    """Validate settings, reach the platform and Slack, print the callback URL to register (one
    workspace); or say how many workspaces are installed and connected (many)."""
    settings = load_settings()
    configure_logging(settings.log_format)
    problems = 0

    def line(ok: bool, text: str) -> None:
        nonlocal problems
        problems += 0 if ok else 1
        print(("ok   " if ok else "FAIL ") + text)

    try:
        settings.check_mode()
    except SettingsError as exc:
        line(False, f"settings: {exc}")

    db = Database(settings.sqlalchemy_url)
    reachable = await db.ping()
    line(reachable, f"database: {settings.database_url.split('@')[-1]}")
    line(*alert_line(settings))
    line(True, "workflow steps (add them in Workflow Builder; paid Slack plans only):")
    for step in STEPS:
        print(f"     {step_line(step)}")
    line(True, digest_line(settings))
    if settings.distributed:
        line(
            True,
            "mode: one deployment for many workspaces (SLACK_CLIENT_ID); each connects its own Santo account",
        )
        if reachable:
            installed, connected = await workspaces.counts(db)
            line(True, f"workspaces: {installed} installed, {connected} with a Santo account connected")
        base = settings.public_url or "https://<your-app-host>"
        print(f"     Add to Slack: {base}/slack/install; OAuth redirect URL: {base}/slack/oauth_redirect")
        await db.close()
        return 1 if problems else 0
    await db.close()
    line(True, "mode: one workspace (SLACK_BOT_TOKEN) with the deployment's Santo account")
    if settings.santo_sandbox:
        line(True, "platform: the built-in sandbox (SANTO_SANDBOX=true)")
    else:
        async with SantoClient(santo_config(settings)) as santo:
            try:
                balance = await santo.balance()
                line(True, f"platform: {settings.santo_base_url} answers; balance ¥{balance.amount}")
            except SantoError as exc:
                line(False, f"platform: {exc}")
    if settings.slack_bot_token:
        token = settings.slack_bot_token.get_secret_value()
        client = AsyncWebClient(token=token, base_url=settings.slack_api_url)
        try:
            auth = await client.auth_test()
            line(True, f"slack: connected to {auth.get('team')} as {auth.get('user')}")
        except SlackApiError as exc:
            line(False, f"slack: {exc.response.get('error')}")
    else:
        line(False, "slack: SLACK_BOT_TOKEN is not set")
    report_token = settings.santo_report_token
    if report_token is None:
        line(False, "reports: SANTO_REPORT_TOKEN is not set, so the platform cannot deliver reports")
    else:
        base = settings.public_url or "https://<your-app-host>"
        line(True, "reports: give the platform this callback URL (keep it secret):")
        print(f"     {base}/santo/reports/{report_token.get_secret_value()}")
    return 1 if problems else 0


async def rotate_secrets(_args: argparse.Namespace) -> int:
    """Seal every workspace's Santo password again with the newest key of SANTO_SECRETS_KEY."""
    settings = load_settings()
    configure_logging(settings.log_format)
    settings.check_mode()
    if settings.santo_secrets_key is None:
        print("SANTO_SECRETS_KEY is not set: there are no sealed secrets to rotate")
        return 1
    db = Database(settings.sqlalchemy_url)
    try:
        done = await workspaces.reseal_all(db, SecretBox(settings.santo_secrets_key.get_secret_value()))
    finally:
        await db.close()
    print(f"{done} workspace passwords sealed with the newest key; the older keys may now be removed")
    return 0


def digest_line(settings: Settings) -> str:
    """Whether the weekly digest is on, and where and when it goes."""
    if not settings.santo_digest_channel:
        return "digest: off (set SANTO_DIGEST_CHANNEL to post last week's figures and chart every Monday)"
    return (
        f"digest: last week's figures and chart to {settings.santo_digest_channel}, "
        f"Mondays 09:00 {settings.santo_digest_timezone}"
    )


def step_line(step: Step) -> str:
    """`send_sms (Send an SMS): recipients, message, [sender_id], … → msgid, …`; [optional]."""

    def names(parameters: tuple[Parameter, ...]) -> str:
        return ", ".join(name.value if required else f"[{name.value}]" for name, _, required in parameters)

    title = step.title(TEXTS[Language.EN])
    return f"{step.id.value} ({title}): {names(step.inputs)} → {names(step.outputs)}"


def alert_line(settings: Settings) -> tuple[bool, str]:
    """Whether the low-balance alert is on, below what, and where it goes."""
    threshold = settings.santo_low_balance
    if threshold is None:
        return True, "low-balance alert: off (SANTO_LOW_BALANCE is not set)"
    if settings.santo_alert_channel:
        where = f"in {settings.santo_alert_channel} (SANTO_ALERT_CHANNEL)"
    elif settings.sms_admins:
        where = f"to the DMs of the admins {', '.join(settings.sms_admins)} (SMS_ADMINS)"
    elif settings.distributed:
        where = "to the DM of whoever connected each workspace's Santo account"
    else:
        return False, (
            f"low-balance alert: on below {money(threshold)}, but it has nowhere to go: "
            "set SANTO_ALERT_CHANNEL or SMS_ADMINS"
        )
    every = int(CHECK_EVERY // 60)
    return True, (
        f"low-balance alert: on below {money(threshold)}, posted {where}; "
        f"the balance is also checked every {every} min"
    )
