"""Daily caps hold whichever way a send comes: a command, an admin's approval, a scheduled send
that is due. Every one is checked, and stored, in turn through the same door."""

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from bot.dev.slack_standin import Message
from bot.domain.states import SendState
from bot.i18n import TEXTS, Language, Msg
from bot.sending.scheduler import Scheduler
from bot.store.audit import entries_since
from bot.store.db import now
from bot.store.schedule import claim_due
from bot.store.tables import Send
from bot.views.ids import ActionId
from tests.e2e.conftest import CHANNEL, MakeWorld, World, blocks_text
from tests.e2e.test_guardrails import ADMIN, approval_world
from tests.e2e.test_retry_and_schedule import schedule
from tests.e2e.test_send_modal import WEI, ZH

EN = TEXTS[Language.EN]
TOMORROW = 24 * 3600 + 600
"""Seconds ahead to schedule a send on the next UTC day: today's caps do not count it."""


async def put_to_admins(world: World, text: str, user: str = "U0ALICE") -> str:
    """`/sms send` of two numbers, put to the admins; returns the approval request's id."""
    await world.command(f"send 8613910825657,8613910825658 {text}", user=user)

    def asking() -> list[Message]:
        return [m for m in world.standin.messages.values() if m.channel == "C0OPS" and text in blocks_text(m.blocks)]

    await world.standin.wait_for(lambda: bool(asking()), what=f"the approval request for {text!r}")
    [request] = asking()
    actions = next(b for b in request.blocks if b["type"] == "actions")
    return str(actions["elements"][0]["value"])


def sent_numbers(world: World) -> list[str]:
    """Every number the platform was given."""
    return [n for message in world.sandbox.messages.values() for n in message.recipients]


async def test_approvals_and_a_direct_send_started_at_once_never_pass_a_daily_cap_together(
    make_world: MakeWorld,
) -> None:
    """Three approved requests and an admin's own send, each of two numbers, against a workspace
    cap of two: one of the four goes; each approval refused is said to its approver."""
    world = await approval_world(make_world, sms_daily_recipients=2)
    approvals = [await put_to_admins(world, f"news {i}") for i in range(3)]
    assert not world.sandbox.messages
    clicks = [world.slack.click(ActionId.APPROVE, a, user=ADMIN, channel="C0OPS") for a in approvals]
    await asyncio.gather(*clicks, world.send("send 8613910825659,8613910825660 own", user=ADMIN))
    to_approver = EN("approvals.refused_at_send", user="U0ALICE", reason="").split(":")[0]
    to_admin = EN("dispatch.refused", reason=Msg.of("guard.daily.workspace.numbers", n=2, left=0))

    def refusals() -> list[str]:
        return [r.text for r in world.standin.responses if r.text.startswith(to_approver) or r.text == to_admin]

    await world.standin.wait_for(lambda: len(refusals()) >= 2, what="the refusals")
    await world.idle()
    assert len(sent_numbers(world)) == 2  # one send of two numbers: a second would pass the cap of 2
    assert len(refusals()) == 3, [r.text for r in world.standin.responses]
    assert len(await world.sends()) == 1


async def test_an_approval_that_would_now_pass_a_cap_is_refused_and_everyone_is_told(
    make_world: MakeWorld,
) -> None:
    """Wei (zh-CN) asks; while he waits, an admin's own send spends the cap. The approval is
    checked again and refused: Wei is told in Chinese, the approving admin in English, and the
    audit trail says why (in English)."""
    world = await approval_world(make_world, sms_daily_recipients=3)
    approval_id = await put_to_admins(world, "大新闻", user=WEI)
    await world.send("send 8613910825659,8613910825660 own", user=ADMIN)
    await world.standin.wait_for(lambda: len(world.sandbox.messages) == 1, what="the admin's own send")
    await world.idle()

    await world.slack.click(ActionId.APPROVE, approval_id, user=ADMIN, channel="C0OPS")
    reason = Msg.of("guard.daily.workspace.numbers", n=2, left=1)
    to_admin = EN("approvals.refused_at_send", user=WEI, reason=reason)
    await world.standin.wait_for(lambda: any(r.text == to_admin for r in world.standin.responses))
    to_wei = ZH("dispatch.refused_after_approval.told", admin=ADMIN, reason=reason)
    await world.standin.wait_for(lambda: any(m.text == to_wei for m in world.standin.messages.values()))
    await world.idle()
    assert len(sent_numbers(world)) == 2 and len(await world.sends()) == 1
    entries = await entries_since(world.services.db, world.standin.team_id, datetime(2000, 1, 1, tzinfo=UTC))
    assert [e.action for e in entries] == ["approval_requested", "send", "approved", "refused"]
    assert entries[-1].user_id == WEI and entries[-1].recipients == 2
    assert entries[-1].detail == f"approved by {ADMIN}, then refused when sent: {reason}"
    assert entries[-1].detail.endswith("This send has 2 numbers; the workspace has 1 left today.")


