"""Report batches in the store: the group commit's rules, one suite for the statements both
databases run (SQLite and, with TEST_DATABASE_URL, PostgreSQL)."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select, text

from bot.dev.stored_sends import accept, store_sms
from bot.domain.states import NumberStatus
from bot.santo.reports import StatusReport
from bot.store.callbacks import Callback
from bot.store.db import Database, now, unavailable
from bot.store.notify import Claim, claim_dirty, defer, settle
from bot.store.reports import store_callbacks
from bot.store.tables import BadCallback, Inbound, Recipient, Report, Send, SendChange
from tests.batch_waits import until_a_batch_waits

NUMBERS = ("8613910825657", "8613910820402", "8613910820403")


async def new_send(db: Database, msgid: str | None, numbers: tuple[str, ...] = NUMBERS) -> int:
    send_id = await store_sms(db, numbers, "1700000000.000100")
    if msgid is not None:
        await accept(db, send_id, msgid, numbers)
    return send_id


def report(msgid: str, number: str, code: str = "DELIVRD") -> Callback:
    value = "0" if code == "DELIVRD" else "400"
    content = f"{msgid}|{value}|{code}||"
    parsed = StatusReport(msgid=msgid, number=number, value=value, code=code, content=content)
    return Callback(raw=f"command=RT_REQUEST&msgid={msgid}&da={number}&rsm={content}", reports=(parsed,))


async def statuses(db: Database, send_id: int) -> dict[str, tuple[str, str | None]]:
    async with db.session() as session:
        rows = await session.execute(
            select(Recipient.number, Recipient.status, Recipient.code).where(Recipient.send_id == send_id)
        )
        return {number: (status, code) for number, status, code in rows.all()}


async def change_seq(db: Database, send_id: int) -> int:
    """The changes marked on the send: folded into it by the notifier or not yet."""
    async with db.session() as session:
        folded = await session.scalar(select(Send.change_seq).where(Send.id == send_id))
        waiting = await session.scalar(select(func.count()).where(SendChange.send_id == send_id))
        return int(folded or 0) + int(waiting or 0)


async def count(db: Database, table: type) -> int:
    async with db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


async def test_a_batch_applies_its_reports_and_marks_only_their_sends(db: Database) -> None:
    one, other = await new_send(db, "m-one"), await new_send(db, "m-other")
    seq_one, seq_other = await change_seq(db, one), await change_seq(db, other)
    await store_callbacks(db, [report("m-one", NUMBERS[0]), report("m-one", NUMBERS[1], "402")], now())
    assert await statuses(db, one) == {
        NUMBERS[0]: (NumberStatus.DELIVERED, "DELIVRD"),
        NUMBERS[1]: (NumberStatus.FAILED, "402"),
        NUMBERS[2]: (NumberStatus.PENDING, None),
    }
    assert await change_seq(db, one) == seq_one + 1  # one mark per batch, however many reports
    assert await change_seq(db, other) == seq_other
    assert await count(db, Report) == 2


async def test_the_same_report_again_changes_nothing(db: Database) -> None:
    send_id = await new_send(db, "m-dup")
    await store_callbacks(db, [report("m-dup", NUMBERS[0]), report("m-dup", NUMBERS[0])], now())
    seq = await change_seq(db, send_id)
    await store_callbacks(db, [report("m-dup", NUMBERS[0])], now())
    assert await count(db, Report) == 1
    assert await change_seq(db, send_id) == seq  # nothing new to show
    assert (await statuses(db, send_id))[NUMBERS[0]] == (NumberStatus.DELIVERED, "DELIVRD")


async def test_first_final_status_wins_within_a_batch_and_across_batches(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    send_id = await new_send(db, "m-race")
    with caplog.at_level(logging.WARNING):
        await store_callbacks(
            db,
            [report("m-race", NUMBERS[0], "402"), report("m-race", NUMBERS[0]), report("m-race", NUMBERS[1])],
            now(),
        )
        await store_callbacks(db, [report("m-race", NUMBERS[1], "403")], now())
    assert await statuses(db, send_id) == {
        NUMBERS[0]: (NumberStatus.FAILED, "402"),
        NUMBERS[1]: (NumberStatus.DELIVERED, "DELIVRD"),
        NUMBERS[2]: (NumberStatus.PENDING, None),
    }
    conflicts = [r.getMessage() for r in caplog.records if "conflicting report" in r.getMessage()]
    assert len(conflicts) == 2
    assert f"number {NUMBERS[0]} ignored: 0 DELIVRD, kept failed 402" in conflicts[0]
    assert f"number {NUMBERS[1]} ignored: 400 403, kept delivered DELIVRD" in conflicts[1]
    assert await count(db, Report) == 4  # every report is kept, raw and parsed


async def test_a_report_before_its_msgid_is_kept_then_applied(db: Database) -> None:
    send_id = await new_send(db, None)
    await store_callbacks(db, [report("m-late", NUMBERS[2], "403"), report("m-late", NUMBERS[2])], now())
    assert (await statuses(db, send_id))[NUMBERS[2]] == (NumberStatus.QUEUED, None)
    await accept(db, send_id, "m-late", NUMBERS)
    assert (await statuses(db, send_id))[NUMBERS[2]] == (NumberStatus.FAILED, "403")  # the first one


async def test_bad_and_inbound_callbacks_share_the_batch(db: Database) -> None:
    send_id = await new_send(db, "m-mixed")
    await store_callbacks(
        db,
        [
            Callback(raw="command=RT_REQUEST&msgid=", bad_reason="missing msgid"),
            report("m-mixed", NUMBERS[0]),
            Callback(raw="command=MO_REQUEST&sm=6869", command="MO_REQUEST"),
        ],
        now(),
    )
    assert (await count(db, BadCallback), await count(db, Inbound), await count(db, Report)) == (1, 1, 1)
    assert (await statuses(db, send_id))[NUMBERS[0]][0] == NumberStatus.DELIVERED


async def test_concurrent_batches_and_notifier_writes_all_land(db: Database) -> None:
    """Report batches and the notifier's claims interleave (on SQLite they share the writer's connection)."""
    numbers = tuple(f"86139{i:08d}" for i in range(60))
    send_id = await new_send(db, "m-many", numbers)

    async def notifier() -> None:
        for _ in range(10):
            for claim in await claim_dirty(db, 5, timedelta(seconds=20), now()):
                await defer(db, claim.send_id, now(), failed=False)
            await settle(db, Claim(send_id, -1), done=True)
            await asyncio.sleep(0)

    batches = [[report("m-many", n) for n in numbers[i : i + 6]] for i in range(0, 60, 6)]
    await asyncio.gather(notifier(), *(store_callbacks(db, batch, now()) for batch in batches))
    assert set((await statuses(db, send_id)).values()) == {(NumberStatus.DELIVERED, "DELIVRD")}
    assert await count(db, Report) == 60


async def test_a_failed_batch_leaves_nothing_and_the_next_one_lands(db: Database) -> None:
    """A batch is one transaction: if any of it fails, none of it stays (and no 200 is given)."""
    send_id = await new_send(db, "m-fail")
    broken = Callback(raw="\ud800", bad_reason="unreadable")  # no driver encodes a lone surrogate
    with pytest.raises(Exception, match="surrogates not allowed"):
        await store_callbacks(db, [report("m-fail", NUMBERS[0]), broken], now())
    assert await count(db, Report) == 0
    assert (await statuses(db, send_id))[NUMBERS[0]] == (NumberStatus.PENDING, None)
    await store_callbacks(db, [report("m-fail", NUMBERS[0])], now())
    assert (await statuses(db, send_id))[NUMBERS[0]] == (NumberStatus.DELIVERED, "DELIVRD")


async def test_a_batch_of_reports_written_at_once_is_all_or_nothing(db: Database) -> None:
    """PostgreSQL writes a batch of plain reports as one statement without BEGIN: it still keeps
    all of them or none, and the writer's connection serves the next batch (in a transaction or
    not)."""
    if db.is_sqlite:
        pytest.skip("SQLite does not hold a column to its length; its batches are one transaction")
    send_id = await new_send(db, "m-once")
    too_long = report("m-once", "8" * 30)  # longer than any stored number: the statement fails
    with pytest.raises(Exception, match="too long"):
        await store_callbacks(db, [report("m-once", NUMBERS[0]), too_long], now())
    assert await count(db, Report) == 0
    assert (await statuses(db, send_id))[NUMBERS[0]] == (NumberStatus.PENDING, None)
    await store_callbacks(db, [report("m-once", NUMBERS[0])], now())
    await store_callbacks(
        db, [report("m-once", NUMBERS[1], "402"), Callback(raw="?", bad_reason="bad")], now()
    )
    assert await statuses(db, send_id) == {
        NUMBERS[0]: (NumberStatus.DELIVERED, "DELIVRD"),
        NUMBERS[1]: (NumberStatus.FAILED, "402"),
        NUMBERS[2]: (NumberStatus.PENDING, None),
    }
    assert await count(db, BadCallback) == 1
    # Back in a transaction after a batch written at once: a batch failing half way leaves nothing.
    with pytest.raises(Exception, match="surrogates not allowed"):
        await store_callbacks(
            db, [report("m-once", NUMBERS[2]), Callback(raw="\ud800", bad_reason="x")], now()
        )
    assert (await statuses(db, send_id))[NUMBERS[2]] == (NumberStatus.PENDING, None)


async def test_a_batch_whose_connection_is_lost_fails_as_unavailable_and_the_next_one_lands(
    db: Database,
) -> None:
    """The connection kept for one-statement batches is lost while a batch runs on it (the
    database restarted, a proxy dropped it): that batch fails as the database's fault (the
    writer answers 503 for all of it, the platform sends again), and the next batch opens
    another connection and lands. A connection the database closed between batches is replaced
    before the next one: no batch fails for it."""
    if db.is_sqlite:
        pytest.skip("SQLite writes its batches on a connection of its own thread, in a file")
    send_id = await new_send(db, "m-lost")
    await store_callbacks(db, [report("m-lost", NUMBERS[0])], now())
    blocker = await db.engine.connect()  # holds the same report, not committed: the batch waits on it
    await blocker.execute(
        insert(Report).values(
            account="", msgid="m-lost", number=NUMBERS[1], value="0", code="DELIVRD", raw="", received_at=now()
        )
    )
    waiting = asyncio.create_task(store_callbacks(db, [report("m-lost", NUMBERS[1])], now()))
    assert await until_a_batch_waits(db, what="count(pg_terminate_backend(pid))") == 1
    with pytest.raises(Exception) as lost:
        await waiting
    assert unavailable(lost.value), repr(lost.value)
    await blocker.rollback()
    await blocker.close()
    assert (await statuses(db, send_id))[NUMBERS[1]] == (NumberStatus.PENDING, None)
    await store_callbacks(db, [report("m-lost", NUMBERS[1])], now())
    assert (await statuses(db, send_id))[NUMBERS[1]] == (NumberStatus.DELIVERED, "DELIVRD")
    async with db.session() as session:  # the kept connection closed by the database, between batches
        await session.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
        for _ in range(100):  # until the database has closed them
            others = await session.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
            if not others:
                break
            await asyncio.sleep(0.05)
    await asyncio.sleep(0.1)  # the driver reads the database's goodbye
    await store_callbacks(db, [report("m-lost", NUMBERS[2], "402")], now())
    assert (await statuses(db, send_id))[NUMBERS[2]] == (NumberStatus.FAILED, "402")


async def test_free_text_is_kept_whatever_it_holds(db: Database) -> None:
    """A callback's raw text, reason and command may hold anything the platform (or anyone with
    the URL) sent: NUL characters (PostgreSQL refuses them in text) are kept as U+FFFD, and the
    command is cut to its column, so none of them fails the batch it shares."""
    send_id = await new_send(db, "m-text")
    command = "MO_\x00" + "X" * 40
    await store_callbacks(
        db,
        [
            Callback(raw="command=RT_REQUEST&x=\x00", bad_reason="missing msgid \x00"),
            report("m-text", NUMBERS[0])._replace(raw="command=RT_REQUEST&note=\x00"),
            Callback(raw="command=MO_\x00&sm=\x00", command=command),
        ],
        now(),
    )
    assert (await statuses(db, send_id))[NUMBERS[0]][0] == NumberStatus.DELIVERED
    async with db.session() as session:
        assert list((await session.execute(select(BadCallback.raw, BadCallback.reason))).all()) == [
            ("command=RT_REQUEST&x=\ufffd", "missing msgid \ufffd")
        ]
        assert list(await session.scalars(select(Report.raw))) == ["command=RT_REQUEST&note=\ufffd"]
        [inbound] = list(await session.scalars(select(Inbound)))
    assert (inbound.command, inbound.raw) == (
        command.replace("\x00", "\ufffd")[:32],
        "command=MO_\ufffd&sm=\ufffd",
    )


@pytest.mark.parametrize("order", ["report_first", "answer_first", "at_once"])
async def test_a_report_racing_its_submits_answer_is_applied_without_waiting_for_a_sweep(
    db: Database, order: str
) -> None:
    """Whichever commits first, the report moves its number when both have committed: on
    PostgreSQL the report writer looks again after its own commit (the answer's own look may
    have missed a report not committed yet). Run at once many times, the two orders interleave."""
    rounds = 30 if order == "at_once" else 1
    for i in range(rounds):
        send_id = await new_send(db, None)
        callbacks = [report(f"race-{order}-{i}", n) for n in NUMBERS]
        store = store_callbacks(db, callbacks, now())
        answer = accept(db, send_id, f"race-{order}-{i}", NUMBERS)
        if order == "report_first":
            await store
            await answer
        elif order == "answer_first":
            await answer
            await store
        else:
            await asyncio.gather(store, answer)
        assert {n: s for n, (s, _) in (await statuses(db, send_id)).items()} == dict.fromkeys(
            NUMBERS, NumberStatus.DELIVERED
        ), f"round {i}"


async def test_a_report_whose_transaction_spans_its_submits_answer_is_applied_when_it_commits(
    db: Database,
) -> None:
    """The order that defeats both looks, forced: the report's transaction has applied (finding no
    number) and is still open when the answer commits and looks for early reports (not seeing the
    uncommitted one). The report writer's second look, after its own commit, applies it."""
    if db.is_sqlite:
        pytest.skip("SQLite has one writer at a time: the two transactions cannot overlap")
    send_id = await new_send(db, None)
    msgid = "race-forced"
    held = Callback(raw="command=RT_REQUEST", bad_reason="waits here, after the apply")
    async with db.engine.connect() as blocker, blocker.begin():
        # The batch's last write waits for this lock: its reports are inserted and applied by then.
        await blocker.execute(text("LOCK TABLE bad_callbacks IN EXCLUSIVE MODE"))
        store = asyncio.create_task(store_callbacks(db, [report(msgid, NUMBERS[0]), held], now()))
        await waiting_for_lock(db, "bad_callbacks")
        await accept(db, send_id, msgid, NUMBERS)
        assert (await statuses(db, send_id))[NUMBERS[0]][0] == NumberStatus.PENDING  # neither look saw it
    await asyncio.wait_for(store, 10)
    assert (await statuses(db, send_id))[NUMBERS[0]] == (NumberStatus.DELIVERED, "DELIVRD")


async def waiting_for_lock(db: Database, table: str) -> None:
    """Until a transaction waits for a lock on `table` (PostgreSQL)."""
    waiting = text("SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = CAST(:t AS regclass)")
    for _ in range(200):
        async with db.engine.connect() as connection:
            if await connection.scalar(waiting, {"t": table}):
                return
        await asyncio.sleep(0.05)
    raise AssertionError(f"nothing waited for a lock on {table}")
