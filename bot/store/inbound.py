"""Inbound SMS: stored once per message, the opt-outs they ask for, and the opt-out list."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any, cast

from sqlalchemy import Connection, Table, delete, func, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.domain.opt_out import OptChange, OptWords
from bot.domain.states import NumberStatus
from bot.santo.uplink import InboundSms
from bot.store.callbacks import column_length, storable
from bot.store.changes import mark_changed
from bot.store.db import Database
from bot.store.tables import Conversation, Inbound, OptOut, Recipient, Send

_inbound = cast(Table, Inbound.__table__)
_opt_outs = cast(Table, OptOut.__table__)
_conversations = cast(Table, Conversation.__table__)
_recipients = cast(Table, Recipient.__table__)
_sends = cast(Table, Send.__table__)


INBOUND_LENGTHS: Mapping[str, int] = MappingProxyType(
    {
        "momsgid": column_length(_inbound.c.momsgid),
        "sa": column_length(_inbound.c.phone),
        "mo_da": column_length(_inbound.c.to_number),
    }
)
"""The most characters each field of an inbound SMS may have to be kept (`parse_uplink`)."""


def _insert(connection: Connection, table: Table) -> Any:
    return (sqlite_insert if connection.dialect.name == "sqlite" else pg_insert)(table)


def write_messages(
    messages: Sequence[tuple[str, InboundSms, str]], now: datetime, words: OptWords, connection: Connection
) -> None:
    """Store each message (account, message, raw) once (a repeat of a stored one changes nothing)
    and apply the opt-outs and opt-ins that the new ones ask for, the last one of each number
    winning, on the list of the account that got them."""
    rows = [
        {
            "account": account,
            "command": "MO_REQUEST",
            "raw": storable(raw),
            "received_at": now,
            "momsgid": m.momsgid,
            "phone": m.phone,
            "to_number": m.to,
            "text": storable(m.text),
            "opt": words.change(m.text),
        }
        for account, m, raw in messages
    ]
    returned = (_inbound.c.account, _inbound.c.phone, _inbound.c.opt)
    statement = _insert(connection, _inbound).on_conflict_do_nothing().returning(*returned)
    new = connection.execute(statement, rows, execution_options={"sort_by_parameter_order": True}).all()
    wanted: dict[tuple[str, str], str] = {}
    for account, phone, opt in new:
        if opt is not None:
            wanted[(account, phone)] = opt
    outs = sorted(key for key, opt in wanted.items() if opt == OptChange.OUT)
    ins = sorted(key for key, opt in wanted.items() if opt == OptChange.IN)
    if outs:
        connection.execute(
            _insert(connection, _opt_outs).on_conflict_do_nothing(),
            [
                {"account": a, "number": p, "created_at": now, "source": "sms", "user_id": None}
                for a, p in outs
            ],
        )
    if ins:
        connection.execute(delete(_opt_outs).where(tuple_(_opt_outs.c.account, _opt_outs.c.number).in_(ins)))


async def opted_out(db: Database, account: str, numbers: Iterable[str]) -> set[str]:
    """Which of these numbers asked the account not to send them messages."""
    found: set[str] = set()
    left = iter(numbers)
    async with db.engine.connect() as connection:
        # Bounded parameter lists for big file sends, taken as they come (no copy of them all).
        while chunk := list(dict.fromkeys(itertools.islice(left, 5000))):
            listed = _opt_outs.c.account == account, _opt_outs.c.number.in_(chunk)
            rows = await connection.execute(select(_opt_outs.c.number).where(*listed))
            found.update(row[0] for row in rows)
    return found


async def list_opt_outs(db: Database, account: str, limit: int = 200) -> list[OptOut]:
    async with db.session() as session:
        query = (
            select(OptOut).where(OptOut.account == account).order_by(OptOut.created_at.desc()).limit(limit)
        )
        return list(await session.scalars(query))


async def add_opt_out(db: Database, account: str, number: str, user_id: str, now: datetime) -> bool:
    """True if the number was not on the account's list yet."""

    def add(connection: Connection) -> bool:
        statement = _insert(connection, _opt_outs).on_conflict_do_nothing()
        row = {"account": account, "number": number, "created_at": now, "source": "admin", "user_id": user_id}
        return bool(connection.execute(statement, row).rowcount)

    return await db.write(add)


