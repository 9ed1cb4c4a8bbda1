"""One deployment for many workspaces: two workspaces installed through Slack's OAuth flow, each
connecting its own Santo account (two sandbox platforms that hand out the same msgids); sends,
reports, replies, the Home tab and the low-balance alert never cross; forged and reused OAuth
states are refused; a workspace that leaves loses its tokens and credentials at once."""

from __future__ import annotations

import asyncio
import copy
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, timedelta
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select, update

from bot.charts.digest import Digest, due_week
from bot.dev.sandbox import SANDBOX_STATE, SandboxConfig, SandboxState, create_sandbox_app
from bot.dev.slack_requests import SlackRequests
from bot.dev.slack_standin import Call, SlackStandIn
from bot.dev.stored_sends import store_sms
from bot.domain.numbers import parse_number
from bot.domain.states import NumberStatus, SendKind, SendState
from bot.reports.reconciler import Reconciler
from bot.sending.low_balance import BalanceWatch
from bot.services import Services
from bot.settings import load_settings
from bot.store import workspaces
from bot.store.db import now
from bot.store.models import NewSend
from bot.store.sends import create_send, get_send
from bot.store.tables import Recipient, Send
from bot.views.ids import ActionId, BlockId
from bot.web import SERVICES, create_web_app
from tests.conftest import Serve
from tests.e2e.conftest import SIGNING_SECRET, blocks_text
from tests.secret_guard import register_secret

NUMBER = "8613910825657"
FIRST_MSGID = 10_000_000_000_000_000_000


@dataclass
class Workspace:
    team: str
    user: str
    channel: str
    cpid: str
    password: str
    sandbox: SandboxState
    sandbox_url: str
    slack: SlackRequests


@dataclass
class Deployment:
    url: str
    standin: SlackStandIn
    services: Services
    a: Workspace
    b: Workspace
    http: aiohttp.ClientSession

    def calls(self, method: str, team: str) -> list[Call]:
        return [c for c in self.standin.calls_to(method) if c.team_id == team]


@pytest.fixture
async def deployment(serve: Serve, database_url: str) -> AsyncIterator[Deployment]:
    standin = SlackStandIn(token="xoxb-never-handed-out", team_id="T0NONE")
    standin.base_url = await serve(standin.app())
    sandboxes = []
    for cpid, password, delay in (("AcmeA", "pw-a-51f0", 0.05), ("AcmeB", "pw-b-77c2", 3600.0)):
        config = SandboxConfig(
            accounts={cpid: register_secret(password)}, report_delay=delay, first_msgid=FIRST_MSGID
        )
        app = create_sandbox_app(config)
        sandboxes.append((cpid, password, app[SANDBOX_STATE], await serve(app)))
    settings = load_settings(
        slack_client_id="1111.2222",
        slack_client_secret=register_secret("client-secret-e2e-0b3d"),
        slack_signing_secret=SIGNING_SECRET,
        santo_secrets_key=register_secret(Fernet.generate_key().decode()),
        slack_api_url=standin.api_url(),
        database_url=database_url,
    )
    web_app = create_web_app(settings)
    services = web_app[SERVICES]
    await services.db.migrate()
    url = await serve(web_app)
    teams = [("T0AAA", "U0ALICE", "C0GENERAL"), ("T0BBB", "U0BOB", "C0RANDOM")]
    a, b = (
        Workspace(
            team,
            user,
            channel,
            cpid,
            password,
            state,
            sandbox_url,
            SlackRequests(url, SIGNING_SECRET, standin, team),
        )
        for (team, user, channel), (cpid, password, state, sandbox_url) in zip(teams, sandboxes, strict=True)
    )
    async with aiohttp.ClientSession() as http:
        yield Deployment(url, standin, services, a, b, http)
    for workspace in (a, b):
        await workspace.slack.close()


async def install(d: Deployment, w: Workspace) -> None:
    """The installer opens the Add to Slack page, approves the app at Slack, and comes back."""
    async with d.http.get(f"{d.url}/slack/install", allow_redirects=False) as page:
        assert page.status == 200, await page.text()
        html = await page.text()
        cookie = page.headers["Set-Cookie"].split(";")[0]
    assert "Add to Slack" in html or "slack.com/oauth/v2/authorize" in html
    state = re.search(r"state=([\w-]+)", html)
    assert state is not None
    code = d.standin.offer_install(w.team, w.user)
    status, text = await redirect(d, code, state.group(1), cookie)
    assert status == 200, text
    found = await workspaces.get(d.services.db, w.team)
    assert found is not None and found.installed_by == w.user
    w.sandbox.config.callback_url = f"{d.url}/santo/reports/{found.report_token}"


