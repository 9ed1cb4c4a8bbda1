"""Workflow Builder steps, run as a workflow runs them: the stand-in starts an execution and
posts its signed `function_executed` event (with the run's `xwfp-…` token), and the app ends it
with `functions.completeSuccess` or `functions.completeError`, which the stand-in checks against
manifest.yml."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from sqlalchemy import select

from bot.dev.slack_requests import SlackRequests
from bot.dev.slack_standin.records import Execution
from bot.i18n import TEXTS, Language
from bot.services import SERVICES
from bot.store.audit import entries_since
from bot.store.db import now
from bot.store.tables import StepRun
from bot.views.ids import ActionId
from bot.web import create_web_app
from tests.conftest import Serve
from tests.e2e.conftest import CHANNEL, CPID, SIGNING_SECRET, MakeWorld, World, blocks_text

ADMIN = "U0BOB"
ZH = TEXTS[Language.ZH_HANS]


async def run(world: World, callback_id: str, **inputs: Any) -> Execution:
    """Run the step with `inputs`, expect Slack's event to be answered 200 at once, and wait for
    the app to end the run (or, with an approval pending, for the app to be idle)."""
    status, body, execution = await world.slack.run_step(callback_id, inputs)
    assert status == 200, body
    await world.idle()
    return execution


async def sent(world: World, **inputs: Any) -> Execution:
    return await run(world, "send_sms", **inputs)


async def sent_to(world: World, recipients: str, message: str = "Hello") -> Execution:
    """A Send an SMS step reporting into #general, once it has ended."""
    return await ended(world, await sent(world, recipients=recipients, message=message, report_channel=CHANNEL))


async def ended(world: World, execution: Execution) -> Execution:
    await world.standin.wait_for(lambda: not execution.running, what=f"the end of {execution.id}")
    return execution


def outputs(execution: Execution) -> dict[str, Any]:
    assert execution.state == "completed", execution.error
    assert execution.outputs is not None
    return execution.outputs


def failed(execution: Execution) -> str:
    assert execution.state == "failed", execution.outputs
    assert execution.error is not None
    return execution.error


async def test_a_send_sms_step_sends_once_and_completes_with_the_msgid_the_platform_gave(world: World) -> None:
    execution = await sent_to(world, "+8613910825657, +447400123456\n+8613910825658", "Your parcel has arrived")
    done = outputs(execution)
    [message] = world.sandbox.messages.values()
    assert done == {"msgid": message.msgid, "numbers_sent": 3, "numbers_refused": "none"}
    assert message.text == "Your parcel has arrived" and len(message.recipients) == 3
    shown = blocks_text((await world.shows("*Delivered* 3")).blocks)
    assert "SMS to 3 numbers" in shown and "sent by a workflow step" in shown and message.msgid in shown
    [send] = await world.sends()
    assert (send.team_id, send.user_id, send.channel_id) == (world.standin.team_id, "workflow", CHANNEL)
    [entry] = await entries_since(world.services.db, world.standin.team_id, now().replace(year=2000))
    assert (entry.user_id, entry.action, entry.recipients) == ("workflow", "send", 3)
    assert entry.detail == f"workflow step run {execution.id}"
    [completion] = world.standin.calls_to("functions.completeSuccess")
    assert completion.ok and completion.args["function_execution_id"] == execution.id
    assert not world.standin.calls_to("functions.completeError")


async def test_numbers_that_cannot_be_sent_to_are_listed_with_why(make_world: MakeWorld) -> None:
    world = await make_world(sms_admins=ADMIN)
    await world.command("optout add +8613910825659", user=ADMIN)
    done = outputs(await sent_to(world, "+8613910825657, 12, abc +8613910825659"))
    assert done["numbers_sent"] == 1
    assert done["numbers_refused"].splitlines() == [
        "12 — too short",
        "abc — not a phone number (only digits, spaces, + - . ( ) allowed)",
        "+86 139 1082 5659 — opted out (it wrote STOP or an admin added it)",
    ]
    [message] = world.sandbox.messages.values()
    assert list(message.recipients) == ["8613910825657"] and done["msgid"] == message.msgid


async def test_a_step_whose_numbers_are_all_bad_fails_and_sends_nothing(world: World) -> None:
    error = failed(await sent_to(world, "12, abc"))
    assert error.startswith("None of the recipients is a number I can send to. Nothing was sent.")
    assert "12 — too short" in error
    assert not world.sandbox.messages and not world.standin.calls_to("chat.postMessage")


