"""Request planning and pacing of sends from a file."""

from __future__ import annotations

import time

from bot.campaign_send import BATCH, Pacer, units


def test_equal_texts_share_batches_of_one_hundred_and_personal_ones_go_alone() -> None:
    rows = [(i, f"86{i}", None) for i in range(1, 251)]  # the send's own text for all
    planned = units(rows, "same")
    assert [len(ids) for ids, _ in planned] == [BATCH, BATCH, 50] and {t for _, t in planned} == {"same"}
    personal = units([(1, "a", "Hi A"), (2, "b", "Hi B"), (3, "c", "Hi A")], "template")
    assert personal == [([1, 3], "Hi A"), ([2], "Hi B")]


async def test_the_pacer_keeps_a_steady_rate() -> None:
    pacer = Pacer(rate=100.0)
    started = time.monotonic()
    for _ in range(21):
        await pacer.wait()
    assert time.monotonic() - started >= 0.19  # 20 intervals of 10 ms after the first
