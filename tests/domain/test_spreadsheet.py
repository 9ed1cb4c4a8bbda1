"""The file reader, the planner and placeholder rendering of sends from a file."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.spreadsheet import (
    BAD_ROWS_KEPT,
    DEFAULT_MAX_ROWS,
    FileProblem,
    FileSendPlan,
    Planner,
    Sheet,
    placeholders,
    read_csv,
    read_file,
    render,
)
from bot.i18n import TEXTS, Language


def parse_csv(data: bytes, max_rows: int = DEFAULT_MAX_ROWS) -> Sheet:
    return read_csv(data, max_rows)


def plan_messages(sheet: Sheet, template: str, max_rows: int = DEFAULT_MAX_ROWS) -> FileSendPlan:
    """Every row of the sheet through the planner (the app does it in turns: `plan_file`)."""
    planner = Planner(sheet, template, max_rows)
    for line, cells in sheet.rows:
        planner.add(line, cells)
    return planner.plan()


def rows(sheet: Sheet) -> list[tuple[int, list[str]]]:
    return list(sheet.rows)


def test_phone_column_found_by_header_name_in_any_position_and_case() -> None:
    sheet = parse_csv(b"Name,Mobile,City\nAnn,+86 139 1082 5657,Beijing\n")
    assert sheet.columns == ("Name", "Mobile", "City") and sheet.phone_column == 1
    assert rows(sheet) == [(2, ["Ann", "+86 139 1082 5657", "Beijing"])]


@pytest.mark.parametrize("header", ["phone", "MSISDN", "Tel", "手机", "电话号码", "号码", "Phone number"])
def test_every_phone_header_name(header: str) -> None:
    sheet = parse_csv(f"名字,{header}\n王,8613910825657\n".encode())
    assert sheet.phone_column == 1


def test_first_column_without_a_phone_header_and_without_any_header() -> None:
    assert parse_csv(b"who,name\n8613910825657,Ann\n").phone_column == 0
    bare = parse_csv(b"8613910825657,Ann\n447400123456,Bob\n")
    assert bare.columns == ("1", "2") and bare.headerless
    assert [line for line, _cells in rows(bare)] == [1, 2]


def test_bom_semicolons_gbk_blank_lines_and_short_rows() -> None:
    sheet = parse_csv("\ufeffphone;name\n\n8613910825657;Ann\n447400123456\n".encode())
    assert sheet.columns == ("phone", "name")
    assert rows(sheet) == [(3, ["8613910825657", "Ann"]), (4, ["447400123456"])]
    gbk = parse_csv("电话,姓名\n8613910825657,王伟\n".encode("gb18030"))
    assert rows(gbk) == [(2, ["8613910825657", "王伟"])]


def test_problems_are_said_plainly() -> None:
    with pytest.raises(FileProblem, match="empty"):
        parse_csv(b"\n\n")
    with pytest.raises(FileProblem, match="no rows"):
        plan_messages(parse_csv(b"phone,name\n"), "hi")
    with pytest.raises(FileProblem, match="at most 3"):
        parse_csv(b"phone\n" + b"8613910825657\n" * 4, max_rows=3)
    with pytest.raises(FileProblem, match="not"):
        parse_csv(b"\x89PNG\r\n\x1a\n\x00\x00\x00")


def test_placeholders_render_and_report_missing_cells() -> None:
    slots = {"name": 1, "code": 2}
    assert placeholders("Hi {name}, {code} {name}") == ["name", "code"]
    assert render("Hi {Name}, code {code}", slots, ["1", "Ann", "42"]) == ("Hi Ann, code 42", [])
    assert render("Hi {name}, code {code}", slots, ["1", "", "42"]) == ("Hi , code 42", ["name"])
    assert render("Hi {name}, code {code}", slots, ["1", "Ann"]) == ("Hi Ann, code ", ["code"])


def test_plan_keeps_good_rows_and_lists_bad_ones_with_line_numbers() -> None:
    data = "phone,name\n8613910825657,Ann\nabc,Bob\n447400123456,\n8613910825657,Ann again\n,Nobody\n"
    plan = plan_messages(parse_csv(data.encode()), "Hi {name}")
    assert [(r.line, r.number.msisdn, r.text) for r in plan.samples] == [(2, "8613910825657", "Hi Ann")]
    assert [n.msisdn for n in plan.numbers] == ["8613910825657"] and plan.text == "Hi Ann"
    assert [line for line, _raw, _why in plan.bad] == [3, 4, 6] and plan.bad_rows == 3
    assert "{name}" in str(plan.bad[1][2]) and plan.duplicates == 1
    with pytest.raises(FileProblem, match=r"no column for \{city\}"):
        plan_messages(parse_csv(data.encode()), "Hi {city}")


def test_problems_and_left_out_rows_read_in_either_language() -> None:
    english, chinese = TEXTS[Language.EN], TEXTS[Language.ZH_HANS]
    with pytest.raises(FileProblem) as caught:
        parse_csv(b"phone\n" + b"8613910825657\n" * 4, max_rows=3)
    assert (
        english.render(caught.value.message)
        == str(caught.value)
        == ("The file has 4 rows; at most 3 can be sent at once.")
    )
    assert chinese.render(caught.value.message) == chinese("file_send.problem.rows", n=4, most=3)
    plan = plan_messages(parse_csv(b"phone,name\n,Ann\n447400123456,\n"), "Hi {name}")
    assert [chinese.render(why) for _line, _raw, why in plan.bad] == [
        chinese("file_send.bad.no_number"),
        chinese("file_send.bad.empty", fields="{name}"),
    ]
    assert [english.render(why) for _line, _raw, why in plan.bad] == ["no number", "empty {name}"]


def test_identical_messages_are_not_personalised() -> None:
    plan = plan_messages(parse_csv(b"phone,x\n8613910825657,1\n447400123456,2\n"), "Same for all")
    assert not plan.personalised and plan.texts is None and plan.text == "Same for all"
    assert len(plan.numbers) == 2


def test_personalised_messages_keep_each_text_once() -> None:
    """A text that comes back row after row is one object: a file of 100,000 rows whose `{team}`
    takes five values holds five texts."""
    data = "phone,team\n" + "\n".join(f"86139{i:08d},T{i % 2}" for i in range(1, 7))
    plan = plan_messages(parse_csv(data.encode()), "Team {team}")
    assert plan.personalised and plan.text == "Team {team}"
    assert plan.texts is not None and list(plan.texts) == ["Team T1", "Team T0"] * 3
    assert len({id(text) for text in plan.texts}) == 2


def test_only_the_first_rows_left_out_are_kept_but_all_are_counted() -> None:
    data = "phone,name\n" + "abc,x\n" * (BAD_ROWS_KEPT + 5) + "8613910825657,Ann\n"
    plan = plan_messages(parse_csv(data.encode()), "Hi {name}")
    assert len(plan.bad) == BAD_ROWS_KEPT and plan.bad_rows == BAD_ROWS_KEPT + 5
    assert plan.bad[0][0] == 2 and len(plan.numbers) == 1


def test_numbered_columns_of_a_file_without_header_reach_its_widest_row() -> None:
    data = b"8613910825657,Ann\n447400123456,Bob,Paris\n"
    plan = plan_messages(parse_csv(data), "{2} from {3}")
    assert [line for line, _raw, _why in plan.bad] == [1] and plan.text == "Bob from Paris"
    with pytest.raises(FileProblem, match=r"no column for \{4\}"):
        plan_messages(parse_csv(data), "{2} {4}")
    with pytest.raises(FileProblem, match=r"no column for \{name\}"):
        plan_messages(parse_csv(data), "Hi {name}")


cells = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=20).map(str.strip)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(10**10, 10**12), cells), min_size=1, max_size=30))
def test_any_written_csv_reads_back_and_renders_each_row(rows: list[tuple[int, str]]) -> None:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["phone", "name"])
    for number, name in rows:
        writer.writerow([f"+{number}", name])
    sheet = parse_csv(out.getvalue().encode())
    for (number, name), (_line, cells) in zip(rows, list(sheet.rows), strict=True):
        assert cells == [f"+{number}", name]
        text, missing = render("<{name}>", {"name": 1}, cells)
        assert text == f"<{name}>" and missing == ([] if name else ["name"])


def xlsx(rows: list[list[object]]) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_excel_workbook_reads_like_a_csv_and_numbers_keep_their_digits() -> None:
    data = xlsx(
        [
            ["姓名", "手机"],
            ["王伟", 8613910825657],
            ["Ann", "+44 7400 123456"],
            [None, None],
            ["Bo", 8.613910820001e12],
        ]
    )
    sheet = read_file("名单.xlsx", data, DEFAULT_MAX_ROWS)
    assert sheet.columns == ("姓名", "手机") and sheet.phone_column == 1
    assert rows(sheet) == [
        (2, ["王伟", "8613910825657"]),
        (3, ["Ann", "+44 7400 123456"]),
        (5, ["Bo", "8613910820001"]),
    ]
    assert rows(read_file("list.csv", b"phone\n8613910825657\n", DEFAULT_MAX_ROWS)) == [(2, ["8613910825657"])]
    with pytest.raises(FileProblem, match="Excel"):
        read_file("broken.xlsx", b"PK\x03\x04 not really a zip", DEFAULT_MAX_ROWS)
    with pytest.raises(FileProblem, match="more than 3"):
        plan_messages(read_file("big.xlsx", xlsx([["phone"], *[[8613910825657 + i] for i in range(5)]]), 3), "hi", 3)
