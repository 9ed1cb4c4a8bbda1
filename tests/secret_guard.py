"""A pytest plugin: no registered platform password may reach a log record, in any test.

Tests and fixtures call `register_secret(password)` for every *distinctive* password they
use (the sandbox's default password `Test101` equals its cpid, so it cannot be told apart and
is never registered). For the whole session a `SecretLogHandler` sits on the root logger and
notes every record whose text holds a registered secret (raw or URL-encoded): the formatted
message, the traceback (`exc_info` / `exc_text`), `stack_info`, and string `extra` fields.
An autouse fixture then fails the test during which a leak happened, naming the logger and
the message with the secret masked. Leaks outside any test fail the session at its end.

For the handler to see DEBUG records, the root logger is held at level `FORCED_ROOT_LEVEL`
(1, a value nobody else sets) while tests run. Records that exist only because of that are
filtered out of pytest's own handlers (caplog, the report's "Captured log", live and file
logging): a `_AsBefore` filter keeps a record only if its logger's effective level would
have let it through at the root level tests would otherwise have had. So `caplog` sees
exactly what it saw without this plugin, `caplog.set_level(...)` included. A test that raises
the root logger's level itself (`caplog.set_level(logging.INFO)`) hides its DEBUG records
from the guard too, until the next test.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from urllib.parse import quote, quote_plus

import pytest

SECRETS: set[str] = set()
"""Every password registered so far; none may appear in a log record."""

FORCED_ROOT_LEVEL = 1
"""The root logger's level during the session: below DEBUG, and distinct from DEBUG so a
test that sets DEBUG itself can be told apart from the guard."""

MASK = "***"

_STANDARD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def register_secret(value: str) -> str:
    """Guard `value` (a platform password) from now on; returns it, for `PWD = register_secret(…)`."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError("a secret must be a non-empty string")
    SECRETS.add(value)
    return value


@cache
def _forms(secret: str) -> frozenset[str]:
    """The secret as it can appear in text: raw, and URL-encoded the ways query strings do."""
    return frozenset({secret, quote(secret, safe=""), quote_plus(secret), quote(secret)})


def contains_secret(text: str, secrets: Iterable[str]) -> bool:
    return any(form in text for secret in secrets for form in _forms(secret))


def mask_secrets(text: str, secrets: Iterable[str]) -> str:
    """`text` with every form of every secret replaced by `***` (longest forms first)."""
    forms = sorted({form for secret in secrets for form in _forms(secret)}, key=len, reverse=True)
    for form in forms:
        text = text.replace(form, MASK)
    return text


def record_text(record: logging.LogRecord) -> str:
    """Everything a formatter could print of `record`, without changing the record."""
    try:
        parts = [record.getMessage()]
    except Exception:  # a broken format string: its parts still count
        parts = [str(record.msg), repr(record.args)]
    if record.exc_info and record.exc_info[1] is not None:
        parts.append(_FORMATTER.formatException(record.exc_info))
    if record.exc_text:
        parts.append(record.exc_text)
    if record.stack_info:
        parts.append(record.stack_info)
    for key, value in vars(record).items():
        if key not in _STANDARD_ATTRIBUTES and isinstance(value, str):
            parts.append(f"{key}={value}")
    return "\n".join(parts)


_FORMATTER = logging.Formatter()


@dataclass(frozen=True)
class Leak:
    """One log record that held a secret; `message` is masked."""

    logger: str
    level: str
    message: str

    def describe(self) -> str:
        return f"logger {self.logger!r} ({self.level}): {self.message}"


def leak_report(leaks: Iterable[Leak]) -> str:
    lines = [leak.describe() for leak in leaks]
    return f"a registered password reached {len(lines)} log record(s):\n  " + "\n  ".join(lines)


