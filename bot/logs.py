"""Log lines: readable text by default, one JSON object a line with LOG_FORMAT=json.

Either way a record passes the secret guard (`bot.santo.redact.MaskSecrets`) on the process's
handler before it is formatted, and carries the send, msgid and workspace it is about when there
is one: set for a stretch of work with `log_context(send_id=…)` (tasks started inside inherit it),
or for one line with `extra={"msgid": …}`.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

from bot.santo.redact import MaskSecrets

LogFormat = Literal["text", "json"]
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
CONTEXT_FIELDS = ("send_id", "msgid", "workspace")
"""What a line is about, when it is about one send, message or workspace."""

_context: ContextVar[dict[str, Any]] = ContextVar("log_context", default={})  # noqa: B039 - never mutated


@contextmanager
def log_context(**fields: Any) -> Iterator[None]:
    """Lines logged inside the block (and in tasks started there) carry `fields` (None: left out)."""
    token = _context.set(_context.get() | {key: value for key, value in fields.items() if value is not None})
    try:
        yield
    finally:
        _context.reset(token)


class WithContext(logging.Filter):
    """Puts the `log_context` fields on each record, unless the line gave its own (`extra=`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in _context.get().items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC), level, logger, message, the context fields there are,
    and the traceback as `exception`."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in CONTEXT_FIELDS:
            value = getattr(record, key, None)
            if value is not None:
                line[key] = value
        if record.exc_info:
            record.exc_text = record.exc_text or self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def log_handler(log_format: LogFormat, stream: TextIO | None = None) -> logging.Handler:
    """A handler writing `log_format` lines to `stream` (stderr), secrets masked, context added."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    handler.addFilter(WithContext())
    handler.addFilter(MaskSecrets())
    return handler


def configure_logging(log_format: LogFormat = "text") -> None:
    """The process's logging: INFO and up on stderr in `log_format`, replacing what was set before."""
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(log_handler(log_format))
    root.setLevel(logging.INFO)
    logging.getLogger("alembic").setLevel(logging.WARNING)
