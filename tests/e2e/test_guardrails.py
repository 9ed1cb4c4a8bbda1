"""Who may send, how much, approvals, and the audit trail — through the real app."""

import asyncio
import csv
import io
from datetime import UTC, datetime
from decimal import Decimal

from bot.dev.slack_standin import Message
from bot.domain.money import money
from bot.i18n import Msg
from bot.sending.guard import whom_to_ask
from bot.store.audit import entries_since
from bot.views.ids import ActionId
from tests.e2e.conftest import CHANNEL, MakeWorld, World, blocks_text
from tests.e2e.test_retry_and_schedule import schedule, time_passes
from tests.e2e.test_send_modal import WEI, ZH

ADMIN = "U0BOB"
SECOND_ADMIN = "U0CAROL"


async def refused(world: World, text: str, **kwargs: str) -> str:
    answer = await world.command(text, **kwargs)
    await world.idle()
    return answer.text


async def test_only_allowed_users_may_use_the_app(make_world: MakeWorld) -> None:
    world = await make_world(sms_allowed_users="U0BOB", sms_admins="U0DAVE")
    text = await refused(world, "balance")
    assert "You are not allowed to use this app" in text and "<@U0DAVE>" in text
    assert "¥100.00" in (await world.command("balance", user="U0BOB")).text
    assert "not allowed" in await refused(world, "send 8613910825657 hi")
    assert not world.sandbox.messages


async def test_user_groups_grant_access(make_world: MakeWorld) -> None:
    world = await make_world(sms_allowed_groups="S0SMS")
    world.standin.usergroups["S0SMS"] = ["U0ALICE"]
    assert "¥100.00" in (await world.command("balance")).text
    assert "not allowed" in (await world.command("balance", user="U0BOB")).text


async def test_sending_only_from_allowed_channels(make_world: MakeWorld) -> None:
    world = await make_world(sms_allowed_channels="C0OPS")
    text = await refused(world, "send 8613910825657 hi")
    assert (
        "Sending is not allowed from <#C0GENERAL>. Send from <#C0OPS>." in text and "Nothing was sent" in text
    )
    assert "¥100.00" in (await world.command("balance")).text  # lookups are not channel-bound
    await world.send("send 8613910825657 hi", channel="C0OPS")
    await world.shows("Accepted", channel="C0OPS")
    assert len(world.sandbox.messages) == 1


async def test_per_send_maximum(make_world: MakeWorld) -> None:
    world = await make_world(sms_max_recipients=2)
    text = await refused(world, "send 8613910825657,8613910825658,8613910825659 hi")
    assert "This send has 3 numbers; one send may have at most 2." in text
    assert not world.sandbox.messages


async def test_daily_cost_cap_says_what_is_left(make_world: MakeWorld) -> None:
    world = await make_world(sms_user_daily_cost=0.20)
    await world.send("send 8613910825657,8613910825658 first")
    await world.shows("Accepted")
    await world.idle()
    text = await refused(world, "send 8613910825659 second")
    assert "This send ≈ ¥0.08; you have ¥0.04 left today." in text
    assert len(world.sandbox.messages) == 1
    await world.send("send 8613910825659 bob's", user="U0BOB")  # caps are per user
    await world.standin.wait_for(lambda: len(world.sandbox.messages) == 2)


async def test_workspace_daily_recipients_cap(make_world: MakeWorld) -> None:
    world = await make_world(sms_daily_recipients=2)
    await world.send("send 8613910825657,8613910825658 first", user="U0BOB")
    await world.shows("Accepted")
    await world.idle()
    text = await refused(world, "send 8613910825659 second")
    assert "This send has 1 numbers; the workspace has 0 left today." in text


async def approval_world(make_world: MakeWorld, **settings: object) -> World:
    return await make_world(
        sms_admins=f"{ADMIN},{SECOND_ADMIN}",
        sms_approval_above_recipients=1,
        sms_approvals_channel="C0OPS",
        sms_confirm_above_recipients=100,
        **settings,
    )


