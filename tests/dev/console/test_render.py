"""What the console prints for what the app posts: blocks → readable text."""

from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.dev.console.blocks import render_blocks
from bot.dev.console.messages import render_message, render_response
from bot.dev.console.mrkdwn import Names, mrkdwn
from bot.dev.console.views import render_view
from bot.dev.slack_standin import Message, ResponsePost, ViewRecord
from bot.domain.mrkdwn import code, escape, quote
from bot.domain.spreadsheet import DEFAULT_MAX_ROWS
from bot.i18n import TEXTS, Language
from bot.store.models import Failure
from bot.views.failures import build_failures_reply
from bot.views.send_modal import build_send_modal

EN, ZH = TEXTS[Language.EN], TEXTS[Language.ZH_HANS]
NAMES = Names(
    users={"U0ALICE": ("alice", "Alice Chen"), "UBOT": ("santo", "Santo")},
    channels={"C0GENERAL": "general", "C0OPS": "ops"},
)


def dicts(*blocks: Any) -> list[dict[str, Any]]:
    return [block.to_dict() for block in blocks]


def message(ts: str, blocks: list[dict[str, Any]], thread_ts: str | None = None, text: str = "") -> Message:
    return Message(channel="C0GENERAL", ts=ts, thread_ts=thread_ts, text=text, blocks=blocks, user="UBOT")


def test_mrkdwn_markers_are_dropped_and_text_is_kept() -> None:
    assert (
        mrkdwn("*Delivered* 2 · _Failed_ 0 · ~Pending~ 1 · `msgid 42`")
        == "Delivered 2 · Failed 0 · Pending 1 · msgid 42"
    )
    assert mrkdwn("*bold with _italic_ inside*") == "bold with italic inside"
    # markers inside words, code and arithmetic are not formatting
    assert mrkdwn("report_token_x and 2*3*4") == "report_token_x and 2*3*4"
    assert mrkdwn("`*not bold*` and `a_b_`") == "*not bold* and a_b_"
    assert mrkdwn(":warning: careful :unknown_thing:") == "⚠️ careful :unknown_thing:"


def test_escaped_outside_text_reads_as_typed() -> None:
    typed = "<!channel> click <https://evil.example|here> & <@U0BOB> 5 > 3"
    assert mrkdwn(escape(typed)) == typed
    assert mrkdwn(code("a<b")) == "a<b"
    assert mrkdwn(quote("line one\n> two")) == "│ line one\n│ > two"


def test_mentions_channels_and_links_show_as_names() -> None:
    shown = mrkdwn("sent by <@U0ALICE> in <#C0GENERAL> · <#C9|renamed> · <!here>", NAMES)
    assert shown == "sent by @alice in #general · #renamed · @here"
    assert (
        mrkdwn("<https://slack.com|Slack> or <https://x.example>")
        == "Slack (https://slack.com) or https://x.example"
    )
    assert mrkdwn("<@U0NOBODY>", NAMES) == "@U0NOBODY"
    assert mrkdwn("请在<https://x.example|重发的消息>中查看") == "请在重发的消息（https://x.example）中查看"


def test_sections_fields_context_dividers_and_headers() -> None:
    blocks = dicts(
        HeaderBlock(text="Status"),
        SectionBlock(text=MarkdownTextObject(text="*Balance:* ¥100.00")),
        SectionBlock(fields=[MarkdownTextObject(text="*China*"), MarkdownTextObject(text="¥0.08")]),
        DividerBlock(),
        ContextBlock(elements=[MarkdownTextObject(text="msgid `17956`")]),
    )
    assert render_blocks(EN, blocks, NAMES).lines == [
        "Status",
        "Balance: ¥100.00",
        "China",
        "¥0.08",
        "─" * 40,
        "msgid 17956",
    ]


def test_buttons_are_numbered_from_the_next_free_number() -> None:
    blocks = dicts(
        SectionBlock(text=MarkdownTextObject(text="Send this SMS to 11 numbers?")),
        ActionsBlock(
            elements=[
                ButtonElement(text="Send", action_id="confirm_send", value="d1", style="primary"),
                ButtonElement(text="Cancel", action_id="cancel_send", value="d1"),
            ]
        ),
    )
    shown = render_blocks(EN, blocks, NAMES, first_button=3)
    assert shown.lines[-1] == "[3 Send] [4 Cancel]"
    assert [(b.number, b.action_id, b.value) for b in shown.buttons] == [
        (3, "confirm_send", "d1"),
        (4, "cancel_send", "d1"),
    ]


