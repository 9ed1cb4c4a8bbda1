"""Keeping the platform's secrets out of logs.

Two secrets travel in URLs: the account password (`cppwd=…` in every call to the platform) and
the report token (the path segment of the report callback, `/santo/reports/<token>`). Both are
masked wherever aiohttp writes a URL or a request line: its access log, and the one line it
writes when it rejects a request it cannot parse (that line quotes the raw request). Slack's
tokens (`xoxb-…`, `xapp-…`) are masked too, should a library's line ever quote one. `serve`
puts the same filter on its log handler (`bot.logs`), so every line is masked, text or JSON.
"""

from __future__ import annotations

import logging
import re

_PASSWORD = re.compile(r"(?i)(cppwd=)[^&\s\"']*")
_REPORT_TOKEN = re.compile(r"(/santo/reports/)[^/?#&\s\"'\\]+")
_SLACK_TOKEN = re.compile(r"\b(xox[abeoprs]|xapp)-[A-Za-z0-9-]+")
MASK = "***"
_MARKERS = ("cppwd", "/santo/reports/", "xox", "xapp-")

GUARDED_LOGGERS = ("aiohttp.access", "aiohttp.server", "aiohttp.web", "aiohttp.client")
"""aiohttp's loggers: the access log prints each request line, query string included."""


def mask_passwords(text: str) -> str:
    """`/submit?cpid=Test101&cppwd=secret&da=…` → `/submit?cpid=Test101&cppwd=***&da=…`."""
    return _PASSWORD.sub(rf"\g<1>{MASK}", text)


def mask_secrets(text: str) -> str:
    """Passwords, the report token (`/santo/reports/<token>?…` → `/santo/reports/***?…`) and
    Slack's tokens (`xoxb-1-2-abc` → `xoxb-***`)."""
    text = _REPORT_TOKEN.sub(rf"\g<1>{MASK}", mask_passwords(text))
    return _SLACK_TOKEN.sub(rf"\g<1>-{MASK}", text)


def _has_secret(text: str) -> bool:
    lowered = text.lower()
    return any(marker in lowered for marker in _MARKERS)


class MaskSecrets(logging.Filter):
    """Rewrites a record's message, arguments, extra string fields and exception before any handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, tuple) else ()
        error = record.exc_info[1] if record.exc_info else None
        if (
            not _has_secret(str(record.msg))
            and not any(isinstance(arg, str) and _has_secret(arg) for arg in args)
            and not (error is not None and _has_secret(str(error)))
        ):
            return True  # the common case, checked cheaply: nothing to mask
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: its parts are still masked
            message = f"{record.msg} {record.args!r}"
        if error is not None and _has_secret(str(error)):
            # The exception quotes the raw request (aiohttp's "Invalid char in url query: …"):
            # one line with its masked text instead of a traceback that would repeat it.
            message = f"{message}: {type(error).__name__}: {str(error)[:300]}"
            record.exc_info = None
            record.exc_text = None
        # The formatted message, masked: a secret split between the format and its arguments
        # (`"cppwd=%s", password`) is masked whole.
        record.msg = mask_secrets(message)
        record.args = ()
        for key, value in list(vars(record).items()):
            if isinstance(value, str) and _has_secret(value):
                setattr(record, key, mask_secrets(value))
        return True


_FILTER = MaskSecrets()


def guard_aiohttp_logs() -> None:
    """Install the mask on aiohttp's loggers (idempotent).

    A logger's filters see only records logged on that very logger, which is how aiohttp's
    access log writes; the sandbox's own logger masks at the source instead.
    """
    for name in GUARDED_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