async def ask_for_approval(world: World) -> tuple[str, Message]:
    answer = await world.command("send 8613910825657,8613910825658 big news")
    assert "needs an admin's approval: I asked in <#C0OPS>" in answer.text
    await world.standin.wait_for(lambda: world.standin.last_message("C0OPS") is not None)
    request = world.standin.last_message("C0OPS")
    assert request is not None
    text = blocks_text(request.blocks)
    assert "Approval needed:* <@U0ALICE> wants to send an SMS to 2 numbers" in text and "big news" in text
    actions = next(b for b in request.blocks if b["type"] == "actions")
    return actions["elements"][0]["value"], request


async def test_approval_by_an_admin_sends_exactly_once(make_world: MakeWorld) -> None:
    world = await approval_world(make_world)
    approval_id, request = await ask_for_approval(world)
    assert not world.sandbox.messages

    await world.slack.click(ActionId.APPROVE, approval_id, channel="C0OPS")  # alice is no admin
    await world.standin.wait_for(lambda: "Only admins can approve" in world.standin.responses[-1].text)
    assert not world.sandbox.messages

    await world.slack.click(ActionId.APPROVE, approval_id, user=ADMIN, channel="C0OPS")
    await world.shows("Accepted")
    await world.standin.wait_for(lambda: "Approved by <@U0BOB>" in blocks_text(request.blocks))
    await world.slack.click(ActionId.APPROVE, approval_id, user=SECOND_ADMIN, channel="C0OPS")
    await world.standin.wait_for(lambda: "already approved by <@U0BOB>" in world.standin.responses[-1].text)
    await world.idle()
    assert len(world.sandbox.messages) == 1
    dm = [m for m in world.standin.messages.values() if "approved your send" in m.text]
    assert len(dm) == 1


async def test_two_admins_approving_at_once_send_once(make_world: MakeWorld) -> None:
    world = await approval_world(make_world)
    approval_id, _ = await ask_for_approval(world)
    await asyncio.gather(
        world.slack.click(ActionId.APPROVE, approval_id, user=ADMIN, channel="C0OPS"),
        world.slack.click(ActionId.APPROVE, approval_id, user=SECOND_ADMIN, channel="C0OPS"),
    )
    await world.shows("Accepted")
    await world.idle()
    assert len(world.sandbox.messages) == 1
    assert len(await world.sends()) == 1


async def test_rejected_and_expired_requests_never_send(make_world: MakeWorld) -> None:
    world = await approval_world(make_world)
    approval_id, request = await ask_for_approval(world)
    await world.slack.click(ActionId.REJECT, approval_id, user=ADMIN, channel="C0OPS")
    await world.standin.wait_for(lambda: "Rejected by <@U0BOB>" in blocks_text(request.blocks))
    await world.slack.click(ActionId.APPROVE, approval_id, user=SECOND_ADMIN, channel="C0OPS")
    await world.standin.wait_for(lambda: "already rejected" in world.standin.responses[-1].text)

    quick = await approval_world(make_world, sms_approval_expires_after="0.3", report_reconcile_every="0.2")
    approval_id, request = await ask_for_approval(quick)
    await quick.standin.wait_for(lambda: "Expired without a decision" in blocks_text(request.blocks))
    await quick.slack.click(ActionId.APPROVE, approval_id, user=ADMIN, channel="C0OPS")
    await quick.standin.wait_for(lambda: "already expired" in quick.standin.responses[-1].text)
    await world.idle()
    await quick.idle()
    assert not world.sandbox.messages and not quick.sandbox.messages
    assert any("expired without a decision" in m.text for m in quick.standin.messages.values())


async def test_admins_get_the_audit_trail_as_csv(make_world: MakeWorld) -> None:
    world = await make_world(sms_admins=ADMIN, sms_max_recipients=1)
    await world.send("send 8613910825657 hello")
    await world.shows("Accepted")
    await world.idle()
    await refused(world, "send 8613910825657,8613910825658 too many")
    assert "Only admins can read the audit trail" in (await world.command("audit")).text
    answer = await world.command("audit 30", user=ADMIN)
    assert "Audit, last 30 days" in answer.text and "1 sends by 1 people to 1 numbers" in answer.text
    assert "Refused: 1" in answer.text
    [upload] = world.standin.uploads
    rows = list(csv.DictReader(io.StringIO(upload.text)))
    assert [r["action"] for r in rows] == ["send", "refused"]
    assert rows[0]["user"] == "U0ALICE" and rows[0]["recipients"] == "1" and rows[0]["channel"] == CHANNEL
    assert "at most 1" in rows[1]["detail"]
    assert "Give a number of days" in (await world.command("audit lots", user=ADMIN)).text


