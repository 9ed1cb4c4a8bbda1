"""The terminal side of the console: input (typed, piped or scripted lines, Ctrl-C, end of input)
and output (printed above a waiting prompt, which is then shown again), and app logs as one-line
warnings on the screen, never a traceback."""

from __future__ import annotations

import asyncio
import codecs
import logging
import os
import threading
from collections import deque
from collections.abc import Callable
from typing import TextIO


class Interrupted(Exception):
    """Ctrl-C (`stop=False`: closes an open form, else stops) or SIGTERM (`stop=True`)."""

    def __init__(self, stop: bool) -> None:
        super().__init__("stop" if stop else "interrupt")
        self.stop = stop


class _Signal:
    def __init__(self, stop: bool) -> None:
        self.stop = stop


_CTRL_C = _Signal(stop=False)
_STOP = _Signal(stop=True)
Item = str | _Signal | None


class Inbox:
    """Lines (typed or scripted), end of input (None) and signals, in the order they count."""

    def __init__(self) -> None:
        self._items: deque[Item] = deque()
        self._ready = asyncio.Event()
        self._ended = False

    def push(self, item: str | None) -> None:
        self._items.append(item)
        self._ready.set()

    def put_back(self, line: str) -> None:
        """A line read too early: it is the next one again."""
        self._items.appendleft(line)
        self._ready.set()

    def signal(self, stop: bool) -> None:
        """Ctrl-C or SIGTERM: ahead of any line still waiting."""
        self._items.appendleft(_STOP if stop else _CTRL_C)
        self._ready.set()

    @property
    def interrupted(self) -> bool:
        return bool(self._items) and isinstance(self._items[0], _Signal)

    async def get(self) -> str | None:
        """The next line; None at the end of input (and from then on)."""
        while not self._items:
            if self._ended:
                return None
            self._ready.clear()
            await self._ready.wait()
        item = self._items.popleft()
        if isinstance(item, _Signal):
            raise Interrupted(item.stop)
        if item is None:
            self._ended = True
        return item


class Screen:
    """Where everything is printed. On a live terminal, output that arrives while a prompt waits
    is printed above it and the prompt is shown again."""

    def __init__(self, stream: TextIO, live: bool) -> None:
        self.stream = stream
        self.live = live
        self.prompt: str | None = None

    def show(self, text: str) -> None:
        if self.live and self.prompt is not None:
            self.stream.write(f"\r\x1b[K{text}\n{self.prompt}")
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def ask(self, prompt: str) -> None:
        self.stream.write(prompt)
        self.stream.flush()
        self.prompt = prompt

    def answered(self) -> None:
        self.prompt = None


def read_terminal(inbox: Inbox, fd: int) -> Callable[[], None]:
    """Feed lines typed on the terminal `fd` into `inbox`; returns how to stop."""
    loop = asyncio.get_running_loop()
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    pending = ""

    def readable() -> None:
        nonlocal pending
        try:
            data = os.read(fd, 4096)
        except OSError:
            data = b""
        if not data:
            loop.remove_reader(fd)
            if pending:
                inbox.push(pending)
            inbox.push(None)
            return
        pending += decoder.decode(data)
        *lines, pending = pending.split("\n")
        for line in lines:
            inbox.push(line.rstrip("\r"))

    def stop() -> None:
        loop.remove_reader(fd)

    loop.add_reader(fd, readable)
    return stop


def read_pipe(inbox: Inbox, stream: TextIO) -> None:
    """Feed the lines of a non-terminal stdin into `inbox` (from a daemon thread, so a pipe that
    never closes cannot keep the process alive)."""
    loop = asyncio.get_running_loop()

    def work() -> None:
        for raw in stream.buffer:
            line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            loop.call_soon_threadsafe(inbox.push, line)
        loop.call_soon_threadsafe(inbox.push, None)

    threading.Thread(target=work, name="console-stdin", daemon=True).start()


class ScreenLog(logging.Handler):
    """Warnings from the app on the screen, one line each, never a traceback."""

    def __init__(self, screen: Screen) -> None:
        super().__init__(logging.WARNING)
        self.screen = screen

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.screen.show(f"  [{record.levelname.lower()}] {record.name}: {record.getMessage()}")
        except Exception:
            self.handleError(record)


def configure_logging(screen: Screen, log_file: str | None) -> None:
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.addHandler(ScreenLog(screen))
    root.setLevel(logging.WARNING)
    if log_file:
        handler = logging.FileHandler(log_file, encoding="utf-8")
        handler.setLevel(logging.INFO)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
        root.setLevel(logging.INFO)
    logging.getLogger("alembic").setLevel(logging.WARNING)
