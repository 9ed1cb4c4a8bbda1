"""The console's session: the command loop. What the user types goes to the app as Slack sends
it (`SlackRequests`: signed slash commands, clicks; `bot.dev.console.modals` for view
submissions); what the app calls Slack with is printed as it comes (`bot.dev.console.feed`).

Like Slack's client, the session speaks the user's Slack language (`bot.dev.console.seat`): its
own words come from the `console` catalogue.

Scripted input waits for the app to be idle before each top-level line, and the session ends once
the app is idle after the last one.
"""

from __future__ import annotations

import logging
import re

from bot.dev.console.feed import Feed, Target
from bot.dev.console.files import SavedFiles
from bot.dev.console.modals import YES, Modals, answer_of
from bot.dev.console.seat import Seat
from bot.dev.console.terminal import Inbox, Interrupted, Screen
from bot.dev.console.workflow import Workflows
from bot.dev.console.world import CHANNEL_NAME, COMMANDS, World, find_channel
from bot.dev.sandbox.phone import dc_for, phone_number
from handlers.sms_command import COMMAND

log = logging.getLogger(__name__)

FILE_PATH = re.compile(r"^\S.*\.(csv|xlsx)$", re.IGNORECASE)
"""What `/sms` is given when it means a file to send from: a path ending in a type the form takes."""


