"""Sends from a file: attach a CSV in the Send modal → confirmation → Send → one message per row."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import select, update

from bot.dev.sandbox import SandboxConfig
from bot.dev.slack_standin import ViewRecord
from bot.domain.numbers import country_name, parse_numbers
from bot.domain.spreadsheet import PHONE_HEADERS
from bot.domain.states import NumberStatus, SendState
from bot.i18n import TEXTS, Language, Msg
from bot.store.sends import RESUMABLE_UNOWNED
from bot.store.tables import Recipient, Send
from bot.views.ids import ActionId, BlockId, CallbackId
from tests.domain.test_spreadsheet import xlsx
from tests.e2e.conftest import CHANNEL, MakeWorld, World, blocks_text
from tests.e2e.test_retry_and_schedule import button
from tests.e2e.test_send_modal import WEI, ZH, form, open_modal, review

NO_REPORTS = SandboxConfig(report_delay=3600, balance=100_000)
EN = TEXTS[Language.EN]
FAST = {"santo_max_requests_per_second": "2000", "santo_concurrency": "16"}


def with_file(
    world: World, content: str, message: str, name: str = "list.csv", user: str = "U0ALICE", **kw: Any
) -> dict[str, Any]:
    values = form("", message, **kw)
    picked = world.standin.add_user_file(name, content.encode(), user=user)
    values[BlockId.FILE] = {ActionId.FILE: {"type": "file_input", "files": [picked]}}
    return values


def numbers(n: int, start: int = 0) -> list[str]:
    return [f"86139{i:08d}" for i in range(start + 1, start + n + 1)]


def sent(world: World, *more: World) -> Counter[str]:
    """How many times each number was sent to, across these worlds' sandboxes."""
    counts: Counter[str] = Counter()
    for w in (world, *more):
        for message in w.sandbox.messages.values():
            counts.update(list(message.recipients))
    return counts


def texts(world: World) -> dict[str, str]:
    return {n: m.text for m in world.sandbox.messages.values() for n in m.recipients}


async def send_it(world: World, confirmation: ViewRecord) -> None:
    answer = await world.slack.submit_view(confirmation, {})
    assert answer["response_action"] == "update"


async def test_personalised_csv_from_confirmation_to_one_message_per_row(make_world: MakeWorld) -> None:
    world = await make_world(NO_REPORTS)
    csv = (
        "Name,Phone,Code\n"
        "Ann,+86 139 1082 5657,4821\n"
        "Bob,abc,1111\n"  # bad number
        "Cai,+44 7400 123456,\n"  # empty {code}
        "Dee,+86 139 1082 0001,7777\n"
        "Ann,+86 139 1082 5657,4821\n"  # duplicate
    )
    view = await open_modal(world)
    confirmation = await review(world, view, with_file(world, csv, "Hi {name}, your code is {code}"))
    text = blocks_text(confirmation.blocks)
    assert "personalised SMS to 2 numbers" in text and "`list.csv`" in text
    assert "Sample 1" in text and "Hi Ann, your code is 4821" in text and "Hi Dee, your code is 7777" in text
    assert "Not sent: 2 rows left out" in text and "row 3: `abc`" in text and "row 4:" in text
    assert "empty {code}" in text and "1 duplicate number(s) dropped" in text
    assert "1 part per message at the longest" in text and "*Estimated cost* ¥" in text
    assert not world.sandbox.messages and world.standin.downloads

    await send_it(world, confirmation)
    await world.standin.wait_for(lambda: len(world.sandbox.messages) == 2, what="two messages")
    await world.idle()
    assert texts(world) == {
        "8613910825657": "Hi Ann, your code is 4821",
        "8613910820001": "Hi Dee, your code is 7777",
    }
    assert sent(world) == Counter({"8613910825657": 1, "8613910820001": 1})
    [send] = await world.sends()
    assert send.state == SendState.ACCEPTED
    rows = await world.recipients()
    assert {r.text for r in rows} == set(texts(world).values())
    assert {r.status for r in rows} == {NumberStatus.PENDING} and all(r.msgid for r in rows)


async def test_errors_at_submit_show_on_the_field(world: World) -> None:
    view = await open_modal(world)
    both = with_file(world, "phone\n8613910825657\n", "hi")
    both[BlockId.RECIPIENTS][ActionId.RECIPIENTS]["value"] = "8613910825657"
    answer = await world.slack.submit_view(view, both)
    assert "not both" in answer["errors"][BlockId.RECIPIENTS]
    not_csv = with_file(world, "phone\n8613910825657\n", "hi", name="list.pdf")
    not_csv[BlockId.FILE][ActionId.FILE]["files"][0]["filetype"] = "pdf"
    answer = await world.slack.submit_view(view, not_csv)
    assert "CSV" in answer["errors"][BlockId.FILE]
    answer = await world.slack.submit_view(
        view, with_file(world, "phone,name\n8613910825657,A\n", "Hi {nme}")
    )
    assert "no column for {nme}" in answer["errors"][BlockId.FILE]
    answer = await world.slack.submit_view(view, form("", "hi"))
    assert "at least one number" in answer["errors"][BlockId.RECIPIENTS]
    assert not world.sandbox.messages


