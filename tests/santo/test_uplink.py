"""Every uplink shape of the protocol family → reports and inbound messages, with its own answer."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.santo.reports import ReportError, StatusReport
from bot.santo.uplink import InboundSms, Shape, parse_uplink

HELLO_GBK = "你好".encode("gbk").hex()


def test_the_manuals_report_keeps_its_answer() -> None:
    uplink = parse_uplink(
        {
            "command": "RT_REQUEST",
            "msgid": "0513594772db8c",
            "da": "8618688888888",
            "dc": "15",
            "sm": "30353133353934373732646238637c307c44454c495652447c7c",
        }
    )
    assert uplink.shape == Shape.REPORT
    content = "0513594772db8c|0|DELIVRD||"
    assert uplink.reports == (StatusReport("0513594772db8c", "8618688888888", "0", "DELIVRD", content),)
    assert uplink.answer == "command=RT_RESPONSE&msgid=0513594772db8c&rtstat=ACCEPTD&rterrcode=000"


@pytest.mark.parametrize(
    ("stat", "error", "value", "code"),
    [
        ("DELIVRD", "000", "0", "DELIVRD"),
        ("UNDELIV", "404", "400", "404"),
        ("EXPIRED", "000", "400", "EXPIRED"),
        ("UNKNOWN", "", "500", "UNKNOWN"),
    ],
)
def test_the_family_report_names_its_status_and_no_number(
    stat: str, error: str, value: str, code: str
) -> None:
    uplink = parse_uplink(
        {"command": "RT_REQUEST", "spid": "Acme", "mtmsgid": "m-1", "mtstat": stat, "mterrcode": error}
    )
    assert uplink.shape == Shape.FAMILY_REPORT
    (report,) = uplink.reports
    assert (report.msgid, report.number, report.value, report.code) == ("m-1", "", value, code)
    assert uplink.answer == "command=RT_RESPONSE&mtmsgid=m-1&rtstat=ACCEPTD&rterrcode=000"


def test_many_reports_at_once() -> None:
    uplink = parse_uplink({"command": "MULTI_RT_REQUEST", "rts": "m-1/DELIVRD/000/x,m-2/UNDELIV/402/x"})
    assert uplink.shape == Shape.MULTI_REPORT
    assert [(r.msgid, r.value, r.code) for r in uplink.reports] == [
        ("m-1", "0", "DELIVRD"),
        ("m-2", "400", "402"),
    ]
    assert uplink.answer == "command=MULTI_RT_RESPONSE&rtstat=ACCEPTD&rterrcode=000"


@pytest.mark.parametrize(
    ("dc", "text"),
    [("15", "你好，收到"), ("8", "Привет 👋"), ("0", "Olá, obrigado")],
)
def test_an_inbound_sms_is_decoded_by_its_coding(dc: str, text: str) -> None:
    coding = {"15": "gbk", "8": "utf-16-be", "0": "iso-8859-1"}[dc]
    uplink = parse_uplink(
        {
            "command": "MO_REQUEST",
            "momsgid": "mo-9",
            "sa": "8613910825657",
            "da": "1069",
            "dc": dc,
            "sm": text.encode(coding).hex(),
        }
    )
    assert uplink.shape == Shape.INBOUND
    assert uplink.messages == (InboundSms("mo-9", "8613910825657", "1069", text),)
    assert uplink.answer == "command=MO_RESPONSE&momsgid=mo-9&mostat=ACCEPTD&moerrcode=000"


def test_many_inbound_sms_at_once() -> None:
    mos = f"mo-1/8613910825657/1069/0/0/15/{HELLO_GBK},mo-2/447400123456/1069/0/0/0/{b'STOP'.hex()}"
    uplink = parse_uplink({"command": "MULTI_MO_REQUEST", "mos": mos})
    assert uplink.shape == Shape.MULTI_INBOUND
    assert [(m.momsgid, m.phone, m.text) for m in uplink.messages] == [
        ("mo-1", "8613910825657", "你好"),
        ("mo-2", "447400123456", "STOP"),
    ]
    assert uplink.answer == "command=MULTI_MO_RESPONSE&mostat=ACCEPTD&moerrcode=000"


def test_an_inbound_sms_without_an_id_gets_the_same_id_each_time_it_comes() -> None:
    params = {"command": "MO_REQUEST", "sa": "8613910825657", "da": "1069", "dc": "15", "sm": HELLO_GBK}
    first, again = parse_uplink(params).messages[0], parse_uplink(dict(params)).messages[0]
    assert first.momsgid == again.momsgid and first.momsgid.startswith("sha1:")


@pytest.mark.parametrize(
    ("params", "why"),
    [
        ({"command": "RT_REQUEST", "mtstat": "DELIVRD"}, "missing msgid"),
        ({"command": "MULTI_RT_REQUEST"}, "missing rts"),
        ({"command": "MULTI_RT_REQUEST", "rts": "m-1/DELIVRD/000"}, "has 3 fields, not 4"),
        ({"command": "MO_REQUEST", "sa": "8613910825657", "dc": "15", "sm": "zz"}, "not valid hex"),
        ({"command": "MO_REQUEST", "sa": "8613910825657", "dc": "99", "sm": "41"}, "unknown data coding"),
        ({"command": "MO_REQUEST", "sm": "41"}, "missing sa"),
        ({"command": "MULTI_MO_REQUEST", "mos": "mo-1/8613910825657/1069/0/0/15/zz"}, "not valid hex"),
    ],
)
def test_bad_input_in_a_known_shape_is_said_plainly(params: dict[str, str], why: str) -> None:
    with pytest.raises(ReportError, match=why):
        parse_uplink(params)


@pytest.mark.parametrize("params", [{}, {"command": "HELLO_REQUEST", "x": "1"}, {"foo": "bar"}])
def test_a_shape_nobody_expected_is_not_an_error(params: dict[str, str]) -> None:
    uplink = parse_uplink(params)
    assert uplink.shape == Shape.UNKNOWN and not uplink.reports and not uplink.messages


@given(
    st.dictionaries(
        st.sampled_from(["command", "msgid", "mtmsgid", "mtstat", "rts", "mos", "sa", "da", "dc", "sm"]),
        st.text(max_size=60),
    )
)
def test_any_parameters_are_understood_or_refused_plainly(params: dict[str, str]) -> None:
    try:
        parse_uplink(params)
    except ReportError as exc:
        assert str(exc)