class SecretLogHandler(logging.Handler):
    """Notes every record that holds one of `secrets` (default: the live `SECRETS` registry)."""

    def __init__(self, secrets: Collection[str] | None = None) -> None:
        super().__init__(logging.NOTSET)
        self.secrets = SECRETS if secrets is None else secrets
        self.leaks: list[Leak] = []

    def emit(self, record: logging.LogRecord) -> None:
        secrets = list(self.secrets)
        if not secrets:
            return
        try:
            text = record_text(record)
            if contains_secret(text, secrets):
                self.leaks.append(Leak(record.name, record.levelname, mask_secrets(text, secrets)))
        except Exception:
            self.handleError(record)

    def take(self) -> list[Leak]:
        """The leaks noted since the last call, and forget them."""
        self.acquire()
        try:
            leaks, self.leaks = self.leaks, []
        finally:
            self.release()
        return leaks


def check_leaks(leaks: Collection[Leak]) -> None:
    """Fail the running test when there are leaks."""
    if leaks:
        pytest.fail(leak_report(leaks), pytrace=False)


# ---- root level, and keeping pytest's own handlers as they were -----------------------------


class _Guard:
    def __init__(self) -> None:
        self.handler = SecretLogHandler()
        self.base_level = logging.WARNING
        """The root level the session would have had: what `_AsBefore` compares with."""
        self.orphans: list[Leak] = []
        self.filtered: list[logging.Handler] = []

    def force_root_level(self) -> None:
        root = logging.getLogger()
        if root.level != FORCED_ROOT_LEVEL:
            self.base_level = root.level
            root.setLevel(FORCED_ROOT_LEVEL)

    def virtual_root_level(self) -> int:
        root = logging.getLogger()
        return self.base_level if root.level == FORCED_ROOT_LEVEL else root.level

    def would_have_been_logged(self, record: logging.LogRecord) -> bool:
        return record.levelno >= self.effective_level(record.name)

    def effective_level(self, name: str) -> int:
        """`Logger.getEffectiveLevel()` as if the root logger had its level before the guard."""
        root = logging.getLogger()
        found = root.manager.loggerDict.get(name)
        logger: logging.Logger | None = found if isinstance(found, logging.Logger) else None
        while logger is not None and logger is not root:
            if logger.level:
                return logger.level
            logger = logger.parent
        return self.virtual_root_level()


_GUARD = _Guard()


class _AsBefore(logging.Filter):
    """Drops the records that reach a handler only because the guard lowered the root level."""

    def filter(self, record: logging.LogRecord) -> bool:
        return _GUARD.would_have_been_logged(record)


_AS_BEFORE = _AsBefore()


def _pytest_handlers(config: pytest.Config) -> Iterator[logging.Handler]:
    plugin = config.pluginmanager.get_plugin("logging-plugin")
    for name in ("caplog_handler", "report_handler", "log_cli_handler", "log_file_handler"):
        handler = getattr(plugin, name, None)
        if isinstance(handler, logging.Handler):
            yield handler


def pytest_configure(config: pytest.Config) -> None:
    root = logging.getLogger()
    if _GUARD.handler not in root.handlers:
        root.addHandler(_GUARD.handler)
    _GUARD.force_root_level()


@pytest.hookimpl(trylast=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    for handler in _pytest_handlers(session.config):
        if _AS_BEFORE not in handler.filters:
            handler.addFilter(_AS_BEFORE)
            _GUARD.filtered.append(handler)


def pytest_runtest_logstart(nodeid: str, location: tuple[str, int | None, str]) -> None:
    # A test may have changed the root level for good (basicConfig, a stray setLevel).
    _GUARD.force_root_level()


@pytest.fixture(autouse=True)
def _no_secret_in_logs() -> Iterator[None]:
    """Fails the test if a registered secret reached a log record during it."""
    _GUARD.orphans.extend(_GUARD.handler.take())
    yield
    check_leaks(_GUARD.handler.take())


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _GUARD.orphans.extend(_GUARD.handler.take())
    if _GUARD.orphans and session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _GUARD.orphans:
        terminalreporter.section("secret guard", red=True)
        terminalreporter.line("outside any test, " + leak_report(_GUARD.orphans))


def pytest_unconfigure(config: pytest.Config) -> None:
    root = logging.getLogger()
    root.removeHandler(_GUARD.handler)
    if root.level == FORCED_ROOT_LEVEL:
        root.setLevel(_GUARD.base_level)
    for handler in _GUARD.filtered:
        handler.removeFilter(_AS_BEFORE)
    _GUARD.filtered.clear()