async def redirect(d: Deployment, code: str, state: str, cookie: str) -> tuple[int, str]:
    params = {"code": code, "state": state}
    async with d.http.get(
        f"{d.url}/slack/oauth_redirect", params=params, headers={"Cookie": cookie}
    ) as answer:
        return answer.status, await answer.text()


def typed(value: str) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


async def connect(d: Deployment, w: Workspace) -> str:
    """The installer connects the workspace's Santo account from the Home tab; what the modal says."""
    opened = len(d.standin.calls_to("views.open"))
    status, _ = await w.slack.click(ActionId.HOME_CONNECT, "connect", user=w.user)
    assert status == 200
    await d.standin.wait_for(lambda: len(d.standin.calls_to("views.open")) > opened, what="the account form")
    call = d.standin.calls_to("views.open")[-1]
    assert call.team_id == w.team, "opened with the workspace's own token"
    view = d.standin.views[call.response["view"]["id"]]
    values = {
        BlockId.CPID: {ActionId.CPID: typed(w.cpid)},
        BlockId.PASSWORD: {ActionId.PASSWORD: typed(w.password)},
        BlockId.SERVER: {ActionId.SERVER: {"type": "static_select", "selected_option": {"value": "custom"}}},
        BlockId.SERVER_URL: {ActionId.SERVER_URL: typed(w.sandbox_url)},
    }
    await w.slack.submit_view(view, values, user=w.user)

    def said() -> str:
        return blocks_text(d.standin.views[view.id].blocks)

    await d.standin.wait_for(lambda: "Checking" not in said(), what="the account checked")
    return said()


async def recipient(d: Deployment, team: str) -> Recipient:
    async with d.services.db.session() as session:
        found = await session.scalar(
            select(Recipient).join(Send, Send.id == Recipient.send_id).where(Send.team_id == team)
        )
        assert found is not None
        return found


async def test_two_workspaces_install_connect_and_never_cross(deployment: Deployment) -> None:
    d, a, b = deployment, deployment.a, deployment.b
    await install(d, a)
    await install(d, b)

    before = len(d.standin.responses)
    await b.slack.command("balance", user=b.user, channel=b.channel)
    await d.standin.wait_for(lambda: len(d.standin.responses) > before, what="the answer to /sms balance")
    assert "no Santo account connected" in d.standin.responses[-1].text

    wrong = Workspace(**{**a.__dict__, "password": "not-the-password"})
    assert "refused this account" in await connect(d, wrong)
    assert (await workspaces.get(d.services.db, a.team)).santo_secret is None  # type: ignore[union-attr]
    for w in (a, b):
        assert "connected" in await connect(d, w)
    stored = await workspaces.get(d.services.db, a.team)
    assert stored is not None and stored.santo_secret and a.password not in stored.santo_secret

    for w, text in ((a, "hello from A"), (b, "hello from B")):
        status, _ = await w.slack.command(f"send +{NUMBER} {text}", user=w.user, channel=w.channel)
        assert status == 200
    await d.standin.wait_for(
        lambda: all(
            any(NUMBER in n for m in w.sandbox.messages.values() for n in m.recipients) for w in (a, b)
        ),
        what="both sends at their own platform",
    )
    (msgid_a,) = a.sandbox.messages
    (msgid_b,) = b.sandbox.messages
    assert msgid_a == msgid_b, "the two platforms gave the same msgid"

    await d.standin.wait_for(
        lambda: any(
            "Delivered* 1" in blocks_text(c.args.get("blocks")) for c in d.calls("chat.update", a.team)
        ),
        what="A's report shown in A's message",
    )
    assert (await recipient(d, a.team)).status == NumberStatus.DELIVERED
    assert (await recipient(d, b.team)).status == NumberStatus.PENDING  # same msgid and number, other account
    for call in d.calls("chat.postMessage", a.team) + d.calls("chat.update", a.team):
        assert "hello from B" not in blocks_text(call.args.get("blocks")) + str(call.args.get("text"))

    # A report at A's URL naming B's msgid and number (identical to A's own) changes nothing of B.
    token_a = (await workspaces.get(d.services.db, a.team)).report_token  # type: ignore[union-attr]
    query = {"command": "RT_REQUEST", "msgid": msgid_b, "da": NUMBER, "rsm": f"{msgid_b}|400|402||"}
    async with d.http.get(f"{d.url}/santo/reports/{token_a}", params=query) as answer:
        assert answer.status == 200
    assert (await recipient(d, b.team)).status == NumberStatus.PENDING

    # A reply from the number to B's URL lands in B's thread, posted with B's token.
    token_b = (await workspaces.get(d.services.db, b.team)).report_token  # type: ignore[union-attr]
    mo = {
        "command": "MO_REQUEST",
        "momsgid": "mo-1",
        "sa": NUMBER,
        "da": "1069",
        "dc": "15",
        "sm": "好".encode("gbk").hex(),
    }
    async with d.http.get(f"{d.url}/santo/reports/{token_b}", params=mo) as answer:
        assert answer.status == 200
    await d.standin.wait_for(
        lambda: any("好" in blocks_text(c.args.get("blocks")) for c in d.calls("chat.postMessage", b.team)),
        what="the reply in B's thread",
    )
    assert not any("好" in blocks_text(c.args.get("blocks")) for c in d.calls("chat.postMessage", a.team))

    # Each Home tab shows its own workspace's send only.
    for w, other in ((a, "hello from B"), (b, "hello from A")):
        published = len(d.calls("views.publish", w.team))
        await w.slack.open_home(w.user)
        await d.standin.wait_for(
            lambda w=w, n=published: len(d.calls("views.publish", w.team)) > n, what="Home"
        )
        home = blocks_text(d.calls("views.publish", w.team)[-1].args.get("view", {}).get("blocks"))
        assert w.cpid in home and other not in home


