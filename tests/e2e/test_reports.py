"""Delivery reports: from the platform's callback to the send's message and thread."""

import asyncio
import logging

import aiohttp
import pytest
from sqlalchemy import func, insert, select

from bot.dev.sandbox import SandboxConfig
from bot.dev.stored_sends import accept, store_sms
from bot.domain.numbers import parse_number
from bot.domain.states import NumberStatus
from bot.i18n import TEXTS, Language, Msg
from bot.reports.notifier import LEASE
from bot.santo.reports import StatusReport
from bot.store.callbacks import Callback
from bot.store.db import now
from bot.store.notify import claim_inbound
from bot.store.sends import finish_send
from bot.store.tables import BadCallback, Inbound, Report
from bot.web import NOTIFIER
from tests.batch_waits import until_a_batch_waits
from tests.e2e.conftest import CHANNEL, MakeWorld, World, blocks_text

MANUAL_43 = (
    "?command=RT_REQUEST&msgid=0513594772db8c&da=8618688888888&dc=15"
    "&sm=30353133353934373732646238637c307c44454c495652447c7c&rsm=0513594772db8c|0|DELIVRD||"
)


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, await response.text()


async def store_send(world: World, msgid: str, *numbers: str) -> int:
    """A send to `numbers` whose platform answer carried `msgid`, as the send pipeline stores it."""
    posted = await world.services.slack.chat_postMessage(channel=CHANNEL, text="…")
    send_id = await store_sms(world.services.db, numbers, str(posted["ts"]), channel_id=CHANNEL)
    await accept(world.services.db, send_id, msgid, numbers)
    await finish_send(world.services.db, send_id)
    world.services.wake_notifier()
    return send_id


async def count(world: World, table: type) -> int:
    async with world.services.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


async def test_one_number_ends_delivered(world: World) -> None:
    await world.send("send 8613910825657 hello")
    message = await world.shows("*Delivered* 1")
    assert "*Pending* 0" in blocks_text(message.blocks)
    [recipient] = await world.recipients()
    assert recipient.status == NumberStatus.DELIVERED
    assert not world.standin.thread(CHANNEL, message.ts)


async def test_mixed_200_number_send_counts_and_explains_failures(make_world: MakeWorld) -> None:
    world = await make_world(sms_confirm_above_recipients=1000, sms_confirm_above_cost=1000)
    failing = {f"86139{i:04d}0402": "402" for i in range(1, 8)} | {
        f"86139{i:04d}0404": "404" for i in range(8, 11)
    }
    numbers = [f"86139000{i:05d}" for i in range(1, 191)] + list(failing)
    await world.send("send " + ",".join(numbers) + " hello")
    message = await world.shows("*Delivered* 190 · *Failed* 10 · *Pending* 0")
    await world.standin.wait_for(lambda: bool(world.standin.thread(CHANNEL, message.ts)))
    replies = world.standin.thread(CHANNEL, message.ts)
    text = "\n".join(blocks_text(reply.blocks) for reply in replies)
    for number, code in failing.items():
        assert text.count(parse_number(number).display) == 1
        reason = "forbidden keyword (402)" if code == "402" else "another reason (ask support) (404)"
        assert f"{parse_number(number).display} — " in text and reason in text
    assert "Failed (10)" in text
    assert not any(parse_number(n).display in text for n in numbers[:190])  # no delivered number listed
    assert "content contains a forbidden keyword (402): 7" in blocks_text(message.blocks)


async def test_duplicated_reports_change_nothing_the_second_time(make_world: MakeWorld) -> None:
    world = await make_world(SandboxConfig(report_delay=0.05, duplicate_rate=1.0))
    await world.send("send 8613910825657,8613910820402 hello")
    message = await world.shows("*Delivered* 1 · *Failed* 1 · *Pending* 0")
    await world.sandbox.drain()
    await world.standin.wait_for(lambda: len(world.sandbox.deliveries) >= 4)
    assert await count(world, Report) == 2
    await world.standin.wait_for(lambda: bool(world.standin.thread(CHANNEL, message.ts)))
    await world.quiet()
    replies = world.standin.thread(CHANNEL, message.ts)
    assert len(replies) == 1 and "Failed (1)" in blocks_text(replies[0].blocks)


