"""What people type for a country: `CN`, `china`, `+86`, or a phone number."""

from __future__ import annotations

import re
from functools import cache

import phonenumbers

from bot.i18n import Language
from bot.numbers import NumberError, country_name, parse_number

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


class CountryError(ValueError):
    pass


@cache
def _names() -> dict[str, str]:
    index = {country_name(r).lower(): r for r in phonenumbers.SUPPORTED_REGIONS}
    index.update({country_name(r, Language.ZH_HANS): r for r in phonenumbers.SUPPORTED_REGIONS})
    return index | ALIASES


def resolve_country(query: str) -> str:
    """ISO code for what was typed; CountryError says what was not understood."""
    text = query.strip()
    if not text:
        raise CountryError("Name a country: an ISO code (`CN`), a name (`china`), `+86` or a number.")
    if re.fullmatch(r"[A-Za-z]{2}", text) and text.upper() in phonenumbers.SUPPORTED_REGIONS:
        return text.upper()
    if re.fullmatch(r"\+?\d{1,3}", text):
        region = phonenumbers.region_code_for_country_code(int(text.lstrip("+")))
        if region == "ZZ":
            raise CountryError(f"No country has the dialling code +{text.lstrip('+')}.")
        return str(region)
    if re.search(r"\d", text):
        try:
            return parse_number(text).region
        except NumberError as exc:
            raise CountryError(f"`{text}` is not a number I can place: {exc.reason}.") from None
    names = _names()
    key = text.lower()
    if key in names:
        return names[key]
    starts = sorted({r for name, r in names.items() if name.startswith(key)})
    if len(starts) == 1:
        return starts[0]
    if starts:
        options = ", ".join(f"{country_name(r)} (`{r}`)" for r in starts[:6])
        raise CountryError(f"`{text}` could be {options}. Be more precise.")
    raise CountryError(
        f"I don't know the country `{text}`. Try an ISO code like `JP` or a name like `japan`."
    )
