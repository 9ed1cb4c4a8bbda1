"""What people type for a country, and what they are told when it is not clear."""

import pytest

from bot.domain.countries import CountryError, resolve_country
from bot.i18n import TEXTS, Language


def refusal(query: str, language: Language) -> str:
    with pytest.raises(CountryError) as refused:
        resolve_country(query)
    return TEXTS[language].render(refused.value.message)


def test_names_codes_and_dialling_codes() -> None:
    typed = ("germany", "DE", "+49", "德国", "uk")
    assert [resolve_country(q) for q in typed] == ["DE", "DE", "DE", "DE", "GB"]


def test_a_misspelt_country_gets_the_closest_names_in_both_languages() -> None:
    assert refusal("germny", Language.EN) == "I don't know the country `germny`. Did you mean Germany (`DE`)?"
    assert refusal("Germny", Language.ZH_HANS) == "不认识国家/地区 `Germny`。您是想找德国（`DE`）吗？"
    assert "United Kingdom (`GB`)" in refusal("united kingdm", Language.EN)


def test_nothing_close_gets_no_suggestion() -> None:
    assert refusal("xyzzy", Language.EN).endswith("Try an ISO code like `JP` or a name like `japan`.")