def test_a_thread_reply_is_indented_under_its_parent() -> None:
    parent = message(
        "1.1", dicts(SectionBlock(text=MarkdownTextObject(text="*SMS to 2 numbers* · sent by <@U0ALICE>")))
    )
    text, blocks = build_failures_reply(EN, [Failure(1, "8613910820402", "402")])
    reply = message("1.2", [b.to_dict() for b in blocks], thread_ts="1.1", text=text)
    top = render_message(EN, parent, NAMES).lines
    shown = render_message(EN, reply, NAMES, parent=parent).lines
    assert top == ["Santo in #general:", "  SMS to 2 numbers · sent by @alice"]
    assert shown[0] == '  └ Santo, in the thread of "SMS to 2 numbers · sent by @alice":'
    assert shown[1:] == [
        "      Failed (1)",
        "      +86 139 1082 0402 — content contains a forbidden keyword (402)",
    ]


def test_an_updated_message_is_marked_once() -> None:
    home = message("1.1", dicts(SectionBlock(text=MarkdownTextObject(text="*Delivered* 2 · *Failed* 0"))))
    first = render_message(EN, home, NAMES).text
    again = render_message(EN, home, NAMES, updated=True).text
    assert "(updated)" not in first
    assert again.splitlines()[0] == "Santo in #general (updated):" and again.count("(updated)") == 1
    assert again.splitlines()[1:] == first.splitlines()[1:]


def test_ephemeral_answers_are_marked_only_visible_to_you() -> None:
    post = ResponsePost(
        "R1", {"text": "*Balance:* ¥100.00", "response_type": "ephemeral"}, 0.0, "C0GENERAL", "U0ALICE"
    )
    assert render_response(EN, post, NAMES).lines == [
        "Santo in #general (only visible to you):",
        "  Balance: ¥100.00",
    ]
    replaced = ResponsePost("R2", {"text": "Cancelled.", "replace_original": True}, 0.0, "C0GENERAL")
    assert (
        render_response(EN, replaced, NAMES).lines[0] == "Santo in #general (only visible to you) (updated):"
    )


def test_a_modal_shows_title_inputs_errors_and_its_buttons() -> None:
    payload = build_send_modal(EN, "C0GENERAL", max_file_rows=DEFAULT_MAX_ROWS).to_dict()
    view = ViewRecord(id="V1", type="modal", payload=payload, hash="h")
    lines = render_view(EN, view, NAMES, errors={"recipients": "No valid number. 12345: too short"}).lines
    assert lines[0] == "┌─ Send SMS"
    assert "│ Recipients (optional): ____" in lines and "│ Type: [SMS]" in lines
    assert "│ Sender id (optional): ____" in lines
    assert "│ ✗ Recipients: No valid number. 12345: too short" in lines
    assert lines[-1] == "└─ [Review] [Cancel]"


def test_in_a_chinese_users_console_slacks_own_words_are_chinese() -> None:
    parent = message("1.1", dicts(SectionBlock(text=MarkdownTextObject(text="*发送短信至 2 个号码*"))))
    text, blocks = build_failures_reply(ZH, [Failure(1, "8613910820402", "402")])
    reply = message("1.2", [b.to_dict() for b in blocks], thread_ts="1.1", text=text)
    assert render_message(ZH, parent, NAMES, updated=True).lines[0] == "Santo 在 #general（已更新）："
    assert render_message(ZH, reply, NAMES, parent=parent).lines[0] == (
        "  └ Santo 在“发送短信至 2 个号码”的消息列中回复："
    )
    replaced = ResponsePost("R2", {"text": "已取消。", "replace_original": True}, 0.0, "C0GENERAL")
    assert render_response(ZH, replaced, NAMES).lines[0] == "Santo 在 #general（仅你可见）（已更新）："
    deleted = ResponsePost("R3", {"delete_original": True}, 0.0, "C0GENERAL")
    assert render_response(ZH, deleted, NAMES).lines == ["Santo（仅你可见）：（消息已删除）"]

    payload = build_send_modal(ZH, "C0GENERAL", max_file_rows=DEFAULT_MAX_ROWS).to_dict()
    lines = render_view(ZH, ViewRecord(id="V1", type="modal", payload=payload, hash="h"), NAMES).lines
    assert f"│ {ZH('send.modal.recipients')}（可选）：____" in lines
    assert f"│ {ZH('send.modal.schedule')}：____" in lines  # its label says 可选 already
