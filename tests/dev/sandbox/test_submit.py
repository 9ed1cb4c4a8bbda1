"""/submit: the manual's answer lines, the platform's validation, and the charge."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.dev.sandbox.pricing import price_for
from tests.dev.sandbox.conftest import CN, CPID, US, Sandbox, StartSandbox

SUCCESS_KEYS = ["command", "cpid", "cppwd", "mtmsgid", "mtstat", "mterrcode"]
REJECT_KEYS = ["command", "cpid", "mtmsgid", "mtstat", "mterrcode"]


def keys(fields: list[tuple[str, str]]) -> list[str]:
    return [key for key, _ in fields]


async def test_mt_request_answer_matches_manual(sandbox: Sandbox) -> None:
    fields = await sandbox.submit(command="MT_REQUEST", da=CN, sm="测试")
    assert keys(fields) == SUCCESS_KEYS
    answer = dict(fields)
    assert answer["command"] == "MT_RESPONSE"
    assert answer["cpid"] == CPID
    assert answer["cppwd"] == "000"  # the manual's echo, never the real password
    assert answer["mtstat"] == "ACCEPTD"
    assert answer["mterrcode"] == "000"
    assert len(answer["mtmsgid"]) == 20 and answer["mtmsgid"].isdigit()
    message = sandbox.state.messages[answer["mtmsgid"]]
    assert list(message.recipients) == [CN]
    assert message.text == "测试"


async def test_multi_answer_uses_the_manuals_mtterrcode(sandbox: Sandbox) -> None:
    fields = await sandbox.submit(command="MULTI_MT_REQUEST", da=f"{CN},{US}", sm="hello")
    assert keys(fields) == [*SUCCESS_KEYS[:-1], "mtterrcode"]
    answer = dict(fields)
    assert answer["command"] == "MULTI_MT_RESPONSE"
    assert (answer["cppwd"], answer["mtstat"], answer["mtterrcode"]) == ("000", "ACCEPTD", "000")
    assert list(sandbox.state.messages[answer["mtmsgid"]].recipients) == [CN, US]


async def test_msgids_are_unique_20_digit_strings(sandbox: Sandbox) -> None:
    ids = [dict(await sandbox.submit(command="MT_REQUEST", da=CN, sm="x"))["mtmsgid"] for _ in range(20)]
    assert len(set(ids)) == 20
    assert all(len(i) == 20 and i.isdigit() for i in ids)


async def test_one_hundred_numbers_are_accepted(sandbox: Sandbox) -> None:
    numbers = [f"861391082{5000 + i:04d}" for i in range(100)]
    answer = dict(await sandbox.submit(command="MULTI_MT_REQUEST", da=",".join(numbers), sm="x"))
    assert answer["mtstat"] == "ACCEPTD"
    assert len(sandbox.state.messages[answer["mtmsgid"]].recipients) == 100


async def test_voice_answer_and_language(sandbox: Sandbox) -> None:
    fields = await sandbox.submit(command="VO_REQUEST", da=CN, sm="验证码 1234", lang="en-us")
    assert keys(fields) == SUCCESS_KEYS
    answer = dict(fields)
    assert answer["command"] == "VO_RESPONSE"
    assert answer["mtstat"] == "ACCEPTD"
    assert sandbox.state.messages[answer["mtmsgid"]].lang == "en-us"
    default = dict(await sandbox.submit(command="VO_REQUEST", da=CN, sm="hi"))
    assert sandbox.state.messages[default["mtmsgid"]].lang == "zh-cn"


@pytest.mark.parametrize(
    ("params", "command", "code"),
    [
        ({"da": CN, "sm": "x"}, "MT_RESPONSE", "0101"),
        ({"command": "mt_request", "da": CN, "sm": "x"}, "MT_RESPONSE", "0101"),
        ({"command": "SEND", "da": CN, "sm": "x"}, "MT_RESPONSE", "0101"),
        ({"command": "MT_RESPONSE", "da": CN, "sm": "x"}, "MT_RESPONSE", "0101"),
        ({"command": "MT_REQUEST", "cpid": "Nobody", "da": CN, "sm": "x"}, "MT_RESPONSE", "0104"),
        ({"command": "MT_REQUEST", "cppwd": "wrong", "da": CN, "sm": "x"}, "MT_RESPONSE", "0106"),
        ({"command": "MT_REQUEST", "sm": "x"}, "MT_RESPONSE", "0100"),
        ({"command": "MT_REQUEST", "da": CN}, "MT_RESPONSE", "0100"),
        ({"command": "MT_REQUEST", "da": CN, "sm": ""}, "MT_RESPONSE", "0111"),
        ({"command": "MT_REQUEST", "da": CN, "sm": "   "}, "MT_RESPONSE", "0111"),
        ({"command": "MT_REQUEST", "da": "+" + CN, "sm": "x"}, "MT_RESPONSE", "0110"),
        ({"command": "MT_REQUEST", "da": "00" + CN, "sm": "x"}, "MT_RESPONSE", "0110"),
        ({"command": "MT_REQUEST", "da": "86 13910825657", "sm": "x"}, "MT_RESPONSE", "0110"),
        ({"command": "MT_REQUEST", "da": "8612345", "sm": "x"}, "MT_RESPONSE", "0110"),
        ({"command": "MT_REQUEST", "da": "6001129855877", "sm": "x"}, "MT_RESPONSE", "0110"),
        ({"command": "MT_REQUEST", "da": f"{CN},{US}", "sm": "x"}, "MT_RESPONSE", "0110"),
        ({"command": "MT_REQUEST", "da": CN, "sm": "x", "sa": "TOO-LONG"}, "MT_RESPONSE", "0100"),
        (
            {"command": "MT_REQUEST", "da": CN, "sm": "x", "sa": "ABCDEFGHIJKL"},
            "MT_RESPONSE",
            "0100",
        ),
        (
            {"command": "MULTI_MT_REQUEST", "da": f"{CN},{CN}", "sm": "x"},
            "MULTI_MT_RESPONSE",
            "0110",
        ),
        ({"command": "MULTI_MT_REQUEST", "da": f"{CN},", "sm": "x"}, "MULTI_MT_RESPONSE", "0110"),
        ({"command": "VO_REQUEST", "da": CN, "sm": "x", "lang": "fr-fr"}, "VO_RESPONSE", "0100"),
        ({"command": "VO_REQUEST", "da": CN, "sm": "x", "lang": "EN-US"}, "VO_RESPONSE", "0100"),
        ({"command": "VO_REQUEST", "da": CN, "sm": "x", "sa": "Santo"}, "VO_RESPONSE", "0100"),
    ],
)
async def test_rejections(sandbox: Sandbox, params: dict[str, str], command: str, code: str) -> None:
    fields = await sandbox.submit(**params)
    assert keys(fields) == REJECT_KEYS
    answer = dict(fields)
    assert answer["command"] == command
    assert answer["mtstat"] == "REJECTD"
    assert answer["mterrcode"] == code
    assert len(answer["mtmsgid"]) == 20 and answer["mtmsgid"].isdigit()
    assert sandbox.state.messages == {}
    assert await sandbox.balance() == Decimal("100.00")


async def test_batch_of_101_numbers_is_rejected_0110(sandbox: Sandbox) -> None:
    numbers = [f"861391082{5000 + i:04d}" for i in range(101)]
    fields = await sandbox.submit(command="MULTI_MT_REQUEST", da=",".join(numbers), sm="x")
    assert keys(fields) == REJECT_KEYS
    assert dict(fields)["command"] == "MULTI_MT_RESPONSE"
    assert dict(fields)["mterrcode"] == "0110"
    assert sandbox.state.messages == {}


async def test_rejection_echoes_the_cpid_but_no_password(sandbox: Sandbox) -> None:
    async with sandbox.http.get(
        sandbox.url + "/submit",
        params={"command": "MT_REQUEST", "cpid": CPID, "cppwd": "hunter2", "da": CN, "sm": "x"},
    ) as response:
        body = await response.text()
    assert body.startswith(f"command=MT_RESPONSE&cpid={CPID}&mtmsgid=")
    assert body.endswith("&mtstat=REJECTD&mterrcode=0106")
    assert "hunter2" not in body


async def test_valid_sender_ids_are_accepted(sandbox: Sandbox) -> None:
    for sender in ("Santo", "1234567890123456"):
        answer = dict(await sandbox.submit(command="MT_REQUEST", da=CN, sm="x", sa=sender))
        assert answer["mtstat"] == "ACCEPTD"
        assert sandbox.state.messages[answer["mtmsgid"]].sender == sender


async def test_balance_goes_down_by_price_times_parts_times_numbers(sandbox: Sandbox) -> None:
    text = "a" * 200  # GSM-7, 2 parts
    answer = dict(await sandbox.submit(command="MULTI_MT_REQUEST", da=f"{CN},{US}", sm=text))
    assert answer["mtstat"] == "ACCEPTD"
    expected_cost = Decimal("0.08") * 2 + price_for("US") * 2
    assert await sandbox.balance() == Decimal("100.00") - expected_cost
    assert sandbox.state.messages[answer["mtmsgid"]].cost == expected_cost


async def test_unicode_text_parts_are_charged(sandbox: Sandbox) -> None:
    answer = dict(await sandbox.submit(command="MT_REQUEST", da=CN, sm="测" * 71))  # UCS-2, 2 parts
    assert answer["mtstat"] == "ACCEPTD"
    assert await sandbox.balance() == Decimal("100.00") - Decimal("0.16")


async def test_voice_is_charged_one_part_per_number(sandbox: Sandbox) -> None:
    answer = dict(await sandbox.submit(command="VO_REQUEST", da=CN, sm="a" * 400))
    assert answer["mtstat"] == "ACCEPTD"
    assert await sandbox.balance() == Decimal("99.92")


async def test_insufficient_balance_rejects_0107_and_charges_nothing(
    sandbox_factory: StartSandbox,
) -> None:
    sandbox = await sandbox_factory(balance=0.10)
    second = "8613910825658"
    fields = await sandbox.submit(command="MULTI_MT_REQUEST", da=f"{CN},{second}", sm="x")
    assert keys(fields) == REJECT_KEYS
    assert dict(fields)["mterrcode"] == "0107"
    assert dict(fields)["command"] == "MULTI_MT_RESPONSE"
    assert await sandbox.balance() == Decimal("0.10")
    assert sandbox.state.messages == {}
    # one number (0.08) fits: the check is on the whole request
    assert dict(await sandbox.submit(command="MT_REQUEST", da=CN, sm="x"))["mtstat"] == "ACCEPTD"
    assert await sandbox.balance() == Decimal("0.02")
