"""Answers typed at the console's form prompts become what Slack would submit."""

from datetime import UTC, datetime

import pytest
from slack_sdk.models.blocks import DateTimePickerElement, InputBlock

from bot.dev.console.forms import Context, Field, FieldError, describe, fields_of, parse, prompt
from bot.dev.console.mrkdwn import Names
from bot.domain.spreadsheet import DEFAULT_MAX_ROWS
from bot.i18n import TEXTS, Language
from bot.views.ids import ActionId, BlockId
from bot.views.send_modal import build_send_modal

CONTEXT = Context(
    TEXTS[Language.EN],
    Names(users={"U0ALICE": ("alice", "Alice Chen")}, channels={"C0GENERAL": "general", "C0OPS": "ops"}),
    channel_id="C0GENERAL",
    user_id="U0ALICE",
)


def fields(channel: str | None = "C0GENERAL") -> dict[str, Field]:
    return {
        f.block_id: f
        for f in fields_of(build_send_modal(TEXTS[Language.EN], channel, max_file_rows=DEFAULT_MAX_ROWS).to_dict(), CONTEXT.names)
    }


def test_prompts_show_defaults_and_options() -> None:
    form = fields(None)
    kind, lang, channel = form[BlockId.KIND], form[BlockId.LANG], form[BlockId.CHANNEL]
    assert prompt(form[BlockId.RECIPIENTS], CONTEXT) == "Recipients (optional): "
    assert prompt(kind, CONTEXT) == "Type [1]: "
    assert describe(kind, CONTEXT) == ["1) SMS  2) Voice call (text to speech)"]
    # the default voice language follows the user's Slack language (English here: en-us, the second)
    assert prompt(lang, CONTEXT) == "Voice language (voice calls only) (optional) [2]: "
    assert prompt(channel, CONTEXT) == "Report into channel: "  # nothing chosen for the user


def test_answers_become_state_values() -> None:
    form = fields(None)
    recipients = parse(form[BlockId.RECIPIENTS], "+86 139 1082 5657\\n+44 7400 123456", CONTEXT)
    assert recipients == {"type": "plain_text_input", "value": "+86 139 1082 5657\n+44 7400 123456"}
    assert parse(form[BlockId.KIND], "2", CONTEXT)["selected_option"]["value"] == "voice"
    assert parse(form[BlockId.KIND], "sms", CONTEXT)["selected_option"]["value"] == "sms"
    assert parse(form[BlockId.KIND], "", CONTEXT)["selected_option"]["value"] == "sms"
    assert parse(form[BlockId.SENDER], "", CONTEXT) == {"type": "plain_text_input", "value": None}
    channel = parse(form[BlockId.CHANNEL], "#ops", CONTEXT)
    assert channel == {"type": "conversations_select", "selected_conversation": "C0OPS"}
    assert form[BlockId.CHANNEL].action_id == ActionId.CHANNEL


def test_what_slack_refuses_before_submitting_is_asked_again() -> None:
    form = fields(None)
    with pytest.raises(FieldError, match="required"):
        parse(form[BlockId.MESSAGE], "  ", CONTEXT)
    with pytest.raises(FieldError, match="Choose 1 to 2"):
        parse(form[BlockId.KIND], "3", CONTEXT)
    with pytest.raises(FieldError, match=r"no channel #nowhere.*#general, #ops"):
        parse(form[BlockId.CHANNEL], "#nowhere", CONTEXT)
    with pytest.raises(FieldError, match="At most 16 characters"):
        parse(form[BlockId.SENDER], "A" * 17, CONTEXT)


def test_a_chinese_user_is_asked_in_chinese() -> None:
    chinese = Context(TEXTS[Language.ZH_HANS], CONTEXT.names, "C0GENERAL", "U0ALICE", "Asia/Shanghai")
    form = {f.block_id: f for f in fields_of(build_send_modal(chinese.t, None, max_file_rows=DEFAULT_MAX_ROWS).to_dict(), chinese.names)}
    assert prompt(form[BlockId.RECIPIENTS], chinese) == "收件人（可选）："
    assert prompt(form[BlockId.KIND], chinese) == "类型 [1]："
    assert describe(form[BlockId.MESSAGE], chinese) == ["（在一行内输入；需要换行时输入 \\n）"]
    assert describe(form[BlockId.CHANNEL], chinese) == [
        "（请选择频道：本次发送的消息和状态报告都会发布在那里。）",
        "（可选频道：#general、#ops）",
    ]
    assert refusal(form[BlockId.MESSAGE], "", chinese) == "此项必填。"
    assert refusal(form[BlockId.KIND], "3", chinese) == "请选择 1 到 2：1) 短信  2) 语音呼叫（文字转语音）"
    assert refusal(form[BlockId.SENDER], "A" * 17, chinese) == "最多 16 个字符（现在是 17 个）。"


def refusal(field: Field, typed: str, context: Context) -> str:
    with pytest.raises(FieldError) as refused:
        parse(field, typed, context)
    return str(refused.value)


def test_a_date_and_time_is_read_in_the_users_timezone() -> None:
    picker = InputBlock(
        block_id="when",
        label="Send later",
        optional=True,
        element=DateTimePickerElement(action_id="when_input"),
    )
    [when] = fields_of({"blocks": [picker.to_dict()]}, CONTEXT.names)
    shanghai = Context(
        CONTEXT.t,
        CONTEXT.names,
        "C0GENERAL",
        "U0ALICE",
        "Asia/Shanghai",
        now=datetime(2030, 1, 1, tzinfo=UTC),
    )
    at_0830 = int(datetime(2030, 1, 1, 0, 30, tzinfo=UTC).timestamp())
    assert parse(when, "2030-01-01 08:30", shanghai) == {
        "type": "datetimepicker",
        "selected_date_time": at_0830,
    }
    in_10_minutes = int(datetime(2030, 1, 1, 0, 10, tzinfo=UTC).timestamp())
    assert parse(when, "+10m", shanghai)["selected_date_time"] == in_10_minutes
    assert parse(when, "", shanghai)["selected_date_time"] is None
    with pytest.raises(FieldError, match="YYYY-MM-DD HH:MM"):
        parse(when, "tomorrow-ish", shanghai)
