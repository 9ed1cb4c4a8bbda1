"""Work kept out of the web process: CPU-bound drawing with a library the web process must not
load (matplotlib, for the stats chart). One worker process, spawned (not forked: it inherits
nothing of the event loop, the connections or the memory) at first use and stopped at shutdown;
the event loop only awaits its answer."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

log = logging.getLogger(__name__)

A = TypeVar("A")
R = TypeVar("R")

WORKERS = 1
TASKS_PER_WORKER = 200
"""A worker is replaced after this many tasks: what a plotting library caches stays bounded."""


class WorkerPool:
    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None

    @property
    def started(self) -> bool:
        return self._pool is not None

    async def run(self, work: Callable[[A], R], arg: A) -> R:
        """`work(arg)` in the worker process: both must pickle (a module-level function, plain
        data), and so must its answer."""
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=WORKERS,
                mp_context=multiprocessing.get_context("spawn"),
                max_tasks_per_child=TASKS_PER_WORKER,
            )
        pool = self._pool
        try:
            return await asyncio.get_running_loop().run_in_executor(pool, work, arg)
        except BrokenProcessPool:
            log.error("the worker process died; a new one is started for the next task")
            if self._pool is pool:
                self._pool = None
            pool.shutdown(wait=False, cancel_futures=True)
            raise

    async def close(self) -> None:
        """Stop the worker (at shutdown): tasks still queued are cancelled, the one running ends
        (a drawing takes a second or so), the process is reaped off the event loop."""
        pool, self._pool = self._pool, None
        if pool is not None:
            await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)