async def test_a_file_over_sms_max_file_rows_is_refused_saying_how_many_rows_it_has(
    make_world: MakeWorld,
) -> None:
    """The limit is the setting's, on the form's file field and in the refusal; a CSV's rows are
    counted before any number is read, an Excel workbook's as it is read."""
    world = await make_world(NO_REPORTS, sms_max_file_rows="50")
    view = await open_modal(world)
    assert EN("file_send.field.hint", rows=50, headers=", ".join(PHONE_HEADERS)) in blocks_text(view.blocks)
    csv = "phone\n" + "\n".join(numbers(51))
    answer = await world.slack.submit_view(view, with_file(world, csv, "hi"))
    assert answer["errors"][BlockId.FILE] == EN("file_send.problem.rows", n=51, most=50)
    workbook = xlsx([["phone"], *([int(n)] for n in numbers(51))])
    values = form("", "hi")
    values[BlockId.FILE] = {
        ActionId.FILE: {"type": "file_input", "files": [world.standin.add_user_file("list.xlsx", workbook)]}
    }
    answer = await world.slack.submit_view(view, values)
    assert answer["errors"][BlockId.FILE] == EN("file_send.problem.more_rows", most=50)
    header_and_fifty = "phone\n" + "\n".join(numbers(50))
    confirmation = await review(world, view, with_file(world, header_and_fifty, "hi"))
    assert "Send this SMS to 50 numbers" in blocks_text(confirmation.blocks)
    assert not world.sandbox.messages


async def test_identical_texts_go_in_batches_of_one_hundred(make_world: MakeWorld) -> None:
    world = await make_world(NO_REPORTS)
    csv = "phone,name\n" + "\n".join(f"{n},x" for n in numbers(250))
    view = await open_modal(world)
    confirmation = await review(world, view, with_file(world, csv, "Same text for all"))
    assert "Send this SMS to 250 numbers" in blocks_text(confirmation.blocks)
    await send_it(world, confirmation)
    await world.standin.wait_for(lambda: sum(sent(world).values()) == 250, what="250 sent")
    await world.idle()
    assert sorted(len(m.recipients) for m in world.sandbox.messages.values()) == [50, 100, 100]
    assert set(sent(world).values()) == {1}
    rows = await world.recipients()
    assert {r.text for r in rows} == {None}  # one text: kept on the send, not per number


async def test_two_thousand_rows_complete_with_equal_messages_batched(make_world: MakeWorld) -> None:
    """2,000 rows, ten different messages (`{team}` takes ten values): each message goes in
    batches of 100 to its own numbers; the per-number path is exercised by the restart tests."""
    world = await make_world(NO_REPORTS, **FAST)
    csv = "phone,team\n" + "\n".join(f"{n},T{i % 10}" for i, n in enumerate(numbers(2000)))
    view = await open_modal(world)
    confirmation = await review(world, view, with_file(world, csv, "Team {team}: standup moved to 10am"))
    assert "personalised SMS to 2,000 numbers" in blocks_text(confirmation.blocks)
    await send_it(world, confirmation)
    await world.standin.wait_for(lambda: sum(sent(world).values()) == 2000, timeout=30, what="2,000 sent")
    await world.idle()
    await world.quiet()
    assert set(sent(world).values()) == {1} and len(sent(world)) == 2000
    assert len(world.sandbox.messages) == 20 and {
        len(m.recipients) for m in world.sandbox.messages.values()
    } == {100}
    got = texts(world)
    assert got["8613900000001"] == "Team T0: standup moved to 10am" and got["8613900002000"].startswith(
        "Team T9"
    )
    [send] = await world.sends()
    assert send.state == SendState.ACCEPTED
    home = world.standin.last_message(send.channel_id)
    assert home is not None and "*Pending* 2,000" in blocks_text(home.blocks)


