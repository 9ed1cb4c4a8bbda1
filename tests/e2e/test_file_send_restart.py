"""`python -m bot serve` killed (SIGKILL) half way through a send from a file, then started again
on the same database: every row is submitted exactly once, except those caught in flight by the
kill, which end Unknown and are never sent again."""

from __future__ import annotations

import asyncio
import sys
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.dev.local_server import free_port, wait_until_serving
from bot.dev.sandbox import SANDBOX_STATE, SandboxConfig, SandboxState, create_sandbox_app
from bot.dev.slack_requests import SlackRequests
from bot.dev.slack_standin import SlackStandIn
from bot.domain.states import NumberStatus, SendState
from bot.settings import load_settings
from bot.store.db import Database
from bot.store.tables import Recipient, Send
from bot.views.ids import ActionId, BlockId, CallbackId
from tests.conftest import Serve
from tests.e2e.conftest import BOT_TOKEN, CPID, PASSWORD, SIGNING_SECRET, serve_env
from tests.e2e.test_file_send import numbers
from tests.e2e.test_send_modal import form

ROWS = 2_000


def sent(sandbox: SandboxState) -> Counter[str]:
    """How many times the platform was asked to send to each number."""
    return Counter(n for message in sandbox.messages.values() for n in message.recipients)


@asynccontextmanager
async def serving(env: dict[str, str], log: Path) -> AsyncIterator[asyncio.subprocess.Process]:
    """`python -m bot serve` with its output in `log` (a pipe nobody reads would stall it)."""
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "serve", env=env, stdout=out, stderr=out
        )
    try:
        await wait_until_serving(f"http://127.0.0.1:{env['PORT']}", process)
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def rows_of(db: Database) -> list[Recipient]:
    async with db.session() as session:
        return list(await session.scalars(select(Recipient).order_by(Recipient.id)))


async def test_a_send_killed_half_way_is_finished_by_the_next_process_each_row_once(
    serve: Serve, database_url: str, tmp_path: Path
) -> None:
    standin = SlackStandIn(token=BOT_TOKEN)
    standin.base_url = await serve(standin.app())
    sandbox_app = create_sandbox_app(
        SandboxConfig(accounts={CPID: PASSWORD}, latency=0.05, report_delay=3600, balance=100_000)
    )
    sandbox_url = await serve(sandbox_app)
    sandbox = sandbox_app[SANDBOX_STATE]
    env = serve_env(
        standin,
        sandbox_url,
        database_url,
        {
            "SANTO_CONCURRENCY": "16",
            "SANTO_MAX_REQUESTS_PER_SECOND": "1000",
            "REPORT_RECONCILE_EVERY": "0.5",  # the scheduler, which resumes cut-short sends, as often
            "PORT": str(free_port()),
        },
    )
    migrate = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "migrate", env=env)
    assert await migrate.wait() == 0
    db = Database(load_settings(database_url=database_url).sqlalchemy_url)
    phones = numbers(ROWS)
    csv = "phone,n\n" + "\n".join(f"{phone},{i}" for i, phone in enumerate(phones))
    try:
        async with serving(env, tmp_path / "first.log") as first:
            slack = SlackRequests(f"http://127.0.0.1:{env['PORT']}", SIGNING_SECRET, standin)
            try:
                await start_send(slack, standin, csv, "Ticket {n}")
                await standin.wait_for(
                    lambda: sum(sent(sandbox).values()) >= ROWS // 2, timeout=60, what="half the rows sent"
                )
                first.kill()  # SIGKILL: no shutdown, requests in flight are cut
                await first.wait()
            finally:
                await slack.close()
        at_kill = await rows_of(db)
        in_flight = {r.number for r in at_kill if r.status == NumberStatus.SUBMITTING}
        stored = {r.number for r in at_kill if r.status == NumberStatus.PENDING}
        assert in_flight, "the kill should catch some numbers between their claim and their answer"
        assert len(stored) < ROWS and {r.status for r in at_kill} <= {
            NumberStatus.QUEUED,
            NumberStatus.SUBMITTING,
            NumberStatus.PENDING,
        }
        await asyncio.sleep(0.2)  # anything the dead process had already written reaches the sandbox
        assert set(sent(sandbox)) <= stored | in_flight  # nothing went out unclaimed

        env["PORT"] = str(free_port())
        async with serving(env, tmp_path / "second.log"):
            send = await finished(db, timeout=90)  # once the first run's lease lapses (10 s)
        rows = await rows_of(db)
    finally:
        await db.close()

    assert len(rows) == ROWS and [r.number for r in rows] == phones
    counts = sent(sandbox)
    assert set(counts.values()) == {1}  # nobody twice
    assert {r.number for r in rows if r.status == NumberStatus.UNKNOWN} == in_flight
    others = [r for r in rows if r.number not in in_flight]
    assert {r.status for r in others} == {NumberStatus.PENDING} and all(r.msgid for r in others)
    assert {r.number for r in others} <= set(counts)  # nobody skipped
    texts = {n: m.text for m in sandbox.messages.values() for n in m.recipients}
    assert all(texts[r.number] == f"Ticket {i}" for i, r in enumerate(rows) if r.number in texts)
    assert send.state == SendState.UNKNOWN  # some numbers' outcome cannot be known


async def start_send(slack: SlackRequests, standin: SlackStandIn, csv: str, message: str) -> None:
    """/sms → the Send modal with the CSV → its confirmation → Send."""
    status, body = await slack.command("")
    assert status == 200, body
    call = await standin.wait_for_call("views.open", timeout=10)
    view = standin.views[call.response["view"]["id"]]
    values: dict[str, Any] = form("", message)
    values[BlockId.FILE] = {
        ActionId.FILE: {"type": "file_input", "files": [standin.add_user_file("list.csv", csv.encode())]}
    }
    answer = await slack.submit_view(view, values)
    assert answer["response_action"] == "push", answer
    external_id = answer["view"]["external_id"]
    await standin.wait_for(
        lambda: any(
            v.external_id == external_id and v.callback_id == CallbackId.CONFIRM
            for v in standin.views.values()
        ),
        timeout=20,
        what="the confirmation",
    )
    confirmation = next(v for v in standin.views.values() if v.external_id == external_id)
    answer = await slack.submit_view(confirmation, {})
    assert answer["response_action"] == "update", answer


async def finished(db: Database, timeout: float) -> Send:  # noqa: ASYNC109 - a plain deadline
    """The send, once it has left Sending."""
    async with asyncio.timeout(timeout):
        while True:
            async with db.session() as session:
                send: Send | None = await session.scalar(select(Send))
            if send is not None and send.state != SendState.SENDING:
                return send
            await asyncio.sleep(0.2)
