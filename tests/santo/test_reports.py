import binascii

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.santo.reports import ReportError, decode_sm, is_status_report, parse_report

# Manual 4.3, literally.
EXAMPLE = {
    "command": "RT_REQUEST",
    "msgid": "0513594772db8c",
    "da": "8618688888888",
    "dc": "15",
    "sm": "30353133353934373732646238637c307c44454c495652447c7c",
    "rsm": "0513594772db8c|0|DELIVRD||",
}


def test_manual_example_sm_decodes_to_rsm() -> None:
    assert decode_sm(EXAMPLE["sm"], "15") == "0513594772db8c|0|DELIVRD||"


def test_manual_example_is_a_delivered_report() -> None:
    report = parse_report(EXAMPLE)
    assert is_status_report(EXAMPLE)
    assert (report.msgid, report.number, report.value, report.code) == (
        "0513594772db8c",
        "8618688888888",
        "0",
        "DELIVRD",
    )
    assert report.delivered
    assert str(report.meaning) == "delivered"


def test_sm_alone_is_decoded_when_rsm_is_missing_or_empty() -> None:
    without = {k: v for k, v in EXAMPLE.items() if k != "rsm"}
    assert parse_report(without).code == "DELIVRD"
    assert parse_report({**EXAMPLE, "rsm": ""}).code == "DELIVRD"


def test_failure_report_with_its_reason() -> None:
    report = parse_report({**EXAMPLE, "rsm": "0513594772db8c|400|402||"})
    assert not report.delivered
    assert str(report.meaning) == "content contains a forbidden keyword"


@pytest.mark.parametrize(("dc", "codec"), [("15", "gbk"), ("8", "utf-16-be"), ("0", "iso-8859-1")])
def test_each_data_coding(dc: str, codec: str) -> None:
    content = "0513594772db8c|400|404||"
    sm = binascii.hexlify(content.encode(codec)).decode()
    report = parse_report(
        {
            "command": "RT_REQUEST",
            "msgid": "0513594772db8c",
            "da": "60112985587",
            "dc": dc,
            "sm": sm,
        }
    )
    assert report.code == "404"


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({**EXAMPLE, "msgid": ""}, "missing msgid"),
        ({**EXAMPLE, "da": ""}, "missing da"),
        ({**EXAMPLE, "da": "86abc"}, "da is not a number"),
        ({**EXAMPLE, "rsm": "", "sm": "zz"}, "not valid hex"),
        ({**EXAMPLE, "rsm": "", "dc": "99"}, "unknown data coding"),
        ({**EXAMPLE, "rsm": "delivered"}, "not of the form"),
        ({**EXAMPLE, "rsm": "other|0|DELIVRD||"}, "is for msgid"),
        ({**EXAMPLE, "rsm": "", "sm": ""}, "missing report content"),
        ({**EXAMPLE, "rsm": "", "dc": "8", "sm": "d800"}, "not valid utf-16-be"),
        (
            {**EXAMPLE, "msgid": "05\x0013", "rsm": "|0|DELIVRD||"},
            "msgid has a character that is not printable",
        ),
        ({**EXAMPLE, "rsm": "0513594772db8c|0|DELI\x00VRD||"}, "status code has a character that is not"),
        ({**EXAMPLE, "rsm": "0513594772db8c|\u0660|DELIVRD||"}, "not of the form"),  # an Arabic-Indic 0
    ],
)
def test_malformed_reports_say_what_is_wrong(params: dict[str, str], reason: str) -> None:
    with pytest.raises(ReportError, match=reason):
        parse_report(params)


@given(
    st.dictionaries(st.sampled_from(["command", "msgid", "da", "dc", "sm", "rsm", "x"]), st.text(max_size=60))
)
def test_arbitrary_parameters_parse_or_raise_report_error(params: dict[str, str]) -> None:
    try:
        report = parse_report(params)
    except ReportError:
        return
    assert report.msgid and report.number.isdigit()


LENGTHS = {"msgid": 14, "da": 13, "value": 3, "code": 7}


def test_reports_within_the_lengths_given_parse() -> None:
    assert parse_report({**EXAMPLE, "rsm": "0513594772db8c|400|DELIVRD||"}, LENGTHS).value == "400"


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        (
            {**EXAMPLE, "msgid": "0513594772db8cX", "rsm": "|0|DELIVRD||"},
            "msgid is too long: 15 characters, at most 14",
        ),
        ({**EXAMPLE, "da": "+86186888888881"}, "da is too long: 14 characters, at most 13"),
        ({**EXAMPLE, "rsm": "0513594772db8c|4000|402||"}, "value is too long: 4 characters, at most 3"),
        ({**EXAMPLE, "rsm": "0513594772db8c|0|DELIVRDX||"}, "code is too long: 8 characters, at most 7"),
    ],
)
def test_fields_longer_than_given_are_refused_by_name(params: dict[str, str], reason: str) -> None:
    parse_report(params)  # no lengths given: any length
    with pytest.raises(ReportError, match=reason):
        parse_report(params, LENGTHS)