async def test_a_chinese_user_is_refused_in_chinese_and_the_audit_trail_stays_english(
    make_world: MakeWorld,
) -> None:
    world = await make_world(sms_max_recipients=2, sms_user_daily_cost=0.05)
    text = await refused(world, "send 8613910825657,8613910825658,8613910825659 你好", user=WEI)
    assert text == ZH("dispatch.refused", reason=Msg.of("guard.max_recipients", n=3, most=2))
    text = await refused(world, "send 8613910825657 你好", user=WEI)
    assert text == ZH("dispatch.refused", reason=Msg.of("guard.daily.you.cost", cost="¥0.08", left="¥0.05"))
    entries = await entries_since(world.services.db, world.standin.team_id, datetime(2000, 1, 1, tzinfo=UTC))
    assert [e.detail for e in entries] == [
        "This send has 3 numbers; one send may have at most 2.",
        "This send ≈ ¥0.08; you have ¥0.05 left today.",
    ]
    assert not world.sandbox.messages

    closed = await make_world(sms_allowed_users="U0BOB")
    assert await refused(closed, "balance", user=WEI) == ZH("guard.not_allowed", whom=ZH("guard.nobody"))


async def test_a_chinese_senders_approval_request_and_its_expiry_are_in_chinese(
    make_world: MakeWorld,
) -> None:
    world = await approval_world(make_world, sms_approval_expires_after="0.3", report_reconcile_every="0.2")
    answer = await world.command("send 8613910825657,8613910825658 大新闻", user=WEI)
    assert answer.text == ZH("dispatch.approval_asked", channel="C0OPS")
    await world.standin.wait_for(lambda: world.standin.last_message("C0OPS") is not None)
    request = world.standin.last_message("C0OPS")
    assert request is not None and ZH("approvals.request.approve") in blocks_text(request.blocks)
    expired = ZH("dispatch.expired", n=2)
    await world.standin.wait_for(
        lambda: any(m.text == expired for m in world.standin.messages.values()),
        what="the expiry, told to Wei",
    )
    await world.standin.wait_for(  # the request is shown decided after Wei is told
        lambda: ZH("approvals.decided.expired") in blocks_text(request.blocks),
        what="the request shown expired",
    )
    await world.idle()
    assert not world.sandbox.messages


async def test_a_chinese_users_approval_request_and_its_answers_are_in_chinese(make_world: MakeWorld) -> None:
    """Wei (zh-CN) asks: the request in the approvals channel, its decided form, his direct
    message and the send's message are in Chinese; each admin is answered in their own language."""
    world = await approval_world(make_world)
    await world.command("send 8613910825657,8613910825658 大新闻", user=WEI)
    await world.standin.wait_for(lambda: world.standin.last_message("C0OPS") is not None)
    request = world.standin.last_message("C0OPS")
    assert request is not None
    text = blocks_text(request.blocks)
    cost = money(Decimal("0.16"))
    numbers = ZH.count("channel_message.numbers", 2)
    assert ZH("approvals.request.sms", user=WEI, numbers=numbers, channel=CHANNEL, cost=cost) in text
    assert ZH("approvals.request.approve") in text and ZH("approvals.request.only_admins") in text
    assert request.text == ZH("approvals.request.fallback", n=2, cost=cost)
    assert "Approval needed" not in text and "Approve" not in text
    actions = next(b for b in request.blocks if b["type"] == "actions")
    approval_id = actions["elements"][0]["value"]

    await world.slack.click(ActionId.APPROVE, approval_id, user=WEI, channel="C0OPS")
    only_admins = ZH("approvals.only_admins", who=whom_to_ask(world.services))
    await world.standin.wait_for(lambda: world.standin.responses[-1].text == only_admins)
    await world.slack.click(ActionId.APPROVE, approval_id, user=ADMIN, channel="C0OPS")
    decided = ZH("approvals.decided.approved", user=ADMIN)
    await world.standin.wait_for(lambda: decided in blocks_text(request.blocks))
    await world.shows(ZH("channel_message.context.accepted"))
    told = ZH("approvals.told.approved", admin=ADMIN, n=2, channel=CHANNEL)
    await world.standin.wait_for(lambda: any(m.text == told for m in world.standin.messages.values()))
    await world.slack.click(ActionId.APPROVE, approval_id, user=SECOND_ADMIN, channel="C0OPS")
    await world.standin.wait_for(
        lambda: world.standin.responses[-1].text == "This request was already approved by <@U0BOB>."
    )
    await world.idle()
    assert len(world.sandbox.messages) == 1


