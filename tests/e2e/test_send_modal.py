"""The Send modal: open → inline errors → confirmation → Send → the send's message."""

import copy
from typing import Any

from bot.dev.sandbox import SandboxConfig
from bot.dev.slack_standin import ViewRecord
from bot.domain.numbers import country_name, parse_numbers
from bot.domain.states import NumberStatus, SendState
from bot.i18n import TEXTS, Language, Msg
from bot.views.ids import ActionId, BlockId, CallbackId
from tests.e2e.conftest import CHANNEL, MakeWorld, World, blocks_text


def form(
    recipients: str, message: str, kind: str = "sms", sender: str = "", lang: str = "zh-cn"
) -> dict[str, dict[str, dict[str, Any]]]:
    return {
        BlockId.RECIPIENTS: {ActionId.RECIPIENTS: {"type": "plain_text_input", "value": recipients}},
        BlockId.MESSAGE: {ActionId.MESSAGE: {"type": "plain_text_input", "value": message}},
        BlockId.KIND: {ActionId.KIND: {"type": "radio_buttons", "selected_option": {"value": kind}}},
        BlockId.LANG: {ActionId.LANG: {"type": "static_select", "selected_option": {"value": lang}}},
        BlockId.SENDER: {ActionId.SENDER: {"type": "plain_text_input", "value": sender or None}},
    }


ZH = TEXTS[Language.ZH_HANS]
WEI = "U0WEI"
"""Wei's Slack locale is zh-CN: the app speaks Chinese to him."""


async def open_modal(world: World, user: str = "U0ALICE") -> ViewRecord:
    await world.send("", user=user)
    call = await world.standin.wait_for_call("views.open")
    view = world.standin.views[call.response["view"]["id"]]
    assert view.callback_id == CallbackId.SEND_MODAL
    return view


async def review(
    world: World, view: ViewRecord, values: dict[str, Any], user: str = "U0ALICE", within: float = 5.0
) -> ViewRecord:
    """Submit the form; wait (up to `within` seconds) for the pushed confirmation to be filled in."""
    answer = await world.slack.submit_view(view, values, user=user)
    assert answer["response_action"] == "push", answer
    external_id = answer["view"]["external_id"]
    await world.standin.wait_for(
        lambda: any(
            v.external_id == external_id and v.callback_id == CallbackId.CONFIRM
            for v in world.standin.views.values()
        ),
        timeout=within,
        what="the confirmation",
    )
    return next(v for v in world.standin.views.values() if v.external_id == external_id)


async def test_field_errors_show_inline_and_nothing_is_sent(world: World) -> None:
    view = await open_modal(world)
    answer = await world.slack.submit_view(view, form("abc, 12", "", sender="ACME-INC"))
    assert answer["response_action"] == "errors"
    errors = answer["errors"]
    assert "No valid number" in errors[BlockId.RECIPIENTS] and "abc" in errors[BlockId.RECIPIENTS]
    assert "Write the message" in errors[BlockId.MESSAGE]
    assert "only letters" in errors[BlockId.SENDER]
    voice = await world.slack.submit_view(view, form("8613910825657", "hi", kind="voice", sender="ACME"))
    assert "Voice calls can't have a sender id" in voice["errors"][BlockId.SENDER]
    assert not world.sandbox.messages


async def test_round_trip_from_form_to_channel(world: World) -> None:
    view = await open_modal(world)
    typed = "+86 139 1082 5657\n+44 7400 123456, abc\n+86 139 1082 5657"
    confirmation = await review(world, view, form(typed, "Meeting moved to 3pm", sender="ACME"))
    text = blocks_text(confirmation.blocks)
    assert "Send this SMS to 2 numbers" in text
    assert "China" in text and "United Kingdom" in text
    assert "Not sent: 1 invalid" in text and "`abc`" in text
    assert "1 duplicate(s) dropped" in text
    assert "GSM-7 (standard), 1 part per message" in text and "sender `ACME`" in text
    assert "*Estimated cost* ¥" in text and "*Balance* ¥100.00" in text
    assert not world.sandbox.messages  # only Send sends

    stale = copy.deepcopy(confirmation)  # as a second, late click would carry it
    answer = await world.slack.submit_view(confirmation, {})
    assert answer["response_action"] == "update"
    await world.standin.wait_for(
        lambda: any("Sent — follow it in" in blocks_text(v.blocks) for v in world.standin.views.values()),
        what="the sent notice",
    )
    message = await world.channel_message()
    assert "SMS to 2 numbers" in blocks_text(message.blocks) and "Sender `ACME`" in blocks_text(
        message.blocks
    )
    [sent] = world.sandbox.messages.values()
    assert sent.sender == "ACME" and set(sent.recipients) == {"8613910825657", "447400123456"}
    [send] = await world.sends()
    assert send.channel_id == CHANNEL and send.state == SendState.ACCEPTED

    again = await world.slack.submit_view(stale, {})  # a second Send does nothing
    assert again["response_action"] == "update"
    await world.standin.wait_for(
        lambda: any("already sent" in blocks_text(v.blocks) for v in world.standin.views.values())
    )
    assert len(world.sandbox.messages) == 1


