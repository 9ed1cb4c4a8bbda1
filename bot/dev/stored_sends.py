"""Sends as the send pipeline stores them once the platform has accepted them: what the tests
and benchmarks of delivery reports need to report on, without going through Slack."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from bot.domain.numbers import parse_number
from bot.domain.states import SendKind
from bot.santo.models import BatchOutcome, SubmitResult
from bot.store.db import Database
from bot.store.models import NewSend
from bot.store.sends import create_send, record_batch
from bot.store.tables import OWN_ACCOUNT


async def store_sms(
    db: Database,
    numbers: Sequence[str],
    message_ts: str,
    *,
    text: str = "hello",
    team_id: str = "T0TEST",
    channel_id: str = "C0GENERAL",
    account: str = OWN_ACCOUNT,
) -> int:
    """A one-part GSM-7 SMS from U0ALICE to `numbers`, posted as `message_ts`; returns its id."""
    new = NewSend(
        team_id=team_id,
        user_id="U0ALICE",
        channel_id=channel_id,
        kind=SendKind.SMS,
        text=text,
        sender_id=None,
        lang=None,
        encoding="GSM-7",
        parts=1,
        estimated_cost=Decimal("0.08") * len(numbers),
        numbers=tuple(parse_number(number) for number in numbers),
        account=account,
    )
    return await create_send(db, new, message_ts)


async def accept(
    db: Database, send_id: int, msgid: str, numbers: tuple[str, ...], command: str = "MT_RESPONSE"
) -> None:
    """The platform's answer to one batch: accepted, under `msgid`."""
    result = SubmitResult(command=command, accepted=True, code="000", msgid=msgid, numbers=numbers)
    await record_batch(db, send_id, BatchOutcome(numbers, result=result))
