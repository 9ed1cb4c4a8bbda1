"""Keeping account passwords out of logs: every `cppwd=…` becomes `cppwd=***`."""

from __future__ import annotations

import logging
import re

_PASSWORD = re.compile(r"(?i)(cppwd=)[^&\s\"']*")
MASK = "***"

GUARDED_LOGGERS = ("aiohttp.access", "aiohttp.server", "aiohttp.web", "aiohttp.client")
"""aiohttp's loggers: the access log prints each request line, query string included."""


def mask_passwords(text: str) -> str:
    """`/submit?cpid=Test101&cppwd=secret&da=…` → `/submit?cpid=Test101&cppwd=***&da=…`."""
    return _PASSWORD.sub(rf"\g<1>{MASK}", text)


class MaskPasswords(logging.Filter):
    """Rewrites a record's message, arguments and extra string fields before any handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, tuple) else ()
        if "cppwd" not in str(record.msg).lower() and not any(
            isinstance(arg, str) and "cppwd" in arg.lower() for arg in args
        ):
            return True  # the common case, checked cheaply: nothing to mask
        if isinstance(record.msg, str):
            record.msg = mask_passwords(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(mask_passwords(arg) if isinstance(arg, str) else arg for arg in record.args)
        for key, value in list(vars(record).items()):
            if isinstance(value, str) and "cppwd" in value.lower():
                setattr(record, key, mask_passwords(value))
        return True


_FILTER = MaskPasswords()


def guard_aiohttp_logs() -> None:
    """Install the mask on aiohttp's loggers (idempotent).

    A logger's filters see only records logged on that very logger, which is how aiohttp's
    access log writes; the sandbox's own logger masks at the source instead.
    """
    for name in GUARDED_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
