"""Log lines as `serve` writes them: JSON or text, with their context, and never a secret."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot.logs import LogFormat, log_context, log_handler

PASSWORD = "Pa55-not-registered"
REPORT_TOKEN = "tok3n-not-registered"
BOT_TOKEN = "xoxb-1234-5678-abcdef"


@pytest.fixture
def written() -> Iterator[tuple[logging.Logger, dict[LogFormat, io.StringIO]]]:
    """A logger whose lines go to a JSON handler and a text handler, as `serve` would set one."""
    logger = logging.getLogger("tests.logs")
    streams: dict[LogFormat, io.StringIO] = {"json": io.StringIO(), "text": io.StringIO()}
    handlers = [log_handler(fmt, stream) for fmt, stream in streams.items()]
    for handler in handlers:
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield logger, streams
    finally:
        for handler in handlers:
            logger.removeHandler(handler)


def _log_everything(logger: logging.Logger) -> None:
    with log_context(send_id=42, workspace="T0ACME"):
        logger.info("submit to %d number(s) msgid=%s", 2, "m-77", extra={"msgid": "m-77"})
        logger.warning("GET /submit?cpid=Acme&cppwd=%s&da=1", PASSWORD)
        logger.warning("callback at /santo/reports/%s?msgid=1", REPORT_TOKEN)
        try:
            raise RuntimeError(f"Slack said no to {BOT_TOKEN}")
        except RuntimeError:
            logger.exception("a call failed")  # one masked line: the traceback would quote it
        try:
            raise ValueError("no secret here")
        except ValueError:
            logger.exception("another call failed")
    logger.info("outside any send")


def test_json_lines_carry_time_level_logger_message_and_context(
    written: tuple[logging.Logger, dict[LogFormat, io.StringIO]],
) -> None:
    logger, streams = written
    _log_everything(logger)
    lines = [json.loads(line) for line in streams["json"].getvalue().splitlines()]
    assert len(lines) == 6
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    first = lines[0]
    assert first["message"] == "submit to 2 number(s) msgid=m-77" and first["level"] == "INFO"
    assert (first["send_id"], first["msgid"], first["workspace"]) == (42, "m-77", "T0ACME")
    assert first["logger"] == "tests.logs" and first["time"].endswith("+00:00")
    assert "msgid" not in lines[1] and lines[1]["send_id"] == 42
    assert "exception" not in lines[3] and lines[3]["message"].endswith("RuntimeError: Slack said no to xoxb-***")
    assert "ValueError: no secret here" in lines[4]["exception"]
    assert {"send_id", "workspace", "msgid"}.isdisjoint(lines[5])


@pytest.mark.parametrize("log_format", ["json", "text"])
def test_no_password_or_token_in_either_format(
    written: tuple[logging.Logger, dict[LogFormat, io.StringIO]], log_format: LogFormat
) -> None:
    logger, streams = written
    _log_everything(logger)
    output = streams[log_format].getvalue()
    assert "cppwd=***" in output and "/santo/reports/***" in output and "xoxb-***" in output
    for secret in (PASSWORD, REPORT_TOKEN, BOT_TOKEN):
        assert secret not in output
