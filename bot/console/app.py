"""`python -m bot console`: the real app, the sandbox platform and SQLite, with a terminal as Slack.

One process on loopback: `SlackStandIn` (the Slack Web API the app calls), the sandbox platform
(its reports go to the app's `/santo/reports/<token>`) and the web app `serve` runs, built by
`create_web_app` from settings given here (the environment and `.env` are not read). What the
user types goes to the app as Slack sends it (`SlackRequests`: signed slash commands, view
submissions, clicks); what the app calls Slack with is printed (`bot.console.render`).

Input comes from the terminal, from `--script FILE`, or from a non-terminal stdin. Scripted
input is echoed after its prompt, waits for the app to be idle before each top-level line, and
the console exits once the app is idle after the last one.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import re
import secrets
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from alembic.util.exc import CommandError
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from bot.console.forms import Context, Field, FieldError, describe, fields_of, has_inputs, parse, prompt
from bot.console.render import (
    Button,
    Names,
    Rendered,
    mrkdwn,
    render_ephemeral,
    render_ephemeral_record,
    render_home,
    render_message,
    render_response,
    render_view,
    text_of,
)
from bot.console.terminal import Inbox, Interrupted, Screen, configure_logging, read_pipe, read_terminal
from bot.sandbox import SANDBOX_STATE, SandboxConfig, SandboxState, create_sandbox_app
from bot.sandbox.cli import add_platform_arguments, config_from_args
from bot.sandbox.config import DEFAULT_CPID
from bot.services import SERVICES, Services
from bot.settings import Settings
from bot.slack_requests import SlackRequests
from bot.slack_standin import Call, Message, SlackStandIn, ViewRecord
from bot.store.tables import Send
from bot.web import create_web_app
from bot.webserver import running
from handlers.sms_command import COMMAND

log = logging.getLogger(__name__)

BOT_TOKEN = "xoxb-console"
COMMANDS = (COMMAND,)
"""Slash commands the app is installed with (manifest.yml); Slack refuses others."""
DEFAULT_CHANNEL = "general"
DEFAULT_USER = "alice"
SETTLE_LIMIT = 60.0
"""Seconds to wait for the app's answer to one input before showing the prompt anyway."""
QUIET = 0.15
"""The app is done with an input once its background work is over and Slack heard nothing this long."""
IDLE_QUIET = 0.4
"""For scripts: how long Slack must hear nothing before the app counts as idle."""
FIELD_ATTEMPTS = 3
"""Scripted answers a form field may refuse before the form is closed (so one wrong line in a
script does not swallow the lines after it)."""
RECONCILE_EVERY = timedelta(seconds=2)
POLL_AFTER = timedelta(seconds=15)
_CHANNEL_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")
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

HELP = """\
Type what you would type in Slack:
  /sms help        the app's own usage: /sms balance, /sms price japan, /sms send <numbers> <text>, /sms
  /join #ops       switch channel (#general, #random, #ops, or a new name)
  click N          press the button numbered N, e.g. [1 Send]
  home             open the app's Home tab (balance, your last sends, Send SMS)
  help             this text
  quit             stop (also Ctrl-D; Ctrl-C stops too, or closes an open form)
In a form: Enter keeps the [default], optional fields may stay empty, \\n starts a new line.
When output interrupts what you are typing, Ctrl-R shows your line again.
Numbers ending in 0402 fail with 402, 0401/0403/0404/0501 with other reasons, 0000 never get a report."""


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
        "--locale",
        help="your Slack language, e.g. zh-CN for the app in Chinese (default: the user's own; wei is zh-CN)",
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


@dataclass
class World:
    standin: SlackStandIn
    slack: SlackRequests
    services: Services
    sandbox: SandboxState
    app_url: str
    sandbox_url: str
    database: Path


async def assemble(stack: AsyncExitStack, args: argparse.Namespace, config: SandboxConfig) -> World:
    """Start the stand-in, the sandbox and the app on loopback; the migrations run first."""
    if args.database:
        database = _absolute(args.database)
    else:
        folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="santo-console-"))
        database = Path(folder) / "console.db"
    standin = SlackStandIn(token=BOT_TOKEN)
    standin.base_url = await stack.enter_async_context(running(standin.app(), port=args.slack_port))
    sandbox_app = create_sandbox_app(config)
    sandbox_url = await stack.enter_async_context(running(sandbox_app, port=args.sandbox_port))
    sandbox = sandbox_app[SANDBOX_STATE]
    cpid = DEFAULT_CPID if DEFAULT_CPID in config.accounts else next(iter(config.accounts))
    signing_secret = secrets.token_hex(16)
    report_token = secrets.token_urlsafe(18)
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
    )
    web_app = create_web_app(settings)
    services = web_app[SERVICES]
    await services.db.migrate()
    app_url = await stack.enter_async_context(running(web_app, port=args.port))
    sandbox.config.callback_url = f"{app_url}/santo/reports/{report_token}"
    slack = SlackRequests(app_url, signing_secret, standin)
    stack.push_async_callback(slack.close)
    return World(standin, slack, services, sandbox, app_url, sandbox_url, database)


