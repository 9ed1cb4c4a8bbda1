"""Two-way SMS: what phones write comes back into Slack, in the thread it answers, once."""

from __future__ import annotations

import asyncio
from urllib.parse import urlencode

import aiohttp
from sqlalchemy import func, select

from bot.store.tables import Inbound, OptOut, Send
from bot.views.ids import ActionId, BlockId, CallbackId
from tests.e2e.conftest import CHANNEL, MakeWorld, World, blocks_text
from tests.e2e.test_reports import get, store_send


def mo(momsgid: str, phone: str, text: str, coding: str = "gbk", dc: str = "15") -> str:
    return "?" + urlencode(
        {
            "command": "MO_REQUEST",
            "momsgid": momsgid,
            "sa": phone,
            "da": "1069",
            "dc": dc,
            "sm": text.encode(coding).hex(),
        }
    )


async def message_ts(world: World, send_id: int) -> str:
    async with world.services.db.session() as session:
        send = await session.get(Send, send_id)
        assert send is not None and send.message_ts is not None
        return send.message_ts


async def test_a_reply_lands_in_the_thread_of_the_send_it_answers_decoded(world: World) -> None:
    first = await store_send(world, "m-old", "8613910825657")
    latest = await store_send(world, "m-new", "8613910825657", "447400123456")
    for i, (text, coding, dc) in enumerate(
        [("好的，收到", "gbk", "15"), ("Спасибо 👍", "utf-16-be", "8"), ("Olá, até já", "iso-8859-1", "0")]
    ):
        status, body = await get(world.report_url + mo(f"mo-{i}", "8613910825657", text, coding, dc))
        assert status == 200 and body == f"command=MO_RESPONSE&momsgid=mo-{i}&mostat=ACCEPTD&moerrcode=000"
    ts = await message_ts(world, latest)

    def replies() -> str:
        return " ".join(blocks_text(m.blocks) for m in world.standin.thread(CHANNEL, ts))

    await world.standin.wait_for(
        lambda: "Olá, até já" in replies(), what="the replies in the latest send's thread"
    )
    shown = replies()
    assert "Reply from +86 139 1082 5657" in shown and "好的，收到" in shown and "Спасибо 👍" in shown
    assert world.standin.thread(CHANNEL, await message_ts(world, first)) == []
    message = await world.shows("*Replies* 3")
    assert message.ts == ts


async def test_the_same_reply_delivered_twice_is_shown_once(world: World) -> None:
    send_id = await store_send(world, "m-1", "8613910825657")
    for _ in range(3):
        status, _ = await get(world.report_url + mo("mo-dup", "8613910825657", "yes"))
        assert status == 200
    await world.shows("*Replies* 1")
    await asyncio.sleep(1.0)  # more passes of the notifier
    thread = world.standin.thread(CHANNEL, await message_ts(world, send_id))
    assert len(thread) == 1
    async with world.services.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Inbound)) == 1


async def test_a_thousand_replies_to_one_send_reach_slack_in_twenty_messages(world: World) -> None:
    numbers = [f"86139108{i:05d}" for i in range(1000)]
    send_id = await store_send(world, "m-big", *numbers)
    items = ",".join(f"mo-{i}/{n}/1069/0/0/15/{b'YES'.hex()}" for i, n in enumerate(numbers))
    async with (
        aiohttp.ClientSession() as http,
        http.post(world.report_url, data={"command": "MULTI_MO_REQUEST", "mos": items}) as response,
    ):
        assert response.status == 200
        assert await response.text() == "command=MULTI_MO_RESPONSE&mostat=ACCEPTD&moerrcode=000"
    ts = await message_ts(world, send_id)
    await world.shows("*Replies* 1,000", within=60)
    thread = world.standin.thread(CHANNEL, ts)
    assert len(thread) <= 20
    shown = " ".join(blocks_text(m.blocks) for m in thread)
    assert shown.count("Reply from") == 1000


async def test_stop_opts_the_number_out_and_says_so_in_the_thread(make_world: MakeWorld) -> None:
    world = await make_world(santo_inbox_channel="C0INBOX")
    send_id = await store_send(world, "m-1", "8613910825657")
    status, _ = await get(world.report_url + mo("mo-1", "8613910825657", " Stop! "))
    assert status == 200
    ts = await message_ts(world, send_id)
    await world.standin.wait_for(lambda: bool(world.standin.thread(CHANNEL, ts)), what="the STOP reply")
    assert "asked not to get messages" in blocks_text(world.standin.thread(CHANNEL, ts)[0].blocks)
    async with world.services.db.session() as session:
        assert [o.number for o in await session.scalars(select(OptOut))] == ["8613910825657"]
    # 订阅 (subscribe) from the same number takes it off the list again; from a stranger: the inbox
    await get(world.report_url + mo("mo-2", "8613910825657", "订阅"))
    await get(world.report_url + mo("mo-3", "447400123456", "退订。"))
    await world.standin.wait_for(
        lambda: world.standin.last_message("C0INBOX") is not None, what="the inbox post"
    )
    async with world.services.db.session() as session:
        assert [o.number for o in await session.scalars(select(OptOut))] == ["447400123456"]
    inbox = blocks_text(world.standin.last_message("C0INBOX").blocks)  # type: ignore[union-attr]
    assert "Message from +44 7400 123456" in inbox and "asked not to get messages" in inbox