async def test_a_restart_half_way_sends_each_row_exactly_once(make_world: MakeWorld) -> None:
    slow = SandboxConfig(report_delay=3600, latency=0.01, balance=100_000)
    first = await make_world(slow, santo_max_requests_per_second="200", report_reconcile_every="0.2")
    csv = "phone,n\n" + "\n".join(f"{n},{i}" for i, n in enumerate(numbers(600)))
    view = await open_modal(first)
    confirmation = await review(first, view, with_file(first, csv, "Ticket {n}"))
    await send_it(first, confirmation)
    await first.standin.wait_for(lambda: len(first.sandbox.messages) >= 150, timeout=20, what="a part sent")
    await first.shows("submitted")  # progress in the channel message
    first.services.stopping.set()  # this process stops working (its loops end)
    await first.idle()
    before = len(first.sandbox.messages)
    assert before < 600
    second = await make_world(
        slow,
        santo_max_requests_per_second="200",
        report_reconcile_every="0.2",
        santo_base_url=first.settings.santo_base_url,
    )
    await second.standin.wait_for(
        lambda: sum(sent(first).values()) == 600, timeout=30, what="the rest sent after the restart"
    )
    await second.idle()
    counts = sent(first)
    assert len(counts) == 600 and set(counts.values()) == {1}
    [send] = await second.sends()
    assert send.state == SendState.ACCEPTED
    rows = await second.recipients()
    assert {r.status for r in rows} == {NumberStatus.PENDING}
    assert {r.text for r in rows} == {f"Ticket {i}" for i in range(600)}


async def test_numbers_in_flight_at_a_crash_become_unknown_and_are_never_resent(
    make_world: MakeWorld,
) -> None:
    slow = SandboxConfig(report_delay=3600, balance=100_000)
    first = await make_world(slow, santo_max_requests_per_second="100", report_reconcile_every="0.2")
    csv = "phone,n\n" + "\n".join(f"{n},{i}" for i, n in enumerate(numbers(300)))
    view = await open_modal(first)
    confirmation = await review(first, view, with_file(first, csv, "Ticket {n}"))
    await send_it(first, confirmation)
    await first.standin.wait_for(lambda: len(first.sandbox.messages) >= 50, timeout=20, what="a part sent")
    first.services.stopping.set()
    await first.idle()
    # As a crash would leave it: a few numbers claimed (Submitting) with no answer, and the
    # dead run's lease expired.
    async with first.services.db.session.begin() as session:
        queued = list(
            await session.scalars(
                select(Recipient.id)
                .where(Recipient.status == NumberStatus.QUEUED)
                .order_by(Recipient.id)
                .limit(5)
            )
        )
        await session.execute(
            update(Recipient).where(Recipient.id.in_(queued)).values(status=NumberStatus.SUBMITTING)
        )
        await session.execute(update(Send).values(submit_owner="dead-run", submit_lease=RESUMABLE_UNOWNED))
    in_flight = {r.number for r in await first.recipients() if r.status == NumberStatus.SUBMITTING}
    assert len(in_flight) == 5
    second = await make_world(
        slow,
        santo_max_requests_per_second="200",
        report_reconcile_every="0.2",
        santo_base_url=first.settings.santo_base_url,
    )
    await second.standin.wait_for(lambda: sum(sent(first).values()) == 295, timeout=30, what="the rest sent")
    await second.idle()
    await second.quiet()
    counts = sent(first)
    assert set(counts.values()) == {1} and not in_flight & set(counts)
    rows = await second.recipients()
    assert {r.number for r in rows if r.status == NumberStatus.UNKNOWN} == in_flight
    [send] = await second.sends()
    assert send.state == SendState.UNKNOWN
    home = second.standin.last_message(send.channel_id) or first.standin.last_message(send.channel_id)
    assert home is not None


async def test_retrying_a_personalised_send_resends_each_number_its_own_text(world: World) -> None:
    world.sandbox.set_balance("Acme01", 1000)
    csv = "phone,name\n8613910825657,Ann\n8613910820402,Dee\n"  # the sandbox fails ...0402 (402)
    view = await open_modal(world)
    confirmation = await review(world, view, with_file(world, csv, "Hi {name}"))
    await send_it(world, confirmation)
    await world.shows("Retry failed (1)")
    send_id = button(world, ActionId.RETRY_FAILED)
    assert send_id
    await world.slack.click(ActionId.RETRY_FAILED, send_id)

    def retry_confirmation() -> ViewRecord | None:
        return next(
            (
                v
                for v in world.standin.views.values()
                if v.callback_id == CallbackId.CONFIRM and "Failed numbers" in blocks_text(v.blocks)
            ),
            None,
        )

    await world.standin.wait_for(lambda: retry_confirmation() is not None, what="the retry's confirmation")
    retry = retry_confirmation()
    assert retry is not None
    await world.slack.submit_view(retry, {})
    await world.standin.wait_for(lambda: len(world.sandbox.messages) == 3, what="the retry's submit")
    last = list(world.sandbox.messages.values())[-1]
    assert list(last.recipients) == ["8613910820402"] and last.text == "Hi Dee"


