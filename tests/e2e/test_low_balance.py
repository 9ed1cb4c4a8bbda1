"""The low-balance alert through the real app: the sandbox platform's balance lowered and raised,
the alert posted by the app to the Slack stand-in, its notice row in the real database."""

from __future__ import annotations

import asyncio
import copy
import logging
import sys
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.dev.local_server import free_port
from bot.dev.sandbox import SANDBOX_STATE, SandboxConfig, create_sandbox_app
from bot.dev.slack_requests import SlackRequests
from bot.dev.slack_standin import Message, SlackStandIn
from bot.monitoring import LOOPS
from bot.santo.client import SantoClient
from bot.sending.low_balance import BalanceWatch, check
from bot.settings import load_settings
from bot.store.balance_alerts import claim, kept
from bot.store.db import Database, now
from bot.store.tables import OWN_ACCOUNT, Notice
from bot.web import santo_config
from tests.conftest import Serve
from tests.e2e.conftest import BOT_TOKEN, CPID, PASSWORD, SIGNING_SECRET, MakeWorld, World, serve_env
from tests.e2e.test_app_home import open_home
from tests.e2e.test_many_processes import ServeProcess

OPS = "C0OPS"


def alerts(world: World, channel: str = OPS) -> list[Message]:
    return [m for m in world.standin.messages.values() if m.channel == channel and "Low balance" in m.text]


async def balance_asked(world: World) -> None:
    """`/sms balance`, answered, and whatever it set going in the background done."""
    answer = await world.command("balance")
    assert "¥" in answer.text, answer.text
    await world.idle()


async def notices(world: World) -> list[Notice]:
    async with world.services.db.session() as session:
        return list(await session.scalars(select(Notice)))


async def test_one_alert_while_low_and_another_only_after_it_went_back_up(make_world: MakeWorld) -> None:
    world = await make_world(santo_low_balance="50", santo_alert_channel="#ops")
    assert "balance-watch" in [task.get_name() for task in world.app[LOOPS]]
    await balance_asked(world)
    assert alerts(world) == [] and await notices(world) == []

    world.sandbox.set_balance(CPID, Decimal("20.5"))
    await balance_asked(world)
    [alert] = alerts(world)
    assert "`Acme01` has *¥20.50* left, below the alert threshold of ¥50.00" in alert.text
    assert "Top up the account now" in alert.text
    [row] = await notices(world)
    assert row.kind == "low_balance" and row.posted_at is not None and row.detail == "20.50"

    # More checks while it stays low: /sms balance, the Home tab, a quick send, the background
    # check, and ten at once: still one alert.
    await balance_asked(world)
    await open_home(world)
    await world.send("send 8613910825657 still low")
    await world.channel_message()
    await BalanceWatch(world.services, every=60).round()
    low = await world.services.santo.balance()
    await asyncio.gather(*(check(world.services, low) for _ in range(10)))
    await world.idle()
    assert len(alerts(world)) == 1

    world.sandbox.set_balance(CPID, 50)  # back at the threshold: the alert is over
    await balance_asked(world)
    assert await notices(world) == [] and len(alerts(world)) == 1

    world.sandbox.set_balance(CPID, 7)
    await balance_asked(world)
    assert len(alerts(world)) == 2
    assert "*¥7.00* left" in alerts(world)[-1].text


async def test_ten_checks_at_once_post_one_alert(make_world: MakeWorld) -> None:
    world = await make_world(santo_low_balance="50", santo_alert_channel="#ops")
    world.sandbox.set_balance(CPID, 5)
    low = await world.services.santo.balance()
    await asyncio.gather(*(check(world.services, low) for _ in range(10)))
    assert len(alerts(world)) == 1


async def test_an_alert_a_process_claimed_and_never_posted_is_posted_once_its_lease_is_over(
    make_world: MakeWorld,
) -> None:
    world = await make_world(santo_low_balance="50", santo_alert_channel="#ops")
    world.sandbox.set_balance(CPID, 5)
    db, at = world.services.db, now()
    assert await claim(db, OWN_ACCOUNT, Decimal(5), at - timedelta(minutes=10), timedelta(minutes=5))
    await balance_asked(world)  # a process that died holds it no longer
    assert len(alerts(world)) == 1
    assert not await claim(db, OWN_ACCOUNT, Decimal(5), at, timedelta(minutes=5))  # posted: nobody takes it
    await balance_asked(world)
    assert len(alerts(world)) == 1


async def test_an_alert_being_posted_is_left_to_its_process(make_world: MakeWorld) -> None:
    world = await make_world(santo_low_balance="50", santo_alert_channel="#ops")
    world.sandbox.set_balance(CPID, 5)
    assert await claim(world.services.db, OWN_ACCOUNT, Decimal(5), now(), timedelta(minutes=5))
    await balance_asked(world)
    assert alerts(world) == []


async def test_no_alert_without_the_setting(world: World) -> None:
    assert "balance-watch" not in [task.get_name() for task in world.app[LOOPS]]
    world.sandbox.set_balance(CPID, Decimal("0.10"))
    await balance_asked(world)
    await open_home(world)
    await world.idle()
    assert not [c for c in world.standin.calls_to("chat.postMessage") if "Low balance" in str(c.args)]
    assert await notices(world) == []