async def remove_opt_out(db: Database, account: str, number: str) -> bool:
    """True if the number was on the account's list."""
    listed = delete(_opt_outs).where(_opt_outs.c.account == account, _opt_outs.c.number == number)
    return bool(await db.write(lambda c: c.execute(listed).rowcount))


@dataclass(frozen=True)
class ReplyTarget:
    """The send a number's messages answer: the latest one sent to it within the reply window."""

    send_id: int
    channel_id: str
    thread_ts: str
    ui_language: str | None


async def reply_targets(
    db: Database, account: str, phones: Iterable[str], since: datetime
) -> dict[str, ReplyTarget]:
    """For each phone the account sent to since `since` (and whose send's message exists), the
    latest such send."""
    wanted = list(dict.fromkeys(phones))
    if not wanted:
        return {}
    latest = (
        select(_recipients.c.number, func.max(_recipients.c.send_id).label("send_id"))
        .join(_sends, _sends.c.id == _recipients.c.send_id)
        .where(
            _recipients.c.account == account,
            _recipients.c.number.in_(wanted),
            _sends.c.created_at >= since,
            _sends.c.message_ts.is_not(None),
        )
        .group_by(_recipients.c.number)
        .subquery()
    )
    thread = func.coalesce(_sends.c.thread_ts, _sends.c.message_ts)
    query = select(latest.c.number, _sends.c.id, _sends.c.channel_id, thread, _sends.c.ui_language).join(
        _sends, _sends.c.id == latest.c.send_id
    )
    async with db.engine.connect() as connection:
        rows = (await connection.execute(query)).all()
    return {
        number: ReplyTarget(send_id, channel, ts, language) for number, send_id, channel, ts, language in rows
    }


async def conversations(db: Database, account: str, phones: Iterable[str]) -> dict[str, Conversation]:
    wanted = list(dict.fromkeys(phones))
    if not wanted:
        return {}
    async with db.session() as session:
        found = await session.scalars(
            select(Conversation).where(Conversation.account == account, Conversation.phone.in_(wanted))
        )
        return {c.phone: c for c in found}


async def start_conversation(db: Database, account: str, phone: str, channel_id: str, thread_ts: str) -> None:
    def start(connection: Connection) -> None:
        row = {"account": account, "phone": phone, "channel_id": channel_id, "thread_ts": thread_ts}
        connection.execute(_insert(connection, _conversations).on_conflict_do_nothing(), row)

    await db.write(start, durable=False)


async def mark_posted(db: Database, ids: Sequence[int], send_id: int | None, now: datetime) -> None:
    """Shown in Slack: never posted again; a reply counts on its send's message from now on."""

    def mark(connection: Connection) -> None:
        connection.execute(
            update(_inbound).where(_inbound.c.id.in_(ids)).values(posted_at=now, send_id=send_id)
        )
        if send_id is not None:
            mark_changed(connection, [send_id], now)

    await db.write(mark, durable=False)


async def release(db: Database, ids: Sequence[int]) -> None:
    """Not now (Slack said slow down): another pass takes them again at once."""
    await db.write(
        lambda c: c.execute(update(_inbound).where(_inbound.c.id.in_(ids)).values(claimed_until=None)),
        durable=False,
    )


OPTED_OUT_CODE = "OPTOUT"
"""The code of a number not sent to because it opted out (after the send was stored)."""


async def skip_opted_out(db: Database, send_id: int) -> set[str]:
    """Mark the send's numbers that are still queued but opted out meanwhile as not sent; their
    numbers. Run before any submit: the platform never sees them."""

    def skip(connection: Connection) -> set[str]:
        rows = connection.execute(
            update(_recipients)
            .where(
                _recipients.c.send_id == send_id,
                _recipients.c.status == NumberStatus.QUEUED,
                _recipients.c.number.in_(
                    select(_opt_outs.c.number).where(_opt_outs.c.account == _recipients.c.account)
                ),
            )
            .values(status=NumberStatus.NOT_SENT, code=OPTED_OUT_CODE)
            .returning(_recipients.c.number)
        )
        return {row[0] for row in rows}

    return await db.write(skip)


async def inbound_message(db: Database, inbound_id: int) -> Inbound | None:
    async with db.session() as session:
        return await session.get(Inbound, inbound_id)
