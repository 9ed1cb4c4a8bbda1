"""Phone numbers: what people type, turned into the platform's MSISDN form and back for display."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, ValidationResult

from bot.i18n import Language, Msg, Problem

COUNTRY_NAMES = Path(__file__).with_name("country_names.json")
MIN_DIGITS = 7
"""No international number is shorter (country code included)."""
_SEPARATORS = re.compile(r"[\n\r,;，；、]+")
_FRAGMENT = re.compile(r"^[\d().\-]+$")
_NUMBER_CHARS = re.compile(r"^[+\d\s().\-/]+$")

# Why a number was refused: the last part of its `numbers.reason` text.
_PARSE_REASONS = {
    NumberParseException.INVALID_COUNTRY_CODE: "unknown_country_code",
    NumberParseException.NOT_A_NUMBER: "not_a_number",
    NumberParseException.TOO_SHORT_AFTER_IDD: "too_short",
    NumberParseException.TOO_SHORT_NSN: "too_short",
    NumberParseException.TOO_LONG: "too_long",
}
_POSSIBLE_REASONS = {
    ValidationResult.INVALID_COUNTRY_CODE: "unknown_country_code",
    ValidationResult.TOO_SHORT: "too_short",
    ValidationResult.TOO_LONG: "too_long",
    ValidationResult.INVALID_LENGTH: "wrong_length",
}


def _reason(name: str, /, **values: object) -> Msg:
    return Msg.of(f"numbers.reason.{name}", **values)


class NumberError(Problem):
    """A number that cannot be sent to: what was typed, and the reason (`str()` of it is English,
    for logs)."""

    def __init__(self, raw: str, reason: Msg) -> None:
        super().__init__(reason)
        self.raw = raw

    @property
    def reason(self) -> Msg:
        return self.message

    def __str__(self) -> str:
        return f"{self.raw!r}: {self.reason}"


@dataclass(frozen=True, slots=True)
class PhoneNumber:
    msisdn: str
    """The platform's form: country code and national number, digits only, no `+`."""
    region: str
    """ISO 3166-1 alpha-2 code, e.g. `CN`."""
    display: str
    """International format for people, e.g. `+86 139 1082 5657`; its country's name is
    `country_name(region, language)`."""


@dataclass
class NumberList:
    numbers: list[PhoneNumber] = field(default_factory=list)
    invalid: list[NumberError] = field(default_factory=list)
    duplicates: int = 0


def parse_number(raw: str, region: str | None = None) -> PhoneNumber:
    """Normalise one typed number (`+86 139…`, `0086…`, `86139…`, `(+44) 20 …`).

    A number is never read in a country it does not name: when it is not a number with its
    country code but is a valid national number of `region` (ISO code, the sender's likely
    country), the error says so and suggests that country's code.
    """
    try:
        return _parse_international(raw)
    except NumberError as exc:
        suggestion = _national(raw, region)
        if suggestion is not None:
            raise NumberError(raw, _reason("no_country_code", number=suggestion)) from None
        if _without_prefix(raw) and exc.reason.key.rsplit(".", 1)[-1] in _NOT_VALID:
            # Read as +<digits> it is no number: it may well have no country code at all.
            digits = re.sub(r"\D", "", raw)
            raise NumberError(raw, _reason("maybe_no_country_code", read=f"+{digits}")) from None
        raise


_NOT_VALID = {"not_valid_in", "not_valid_for_code", "unknown_country_code", "wrong_length", "not_possible"}


def _without_prefix(raw: str) -> bool:
    """Typed with neither `+` nor `00`: the country code is only a guess."""
    return not raw.strip().lstrip("(").startswith(("+", "00"))


def _national(raw: str, region: str | None) -> str | None:
    """`+86 139 1082 5657` for `13910825657` in `CN`: what a number typed without a country code
    (no `+`, no `00`) would be in `region`, if it is a valid number there."""
    text = raw.strip()
    if not region or not _NUMBER_CHARS.match(text) or not _without_prefix(text):
        return None
    try:
        parsed = phonenumbers.parse(text, region.upper())
    except NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return str(phonenumbers.format_number(parsed, PhoneNumberFormat.INTERNATIONAL))


