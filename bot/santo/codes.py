"""The platform's code tables (manual 5.1 and 5.2) and its fixed vocabularies."""

from enum import StrEnum

from bot.i18n import Msg


class Command(StrEnum):
    MT_REQUEST = "MT_REQUEST"
    MULTI_MT_REQUEST = "MULTI_MT_REQUEST"
    VO_REQUEST = "VO_REQUEST"
    MT_RESPONSE = "MT_RESPONSE"
    MULTI_MT_RESPONSE = "MULTI_MT_RESPONSE"
    VO_RESPONSE = "VO_RESPONSE"
    RT_REQUEST = "RT_REQUEST"
    RT_RESPONSE = "RT_RESPONSE"
    MULTI_RT_REQUEST = "MULTI_RT_REQUEST"
    MULTI_RT_RESPONSE = "MULTI_RT_RESPONSE"
    MO_REQUEST = "MO_REQUEST"
    MO_RESPONSE = "MO_RESPONSE"
    MULTI_MO_REQUEST = "MULTI_MO_REQUEST"
    MULTI_MO_RESPONSE = "MULTI_MO_RESPONSE"


ACCEPTED = "ACCEPTD"
REJECTED = "REJECTD"
SUCCESS = "000"
MAX_BATCH = 100
"""At most this many numbers in one MULTI_MT_REQUEST (manual 4.2)."""

VOICE_LANGUAGES = ("zh-cn", "en-us", "ja-jp", "ko-kr", "ru-ru", "es-es", "pt-pt")
"""Voice reading languages (manual 4.1 `lang`); their names are in the `codes.voice` texts."""
VOICE_SHORT_FORMS = {code.split("-")[0]: code for code in VOICE_LANGUAGES}
"""What people may type instead: `en` → `en-us`, `zh` → `zh-cn`, …"""


def voice_language(word: str) -> str | None:
    """The platform's code for a typed language (`en-us`, `EN_US`, `en`), or None."""
    typed = word.lower().replace("_", "-")
    if typed in VOICE_LANGUAGES:
        return typed
    return VOICE_SHORT_FORMS.get(typed)


REQUEST_ERRORS = ("000", "0100", "0101", "0104", "0106", "0107", "0108", "0110", "0111", "0112", "0600")
"""The codes of table 5.1; their meanings are the `codes.request` texts."""

DELIVERED_CODE = "DELIVRD"
REPORT_CODES = (DELIVERED_CODE, "401", "402", "403", "404", "501")
"""The status codes of table 5.2 (`codes.report` texts)."""
REPORT_VALUES = ("0", "400", "500")
"""The status values of table 5.2 (`codes.value` texts)."""


def normalise_code(raw: object) -> str:
    """Error codes come as "000", "0107", 0 or 107: give the manual's 3-4 character form."""
    text = str(raw).strip()
    if not text.isdigit():
        return text
    if int(text) == 0:
        return SUCCESS
    return text.zfill(4)


def request_error_meaning(code: str) -> Msg:
    return Msg.of(f"codes.request.{code}" if code in REQUEST_ERRORS else "codes.request.unlisted")


def report_meaning(value: str, code: str) -> Msg:
    """Human reason of a status report: the code's meaning (5.2), else the value's."""
    if code in REPORT_CODES:
        return Msg.of(f"codes.report.{code}")
    return Msg.of(f"codes.value.{value}" if value in REPORT_VALUES else "codes.value.unlisted")