async def test_a_chinese_admin_decides_in_english_requests_and_reads_the_audit_in_chinese(
    make_world: MakeWorld,
) -> None:
    """Alice's request stays English when Wei, a Chinese-speaking admin, rejects it; Wei's own
    answers and his `/sms audit` summary are Chinese, while the CSV keeps its English data."""
    world = await make_world(
        sms_admins=WEI,
        sms_approval_above_recipients=1,
        sms_approvals_channel="C0OPS",
        sms_confirm_above_recipients=100,
    )
    await world.command("send 8613910825657,8613910825658 big news")
    await world.standin.wait_for(lambda: world.standin.last_message("C0OPS") is not None)
    request = world.standin.last_message("C0OPS")
    assert request is not None
    actions = next(b for b in request.blocks if b["type"] == "actions")
    approval_id = actions["elements"][0]["value"]
    await world.slack.click(ActionId.REJECT, approval_id, user=WEI, channel="C0OPS")
    await world.standin.wait_for(
        lambda: "Rejected by <@U0WEI> — nothing was sent" in blocks_text(request.blocks)
    )
    told = "<@U0WEI> rejected your send to 2 numbers (not sent)."
    await world.standin.wait_for(lambda: any(m.text == told for m in world.standin.messages.values()))
    await world.slack.click(ActionId.APPROVE, approval_id, user=WEI, channel="C0OPS")
    already = ZH("approvals.already.rejected", user=WEI)
    await world.standin.wait_for(lambda: world.standin.responses[-1].text == already)

    answer = (await world.command("audit 30", user=WEI)).text
    assert ZH.count("audit.title", 30) in answer and ZH("audit.in_dm") in answer
    assert ZH("audit.approvals", refused=0, asked=1, approved=0, rejected=1, expired=0) in answer
    assert "Audit" not in answer and "sends by" not in answer
    [upload] = world.standin.uploads
    assert upload.title == ZH("audit.file_title", days=30)
    rows = list(csv.DictReader(io.StringIO(upload.text)))
    assert [r["action"] for r in rows] == ["approval_requested", "rejected"]
    assert rows[1]["detail"] == "requested by U0ALICE"
    assert (await world.command("audit lots", user=WEI)).text == ZH("audit.days", max=366)
    assert "Only admins can read the audit trail" in (await world.command("audit")).text


async def test_a_refusal_at_the_scheduled_time_is_said_in_the_senders_language(make_world: MakeWorld) -> None:
    """The balance is checked again when a scheduled send is due; the refusal is stored with the
    send, and its message shows it in the language of whoever scheduled it."""
    world = await make_world(report_reconcile_every="0.2")
    await schedule(world, "稍后", user=WEI)
    world.sandbox.set_balance("Acme01", 0)
    [send] = await world.sends()
    await time_passes(world)
    cost = money(send.estimated_cost)
    reason = Msg.of("send.detail.balance_below", balance=money(Decimal(0)), cost=cost)
    await world.shows(ZH("send.detail.not_on_time", reason=reason))
    assert not world.sandbox.messages


async def test_sends_started_at_once_never_pass_a_daily_cap_together(make_world: MakeWorld) -> None:
    """Each send checks the cap and is stored in turn, so the second sees the first's numbers."""
    world = await make_world(sms_daily_recipients=3)
    numbers = ["8613910825657,8613910825658", "8613910825659,8613910825660", "8613910825661,8613910825662"]
    answers = await asyncio.gather(*(world.slack.command(f"send {n} at once") for n in numbers))
    assert [status for status, _ in answers] == [200, 200, 200]
    await world.standin.wait_for(lambda: len(world.standin.responses) >= 2, what="the refusals")
    await world.idle()
    refused = [r.text for r in world.standin.responses if "Nothing was sent" in r.text]
    assert len(refused) == 2 and all("left today" in text for text in refused), refused
    sent = [n for message in world.sandbox.messages.values() for n in message.recipients]
    assert len(sent) == 2  # one send of two numbers: 4 would pass the cap of 3
