"""`python -m bot sandbox`: arguments, configuration, and a real run stopped by SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import re
import signal
import sys
from pathlib import Path

import aiohttp
import pytest

from bot.dev.sandbox import cli
from tests.dev.sandbox.conftest import CN, CPID, PASSWORD

REPO = Path(__file__).resolve().parents[3]


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    return parser.parse_args(argv)


def test_defaults() -> None:
    args = parse()
    assert (args.host, args.port, args.callback_url, args.force) == ("127.0.0.1", 8800, None, [])
    config = cli.config_from_args(args)
    assert config.accounts == {"Test101": "Test101"}
    assert (config.balance, config.report_delay, config.latency) == (100.0, 1.0, 0.0)


def test_options_reach_the_config() -> None:
    args = parse(
        "--port", "9000",
        "--callback-url", "http://127.0.0.1:3000/santo/report",
        "--latency", "0.5",
        "--report-delay", "2",
        "--fail-rate", "0.1",
        "--no-report-rate", "0.2",
        "--balance", "5",
        "--seed", "42",
        "--force", f"{CN}=402",
        "--force", "8613910825658=none",
        "--path-prefix", "/http",
        "--report-shape", "multi",
        "--inbound-shape", "multi",
    )  # fmt: skip
    config = cli.config_from_args(args)
    assert args.port == 9000
    assert config.callback_url == "http://127.0.0.1:3000/santo/report"
    assert (config.latency, config.report_delay) == (0.5, 2.0)
    assert (config.fail_rate, config.no_report_rate, config.balance, config.seed) == (
        0.1,
        0.2,
        5.0,
        42,
    )
    assert config.forced == {CN: "402", "8613910825658": "none"}
    assert (config.path_prefix, config.report_shape, config.inbound_shape) == ("/http", "multi", "multi")


def test_shapes_default_to_the_manuals() -> None:
    config = cli.config_from_args(parse())
    assert (config.path_prefix, config.report_shape, config.inbound_shape) == ("", "manual", "single")
    with pytest.raises(SystemExit):
        parse("--report-shape", "fancy")


@pytest.mark.parametrize("value", [f"{CN}", f"{CN}=999", f"+{CN}=401"])
def test_bad_force_is_a_usage_error(value: str) -> None:
    with pytest.raises(SystemExit):
        parse("--force", value)


async def test_main_refuses_out_of_range_values(capsys: pytest.CaptureFixture[str]) -> None:
    assert await cli.main(parse("--fail-rate", "2", "--port", "0")) == 2
    assert "fail_rate" in capsys.readouterr().err


async def test_runs_until_sigterm() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "sandbox", "--port", "0", "--report-delay", "0.05",
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
        assert "cpid Test101 / password Test101" in line
        match = re.search(r"http://127\.0\.0\.1:\d+", line)
        assert match, line
        params = {"command": "MT_REQUEST", "cpid": CPID, "cppwd": PASSWORD, "da": CN, "sm": "测试"}
        async with (
            aiohttp.ClientSession() as http,
            http.get(match.group(0) + "/submit", params=params) as response,
        ):
            assert "mtstat=ACCEPTD" in await response.text()
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
        assert process.returncode == 0
        assert b"cppwd=" + PASSWORD.encode() not in stderr
        assert b"cppwd=***" in stderr
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
