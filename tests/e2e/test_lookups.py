"""`/sms balance`, `price`, `verify`, `status`, `help`: ephemeral answers a user reads."""

import re

import pytest

from bot.domain.numbers import country_name
from bot.i18n import TEXTS, Language
from handlers.help import help_text
from tests.e2e.conftest import World

ZH = TEXTS[Language.ZH_HANS]
WEI = "U0WEI"
"""Wei's Slack locale is zh-CN: the app answers him in Chinese."""
ENGLISH_WORDS = re.compile(r"\b(the|is|a|not|number|message|country|platform)\b", re.IGNORECASE)
"""English words that would show an English sentence slipped into a Chinese answer."""


async def test_balance(world: World) -> None:
    answer = await world.command("balance")
    assert answer.response_type == "ephemeral"
    assert "¥100.00" in answer.text
    assert "Acme01" in answer.text


async def test_balance_with_a_wrong_password_explains_what_to_check(make_world) -> None:  # type: ignore[no-untyped-def]
    world = await make_world(santo_cppwd="not-the-password")
    answer = await world.command("balance")
    assert "0106 — wrong password" in answer.text
    assert "SANTO_CPPWD" in answer.text
    assert "not-the-password" not in answer.text


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("china", "China* (+86): ¥0.08"),
        ("CN", "China* (+86): ¥0.08"),
        ("+86", "China* (+86): ¥0.08"),
        ("+44", "United Kingdom"),
        ("japan", "Japan"),
        ("+86 139 1082 5657", "China"),
    ],
)
async def test_price_by_code_name_dialling_code_or_number(world: World, query: str, expected: str) -> None:
    answer = await world.command(f"price {query}")
    assert expected in answer.text
    assert "per message part" in answer.text


@pytest.mark.parametrize(
    ("query", "expected"),
    [("zz", "I don't know the country `zz`"), ("", "Name a country"), ("+999", "No country has")],
)
async def test_price_of_nonsense_says_what_to_type(world: World, query: str, expected: str) -> None:
    answer = await world.command(f"price {query}")
    assert expected in answer.text


async def test_verify_a_valid_number(world: World) -> None:
    answer = await world.command("verify 008613910825657")
    assert "+86 139 1082 5657" in answer.text
    assert "The platform says: valid (China)" in answer.text


async def test_verify_rejects_garbage_locally(world: World) -> None:
    answer = await world.command("verify 12")
    assert "not a number I can send to" in answer.text
    assert not world.sandbox.messages


async def test_help_and_unknown_subcommands(world: World) -> None:
    answer = await world.command("help")
    assert "/sms send" in answer.text and "/sms status" in answer.text
    unknown = await world.command("frobnicate now")
    assert "I don't know `frobnicate`" in unknown.text
    assert "/sms balance" in unknown.text


async def test_status_merges_platform_and_app(world: World) -> None:
    await world.send("send 8613910825657,8613910820402 hello")
    message = await world.channel_message()
    msgid = (await world.recipients())[0].msgid
    assert msgid and msgid in str(message.blocks)
    await world.sandbox.drain()
    answer = await world.command(f"status {msgid}")
    assert "2 numbers" in answer.text
    assert "+86 139 1082 5657" in answer.text
    assert "platform: Delivered" in answer.text
    assert "platform: Failed" in answer.text
    single = await world.command(f"status {msgid} +86 139 1082 0402")
    assert "1 number" in single.text and "5657" not in single.text


async def test_status_of_an_unknown_msgid(world: World) -> None:
    answer = await world.command("status 999999")
    assert "Neither this app nor the platform knows msgid `999999`" in answer.text
    assert "Which message" in (await world.command("status")).text


def english_in(text: str) -> list[str]:
    return ENGLISH_WORDS.findall(re.sub(r"`[^`]*`", "", text))  # commands and codes stay as typed


async def test_a_chinese_speaker_gets_the_balance_price_and_verify_in_chinese(world: World) -> None:
    answer = await world.command("balance", user=WEI)
    assert answer.text == ZH("lookups.balance", amount="¥100.00", account="`Acme01`")
    china = country_name("CN", Language.ZH_HANS)
    for query in ("china", "中国", "+86"):
        answer = await world.command(f"price {query}", user=WEI)
        assert f"*{china}*" in answer.text and "¥0.08" in answer.text and not english_in(answer.text)
    answer = await world.command("verify 008613910825657", user=WEI)
    assert "+86 139 1082 5657" in answer.text and china in answer.text
    assert ZH("lookups.verify.valid") in answer.text and not english_in(answer.text)


@pytest.mark.parametrize("query", ["zz", "", "+999", "chi", "+86 1"])
async def test_a_chinese_speaker_is_told_in_chinese_what_country_to_type(world: World, query: str) -> None:
    answer = await world.command(f"price {query}", user=WEI)
    assert re.search(r"[\u4e00-\u9fff]", answer.text) and not english_in(answer.text), answer.text


async def test_a_chinese_speaker_reads_a_status_in_chinese(world: World) -> None:
    await world.send("send 8613910825657,8613910820402 hello")
    await world.channel_message()
    msgid = (await world.recipients())[0].msgid
    await world.sandbox.drain()
    await world.quiet()
    answer = await world.command(f"status {msgid}", user=WEI)
    assert ZH.count("lookups.status.head", 2, msgid=f"`{msgid}`") in answer.text
    assert ZH("lookups.status.platform", state=ZH("lookups.state.delivered")) in answer.text
    assert ZH("codes.report.402") in answer.text and not english_in(answer.text)
    unknown = await world.command("status 999999", user=WEI)
    assert unknown.text == ZH("lookups.status.unknown_msgid", msgid="`999999`")


async def test_a_chinese_speaker_gets_the_help_in_chinese(world: World) -> None:
    answer = await world.command("help", user=WEI)
    assert answer.text == help_text(ZH)
    lines = answer.text.splitlines()
    assert len(lines) == len(help_text(TEXTS[Language.EN]).splitlines())
    assert all(line.startswith("`/sms") for line in lines[1:])
    assert not english_in(answer.text)
    unknown = await world.command("frobnicate", user=WEI)
    assert (
        unknown.text.startswith(ZH("help.unknown", word="`frobnicate`"))
        and "I don't know" not in unknown.text
    )


async def test_a_number_without_its_country_code_gets_the_users_country_suggested(world: World) -> None:
    answer = await world.command("verify 13910825657", user=WEI)  # Wei's Slack locale is zh-CN
    assert "缺少国家代码：您是想输入 +86 139 1082 5657 吗？" in answer.text
    answer = await world.command("send 13910825657 你好", user=WEI)
    assert "缺少国家代码：您是想输入 +86 139 1082 5657 吗？" in answer.text
    assert not world.sandbox.messages  # never sent to a country it assumed
    answer = await world.command("verify 13910825657")  # Alice's locale is en-US: not a US number
    assert "if it has no country code, write it with one" in answer.text


async def test_sms_default_region_is_the_likely_country_for_everyone(make_world) -> None:  # type: ignore[no-untyped-def]
    world = await make_world(sms_default_region="cn")
    answer = await world.command("verify 13910825657")
    assert "has no country code: did you mean +86 139 1082 5657?" in answer.text