# --------------------------------------------------------------------------- the console


@dataclass(frozen=True)
class Target:
    """What a numbered button belongs to and what pressing it sends."""

    button: Button
    owner: tuple[str, ...]
    channel: str
    message_ts: str | None


class ModalClosed(Exception):
    """The user left the form (Ctrl-C, or the input ended)."""


class Console:
    def __init__(
        self, world: World, screen: Screen, inbox: Inbox, *, scripted: bool, channel: str, user: str
    ) -> None:
        self.world = world
        self.standin = world.standin
        self.screen = screen
        self.inbox = inbox
        self.scripted = scripted
        self.channel_id = channel
        self.user_id = user
        self.buttons: dict[int, Target] = {}
        self.next_button = 1
        self.url_owners: dict[str, tuple[str, ...]] = {}
        self.modal_key: str | None = None
        self._ephemerals = 0

    # ------------------------------------------------------------------ showing what Slack got

    @property
    def names(self) -> Names:
        return Names.of(self.standin)

    def on_call(self, call: Call) -> None:
        """The stand-in's listener: show each Web API call the user would see."""
        try:
            self._show_call(call)
        except Exception as exc:  # never let a display problem reach the app
            log.warning("could not show %s: %s", call.method, exc)

    def _show_call(self, call: Call) -> None:
        method, response = call.method, call.response
        if method in ("chat.postMessage", "chat.update", "chat.delete"):
            message = self.standin.messages.get((str(response.get("channel")), str(response.get("ts"))))
            if message is not None:
                self.show_message(message, updated=method == "chat.update")
        elif method == "chat.postEphemeral":
            ts = response.get("message_ts")
            record = next((e for e in reversed(self.standin.ephemerals) if e.ts == ts), None)
            if record is not None and record.user == self.user_id:
                owner = self._new_owner()
                shown = render_ephemeral_record(record, self.names, first_button=self.next_button)
                self.show(shown, owner, str(record.channel or self.channel_id), None)
        elif method == "response_url":
            self._show_response(str(call.args.get("url_id", "")))
        elif method in ("views.open", "views.push", "views.update"):
            view = self.standin.views.get(str(response.get("view", {}).get("id", "")))
            if view is None:
                return
            if method == "views.open":
                self.modal_key = str(call.args.get("trigger_id") or call.args.get("interactivity_pointer"))
            self.screen.show(render_view(view, self.names, updated=method == "views.update").text)
        elif method == "views.publish" and call.args.get("user_id") == self.user_id:
            view = self.standin.views.get(str(response.get("view", {}).get("id", "")))
            if view is not None:
                shown = render_home(view, self.names, first_button=self.next_button)
                self.show(shown, ("home",), self.channel_id, None)

    def _new_owner(self) -> tuple[str, ...]:
        self._ephemerals += 1
        return ("ephemeral", str(self._ephemerals))

    def show(self, rendered: Rendered, owner: tuple[str, ...], channel: str, message_ts: str | None) -> None:
        """Print `rendered`; its buttons replace the ones `owner` showed before."""
        for number in [n for n, t in self.buttons.items() if t.owner == owner]:
            del self.buttons[number]
        for button in rendered.buttons:
            self.buttons[button.number] = Target(button, owner, channel, message_ts)
            self.next_button = max(self.next_button, button.number + 1)
        self.screen.show(rendered.text)

    def show_message(self, message: Message, *, updated: bool) -> None:
        parent = None
        if message.is_reply and message.thread_ts is not None:
            parent = self.standin.messages.get((message.channel, message.thread_ts))
        shown = render_message(
            message, self.names, updated=updated, parent=parent, first_button=self.next_button
        )
        self.show(shown, ("message", message.channel, message.ts), message.channel, message.ts)

    def _show_response(self, url_id: str) -> None:
        post = next((p for p in reversed(self.standin.responses) if p.url_id == url_id), None)
        if post is None or (post.user is not None and post.user != self.user_id):
            return
        original = (
            self.standin.messages.get((post.channel, post.message_ts))
            if post.channel and post.message_ts
            else None
        )
        if original is not None and (post.replace_original or post.delete_original):
            self.show_message(original, updated=True)
            return
        if post.response_type == "in_channel" and post.channel and not post.replace_original:
            message = self.standin.last_message(post.channel, include_replies=True)
            if message is not None:
                self.show_message(message, updated=False)
            return
        clicked = self.url_owners.get(url_id)
        replacing = clicked is not None and (post.replace_original or post.delete_original)
        owner = clicked if replacing and clicked is not None else self._new_owner()
        shown = render_response(post, self.names, updated=replacing, first_button=self.next_button)
        self.show(shown, owner, post.channel or self.channel_id, None)

    # ------------------------------------------------------------------ reading

    def prompt(self) -> str:
        return f"#{self.names.channel(self.channel_id)} {self.names.handle(self.user_id)}> "

    async def read(self, prompt: str) -> str | None:
        """The next line after showing `prompt`; None at the end of input."""
        if self.scripted:
            line = await self.inbox.get()
            if line is not None:
                self.screen.show(prompt + line)
            return line
        self.screen.ask(prompt)
        try:
            line = await self.inbox.get()
        except Interrupted:
            self.screen.stream.write("\n")
            raise
        finally:
            self.screen.answered()
        if line is None:
            self.screen.stream.write("\n")
        return line

    # ------------------------------------------------------------------ waiting for the app

    async def busy(self, everything: bool) -> bool:
        if self.world.services.background.pending:
            return True
        if not everything:
            return False
        if self.world.sandbox.tasks:
            return True
        async with self.world.services.db.session() as session:
            dirty = await session.scalar(
                select(func.count()).select_from(Send).where(Send.dirty_since.is_not(None))
            )
        return bool(dirty)

    def quiet_for(self) -> float:
        calls = self.standin.calls
        return time.time() - calls[-1].at if calls else float("inf")

    async def settle(self, *, everything: bool = False, limit: float = SETTLE_LIMIT) -> bool:
        """Wait until the app is done with the last input (`everything`: until it is idle, reports
        and their display included). False after `limit` seconds or on Ctrl-C."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit
        quiet = IDLE_QUIET if everything else QUIET
        while not self.inbox.interrupted:
            if not await self.busy(everything) and self.quiet_for() >= quiet:
                return True
            if loop.time() > deadline:
                return False
            await asyncio.sleep(0.05)
        return False

    # ------------------------------------------------------------------ the loop

    async def run(self, idle_limit: float) -> int:
        """Until the input ends, `quit`, Ctrl-C or SIGTERM. Returns the exit code."""
        stopped = False
        while True:
            if self.scripted:
                await self.settle(everything=True, limit=idle_limit)
            try:
                line = await self.read(self.prompt())
                if line is None:
                    break
                if not await self.handle(line):
                    break
            except Interrupted:
                stopped = True
                break
        if self.scripted and not stopped and not await self.settle(everything=True, limit=idle_limit):
            if self.inbox.interrupted:
                return 0
            self.screen.show(f"(the app was still busy after {idle_limit:.0f} s; stopping anyway)")
            return 1
        return 0

    async def handle(self, line: str) -> bool:
        """One top-level input; False to stop. Problems are told in words, never as a traceback."""
        text = line.strip()
        if not text:
            return True
        word, _, rest = text.partition(" ")
        lowered = word.lower()
        try:
            if lowered in ("quit", "exit"):
                return False
            if lowered in ("help", "?"):
                self.screen.show(HELP)
            elif lowered == "click":
                await self.click(rest.strip())
            elif lowered == "home":
                await self.world.slack.open_home(self.user_id)
                await self.settle()
            elif lowered == "/join":
                self.join(rest.strip())
            elif lowered.startswith("/"):
                if lowered in COMMANDS:
                    await self.command(lowered, rest.strip())
                else:
                    self.screen.show(
                        f"{word} is not a valid command. Commands here: {', '.join(COMMANDS)} "
                        "and /join (type help)."
                    )
            else:
                self.screen.show(
                    "(Only slash commands reach the app: try /sms help. Type help for the console.)"
                )
        except Interrupted:
            raise
        except Exception as exc:
            log.info("console input %r failed", text, exc_info=True)
            self.screen.show(f"(console: that did not work: {type(exc).__name__}: {exc})")
            if self.modal_key is not None:
                self.close_modal()
        return True

    async def command(self, name: str, text: str) -> None:
        status, body = await self.world.slack.command(
            text, user=self.user_id, channel=self.channel_id, command=name
        )
        if status != 200:
            self.screen.show(f'{name} failed with the error "http_{status}" (the app answered {status}).')
        elif body.strip():
            self._show_ack(body)
        await self.settle()
        await self.drive_modal()

    def _show_ack(self, body: str) -> None:
        """An answer in the HTTP response itself (Bolt `ack(text=…)`): ephemeral."""
        try:
            answer = json.loads(body)
        except ValueError:
            answer = {"text": body}
        if not isinstance(answer, dict):
            answer = {"text": str(answer)}
        blocks = answer.get("blocks") if isinstance(answer.get("blocks"), list) else []
        assert isinstance(blocks, list)
        shown = render_ephemeral(
            str(answer.get("text") or ""),
            blocks,
            self.names,
            channel=self.channel_id,
            first_button=self.next_button,
        )
        self.show(shown, self._new_owner(), self.channel_id, None)

    async def click(self, which: str) -> None:
        if not which.isdigit():
            self.screen.show("Which button? Type click and its number, e.g. click 1.")
            return
        target = self.buttons.get(int(which))
        if target is None:
            shown = ", ".join(f"{n} ({t.button.label})" for n, t in sorted(self.buttons.items()))
            listed = f" Buttons: {shown}." if shown else ""
            self.screen.show(f"There is no button {which} on screen.{listed}")
            return
        url = self.standin.new_response_url(
            channel=target.channel, user=self.user_id, message_ts=target.message_ts
        )
        self.url_owners[url.rsplit("/", 1)[-1]] = target.owner
        status, _body = await self.world.slack.click(
            target.button.action_id,
            target.button.value,
            user=self.user_id,
            channel=target.channel,
            response_url=url,
            message_ts=target.message_ts,
        )
        if status != 200:
            self.screen.show(f"(Slack: the app answered the click with HTTP {status})")
        await self.settle()
        await self.drive_modal()

    def join(self, name: str) -> None:
        wanted = name.lstrip("#").lower()
        if not wanted:
            self.screen.show("Which channel? /join #ops")
            return
        if not _CHANNEL_NAME.match(wanted):
            self.screen.show("Channel names use lower-case letters, digits, - and _ (up to 80).")
            return
        channels = self.standin.channel_names
        channel_id = next((cid for cid, known in channels.items() if known == wanted), None)
        if channel_id is None:
            channel_id = _new_id("C", wanted, channels)
            channels[channel_id] = wanted
            self.screen.show(f"(created #{wanted})")
        self.channel_id = channel_id
        self.screen.show(f"You are in #{wanted} now.")

    # ------------------------------------------------------------------ modals

    def top_view(self) -> ViewRecord | None:
        if self.modal_key is None:
            return None
        stack = self.standin.view_stack(self.modal_key)
        return stack[-1] if stack else None

    def close_modal(self, why: str = "") -> None:
        self.modal_key = None
        self.screen.show(f"(form closed{': ' + why if why else ''})")

    async def drive_modal(self) -> None:
        """While a modal is open: fill its inputs or confirm it, submit, follow the app's answer."""
        while (view := self.top_view()) is not None:
            payload = view.payload
            try:
                if has_inputs(payload):
                    answer = await self.fill_and_submit(view)
                elif payload.get("submit"):
                    label = text_of(payload.get("submit"), self.names)
                    reply = await self.read(f'  Submit "{label}"? [y/N] ')
                    if reply is None or self._leaves_form(reply):
                        raise ModalClosed()
                    if reply.strip().lower() not in ("y", "yes"):
                        self.close_modal()
                        return
                    answer = await self.world.slack.submit_view(view, {}, user=self.user_id)
                else:  # a notice: nothing to fill in or submit
                    self.modal_key = None
                    return
            except Interrupted as exc:
                if exc.stop:
                    raise
                self.close_modal()
                return
            except ModalClosed:
                self.close_modal()
                return
            if answer is None:
                return
            self._after_submit(view, answer)
            await self.settle()

    def _after_submit(self, view: ViewRecord, answer: dict[str, Any]) -> None:
        action = answer.get("response_action")
        if action == "update":
            self.screen.show(render_view(view, self.names, updated=True).text)
        elif action == "push" or (action is None and self.top_view() is not None):
            top = self.top_view()
            if top is not None:
                self.screen.show(render_view(top, self.names).text)
        else:
            self.modal_key = None

    async def fill_and_submit(self, view: ViewRecord) -> dict[str, Any] | None:
        """Ask every input, submit; on `errors`, show them and ask those fields again."""
        timezone = str(self.standin.users.get(self.user_id, {}).get("tz") or "UTC")
        context = Context(self.names, self.channel_id, self.user_id, timezone)
        fields = fields_of(view.payload, self.names)
        values: dict[str, dict[str, dict[str, Any]]] = {}
        todo, again = fields, False
        while True:
            for field in todo:
                values[field.block_id] = {field.action_id: await self.ask(field, context, again=again)}
            answer = await self.world.slack.submit_view(view, values, user=self.user_id)
            if answer.get("response_action") != "errors":
                return answer
            errors = answer.get("errors") or {}
            labels = {f.block_id: f.label for f in fields}
            for block_id, error in errors.items():
                self.screen.show(f"  ✗ {labels.get(block_id, block_id)}: {mrkdwn(str(error), self.names)}")
            todo, again = [f for f in fields if f.block_id in errors], True
            if not todo:
                self.close_modal("the app's errors name no field of this form")
                return None

    def _leaves_form(self, typed: str) -> bool:
        """A command typed at a form prompt closes the form, then runs (Slack has no other way to
        type one); it is read again at the main prompt."""
        word = typed.strip().split(" ", 1)[0].lower()
        if word in (*COMMANDS, "/join"):
            self.inbox.put_back(typed)
            return True
        return False

    async def ask(self, field: Field, context: Context, *, again: bool = False) -> dict[str, Any]:
        for line in describe(field, context, again=again):
            self.screen.show(f"  {line}")
        for _attempt in range(FIELD_ATTEMPTS if self.scripted else 10**9):
            typed = await self.read("  " + prompt(field, context))
            if typed is None or self._leaves_form(typed):
                raise ModalClosed()
            try:
                return parse(field, typed, context)
            except FieldError as exc:
                self.screen.show(f"  ✗ {exc}")
        raise ModalClosed()


