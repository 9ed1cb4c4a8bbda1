"""The user's seat at Slack's client: who they are, which channel they are in, their language
(their locale in the stand-in, which `--locale` sets), reading what they type, and waiting for the
app to be done with it.

Scripted input is echoed after its prompt; `settle` is how a session waits for the app's answer
(or, for scripts, until the app is idle).
"""

from __future__ import annotations

import asyncio
import time

from sqlalchemy import func, select

from bot.dev.console.files import SavedFiles
from bot.dev.console.mrkdwn import Names
from bot.dev.console.terminal import Inbox, Interrupted, Screen
from bot.dev.console.world import World
from bot.i18n import TEXTS, Texts, language_of_locale
from bot.store.changes import unshown
from bot.store.tables import Inbound

SETTLE_LIMIT = 60.0
"""Seconds to wait for the app's answer to one input before showing the prompt anyway."""
QUIET = 0.15
"""The app is done with an input once its background work is over and Slack heard nothing this long."""
IDLE_QUIET = 0.4
"""For scripts: how long Slack must hear nothing before the app counts as idle."""


class Seat:
    """One user at Slack's client, and the modal they have open (`modal_key`, its trigger)."""

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
        self.world = world
        self.files = files
        """Where the files the app uploads are saved."""
        self.standin = world.standin
        self.screen = screen
        self.inbox = inbox
        self.scripted = scripted
        self.channel_id = channel
        self.user_id = user
        self.modal_key: str | None = None

    @property
    def names(self) -> Names:
        return Names.of(self.standin, self.files.shown)

    @property
    def t(self) -> Texts:
        """The user's language, from their Slack locale as the app would find it."""
        locale = self.standin.users.get(self.user_id, {}).get("locale")
        default = self.world.services.settings.santo_default_language
        return TEXTS[language_of_locale(locale, default)]

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
            dirty = (await session.execute(unshown())).one()[0]
            unposted = await session.scalar(
                select(func.count()).select_from(Inbound).where(Inbound.posted_at.is_(None))
            )
        return bool(dirty or unposted)

    def quiet_for(self) -> float:
        calls = self.standin.calls
        return time.time() - calls[-1].at if calls else float("inf")

    async def settle(self, *, everything: bool = False, limit: float = SETTLE_LIMIT) -> bool:
        """Wait until the app is done with the last input (`everything`: until it is idle, reports,
        phones' messages and their display included). False after `limit` seconds or on Ctrl-C."""
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
