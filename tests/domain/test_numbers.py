import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.numbers import (
    NumberError,
    country_name,
    country_names,
    display_msisdn,
    flag,
    parse_number,
    parse_numbers,
)
from bot.i18n import TEXTS, Language


@pytest.mark.parametrize(
    "typed",
    [
        "+86 139 1082 5657",
        "008613910825657",
        "8613910825657",
        "+86-139-1082-5657",
        "+86.139.1082.5657",
        " +8613910825657 ",
        "(+86) 139 1082 5657",
    ],
)
def test_typed_forms_become_the_platform_msisdn(typed: str) -> None:
    number = parse_number(typed)
    assert number.msisdn == "8613910825657"
    assert number.region == "CN"
    assert number.display == "+86 139 1082 5657"
    assert country_name(number.region) == "China"


def test_uk_number_in_brackets() -> None:
    number = parse_number("(+44) 20 7946 0958")
    assert (number.msisdn, number.region, number.display) == (
        "442079460958",
        "GB",
        "+44 20 7946 0958",
    )


def test_trunk_zero_after_country_code_is_dropped() -> None:
    # The manual: 601129855877, not 6001129855877.
    assert parse_number("6001129855877").msisdn == "601129855877"
    assert display_msisdn("601129855877") == "+60 11-2985 5877"


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("+86 1", "too short"),
        ("+999 12345678", "unknown country code"),
        ("abc", "not a phone number"),
        ("", "empty"),
        ("+44 20 7946 09581234567", "too long"),
        ("+86 100 0000 0000", "not a valid number in China"),
    ],
)
def test_rejections_say_why(typed: str, reason: str) -> None:
    with pytest.raises(NumberError) as caught:
        parse_number(typed)
    assert reason in TEXTS[Language.EN].render(caught.value.reason)
    assert reason in str(caught.value)  # logs and exceptions read English


def test_rejections_read_in_chinese_with_the_country_in_chinese() -> None:
    with pytest.raises(NumberError) as caught:
        parse_number("+86 100 0000 0000")
    chinese = TEXTS[Language.ZH_HANS].render(caught.value.reason)
    assert country_name("CN", Language.ZH_HANS) in chinese and "China" not in chinese
    assert TEXTS[Language.EN].render(caught.value.reason) == "not a valid number in China"


def test_list_with_every_separator_keeps_order_and_drops_duplicates() -> None:
    typed = "+86 139 1082 5657 +44 20 7946 0958\n601129855877;8613910825657, abc  8613910825658"
    parsed = parse_numbers(typed)
    assert [n.msisdn for n in parsed.numbers] == [
        "8613910825657",
        "442079460958",
        "601129855877",
        "8613910825658",
    ]
    assert parsed.duplicates == 1
    assert [e.raw for e in parsed.invalid] == ["abc"]


def test_full_width_separators_from_chinese_keyboards() -> None:
    parsed = parse_numbers("8613910825657，8613910825658；8613910825659")
    assert len(parsed.numbers) == 3


def test_country_names_and_flags() -> None:
    assert country_name("JP") == "Japan"
    assert country_name("GB") == "United Kingdom"
    assert country_name("JP", Language.ZH_HANS) == "日本"
    assert country_names("CN") == {"en": "China", "zh-Hans": "中国"}
    assert flag("CN") == "🇨🇳"


_regions = st.sampled_from(sorted(phonenumbers.SUPPORTED_REGIONS))


@given(region=_regions, style=st.sampled_from(["plus", "00", "bare", "spaced"]))
def test_any_valid_example_number_round_trips(region: str, style: str) -> None:
    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    if example is None:
        return
    e164 = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
    typed = {
        "plus": e164,
        "00": "00" + e164[1:],
        "bare": e164[1:],
        "spaced": phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.INTERNATIONAL),
    }[style]
    number = parse_number(typed)
    assert number.msisdn == e164[1:]
    assert number.display.startswith("+")
    assert parse_number(number.display).msisdn == number.msisdn


@given(st.text(max_size=200))
def test_arbitrary_text_never_crashes_the_list_parser(text: str) -> None:
    parsed = parse_numbers(text)
    msisdns = [n.msisdn for n in parsed.numbers]
    assert len(msisdns) == len(set(msisdns))
    assert all(m.isdigit() and not m.startswith("0") for m in msisdns)


@given(st.lists(_regions, min_size=1, max_size=8), st.sampled_from(["\n", ", ", ";", " "]))
def test_lists_of_valid_numbers_parse_whole(regions: list[str], separator: str) -> None:
    typed = []
    for region in regions:
        example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
        if example is not None:
            typed.append(phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164))
    parsed = parse_numbers(separator.join(typed))
    assert [n.msisdn for n in parsed.numbers] == list(dict.fromkeys(t[1:] for t in typed))
    assert parsed.invalid == []


def test_a_national_number_is_never_read_in_a_country_it_does_not_name() -> None:
    with pytest.raises(NumberError) as caught:
        parse_number("13910825657", "CN")
    english = TEXTS[Language.EN].render(caught.value.reason)
    assert english == "has no country code: did you mean +86 139 1082 5657?"
    chinese = TEXTS[Language.ZH_HANS].render(caught.value.reason)
    assert chinese == "缺少国家代码：您是想输入 +86 139 1082 5657 吗？"
    assert parse_numbers("07400 123456", "GB").invalid[0].reason.values == {"number": "+44 7400 123456"}


def test_a_number_with_its_country_code_is_read_as_typed_whatever_the_region() -> None:
    assert parse_number("8613910825657", "GB").msisdn == "8613910825657"
    with pytest.raises(NumberError) as caught:  # not a number in the likely country either
        parse_number("13910825657", "US")
    said = TEXTS[Language.EN].render(caught.value.reason)  # not "not a valid number in country code +1"
    assert said.startswith("not a valid number read as +13910825657: if it has no country code")
    with pytest.raises(NumberError) as caught:  # typed with +: its code is not a guess
        parse_number("+13910825657", "US")
    assert TEXTS[Language.EN].render(caught.value.reason) == "not a valid number in country code +1"
