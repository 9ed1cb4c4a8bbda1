"""Block Kit builders stay within Slack's limits for sends of any size."""

from collections import Counter
from decimal import Decimal

from slack_sdk.models.blocks import Block

from bot.domain.money import Estimate, RegionLine
from bot.domain.numbers import parse_number
from bot.domain.send_request import SendRequest
from bot.domain.states import NumberStatus, SendKind, SendState
from bot.i18n import TEXTS, Language, Msg
from bot.store.models import Failure, SendView
from bot.store.tables import Send
from bot.views.channel_message import build_channel_message
from bot.views.confirm import build_confirmation_blocks, build_confirmation_message
from bot.views.failures import MAX_PER_REPLY, build_failures_reply


def within_limits(blocks: list[Block], max_blocks: int = 50) -> str:
    """Validate with slack_sdk's own models; return all text for further checks."""
    assert len(blocks) <= max_blocks
    texts = []
    for block in blocks:
        as_dict = block.to_dict()  # raises SlackObjectFormationError beyond Slack's limits
        text = as_dict.get("text", {}).get("text", "")
        assert len(text) <= 3000
        texts.append(str(as_dict))
    return "\n".join(texts)


def big_send(**overrides: object) -> Send:
    fields: dict[str, object] = {
        "team_id": "T1",
        "user_id": "U1",
        "channel_id": "C1",
        "message_ts": "1.2",
        "kind": SendKind.SMS,
        "text": "x" * 3000,
        "sender_id": "ACME",
        "lang": None,
        "encoding": "GSM-7",
        "parts": 20,
        "recipients": 10_000,
        "estimated_cost": Decimal("1600.00"),
        "state": SendState.ACCEPTED,
    }
    fields.update(overrides)
    return Send(**fields)


def test_home_message_of_a_10000_number_send() -> None:
    view = SendView(
        send=big_send(),
        counts=Counter({NumberStatus.DELIVERED: 9000, NumberStatus.FAILED: 700, NumberStatus.PENDING: 300}),
        msgids=[f"{i:020d}" for i in range(100)],
        failure_reasons=Counter({"402": 400, "404": 200, "403": 50, "401": 30, "501": 20}),
    )
    _fallback, blocks = build_channel_message(TEXTS[Language.EN], view)
    text = within_limits(blocks)
    assert "10,000 numbers" in text and "*Delivered* 9,000" in text and "*Failed* 700" in text
    assert "(+97 more)" in text  # msgids are summarised
    assert "forbidden keyword (402): 400" in text
    assert "x" * 600 not in text  # the text is cut


def test_failure_replies_are_split_within_limits() -> None:
    failures = [Failure(i, f"86139{i:08d}", "402") for i in range(MAX_PER_REPLY)]
    _fallback, blocks = build_failures_reply(TEXTS[Language.EN], failures)
    text = within_limits(blocks)
    assert f"Failed ({MAX_PER_REPLY})" in text
    assert text.count("forbidden keyword") == MAX_PER_REPLY


def test_confirmation_of_many_countries_and_invalid_numbers() -> None:
    numbers = tuple(parse_number(f"+86139{i:08d}") for i in range(200))
    request = SendRequest(
        team_id="T1",
        user_id="U1",
        channel_id="C1",
        kind=SendKind.SMS,
        text="<!channel> 测试" * 300,
        numbers=numbers,
        invalid=tuple((f"bad{i}", Msg.of("numbers.reason.not_a_number")) for i in range(500)),
    )
    lines = [RegionLine(f"R{i}", 2, Decimal("0.05")) for i in range(100)]
    english = TEXTS[Language.EN]
    blocks = build_confirmation_message(
        english, "draft", build_confirmation_blocks(english, request, Estimate(parts=9, lines=lines), None)
    )
    text = within_limits(blocks, max_blocks=100)
    assert "…and 75 more countries" in text and "…and 480 more" in text
    assert "<!channel>" not in text



def test_numbers_without_a_report_are_listed_after_the_failed_ones_in_both_languages() -> None:
    failures = [Failure(1, "8613910820402", "402"), Failure(2, "8613910825658", None, NumberStatus.NO_REPORT)]
    for language in (Language.EN, Language.ZH_HANS):
        t = TEXTS[language]
        fallback, blocks = build_failures_reply(t, failures)
        text = "\n".join(b.text.text for b in blocks)  # type: ignore[attr-defined]
        assert text.index(t("failures.heading", n=1)) < text.index(t("failures.no_report_heading", n=1))
        assert "+86 139 1082 5658" in text.split(t("failures.no_report_heading", n=1))[1]
        assert fallback == t.count("failures.fallback", 1)
    only = build_failures_reply(TEXTS[Language.EN], failures[1:])[0]
    assert only == "1 number got no report"
