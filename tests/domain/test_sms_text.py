import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.sms_text import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    Encoding,
    SenderIdError,
    analyse,
    unicode_only_because_of,
    validate_sender_id,
    without,
)
from bot.i18n import TEXTS, Language


@pytest.mark.parametrize(
    ("text", "encoding", "parts"),
    [
        ("", Encoding.GSM7, 0),
        ("a" * 160, Encoding.GSM7, 1),
        ("a" * 161, Encoding.GSM7, 2),
        ("a" * 306, Encoding.GSM7, 2),
        ("a" * 307, Encoding.GSM7, 3),
        ("€" * 80, Encoding.GSM7, 1),  # extension characters count twice
        ("€" * 81, Encoding.GSM7, 2),
        ("测" * 70, Encoding.UCS2, 1),
        ("测" * 71, Encoding.UCS2, 2),
        ("测" * 134, Encoding.UCS2, 2),
        ("测" * 135, Encoding.UCS2, 3),
        ("😀" * 35, Encoding.UCS2, 1),  # outside the BMP: two UTF-16 units each
        ("😀" * 36, Encoding.UCS2, 2),
        ("Your code is 4821 é", Encoding.GSM7, 1),
    ],
)
def test_encoding_and_parts(text: str, encoding: Encoding, parts: int) -> None:
    info = analyse(text)
    assert (info.encoding, info.parts) == (encoding, parts)


def test_an_escape_is_not_split_across_parts() -> None:
    # 152 plain characters then a two-unit € would straddle the 153-unit part boundary.
    assert analyse("a" * 152 + "€" + "a" * 10).parts == 2
    assert analyse("a" * 152 + "€" * 2 + "a" * 152).parts == 3


gsm = st.text(alphabet=sorted(GSM7_BASIC | GSM7_EXTENSION), max_size=1000)


@given(gsm)
def test_gsm_parts_match_the_septet_formula(text: str) -> None:
    info = analyse(text)
    units = sum(2 if c in GSM7_EXTENSION else 1 for c in text)
    assert info.encoding is Encoding.GSM7
    assert info.units == units
    if units <= 160:
        assert info.parts == (1 if units else 0)
    else:
        assert math.ceil(units / 153) <= info.parts <= math.ceil(units / 152)


@given(
    st.text(min_size=1, max_size=600).filter(lambda t: any(c not in GSM7_BASIC | GSM7_EXTENSION for c in t))
)
def test_ucs2_counts_utf16_units(text: str) -> None:
    info = analyse(text)
    units = len(text.encode("utf-16-be")) // 2
    assert info.encoding is Encoding.UCS2
    assert info.units == units
    if units <= 70:
        assert info.parts == 1
    else:
        assert math.ceil(units / 67) <= info.parts <= math.ceil(units / 66)


@pytest.mark.parametrize("sender", ["ACME", "1234567890123456", "Acme2024", "A1B2C3D4E5F"])
def test_valid_sender_ids(sender: str) -> None:
    assert validate_sender_id(sender) == sender


@pytest.mark.parametrize(
    ("sender", "reason"),
    [
        ("12345678901234567", "at most 16"),
        ("ACMEACMEACME", "at most 11"),
        ("ACME-INC", "only letters"),
        ("", "empty"),
        ("测试", "only letters"),
    ],
)
def test_invalid_sender_ids_say_why(sender: str, reason: str) -> None:
    with pytest.raises(SenderIdError, match=reason):
        validate_sender_id(sender)


def test_sender_id_errors_read_in_either_language() -> None:
    with pytest.raises(SenderIdError) as caught:
        validate_sender_id("ACMEACMEACME")
    assert TEXTS[Language.EN].render(caught.value.reason) == str(caught.value)
    chinese = TEXTS[Language.ZH_HANS].render(caught.value.reason)
    assert "11" in chinese and "12" in chinese and "at most" not in chinese


def test_a_few_characters_that_alone_make_a_text_unicode() -> None:
    text = "Your parcel has arrived 📦 — pick it up at the front desk before 6 pm today, thanks!"
    assert unicode_only_because_of(text) == ("📦", "—")
    assert analyse(text).parts == 2 and analyse(without(text, ("📦", "—"))).parts == 1
    assert unicode_only_because_of("Hello, plain text") == ()
    assert unicode_only_because_of("您好，您的验证码是 4821") == ()  # mostly Unicode: nothing to take out
    assert unicode_only_because_of("😀😀😀 hi") == ()
