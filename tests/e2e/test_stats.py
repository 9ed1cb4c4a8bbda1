"""`/sms stats`: a seeded week, counted by hand, through the real app."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import update

from bot.dev.stored_sends import store_sms
from bot.domain.states import NumberStatus, SendState
from bot.store.db import now
from bot.store.tables import Recipient, Send
from tests.e2e.conftest import World
from tests.e2e.test_send_modal import WEI

CN = [f"+86139100000{i:02d}" for i in range(1, 11)]


async def seed(
    world: World,
    team: str,
    numbers: list[str],
    days_ago: float,
    outcomes: list[tuple[str, str | None, int]],
    state: str = SendState.ACCEPTED,
) -> None:
    """A send `days_ago` days old whose numbers ended as `outcomes` (status, code, seconds to the report)."""
    db = world.services.db
    send_id = await store_sms(db, numbers, "1.0", team_id=team)
    sent = now() - timedelta(days=days_ago)
    async with db.session.begin() as session:
        await session.execute(update(Send).where(Send.id == send_id).values(created_at=sent, state=state))
        for number, (status, code, seconds) in zip(numbers, outcomes, strict=True):
            await session.execute(
                update(Recipient)
                .where(Recipient.send_id == send_id, Recipient.number == number.lstrip("+"))
                .values(status=status, code=code, updated_at=sent + timedelta(seconds=seconds))
            )


D, F, N = NumberStatus.DELIVERED, NumberStatus.FAILED, NumberStatus.NO_REPORT


async def seeded(world: World) -> None:
    team = world.standin.team_id
    await seed(world, team, CN, 2, [(D, "DELIVRD", 10)] * 6 + [(F, "401", 20)] * 3 + [(N, None, 0)])
    await seed(
        world,
        team,
        ["+447400123451", "+447400123452", "+12015550123", "+12015550124"],
        3,
        [(D, "DELIVRD", 30), (D, "DELIVRD", 30), (F, "402", 40), (F, "401", 40)],
    )
    await seed(world, team, CN[:5], 10, [(D, "DELIVRD", 5)] * 5)  # older than a week
    await seed(world, "T0OTHER", CN[:3], 2, [(D, "DELIVRD", 5)] * 3)  # another workspace
    await seed(world, team, CN[:2], 1, [(NumberStatus.REJECTED, "0107", 0)] * 2, SendState.REJECTED)


async def test_a_seeded_week_matches_a_hand_count(world: World) -> None:
    await seeded(world)
    week = (await world.command("stats 7d")).text
    spend = Decimal("0.08") * 14
    assert "*Sending in this workspace, last 7 days*" in week
    assert f"2 sends to 14 numbers · estimated spend ≈ ¥{spend:.2f}" in week
    # 8 of 14 delivered, 5 failed, 1 no report; delays 10 s ×6, 20 s ×3, 30 s ×2, 40 s ×2: the 7th is 20 s
    assert "Delivered 57.1% · Failed 35.7% · No report 7.1% · median time to report 20 s" in week
    assert (
        "Top failure reasons: no permission to send (insufficient balance) (401): 4 · "
        "content contains a forbidden keyword (402): 1\n"
    ) in week
    assert "*By country* (top 3)" in week
    lines = [line for line in week.splitlines() if line.startswith("•")]
    assert lines == [
        "• *China*: 10 numbers — Delivered 60.0% · Failed 30.0% · No report 10.0% · median time to report 10 s",
        "• *United Kingdom*: 2 numbers — Delivered 100.0% · Failed 0.0% · No report 0.0% · median time to report 30 s",
        "• *United States*: 2 numbers — Delivered 0.0% · Failed 100.0% · No report 0.0% · median time to report 40 s",
    ]

    month = (await world.command("stats 30d")).text
    assert "3 sends to 19 numbers" in month and "Delivered 68.4%" in month
    assert "本工作区最近 7 天的发送情况" in (await world.command("stats", user=WEI)).text
    assert "`/sms stats 7d`" in (await world.command("stats 12d")).text


async def test_nothing_sent_says_so(world: World) -> None:
    assert "Nothing was sent in this period." in (await world.command("stats 90d")).text
