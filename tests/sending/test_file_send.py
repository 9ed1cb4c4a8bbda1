"""Request planning and pacing of sends from a file."""

from __future__ import annotations

import asyncio
import time

from bot.domain.ratelimit import Pacer
from bot.sending.file_send import BATCH, units


def test_equal_texts_share_batches_of_one_hundred_and_personal_ones_go_alone() -> None:
    rows: list[tuple[int, str | None]] = [(i, None) for i in range(1, 251)]  # the send's own text for all
    planned = units(rows, "same")
    assert [len(ids) for ids, _ in planned] == [BATCH, BATCH, 50] and {t for _, t in planned} == {"same"}
    personal = units([(1, "Hi A"), (2, "Hi B"), (3, "Hi A")], "template")
    assert personal == [([1, 3], "Hi A"), ([2], "Hi B")]


async def test_the_pacer_keeps_a_steady_rate() -> None:
    pacer = Pacer(rate=100.0)
    started = time.monotonic()
    for _ in range(21):
        await pacer.wait()
    assert time.monotonic() - started >= 0.19  # 20 intervals of 10 ms after the first


async def test_callers_sharing_a_pacer_share_its_rate() -> None:
    """One pacer per process: two sends pacing on it together get the rate, not twice it."""
    pacer = Pacer(rate=100.0)

    async def send() -> None:
        for _ in range(10):
            await pacer.wait()

    started = time.monotonic()
    await asyncio.gather(send(), send())
    assert time.monotonic() - started >= 0.18  # 19 intervals of 10 ms after the first
