"""The console's session: what the user types goes to the app as Slack sends it (`SlackRequests`:
signed slash commands, view submissions, clicks); what the app calls Slack with is printed
(`bot.dev.console.render`), forms are asked field by field (`bot.dev.console.forms`).

Like Slack's client, the session speaks the user's Slack language (their locale in the stand-in,
which `--locale` sets): its own words come from the `console` catalogue.

Scripted input is echoed after its prompt, waits for the app to be idle before each top-level line,
and the session ends once the app is idle after the last one.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bot.dev.console.forms import Context, Field, FieldError, describe, fields_of, has_inputs, parse, prompt
from bot.dev.console.render import (
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
from bot.dev.console.terminal import Inbox, Interrupted, Screen
from bot.dev.sandbox import SandboxState
from bot.dev.slack_requests import SlackRequests
from bot.dev.slack_standin import Call, Message, SlackStandIn, ViewRecord
from bot.i18n import TEXTS, Texts, language_of_locale
from bot.services import Services
from bot.store.tables import Send
from handlers.sms_command import COMMAND

log = logging.getLogger(__name__)

COMMANDS = (COMMAND,)
"""Slash commands the app is installed with (manifest.yml); Slack refuses others."""
SETTLE_LIMIT = 60.0
"""Seconds to wait for the app's answer to one input before showing the prompt anyway."""
QUIET = 0.15
"""The app is done with an input once its background work is over and Slack heard nothing this long."""
IDLE_QUIET = 0.4
"""For scripts: how long Slack must hear nothing before the app counts as idle."""
FIELD_ATTEMPTS = 3
"""Scripted answers a form field may refuse before the form is closed (so one wrong line in a
script does not swallow the lines after it)."""
CHANNEL_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")


