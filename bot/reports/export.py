"""A send's results as a file in its thread: one row per number, CSV or XLSX.

The rows are read from the database a chunk at a time (`bot.store.results`) and written to a
temporary file on a worker thread, so a 100,000-number send is never in memory at once and the
event loop is never held for long; only then is the file uploaded (files.uploadV2)."""

from __future__ import annotations

import asyncio
import csv
import tempfile
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import IO, Protocol

from bot.domain.numbers import country_name
from bot.domain.sms_text import analyse
from bot.domain.states import NumberStatus
from bot.i18n import Texts
from bot.santo.codes import report_meaning, request_error_meaning
from bot.santo.errors import SantoError
from bot.services import Services
from bot.store.models import ResultRow
from bot.store.results import result_chunks
from bot.store.tables import Send

Cell = str | int | Decimal | None
COLUMNS = ("number", "country", "status", "reason", "reported_at", "parts", "cost", "reply")
UNBILLED = (NumberStatus.QUEUED, NumberStatus.SUBMITTING, NumberStatus.REJECTED, NumberStatus.NOT_SENT)
"""Numbers the platform never took: they cost nothing."""
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""A cell from outside starting with one of these would be read as a formula by a spreadsheet."""


class Format(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


class Sink(Protocol):
    def write(self, rows: list[list[Cell]]) -> None: ...
    def close(self) -> None: ...


class CsvSink:
    """UTF-8 with a byte order mark: Excel then reads Chinese text right."""

    def __init__(self, path: Path) -> None:
        self.file: IO[str] = path.open("w", encoding="utf-8-sig", newline="")
        self.writer = csv.writer(self.file)

    def write(self, rows: list[list[Cell]]) -> None:
        self.writer.writerows(rows)

    def close(self) -> None:
        self.file.close()


class XlsxSink:
    """openpyxl's write-only workbook: rows go to a temporary file as they are appended."""

    def __init__(self, path: Path) -> None:
        from openpyxl import Workbook  # here: 25 MiB a web process needs only for an XLSX

        self.path = path
        self.book = Workbook(write_only=True)
        self.sheet = self.book.create_sheet()

    def write(self, rows: list[list[Cell]]) -> None:
        for row in rows:
            self.sheet.append(row)

    def close(self) -> None:
        self.book.save(self.path)


def open_sink(kind: Format, path: Path) -> Sink:
    return CsvSink(path) if kind == Format.CSV else XlsxSink(path)


def outside_cell(text: str | None) -> str | None:
    """Text a phone wrote, never taken for a formula."""
    if text and text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def reason(t: Texts, row: ResultRow) -> str | None:
    if not row.code:
        return None
    if row.status == NumberStatus.FAILED:
        meaning = report_meaning("400", row.code)
    elif row.status == NumberStatus.REJECTED:
        meaning = request_error_meaning(row.code)
    else:
        return None
    return t("export.reason", reason=meaning, code=row.code)


class Pricing:
    """Each country's price per part, asked once per file (None: the platform gave none)."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.known: dict[str, Decimal | None] = {}

    async def cost(self, row: ResultRow, parts: int) -> Decimal | None:
        if row.status in UNBILLED or not row.region:
            return None
        if row.region not in self.known:
            try:
                self.known[row.region] = (await self.services.prices.price(row.region)).price
            except SantoError:
                self.known[row.region] = None
        price = self.known[row.region]
        return None if price is None else price * parts


async def cells(t: Texts, send: Send, pricing: Pricing, row: ResultRow) -> list[Cell]:
    parts = analyse(row.text).parts if row.text is not None else send.parts
    return [
        "+" + row.number,
        country_name(row.region, t.language) if row.region else None,
        t(f"export.status.{row.status}"),
        reason(t, row),
        f"{row.reported_at:%Y-%m-%d %H:%M:%S}" if row.reported_at else None,
        parts,
        await pricing.cost(row, parts),
        outside_cell(row.reply),
    ]


async def write_results(services: Services, send: Send, kind: Format, path: Path) -> None:
    """The send's results, in its language (its sender's), into `path`."""
    t = services.languages.texts(send.ui_language)
    pricing = Pricing(services)
    sink = await asyncio.to_thread(open_sink, kind, path)
    try:
        await asyncio.to_thread(sink.write, [[t(f"export.column.{c}") for c in COLUMNS]])
        async for chunk in result_chunks(services.db, send.id):
            rows = [await cells(t, send, pricing, row) for row in chunk]
            await asyncio.to_thread(sink.write, rows)
    finally:
        await asyncio.to_thread(sink.close)


async def upload_results(services: Services, send: Send, kind: Format, comment: str) -> None:
    """Write the file and upload it into the send's thread, with `comment`."""
    with tempfile.TemporaryDirectory(prefix="santo-export-") as folder:
        filename = f"santo-send-{send.id}.{kind.value}"
        path = Path(folder) / filename
        await write_results(services, send, kind, path)
        t = services.languages.texts(send.ui_language)
        await services.slack.files_upload_v2(
            channel=send.channel_id,
            thread_ts=send.thread_ts or send.message_ts,
            file=str(path),
            filename=filename,
            title=t("export.file_title", id=send.id),
            initial_comment=comment,
        )
