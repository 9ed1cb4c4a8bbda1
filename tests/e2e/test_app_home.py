"""The App Home tab through the real app: the event, views.publish, its buttons."""

import time
from typing import Any

from bot.dev.slack_standin import Call, ViewRecord
from bot.domain.money import money
from bot.domain.numbers import parse_number
from bot.i18n import TEXTS, Language
from bot.views.ids import ActionId, BlockId, CallbackId
from tests.e2e.conftest import CHANNEL, REPORT_TOKEN, MakeWorld, World, blocks_text
from tests.e2e.test_send_modal import review

ALICE = "U0ALICE"
ADMIN = "U0BOB"
WEI = "U0WEI"
ZH = TEXTS[Language.ZH_HANS]


async def open_home(world: World, user: str = ALICE) -> ViewRecord:
    """The user opens the Home tab: the event is acknowledged at once, the tab published after."""
    before = len(publishes(world, user))
    status, body = await world.slack.open_home(user)
    assert status == 200 and body == "", body
    return await published(world, user, before)


def publishes(world: World, user: str) -> list[Call]:
    return [c for c in world.standin.calls_to("views.publish") if c.args.get("user_id") == user]


async def published(world: World, user: str, before: int) -> ViewRecord:
    """The user's Home tab once it has been published more than `before` times."""
    await world.standin.wait_for(lambda: len(publishes(world, user)) > before, what=f"the Home tab of {user}")
    call = publishes(world, user)[-1]
    assert call.ok, call.response
    return world.standin.views[world.standin.home_tabs[user]]


