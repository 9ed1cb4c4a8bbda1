"""The worker process: work runs there, not here; a worker that dies is replaced for the next task."""

from __future__ import annotations

import os
from concurrent.futures.process import BrokenProcessPool

import pytest

from bot.worker_pool import WorkerPool


def whose(_: int) -> int:
    return os.getpid()


def dies(code: int) -> int:
    os._exit(code)


async def test_work_runs_in_another_process_and_a_dead_worker_is_replaced() -> None:
    pool = WorkerPool()
    assert not pool.started  # nothing spawned until there is work
    try:
        worker = await pool.run(whose, 0)
        assert worker != os.getpid() and await pool.run(whose, 0) == worker  # kept for the next task
        with pytest.raises(BrokenProcessPool):
            await pool.run(dies, 3)
        replaced = await pool.run(whose, 0)
        assert replaced not in (worker, os.getpid())
    finally:
        await pool.close()
    assert not pool.started