class Console:
    """One user's session, as Slack's client would run it."""

    def __init__(
        self,
        world: World,
        screen: Screen,
        inbox: Inbox,
        *,
        scripted: bool,
        channel: str,
        user: str,
        files: SavedFiles,
    ) -> None:
        self.seat = Seat(world, screen, inbox, scripted=scripted, channel=channel, user=user, files=files)
        self.feed = Feed(self.seat)
        self.modals = Modals(self.seat)
        self.workflows = Workflows(self.seat)

    def welcome(self) -> None:
        seat = self.seat
        names = seat.names
        channel = names.channel(seat.channel_id)
        seat.screen.show(seat.t("console.welcome", user=names.handle(seat.user_id), channel=channel))
        if seat.user_id in seat.world.services.settings.sms_admins:
            seat.screen.show(seat.t("console.welcome_admin"))

    def goodbye(self) -> None:
        self.seat.screen.show(self.seat.t("console.done" if self.seat.scripted else "console.stopping"))

    async def run(self, idle_limit: float) -> int:
        """Until the input ends, `quit`, Ctrl-C or SIGTERM. Returns the exit code."""
        seat = self.seat
        stopped = False
        while True:
            if seat.scripted:
                await seat.settle(everything=True, limit=idle_limit)
            try:
                line = await seat.read(seat.prompt())
                if line is None:
                    break
                if not await self.handle(line):
                    break
            except Interrupted:
                stopped = True
                break
        if seat.scripted and not stopped and not await seat.settle(everything=True, limit=idle_limit):
            if seat.inbox.interrupted:
                return 0
            seat.screen.show(seat.t("console.still_busy", seconds=idle_limit))
            return 1
        return 0

    async def handle(self, line: str) -> bool:
        """One top-level input; False to stop. Problems are told in words, never as a traceback."""
        seat = self.seat
        text = line.strip()
        if not text:
            return True
        word, _, rest = text.partition(" ")
        lowered = word.lower()
        try:
            if lowered in ("quit", "exit"):
                return False
            if lowered in ("help", "?"):
                seat.screen.show(seat.t("console.help"))
            elif lowered == "click":
                await self.click(rest.strip())
            elif lowered == "home":
                await seat.world.slack.open_home(seat.user_id)
                await seat.settle()
            elif lowered == "/join":
                self.join(rest.strip())
            elif lowered == "sms-from":
                await self.sms_from(rest.strip())
            elif lowered == "workflow":
                await self.workflows.run(rest)
            elif lowered.startswith("/"):
                if lowered in COMMANDS:
                    await self.command(lowered, rest.strip())
                else:
                    commands = seat.t("console.list_separator").join(COMMANDS)
                    seat.screen.show(seat.t("console.slack.not_a_command", word=word, commands=commands))
            else:
                seat.screen.show(seat.t("console.slack.not_to_the_app"))
        except Interrupted:
            raise
        except Exception as exc:
            log.info("console input %r failed", text, exc_info=True)
            seat.screen.show(seat.t("console.failed", error=f"{type(exc).__name__}: {exc}"))
            if seat.modal_key is not None:
                self.modals.close()
        return True

    async def command(self, name: str, text: str) -> None:
        seat = self.seat
        self.feed.confirmation = None
        if name == COMMAND and FILE_PATH.match(text):  # `/sms ./numbers.csv`: the form, with that file
            self.modals.attach, text = text, ""
        status, body = await seat.world.slack.command(
            text, user=seat.user_id, channel=seat.channel_id, command=name
        )
        if status != 200:
            seat.screen.show(seat.t("console.slack.command_failed", name=name, status=status))
        elif body.strip():
            self.feed.show_ack(body)
        await seat.settle()
        await self.modals.drive()
        await self.confirm_quick_send()

    async def confirm_quick_send(self) -> None:
        """A quick send's confirmation (Send and Cancel buttons) is answered like the modal's:
        `y` presses Send, `n` or nothing Cancel; anything else (`click 2`, a command) is read at
        the main prompt, and the buttons stay for `click N`."""
        if self.feed.confirmation is None:
            return
        seat = self.seat
        send, cancel = self.feed.confirmation
        self.feed.confirmation = None
        reply = await seat.read("  " + seat.t("console.form.submit", label=send.button.label))
        if reply is None:
            return
        if answer_of(reply, None) == YES:
            await self.press(send)
        elif reply.strip().lower() in ("", "n", "no"):
            await self.press(cancel)
        else:
            seat.inbox.put_back(reply)

    async def click(self, which: str) -> None:
        seat, feed = self.seat, self.feed
        t = seat.t
        if not which.isdigit():
            seat.screen.show(t("console.click.which"))
            return
        target = feed.buttons.get(int(which))
        if target is None:
            shown = [
                t("console.click.button", n=n, label=b.button.label) for n, b in sorted(feed.buttons.items())
            ]
            if shown:
                buttons = t("console.list_separator").join(shown)
                seat.screen.show(t("console.click.none_of", which=which, buttons=buttons))
            else:
                seat.screen.show(t("console.click.none", which=which))
            return
        await self.press(target)

    async def press(self, target: Target) -> None:
        seat, feed = self.seat, self.feed
        url = seat.standin.new_response_url(
            channel=target.channel, user=seat.user_id, message_ts=target.message_ts
        )
        feed.url_owners[url.rsplit("/", 1)[-1]] = target.owner
        status, _body = await seat.world.slack.click(
            target.button.action_id,
            target.button.value,
            user=seat.user_id,
            channel=target.channel,
            response_url=url,
            message_ts=target.message_ts,
        )
        if status != 200:
            seat.screen.show(seat.t("console.slack.click_failed", status=status))
        await seat.settle()
        await self.modals.drive()

    def join(self, name: str) -> None:
        seat = self.seat
        t = seat.t
        wanted = name.lstrip("#").lower()
        if not wanted:
            seat.screen.show(t("console.join.which"))
            return
        if not CHANNEL_NAME.match(wanted):
            seat.screen.show(t("console.join.bad_name"))
            return
        known = wanted in seat.standin.channel_names.values()
        seat.channel_id = find_channel(seat.standin, wanted)
        if not known:
            seat.screen.show(t("console.join.created", channel=wanted))
        seat.screen.show(t("console.join.moved", channel=wanted))

    async def sms_from(self, typed: str) -> None:
        """`sms-from +8613910825657 Hello`: that phone texts the app through the sandbox platform
        (an inbound SMS, MO_REQUEST); the app's answer in Slack is shown as it comes."""
        seat = self.seat
        t = seat.t
        number, _, text = typed.partition(" ")
        text = text.strip().replace("\\n", "\n")
        if not number or not text:
            seat.screen.show(t("console.sms_from.usage"))
            return
        try:
            phone = phone_number(number)
        except ValueError:
            seat.screen.show(t("console.sms_from.bad_number", number=number))
            return
        sandbox = seat.world.sandbox
        message = await sandbox.write(phone, text, dc=dc_for(text))
        delivered = sandbox.delivered(message.momsgid)
        key = "console.sms_from.sent" if delivered else "console.sms_from.not_delivered"
        seat.screen.show(t(key, number=f"+{phone}", text=text))
        await seat.settle(everything=True)
