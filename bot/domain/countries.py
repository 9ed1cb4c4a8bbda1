"""What people type for a country: `CN`, `china`, `+86`, or a phone number."""

from __future__ import annotations

import re
from difflib import get_close_matches
from functools import cache

import phonenumbers

from bot.domain.mrkdwn import code
from bot.domain.numbers import NumberError, country_name, in_every_language, parse_number
from bot.i18n import TEXTS, Language, Msg, Problem

ALIASES = {
    "uk": "GB",
    "britain": "GB",
    "great britain": "GB",
    "england": "GB",
    "usa": "US",
    "america": "US",
    "united states of america": "US",
    "korea": "KR",
    "south korea": "KR",
    "north korea": "KP",
    "russia": "RU",
    "uae": "AE",
    "vietnam": "VN",
    "mainland china": "CN",
    "hongkong": "HK",
    "macao": "MO",
    "macau": "MO",
    "taiwan": "TW",
    "中国": "CN",
    "日本": "JP",
    "香港": "HK",
}


class CountryError(Problem):
    """What was typed is not a country we can tell; `message` says why."""


def _problem(name: str, /, **values: object) -> CountryError:
    return CountryError(Msg.of(f"numbers.country.{name}", **values))


@cache
def _names() -> dict[str, str]:
    index = {country_name(r).lower(): r for r in phonenumbers.SUPPORTED_REGIONS}
    index.update({country_name(r, Language.ZH_HANS): r for r in phonenumbers.SUPPORTED_REGIONS})
    return index | ALIASES


def _options(regions: list[str]) -> dict[str, str]:
    """`China (`CN`), Chile (`CL`)` in every language."""

    def listed(language: Language) -> str:
        t = TEXTS[language]
        options = (t("numbers.country.option", country=country_name(r, language), code=r) for r in regions)
        return t("numbers.list_separator").join(options)

    return in_every_language(listed)


def resolve_country(query: str) -> str:
    """ISO code for what was typed; CountryError says what was not understood."""
    text = query.strip()
    if not text:
        raise _problem("empty")
    if re.fullmatch(r"[A-Za-z]{2}", text) and text.upper() in phonenumbers.SUPPORTED_REGIONS:
        return text.upper()
    if re.fullmatch(r"\+?\d{1,3}", text):
        region = phonenumbers.region_code_for_country_code(int(text.lstrip("+")))
        if region == "ZZ":
            raise _problem("no_dialling_code", code=text.lstrip("+"))
        return str(region)
    if re.search(r"\d", text):
        try:
            return parse_number(text).region
        except NumberError as exc:
            raise _problem("not_a_number", text=code(text), reason=exc.reason) from None
    names = _names()
    key = text.lower()
    if key in names:
        return names[key]
    starts = sorted({r for name, r in names.items() if name.startswith(key)})
    if len(starts) == 1:
        return starts[0]
    if starts:
        raise _problem("ambiguous", text=code(text), options=_options(starts[:6]))
    close = list(dict.fromkeys(names[n] for n in get_close_matches(key, names, n=6, cutoff=0.75)))
    if close:
        raise _problem("did_you_mean", text=code(text), options=_options(close[:3]))
    raise _problem("unknown", text=code(text))