async def test_warning_when_the_cost_exceeds_the_balance(world: World) -> None:
    world.sandbox.set_balance("Acme01", 0.05)
    view = await open_modal(world)
    confirmation = await review(world, view, form("8613910825657", "hello"))
    text = blocks_text(confirmation.blocks)
    assert "more than the balance" in text and "0107" in text


async def test_two_hundred_numbers_go_in_batches_and_fit_slack_limits(make_world: MakeWorld) -> None:
    world = await make_world(SandboxConfig(report_delay=3600))  # no reports: all stay Pending
    numbers = "\n".join(f"86139{i:08d}" for i in range(1, 201))
    view = await open_modal(world)
    confirmation = await review(world, view, form(numbers, "Quarterly notice " * 12))
    text = blocks_text(confirmation.blocks)
    assert "Send this SMS to 200 numbers" in text and "2 parts per message" in text
    await world.slack.submit_view(confirmation, {})
    message = await world.channel_message()
    await world.idle()
    assert len(world.sandbox.messages) == 2  # MULTI_MT_REQUEST batches of 100
    assert {len(m.recipients) for m in world.sandbox.messages.values()} == {100}
    recipients = await world.recipients()
    assert len(recipients) == 200 and {r.status for r in recipients} == {NumberStatus.PENDING}
    assert len({r.msgid for r in recipients}) == 2
    message = world.standin.last_message(CHANNEL)
    assert message is not None and len(message.blocks) <= 50
    assert "SMS to 200 numbers" in blocks_text(message.blocks) and "*Pending* 200" in blocks_text(
        message.blocks
    )
    assert "¥" in blocks_text(message.blocks)


async def test_cannot_post_is_shown_in_the_modal(world: World) -> None:
    world.standin.cannot_post_in.add(CHANNEL)
    view = await open_modal(world)
    confirmation = await review(world, view, form("8613910825657", "hello"))
    await world.slack.submit_view(confirmation, {})
    await world.standin.wait_for(
        lambda: any("nothing was sent" in blocks_text(v.blocks) for v in world.standin.views.values()),
        what="the cannot-post notice",
    )
    assert not world.sandbox.messages


def texts_of_views(world: World) -> str:
    return " ".join(blocks_text(v.blocks) for v in world.standin.views.values())


