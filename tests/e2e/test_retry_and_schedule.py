"""Retry failed numbers, and scheduled sends (on time, once, cancellable)."""

import asyncio
import time
from datetime import timedelta

from sqlalchemy import update

from bot.dev.slack_standin import ViewRecord
from bot.domain.numbers import parse_number
from bot.domain.states import SendState
from bot.i18n import TEXTS, Language, Texts
from bot.store.db import Database, now
from bot.store.schedule import claim_due
from bot.store.tables import Send
from bot.views.ids import ActionId, CallbackId
from tests.e2e.conftest import CHANNEL, MakeWorld, World, blocks_text
from tests.e2e.test_send_modal import form, open_modal, review

WEI = "U0WEI"
ZH = TEXTS[Language.ZH_HANS]


def button(world: World, action_id: str) -> str | None:
    message = world.standin.last_message(CHANNEL)
    for block in message.blocks if message else []:
        for element in block.get("elements", []) if block["type"] == "actions" else []:
            if element.get("action_id") == action_id:
                return str(element["value"])
    return None


def texts_of_user(user: str) -> Texts:
    """The stand-in's users: Wei reads Chinese, the others English."""
    return TEXTS[Language.ZH_HANS if user == WEI else Language.EN]


def last_response(world: World) -> str:
    return world.standin.responses[-1].text if world.standin.responses else ""


async def confirmation_opened(world: World) -> ViewRecord:
    await world.standin.wait_for(
        lambda: any(v.callback_id == CallbackId.CONFIRM for v in world.standin.views.values()),
        what="the retry's confirmation",
    )
    return next(v for v in world.standin.views.values() if v.callback_id == CallbackId.CONFIRM)


async def test_retry_failed_sends_exactly_the_failed_numbers_once(world: World) -> None:
    await world.send("send 8613910825657,8613910820402 hello")
    first = await world.shows("Retry failed (1)")
    send_id = button(world, ActionId.RETRY_FAILED)
    assert send_id
    await world.slack.click(ActionId.RETRY_FAILED, send_id)
    confirmation = await confirmation_opened(world)
    text = blocks_text(confirmation.blocks)
    assert "Send this SMS to 1 number" in text
    assert "+86 139 1082 0402 — content contains a forbidden keyword (402) :warning:" in text
    assert "5657" not in text.split("Failed numbers")[1].split("Send this")[0]

    await world.slack.click(ActionId.RETRY_FAILED, send_id, user="U0BOB")
    await world.standin.wait_for(lambda: "already preparing a retry" in last_response(world))

    await world.slack.submit_view(confirmation, {})
    await world.standin.wait_for(lambda: len(world.sandbox.messages) == 2, what="the retry's submit")
    retry = list(world.sandbox.messages.values())[-1]
    assert list(retry.recipients) == ["8613910820402"]
    await world.standin.wait_for(
        lambda: any("sent again" in m.text for m in world.standin.thread(CHANNEL, first.ts)),
        what="the link in the first thread",
    )
    await world.quiet()
    sends = await world.sends()
    assert len(sends) == 2 and sends[1].retry_of == sends[0].id and sends[0].retry_send_id == sends[1].id
    original = world.standin.messages[(CHANNEL, first.ts)]
    assert "Retry failed" not in blocks_text(original.blocks)
    assert "retry of" in blocks_text(world.standin.last_message(CHANNEL).blocks)  # type: ignore[union-attr]
    await world.slack.click(ActionId.RETRY_FAILED, send_id, user="U0BOB")
    await world.standin.wait_for(lambda: "already retried" in last_response(world))
    await world.idle()
    assert len(world.sandbox.messages) == 2


async def schedule(world: World, text: str = "later", user: str = "U0ALICE", ahead: int = 3600) -> str:
    """Schedule a send `ahead` seconds from now through the Send modal; returns its id."""
    t = texts_of_user(user)
    view = await open_modal(world, user)
    values = form("8613910825657", text)
    values["schedule"] = {
        ActionId.SCHEDULE: {"type": "datetimepicker", "selected_date_time": int(time.time()) + ahead}
    }
    confirmation = await review(world, view, values, user)
    assert t("send.confirm.scheduled", when="<!date^") in blocks_text(confirmation.blocks)
    await world.slack.submit_view(confirmation, {}, user=user)
    message = await world.shows(t("channel_message.outcome.scheduled", when="<!date^"))
    assert t("channel_message.date", date="{date_long_pretty}", time="{time}") in blocks_text(message.blocks)
    await world.standin.wait_for(
        lambda: bool(button(world, ActionId.CANCEL_SCHEDULED)), what="the Cancel button"
    )
    cancel = button(world, ActionId.CANCEL_SCHEDULED)
    assert cancel
    return cancel


