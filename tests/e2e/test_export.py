"""Download CSV / XLSX on a send's message: one row per number, as stored, in its thread."""

from __future__ import annotations

import asyncio
import csv
import io
from decimal import Decimal
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import func, select

from bot.dev.sandbox import SandboxConfig
from bot.dev.slack_standin.records import Upload
from bot.domain.numbers import country_name
from bot.domain.states import NumberStatus
from bot.i18n import TEXTS, Language, Texts
from bot.santo.codes import DELIVERED_CODE, report_meaning
from bot.store.tables import Inbound, Recipient, Send
from bot.views.ids import ActionId
from tests.e2e.conftest import CHANNEL, MakeWorld, World
from tests.e2e.test_file_send import FAST, numbers, send_it, with_file
from tests.e2e.test_retry_and_schedule import button, last_response
from tests.e2e.test_send_modal import WEI, open_modal, review

EN = TEXTS[Language.EN]
ZH = TEXTS[Language.ZH_HANS]
SILENT = "8613900000005"
"""Never gets a report: stays Pending."""
PRICE = Decimal("0.08")
"""The sandbox's price of a part to China."""
BILLED = {NumberStatus.PENDING, NumberStatus.DELIVERED, NumberStatus.FAILED}
MIXED = SandboxConfig(
    report_delay=0.05,
    fail_rate=0.3,
    balance=100_000,
    reply_delay=0.05,
    # The phones that write back (…0777 YES, …0778 STOP) do so only when delivered: the draws
    # follow the order the batches reach the platform, so their outcomes are set.
    forced={SILENT: "none", "8613900000777": DELIVERED_CODE, "8613900000778": DELIVERED_CODE},
)


async def settled(world: World, replies: int) -> Send:
    """The newest send once every number but SILENT has its report and `replies` replies are in
    its thread."""

    async def done() -> bool:
        async with world.services.db.session() as session:
            waiting = await session.scalar(
                select(func.count()).where(
                    Recipient.status.in_([NumberStatus.QUEUED, NumberStatus.SUBMITTING, NumberStatus.PENDING])
                )
            )
            answered = await session.scalar(select(func.count()).where(Inbound.send_id.is_not(None)))
        return waiting == 1 and answered == replies

    for _ in range(1200):
        if await done():
            await world.quiet()
            return (await world.sends())[-1]
        await asyncio.sleep(0.05)
    raise AssertionError("the send's reports did not all come within 60 s")


async def download(world: World, action: str, send: Send, user: str = "U0ALICE") -> Upload:
    before = len(world.standin.uploads)
    status, body = await world.slack.click(action, str(send.id), user=user, message_ts=send.message_ts)
    assert status == 200, body
    await world.standin.wait_for(
        lambda: any(u.completed for u in world.standin.uploads[before:]), timeout=30, what="the upload"
    )
    return next(u for u in world.standin.uploads[before:] if u.completed)


async def expected(world: World, t: Texts, send: Send) -> list[list[str]]:
    """What the file must hold, from the stored state, every cell as text."""
    async with world.services.db.session() as session:
        rows = list(
            await session.scalars(
                select(Recipient).where(Recipient.send_id == send.id).order_by(Recipient.id)
            )
        )
        inbound = list(
            await session.scalars(select(Inbound).where(Inbound.send_id == send.id).order_by(Inbound.id))
        )
    replies = {i.phone: i.text for i in inbound}
    header = [
        t(f"export.column.{c}")
        for c in ("number", "country", "status", "reason", "reported_at", "parts", "cost", "reply")
    ]
    table = [header]
    for r in rows:
        reason = (
            t("export.reason", reason=report_meaning("400", r.code), code=r.code)
            if r.status == NumberStatus.FAILED
            else ""
        )
        reported = (
            f"{r.updated_at:%Y-%m-%d %H:%M:%S}"
            if r.status in (NumberStatus.DELIVERED, NumberStatus.FAILED)
            else ""
        )
        table.append(
            [
                "+" + r.number,
                country_name("CN", t.language),
                t(f"export.status.{r.status}"),
                reason,
                reported,
                "1",
                str(PRICE) if r.status in BILLED else "",
                replies.get(r.number) or "",
            ]
        )
    return table


def csv_table(upload: Upload) -> list[list[str]]:
    assert upload.content is not None
    return list(csv.reader(io.StringIO(upload.content.decode("utf-8-sig"))))


def xlsx_table(upload: Upload) -> list[list[str]]:
    assert upload.content is not None
    sheet = load_workbook(io.BytesIO(upload.content), read_only=True).worksheets[0]

    def text(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, float):
            return str(Decimal(str(value)).quantize(PRICE))
        return str(value)

    rows = [[text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    return [row + [""] * (len(rows[0]) - len(row)) for row in rows]  # trailing empty cells are not stored


def costs_as_decimals(table: list[list[str]]) -> list[list[str]]:
    return [
        [*row[:6], str(Decimal(row[6]).quantize(PRICE)) if row[6] and i else row[6], *row[7:]]
        for i, row in enumerate(table)
    ]


async def test_a_2000_number_send_downloads_as_csv_and_xlsx_row_by_row(make_world: MakeWorld) -> None:
    world = await make_world(MIXED, **FAST)
    nums = numbers(2000)
    view = await open_modal(world)
    confirmation = await review(
        world, view, with_file(world, "phone\n" + "\n".join(nums), "Your parcel is ready")
    )
    await send_it(world, confirmation)
    send = await settled(world, replies=2)  # …0777 writes YES, …0778 STOP
    assert button(world, ActionId.EXPORT_CSV) == str(send.id) and button(world, ActionId.EXPORT_XLSX) == str(
        send.id
    )
    want = await expected(world, EN, send)
    statuses = {row[2] for row in want[1:]}
    assert statuses == {"Delivered", "Failed", "Pending"} and {"YES", "STOP"} <= {row[7] for row in want}

    upload = await download(world, ActionId.EXPORT_CSV, send)
    assert upload.filename == f"santo-send-{send.id}.csv"
    assert upload.channels == [CHANNEL] and upload.thread_ts == send.message_ts
    assert upload.initial_comment == EN("export.comment", user="U0ALICE")
    got = csv_table(upload)
    assert len(got) == 2001
    assert costs_as_decimals(got) == want

    workbook = await download(world, ActionId.EXPORT_XLSX, send)
    assert workbook.filename == f"santo-send-{send.id}.xlsx" and workbook.thread_ts == send.message_ts
    assert xlsx_table(workbook) == want


async def test_only_who_may_see_the_send_gets_it_in_the_senders_language(make_world: MakeWorld) -> None:
    world = await make_world(MIXED, sms_allowed_users=f"{WEI},U0ALICE", sms_admins="U0DAVE")
    await world.send("send 8613910825657,8613910820402 会议改到下午三点", user=WEI)
    await world.shows("*失败* 1")
    await world.quiet()
    [send] = await world.sends()

    status, _ = await world.slack.click(
        ActionId.EXPORT_CSV, str(send.id), user="U0BOB", message_ts=send.message_ts
    )
    assert status == 200
    refusal = EN("export.not_allowed", channel=CHANNEL)
    await world.standin.wait_for(lambda: last_response(world) == refusal, what="the refusal")
    assert not world.standin.uploads

    for user in ("U0ALICE", "U0DAVE"):
        table = csv_table(await download(world, ActionId.EXPORT_CSV, send, user=user))
        assert table == await expected(world, ZH, send)
    assert table[0][0] == "号码" and table[2][2] == "失败"
