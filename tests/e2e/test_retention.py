"""SANTO_KEEP_DAYS: the reconciler removes the texts and numbers of old sends, reports and
replies, and keeps who sent how many when (the audit trail) and who said STOP."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import aiohttp
from sqlalchemy import select, text, update

from bot.store.tables import AuditEntry, BadCallback, Base, Conversation, Inbound, Recipient, Report, Send
from tests.e2e.conftest import MakeWorld, World

OLD_TEXT = "Your old code is 4821"
OLD_NUMBERS = ("8613910825657", "8613910820777", "8613910820778")  # delivered, answers YES, STOP
STRANGER = "8613910821234"
AGE = timedelta(days=100)


async def backdate(world: World) -> None:
    """Everything stored so far happened 100 days ago."""
    async with world.services.db.session.begin() as session:
        for column in (
            Send.created_at,
            Report.received_at,
            Inbound.received_at,
            AuditEntry.at,
            BadCallback.received_at,
        ):
            table = column.class_
            for row_id, at in (await session.execute(select(table.id, column))).all():
                await session.execute(update(table).where(table.id == row_id).values({column.key: at - AGE}))


async def everything(world: World) -> str:
    """Every row of every table, as text."""
    rows = []
    async with world.services.db.session() as session:
        for table in Base.metadata.sorted_tables:
            if table.name != "opt_outs":
                rows += [str(row) for row in (await session.execute(text(f"SELECT * FROM {table.name}"))).all()]
    return "\n".join(rows)


async def test_old_texts_and_numbers_go_the_audit_trail_and_opt_outs_stay(make_world: MakeWorld) -> None:
    world = await make_world(
        santo_inbox_channel="C0OPS", sms_max_recipients=3, report_reconcile_every="0.2s", santo_keep_days=90
    )
    await world.send(f"send {','.join(OLD_NUMBERS)} {OLD_TEXT}")
    await world.shows("*Replies* 2", within=15)
    refused = await world.command("send 8613910825657,8613910825658,8613910825659,8613910825660 too many")
    assert "4" in refused.text
    async with aiohttp.ClientSession() as http:
        mo = {"from": f"+{STRANGER}", "text": "who is this?"}
        async with http.post(world.settings.santo_base_url + "/_sandbox/mo", json=mo) as answer:
            assert answer.status == 200
        async with http.get(world.report_url + f"?command=RT_REQUEST&msgid=x&da={STRANGER}&sm=zz") as answer:
            assert answer.status == 400  # kept for inspection
    await world.standin.wait_for(lambda: world.standin.last_message("C0OPS") is not None, what="the inbox")
    await world.quiet()
    await backdate(world)
    [old] = await world.sends()

    await world.send("send 8613910825699 a new one")  # young: kept whole
    await world.standin.wait_for(lambda: len(world.sandbox.messages) == 2, what="the new send")

    async def emptied() -> bool:
        async with world.services.db.session() as session:
            return await session.scalar(select(Send.text).where(Send.id == old.id)) == ""

    for _ in range(100):  # the reconciler's rounds come every 0.2 s
        if await emptied() and STRANGER not in await everything(world):
            break
        await asyncio.sleep(0.1)
    stored = await everything(world)
    assert OLD_TEXT not in stored and "who is this" not in stored
    for number in (*OLD_NUMBERS, STRANGER):
        assert number not in stored, number
    assert "a new one" in stored and "8613910825699" in stored

    async with world.services.db.session() as session:
        kept = await session.get(Send, old.id)
        assert kept is not None and (kept.recipients, kept.state) == (3, "accepted")
        assert not list(await session.scalars(select(Recipient).where(Recipient.send_id == old.id)))
        replies = list(await session.scalars(select(Inbound).where(Inbound.send_id == old.id)))
        assert len(replies) == 2 and all(reply.phone is None and reply.raw == "" for reply in replies)
        assert not list(await session.scalars(select(Conversation)))
        audit = list(await session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
        assert [(e.action, e.user_id, e.recipients, e.detail is None) for e in audit] == [
            ("send", "U0ALICE", 3, True),  # who sent how many, when: kept
            ("refused", "U0ALICE", 4, True),  # the refusal's words are gone
            ("send", "U0ALICE", 1, True),
        ]
        opted_out = (await session.execute(text("SELECT number FROM opt_outs"))).scalars().all()
        assert list(opted_out) == [OLD_NUMBERS[2]]  # STOP is remembered however old
