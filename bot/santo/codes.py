"""The platform's code tables (manual 5.1 and 5.2) and its fixed vocabularies."""

from enum import StrEnum


class Command(StrEnum):
    MT_REQUEST = "MT_REQUEST"
    MULTI_MT_REQUEST = "MULTI_MT_REQUEST"
    VO_REQUEST = "VO_REQUEST"
    MT_RESPONSE = "MT_RESPONSE"
    MULTI_MT_RESPONSE = "MULTI_MT_RESPONSE"
    VO_RESPONSE = "VO_RESPONSE"
    RT_REQUEST = "RT_REQUEST"
    RT_RESPONSE = "RT_RESPONSE"


ACCEPTED = "ACCEPTD"
REJECTED = "REJECTD"
SUCCESS = "000"
MAX_BATCH = 100
"""At most this many numbers in one MULTI_MT_REQUEST (manual 4.2)."""

VOICE_LANGUAGES: dict[str, str] = {
    "zh-cn": "Chinese",
    "en-us": "English",
    "ja-jp": "Japanese",
    "ko-kr": "Korean",
    "ru-ru": "Russian",
    "es-es": "Spanish",
    "pt-pt": "Portuguese",
}
DEFAULT_VOICE_LANGUAGE = "zh-cn"

REQUEST_ERRORS: dict[str, str] = {
    "000": "success",
    "0100": "request parameter error",
    "0101": "invalid command",
    "0104": "account error (unknown account)",
    "0106": "wrong password",
    "0107": "insufficient balance or credit",
    "0108": "this server's IP address is not on the account's allowlist",
    "0110": "malformed destination number, or more than 100 numbers in one batch",
    "0111": "message content is empty",
    "0112": "no approved template for a mainland China number",
    "0600": "unknown platform error",
}

DELIVERED_CODE = "DELIVRD"
REPORT_CODES: dict[str, str] = {
    DELIVERED_CODE: "delivered",
    "401": "no permission to send (insufficient balance)",
    "402": "content contains a forbidden keyword",
    "403": "content lacks an allowlisted keyword",
    "404": "not delivered for another reason (ask support)",
    "501": "unknown error (ask support)",
}
REPORT_VALUES: dict[str, str] = {
    "0": "delivered",
    "400": "failed",
    "500": "failed (unknown error)",
}


def normalise_code(raw: object) -> str:
    """Error codes come as "000", "0107", 0 or 107: give the manual's 3-4 character form."""
    text = str(raw).strip()
    if not text.isdigit():
        return text
    if int(text) == 0:
        return SUCCESS
    return text.zfill(4)


def request_error_meaning(code: str) -> str:
    return REQUEST_ERRORS.get(code, "an error code the manual does not list")


def report_meaning(value: str, code: str) -> str:
    """Human reason of a status report: the code's meaning (5.2), else the value's."""
    if code in REPORT_CODES:
        return REPORT_CODES[code]
    return REPORT_VALUES.get(value, "an outcome the manual does not list")