async def test_a_forged_or_reused_state_installs_nothing(deployment: Deployment) -> None:
    d, a = deployment, deployment.a
    async with d.http.get(f"{d.url}/slack/install") as page:
        html = await page.text()
        cookie = page.headers["Set-Cookie"].split(";")[0]
    state = re.search(r"state=([\w-]+)", html)
    assert state is not None
    status, _ = await redirect(d, d.standin.offer_install(a.team, a.user), "forged-state", cookie)
    assert status != 200 or await workspaces.get(d.services.db, a.team) is None
    assert await workspaces.get(d.services.db, a.team) is None
    status, text = await redirect(d, d.standin.offer_install(a.team, a.user), state.group(1), cookie)
    assert status == 200, text
    await workspaces.leave(d.services.db, a.team, now())  # marks it: a second install would unmark it
    status, _ = await redirect(d, d.standin.offer_install(a.team, a.user), state.group(1), cookie)
    found = await workspaces.get(d.services.db, a.team)
    assert found is not None and found.uninstalled_at is not None, "a used state does not install again"


async def test_uninstalling_removes_the_tokens_and_the_santo_account_at_once(deployment: Deployment) -> None:
    """…cancels its scheduled sends, and after SANTO_RETENTION_DAYS the reconciler deletes the rest."""
    d, a = deployment, deployment.a
    await install(d, a)
    assert "connected" in await connect(d, a)
    later = NewSend(
        team_id=a.team,
        user_id=a.user,
        channel_id=a.channel,
        kind=SendKind.SMS,
        text="tomorrow",
        sender_id=None,
        lang=None,
        encoding="GSM-7",
        parts=1,
        estimated_cost=None,
        numbers=(parse_number("+" + NUMBER),),
        scheduled_at=now() + timedelta(days=1),
        account=a.team,
    )
    scheduled = await create_send(d.services.db, later, None)
    status, _ = await a.slack.event({"type": "app_uninstalled"})
    assert status == 200
    installations = d.services.clients.installations  # type: ignore[union-attr]

    async def gone() -> bool:
        found = await workspaces.get(d.services.db, a.team)
        bot = await installations.async_find_bot(enterprise_id=None, team_id=a.team)
        return found is not None and found.santo_secret is None and found.santo_cpid is None and bot is None

    for _ in range(100):
        if await gone():
            break
        await asyncio.sleep(0.05)
    assert await gone()
    assert not (await d.services.for_team(a.team)).connected
    assert (await get_send(d.services.db, scheduled)).state == SendState.CANCELLED  # type: ignore[union-attr]

    d.services.settings.santo_retention_days = 0
    await Reconciler(d.services, every=3600).round()
    assert await workspaces.get(d.services.db, a.team) is None
    assert await get_send(d.services.db, scheduled) is None