async def press(world: World, action_id: str, user: str = ALICE) -> str:
    """Press a button in the user's Home tab, as Slack sends it (no channel, no response_url)."""
    standin = world.standin
    view = standin.views[standin.home_tabs[user]]
    trigger = standin.new_trigger_id()
    payload: dict[str, Any] = {
        "type": "block_actions",
        "team": {"id": standin.team_id, "domain": standin.team_domain},
        "user": {"id": user, "username": user.lower(), "team_id": standin.team_id},
        "api_app_id": standin.app_id,
        "token": "legacy-verification-token",
        "is_enterprise_install": False,
        "container": {"type": "view", "view_id": view.id},
        "trigger_id": trigger,
        "view": view.to_api(standin.team_id, standin.app_id, standin.bot_id),
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "home",
                "value": "x",
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    status, body = await world.slack.interact(payload)
    assert status == 200, body
    return trigger


async def send_and_settle(world: World, text: str, **kwargs: Any) -> None:
    await world.send(text, **kwargs)
    await world.shows("*Delivered* 1", channel=kwargs.get("channel", CHANNEL))
    await world.quiet()


async def test_home_shows_balance_and_the_last_sends_with_links(world: World) -> None:
    empty = blocks_text((await open_home(world)).blocks)
    assert "*Balance:* ¥100.00 (account `Acme01`)" in empty
    assert "You haven't sent anything yet" in empty

    await send_and_settle(world, "send 8613910825657 Hi <!channel> & <@U0BOB> *team*")
    message = world.standin.last_message(CHANNEL)
    assert message is not None
    home = await open_home(world)
    text = blocks_text(home.blocks)
    assert "*Balance:* ¥" in text and "Refresh" in text and "Send SMS" in text
    assert "*Your last sends*" in text
    assert "*SMS to +86 139 1082 5657* in <#C0GENERAL>" in text
    assert "*Delivered* 1 · *Failed* 0 · *Pending* 0" in text
    link = f"https://santo-test.slack.com/archives/{CHANNEL}/p{message.ts.replace('.', '')}"
    assert f"<{link}|open its message>" in text
    assert "Hi &lt;!channel&gt; &amp; &lt;@U0BOB&gt; *team*" in text  # outside text escaped
    assert "<!channel>" not in text
    assert "*You:* 1 number (no cap) · ≈ ¥0.08 (no cap)" in text
    assert "*Workspace:* 1 number (no cap)" in text
    assert "Setup health" not in text and REPORT_TOKEN not in text  # not an admin
    assert home.type == "home" and len(home.blocks) <= 100


async def test_only_the_last_ten_sends_newest_first(world: World) -> None:
    for n in range(12):
        await world.send(f"send 86139108256{n:02d} message [{n}]")
        count = n + 1
        await world.standin.wait_for(lambda: len(world.sandbox.messages) == count)  # noqa: B023
    await world.idle()
    text = blocks_text((await open_home(world)).blocks)
    assert "*Your last sends*" in text and text.count("open its message") == 10
    shown = [n for n in range(12) if f"message [{n}]" in text]
    assert shown == list(range(2, 12))
    assert text.index("message [11]") < text.index("message [2]")


async def test_others_sends_are_not_listed_but_count_for_the_workspace(world: World) -> None:
    await send_and_settle(world, "send 8613910825657 bob's own", user=ADMIN)
    text = blocks_text((await open_home(world)).blocks)
    assert "bob's own" not in text and "You haven't sent anything yet" in text
    assert "*You:* 0 numbers (no cap)" in text and "*Workspace:* 1 number (no cap)" in text


async def test_refresh_republishes_with_what_changed(world: World) -> None:
    home = await open_home(world)
    assert "You haven't sent anything yet" in blocks_text(home.blocks)
    await send_and_settle(world, "send 8613910825657 after the first look")
    before = len(publishes(world, ALICE))
    await press(world, ActionId.HOME_REFRESH)
    refreshed = await published(world, ALICE, before)
    assert refreshed.id == home.id and refreshed.updates == 1
    assert "after the first look" in blocks_text(refreshed.blocks)


async def test_send_sms_button_opens_the_send_modal_with_a_channel_picker(world: World) -> None:
    await open_home(world)
    trigger = await press(world, ActionId.HOME_SEND)
    call = await world.standin.wait_for_call("views.open")
    assert call.ok and call.args["trigger_id"] == trigger
    [modal] = world.standin.view_stack(trigger)
    assert modal.callback_id == CallbackId.SEND_MODAL and modal.private_metadata == ""
    [picker] = [b for b in modal.blocks if b.get("block_id") == BlockId.CHANNEL]
    assert "default_to_current_conversation" not in picker["element"]  # never a channel nobody chose
    assert "delivery reports go there" in blocks_text([picker])

    values: dict[str, dict[str, dict[str, Any]]] = {
        BlockId.RECIPIENTS: {ActionId.RECIPIENTS: {"type": "plain_text_input", "value": "+86 139 1082 5657"}},
        BlockId.MESSAGE: {ActionId.MESSAGE: {"type": "plain_text_input", "value": "from home"}},
        BlockId.KIND: {ActionId.KIND: {"type": "radio_buttons", "selected_option": {"value": "sms"}}},
        BlockId.CHANNEL: {
            ActionId.CHANNEL: {"type": "conversations_select", "selected_conversation": "C0OPS"}
        },
    }
    confirmation = await review(world, modal, values)
    assert "into <#C0OPS>" in blocks_text(confirmation.blocks)
    await world.slack.submit_view(confirmation, {})
    await world.standin.wait_for(
        lambda: any("Sent — follow it in <#C0OPS>" in blocks_text(v.blocks) for v in world.standin.views.values()),
        what="the outcome naming #ops",
    )


async def test_caps_are_shown_against_todays_use(make_world: MakeWorld) -> None:
    world = await make_world(sms_user_daily_recipients=100, sms_daily_cost=5)
    await send_and_settle(world, "send 8613910825657 capped")
    text = blocks_text((await open_home(world)).blocks)
    assert "*Today* (since 00:00 UTC)" in text
    assert "*You:* 1 of 100 numbers · ≈ ¥0.08 (no cap)" in text
    assert "*Workspace:* 1 number (no cap) · ≈ ¥0.08 of ¥5.00" in text


async def test_admins_see_the_health_of_the_setup(make_world: MakeWorld) -> None:
    world = await make_world(sms_admins=ADMIN, public_url="https://sms.example.com/")
    await send_and_settle(world, "send 8613910825657 for the report count")
    text = blocks_text((await open_home(world, ADMIN)).blocks)
    assert "*Setup health* (only admins see this)" in text
    assert ":white_check_mark: *Platform* reachable" in text
    assert f"`https://sms.example.com/santo/reports/{REPORT_TOKEN}`" in text
    assert "*Reports received* in the last 24 h: 1 (the last <!date^" in text
    assert "*Numbers still Pending:* 0" in text

    others = blocks_text((await open_home(world, ALICE)).blocks)
    assert "Setup health" not in others and REPORT_TOKEN not in others


async def test_health_explains_a_missing_token_and_an_unknown_host(make_world: MakeWorld) -> None:
    world = await make_world(sms_admins=ADMIN, santo_report_token=None)
    text = blocks_text((await open_home(world, ADMIN)).blocks)
    assert "SANTO_REPORT_TOKEN is not set, so the platform cannot deliver reports" in text
    assert "*Reports received* in the last 24 h: 0" in text

    world = await make_world(sms_admins=ADMIN)
    text = blocks_text((await open_home(world, ADMIN)).blocks)
    assert f"`https://&lt;your-app-host&gt;/santo/reports/{REPORT_TOKEN}`" in text
    assert "Set PUBLIC_URL" in text


async def test_platform_errors_are_told_in_plain_words(make_world: MakeWorld) -> None:
    world = await make_world(sms_admins=ADMIN, santo_cppwd="not-the-password")
    text = blocks_text((await open_home(world, ADMIN)).blocks)
    assert "*Balance:* unknown. The platform refused: *0106" in text
    assert ":x: *Platform* not usable: The platform refused: *0106" in text and "SANTO_CPPWD" in text
    assert "Traceback" not in text and "not-the-password" not in text

    world = await make_world(sms_admins=ADMIN, santo_base_url="http://127.0.0.1:9")
    text = blocks_text((await open_home(world, ADMIN)).blocks)
    assert "*Balance:* unknown. The platform could not be reached" in text


async def test_users_who_may_not_use_the_app_see_only_that(make_world: MakeWorld) -> None:
    world = await make_world(sms_allowed_users=ADMIN)
    text = blocks_text((await open_home(world, ALICE)).blocks)
    assert "You are not allowed to use this app" in text
    assert "Balance" not in text and "Send SMS" not in text


async def test_the_messages_tab_publishes_nothing(world: World) -> None:
    status, _ = await world.slack.event(
        {"type": "app_home_opened", "user": ALICE, "channel": "D0ALICE", "tab": "messages"}
    )
    assert status == 200
    await world.idle()
    assert not world.standin.calls_to("views.publish")


async def test_a_chinese_user_sees_the_home_tab_in_chinese(make_world: MakeWorld) -> None:
    """The Home tab is in the language of whoever looks at it: Wei (zh-CN, an admin here) gets it
    in Chinese, health included; Alice, in the same workspace, in English."""
    world = await make_world(
        sms_admins=WEI, sms_user_daily_recipients=100, public_url="https://sms.example.com/"
    )
    await world.send("send 8613910825657 你好", user=WEI)
    await world.shows(ZH("channel_message.counts.delivered", n=1))
    await world.quiet()
    home = await open_home(world, WEI)
    text = blocks_text(home.blocks)
    balance = await world.services.santo.balance()
    assert home.blocks[0]["text"]["text"] == ZH("app_home.header")
    assert ZH("app_home.balance.known", amount=money(balance.amount), cpid="`Acme01`") in text
    assert ZH("app_home.refresh") in text and ZH("app_home.send") in text
    numbers = ZH("app_home.today.numbers_of", used=1, max=100)
    cost = ZH("app_home.today.cost", cost="¥0.08")
    you = ZH("app_home.today.line", who=ZH("app_home.today.you"), numbers=numbers, cost=cost)
    assert ZH("app_home.today.title") in text and you in text
    assert ZH("app_home.sends.title") in text
    assert ZH("app_home.sends.sms", to=parse_number("8613910825657").display, channel=CHANNEL) in text
    message = world.standin.last_message(CHANNEL)
    assert message is not None
    link = f"https://santo-test.slack.com/archives/{CHANNEL}/p{message.ts.replace('.', '')}"
    assert ZH("channel_message.counts.delivered", n=1) in text and ZH("app_home.sends.open", link=link) in text
    assert ZH("app_home.health.title") in text and ZH("app_home.health.platform_ok") in text
    assert ZH("app_home.health.pending", n=0) in text
    for english in ("Balance", "Today", "Your last sends", "Delivered", "Refresh", "Setup health", "Reports"):
        assert english not in text

    trigger = await press(world, ActionId.HOME_SEND, user=WEI)
    await world.standin.wait_for_call("views.open")
    [modal] = world.standin.view_stack(trigger)
    assert modal.title == ZH("send.modal.title") and ZH("send.modal.channel_hint") in blocks_text(modal.blocks)

    alices = blocks_text((await open_home(world)).blocks)
    assert "*Balance:* ¥" in alices and "You haven't sent anything yet" in alices


async def test_a_chinese_user_who_may_not_use_the_app_is_told_in_chinese(make_world: MakeWorld) -> None:
    world = await make_world(sms_allowed_users=ADMIN, sms_admins=ADMIN)
    text = blocks_text((await open_home(world, WEI)).blocks)
    assert ZH("guard.not_allowed", whom=f"<@{ADMIN}>") in text and ZH("app_home.refresh") not in text
