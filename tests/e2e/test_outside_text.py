"""What the platform sends us reaches Slack escaped, cleaned and cut: a report's status code
or an inbound message can neither ping a channel, fake a link, hide text with control or
direction characters, nor stop a send's message from being drawn."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import text, update

from bot.domain.mrkdwn import escape
from bot.store.db import now
from bot.store.reports import mark_dirty
from bot.store.tables import NumberStatus, Recipient
from tests.e2e.conftest import CHANNEL, MakeWorld, World, blocks_text
from tests.e2e.test_reports import get, store_send

NUMBER = "8613910820402"
SHOWN_NUMBER = "+86 139 1082 0402"
HIDDEN = ("\x00", "\x1b", "\u202e")
"""NUL, ESC and RIGHT-TO-LEFT OVERRIDE: none may reach Slack."""


def strings(value: Any) -> Iterator[str]:
    """Every string in a payload (keys and values, however deep)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from strings(item)


def everything_sent(world: World) -> list[str]:
    """Every string the app sent Slack: Web API calls and response_url posts."""
    calls = [call.args for call in world.standin.calls]
    responses = [post.body for post in world.standin.responses]
    return list(strings([calls, responses]))


async def report_failure(world: World, msgid: str, code: str) -> None:
    """The platform's report that the number failed with `code`, through the report route."""
    rsm = quote(f"{msgid}|400|{code}||", safe="")
    status, body = await get(f"{world.report_url}?command=RT_REQUEST&msgid={msgid}&da={NUMBER}&rsm={rsm}")
    assert status == 200, body


async def store_failure(world: World, send_id: int, code: str) -> None:
    """A failure with `code` as it would be stored, written straight to the database (for codes
    the report route does not take; on PostgreSQL the column is widened to hold them)."""
    async with world.services.db.session.begin() as session:
        if not world.services.db.is_sqlite:
            await session.execute(text("ALTER TABLE recipients ALTER COLUMN code TYPE TEXT"))
        await session.execute(
            update(Recipient)
            .where(Recipient.send_id == send_id)
            .values(status=NumberStatus.FAILED, code=code, updated_at=now())
        )
        await mark_dirty(session, [send_id], now())
    world.services.wake_notifier()


async def thread_reply_text(world: World) -> str:
    message = await world.shows("*Failed* 1")
    await world.standin.wait_for(lambda: bool(world.standin.thread(CHANNEL, message.ts)), what="thread reply")
    [reply] = world.standin.thread(CHANNEL, message.ts)
    return blocks_text(reply.blocks)


@pytest.mark.parametrize("code", ["<!channel>", "<!subteam^S1>", "<@U123>", "<http://evil.example>"])
async def test_a_report_code_with_slack_markup_is_shown_escaped_everywhere(world: World, code: str) -> None:
    msgid = "m-markup"
    send_id = await store_send(world, msgid, NUMBER)
    if len(code) <= 16:  # what the report route stores
        await report_failure(world, msgid, code)
    else:
        await store_failure(world, send_id, code)
    shown = escape(code)

    message = await world.shows("*Failed* 1")
    assert f"failed ({shown}): 1" in blocks_text(message.blocks)
    reply = await thread_reply_text(world)
    assert f"{SHOWN_NUMBER} — failed ({shown})" in reply
    answer = await world.command(f"status {msgid}")
    assert SHOWN_NUMBER in answer.text and shown in answer.text

    sent = everything_sent(world)
    assert not [s for s in sent if code in s]


async def test_control_and_direction_characters_never_reach_slack(make_world: MakeWorld) -> None:
    world = await make_world(santo_inbox_channel="C0OPS")
    msgid = "m-hidden"
    nul = "\x00" if world.services.db.is_sqlite else ""  # PostgreSQL's text cannot hold a NUL
    send_id = await store_send(world, msgid, NUMBER)
    hidden_code = f"{nul}a\x1bb\u202ec"
    rsm = quote(f"{msgid}|400|{hidden_code}||", safe="")
    status, body = await get(f"{world.report_url}?command=RT_REQUEST&msgid={msgid}&da={NUMBER}&rsm={rsm}")
    assert status == 400 and "not printable" in body  # the route keeps such a code out
    await store_failure(world, send_id, hidden_code)  # and were one stored, it is shown clean
    inbound = f"<!channel> \x1b[31mred\u202e {nul} <@U123>".encode("utf-16-be").hex()
    stranger = "447400123456"
    status, _ = await get(f"{world.report_url}?command=MO_REQUEST&momsgid=1&sa={stranger}&dc=8&sm={inbound}")
    assert status == 200

    message = await world.shows("*Failed* 1")
    assert "failed (abc): 1" in blocks_text(message.blocks)
    reply = await thread_reply_text(world)
    assert "(abc)" in reply
    answer = await world.command(f"status {msgid}")
    assert "abc" in answer.text
    await world.standin.wait_for(lambda: world.standin.last_message("C0OPS") is not None, what="inbox post")
    posted = world.standin.last_message("C0OPS")
    assert posted is not None
    shown = blocks_text(posted.blocks)
    assert "&lt;!channel&gt;" in shown and "&lt;@U123&gt;" in shown

    sent = everything_sent(world)
    assert not [s for s in sent if any(c in s for c in HIDDEN)]
    assert not [s for s in sent if "<!channel>" in s or "<@U123>" in s]


async def test_a_very_long_report_code_still_lets_the_send_show_its_failure(world: World) -> None:
    msgid = "m-long"
    code = "<!channel>" + "9" * 3190
    send_id = await store_send(world, msgid, NUMBER)
    await world.shows("*Pending* 1")
    await store_failure(world, send_id, code)

    message = await world.shows("*Failed* 1")
    text = blocks_text(message.blocks)
    assert "*Delivered* 0 · *Failed* 1 · *Pending* 0" in text
    assert "failed (&lt;!channel&gt;999" in text
    reply = await thread_reply_text(world)
    assert f"{SHOWN_NUMBER} — failed (&lt;!channel&gt;999" in reply
    await world.quiet()

    for call in world.standin.calls_to("chat.update") + world.standin.calls_to("chat.postMessage"):
        assert call.ok, call.response  # the stand-in checks Block Kit's limits
    assert not [s for s in everything_sent(world) if "<!channel>" in s or "9" * 100 in s]


async def test_a_message_slack_refuses_as_drawn_is_shown_with_its_counts(world: World) -> None:
    msgid = "m-refused"
    await store_send(world, msgid, NUMBER)
    await world.shows("*Pending* 1")
    world.standin.fail("chat.update", status=200, error="invalid_blocks")
    world.standin.fail("chat.postMessage", status=200, error="invalid_blocks")
    await report_failure(world, msgid, "402")

    message = await world.shows("*Failed* 1")
    assert "Failure reasons" not in blocks_text(message.blocks)  # its counts only, this time
    await world.standin.wait_for(lambda: bool(world.standin.thread(CHANNEL, message.ts)), what="thread reply")
    [reply] = world.standin.thread(CHANNEL, message.ts)
    assert reply.text == "1 number failed"
    await world.quiet()  # nothing left dirty: the send is not retried forever
    assert [call.error for call in world.standin.calls if not call.ok] == ["invalid_blocks"] * 2
