"""The weekly digest from real `python -m bot serve` processes on one PostgreSQL database: two of
them come up after Monday 09:00 has passed, the digest of the week due is posted once, with its
chart; restarted, the app does not post it again."""

from __future__ import annotations

from contextlib import AsyncExitStack
from datetime import UTC, timedelta
from pathlib import Path

from sqlalchemy import update

from bot.charts.digest import due_week
from bot.dev.local_server import free_port
from bot.dev.slack_standin import SlackStandIn
from bot.dev.stored_sends import store_sms
from bot.domain.states import NumberStatus, SendState
from bot.store.db import Database, now
from bot.store.tables import Recipient, Send
from tests.conftest import Serve
from tests.e2e.test_many_processes import ServeProcess, world

DIGESTS = "C0OPS"
NUMBERS = ["8613910000101", "8613910000102", "8613910000103", "447400123451"]


async def seed_the_due_week(db: Database) -> str:
    """A send in the week whose digest is due now (UTC): 3 of its 4 numbers delivered. Its label."""
    week = due_week(now(), UTC)
    send_id = await store_sms(db, NUMBERS, "1700000000.000100")
    async with db.session.begin() as session:
        went = week.start + timedelta(days=2, hours=10)
        await session.execute(
            update(Send).where(Send.id == send_id).values(created_at=went, state=SendState.ACCEPTED)
        )
        await session.execute(
            update(Recipient)
            .where(Recipient.send_id == send_id)
            .values(status=NumberStatus.DELIVERED, updated_at=went + timedelta(seconds=5))
        )
        await session.execute(
            update(Recipient)
            .where(Recipient.send_id == send_id, Recipient.number == NUMBERS[-1])
            .values(status=NumberStatus.FAILED, code="401")
        )
    return week.label


def digests(standin: SlackStandIn, label: str) -> list[str]:
    return [m.text for m in standin.channel_messages(DIGESTS) if label in m.text]


async def said(process: ServeProcess, standin: SlackStandIn, words: tuple[str, ...]) -> None:
    """Wait until the process's log says one of `words` about the digest."""
    await standin.wait_for(
        lambda: any(word in process.log() for word in words), timeout=60, what=f"{words} in {process.log_path}"
    )


async def test_two_processes_post_the_due_digest_once_and_not_again_after_a_restart(
    serve: Serve, postgres_url: str, tmp_path: Path
) -> None:
    async with AsyncExitStack() as stack:
        standin, env, db, _slack = await stack.enter_async_context(world(serve, postgres_url))
        label = await seed_the_due_week(db)
        env = env | {"SANTO_DIGEST_CHANNEL": DIGESTS, "SANTO_DIGEST_TIMEZONE": "UTC"}
        first = ServeProcess(env | {"PORT": str(free_port())}, tmp_path / "serve-1.log")
        second = ServeProcess(env | {"PORT": str(free_port())}, tmp_path / "serve-2.log")
        for process in (first, second):
            stack.push_async_callback(process.stop)
        await first.start()
        await second.start()

        posted, skipped = f"weekly digest {label} of", ("posted already", "another process is posting it")
        for process in (first, second):  # each has had its go at it
            await said(process, standin, (f"{posted} T0TEST posted to", *skipped))
        [digest] = digests(standin, label)
        assert f"Weekly SMS digest: {label}" in digest and "1 send to 4 numbers" in digest
        assert "Delivered 75.0%" in digest

        [message] = [m for m in standin.channel_messages(DIGESTS) if label in m.text]
        [image] = [b for b in message.blocks if b["type"] == "image"]
        [upload] = [u for u in standin.uploads if u.file_id == image["slack_file"]["id"]]
        assert upload.completed and upload.channels == [] and (upload.content or b"").startswith(b"\x89PNG")

        await first.stop()
        await second.stop()
        again = ServeProcess(env | {"PORT": str(free_port())}, tmp_path / "serve-3.log")
        stack.push_async_callback(again.stop)
        await again.start()
        await said(again, standin, ("posted already",))
        assert len(digests(standin, label)) == 1