async def test_an_empty_message_fails_the_step_with_a_clear_message(world: World) -> None:
    assert failed(await sent_to(world, "+8613910825657", "   ")) == (
        "The message is empty: write the text to send in the step's Message field. Nothing was sent."
    )
    assert not world.sandbox.messages and not await world.sends()
    assert not world.standin.calls_to("functions.completeSuccess")


async def test_an_exhausted_daily_cap_fails_the_step(make_world: MakeWorld) -> None:
    world = await make_world(sms_daily_recipients=2, sms_user_daily_recipients=5)
    first = await sent(world, recipients="+8613910825657 +8613910825658", message="Hi")
    assert outputs(await ended(world, first))["numbers_sent"] == 2
    assert failed(await sent_to(world, "+8613910825659")) == (
        "This send has 1 numbers; the workspace has 0 left today. Nothing was sent."
    )
    assert len(world.sandbox.messages) == 1 and len(await world.sends()) == 1


async def test_every_workflow_step_together_is_one_sender_against_the_per_user_cap(
    make_world: MakeWorld,
) -> None:
    world = await make_world(sms_user_daily_recipients=1)
    execution = await sent(world, recipients="+8613910825657 +8613910825658", message="Hi")
    assert failed(await ended(world, execution)) == (
        "This send has 2 numbers; workflow steps have 1 left today. Nothing was sent."
    )
    await world.send("send +8613910825657 Hi")  # a person's own cap is theirs
    await world.shows("Accepted")


async def test_a_platform_error_fails_the_step_with_the_codes_meaning(world: World) -> None:
    world.sandbox.set_balance(CPID, 0)
    assert failed(await sent_to(world, "+8613910825657")) == (
        "The platform refused the send: 0107 — insufficient balance or credit. Nothing was sent."
    )
    assert "Rejected" in await world.channel_text()


async def test_a_step_without_a_report_channel_posts_nothing(world: World) -> None:
    execution = await sent(world, recipients="+8613910825657", message="Hello")
    assert outputs(await ended(world, execution))["numbers_sent"] == 1
    await world.quiet()
    assert not world.standin.calls_to("chat.postMessage") and not world.standin.calls_to("chat.update")
    [send] = await world.sends()
    assert send.channel_id == "" and send.message_ts is None


async def test_the_same_event_delivered_again_sends_once_even_to_another_process(
    world: World, serve: Serve
) -> None:
    """Slack delivers an event again when the answer was late; it may land on any process."""
    other_app = create_web_app(world.settings)
    other = SlackRequests(await serve(other_app), SIGNING_SECRET, world.standin)
    try:
        execution = world.standin.start_execution(
            "send_sms", {"recipients": "+8613910825657", "message": "Hello", "report_channel": CHANNEL}
        )
        answers = await asyncio.gather(
            world.slack.deliver_step(execution),
            other.deliver_step(execution, retry=1),
            world.slack.deliver_step(execution, retry=2),
        )
        assert [status for status, _ in answers] == [200, 200, 200]
        await ended(world, execution)
        await world.idle()
        await other_app[SERVICES].background.drain(5)
    finally:
        await other.close()
    assert outputs(execution)["numbers_sent"] == 1
    assert len(world.sandbox.messages) == 1 and len(await world.sends()) == 1
    assert len(world.standin.calls_to("functions.completeSuccess")) == 1
    assert len(world.standin.calls_to("chat.postMessage")) == 1


async def test_delivery_status_counts_the_reports_that_arrived(make_world: MakeWorld) -> None:
    world = await make_world()
    world.sandbox.config.report_delay = 3600  # the reports come from the test, to the report route
    msgid = outputs(await sent_to(world, "+8613910825657 +8613910825658 +8613910820402"))["msgid"]
    status = await ended(world, await run(world, "delivery_status", msgid=msgid))
    assert outputs(status) == {"delivered": 0, "failed": 0, "pending": 3}
    async with aiohttp.ClientSession() as session:
        for number, value, code in [
            ("8613910825657", "0", "DELIVRD"),
            ("8613910825658", "0", "DELIVRD"),
            ("8613910820402", "400", "402"),
        ]:
            query = {"command": "RT_REQUEST", "msgid": msgid, "da": number, "rsm": f"{msgid}|{value}|{code}||"}
            async with session.get(world.report_url, params=query) as response:
                assert response.status == 200
    status = await ended(world, await run(world, "delivery_status", msgid=msgid))
    assert outputs(status) == {"delivered": 2, "failed": 1, "pending": 0}
    unknown = await ended(world, await run(world, "delivery_status", msgid="123456789"))
    assert failed(unknown) == (
        "I know of no send with the msgid 123456789: give the msgid that the Send an SMS step gave."
    )


