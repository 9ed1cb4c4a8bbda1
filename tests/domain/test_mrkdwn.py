"""Outside text in Slack: escaped, without control or direction characters, within the limits."""

from collections import Counter
from typing import Any

import pytest

from bot.dev.slack_standin import _block_problems
from bot.domain.mrkdwn import code, outside, quote
from bot.i18n import TEXTS, Language
from bot.store.models import Failure
from bot.store.sends import SendView
from bot.store.tables import NumberStatus, SendState
from bot.views.channel_message import build_channel_message
from bot.views.failures import build_failures_reply
from tests.views.test_blocks import big_send

EN = TEXTS[Language.EN]
MARKS = "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
CONTROLS = "".join(map(chr, [*range(0x20), *range(0x7F, 0xA0)]))


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("<!channel>", "&lt;!channel&gt;"),
        ("<!subteam^S1>", "&lt;!subteam^S1&gt;"),
        ("<@U123>", "&lt;@U123&gt;"),
        ("<http://evil.example|click>", "&lt;http://evil.example|click&gt;"),
        ("A&B", "A&amp;B"),
        ("&lt;", "&amp;lt;"),
        ("a\x00b\x1b[31mc\u202ed\x85e\x7f", "ab[31mcde"),
        ("one\ntwo\tthree\r\n", "one two three "),
        ("402", "402"),
        ("中文短信", "中文短信"),
    ],
)
def test_outside_text_is_escaped_and_cleaned(raw: str, shown: str) -> None:
    assert outside(raw) == shown


def test_no_control_or_direction_character_survives() -> None:
    shown = outside(f"x{CONTROLS}{MARKS}y", newlines=True)
    assert shown == "x \ny"
    assert outside(f"x{CONTROLS}{MARKS}y") == "x  y"  # tab and line feed become spaces


def test_lines_only_where_the_caller_allows() -> None:
    assert outside("a\nb", newlines=True) == "a\nb"
    assert outside("a\u2028b") == "a b"
    assert quote("<!here>\nsecond\x1b line") == "&gt; &lt;!here&gt;\n&gt; second line"


@pytest.mark.parametrize("limit", [1, 2, 5, 10, 40, 3000])
def test_cut_to_the_limit_once_escaped_without_splitting_an_escape(limit: int) -> None:
    for raw in ("<" * 5000, "a<" * 3000, "x" * 3200, "&" * 700):
        shown = outside(raw, limit)
        assert len(shown) <= limit
        assert shown.endswith("…")
        body = shown[:-1]
        assert "<" not in body and body.replace("&lt;", "").replace("&amp;", "").count("&") == 0


def test_short_text_is_not_cut() -> None:
    assert outside("<>", 8) == "&lt;&gt;"
    assert outside("x" * 40, 40) == "x" * 40


def test_code_and_quote_stay_bounded() -> None:
    assert code("a`b<c>") == "`aˋb&lt;c&gt;`"
    assert len(code("<" * 10_000)) <= 502
    assert len(quote("\n" * 10_000, 500)) <= 1000
    assert len(quote("<" * 10_000, 1500)) <= 3000


def _valid(blocks: list[Any]) -> str:
    as_dicts = [block.to_dict() for block in blocks]  # slack_sdk checks its limits here
    assert not _block_problems(as_dicts, 50), _block_problems(as_dicts, 50)
    return str(as_dicts)


@pytest.mark.parametrize("length", [16, 3000, 3200, 50_000])
def test_the_send_message_and_its_failures_draw_whatever_the_codes_length(length: int) -> None:
    long_code = ("<!channel>\x1b\u202e" * length)[:length]
    view = SendView(
        send=big_send(state=SendState.UNKNOWN, recipients=3, text="hello"),
        counts=Counter({NumberStatus.FAILED: 2, NumberStatus.UNKNOWN: 1}),
        msgids=[long_code, "<@U123>" * 1000],
        failure_reasons=Counter({long_code: 1, long_code[:-1] + "x": 1}),
    )
    fallback, blocks = build_channel_message(EN, view)
    assert "Failed 2" in fallback
    text = _valid(blocks)
    assert "*Failed* 2" in text and "&lt;!channel&gt;" in text
    assert "<!channel>" not in text and "<@U123>" not in text and "\u202e" not in text
    failures = [Failure(1, "8613910820402", long_code), Failure(2, "8613910820403", "<@U123>")]
    _fallback, blocks = build_failures_reply(EN, failures)
    text = _valid(blocks)
    assert "+86 139 1082 0402 — failed (&lt;!channel&gt;" in text
    assert "+86 139 1082 0403 — failed (&lt;@U123&gt;)" in text
    assert "<!channel>" not in text and "\x1b" not in text
