"""`python -m bot console`: the real app, the sandbox platform and SQLite, with a terminal as Slack.

One process on loopback: `SlackStandIn` (the Slack Web API the app calls), the sandbox platform
(its reports go to the app's `/santo/reports/<token>`) and the web app `serve` runs, built by
`create_web_app` from settings given here (the environment and `.env` are not read). The session
itself — Slack's part, in the user's language — is `bot.dev.console.session`.

This module is the process around it, for whoever runs it: arguments, starting and stopping, and
what it says about them (the banner with the addresses, why it cannot start), in English.

Input comes from the terminal, from `--script FILE`, or from a non-terminal stdin.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import secrets
import signal
import sys
import tempfile
from collections.abc import Callable
from contextlib import AsyncExitStack
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from alembic.util.exc import CommandError
from sqlalchemy.exc import SQLAlchemyError

from bot.dev.console.files import DEFAULT_FOLDER, SavedFiles, shown_path
from bot.dev.console.seat import SETTLE_LIMIT
from bot.dev.console.session import Console
from bot.dev.console.terminal import Inbox, Screen, configure_logging, read_pipe, read_terminal
from bot.dev.console.world import CHANNEL_NAME, World, find_channel, find_user
from bot.dev.sandbox import SANDBOX_STATE, SandboxConfig, create_sandbox_app
from bot.dev.sandbox.cli import add_platform_arguments, config_from_args
from bot.dev.sandbox.config import DEFAULT_CPID
from bot.dev.slack_requests import SlackRequests
from bot.dev.slack_standin import SlackStandIn
from bot.i18n import TEXTS, Language
from bot.services import SERVICES
from bot.settings import Settings
from bot.views.workflow_steps import manifest_functions
from bot.web import create_web_app
from bot.webserver import running

BOT_TOKEN = "xoxb-console"
DEFAULT_CHANNEL = "general"
DEFAULT_USER = "alice"
INBOX_CHANNEL = "ops"
"""Where texts from phones that answer no send are shown (SANTO_INBOX_CHANNEL)."""
LOW_BALANCE = Decimal(10)
"""Below this the app alerts `#ops` (SANTO_LOW_BALANCE, SANTO_ALERT_CHANNEL): try `--balance 5`."""
RECONCILE_EVERY = timedelta(seconds=2)
POLL_AFTER = timedelta(seconds=15)
_USER_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")
_BOLT_ENVIRONMENT = (
    "SLACK_CLIENT_ID",  # with SLACK_CLIENT_SECRET, Bolt would start an OAuth flow
    "SLACK_CLIENT_SECRET",
    "SLACK_VERIFICATION_TOKEN",
    "HTTPS_PROXY",  # slack_sdk would send loopback calls through a proxy
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
)


# --------------------------------------------------------------------------- arguments


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r}: a port from 1 to 65535, or 0 for any free one")
    return port


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value < 10**7:
        raise argparse.ArgumentTypeError(f"{text!r}: a number of seconds above 0")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--channel", default=DEFAULT_CHANNEL, help="channel you start in (%(default)s)")
    parser.add_argument(
        "--user", default=DEFAULT_USER, help="who you are: alice, bob or a new name (%(default)s)"
    )
    parser.add_argument(
        "--admin",
        action="store_true",
        help="make you an admin (SMS_ADMINS): audit, approvals, caps, the Home tab's health",
    )
    parser.add_argument(
        "--locale",
        help="your Slack language, e.g. zh-CN for the app and the console in Chinese "
        "(default: the user's own; wei is zh-CN)",
    )
    parser.add_argument(
        "--database",
        metavar="FILE",
        help="SQLite file to keep (default: a new one in a temporary folder, removed at exit)",
    )
    parser.add_argument(
        "--script",
        metavar="FILE",
        help="run the lines of FILE (commands and answers to form prompts), then exit once the app is idle",
    )
    parser.add_argument(
        "--files",
        metavar="FOLDER",
        default=str(DEFAULT_FOLDER),
        help="where files the app uploads to Slack (downloads, charts) are saved (%(default)s)",
    )
    parser.add_argument("--port", type=_port, default=0, help="the app's port (default: any free one)")
    parser.add_argument("--slack-port", type=_port, default=0, help="the Slack stand-in's port (any)")
    parser.add_argument("--sandbox-port", type=_port, default=0, help="the sandbox platform's port (any)")
    add_platform_arguments(parser)
    parser.add_argument(
        "--give-up-after",
        type=_seconds,
        default=60.0,
        help="seconds before a number without a report shows as No report (%(default)s)",
    )
    parser.add_argument("--log-file", metavar="FILE", help="write the app's full log here")


def console_settings(**values: Any) -> Settings:
    """Settings from the documented defaults and `values` only: the environment is not read."""
    base = {name: info.default for name, info in Settings.model_fields.items()}
    return Settings(_env_file=None, **(base | values))


# --------------------------------------------------------------------------- the world


async def assemble(stack: AsyncExitStack, args: argparse.Namespace, config: SandboxConfig) -> World:
    """Start the stand-in, the sandbox and the app on loopback; the migrations run first."""
    if args.database:
        database = _absolute(args.database)
    else:
        folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="santo-console-"))
        database = Path(folder) / "console.db"
    standin = SlackStandIn(token=BOT_TOKEN, functions=manifest_functions(TEXTS[Language.EN]))
    standin.base_url = await stack.enter_async_context(running(standin.app(), port=args.slack_port))
    sandbox_app = create_sandbox_app(config)
    sandbox_url = await stack.enter_async_context(running(sandbox_app, port=args.sandbox_port))
    sandbox = sandbox_app[SANDBOX_STATE]
    cpid = DEFAULT_CPID if DEFAULT_CPID in config.accounts else next(iter(config.accounts))
    signing_secret = secrets.token_hex(16)
    report_token = secrets.token_urlsafe(18)
    user = find_user(standin, args.user, args.locale)
    settings = console_settings(
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=signing_secret,
        slack_api_url=standin.api_url(),
        santo_base_url=sandbox_url,
        santo_cpid=cpid,
        santo_cppwd=config.accounts[cpid],
        santo_report_token=report_token,
        database_url=f"sqlite:///{database}",
        report_reconcile_every=RECONCILE_EVERY,
        report_poll_after=POLL_AFTER,
        report_give_up_after=timedelta(seconds=args.give_up_after),
        santo_inbox_channel=find_channel(standin, INBOX_CHANNEL),
        santo_low_balance=LOW_BALANCE,
        santo_alert_channel=find_channel(standin, INBOX_CHANNEL),
        sms_admins=[user] if args.admin else [],
    )
    web_app = create_web_app(settings)
    services = web_app[SERVICES]
    await services.db.migrate()
    app_url = await stack.enter_async_context(running(web_app, port=args.port))
    sandbox.config.callback_url = f"{app_url}/santo/reports/{report_token}"
    slack = SlackRequests(app_url, signing_secret, standin)
    stack.push_async_callback(slack.close)
    return World(standin, slack, services, sandbox, app_url, sandbox_url, database, user)


# --------------------------------------------------------------------------- main


def _absolute(path: str) -> Path:
    return Path(path).expanduser().resolve()


def _read_lines(path: str) -> list[str]:
    return Path(path).read_text(encoding="utf-8").splitlines()


def _check_args(args: argparse.Namespace) -> str | None:
    """What is wrong with the arguments, in words (and names made canonical)."""
    if args.database and not _absolute(args.database).parent.is_dir():
        return f"--database {args.database}: its folder does not exist"
    files = _absolute(args.files)
    if files.exists() and not files.is_dir():
        return f"--files {args.files}: not a folder"
    channel = str(args.channel).lstrip("#").lower()
    user = str(args.user).lstrip("@").lower()
    if not CHANNEL_NAME.match(channel):
        return f"--channel {args.channel!r}: use lower-case letters, digits, - and _"
    if not _USER_NAME.match(user):
        return f"--user {args.user!r}: use lower-case letters, digits, ., - and _"
    args.channel, args.user = channel, user
    return None


async def main(args: argparse.Namespace) -> int:
    try:
        config = config_from_args(args)
    except ValueError as exc:
        print(f"console: {exc}", file=sys.stderr)
        return 2
    if (problem := await asyncio.to_thread(_check_args, args)) is not None:
        print(f"console: {problem}", file=sys.stderr)
        return 2
    script: list[str] | None = None
    if args.script:
        try:
            script = await asyncio.to_thread(_read_lines, args.script)
        except (OSError, UnicodeDecodeError) as exc:
            print(f"console: cannot read the script {args.script}: {exc}", file=sys.stderr)
            return 2
    terminal = script is None and sys.stdin.isatty()
    screen = Screen(sys.stdout, live=terminal and sys.stdout.isatty())
    try:
        configure_logging(screen, args.log_file)
    except OSError as exc:
        print(f"console: cannot write the log file: {exc}", file=sys.stderr)
        return 2
    for name in _BOLT_ENVIRONMENT:
        os.environ.pop(name, None)

    inbox = Inbox()
    loop = asyncio.get_running_loop()
    handled: list[signal.Signals] = []
    for sig, stop in ((signal.SIGINT, False), (signal.SIGTERM, True)):
        try:
            loop.add_signal_handler(sig, inbox.signal, stop)
        except (NotImplementedError, RuntimeError):  # Windows: Ctrl-C raises KeyboardInterrupt
            continue
        handled.append(sig)
    stop_reading: Callable[[], None] = lambda: None  # noqa: E731
    try:
        async with AsyncExitStack() as stack:
            try:
                world = await assemble(stack, args, config)
            except OSError as exc:
                print(f"console: cannot start on loopback: {exc}", file=sys.stderr)
                return 1
            except (SQLAlchemyError, CommandError) as exc:
                reason = str(exc).splitlines()[0]
                print(f"console: cannot use the database {args.database}: {reason}", file=sys.stderr)
                return 1
            standin = world.standin
            files = SavedFiles(Path(args.files))
            console = Console(
                world,
                screen,
                inbox,
                scripted=not terminal,
                channel=find_channel(standin, args.channel),
                user=world.user,
                files=files,
            )
            standin.add_listener(console.feed.on_call)
            standin.add_listener(console.workflows.on_call)
            screen.show(
                f"Santo for Slack console: app {world.app_url} (Slack events at /slack/events), "
                f"Slack stand-in {standin.base_url}, sandbox platform {world.sandbox_url} "
                f"(account {world.services.settings.santo_cpid}, reports after {config.report_delay:g} s), "
                f"database {world.database}; files the app uploads are saved in "
                f"{shown_path(files.folder)}{os.sep}"
            )
            console.welcome()
            if script is not None:
                for line in script:
                    inbox.push(line)
                inbox.push(None)
            else:
                try:
                    if not terminal:
                        raise NotImplementedError
                    stop_reading = read_terminal(inbox, sys.stdin.fileno())
                except NotImplementedError:  # not a terminal, or a loop that cannot watch one
                    read_pipe(inbox, sys.stdin)
            idle_limit = SETTLE_LIMIT + 2 * config.report_delay + 10 * config.latency
            try:
                code = await console.run(idle_limit)
            finally:
                stop_reading()
                await world.sandbox.close()  # no report goes out to an app that is stopping
            console.goodbye()
    finally:
        for sig in handled:
            loop.remove_signal_handler(sig)
    return code
