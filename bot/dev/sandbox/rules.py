"""The sandbox platform's own rules, written from the manual: what `/submit` and
`/verifyPhoneNumber` accept, with which code of table 5.1 they refuse, and how many parts an
SMS is billed for.

Nothing here comes from the app's validators, so a test can catch the app accepting what the
platform refuses. Where the manual is silent, the rule says so and follows a public standard
instead: ITU-T E.164 for the number's length, libphonenumber's data (a third-party library) for
country calling codes and the lengths each country uses, 3GPP TS 23.038 / 23.040 for GSM 7-bit
and UCS-2 parts.
"""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers
from phonenumbers import PhoneNumberType, ValidationResult

# ---- table 5.1: request error codes ---------------------------------------------------------

PARAMETER_ERROR = "0100"
INVALID_COMMAND = "0101"
UNKNOWN_ACCOUNT = "0104"
WRONG_PASSWORD = "0106"
INSUFFICIENT_BALANCE = "0107"
BAD_NUMBER = "0110"
"""Malformed destination number, or more than `MAX_BATCH` numbers in one request."""
EMPTY_CONTENT = "0111"

# ---- parameters of 4.1 and 4.2 ----------------------------------------------------------------

MAX_BATCH = 100
"""At most this many numbers in one MULTI_MT_REQUEST (manual 4.2; table 5.1, 0110)."""
VOICE_LANGUAGES = ("zh-cn", "en-us", "ja-jp", "ko-kr", "ru-ru", "es-es", "pt-pt")
"""Reading languages of VO_REQUEST's `lang`, lower case as printed (manual 4.1)."""
DEFAULT_VOICE_LANGUAGE = "zh-cn"
SENDER_DIGITS_MAX = 16
"""A sender id of digits only: at most 16 characters (manual 4.1 `sa`)."""
SENDER_WITH_LETTERS_MAX = 11
"""A sender id with letters: at most 11 characters (manual 4.1 `sa`)."""
E164_MAX_DIGITS = 15
"""Longest international number, country code included (ITU-T E.164; the manual gives no length)."""
NO_COUNTRY = "001"
"""libphonenumber's region of calling codes that belong to no country (800, 870, 882, …)."""


@dataclass(frozen=True)
class Destination:
    """A `da` the platform accepts, and the country it routes and bills it by (manual 3.2)."""

    msisdn: str
    region: str
    """ISO 3166-1 alpha-2 code, as `/verifyPhoneNumber` answers it (manual 4.7)."""


def destination(da: str) -> Destination | None:
    """One destination as the platform wants it (manual 4.1 `da`, section 2 "MSISDN"), else None.

    - digits only: country code, network code, subscriber number (CC NDC SN), no `+` or spaces;
    - no 0 before the country code (`601129855877`, not `00601129855877`);
    - a country calling code of a country: the platform routes by the number's country
      (manual 3.2), so codes of global services (800, 870, 882, …) are refused;
    - no 0 between the country code and the number, "for every country in the world" (manual
      4.1: `601129855877`, not `6001129855877`);
    - at most 15 digits (E.164), and a number of a length the country gives its mobile numbers:
      `da` is "country code + mobile number" (manual 4.1); the manual gives no lengths, they are
      libphonenumber's possible lengths of the country's mobile numbers.
    """
    if not (da.isascii() and da.isdigit()) or da.startswith("0") or len(da) > E164_MAX_DIGITS:
        return None
    code = _calling_code(da)
    if code is None:
        return None
    national = da[len(str(code)) :]
    if not national or national.startswith("0"):
        return None
    number = phonenumbers.PhoneNumber(country_code=code, national_number=int(national))
    possible = phonenumbers.is_possible_number_for_type_with_reason(number, PhoneNumberType.MOBILE)
    if possible != ValidationResult.IS_POSSIBLE:
        return None
    region = phonenumbers.region_code_for_number(number) or phonenumbers.region_code_for_country_code(code)
    return Destination(da, region)


def _calling_code(da: str) -> int | None:
    """The country calling code `da` starts with (calling codes are prefix-free: one at most)."""
    for length in (1, 2, 3):
        code = int(da[:length])
        regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(code)
        if regions is not None:
            return None if regions == (NO_COUNTRY,) else code
    return None


def destinations(da: str, *, batch: bool) -> list[Destination] | None:
    """All numbers of `da` (comma-separated for MULTI_MT_REQUEST, one otherwise), else None (0110).

    One bad number refuses the whole request, as do more than 100 numbers (manual 4.2 and
    table 5.1) and, in the sandbox, the same number twice (the manual does not say).
    """
    items = da.split(",")
    if len(items) > (MAX_BATCH if batch else 1):
        return None
    found: dict[str, Destination] = {}
    for item in items:
        number = destination(item)
        if number is None or number.msisdn in found:
            return None
        found[number.msisdn] = number
    return list(found.values())


def is_empty(sm: str) -> bool:
    """Content the platform refuses with 0111: none, or only white space."""
    return not sm.strip()


def sender_id_ok(sa: str) -> bool:
    """Manual 4.1 `sa`: letters or digits only; all digits, at most 16; with a letter, at most 11.

    Letters are read as the Latin A-Z and a-z of an alphanumeric SMS sender; nothing is trimmed.
    """
    if not (sa.isascii() and sa.isalnum()):
        return False
    return len(sa) <= (SENDER_DIGITS_MAX if sa.isdigit() else SENDER_WITH_LETTERS_MAX)


# ---- SMS parts (billing) ----------------------------------------------------------------------
# The manual sends `sm` as URL-encoded UTF-8 and says nothing of encodings or parts; the handset
# side is the GSM standard: 7-bit default alphabet when every character has a code there, UCS-2
# otherwise, and a longer text split into concatenated parts that each lose room to their header.

GSM7_DEFAULT_ALPHABET = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
"""3GPP TS 23.038's default alphabet, codes 0x00 to 0x7F in order; 0x1B escapes to the extension."""
GSM7_ESCAPE = "\x1b"
GSM7_EXTENSION = "\f^{}\\[~]|€"
"""The extension table's characters: each is sent as escape + code, two septets."""
GSM7_SINGLE, GSM7_PER_PART = 160, 153
"""Septets in one SMS, and in each part of a concatenated one."""
UCS2_SINGLE, UCS2_PER_PART = 70, 67
"""UTF-16 code units in one SMS, and in each part of a concatenated one."""

_GSM7_ONE_SEPTET = frozenset(GSM7_DEFAULT_ALPHABET) - {GSM7_ESCAPE}
_GSM7_TWO_SEPTETS = frozenset(GSM7_EXTENSION)


def sms_parts(sm: str) -> int:
    """Parts the platform bills `sm` as: GSM 7-bit 160, else 153 a part; UCS-2 70, else 67.

    A character never straddles two parts (an escape pair or a surrogate pair stays whole).
    """
    if all(c in _GSM7_ONE_SEPTET or c in _GSM7_TWO_SEPTETS for c in sm):
        sizes = [2 if c in _GSM7_TWO_SEPTETS else 1 for c in sm]
        single, per_part = GSM7_SINGLE, GSM7_PER_PART
    else:
        sizes = [len(c.encode("utf-16-be")) // 2 for c in sm]
        single, per_part = UCS2_SINGLE, UCS2_PER_PART
    if sum(sizes) <= single:
        return 1
    parts, room = 1, per_part
    for size in sizes:
        if size > room:
            parts, room = parts + 1, per_part
        room -= size
    return parts
