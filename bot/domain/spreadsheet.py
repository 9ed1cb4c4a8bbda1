"""Sends from a file: a CSV or an Excel workbook of numbers and other columns, and a message
with `{column}` placeholders.

Pure functions only (no I/O): parse the file, find the phone column, check the placeholders,
render each row's message. The Send modal downloads the file; `bot.sending.file_send` sends.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import openpyxl

from bot.domain.numbers import NumberError, PhoneNumber, parse_number
from bot.domain.sms_text import analyse
from bot.i18n import Msg, Problem

MAX_ROWS = 10_000
MAX_FILE_BYTES = 5 * 1024 * 1024
PHONE_HEADERS = ("phone", "mobile", "number", "msisdn", "tel", "手机", "电话", "号码")
"""Header names that mark the phone column (case-insensitive; also as a prefix: `Phone number`)."""

_PLACEHOLDER = re.compile(r"\{([^{}\n]{1,64})\}")


class FileProblem(Problem):
    """The file cannot be used; `message` says why and what to do."""


def too_large() -> FileProblem:
    return FileProblem(Msg.of("file_send.problem.too_large", mb=MAX_FILE_BYTES // (1024 * 1024)))


@dataclass(frozen=True)
class Sheet:
    """A parsed file: column names, which one holds the numbers, and the data rows."""

    columns: tuple[str, ...]
    phone_column: int
    rows: tuple[tuple[str, ...], ...]
    first_line: int
    """The file's line (1-based) of `rows[0]`: 2 with a header, 1 without."""


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileProblem(Msg.of("file_send.problem.not_text"))