async def time_passes(world: World) -> None:
    async with world.services.db.session.begin() as session:
        await session.execute(
            update(Send)
            .where(Send.state == SendState.SCHEDULED)
            .values(scheduled_at=now() - timedelta(seconds=1))
        )


async def test_a_scheduled_send_goes_out_on_time_once(make_world: MakeWorld) -> None:
    world = await make_world(report_reconcile_every="0.2")
    await schedule(world)
    await world.idle()
    assert not world.sandbox.messages
    await time_passes(world)
    await world.shows("*Delivered* 1")
    await world.idle()
    assert len(world.sandbox.messages) == 1


async def test_several_instances_claim_a_due_send_once(make_world: MakeWorld) -> None:
    world = await make_world()
    await schedule(world)
    instances = [Database(world.services.db.url) for _ in range(4)]
    try:
        async with world.services.db.session.begin() as session:
            await session.execute(update(Send).values(scheduled_at=now() + timedelta(seconds=60)))
        at = now() + timedelta(seconds=120)  # later than now: the app's own scheduler keeps out
        claims = await asyncio.gather(*(claim_due(db, at) for db in instances))
    finally:
        for db in instances:
            await db.close()
    assert sorted(len(c) for c in claims) == [0, 0, 0, 1]


async def test_cancel_before_it_goes(make_world: MakeWorld) -> None:
    world = await make_world(report_reconcile_every="0.2")
    send_id = await schedule(world)
    await world.slack.click(ActionId.CANCEL_SCHEDULED, send_id, user="U0BOB")
    await world.standin.wait_for(lambda: "Only <@U0ALICE>" in last_response(world))
    await world.slack.click(ActionId.CANCEL_SCHEDULED, send_id)
    await world.shows("Cancelled* by <@U0ALICE>")
    await time_passes(world)
    await world.slack.click(ActionId.CANCEL_SCHEDULED, send_id)
    await world.standin.wait_for(lambda: "Too late to cancel" in last_response(world))
    await world.idle()
    assert not world.sandbox.messages


async def test_balance_is_checked_again_at_send_time(make_world: MakeWorld) -> None:
    world = await make_world(report_reconcile_every="0.2")
    await schedule(world)
    world.sandbox.set_balance("Acme01", 0)
    await time_passes(world)
    message = await world.shows("Not sent at the scheduled time")
    assert "below the estimated cost" in blocks_text(message.blocks)
    assert "by the platform" not in blocks_text(message.blocks)  # the app refused it, not the platform
    assert not world.sandbox.messages


async def test_a_scheduled_send_survives_a_restart(make_world: MakeWorld) -> None:
    first = await make_world(report_reconcile_every="0.2")
    await schedule(first)
    first.services.stopping.set()  # this process stops working (its loops end)
    await first.idle()
    second = await make_world(report_reconcile_every="0.2")  # the next process, same database
    await time_passes(second)
    await second.standin.wait_for(
        lambda: len(second.sandbox.messages) == 1, what="the send after the restart"
    )
    await second.idle()
    assert not first.sandbox.messages
    for _ in range(100):  # the scheduler stores the outcome a moment after the platform has it
        [send] = await second.sends()
        if send.state != SendState.SENDING:
            break
        await asyncio.sleep(0.05)
    assert send.state == SendState.ACCEPTED


async def test_a_chinese_user_retries_in_chinese(world: World) -> None:
    """Wei (zh-CN) retries his failed number: the confirmation, the answers to his clicks and the
    retry's message are in Chinese; Alice, pressing the same button, is answered in English."""
    await world.send("send 8613910825657,8613910820402 你好", user=WEI)
    first = await world.shows(ZH("channel_message.buttons.retry", n=1))
    send_id = button(world, ActionId.RETRY_FAILED)
    assert send_id
    await world.slack.click(ActionId.RETRY_FAILED, send_id, user=WEI)
    confirmation = await confirmation_opened(world)
    text = blocks_text(confirmation.blocks)
    number = parse_number("8613910820402").display
    line = ZH("failures.line_with_code", number=number, reason=ZH("codes.report.402"), code="402")
    assert ZH("retry.heading") in text and f"{line} :warning:" in text and ZH("retry.content_codes") in text
    assert "Failed numbers" not in text and "forbidden keyword" not in text and "5657" not in text

    await world.slack.click(ActionId.RETRY_FAILED, send_id)
    await world.standin.wait_for(
        lambda: last_response(world) == "<@U0WEI> is already preparing a retry of this send."
    )
    await world.slack.click(ActionId.RETRY_FAILED, "424242", user=WEI)
    await world.standin.wait_for(lambda: last_response(world) == ZH("channel_message.unknown_send"))

    await world.slack.submit_view(confirmation, {}, user=WEI)
    await world.standin.wait_for(lambda: len(world.sandbox.messages) == 2, what="the retry's submit")
    await world.quiet()
    sends = await world.sends()
    assert sends[1].ui_language == Language.ZH_HANS.value and sends[1].origin_link
    retry = world.standin.last_message(CHANNEL)
    assert retry is not None and retry.ts != first.ts
    shown = blocks_text(retry.blocks)
    assert ZH("channel_message.context.retry_of_link", link=sends[1].origin_link) in shown and "retry of" not in shown
    await world.slack.click(ActionId.RETRY_FAILED, send_id, user=WEI)
    await world.standin.wait_for(lambda: last_response(world) == ZH("retry.already_retried"))