async def test_first_final_status_wins_and_the_conflict_is_logged(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    await store_send(world, "m-conflict", "8613910825657")
    ok = f"{world.report_url}?command=RT_REQUEST&msgid=m-conflict&da=8613910825657&rsm=m-conflict|0|DELIVRD||"
    late = f"{world.report_url}?command=RT_REQUEST&msgid=m-conflict&da=8613910825657&rsm=m-conflict|400|402||"
    with caplog.at_level(logging.WARNING):
        assert (await get(ok))[0] == 200
        status, body = await get(late)
    assert status == 200 and body == "command=RT_RESPONSE&msgid=m-conflict&rtstat=ACCEPTD&rterrcode=000"
    await world.shows("*Delivered* 1 · *Failed* 0")
    [recipient] = await world.recipients()
    assert recipient.status == NumberStatus.DELIVERED
    assert any("conflicting report" in r.getMessage() for r in caplog.records)


async def test_a_report_before_its_msgid_is_kept_and_applied(world: World) -> None:
    url = f"{world.report_url}?command=RT_REQUEST&msgid=m-early&da=8613910825657&rsm=m-early|400|403||"
    assert (await get(url))[0] == 200  # no send knows m-early yet
    await store_send(world, "m-early", "8613910825657")
    message = await world.shows("*Failed* 1")
    await world.standin.wait_for(lambda: bool(world.standin.thread(CHANNEL, message.ts)))
    assert "lacks an allowlisted keyword (403)" in blocks_text(
        world.standin.thread(CHANNEL, message.ts)[0].blocks
    )


async def test_the_manuals_literal_example_is_applied(world: World) -> None:
    await store_send(world, "0513594772db8c", "8618688888888")
    status, body = await get(world.report_url + MANUAL_43)
    assert status == 200
    assert body == "command=RT_RESPONSE&msgid=0513594772db8c&rtstat=ACCEPTD&rterrcode=000"
    await world.shows("*Delivered* 1")


async def test_reports_by_post_form(world: World) -> None:
    await store_send(world, "m-post", "8613910825657")
    form = {"command": "RT_REQUEST", "msgid": "m-post", "da": "8613910825657", "rsm": "m-post|0|DELIVRD||"}
    async with aiohttp.ClientSession() as http, http.post(world.report_url, data=form) as response:
        assert response.status == 200
    await world.shows("*Delivered* 1")


async def test_garbage_gets_400_and_is_kept_wrong_token_gets_404(world: World) -> None:
    status, body = await get(world.report_url + "?command=RT_REQUEST&msgid=x&da=86&sm=zz")
    assert status == 400 and "not valid hex" in body
    status, body = await get(world.report_url + "?command=RT_REQUEST&da=86&rsm=x|0|DELIVRD||")
    assert status == 400 and "missing msgid" in body
    assert await count(world, BadCallback) == 2
    status, _ = await get(world.url + "/santo/reports/wrong-token" + MANUAL_43)
    assert status == 404
    assert await count(world, Report) == 0


async def test_a_callback_in_a_shape_nobody_expected_is_kept_and_shown_to_admins(make_world: MakeWorld) -> None:
    world = await make_world(santo_inbox_channel="C0OPS")
    for query in ("?hello=world", "?command=HELLO_REQUEST&x=<!channel>"):
        status, body = await get(world.report_url + query)
        assert status == 200, body
    assert await count(world, Inbound) == 2
    await world.standin.wait_for(lambda: len(world.standin.channel_messages("C0OPS")) == 2)
    posted = [m.text for m in world.standin.channel_messages("C0OPS")]
    assert any("hello=world" in text for text in posted)
    assert any("HELLO_REQUEST" in text and "<!channel>" not in text for text in posted)


async def test_an_inbound_sms_from_a_stranger_goes_to_the_inbox_escaped(make_world: MakeWorld) -> None:
    world = await make_world(santo_inbox_channel="C0OPS")
    sm = "hello <!channel>".encode("gbk").hex()
    status, body = await get(world.report_url + f"?command=MO_REQUEST&momsgid=mo-1&sa=8613910825657&da=1069&dc=15&sm={sm}")
    assert status == 200 and body == "command=MO_RESPONSE&momsgid=mo-1&mostat=ACCEPTD&moerrcode=000"
    assert await count(world, Inbound) == 1
    await world.standin.wait_for(lambda: world.standin.last_message("C0OPS") is not None)
    posted = world.standin.last_message("C0OPS")
    assert posted is not None
    shown = blocks_text(posted.blocks)
    assert "+86 139 1082 5657" in shown and "hello &lt;!channel&gt;" in shown and "<!channel>" not in shown


async def test_slack_429_then_500s_lose_nothing(world: World) -> None:
    world.standin.rate_limit("chat.update", times=1, retry_after=1)
    world.standin.fail("chat.update", times=3, status=500)
    await world.send("send 8613910825657,8613910820402 hello")
    await world.shows("*Delivered* 1 · *Failed* 1 · *Pending* 0", within=20)
    statuses = [call.status for call in world.standin.calls_to("chat.update")]
    assert 429 in statuses and 500 in statuses
    message = world.standin.last_message(CHANNEL)
    assert message is not None
    await world.standin.wait_for(lambda: bool(world.standin.thread(CHANNEL, message.ts)), timeout=10)


async def test_numbers_without_a_report_are_polled_then_given_up(make_world: MakeWorld) -> None:
    world = await make_world(
        SandboxConfig(
            report_delay=0.05, forced={"8613910825658": "none"}, callback_url="http://127.0.0.1:9/off"
        ),
        report_poll_after="0.3",
        report_give_up_after="2",
        report_reconcile_every="0.3",
    )
    await world.send("send 8613910825657,8613910825658 hello")
    # The delivery is learnt by polling; a loaded machine may show it only with the give-up.
    message = await world.shows("*No report* 1", within=10)
    assert "*Delivered* 1 · *Failed* 0" in blocks_text(message.blocks)
    statuses = sorted(r.status for r in await world.recipients())
    assert statuses == [NumberStatus.DELIVERED, NumberStatus.NO_REPORT]

    def said_which() -> str:  # which number, in the thread, like failures
        return " ".join(blocks_text(m.blocks) for m in world.standin.thread(CHANNEL, message.ts))

    await world.standin.wait_for(lambda: "+86 139 1082 5658" in said_which(), what="the number without a report")
    assert "*No report (1)*" in said_which() and "+86 139 1082 5657" not in said_which()


async def test_concurrent_reports_share_commits(world: World) -> None:
    await store_send(world, "m-burst", "8613910825657")
    writer = world.writer()
    before = writer.batches
    urls = [
        f"{world.report_url}?command=RT_REQUEST&msgid=m-burst{i}&da=8613910825657&rsm=m-burst{i}|0|DELIVRD||"
        for i in range(200)
    ]
    async with aiohttp.ClientSession() as http:

        async def one(url: str) -> int:
            async with http.get(url) as response:
                return response.status

        statuses = await asyncio.gather(*(one(u) for u in urls))
    assert statuses == [200] * 200
    assert await count(world, Report) == 200
    assert writer.batches - before < 200  # many requests, fewer commits


async def test_the_access_log_never_shows_the_report_token(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="aiohttp.access"):
        await get(world.report_url + "?command=RT_REQUEST&msgid=x&da=1&sm=zz")  # 400: logged, token hidden
        await get(world.report_url + MANUAL_43)  # 200: not logged at all
        await get(world.url + "/healthz")
    lines = [r.getMessage() for r in caplog.records if r.name == "aiohttp.access"]
    assert any("/santo/reports/***" in line and " 400 " in line for line in lines)
    assert any("/healthz" in line for line in lines)
    assert not any("e2e-report-token" in line for line in lines)
    assert len([line for line in lines if "/santo/reports/" in line]) == 1


async def test_a_chinese_senders_message_and_thread_are_in_chinese(world: World) -> None:
    """The notifier writes each send's message and thread in its sender's language, though it runs
    in the background: Wei's (zh-CN) in Chinese, Alice's beside it in English."""
    zh = TEXTS[Language.ZH_HANS]
    await world.send("send 8613910825657,8613910820402 你好", user="U0WEI", channel="C0RANDOM")
    await world.send("send 8613910825657,8613910820402 hello")
    counts = [zh("channel_message.counts.delivered", n=1), zh("channel_message.counts.failed", n=1), zh("channel_message.counts.pending", n=0)]
    wei = await world.shows(" · ".join(counts), channel="C0RANDOM")
    alice = await world.shows("*Delivered* 1 · *Failed* 1 · *Pending* 0")
    await world.standin.wait_for(lambda: bool(world.standin.thread("C0RANDOM", wei.ts)), what="Wei's thread")
    wei = world.standin.messages[("C0RANDOM", wei.ts)]

    text = blocks_text(wei.blocks)
    to = zh.count("channel_message.numbers", 2)
    assert zh("channel_message.headline.sms", to=to, user="U0WEI", channel="C0RANDOM") in text
    reason = zh("channel_message.failure_reasons.reason", meaning=Msg.of("codes.report.402"), code="402", n=1)
    assert zh("channel_message.failure_reasons.summary", reasons=reason) in text
    assert zh("channel_message.context.accepted") in text and zh("channel_message.buttons.retry", n=1) in text
    assert wei.text == zh("channel_message.fallback.sms", n=2, counts=" · ".join(counts)).replace("*", "")
    for word in ("Delivered", "Failed", "Pending", "sent by", "Accepted", "part", "Retry", "keyword"):
        assert word not in text

    [reply] = world.standin.thread("C0RANDOM", wei.ts)
    thread = blocks_text(reply.blocks)
    number = parse_number("8613910820402").display
    assert zh("failures.heading", n=1) in thread
    assert zh("failures.line_with_code", number=number, reason=zh("codes.report.402"), code="402") in thread
    assert reply.text == zh.count("failures.fallback", 1) and "Failed" not in thread

    english = blocks_text(alice.blocks)
    assert "Retry failed (1)" in english and "sent by <@U0ALICE>" in english
    await world.standin.wait_for(lambda: bool(world.standin.thread(CHANNEL, alice.ts)), what="Alice's thread")
    [english_reply] = world.standin.thread(CHANNEL, alice.ts)
    assert "*Failed (1)*" in blocks_text(english_reply.blocks)


async def test_the_inbox_is_written_in_the_default_language(make_world: MakeWorld) -> None:
    """A message from a number no send went to belongs to nobody: SANTO_DEFAULT_LANGUAGE's."""
    world = await make_world(santo_inbox_channel="C0OPS", santo_default_language="zh-Hans")
    status, _ = await get(world.report_url + f"?command=MO_REQUEST&momsgid=1&sa=8613910825657&sm={b'hello'.hex()}")
    assert status == 200
    await world.standin.wait_for(lambda: world.standin.last_message("C0OPS") is not None)
    posted = world.standin.last_message("C0OPS")
    assert posted is not None
    assert posted.text == TEXTS[Language.ZH_HANS].count("replies.fallback", 1, number="+86 139 1082 5657")
    assert "来自 +86 139 1082 5657 的短信" in blocks_text(posted.blocks)


async def test_reports_too_long_for_the_store_are_refused_alone_in_a_burst(world: World) -> None:
    """Each field is checked against its column before the report joins a batch: a report that
    cannot be stored gets its own 400 saying which field, and the good ones beside it all land
    (on PostgreSQL one of them used to fail its whole group commit: 503s for the good ones)."""
    numbers = [f"86139108{i:05d}" for i in range(100)]
    await store_send(world, "m-burst", *numbers)
    good = [f"?command=RT_REQUEST&msgid=m-burst&da={n}&rsm=m-burst|0|DELIVRD||" for n in numbers]
    good[7] += "&note=nul%00here"  # a NUL elsewhere in the callback: the report is fine
    bad = {
        "?command=RT_REQUEST&msgid=m-burst&da=8613910899999&rsm=m-burst|400|"
        + "C" * 17
        + "||": "code is too long",
        "?command=RT_REQUEST&msgid=m-burst&da=8613910899999&rsm=m-burst|123456789|402||": "value is too long",
        "?command=RT_REQUEST&msgid=m-burst&da=" + "8" * 21 + "&rsm=m-burst|0|DELIVRD||": "da is too long",
        "?command=RT_REQUEST&msgid=" + "m" * 65 + "&da=8613910899999&rsm=|0|DELIVRD||": "msgid is too long",
        "?command=RT_REQUEST&msgid=m%00burst&da=8613910899999&rsm=|0|DELIVRD||": "msgid has a character",
        "?command=RT_REQUEST&note=nul%00here": "missing msgid",
    }
    queries = good[:50] + list(bad) + good[50:]
    answers = dict(
        zip(queries, await asyncio.gather(*(get(world.report_url + q) for q in queries)), strict=True)
    )
    for query in good:
        assert answers[query] == (200, "command=RT_RESPONSE&msgid=m-burst&rtstat=ACCEPTD&rterrcode=000")
    for query, reason in bad.items():
        status, body = answers[query]
        assert status == 400 and reason in body, (query, status, body)
    await world.shows("*Delivered* 100 · *Failed* 0 · *Pending* 0")
    assert await count(world, Report) == 100
    assert await count(world, BadCallback) == len(bad)


async def test_a_batch_failing_in_the_database_still_stores_its_good_reports(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """A report the database refuses for a reason the route did not see (here: text no driver
    encodes, and on PostgreSQL a NUL character; the route refuses both, so they are handed to
    the writer directly) fails alone: the reports committed with it are retried one by one."""
    numbers = [f"86139108{i:05d}" for i in range(20)]
    await store_send(world, "m-mixed", *numbers)

    def callback(msgid: str, number: str) -> Callback:
        content = f"{msgid}|0|DELIVRD||"
        raw = f"command=RT_REQUEST&msgid={msgid}&da={number}&rsm={content}"
        return Callback(raw=raw, reports=(StatusReport(msgid, number, "0", "DELIVRD", content),))

    surrogate = callback("m-\ud800", "8613910899999")  # no database driver encodes a lone surrogate
    nul = callback("m-\x00", "8613910899998")  # PostgreSQL refuses NUL in text; SQLite keeps it
    good = [callback("m-mixed", number) for number in numbers]
    writer = world.writer()
    with caplog.at_level(logging.WARNING, logger="bot.reports.intake"):
        # Queued before the writer runs again: one batch.
        answers = [writer.submit(c) for c in [*good[:10], surrogate, nul, *good[10:]]]
        results = await asyncio.gather(*answers, return_exceptions=True)
    assert results[:10] + results[12:] == [None] * 20
    assert isinstance(results[10], Exception)
    postgresql = not world.services.db.is_sqlite
    assert isinstance(results[11], Exception) if postgresql else results[11] is None
    assert any("storing them one by one" in r.getMessage() for r in caplog.records)
    await world.shows("*Delivered* 20 · *Failed* 0 · *Pending* 0")
    assert await count(world, Report) == 20 if postgresql else 21


async def test_inbound_callbacks_arriving_together_are_each_posted_once(make_world: MakeWorld) -> None:
    world = await make_world(santo_inbox_channel="C0INBOX")
    queries = [
        f"?command=MO_REQUEST&momsgid=m{i}&sa=86139108256{i:02d}&dc=0&sm={f'hello-{i}'.encode().hex()}"
        for i in range(5)
    ] + [
        "?command=MO_PING&seq=ping-5",
        "?command=MO_REQUEST&momsgid=m6&sa=8613910825606&dc=0&sm=" + b"nul\x00-6".hex(),
        "?command=" + "X" * 40 + "&seq=long-7",
    ]
    answers = await asyncio.gather(*(get(world.report_url + q) for q in queries))
    assert [status for status, _ in answers] == [200] * len(queries)

    def posted() -> list[str]:
        return [blocks_text(m.blocks) + m.text for m in world.standin.channel_messages("C0INBOX")]

    await world.standin.wait_for(
        lambda: len(posted()) >= len(queries), timeout=15, what="every inbound message posted (1 a second)"
    )
    notifier = world.app[NOTIFIER]
    for _ in range(3):
        await notifier.pass_once()
    await asyncio.sleep(1.5)  # the notifier's own passes too
    # Once the claims' lease is over, nothing is left to post either.
    assert await claim_inbound(world.services.db, 10, LEASE, now() + 3 * LEASE) == []
    texts = posted()
    assert len(texts) == len(queries)
    for i in range(len(queries)):
        assert len([t for t in texts if f"-{i}" in t]) == 1, (i, texts)
    assert any("MO_PING" in t for t in texts) and any("X" * 32 in t for t in texts)


async def test_a_report_arriving_once_shutdown_began_gets_503_and_is_not_stored(world: World) -> None:
    async with aiohttp.ClientSession() as http:
        report = world.report_url + "?command=RT_REQUEST&msgid=m-1&da=8613910825657&rsm=m-1|0|DELIVRD||"
        async with http.get(report) as answer:
            assert answer.status == 200
        world.services.stopping.set()  # what SIGTERM sets first (bot.web), before the loops end
        async with http.get(report.replace("m-1", "m-2")) as answer:
            assert answer.status == 503
            assert "shutting down" in await answer.text()
        async with http.post(world.url + "/slack/events", data="x") as answer:
            assert answer.status == 503  # no new work from Slack either: it would be cut short
    async with world.services.db.session() as session:
        assert list(await session.scalars(select(Report.msgid))) == ["m-1"]


async def test_a_report_held_up_in_the_database_does_not_hold_up_the_next(world: World) -> None:
    """On PostgreSQL a second batch is committed while the first waits (here: on a row lock that
    another connection holds), so a report that arrives meanwhile gets its 200 at once."""
    db = world.services.db
    if db.is_sqlite:
        pytest.skip("SQLite has one writer: its batches go one at a time")
    held, other = "8613910825657", "8613910825658"
    await store_send(world, "m-held", held, other)
    blocker = await db.engine.connect()  # the same report, not committed: its batch waits on it
    await blocker.execute(
        insert(Report).values(
            account="", msgid="m-held", number=held, value="0", code="DELIVRD", raw="", received_at=now()
        )
    )
    url = f"{world.report_url}?command=RT_REQUEST&msgid=m-held&da={{}}&rsm=m-held|0|DELIVRD||"
    first = asyncio.create_task(get(url.format(held)))
    assert await until_a_batch_waits(db) == 1
    assert (await asyncio.wait_for(get(url.format(other)), timeout=10))[0] == 200
    assert not first.done()
    await blocker.rollback()
    await blocker.close()
    assert (await first)[0] == 200
    await world.shows("*Delivered* 2 · *Failed* 0 · *Pending* 0")


async def test_the_apps_slack_calls_keep_one_connection(world: World) -> None:
    """The send's message, its updates and the failures' thread reply go over one kept-alive
    connection (to slack.com, a new one per call would be a TLS handshake per update)."""
    await world.send("send 8613910825657,8613910820402 hello")
    message = await world.shows("*Delivered* 1 · *Failed* 1 · *Pending* 0")
    await world.standin.wait_for(lambda: bool(world.standin.thread(CHANNEL, message.ts)))
    made = [call for call in world.standin.calls if call.method in ("chat.postMessage", "chat.update")]
    assert {call.method for call in made} == {"chat.postMessage", "chat.update"}
    assert len({call.connection for call in made}) == 1
    assert made[0].connection.startswith("127.0.0.1:")