@dataclass
class World:
    """What the console runs: the Slack stand-in, the app (reached through `slack`) and the sandbox."""

    standin: SlackStandIn
    slack: SlackRequests
    services: Services
    sandbox: SandboxState
    app_url: str
    sandbox_url: str
    database: Path


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
    """One user's session, as Slack's client would run it."""

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

    @property
    def t(self) -> Texts:
        """The user's language, from their Slack locale as the app would find it."""
        locale = self.standin.users.get(self.user_id, {}).get("locale")
        default = self.world.services.settings.santo_default_language
        return TEXTS[language_of_locale(locale, default)]

    def welcome(self) -> None:
        names = self.names
        channel = names.channel(self.channel_id)
        self.screen.show(self.t("console.welcome", user=names.handle(self.user_id), channel=channel))

    def goodbye(self) -> None:
        self.screen.show(self.t("console.done" if self.scripted else "console.stopping"))

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
                shown = render_ephemeral_record(self.t, record, self.names, first_button=self.next_button)
                self.show(shown, owner, str(record.channel or self.channel_id), None)
        elif method == "response_url":
            self._show_response(str(call.args.get("url_id", "")))
        elif method in ("views.open", "views.push", "views.update"):
            view = self.standin.views.get(str(response.get("view", {}).get("id", "")))
            if view is None:
                return
            if method == "views.open":
                self.modal_key = str(call.args.get("trigger_id") or call.args.get("interactivity_pointer"))
            self.screen.show(render_view(self.t, view, self.names, updated=method == "views.update").text)
        elif method == "views.publish" and call.args.get("user_id") == self.user_id:
            view = self.standin.views.get(str(response.get("view", {}).get("id", "")))
            if view is not None:
                shown = render_home(self.t, view, self.names, first_button=self.next_button)
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
            self.t, message, self.names, updated=updated, parent=parent, first_button=self.next_button
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
        shown = render_response(self.t, post, self.names, updated=replacing, first_button=self.next_button)
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
            self.screen.show(self.t("console.still_busy", seconds=idle_limit))
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
                self.screen.show(self.t("console.help"))
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
                    commands = self.t("console.list_separator").join(COMMANDS)
                    self.screen.show(self.t("console.slack.not_a_command", word=word, commands=commands))
            else:
                self.screen.show(self.t("console.slack.not_to_the_app"))
        except Interrupted:
            raise
        except Exception as exc:
            log.info("console input %r failed", text, exc_info=True)
            self.screen.show(self.t("console.failed", error=f"{type(exc).__name__}: {exc}"))
            if self.modal_key is not None:
                self.close_modal()
        return True

    async def command(self, name: str, text: str) -> None:
        status, body = await self.world.slack.command(
            text, user=self.user_id, channel=self.channel_id, command=name
        )
        if status != 200:
            self.screen.show(self.t("console.slack.command_failed", name=name, status=status))
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
            self.t,
            str(answer.get("text") or ""),
            blocks,
            self.names,
            channel=self.channel_id,
            first_button=self.next_button,
        )
        self.show(shown, self._new_owner(), self.channel_id, None)

    async def click(self, which: str) -> None:
        t = self.t
        if not which.isdigit():
            self.screen.show(t("console.click.which"))
            return
        target = self.buttons.get(int(which))
        if target is None:
            shown = [
                t("console.click.button", n=n, label=b.button.label) for n, b in sorted(self.buttons.items())
            ]
            if shown:
                buttons = t("console.list_separator").join(shown)
                self.screen.show(t("console.click.none_of", which=which, buttons=buttons))
            else:
                self.screen.show(t("console.click.none", which=which))
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
            self.screen.show(t("console.slack.click_failed", status=status))
        await self.settle()
        await self.drive_modal()

    def join(self, name: str) -> None:
        t = self.t
        wanted = name.lstrip("#").lower()
        if not wanted:
            self.screen.show(t("console.join.which"))
            return
        if not CHANNEL_NAME.match(wanted):
            self.screen.show(t("console.join.bad_name"))
            return
        channels = self.standin.channel_names
        channel_id = next((cid for cid, known in channels.items() if known == wanted), None)
        if channel_id is None:
            channel_id = _new_id("C", wanted, channels)
            channels[channel_id] = wanted
            self.screen.show(t("console.join.created", channel=wanted))
        self.channel_id = channel_id
        self.screen.show(t("console.join.moved", channel=wanted))

    # ------------------------------------------------------------------ modals

    def top_view(self) -> ViewRecord | None:
        if self.modal_key is None:
            return None
        stack = self.standin.view_stack(self.modal_key)
        return stack[-1] if stack else None

    def close_modal(self, why: str = "") -> None:
        self.modal_key = None
        self.screen.show(
            self.t("console.form.closed_because", why=why) if why else self.t("console.form.closed")
        )

    async def drive_modal(self) -> None:
        """While a modal is open: fill its inputs or confirm it, submit, follow the app's answer."""
        while (view := self.top_view()) is not None:
            payload = view.payload
            try:
                if has_inputs(payload):
                    answer = await self.fill_and_submit(view)
                elif payload.get("submit"):
                    label = text_of(payload.get("submit"), self.names)
                    reply = await self.read("  " + self.t("console.form.submit", label=label))
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
            self.screen.show(render_view(self.t, view, self.names, updated=True).text)
        elif action == "push" or (action is None and self.top_view() is not None):
            top = self.top_view()
            if top is not None:
                self.screen.show(render_view(self.t, top, self.names).text)
        else:
            self.modal_key = None

    async def fill_and_submit(self, view: ViewRecord) -> dict[str, Any] | None:
        """Ask every input, submit; on `errors`, show them and ask those fields again."""
        timezone = str(self.standin.users.get(self.user_id, {}).get("tz") or "UTC")
        t = self.t
        context = Context(t, self.names, self.channel_id, self.user_id, timezone)
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
                label, shown = labels.get(block_id, block_id), mrkdwn(str(error), self.names)
                self.screen.show("  " + t("console.input.error", label=label, error=shown))
            todo, again = [f for f in fields if f.block_id in errors], True
            if not todo:
                self.close_modal(t("console.form.no_field"))
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


def find_user(standin: SlackStandIn, name: str, locale: str | None = None) -> str:
    """The user called `name` (alice, bob, wei, …); a new one is added to the workspace.
    With `locale`, their Slack language becomes that."""
    user_id = _user_named(standin, name)
    if locale:
        standin.users[user_id]["locale"] = locale
    return user_id


def _user_named(standin: SlackStandIn, name: str) -> str:
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


def find_channel(standin: SlackStandIn, name: str) -> str:
    for channel_id, known in standin.channel_names.items():
        if known == name:
            return channel_id
    channel_id = _new_id("C", name, standin.channel_names)
    standin.channel_names[channel_id] = name
    return channel_id