async def test_a_retry_is_in_the_language_of_whoever_retries(world: World) -> None:
    """Alice retries Wei's send: her confirmation and the retry's message are English, while
    Wei's first message stays Chinese."""
    await world.send("send 8613910825657,8613910820402 你好", user=WEI)
    first = await world.shows(ZH("channel_message.buttons.retry", n=1))
    send_id = button(world, ActionId.RETRY_FAILED)
    assert send_id
    await world.slack.click(ActionId.RETRY_FAILED, send_id)
    confirmation = await confirmation_opened(world)
    assert "content contains a forbidden keyword (402) :warning:" in blocks_text(confirmation.blocks)
    await world.slack.submit_view(confirmation, {})
    await world.standin.wait_for(lambda: len(world.sandbox.messages) == 2, what="the retry's submit")
    await world.quiet()
    assert [s.ui_language for s in await world.sends()] == [Language.ZH_HANS.value, Language.EN.value]
    retry = world.standin.last_message(CHANNEL)
    assert retry is not None and "retry of <" in blocks_text(retry.blocks)
    original = blocks_text(world.standin.messages[(CHANNEL, first.ts)].blocks)
    assert ZH("channel_message.counts.failed", n=1) in original and "Failed" not in original


async def test_a_chinese_users_scheduled_send_and_its_cancel(make_world: MakeWorld) -> None:
    """Wei's scheduled send says when in Chinese with a Chinese Cancel button; pressing Cancel on
    someone else's scheduled send answers him in Chinese, and that send's message stays English."""
    world = await make_world(report_reconcile_every="0.2")
    alices = await schedule(world, "Alice's")
    await world.slack.click(ActionId.CANCEL_SCHEDULED, alices, user=WEI)
    await world.standin.wait_for(lambda: last_response(world) == ZH("scheduled.not_yours", user="U0ALICE"))
    await world.slack.click(ActionId.CANCEL_SCHEDULED, alices)
    await world.shows("Cancelled* by <@U0ALICE>")

    weis = await schedule(world, "王伟的", user=WEI)
    message = world.standin.last_message(CHANNEL)
    assert message is not None
    actions = next(b for b in message.blocks if b["type"] == "actions")
    assert actions["elements"][0]["text"]["text"] == ZH("channel_message.buttons.cancel")
    assert "Scheduled" not in blocks_text(message.blocks) and " at " not in blocks_text(message.blocks)
    await world.slack.click(ActionId.CANCEL_SCHEDULED, weis, user=WEI)
    await world.shows(ZH("channel_message.outcome.cancelled_by", user=WEI))
    await world.slack.click(ActionId.CANCEL_SCHEDULED, weis, user=WEI)
    await world.standin.wait_for(lambda: last_response(world) == ZH("scheduled.too_late"))
    await world.idle()
    assert not world.sandbox.messages


async def test_closing_a_retry_confirmation_lets_anyone_retry_and_its_owner_may_reopen(world: World) -> None:
    """Alice reopens her own confirmation at once; she closes it, and Wei may start one (in
    Chinese); he closes his without a word, and nothing was sent."""
    await world.send("send 8613910825657,8613910820402 hello")
    await world.shows("Retry failed (1)")
    send_id = button(world, ActionId.RETRY_FAILED)
    assert send_id
    await world.slack.click(ActionId.RETRY_FAILED, send_id)
    first = await confirmation_opened(world)
    await world.slack.click(ActionId.RETRY_FAILED, send_id)  # her own: opens again, no refusal
    await world.standin.wait_for(
        lambda: sum(v.callback_id == CallbackId.CONFIRM for v in world.standin.views.values()) == 2,
        what="her second confirmation",
    )
    assert "already preparing" not in last_response(world)
    assert await world.slack.close_view(first)
    await world.idle()
    await world.slack.click(ActionId.RETRY_FAILED, send_id, user=WEI)
    await world.standin.wait_for(
        lambda: any(
            v.callback_id == CallbackId.CONFIRM and ZH("retry.heading") in blocks_text(v.blocks)
            for v in world.standin.views.values()
        ),
        what="Wei's confirmation",
    )
    assert not any("already preparing" in r.text or "<@U0ALICE>" in r.text for r in world.standin.responses)
    assert not any(ZH("retry.being_prepared", user="U0ALICE") == r.text for r in world.standin.responses)
    await world.idle()
    assert len(world.sandbox.messages) == 1
