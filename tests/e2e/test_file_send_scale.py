"""Sends from a file at full size, and the rate cap shared by the sends of one process."""

from __future__ import annotations

import asyncio
from collections import Counter

from bot.dev.sandbox import SandboxConfig
from bot.domain.states import NumberStatus, SendState
from bot.sending.file_send import PAGE
from bot.store.sends import ROWS_PER_INSERT
from tests.e2e.conftest import MakeWorld, blocks_text
from tests.e2e.test_file_send import numbers, send_it, sent, texts, with_file
from tests.e2e.test_send_modal import open_modal, review

FAILING = ("0401", "0402", "0403", "0404", "0501")
"""Endings the sandbox fails (manual 5.2 codes); `0000` is never reported, so it is left out."""


def reported_numbers(n: int) -> list[str]:
    """`n` numbers that all get a report (none ends in 0000)."""
    return [number for number in numbers(n + n // 10_000 + 1) if not number.endswith("0000")][:n]


async def test_ten_thousand_rows_are_each_sent_once_and_every_row_is_accounted_for(
    make_world: MakeWorld,
) -> None:
    """10,000 rows, the biggest file, against a platform that takes 10 ms a request: 9,500 rows
    share five texts (batches of 100), 500 have their own (one request each). Every number
    reaches the platform exactly once and every row ends with a status: Delivered or Failed
    for the tenth the platform reports on, Pending (accepted, its msgid stored) for the rest."""
    world = await make_world(
        SandboxConfig(latency=0.01, report_delay=0.2, no_report_rate=0.9, balance=100_000),
        santo_concurrency="16",
        santo_max_requests_per_second="2000",
        report_reconcile_every="1",  # a report that beat its msgid into the database waits for this
    )
    phones = reported_numbers(10_000)
    rows = [f"{phone},{f'T{i % 5}' if i < 9_500 else f'U{i}'}" for i, phone in enumerate(phones)]
    view = await open_modal(world)
    confirmation = await review(
        world, view, with_file(world, "phone,team\n" + "\n".join(rows), "Team {team}")
    )
    assert "10,000" in blocks_text(confirmation.blocks)
    await send_it(world, confirmation)
    await world.standin.wait_for(
        lambda: sum(sent(world).values()) == 10_000, timeout=60, what="10,000 numbers at the platform"
    )
    outcomes = Counter(r.outcome for m in world.sandbox.messages.values() for r in m.recipients.values())
    reported = 10_000 - outcomes["none"]

    async def settled() -> Counter[str]:
        while True:
            sends = await world.sends()
            if sends and sends[0].state != SendState.SENDING:
                counts = Counter(r.status for r in await world.recipients())
                if counts[NumberStatus.DELIVERED] + counts[NumberStatus.FAILED] == reported:
                    return counts
            await asyncio.sleep(0.2)

    statuses = await asyncio.wait_for(settled(), timeout=60)
    await world.idle()
    await world.quiet()

    counts = sent(world)
    assert len(counts) == 10_000 and set(counts.values()) == {1} and set(counts) == set(phones)
    assert len(world.sandbox.messages) == 95 + 500  # 9,500 in batches of 100, 500 alone
    got = texts(world)
    assert got[phones[0]] == "Team T0" and got[phones[9_499]] == "Team T4" and got[phones[-1]] == "Team U9999"
    [send] = await world.sends()
    assert send.state == SendState.ACCEPTED
    failing = sum(1 for p in phones if p.endswith(FAILING))  # failed by the sandbox's conventions
    assert statuses == Counter(
        {
            NumberStatus.DELIVERED: outcomes["DELIVRD"],
            NumberStatus.FAILED: reported - outcomes["DELIVRD"],
            NumberStatus.PENDING: 10_000 - reported,
        }
    )
    assert sum(statuses.values()) == 10_000 and statuses[NumberStatus.FAILED] >= failing > 0
    assert all(r.msgid for r in await world.recipients())
    home = world.standin.last_message(send.channel_id)
    assert home is not None and f"{10_000 - reported:,}" in blocks_text(home.blocks)


async def test_twenty_thousand_rows_are_all_stored_in_file_order_with_their_texts(
    make_world: MakeWorld,
) -> None:
    """A file past the rows one statement stores (`ROWS_PER_INSERT`) and a run reads back at a time
    (`PAGE`): the confirmation counts every row, and the stored send has every number of the file,
    in its order, each with its own text, each sent once."""
    rows = 2 * max(ROWS_PER_INSERT, PAGE)
    world = await make_world(
        SandboxConfig(report_delay=3600, balance=100_000),
        santo_concurrency="16",
        santo_max_requests_per_second="2000",
        sms_max_recipients=str(rows),
    )
    phones = numbers(rows)
    csv = "phone,team\n" + "\n".join(f"{phone},T{i % 4}" for i, phone in enumerate(phones))
    view = await open_modal(world)
    confirmation = await review(world, view, with_file(world, csv, "Team {team}"), within=60)
    assert f"personalised SMS to {rows:,} numbers" in blocks_text(confirmation.blocks)
    await send_it(world, confirmation)
    await world.standin.wait_for(
        lambda: sum(sent(world).values()) == rows, timeout=60, what="every number at the platform"
    )
    await world.idle(within=60)  # the last answers of 20,000 are still being stored

    [send] = await world.sends()
    assert send.state == SendState.ACCEPTED and send.recipients == rows
    stored = await world.recipients()
    assert [r.number for r in stored] == phones
    assert [r.text for r in stored] == [f"Team T{i % 4}" for i in range(rows)]
    assert {r.status for r in stored} == {NumberStatus.PENDING}
    counts = sent(world)
    assert set(counts.values()) == {1} and texts(world)[phones[-1]] == f"Team T{(rows - 1) % 4}"


async def test_two_sends_at_once_share_the_process_rate_cap(make_world: MakeWorld) -> None:
    """SANTO_MAX_REQUESTS_PER_SECOND holds for the process: two personalised sends running at
    the same time together stay under it (each alone would be allowed the whole cap)."""
    cap, each = 40, 100
    world = await make_world(
        SandboxConfig(report_delay=3600, balance=100_000),
        santo_concurrency="8",
        santo_max_requests_per_second=str(cap),
    )
    confirmations = []
    for name, start in (("A", 0), ("B", 5_000)):
        csv = "phone,n\n" + "\n".join(f"{p},{i}" for i, p in enumerate(numbers(each, start)))
        view = await open_modal(world)
        confirmations.append(await review(world, view, with_file(world, csv, f"{name}{{n}}")))
    await asyncio.gather(*(send_it(world, c) for c in confirmations))
    await world.standin.wait_for(
        lambda: sum(sent(world).values()) == 2 * each, timeout=30, what="both sends' requests"
    )
    await world.idle()

    stamps = sorted((m.accepted_at, m.text[0]) for m in world.sandbox.messages.values())
    assert len(stamps) == 2 * each and set(sent(world).values()) == {1}
    a = [at for at, name in stamps if name == "A"]
    b = [at for at, name in stamps if name == "B"]
    assert max(a[0], b[0]) < min(a[-1], b[-1])  # the two sends did go out at the same time
    times = [at for at, _ in stamps]
    # Generous slack: a behaviour check (two pacers would allow twice the cap), not a benchmark.
    assert (len(times) - 1) / (times[-1] - times[0]) <= cap * 1.25
    busiest = max(sum(1 for t in times if start <= t < start + 1.0) for start in times)
    assert busiest <= cap * 1.5  # a stall of the loop can bunch a few slots; two pacers would give 2 × cap
    assert {s.state for s in await world.sends()} == {SendState.ACCEPTED}
