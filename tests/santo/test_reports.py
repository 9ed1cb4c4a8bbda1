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
