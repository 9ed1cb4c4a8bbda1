"""Reports in each uplink shape, and phones writing back (MO), read the way the app reads them."""

from __future__ import annotations

import pytest

from bot.santo.uplink import Shape
from tests.dev.sandbox.conftest import CN, US, Callbacks, StartSandbox

FAILS_402 = "8613910820402"
FAILS_501 = "8613910820501"
SAYS_YES = "8613910820777"
SAYS_STOP = "8613910820778"
EXPECTED_CODES = {
    CN: ("0", "DELIVRD"),
    US: ("0", "DELIVRD"),
    FAILS_402: ("400", "402"),
    FAILS_501: ("500", "501"),
}


@pytest.mark.parametrize(
    ("shape", "seen", "callbacks_sent"),
    [("manual", Shape.REPORT, 4), ("family", Shape.FAMILY_REPORT, 4), ("multi", Shape.MULTI_REPORT, 1)],
)
async def test_each_report_shape_reads_as_the_right_reports(
    sandbox_factory: StartSandbox, callbacks: Callbacks, shape: str, seen: Shape, callbacks_sent: int
) -> None:
    sandbox = await sandbox_factory(callback_url=callbacks.url, report_shape=shape)
    numbers = list(EXPECTED_CODES)
    msgid = dict(await sandbox.submit(command="MULTI_MT_REQUEST", da=",".join(numbers), sm="x"))["mtmsgid"]
    await callbacks.wait_for(callbacks_sent)
    await sandbox.state.drain()
    assert len(callbacks.received) == callbacks_sent
    uplinks = callbacks.uplinks()
    assert {u.shape for u in uplinks} == {seen}
    reports = [r for u in uplinks for r in u.reports]
    assert {r.msgid for r in reports} == {msgid}
    got = sorted((r.value, r.code) for r in reports)
    assert got == sorted(EXPECTED_CODES.values())
    if shape == "manual":
        assert {r.number: (r.value, r.code) for r in reports} == EXPECTED_CODES
    else:  # the family's shapes name no number
        assert {r.number for r in reports} == {""}
    methods = {request.method for request in callbacks.received}
    assert methods == ({"POST"} if shape == "multi" else {"GET"})
    assert all(d.ok for d in sandbox.state.deliveries) and len(sandbox.state.deliveries) == 4


async def test_a_multi_report_goes_again_for_its_duplicates(
    sandbox_factory: StartSandbox, callbacks: Callbacks
) -> None:
    sandbox = await sandbox_factory(callback_url=callbacks.url, report_shape="multi", duplicate_rate=1.0)
    await sandbox.submit(command="MULTI_MT_REQUEST", da=f"{CN},{US}", sm="x")
    await callbacks.wait_for(2)
    await sandbox.state.drain()
    assert [len(u.reports) for u in callbacks.uplinks()] == [2, 2]
    assert sorted(d.copy for d in sandbox.state.deliveries) == [1, 1, 2, 2]


@pytest.mark.parametrize(
    ("shape", "wrong"),
    [
        ("manual", "OK"),
        ("family", "command=RT_RESPONSE&rtstat=REJECTD&rterrcode=0100"),
        ("multi", "command=RT_RESPONSE&rtstat=ACCEPTD&rterrcode=000"),  # not MULTI_RT_RESPONSE
    ],
)
async def test_an_answer_that_does_not_accept_is_retried(
    sandbox_factory: StartSandbox, callbacks: Callbacks, shape: str, wrong: str
) -> None:
    callbacks.bodies = [wrong]
    sandbox = await sandbox_factory(callback_url=callbacks.url, report_shape=shape)
    await sandbox.submit(command="MT_REQUEST", da=CN, sm="x")
    await callbacks.wait_for(2)
    await sandbox.state.drain()
    first, second = sandbox.state.deliveries
    assert (first.attempt, first.status, first.ok) == (1, 200, False)
    assert first.error is not None and "ACCEPTD" in first.error
    assert (second.attempt, second.ok) == (2, True)
    assert callbacks.fields[0] == callbacks.fields[1]


async def test_phones_ending_0777_and_0778_write_yes_and_stop_after_their_report(
    sandbox_factory: StartSandbox, callbacks: Callbacks
) -> None:
    sandbox = await sandbox_factory(callback_url=callbacks.url, reply_delay=0.05)
    numbers = f"{SAYS_YES},{SAYS_STOP},{CN}"
    await sandbox.submit(command="MULTI_MT_REQUEST", da=numbers, sm="Reply YES or STOP", sa="Acme")
    await callbacks.wait_for(5)
    await sandbox.state.drain()
    uplinks = callbacks.uplinks()
    assert [u.shape for u in uplinks] == [Shape.REPORT] * 3 + [Shape.INBOUND] * 2
    messages = {m.phone: m for u in uplinks for m in u.messages}
    assert {phone: m.text for phone, m in messages.items()} == {SAYS_YES: "YES", SAYS_STOP: "STOP"}
    assert {m.to for m in messages.values()} == {"Acme"}  # written to the sender id used
    mo = [f for f in callbacks.fields if f["command"] == "MO_REQUEST"]
    assert {f["dc"] for f in mo} == {"15"}
    assert [m.phone for m in sandbox.state.inbound] == [SAYS_YES, SAYS_STOP]