async def test_to_each_admins_dm_in_the_default_language(make_world: MakeWorld) -> None:
    world = await make_world(
        santo_low_balance="10", sms_admins="U0BOB,U0ALICE", santo_default_language="zh-Hans"
    )
    world.sandbox.set_balance(CPID, 3)
    await balance_asked(world)
    sent = [m for m in world.standin.messages.values() if "余额不足" in m.text]
    assert sorted(world.standin.dms[m.channel] for m in sent) == ["U0ALICE", "U0BOB"]
    assert all("¥3.00" in m.text and "¥10.00" in m.text and "请立即充值" in m.text for m in sent)
    await balance_asked(world)
    assert len([m for m in world.standin.messages.values() if "余额不足" in m.text]) == 2


async def test_a_channel_it_cannot_post_in_is_tried_again_at_the_next_check(make_world: MakeWorld) -> None:
    world = await make_world(santo_low_balance="50", santo_alert_channel="C0OPS")
    world.standin.cannot_post_in.add(OPS)
    world.sandbox.set_balance(CPID, 1)
    await balance_asked(world)
    assert alerts(world) == [] and await notices(world) == []
    world.standin.cannot_post_in.discard(OPS)
    await balance_asked(world)
    assert len(alerts(world)) == 1


async def test_the_background_check_survives_a_platform_that_cannot_answer(
    make_world: MakeWorld, caplog: pytest.LogCaptureFixture
) -> None:
    world = await make_world()  # its own background check is off: this test runs one
    world.sandbox.set_balance(CPID, 1)
    unreachable = SantoClient(replace(santo_config(world.settings), base_url="http://127.0.0.1:9"))
    down = copy.copy(world.services)
    down.santo = unreachable
    down.settings = world.settings.model_copy(
        update={"santo_low_balance": Decimal(50), "santo_alert_channel": "#ops"}
    )
    watch = BalanceWatch(down, every=0.05)
    caplog.set_level(logging.WARNING, logger="bot.sending.low_balance")
    task = asyncio.create_task(watch.run())
    try:
        await world.standin.wait_for(
            lambda: sum("could not read the balance" in r.message for r in caplog.records) >= 2,
            what="two failed checks",
        )
        assert alerts(world) == [] and not task.done()
        down.santo = world.services.santo  # the platform answers again
        await world.standin.wait_for(lambda: len(alerts(world)) == 1, what="the alert")
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await unreachable.close()
    assert world.settings.santo_cppwd is not None
    assert all(world.settings.santo_cppwd.get_secret_value() not in r.getMessage() for r in caplog.records)


async def test_two_serve_processes_post_one_alert_until_the_balance_went_back_up(
    serve: Serve, postgres_url: str, tmp_path: Path
) -> None:
    """Two `python -m bot serve` on one PostgreSQL database, each checking the balance at
    start-up and on `/sms balance`: one alert while the balance stays low; a second one after
    it went back up and fell again."""
    standin = SlackStandIn(token=BOT_TOKEN)
    standin.base_url = await serve(standin.app())
    sandbox_app = create_sandbox_app(SandboxConfig(accounts={CPID: PASSWORD}))
    sandbox = sandbox_app[SANDBOX_STATE]
    sandbox.set_balance(CPID, 12)
    extra = {"SANTO_SANDBOX": "false", "SANTO_LOW_BALANCE": "40", "SANTO_ALERT_CHANNEL": OPS}
    env = serve_env(standin, await serve(sandbox_app), postgres_url, extra)
    migrate = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "migrate", env=env)
    assert await asyncio.wait_for(migrate.wait(), timeout=30) == 0
    processes = [
        ServeProcess(env | {"PORT": str(free_port())}, tmp_path / f"serve-{n}.log") for n in range(2)
    ]
    requests = [SlackRequests(p.url, SIGNING_SECRET, standin) for p in processes]
    db = Database(load_settings(database_url=postgres_url).sqlalchemy_url)

    def posted() -> list[Message]:
        return [m for m in standin.messages.values() if m.channel == OPS and "Low balance" in m.text]

    async def ask_each() -> None:
        before = len(standin.responses)
        for r in requests:
            assert (await r.command("balance"))[0] == 200
        await standin.wait_for(lambda: len(standin.responses) >= before + 2, what="both answers")

    try:
        await asyncio.gather(*(p.start() for p in processes))
        await standin.wait_for(lambda: len(posted()) >= 1, what="the alert")
        await ask_each()
        await ask_each()
        await asyncio.sleep(1)  # time for a second alert to show, were one posted
        assert len(posted()) == 1, [p.log() for p in processes]
        assert "¥12.00" in posted()[0].text and "¥40.00" in posted()[0].text

        sandbox.set_balance(CPID, 45)
        await ask_each()
        for _ in range(100):  # the checks run after the answers
            if not await kept(db, OWN_ACCOUNT):
                break
            await asyncio.sleep(0.1)
        assert not await kept(db, OWN_ACCOUNT)

        sandbox.set_balance(CPID, 30)
        await ask_each()
        await standin.wait_for(lambda: len(posted()) >= 2, what="the second alert")
        await ask_each()
        await asyncio.sleep(1)
        assert len(posted()) == 2 and "¥30.00" in posted()[1].text
    finally:
        for r in requests:
            await r.close()
        await asyncio.gather(*(p.stop() for p in processes))
        await db.close()

