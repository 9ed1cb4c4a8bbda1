"""A full scenario — sends, reports, errors, approvals — and the password is nowhere."""

import json

import aiohttp
from sqlalchemy import text

from bot.store.tables import Base
from bot.views.ids import ActionId
from tests.e2e.conftest import PASSWORD, MakeWorld


async def test_the_password_is_in_no_log_row_or_slack_payload(make_world: MakeWorld) -> None:
    world = await make_world(
        sms_admins="U0BOB",
        sms_approval_above_recipients=2,
        sms_approvals_channel="C0OPS",
        sms_confirm_above_recipients=100,
        santo_inbox_channel="C0OPS",
    )
    await world.command("balance")
    await world.command("price japan")
    await world.command("verify +8613910825657")
    await world.send("send 8613910825657,8613910820402 hello")
    await world.shows("*Failed* 1")
    await world.command("send 12 bad")
    answer = await world.command("send 8613910825657,8613910825658,8613910825659 needs approval")
    assert "approval" in answer.text
    await world.standin.wait_for(lambda: world.standin.last_message("C0OPS") is not None)
    request = world.standin.last_message("C0OPS")
    assert request is not None
    approval_id = next(b for b in request.blocks if b["type"] == "actions")["elements"][0]["value"]
    await world.slack.click(ActionId.APPROVE, approval_id, user="U0BOB", channel="C0OPS")
    await world.standin.wait_for(lambda: len(world.sandbox.messages) == 2)
    world.sandbox.set_balance("Acme01", 0)
    refused = await world.command("send 8613910825657 refused for balance")  # checked before posting
    assert "balance is ¥0.00" in refused.text
    async with aiohttp.ClientSession() as http:
        await http.get(world.report_url + "?command=RT_REQUEST&msgid=x&da=1&sm=zz")
        await http.get(world.report_url + f"?command=MO_REQUEST&cppwd={PASSWORD}&sm=hi")
    await world.command("audit 1", user="U0BOB")
    await world.quiet()
    await world.idle()

    slack_payloads = json.dumps(
        [[c.method, c.args, c.response] for c in world.standin.calls]
        + [r.body for r in world.standin.responses]
        + [u.text for u in world.standin.uploads],
        ensure_ascii=False,
        default=str,
    )
    assert "Acme01" in slack_payloads  # the account id is shown; its password never
    assert PASSWORD not in slack_payloads

    rows = []
    async with world.services.db.session() as session:
        for table in Base.metadata.sorted_tables:
            result = await session.execute(text(f"SELECT * FROM {table.name}"))
            rows.extend(str(row) for row in result.all())
    assert len(rows) > 10
    assert not [row for row in rows if PASSWORD in row]
    # logs: tests/secret_guard.py fails any test during which a log record holds PASSWORD
