"""The sandbox's own verdicts, from the manual (4.1 `da` / `sa`, table 5.1), not the app's validators."""

from __future__ import annotations

from decimal import Decimal

import phonenumbers
import pytest

from bot.dev.sandbox.countries import ENGLISH_NAMES
from bot.dev.sandbox.rules import (
    GSM7_DEFAULT_ALPHABET,
    GSM7_EXTENSION,
    Destination,
    destination,
    sender_id_ok,
    sms_parts,
)
from bot.domain.numbers import NumberError, parse_number
from bot.domain.sms_text import validate_sender_id
from tests.dev.sandbox.conftest import CN, Sandbox

IVORIAN_MOBILE = "2250707123456"
"""Côte d'Ivoire: since 2021 its 10-digit numbers begin with 0 right after the country code."""


@pytest.mark.parametrize(
    "da",
    [
        "013910825657",  # national form: 0 before the number, no country code
        "07911123456",  # UK national form
        "86139108256571234",  # 17 digits
        "8613910825657123",  # 16 digits: more than E.164's 15
        "86-139-1082-5657",  # not digits only
        "86139108256a7",
        "８６１３９１０８２５６５７",  # full-width digits
        "9991234567",  # no country has calling code 999 (nor 99 or 9)
        "80012345678",  # 800: global freephone, no country
        "4407911123456",  # trunk 0 after the country code
        IVORIAN_MOBILE,  # the same rule, "for every country in the world"
        "861391082",  # shorter than a Chinese mobile number
        "86",  # the country code alone
    ],
)
async def test_bad_numbers_are_refused_0110(sandbox: Sandbox, da: str) -> None:
    answer = dict(await sandbox.submit(command="MT_REQUEST", da=da, sm="x"))
    assert (answer["mtstat"], answer["mterrcode"]) == ("REJECTD", "0110")
    body = await sandbox.json("/verifyPhoneNumber", da=da)
    assert (body["isValid"], body["country"]) == (0, "")


@pytest.mark.parametrize(
    ("da", "region"),
    [
        ("601129855877", "MY"),  # the manual's own example
        ("447911123456", "GG"),  # a shared calling code: the number's own region
        ("16135550123", "CA"),
        ("79161234567", "RU"),
        ("77011234567", "KZ"),
        ("85291234567", "HK"),
    ],
)
async def test_good_numbers_and_their_countries(sandbox: Sandbox, da: str, region: str) -> None:
    assert destination(da) == Destination(da, region)
    answer = dict(await sandbox.submit(command="MT_REQUEST", da=da, sm="x"))
    assert answer["mtstat"] == "ACCEPTD"
    assert sandbox.state.messages[answer["mtmsgid"]].recipients[da].region == region
    body = await sandbox.json("/verifyPhoneNumber", da=da)
    assert (body["isValid"], body["country"]) == (1, region)


def test_where_the_sandbox_and_the_app_disagree() -> None:
    # The manual forbids a 0 after the country code for every country; the app accepts the
    # Ivorian numbering plan, so the sandbox is the one to tell a test the platform may refuse it.
    assert parse_number("+225 07 07 12 34 56").msisdn == IVORIAN_MOBILE
    assert destination(IVORIAN_MOBILE) is None
    # The other way: a mobile-length number in no allocated range passes the platform's format
    # check, while the app refuses it before sending.
    with pytest.raises(NumberError):
        parse_number("+86 123 4567 8901")
    assert destination("8612345678901") == Destination("8612345678901", "CN")
    # The manual allows only letters and digits in `sa`; the app trims a space away first.
    assert validate_sender_id(" Santo") == "Santo"
    assert not sender_id_ok(" Santo")


@pytest.mark.parametrize(
    "sa",
    [
        "12345678901234567",  # 17 digits
        "Santo1234567",  # 12 with letters
        "Santo Ltd",  # a space
        " Santo",
        "Santo-SMS",
        "Sänto",  # not a Latin letter
        "ＳＡＮＴＯ",  # full-width letters
    ],
)
async def test_bad_sender_ids_are_refused_0100(sandbox: Sandbox, sa: str) -> None:
    answer = dict(await sandbox.submit(command="MT_REQUEST", da=CN, sm="x", sa=sa))
    assert (answer["mtstat"], answer["mterrcode"]) == ("REJECTD", "0100")
    assert sandbox.state.messages == {}


@pytest.mark.parametrize("sa", ["A", "1", "1234567890123456", "12345678901", "Santo12345X", "SANTO"])
async def test_sender_ids_within_the_manuals_limits(sandbox: Sandbox, sa: str) -> None:
    answer = dict(await sandbox.submit(command="MT_REQUEST", da=CN, sm="x", sa=sa))
    assert answer["mtstat"] == "ACCEPTD"
    assert sandbox.state.messages[answer["mtmsgid"]].sender == sa


def test_the_gsm_alphabet_has_its_128_codes() -> None:
    assert len(GSM7_DEFAULT_ALPHABET) == 128 == len(set(GSM7_DEFAULT_ALPHABET))
    assert GSM7_DEFAULT_ALPHABET.index("@") == 0x00
    assert GSM7_DEFAULT_ALPHABET.index("A") == 0x41
    assert GSM7_DEFAULT_ALPHABET.index("à") == 0x7F
    assert not set(GSM7_EXTENSION) & set(GSM7_DEFAULT_ALPHABET)


@pytest.mark.parametrize(
    ("sm", "parts"),
    [
        ("a", 1),
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("€" * 80, 1),  # extension characters take two septets
        ("€" * 81, 2),
        ("a" * 152 + "€" + "a" * 152, 3),  # the escape pair does not straddle two parts
        ("测" * 70, 1),
        ("测" * 71, 2),
        ("测" * 134, 2),
        ("测" * 135, 3),
        ("a" * 69 + "测", 1),  # one character outside GSM 7-bit: the whole text is UCS-2
        ("a" * 70 + "测", 2),
        ("a" * 160 + "测", 3),
        ("😀" * 35, 1),  # two UTF-16 units each
        ("😀" * 36, 2),
        ("测" * 66 + "😀" + "测" * 66, 3),  # the surrogate pair does not straddle two parts
    ],
)
def test_sms_parts(sm: str, parts: int) -> None:
    assert sms_parts(sm) == parts


async def test_three_parts_are_billed(sandbox: Sandbox) -> None:
    answer = dict(await sandbox.submit(command="MT_REQUEST", da=CN, sm="a" * 152 + "€" + "a" * 152))
    assert sandbox.state.messages[answer["mtmsgid"]].parts == 3
    assert await sandbox.balance() == Decimal("100.00") - Decimal("0.08") * 3


def test_every_region_a_number_can_have_is_named_and_priced() -> None:
    assert set(ENGLISH_NAMES) == phonenumbers.SUPPORTED_REGIONS
    assert all(ENGLISH_NAMES.values())
