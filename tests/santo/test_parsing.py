"""The manual's literal answers, and the tolerance the spec asks for."""

from urllib.parse import quote

import pytest

from bot.santo.codes import normalise_code, report_meaning
from bot.santo.parsing import ParseError, parse_submit

MT_OK = "command=MT_RESPONSE&cpid=Test101&cppwd=000&mtmsgid=21426847850888196661&mtstat=ACCEPTD&mterrcode=000"
MT_FAIL = "command=MT_RESPONSE&cpid=Test101&mtmsgid=21426847850888196661&mtstat=REJECTD&mterrcode=0107"
MULTI_OK = (
    "command=MULTI_MT_RESPONSE&cpid=Test101&cppwd=000&mtmsgid=21426847850888196661"
    "&mtstat=ACCEPTD&mtterrcode=000"
)
MULTI_FAIL = (
    "command=MULTI_MT_RESPONSE&cpid=Test101&mtmsgid=21426847850888196661&mtstat=REJECTD&mterrcode=0110"
)


def test_manual_41_success() -> None:
    result = parse_submit(MT_OK)
    assert result.accepted
    assert result.msgid == "21426847850888196661"
    assert result.code == "000"
    assert result.accepted


def test_manual_41_rejection_carries_the_meaning() -> None:
    result = parse_submit(MT_FAIL)
    assert not result.accepted
    assert result.code == "0107"
    assert not result.accepted and str(result.meaning) == "insufficient balance or credit"


def test_manual_42_misspelled_error_field_is_accepted() -> None:
    ok = parse_submit(MULTI_OK)
    assert ok.accepted and ok.code == "000" and ok.command == "MULTI_MT_RESPONSE"
    fail = parse_submit(MULTI_FAIL)
    assert not fail.accepted and fail.code == "0110"


@pytest.mark.parametrize(
    "body",
    [
        MT_FAIL + "\r\n",
        "mterrcode=107&mtstat=REJECTD&extra=1&command=MT_RESPONSE&mtmsgid=1",
        quote(MT_FAIL, safe=""),
        "  " + MT_FAIL.replace("mterrcode", "MTERRCODE") + "\n\n",
    ],
)
def test_tolerant_forms(body: str) -> None:
    result = parse_submit(body)
    assert not result.accepted
    assert result.code == "0107"


@pytest.mark.parametrize("body", ["", "<html>502 Bad Gateway</html>", "mtmsgid=1&mterrcode=000"])
def test_unreadable_answers_raise(body: str) -> None:
    with pytest.raises(ParseError):
        parse_submit(body)


def test_accepted_without_msgid_is_unreadable() -> None:
    with pytest.raises(ParseError, match="message id"):
        parse_submit("command=MT_RESPONSE&mtstat=ACCEPTD&mterrcode=000")


@pytest.mark.parametrize(
    ("raw", "code"),
    [("000", "000"), (0, "000"), ("0", "000"), (107, "0107"), ("0107", "0107"), (" 110 ", "0110")],
)
def test_codes_normalise(raw: object, code: str) -> None:
    assert normalise_code(raw) == code


def test_report_meanings_from_table_52() -> None:
    assert str(report_meaning("400", "402")) == "content contains a forbidden keyword"
    assert str(report_meaning("0", "DELIVRD")) == "delivered"
    assert str(report_meaning("500", "599")) == "failed (unknown error)"