def _parse_international(raw: str) -> PhoneNumber:
    text = raw.strip()
    if not text:
        raise NumberError(raw, _reason("empty"))
    if not _NUMBER_CHARS.match(text):
        raise NumberError(raw, _reason("bad_characters"))
    digits = re.sub(r"\D", "", text)
    if len(digits.removeprefix("00")) < MIN_DIGITS:
        raise NumberError(raw, _reason("too_short"))
    if text.lstrip("(").startswith("+"):
        candidate = "+" + digits
    elif digits.startswith("00"):
        candidate = "+" + digits[2:]
    else:
        candidate = "+" + digits
    try:
        parsed = phonenumbers.parse(candidate, None)
    except NumberParseException as exc:
        raise NumberError(raw, _reason(_PARSE_REASONS.get(exc.error_type, "not_a_number"))) from None
    possible = phonenumbers.is_possible_number_with_reason(parsed)
    if possible != ValidationResult.IS_POSSIBLE:
        raise NumberError(raw, _reason(_POSSIBLE_REASONS.get(possible, "not_possible")))
    region = phonenumbers.region_code_for_number(parsed)
    if region is None:
        raise NumberError(raw, _reason("not_valid_for_code", code=parsed.country_code))
    if not phonenumbers.is_valid_number(parsed):
        raise NumberError(raw, _reason("not_valid_in", country=country_names(region)))
    return PhoneNumber(
        msisdn=phonenumbers.format_number(parsed, PhoneNumberFormat.E164).lstrip("+"),
        region=region,
        display=phonenumbers.format_number(parsed, PhoneNumberFormat.INTERNATIONAL),
    )


def split_numbers(text: str) -> list[str]:
    """Cut a typed list into candidate numbers.

    Newlines, commas and semicolons always separate. Spaces separate too, except inside a
    number written in groups (`+86 139 1082 5657`): a digit group joins the number before it
    until that number is complete.
    """
    candidates: list[str] = []
    for chunk in _SEPARATORS.split(text):
        group: str | None = None
        for token in chunk.split():
            if group is not None and _FRAGMENT.match(token) and _continues(group):
                group = f"{group} {token}"
                continue
            if group is not None:
                candidates.append(group)
            group = token
        if group is not None:
            candidates.append(group)
    return candidates


def parse_numbers(text: str, region: str | None = None) -> NumberList:
    """Parse a typed list; duplicates (by MSISDN) are dropped, the first one's place kept
    (`region`: see `parse_number`)."""
    result = NumberList()
    seen: set[str] = set()
    for candidate in split_numbers(text):
        try:
            number = parse_number(candidate, region)
        except NumberError as exc:
            result.invalid.append(exc)
            continue
        if number.msisdn in seen:
            result.duplicates += 1
            continue
        seen.add(number.msisdn)
        result.numbers.append(number)
    return result


@lru_cache(maxsize=65536)  # phonenumbers recompiles regexes often: formatting is not cheap
def display_msisdn(msisdn: str) -> str:
    """`601129855877` → `+60 11-2985 5877`; anything unparsable is shown as `+digits`."""
    try:
        return parse_number("+" + msisdn).display
    except NumberError:
        return "+" + msisdn


def _continues(group: str) -> bool:
    """Whether a digit group may still belong to `group`: it looks like a number, not whole yet."""
    if not _NUMBER_CHARS.match(group):
        return False
    try:
        parse_number(group)
    except NumberError:
        return True
    return False


@cache
def _country_names() -> dict[str, dict[str, str]]:
    # English and Chinese names, taken once from phonenumbers' geodata: importing that package
    # at run time costs about 100 MB of memory for these few hundred strings.
    names: dict[str, dict[str, str]] = json.loads(COUNTRY_NAMES.read_text(encoding="utf-8"))
    return names


def country_name(region: str, language: Language = Language.EN) -> str:
    """A region's name in a language (English when it has none); the code itself when unknown."""
    names = _country_names().get(region.upper(), {})
    return names.get("zh" if language == Language.ZH_HANS else "en") or names.get("en") or region


def in_every_language(text: Callable[[Language], str]) -> dict[str, str]:
    """A `Msg` value that reads differently in each language (a country's name, lines with rendered
    texts in them), by language code: a template picks its own, `{country[en]}` or `{country[zh-Hans]}`."""
    return {language.value: text(language) for language in Language}


def country_names(region: str) -> dict[str, str]:
    """A region's name in every language, as a `Msg` value (see `in_every_language`)."""
    return in_every_language(lambda language: country_name(region, language))


def flag(region: str) -> str:
    """Regional-indicator flag emoji for an ISO code (`CN` → 🇨🇳)."""
    if len(region) != 2 or not region.isalpha():
        return ""
    return "".join(chr(0x1F1E6 + ord(c) - ord("A")) for c in region.upper())


def regions() -> list[str]:
    """Every region phonenumbers knows a dialling code for."""
    return sorted(phonenumbers.SUPPORTED_REGIONS)
