"""Sends from a file: a CSV or an Excel workbook of numbers and other columns, and a message
with `{column}` placeholders.

No I/O here: read the file's rows, find the phone column, check the placeholders, plan each
row's message. A file of 100,000 rows is read row by row, never held as rows all at once: the
plan keeps only what the send needs (each valid row's number, and its message when they
differ) and what its confirmation shows (a few samples and rows left out, and counts). The Send
modal downloads the file and feeds the planner (`bot.sending.file_intake`);
`bot.sending.file_send` sends.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from bot.domain.numbers import NumberError, PhoneNumber, parse_number
from bot.i18n import Msg, Problem

DEFAULT_MAX_ROWS = 100_000
"""Rows a file may have unless `SMS_MAX_FILE_ROWS` says otherwise."""
MAX_FILE_BYTES = 20 * 1024 * 1024
"""About 200 bytes a row at 100,000 rows."""
PHONE_HEADERS = ("phone", "mobile", "number", "msisdn", "tel", "手机", "电话", "号码")
"""Header names that mark the phone column (case-insensitive; also as a prefix: `Phone number`)."""
SAMPLES = 2
"""Rows kept whole (number and message) for the confirmation to show."""
BAD_ROWS_KEPT = 20
"""Rows left out that are kept to be shown, the first ones; the others are only counted."""

_PLACEHOLDER = re.compile(r"\{([^{}\n]{1,64})\}")
_SLICE = 1024 * 1024
"""Bytes decoded at a time to find a CSV file's encoding."""

Line = tuple[int, list[str]]
"""A row of the file that is not empty: its number in the file (1-based) and its cells."""


class FileProblem(Problem):
    """The file cannot be used; `message` says why and what to do."""


