""" "Send as SMS" through the real app: a message shortcut opens the prefilled Send modal."""

import time
from typing import Any

from bot.dev.slack_standin import Message, ViewRecord
from bot.i18n import TEXTS, Language
from bot.sending.guard import lookup_refusal
from bot.views.ids import ActionId, BlockId, CallbackId
from tests.e2e.conftest import MakeWorld, World, blocks_text
from tests.e2e.test_send_modal import review

OPS = "C0OPS"
ZH = TEXTS[Language.ZH_HANS]
WEI = "U0WEI"
"""Wei's Slack locale is zh-CN: the app speaks Chinese to him."""


async def shortcut(world: World, message: Message, *, user: str = "U0ALICE", channel_name: str = "") -> str:
    """Pick "Send as SMS" on `message`, as Slack sends it; returns the trigger id."""
    standin = world.standin
    trigger = standin.new_trigger_id()
    payload: dict[str, Any] = {
        "type": "message_action",
        "callback_id": CallbackId.SEND_AS_SMS,
        "trigger_id": trigger,
        "action_ts": f"{time.time():.6f}",
        "team": {"id": standin.team_id, "domain": standin.team_domain},
        "user": {"id": user, "name": user.lower(), "team_id": standin.team_id},
        "channel": {
            "id": message.channel,
            "name": channel_name or standin.channel_names.get(message.channel, "privategroup"),
        },
        "message": message.to_api(standin.team_id),
        "message_ts": message.ts,
        "response_url": standin.new_response_url(channel=message.channel, user=user),
        "api_app_id": standin.app_id,
        "token": "legacy-verification-token",
        "is_enterprise_install": False,
    }
    status, body = await world.slack.interact(payload)
    assert status == 200 and body == "", body
    return trigger


async def opened(world: World, trigger: str) -> ViewRecord:
    await world.standin.wait_for(lambda: bool(world.standin.view_stack(trigger)), what="the modal")
    [view] = world.standin.view_stack(trigger)
    return view


def field(view: ViewRecord, block_id: str) -> dict[str, Any] | None:
    block = next((b for b in view.blocks if b.get("block_id") == block_id), None)
    return None if block is None else dict(block["element"])


async def test_the_message_becomes_the_text_and_the_send_reports_in_its_channel(world: World) -> None:
    mrkdwn = (
        "Hi <@U0BOB>, see <https://x.example/plan?a=1&amp;b=2|the plan> in <#C0RANDOM|random> "
        "&lt;3 <!here> :tada: <https://x.example/raw>"
    )
    message = world.standin.post_user_message(OPS, "U0ALICE", mrkdwn)
    view = await opened(world, await shortcut(world, message))
    assert view.callback_id == CallbackId.SEND_MODAL and view.private_metadata == OPS
    assert field(view, BlockId.CHANNEL) is None  # reports into the message's channel
    text = field(view, BlockId.MESSAGE)
    assert text is not None
    assert text["initial_value"] == (
        "Hi @bob, see the plan (https://x.example/plan?a=1&b=2) in #random <3 @here :tada: https://x.example/raw"
    )

    values: dict[str, dict[str, dict[str, Any]]] = {
        BlockId.RECIPIENTS: {ActionId.RECIPIENTS: {"type": "plain_text_input", "value": "+86 139 1082 5657"}},
        BlockId.MESSAGE: {ActionId.MESSAGE: {"type": "plain_text_input", "value": text["initial_value"]}},
        BlockId.KIND: {ActionId.KIND: {"type": "radio_buttons", "selected_option": {"value": "sms"}}},
    }
    confirmation = await review(world, view, values)
    assert f"into <#{OPS}>" in blocks_text(confirmation.blocks)
    await world.slack.submit_view(confirmation, {})
    home = await world.shows("*Delivered* 1", channel=OPS)
    assert "&lt;3 @here" in blocks_text(home.blocks)  # the text, escaped again in Slack
    [sent] = world.sandbox.messages.values()
    assert sent.text == text["initial_value"]  # what the platform got: plain text


async def test_unknown_people_keep_their_id(world: World) -> None:
    message = world.standin.post_user_message(OPS, "U0ALICE", "ping <@U0NOBODY> and <@U0ALICE>")
    view = await opened(world, await shortcut(world, message))
    text = field(view, BlockId.MESSAGE)
    assert text is not None and text["initial_value"] == "ping @U0NOBODY and @alice"


async def test_a_long_message_is_cut_to_fit_with_a_note(world: World) -> None:
    long = "word " * 800  # 4,000 characters
    message = world.standin.post_user_message(OPS, "U0ALICE", long)
    view = await opened(world, await shortcut(world, message))
    text = field(view, BlockId.MESSAGE)
    assert text is not None and 2990 <= len(text["initial_value"]) <= 3000
    assert long.startswith(text["initial_value"])
    assert "The message has 3,999 characters; the form holds 3,000, so its end was cut" in blocks_text(
        view.blocks
    )


async def test_from_a_direct_message_the_user_picks_the_channel(world: World) -> None:
    message = world.standin.post_user_message("D0ALICEBOB", "U0BOB", "call me")
    view = await opened(world, await shortcut(world, message, channel_name="directmessage"))
    assert view.private_metadata == "" and field(view, BlockId.CHANNEL) is not None
    text = field(view, BlockId.MESSAGE)
    assert text is not None and text["initial_value"] == "call me"


async def test_people_who_may_not_use_the_app_are_told_so(make_world: MakeWorld) -> None:
    world = await make_world(sms_allowed_users="U0BOB")
    message = world.standin.post_user_message(OPS, "U0BOB", "hello")
    view = await opened(world, await shortcut(world, message))
    assert view.callback_id != CallbackId.SEND_MODAL
    assert "You are not allowed to use this app" in blocks_text(view.blocks)


async def test_a_chinese_speaker_reads_the_cut_note_in_chinese(world: World) -> None:
    message = world.standin.post_user_message(OPS, "U0ALICE", "字" * 3500)
    view = await opened(world, await shortcut(world, message, user=WEI))
    assert view.callback_id == CallbackId.SEND_MODAL
    text = blocks_text(view.blocks)
    assert ZH("shortcuts.cut", n=3500, limit=3000) in text and "its end was cut" not in text


async def test_a_chinese_speaker_who_may_not_use_the_app_is_told_so_in_chinese(make_world: MakeWorld) -> None:
    world = await make_world(sms_allowed_users="U0BOB")
    message = world.standin.post_user_message(OPS, "U0BOB", "hello")
    view = await opened(world, await shortcut(world, message, user=WEI))
    assert view.callback_id != CallbackId.SEND_MODAL
    assert view.payload["title"]["text"] == ZH("shortcuts.title")
    refusal = await lookup_refusal(world.services, WEI)
    assert refusal is not None
    text = blocks_text(view.blocks)
    assert ZH.render(refusal) in text and "You are not allowed" not in text