async def test_an_excel_workbook_sends_like_a_csv(make_world: MakeWorld) -> None:
    world = await make_world(NO_REPORTS)
    workbook = xlsx([["手机", "姓名"], [8613910825657, "王伟"], [447400123456, "Ann"]])
    values = form("", "{姓名}，您好")
    values[BlockId.FILE] = {
        ActionId.FILE: {"type": "file_input", "files": [world.standin.add_user_file("名单.xlsx", workbook)]}
    }
    view = await open_modal(world)
    confirmation = await review(world, view, values)
    assert "王伟，您好" in blocks_text(confirmation.blocks)
    await send_it(world, confirmation)
    await world.standin.wait_for(lambda: len(world.sandbox.messages) == 2, what="two messages")
    assert texts(world) == {"8613910825657": "王伟，您好", "447400123456": "Ann，您好"}


def number_problem(raw: str) -> Msg:
    """Why `raw` is not a number, as the app says it."""
    [bad] = parse_numbers(raw).invalid
    return bad.reason


async def test_a_chinese_user_sees_file_problems_in_chinese(world: World) -> None:
    view = await open_modal(world, user=WEI)
    unknown = with_file(world, "phone,name\n8613910825657,A\n", "你好 {nme}", user=WEI)
    answer = await world.slack.submit_view(view, unknown, user=WEI)
    no_column = Msg.of("file_send.problem.no_column", names="{nme}", columns="{phone}, {name}")
    assert answer["errors"][BlockId.FILE] == ZH.render(no_column)

    no_valid = with_file(world, "phone,name\nabc,A\n,B\n", "你好", user=WEI)
    answer = await world.slack.submit_view(view, no_valid, user=WEI)
    rows = [
        ZH("file_send.problem.bad_row", line=2, why=number_problem("abc")),
        ZH("file_send.problem.bad_row", line=3, why=Msg.of("file_send.bad.no_number")),
    ]
    shown = {Language.ZH_HANS.value: ZH("file_send.problem.separator").join(rows)}
    assert answer["errors"][BlockId.FILE] == ZH("file_send.problem.no_valid_row", shown=shown)

    wrong = with_file(world, "phone\n8613910825657\n", "你好", name="名单.pdf", user=WEI)
    answer = await world.slack.submit_view(view, wrong, user=WEI)
    assert answer["errors"][BlockId.FILE] == ZH("file_send.problem.wrong_type")
    assert not world.sandbox.messages


async def test_a_chinese_users_file_send_is_confirmed_and_shown_in_chinese(make_world: MakeWorld) -> None:
    world = await make_world(NO_REPORTS)
    csv = (
        "姓名,手机,验证码\n"
        "王伟,+86 139 1082 5657,4821\n"
        "李娜,abc,1111\n"  # bad number
        "张敏,+44 7400 123456,\n"  # empty {验证码}
        "赵雷,+86 139 1082 0001,7777\n"
    )
    view = await open_modal(world, user=WEI)
    values = with_file(world, csv, "{姓名}，您的验证码是 {验证码}", name="名单.csv", user=WEI)
    confirmation = await review(world, view, values, user=WEI)
    text = blocks_text(confirmation.blocks)
    assert ZH.count("file_send.confirm.head_personalised", 2, file="`名单.csv`", channel=CHANNEL) in text
    assert ZH("file_send.confirm.sample", i=1, line=2, number="+86 139 1082 5657") in text
    assert "王伟，您的验证码是 4821" in text
    assert ZH.count("file_send.confirm.longest", 1, encoding="UCS-2") in text
    assert ZH.count("file_send.confirm.bad", 2) in text
    assert ZH("file_send.confirm.bad_line", line=3, raw="`abc`", why=number_problem("abc")) in text
    empty = Msg.of("file_send.bad.empty", fields="{验证码}")
    assert ZH("file_send.confirm.bad_line", line=4, raw="`+44 7400 123456`", why=empty) in text
    assert country_name("CN", Language.ZH_HANS) in text
    for english in ("personalised", "Sample", "row", "left out", "at the longest", "Estimated cost"):
        assert english not in text

    await world.slack.submit_view(confirmation, {}, user=WEI)
    await world.standin.wait_for(lambda: len(world.sandbox.messages) == 2, what="two messages")
    assert texts(world)["8613910825657"] == "王伟，您的验证码是 4821"
    message = await world.channel_message()
    headline = ZH("channel_message.headline.sms", to=ZH.count("channel_message.numbers", 2), user=WEI, channel=CHANNEL)
    assert headline in blocks_text(message.blocks)