async def test_with_token_rotation_a_workspace_token_near_its_end_is_refreshed_and_kept(
    deployment: Deployment,
) -> None:
    """Background work (the notifier, the inbox) asks for a workspace's client: a token that ends
    within two hours is exchanged first, the new one stored, the old one no longer works."""
    d, a = deployment, deployment.a
    d.standin.token_lifetime = 600
    await install(d, a)
    clients = d.services.clients
    assert clients is not None
    first = await clients.installations.async_find_bot(enterprise_id=None, team_id=a.team)
    assert first is not None and first.bot_token_expires_at is not None
    client = await clients.slack(a.team)
    assert client is not None and client.token != first.bot_token
    assert (await client.auth_test())["team_id"] == a.team
    stored = await clients.installations.async_find_bot(enterprise_id=None, team_id=a.team)
    assert stored is not None and stored.bot_token == client.token
    assert first.bot_token not in d.standin.team_tokens


async def test_each_connected_workspace_gets_its_own_weekly_digest(deployment: Deployment) -> None:
    d = deployment
    for w in (d.a, d.b):
        await install(d, w)
        assert "connected" in (await connect(d, w)).lower()
    week = due_week(now(), UTC)
    numbers = (NUMBER, "8613910825658")
    send_id = await store_sms(d.services.db, numbers, "1700000000.000100", team_id=d.a.team, account=d.a.team)
    async with d.services.db.session.begin() as session:
        went = week.start + timedelta(days=1)
        await session.execute(
            update(Send).where(Send.id == send_id).values(created_at=went, state=SendState.ACCEPTED)
        )
        await session.execute(
            update(Recipient).where(Recipient.send_id == send_id).values(status=NumberStatus.DELIVERED)
        )
    services = copy.copy(d.services)
    services.settings = d.services.settings.model_copy(update={"santo_digest_channel": "#general"})
    digest = Digest(services)

    def digests() -> dict[str, Call]:
        posted = [c for c in d.standin.calls_to("chat.postMessage") if week.label in str(c.args.get("text"))]
        assert all(c.ok for c in posted), posted
        return {c.team_id: c for c in posted}

    await digest.round()
    posts = digests()
    assert set(posts) == {d.a.team, d.b.team}  # each in its own workspace, with its own token
    assert "1 send to 2 numbers" in str(posts[d.a.team].args["text"])
    assert "Nothing was sent in this period." in str(posts[d.b.team].args["text"])
    [image] = [b for b in posts[d.a.team].args["blocks"] if b["type"] == "image"]
    [upload] = [u for u in d.standin.uploads if u.file_id == image["slack_file"]["id"]]
    assert upload.team == d.a.team and upload.channels == []
    assert all(b["type"] != "image" for b in posts[d.b.team].args["blocks"])

    await digest.round()
    assert len([c for c in d.standin.calls_to("chat.postMessage") if week.label in str(c.args.get("text"))]) == 2


async def test_many_workspaces_each_checked_with_its_own_account_and_told_in_its_own_slack(
    deployment: Deployment,
) -> None:
    """Distribution mode: the background check reads each connected workspace's balance with its
    own account; the alert goes, with that workspace's token, to whoever connected the account."""
    d, a, b = deployment, deployment.a, deployment.b
    for w in (a, b):
        await install(d, w)
        assert "connected" in await connect(d, w)
    services = copy.copy(d.services)
    services.settings = d.services.settings.model_copy(update={"santo_low_balance": Decimal(50)})
    watch = BalanceWatch(services, every=60)

    def told(w: Workspace) -> list[Call]:
        return [c for c in d.calls("chat.postMessage", w.team) if "Low balance" in str(c.args.get("text"))]

    a.sandbox.set_balance(a.cpid, 5)
    await watch.round()
    await watch.round()
    [alert] = told(a)
    assert alert.args["channel"] == a.user and "`AcmeA` has *¥5.00* left" in alert.args["text"]
    assert told(b) == []

    b.sandbox.set_balance(b.cpid, 8)
    await watch.round()
    assert len(told(a)) == 1
    [alert] = told(b)
    assert alert.args["channel"] == b.user and "`AcmeB` has *¥8.00* left" in alert.args["text"]