async def approval_world(make_world: MakeWorld, **settings: Any) -> World:
    return await make_world(
        sms_approval_above_recipients=1, sms_approvals_channel="C0OPS", sms_admins=ADMIN, **settings
    )


async def asked(world: World) -> tuple[Execution, str]:
    """A step whose send needs an admin: it waits, with the request in the approvals channel."""
    execution = await sent(
        world, recipients="+8613910825657 +8613910825658", message="Hello", report_channel=CHANNEL
    )
    request = await world.shows("a workflow step wants to send an SMS to 2 numbers", channel="C0OPS")
    assert execution.running and not world.sandbox.messages
    approve = next(b for b in request.blocks if b["type"] == "actions")["elements"][0]
    return execution, str(approve["value"])


async def test_a_step_whose_send_needs_approval_ends_when_an_admin_approves(make_world: MakeWorld) -> None:
    world = await approval_world(make_world)
    execution, approval_id = await asked(world)
    await world.slack.click(ActionId.APPROVE, approval_id, user=ADMIN, channel="C0OPS")
    done = outputs(await ended(world, execution))
    [message] = world.sandbox.messages.values()
    assert done["msgid"] == message.msgid and done["numbers_sent"] == 2
    await world.shows("Approved by <@U0BOB>", channel="C0OPS")
    async with world.services.db.session() as session:
        [run_row] = list(await session.scalars(select(StepRun)))
    assert run_row.outcome == "completed" and run_row.token is None  # the workflow token is gone


async def test_a_step_whose_send_an_admin_rejects_fails(make_world: MakeWorld) -> None:
    world = await approval_world(make_world)
    execution, approval_id = await asked(world)
    await world.slack.click(ActionId.REJECT, approval_id, user=ADMIN, channel="C0OPS")
    error = failed(await ended(world, execution))
    assert error == "@bob rejected this send in the approvals channel. Nothing was sent."
    assert not world.sandbox.messages


async def test_a_step_whose_send_nobody_approves_in_time_fails(make_world: MakeWorld) -> None:
    world = await approval_world(make_world, sms_approval_expires_after="0.5", report_reconcile_every="0.2")
    execution, _ = await asked(world)
    assert failed(await ended(world, execution)) == "Nobody approved this send in time. Nothing was sent."
    assert not world.sandbox.messages
    assert not world.standin.calls_to("chat.postMessage")[1:]  # no direct message to anyone


async def test_allow_lists_name_workflow_steps_as_workflow(make_world: MakeWorld) -> None:
    world = await make_world(sms_allowed_users="U0ALICE", sms_admins=ADMIN)
    assert failed(await sent_to(world, "+8613910825657")) == (
        "Workflow steps may not send SMS here: SMS_ALLOWED_USERS or SMS_ALLOWED_GROUPS limit who may."
        " Ask @bob to add workflow to SMS_ALLOWED_USERS. Nothing was sent."
    )
    world = await make_world(sms_allowed_users="U0ALICE workflow", sms_allowed_channels="C0OPS")
    unreported = await ended(world, await sent(world, recipients="+8613910825657", message="Hi"))
    assert failed(unreported) == (
        "Sends may only report into #C0OPS: choose one of them as the step's report channel. Nothing was sent."
    )
    assert failed(await sent_to(world, "+8613910825657")) == (
        "Sending is not allowed from #C0GENERAL. Send from #C0OPS. Nothing was sent."
    )
    assert not world.sandbox.messages
    reported = await sent(world, recipients="+8613910825657", message="Hi", report_channel="C0OPS")
    assert outputs(await ended(world, reported))["numbers_sent"] == 1


async def test_a_step_speaks_the_apps_default_language(make_world: MakeWorld) -> None:
    world = await make_world(santo_default_language="zh-Hans")
    execution = await sent(world, recipients="+8613910825657", message="")
    assert failed(await ended(world, execution)) == ZH("steps.error.empty_message")
    refused = outputs(await sent_to(world, "+8613910825657, 12", "您好"))["numbers_refused"]
    assert refused == "12 — " + ZH("numbers.reason.too_short")
    assert "工作流步骤" in await world.channel_text()
