"""Tracked background work: every task is kept until done, and drained on shutdown."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

log = logging.getLogger(__name__)

OnError = Callable[[BaseException], Awaitable[None]]


class Background:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self.closing = False

    def spawn(self, work: Coroutine[Any, Any, Any], on_error: OnError | None = None) -> asyncio.Task[Any]:
        """Run `work` as a task; an exception is logged and handed to `on_error` (to tell users)."""

        async def guarded() -> Any:
            try:
                return await work
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.exception("background work failed")
                if on_error is not None:
                    try:
                        await on_error(exc)
                    except Exception:
                        log.exception("could not report a failure to the user")
                return None

        task = asyncio.create_task(guarded())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    @property
    def pending(self) -> int:
        return len(self._tasks)

    async def drain(self, grace: float) -> None:
        """Let in-flight work finish for up to `grace` seconds, then cancel what is left."""
        self.closing = True
        if not self._tasks:
            return
        _done, still = await asyncio.wait(set(self._tasks), timeout=grace)
        for task in still:
            task.cancel()
        if still:
            log.warning("cancelled %d unfinished task(s) at shutdown", len(still))
            await asyncio.gather(*still, return_exceptions=True)
