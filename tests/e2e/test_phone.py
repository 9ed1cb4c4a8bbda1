"""The sandbox plays the platform's uplink in each of its shapes, and the phones write back."""

from __future__ import annotations

import pytest

from bot.dev.sandbox import SandboxConfig
from bot.domain.numbers import parse_number
from bot.domain.states import NumberStatus
from bot.i18n import TEXTS, Language
from bot.store.inbound import opted_out
from bot.store.tables import OWN_ACCOUNT
from tests.e2e.conftest import CHANNEL, MakeWorld, World, blocks_text

EN = TEXTS[Language.EN]
SAYS_YES = "8613910820777"
SAYS_STOP = "8613910820778"
POLLING = {"report_poll_after": "0.5", "report_reconcile_every": "0.3"}


async def thread_text(world: World, ts: str, *wanted: str) -> str:
    """The text of the thread of `ts`, once it shows everything in `wanted`."""

    def text() -> str:
        return "\n".join(blocks_text(m.blocks) for m in world.standin.thread(CHANNEL, ts))

    await world.standin.wait_for(
        lambda: all(w in text() for w in wanted), timeout=15, what=f"{wanted} in the thread"
    )
    return text()


@pytest.mark.parametrize("shape", ["manual", "family", "multi"])
async def test_with_each_report_shape_sends_end_delivered(make_world: MakeWorld, shape: str) -> None:
    """The family's shapes name no number: a report of a single-number send is pinned to it at
    once; those of a batch are kept but pinned to no number, so the batch ends Delivered by
    asking the platform (get-rptstatus)."""
    world = await make_world(SandboxConfig(report_delay=0.05, report_shape=shape), **POLLING)
    await world.send("send 8613910825657 hello")
    await world.shows("*Delivered* 1 · *Failed* 0 · *Pending* 0")
    await world.send("send 8613910825658,8613910820402 hello")
    await world.shows("*Delivered* 1 · *Failed* 1 · *Pending* 0")
    await world.send("send 8613910825659,8613910825660 hello")
    await world.shows("*Delivered* 2 · *Failed* 0 · *Pending* 0")
    await world.sandbox.drain()
    deliveries = world.sandbox.deliveries
    assert deliveries and all(d.ok for d in deliveries)
    expected = {"manual": "RT_REQUEST", "family": "RT_REQUEST", "multi": "MULTI_RT_REQUEST"}[shape]
    assert {d.command for d in deliveries} == {expected}
    statuses = sorted(r.status for r in await world.recipients())
    assert statuses.count(NumberStatus.DELIVERED) == 4 and statuses.count(NumberStatus.FAILED) == 1


@pytest.mark.parametrize(("report_shape", "inbound_shape"), [("manual", "single"), ("multi", "multi")])
async def test_a_phone_that_answers_yes_is_shown_in_the_sends_thread(
    make_world: MakeWorld, report_shape: str, inbound_shape: str
) -> None:
    config = SandboxConfig(
        report_delay=0.05, reply_delay=0.05, report_shape=report_shape, inbound_shape=inbound_shape
    )
    world = await make_world(config)
    await world.send(f"send {SAYS_YES} Are you coming? Answer YES or NO")
    message = await world.shows("*Delivered* 1")
    shown = parse_number(SAYS_YES).display
    text = await thread_text(world, message.ts, f"Reply from {shown}:")
    assert EN("replies.reply_line", number=shown, text="YES") in text
    assert EN("replies.opted_out") not in text
    assert await opted_out(world.services.db, OWN_ACCOUNT, [SAYS_YES]) == set()


async def test_a_phone_that_answers_stop_is_opted_out(make_world: MakeWorld) -> None:
    world = await make_world(SandboxConfig(report_delay=0.05, reply_delay=0.05, inbound_shape="multi"))
    await world.send(f"send {SAYS_STOP},8613910825657 Sale today")
    message = await world.shows("*Delivered* 2")
    shown = parse_number(SAYS_STOP).display
    text = await thread_text(world, message.ts, EN("replies.opted_out"))
    assert EN("replies.reply_line", number=shown, text="STOP") in text
    assert await opted_out(world.services.db, OWN_ACCOUNT, [SAYS_STOP, "8613910825657"]) == {SAYS_STOP}
    [inbound] = world.sandbox.inbound
    assert (inbound.phone, inbound.to, inbound.text) == (SAYS_STOP, "1069", "STOP")