async def test_replies_due_together_go_in_one_multi_mo_request(
    sandbox_factory: StartSandbox, callbacks: Callbacks
) -> None:
    sandbox = await sandbox_factory(callback_url=callbacks.url, reply_delay=0.05, inbound_shape="multi")
    await sandbox.submit(command="MULTI_MT_REQUEST", da=f"{SAYS_YES},{SAYS_STOP}", sm="x")
    await callbacks.wait_for(3)
    await sandbox.state.drain()
    assert len(callbacks.received) == 3
    batch = callbacks.uplinks()[-1]
    assert callbacks.received[-1].method == "POST" and batch.shape == Shape.MULTI_INBOUND
    assert sorted((m.phone, m.to, m.text) for m in batch.messages) == [
        (SAYS_YES, "1069", "YES"),
        (SAYS_STOP, "1069", "STOP"),
    ]
    assert {d.command for d in sandbox.state.deliveries if d.code == ""} == {"MULTI_MO_REQUEST"}


async def test_a_phone_whose_message_failed_does_not_reply(
    sandbox_factory: StartSandbox, callbacks: Callbacks
) -> None:
    sandbox = await sandbox_factory(callback_url=callbacks.url, reply_delay=0.01, forced={SAYS_YES: "402"})
    await sandbox.submit(command="MT_REQUEST", da=SAYS_YES, sm="x")
    await callbacks.wait_for(1)
    await sandbox.state.drain()
    assert [u.shape for u in callbacks.uplinks()] == [Shape.REPORT]
    assert sandbox.state.inbound == []


@pytest.mark.parametrize("inbound_shape", ["single", "multi"])
async def test_the_mo_control_makes_any_phone_write_now(
    sandbox_factory: StartSandbox, callbacks: Callbacks, inbound_shape: str
) -> None:
    sandbox = await sandbox_factory(callback_url=callbacks.url, inbound_shape=inbound_shape)
    url = sandbox.url + "/_sandbox/mo"
    async with sandbox.http.post(
        url, json={"from": "+8613910825657", "text": "Hello 你好", "dc": 8}
    ) as response:
        assert response.status == 200
        answer = await response.json()
    assert answer["delivered"] is True  # delivered before the answer
    assert (answer["from"], answer["to"], answer["dc"]) == (CN, "1069", "8")
    [uplink] = callbacks.uplinks()
    [message] = uplink.messages
    assert (message.momsgid, message.phone, message.to, message.text) == (
        answer["momsgid"],
        CN,
        "1069",
        "Hello 你好",
    )
    assert callbacks.fields[0]["command"] == (
        "MO_REQUEST" if inbound_shape == "single" else "MULTI_MO_REQUEST"
    )
    if inbound_shape == "single":
        assert callbacks.fields[0]["dc"] == "8"


@pytest.mark.parametrize(
    "body",
    [
        {"from": "hello", "text": "x"},
        {"from": CN, "text": "x", "dc": 7},
        {"from": CN, "text": "你好", "dc": 0},  # ISO-8859-1 cannot write it
        {"from": CN},
        {"from": CN, "text": "x", "to": "10/69"},
        ["not", "an", "object"],
    ],
)
async def test_the_mo_control_refuses_what_no_phone_could_send(
    sandbox_factory: StartSandbox, callbacks: Callbacks, body: object
) -> None:
    sandbox = await sandbox_factory(callback_url=callbacks.url)
    async with sandbox.http.post(sandbox.url + "/_sandbox/mo", json=body) as response:
        assert response.status == 400
        assert "error" in await response.json()
    assert sandbox.state.inbound == [] and callbacks.received == []


async def test_without_a_callback_url_a_phone_still_writes_but_nothing_is_delivered(
    sandbox_factory: StartSandbox,
) -> None:
    sandbox = await sandbox_factory()
    message = await sandbox.state.write(CN, "hi", to="Acme")
    assert sandbox.state.inbound == [message] and sandbox.state.deliveries == []
    summary = sandbox.state.summary()
    assert (summary["inbound"], summary["report_shape"], summary["inbound_shape"]) == (1, "manual", "single")