async def test_a_chinese_user_gets_the_form_its_errors_and_the_confirmation_in_chinese(world: World) -> None:
    view = await open_modal(world, user=WEI)
    assert view.payload["title"]["text"] == ZH("send.modal.title")
    assert view.payload["submit"]["text"] == ZH("send.modal.submit")
    labels = {b["block_id"]: b["label"]["text"] for b in view.blocks if b["type"] == "input"}
    assert labels[BlockId.RECIPIENTS] == ZH("send.modal.recipients")
    assert labels[BlockId.FILE] == ZH("file_send.field.label")
    kinds = next(b for b in view.blocks if b["block_id"] == BlockId.KIND)["element"]["options"]
    assert [o["text"]["text"] for o in kinds] == [ZH("send.modal.sms"), ZH("send.modal.voice")]

    answer = await world.slack.submit_view(view, form("abc", ""), user=WEI)
    [bad] = parse_numbers("abc").invalid
    shown = ZH("send.errors.invalid_entry", raw="abc", reason=bad.reason)
    assert answer["errors"][BlockId.RECIPIENTS] == ZH("send.errors.no_valid_number", shown=shown)
    assert answer["errors"][BlockId.MESSAGE] == ZH("send.errors.no_message")

    typed = "+86 139 1082 5657\n+44 7400 123456, abc\n+86 139 1082 5657"
    confirmation = await review(world, view, form(typed, "会议改到下午三点", sender="ACME"), user=WEI)
    assert confirmation.payload["title"]["text"] == ZH("send.confirm.title")
    assert confirmation.payload["submit"]["text"] == ZH("send.confirm.submit")
    text = blocks_text(confirmation.blocks)
    assert ZH.count("send.confirm.head_sms", 2, channel=CHANNEL) in text
    assert country_name("CN", Language.ZH_HANS) in text and country_name("GB", Language.ZH_HANS) in text
    assert ZH("send.confirm.invalid", n=1) in text and ZH("send.confirm.duplicates", n=1) in text
    assert ZH("send.cost.balance", balance="¥100.00") in text
    for english in ("Send this", "Recipients by country", "invalid", "dropped", "Estimated cost", "Balance"):
        assert english not in text

    await world.slack.submit_view(confirmation, {}, user=WEI)
    await world.standin.wait_for(
        lambda: ZH("send.notice.sent", channel=CHANNEL) in texts_of_views(world), what="the sent notice"
    )
    message = await world.channel_message()  # in the channel, in its sender's language
    headline = ZH("channel_message.headline.sms", to=ZH.count("channel_message.numbers", 2), user=WEI, channel=CHANNEL)
    assert headline in blocks_text(message.blocks)
    [send] = await world.sends()
    assert send.ui_language == Language.ZH_HANS.value


async def test_a_chinese_user_is_told_in_chinese_when_the_bot_cannot_post(world: World) -> None:
    world.standin.cannot_post_in.add(CHANNEL)
    view = await open_modal(world, user=WEI)
    confirmation = await review(world, view, form("8613910825657", "你好"), user=WEI)
    await world.slack.submit_view(confirmation, {}, user=WEI)
    advice = Msg.of("send.cannot_post.not_in_channel")
    said = ZH.render(Msg.of("send.cannot_post.text", channel=CHANNEL, advice=advice))
    await world.standin.wait_for(lambda: said in texts_of_views(world), what="the cannot-post notice")
    assert "nothing was sent" not in texts_of_views(world)
    assert not world.sandbox.messages


async def test_placeholders_without_a_file_are_a_field_error(world: World) -> None:
    view = await open_modal(world)
    answer = await world.slack.submit_view(view, form("8613910825657", "Hello {name}"))
    assert answer["response_action"] == "errors"
    assert answer["errors"][BlockId.MESSAGE].startswith("{name} would be sent exactly as typed")
    answer = await world.slack.submit_view(view, form("8613910825657", "{姓名}您好"), user=WEI)
    assert answer["errors"][BlockId.MESSAGE] == ZH("send.errors.placeholders", names="{姓名}")
    assert not world.sandbox.messages


async def test_the_voice_language_defaults_to_the_persons_and_else_follows_the_text(world: World) -> None:
    english = await open_modal(world)
    await world.send("", user=WEI)
    await world.standin.wait_for(lambda: len(world.standin.calls_to("views.open")) == 2, what="Wei's form")
    chinese = world.standin.views[world.standin.calls_to("views.open")[-1].response["view"]["id"]]
    initial = [
        next(b for b in v.blocks if b.get("block_id") == BlockId.LANG)["element"]["initial_option"]["value"]
        for v in (english, chinese)
    ]
    assert initial == ["en-us", "zh-cn"]
    values = form("8613910825657", "Привет", kind="voice")
    values[BlockId.LANG] = {ActionId.LANG: {"type": "static_select", "selected_option": None}}
    confirmation = await review(world, english, values)
    assert "Voice call in Russian (ru-ru), chosen from the text's script" in blocks_text(confirmation.blocks)
    confirmation = await review(world, chinese, values, user=WEI)
    picked = ZH("send.confirm.voice_from_text", lang="ru-ru", name=ZH("codes.voice.ru-ru"))
    assert picked in blocks_text(confirmation.blocks)