def too_large() -> FileProblem:
    return FileProblem(Msg.of("file_send.problem.too_large", mb=MAX_FILE_BYTES // (1024 * 1024)))


@dataclass(frozen=True)
class Sheet:
    """A file being read: column names, which one holds the numbers, and the data rows, read from
    the file as they are iterated (once)."""

    columns: tuple[str, ...]
    phone_column: int
    headerless: bool
    """The first row holds a number: columns are named `1`, `2`, … and every row is data;
    `columns` only goes as wide as the first row."""
    rows: Iterator[Line]


def read_file(name: str, data: bytes, max_rows: int) -> Sheet:
    """A CSV or an Excel workbook (by its name, or its content: an .xlsx file is a zip)."""
    if len(data) > MAX_FILE_BYTES:
        raise too_large()
    if name.lower().endswith(".xlsx") or data[:4] == b"PK\x03\x04":
        return read_xlsx(data)
    return read_csv(data, max_rows)


def read_csv(data: bytes, max_rows: int) -> Sheet:
    """The phone column is the one whose header names it, or the first. Without a header (the
    first row holds a number) columns are named `1`, `2`, … A file over `max_rows` is refused
    with its count of rows at once: counting a CSV's rows takes a quick pass, reading no number."""
    if b"\x00" in data:
        raise FileProblem(Msg.of("file_send.problem.not_csv"))
    encoding = _encoding(data)
    delimiter = _delimiter(data, encoding)
    sheet = _sheet(_csv_lines(data, encoding, delimiter))
    rows = sum(1 for _ in _csv_lines(data, encoding, delimiter)) - (not sheet.headerless)
    if rows > max_rows:
        raise FileProblem(Msg.of("file_send.problem.rows", n=rows, most=max_rows))
    return sheet


def read_xlsx(data: bytes) -> Sheet:
    """The first worksheet of an Excel workbook, read as `read_csv` reads a CSV (read-only
    mode: its rows come from the zip as they are read). Its rows are counted as they are read."""
    import openpyxl  # here, not at the top: 25 MiB a web process without workbooks never needs

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # zipfile, XML and openpyxl errors alike: the file is not a workbook
        raise FileProblem(Msg.of("file_send.problem.unreadable_xlsx")) from None
    if not book.worksheets:
        book.close()
        raise FileProblem(Msg.of("file_send.problem.no_sheet"))

    def lines() -> Iterator[Line]:
        try:
            for line, values in enumerate(book.worksheets[0].iter_rows(values_only=True), start=1):
                cells = [_cell(v) for v in values]
                if any(cells):
                    yield line, cells
        finally:
            book.close()

    return _sheet(lines())


def _encoding(data: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030: the first that decodes the whole file, tried a
    slice at a time (the file is never held decoded)."""
    view = memoryview(data)
    for encoding in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            for start in range(0, len(data), _SLICE):
                decoder.decode(view[start : start + _SLICE])
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    raise FileProblem(Msg.of("file_send.problem.not_text"))


def _delimiter(data: bytes, encoding: str) -> str:
    """Comma, semicolon (spreadsheets in many locales) or tab: the most common in the first line."""
    first = data[:_SLICE].decode(encoding, errors="ignore").split("\n", 1)[0]
    counts = {d: first.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _csv_lines(data: bytes, encoding: str, delimiter: str) -> Iterator[Line]:
    stream = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")
    try:
        for line, row in enumerate(csv.reader(stream, delimiter=delimiter), start=1):
            cells = [cell.strip() for cell in row]
            if any(cells):
                yield line, cells
    except csv.Error as exc:
        raise FileProblem(Msg.of("file_send.problem.unreadable_csv", error=str(exc))) from None


def _cell(value: object) -> str:
    """An Excel cell as text: a number stored as a number keeps all its digits."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(" ")
    return str(value).strip()


def _sheet(lines: Iterator[Line]) -> Sheet:
    """The file's columns from its first row (a header, or the first data row)."""
    first = next(lines, None)
    if first is None:
        raise FileProblem(Msg.of("file_send.problem.empty"))
    names = first[1]
    phone = next((i for i, name in enumerate(names) if _is_phone_header(name)), None)
    if phone is None and _looks_like_number(names[0]):
        columns = tuple(str(i + 1) for i in range(len(names)))
        return Sheet(columns, 0, headerless=True, rows=itertools.chain([first], lines))
    columns = tuple(name or str(i + 1) for i, name in enumerate(names))
    return Sheet(columns, phone or 0, headerless=False, rows=lines)


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


def placeholders(template: str) -> list[str]:
    """The `{name}` placeholders in a message, in order, without repeats."""
    return list(dict.fromkeys(m.group(1).strip() for m in _PLACEHOLDER.finditer(template)))


def column_index(columns: tuple[str, ...]) -> dict[str, int]:
    """Column name (case-insensitive, trimmed) → index; the first of equal names wins."""
    index: dict[str, int] = {}
    for i, name in enumerate(columns):
        index.setdefault(name.strip().lower(), i)
    return index


def render(template: str, slots: dict[str, int], cells: list[str]) -> tuple[str, list[str]]:
    """The row's message, and the placeholders whose cell is empty (or unknown); `slots`: each
    placeholder's column, by its name in lower case."""
    missing: list[str] = []

    def fill(match: re.Match[str]) -> str:
        name = match.group(1).strip()
        i = slots.get(name.lower())
        value = cells[i] if i is not None and i < len(cells) else ""
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

    numbers: tuple[PhoneNumber, ...]
    """One per valid row, in file order, each number once."""
    texts: tuple[str, ...] | None
    """Each number's own message when they differ (placeholders used); None when all are the same."""
    text: str
    """The message when all are the same; the template when they differ."""
    samples: tuple[Row, ...]
    """The first valid rows (SAMPLES)."""
    bad: tuple[tuple[int, str, Msg], ...]
    """The first rows left out (BAD_ROWS_KEPT): line, what the phone cell held, why."""
    bad_rows: int
    """How many rows were left out."""
    duplicates: int

    @property
    def personalised(self) -> bool:
        return self.texts is not None


class Planner:
    """Plans a file send one row at a time (`add`), then `plan()`: each row's number checked
    (valid and new) and its message rendered, every placeholder filled. Equal messages are kept
    once: a file whose `{team}` takes five values holds five texts, not one per row."""

    def __init__(self, sheet: Sheet, template: str, max_rows: int) -> None:
        self.sheet = sheet
        self.template = template
        self.max_rows = max_rows
        self.slots = _slots(sheet, template)
        self.rows = 0
        self.width = len(sheet.columns)
        self.numbers: list[PhoneNumber] = []
        self.texts: list[str] = []
        self.distinct: dict[str, str] = {}
        self.seen: set[str] = set()
        self.samples: list[Row] = []
        self.bad: list[tuple[int, str, Msg]] = []
        self.bad_rows = 0
        self.duplicates = 0

    def add(self, line: int, cells: list[str]) -> None:
        """One data row of the file (raises FileProblem past `max_rows`)."""
        self.rows += 1
        if self.rows > self.max_rows:
            raise FileProblem(Msg.of("file_send.problem.more_rows", most=self.max_rows))
        self.width = max(self.width, len(cells))
        column = self.sheet.phone_column
        raw = cells[column] if column < len(cells) else ""
        if not raw:
            self._leave_out(line, raw, Msg.of("file_send.bad.no_number"))
            return
        try:
            number = parse_number(raw)
        except NumberError as exc:
            self._leave_out(line, raw, exc.reason)
            return
        text, missing = render(self.template, self.slots, cells)
        if missing:
            self._leave_out(line, raw, Msg.of("file_send.bad.empty", fields=_braced(missing)))
            return
        if number.msisdn in self.seen:
            self.duplicates += 1
            return
        self.seen.add(number.msisdn)
        text = self.distinct.setdefault(text, text)
        self.numbers.append(number)
        self.texts.append(text)
        if len(self.samples) < SAMPLES:
            self.samples.append(Row(line, number, text))

    def plan(self) -> FileSendPlan:
        """What the rows added come to (raises FileProblem for a file with no data row, or a
        numbered placeholder past the widest row of a file without a header)."""
        if not self.rows:
            raise FileProblem(Msg.of("file_send.problem.header_only"))
        if self.sheet.headerless:
            columns = tuple(str(i + 1) for i in range(self.width))
            beyond = [name for name in placeholders(self.template) if self.slots[name.lower()] >= self.width]
            if beyond:
                raise FileProblem(unknown_columns(beyond, columns))
        personalised = len(self.distinct) > 1
        return FileSendPlan(
            numbers=tuple(self.numbers),
            texts=tuple(self.texts) if personalised else None,
            text=self.template if personalised or not self.texts else self.texts[0],
            samples=tuple(self.samples),
            bad=tuple(self.bad),
            bad_rows=self.bad_rows,
            duplicates=self.duplicates,
        )

    def _leave_out(self, line: int, raw: str, why: Msg) -> None:
        self.bad_rows += 1
        if len(self.bad) < BAD_ROWS_KEPT:
            self.bad.append((line, raw, why))


def _slots(sheet: Sheet, template: str) -> dict[str, int]:
    """Each placeholder's column, by its name in lower case; raises FileProblem for a name the
    file has no column for. Without a header, columns are `1`, `2`, … as wide as the widest
    row: a number past the first row is checked once every row is read (`Planner.plan`)."""
    names = placeholders(template)
    if sheet.headerless:
        known = {n: int(n) - 1 for n in names if n.isdigit() and str(int(n)) == n and int(n) >= 1}
    else:
        index = column_index(sheet.columns)
        known = {n.lower(): index[n.lower()] for n in names if n.lower() in index}
    unknown = [n for n in names if n.lower() not in known]
    if unknown:
        raise FileProblem(unknown_columns(unknown, sheet.columns))
    return known


def unknown_columns(unknown: list[str], columns: tuple[str, ...]) -> Msg:
    return Msg.of("file_send.problem.no_column", names=_braced(unknown), columns=_braced(columns[:10]))


def _braced(names: Iterable[str]) -> str:
    """`{a}, {b}`: placeholders as people write them in the message."""
    return ", ".join(f"{{{n}}}" for n in names)