async def scheduled_the_day_before(make_world: MakeWorld, **settings: object) -> tuple[World, World]:
    """Two sends of one number each, scheduled for the same moment of the next day, before the
    caps were set; then the night passes (stored "yesterday") and the app runs again with
    `settings`: the second world, whose Slack is the first's (the sends' messages are there)."""
    before = await make_world()
    for i in range(2):
        await schedule(before, f"tomorrow {i}", ahead=TOMORROW)
    for _ in range(100):
        sends = await before.sends()
        if len(sends) == 2 and all(s.state == SendState.SCHEDULED for s in sends):
            break
        await asyncio.sleep(0.05)
    assert [s.state for s in sends] == [SendState.SCHEDULED] * 2
    before.services.stopping.set()  # this process stops working (its loops end)
    await before.idle()
    world = await make_world(slack_api_url=before.standin.api_url(), report_reconcile_every="0.2", **settings)
    async with world.services.db.session.begin() as session:
        await session.execute(update(Send).values(created_at=now() - timedelta(days=1)))
    return world, before


def shown(world: World) -> list[str]:
    """The text of each send's message in the channel."""
    return [blocks_text(m.blocks) for m in world.standin.messages.values() if m.channel == CHANNEL]


async def test_two_scheduled_sends_due_at_once_against_a_cap_one_goes_the_other_fails_visibly(
    make_world: MakeWorld,
) -> None:
    """A workspace cap of one number, set since two one-number sends were scheduled the day
    before for the same moment. When they are due, one goes and the other's message says why it
    was not sent; a later send that day is refused too: the one that went counts on its day."""
    world, slack = await scheduled_the_day_before(make_world, sms_daily_recipients=1)
    async with world.services.db.session.begin() as session:
        await session.execute(update(Send).values(scheduled_at=now() - timedelta(seconds=1)))
    reason = Msg.of("guard.daily.workspace.numbers", n=1, left=0)
    not_sent = EN("send.detail.not_on_time", reason=reason)
    await slack.standin.wait_for(
        lambda: sum(not_sent in text for text in shown(slack)) == 1
        and sum("*Delivered* 1" in text for text in shown(slack)) == 1,
        timeout=10,
        what="one send delivered, the other refused in its message",
    )
    await world.idle()
    assert len(sent_numbers(world)) == 1
    answer = await world.command("send 8613910825659 later today")
    assert answer.text == EN("dispatch.refused", reason=reason)
    await world.idle()
    assert len(sent_numbers(world)) == 1


async def test_scheduled_sends_fired_at_once_by_two_instances_pass_a_cap_one_at_a_time(
    make_world: MakeWorld, database_url: str
) -> None:
    """The same two sends, due at once and each taken by its own instance at the same moment
    (on PostgreSQL a second process: only the database's lock is shared; SQLite has one process):
    one goes, the other is refused visibly, never both of either."""
    world, slack = await scheduled_the_day_before(make_world, sms_daily_recipients=1)
    async with world.services.db.session.begin() as session:  # due soon; the app's own loop keeps out
        await session.execute(update(Send).values(scheduled_at=now() + timedelta(seconds=60)))
    claimed: list[int] = []
    for _ in range(100):  # a row another loop of the app holds a moment (its notifier) is skipped
        claimed += await claim_due(world.services.db, now() + timedelta(seconds=120))
        if len(claimed) == 2:
            break
        await asyncio.sleep(0.05)
    first, second = sorted(claimed)
    other = world.services if database_url.startswith("sqlite") else replace(world.services, cap_locks={})
    await asyncio.gather(Scheduler(world.services, 1.0).send(first), Scheduler(other, 1.0).send(second))
    await world.idle()
    states = sorted(send.state for send in await world.sends())
    assert states == [SendState.ACCEPTED, SendState.REJECTED], states
    assert len(sent_numbers(world)) == 1
    not_sent = EN("send.detail.not_on_time", reason=Msg.of("guard.daily.workspace.numbers", n=1, left=0))
    await slack.standin.wait_for(
        lambda: sum(not_sent in text for text in shown(slack)) == 1, what="the refusal in its message"
    )