def _new_id(prefix: str, name: str, taken: dict[str, Any]) -> str:
    base = prefix + "1" + re.sub(r"[^A-Z0-9]", "", name.upper())[:16]
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}{n}"
    return candidate


def _user_id(standin: SlackStandIn, name: str, locale: str | None = None) -> str:
    """The user called `name` (alice, bob, wei, …); a new one is added to the workspace.
    With `locale`, their Slack language becomes that."""
    user_id = _find_user(standin, name)
    if locale:
        standin.users[user_id]["locale"] = locale
    return user_id


def _find_user(standin: SlackStandIn, name: str) -> str:
    for user_id, user in standin.users.items():
        if str(user.get("name", "")).lower() == name:
            return user_id
    user_id = _new_id("U", name, standin.users)
    standin.users[user_id] = {
        "id": user_id,
        "name": name,
        "real_name": name.capitalize(),
        "tz": "UTC",
        "tz_label": "UTC",
        "tz_offset": 0,
        "locale": "en-US",
        "is_bot": False,
        "deleted": False,
        "profile": {"real_name": name.capitalize(), "display_name": name},
    }
    return user_id


# --------------------------------------------------------------------------- main


def _absolute(path: str) -> Path:
    return Path(path).expanduser().resolve()


def _read_lines(path: str) -> list[str]:
    return Path(path).read_text(encoding="utf-8").splitlines()