def _delimiter(text: str) -> str:
    """Comma, semicolon (spreadsheets in many locales) or tab: the most common in the first line."""
    first = text.split("\n", 1)[0]
    counts = {d: first.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _is_phone_header(name: str) -> bool:
    lowered = name.strip().lower()
    for h in PHONE_HEADERS:
        if h.isascii():
            words = lowered.replace("_", " ").replace("-", " ").split()
            if h in words:
                return True
        elif h in lowered:
            return True
    return False


def _looks_like_number(cell: str) -> bool:
    digits = sum(c.isdigit() for c in cell)
    return digits >= 5 and digits >= len(cell.strip()) * 0.6


def parse_csv(data: bytes, max_rows: int = MAX_ROWS) -> Sheet:
    """The file's rows. The phone column is the one whose header names it, or the first.
    Without a header (the first row holds a number) columns are named `1`, `2`, …"""
    if len(data) > MAX_FILE_BYTES:
        raise too_large()
    text = _decode(data)
    if "\x00" in text:
        raise FileProblem(Msg.of("file_send.problem.not_csv"))
    try:
        raw = [
            [cell.strip() for cell in row]
            for row in csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
        ]
    except csv.Error as exc:
        raise FileProblem(Msg.of("file_send.problem.unreadable_csv", error=str(exc))) from None
    return _sheet(raw, max_rows)


def parse_xlsx(data: bytes, max_rows: int = MAX_ROWS) -> Sheet:
    """The first worksheet of an Excel workbook, read as `parse_csv` reads a CSV."""
    if len(data) > MAX_FILE_BYTES:
        raise too_large()
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # zipfile, XML and openpyxl errors alike: the file is not a workbook
        raise FileProblem(Msg.of("file_send.problem.unreadable_xlsx")) from None
    try:
        if not book.worksheets:
            raise FileProblem(Msg.of("file_send.problem.no_sheet"))
        raw: list[list[str]] = []
        filled = 0
        for values in book.worksheets[0].iter_rows(values_only=True):
            row = [_cell(v) for v in values]
            raw.append(row)
            filled += any(row)
            if filled > max_rows + 1:  # header + rows: enough to know it is too long
                raise FileProblem(Msg.of("file_send.problem.more_rows", most=max_rows))
    finally:
        book.close()
    return _sheet(raw, max_rows)


def parse_file(name: str, data: bytes, max_rows: int = MAX_ROWS) -> Sheet:
    """A CSV or an Excel workbook (by its name, or its content: an .xlsx file is a zip)."""
    if name.lower().endswith(".xlsx") or data[:4] == b"PK\x03\x04":
        return parse_xlsx(data, max_rows)
    return parse_csv(data, max_rows)


def _cell(value: object) -> str:
    """An Excel cell as text: a number stored as a number keeps all its digits."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(" ")
    return str(value).strip()


def _sheet(raw: list[list[str]], max_rows: int) -> Sheet:
    lines = [(i + 1, row) for i, row in enumerate(raw) if any(row)]
    if not lines:
        raise FileProblem(Msg.of("file_send.problem.empty"))
    first = lines[0][1]
    phone = next((i for i, name in enumerate(first) if _is_phone_header(name)), None)
    if phone is None and first and _looks_like_number(first[0]):
        width = max(len(row) for _, row in lines)
        columns = tuple(str(i + 1) for i in range(width))
        data_lines = lines
        phone = 0
    else:
        columns = tuple(name or str(i + 1) for i, name in enumerate(first))
        data_lines = lines[1:]
        phone = phone or 0
    if not data_lines:
        raise FileProblem(Msg.of("file_send.problem.header_only"))
    if len(data_lines) > max_rows:
        raise FileProblem(Msg.of("file_send.problem.rows", n=len(data_lines), most=max_rows))
    width = len(columns)
    rows = tuple(tuple((row + [""] * width)[:width]) for _, row in data_lines)
    return Sheet(columns=columns, phone_column=phone, rows=rows, first_line=data_lines[0][0])


def placeholders(template: str) -> list[str]:
    """The `{name}` placeholders in a message, in order, without repeats."""
    return list(dict.fromkeys(m.group(1).strip() for m in _PLACEHOLDER.finditer(template)))


def column_index(columns: tuple[str, ...]) -> dict[str, int]:
    """Column name (case-insensitive, trimmed) → index; the first of equal names wins."""
    index: dict[str, int] = {}
    for i, name in enumerate(columns):
        index.setdefault(name.strip().lower(), i)
    return index


def unknown_placeholders(template: str, columns: tuple[str, ...]) -> list[str]:
    known = column_index(columns)
    return [name for name in placeholders(template) if name.lower() not in known]


def render(template: str, columns: tuple[str, ...], row: tuple[str, ...]) -> tuple[str, list[str]]:
    """The row's message, and the placeholders whose cell is empty (or unknown)."""
    known = column_index(columns)
    missing: list[str] = []

    def fill(match: re.Match[str]) -> str:
        name = match.group(1).strip()
        i = known.get(name.lower())
        value = row[i] if i is not None and i < len(row) else ""
        if not value:
            missing.append(name)
        return value

    return _PLACEHOLDER.sub(fill, template), list(dict.fromkeys(missing))


@dataclass(frozen=True)
class Row:
    line: int
    number: PhoneNumber
    text: str


@dataclass(frozen=True)
class FileSendPlan:
    """What a file and a message come to: one message per valid row, and the rows left out."""

    rows: tuple[Row, ...]
    bad: tuple[tuple[int, str, Msg], ...]
    """(line, what the phone cell held, why it is left out)."""
    duplicates: int
    personalised: bool
    """Some rows' messages differ (placeholders used)."""

    @property
    def longest_parts(self) -> int:
        return max((analyse(t).parts for t in {r.text for r in self.rows}), default=0)


def plan_messages(sheet: Sheet, template: str) -> FileSendPlan:
    """Check every row: a valid, new number and every placeholder filled."""
    unknown = unknown_placeholders(template, sheet.columns)
    if unknown:
        raise FileProblem(unknown_columns(unknown, sheet.columns))
    rows: list[Row] = []
    bad: list[tuple[int, str, Msg]] = []
    seen: set[str] = set()
    duplicates = 0
    for offset, cells in enumerate(sheet.rows):
        line = sheet.first_line + offset
        raw = cells[sheet.phone_column]
        if not raw:
            bad.append((line, raw, Msg.of("file_send.bad.no_number")))
            continue
        try:
            number = parse_number(raw)
        except NumberError as exc:
            bad.append((line, raw, exc.reason))
            continue
        text, missing = render(template, sheet.columns, cells)
        if missing:
            bad.append((line, raw, Msg.of("file_send.bad.empty", fields=_braced(missing))))
            continue
        if number.msisdn in seen:
            duplicates += 1
            continue
        seen.add(number.msisdn)
        rows.append(Row(line, number, text))
    personalised = len({r.text for r in rows}) > 1
    return FileSendPlan(tuple(rows), tuple(bad), duplicates, personalised)


def unknown_columns(unknown: list[str], columns: tuple[str, ...]) -> Msg:
    return Msg.of("file_send.problem.no_column", names=_braced(unknown), columns=_braced(columns[:10]))


def _braced(names: Iterable[str]) -> str:
    """`{a}, {b}`: placeholders as people write them in the message."""
    return ", ".join(f"{{{n}}}" for n in names)