async def test_a_stranger_writing_twice_is_one_conversation_in_the_inbox(make_world: MakeWorld) -> None:
    world = await make_world(santo_inbox_channel="C0INBOX")
    await get(world.report_url + mo("mo-1", "447400123456", "hello?"))
    await world.standin.wait_for(lambda: world.standin.last_message("C0INBOX") is not None)
    await get(world.report_url + mo("mo-2", "447400123456", "anyone there?"))
    first = world.standin.channel_messages("C0INBOX")[0]
    await world.standin.wait_for(
        lambda: bool(world.standin.thread("C0INBOX", first.ts)), what="the second message"
    )
    assert len(world.standin.channel_messages("C0INBOX")) == 1
    assert "anyone there?" in blocks_text(world.standin.thread("C0INBOX", first.ts)[0].blocks)


def numbers_sent(world: World) -> list[str]:
    """Every number the platform was given, in any accepted message."""
    return [n for message in world.sandbox.messages.values() for n in message.recipients]


async def test_a_number_that_wrote_stop_is_never_given_to_the_platform_again(world: World) -> None:
    await store_send(world, "m-1", "8613910825657")
    await get(world.report_url + mo("mo-1", "8613910825657", "STOP"))
    async with world.services.db.session() as session:
        for _ in range(50):
            if await session.scalar(select(func.count()).select_from(OptOut)):
                break
            await asyncio.sleep(0.05)
    answer = await world.command("send 8613910825657,447400123456 Hello again")
    assert "1 number was skipped: it opted out" in answer.text
    await world.standin.wait_for(lambda: bool(world.sandbox.messages), what="the send of the other number")
    assert numbers_sent(world) == ["447400123456"]
    answer = await world.command("send 8613910825657 Hello?")
    assert "The number opted out" in answer.text and "Nothing was sent" in answer.text
    await asyncio.sleep(0.3)
    assert numbers_sent(world) == ["447400123456"]


async def test_an_admin_keeps_the_opt_out_list_and_the_confirmation_says_who_is_skipped(
    make_world: MakeWorld,
) -> None:
    world = await make_world(sms_admins="U0BOB", sms_confirm_above_recipients=1)
    assert "Only admins" in (await world.command("optout add +8613910825657")).text
    added = await world.command("optout add +86 139 1082 5657", user="U0BOB")
    assert "+86 139 1082 5657 is on the opt-out list" in added.text
    listed = await world.command("optout", user="U0BOB")
    assert "+86 139 1082 5657 — added by an admin" in listed.text
    confirmation = await world.command("send 8613910825657,447400123456,8613910820402 Hi")
    assert "1 number skipped: it opted out" in blocks_text(confirmation.blocks)
    removed = await world.command("optout remove 8613910825657", user="U0BOB")
    assert "is off the opt-out list" in removed.text
    async with world.services.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(OptOut)) == 0
    trail = await world.command("audit 1", user="U0BOB")
    assert trail.text


async def test_a_reply_from_slack_is_a_send_to_that_number_shown_in_the_same_thread(world: World) -> None:
    send_id = await store_send(world, "m-1", "8613910825657")
    await get(world.report_url + mo("mo-1", "8613910825657", "When does it arrive?"))
    ts = await message_ts(world, send_id)
    await world.standin.wait_for(
        lambda: bool(world.standin.thread(CHANNEL, ts)), what="the reply in the thread"
    )
    posted = world.standin.thread(CHANNEL, ts)[0]
    button = next(
        b["accessory"] for b in posted.blocks if b.get("accessory", {}).get("action_id") == ActionId.REPLY
    )
    status, _ = await world.slack.click(ActionId.REPLY, button["value"], message_ts=posted.ts, thread_ts=ts)
    assert status == 200
    call = await world.standin.wait_for_call("views.open")
    view = world.standin.views[call.response["view"]["id"]]
    assert view.callback_id == CallbackId.REPLY and "+86 139 1082 5657" in blocks_text(view.blocks)
    empty = await world.slack.submit_view(view, {BlockId.REPLY_TEXT: {ActionId.REPLY_TEXT: {"value": " "}}})
    assert empty["response_action"] == "errors"
    answer = await world.slack.submit_view(
        view, {BlockId.REPLY_TEXT: {ActionId.REPLY_TEXT: {"value": "Tomorrow morning."}}}
    )
    assert answer["response_action"] == "update"
    await world.standin.wait_for(lambda: bool(world.sandbox.messages), what="the answer at the platform")
    (message,) = world.sandbox.messages.values()
    assert list(message.recipients) == ["8613910825657"] and message.text == "Tomorrow morning."

    def answer_in_thread() -> bool:
        return any(
            "Tomorrow morning." in blocks_text(m.blocks) and "Delivered" in blocks_text(m.blocks)
            for m in world.standin.thread(CHANNEL, ts)
        )

    await world.standin.wait_for(answer_in_thread, what="the answer's own message, delivered, in the thread")