def _check_args(args: argparse.Namespace) -> str | None:
    """What is wrong with the arguments, in words (and names made canonical)."""
    if args.database and not _absolute(args.database).parent.is_dir():
        return f"--database {args.database}: its folder does not exist"
    channel = str(args.channel).lstrip("#").lower()
    user = str(args.user).lstrip("@").lower()
    if not _CHANNEL_NAME.match(channel):
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
            console = Console(
                world,
                screen,
                inbox,
                scripted=not terminal,
                channel=_channel_id(standin, args.channel),
                user=_user_id(standin, args.user, args.locale),
            )
            standin.add_listener(console.on_call)
            screen.show(
                f"Santo for Slack console: app {world.app_url} (Slack events at /slack/events), "
                f"Slack stand-in {standin.base_url}, sandbox platform {world.sandbox_url} "
                f"(account {world.services.settings.santo_cpid}, reports after {config.report_delay:g} s), "
                f"database {world.database}"
            )
            screen.show(
                f"You are @{args.user} in #{args.channel}. Type /sms help, or help for the console; "
                "Ctrl-D to quit."
            )
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
            screen.show("Stopping…" if terminal else "(done)")
    finally:
        for sig in handled:
            loop.remove_signal_handler(sig)
    return code


def _channel_id(standin: SlackStandIn, name: str) -> str:
    for channel_id, known in standin.channel_names.items():
        if known == name:
            return channel_id
    channel_id = _new_id("C", name, standin.channel_names)
    standin.channel_names[channel_id] = name
    return channel_id
