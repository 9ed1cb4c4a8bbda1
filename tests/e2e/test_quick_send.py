"""`/sms send` and `/sms voice`: the channel message, the platform, the store, the errors."""

from bot.domain.numbers import country_name
from bot.domain.states import NumberStatus, SendState
from bot.i18n import TEXTS, Language
from bot.santo.codes import VOICE_LANGUAGES
from bot.views.ids import ActionId
from tests.e2e.conftest import CHANNEL, MakeWorld, World, blocks_text

ZH = TEXTS[Language.ZH_HANS]
WEI = "U0WEI"
"""Wei's Slack locale is zh-CN: the app speaks Chinese to him."""


async def test_quick_send_to_one_number(world: World) -> None:
    await world.send("send +8613910825657 Your code is 4821")
    message = await world.channel_message()
    text = blocks_text(message.blocks)
    assert "SMS to +86 139 1082 5657" in text
    assert "<@U0ALICE>" in text and f"<#{CHANNEL}>" in text
    assert "Your code is 4821" in text
    assert "Accepted" in text and "GSM-7, 1 part" in text and "¥0.08" in text
    [sent] = world.sandbox.messages.values()
    assert list(sent.recipients) == ["8613910825657"] and sent.command == "MT_REQUEST"
    [send] = await world.sends()
    assert send.state == SendState.ACCEPTED and send.message_ts == message.ts
    [recipient] = await world.recipients()
    assert recipient.msgid and recipient.msgid in text
    await world.shows("*Delivered* 1")  # the sandbox's report arrives and is shown
    assert len(world.standin.calls_to("chat.postMessage")) == 1


async def test_quick_send_to_several_numbers_shows_counts(world: World) -> None:
    await world.send("send 8613910825657,+447400123456,008613910825657 hello")
    text = await world.channel_text()
    assert "SMS to 2 numbers" in text  # the duplicate is dropped
    assert "*Pending* 2" in text or "*Delivered* 2" in text
    await world.shows("*Delivered* 2")
    assert {r.number for r in await world.recipients()} == {"8613910825657", "447400123456"}


async def test_outside_text_is_escaped(world: World) -> None:
    await world.send("send 8613910825657 <!channel> click <https://evil.example|here> <@U0BOB>")
    text = await world.channel_text()
    assert "<!channel>" not in text and "<https://evil" not in text and "<@U0BOB>" not in text
    assert "&lt;!channel&gt;" in text


async def test_bad_quick_sends_send_nothing(world: World) -> None:
    for typed, expected in [
        ("send", None),  # opens the modal instead
        ("send abc hi", "not numbers I can send to"),
        ("send 8613910825657", "Write the numbers, then the message"),
        ("send 12,8613910825657 hi", "`12` — too short"),
    ]:
        if expected is None:
            await world.send(typed)
            await world.standin.wait_for_call("views.open")
            continue
        answer = await world.command(typed)
        assert expected in answer.text, answer.text
    assert not world.sandbox.messages
    assert not world.standin.calls_to("chat.postMessage")


async def test_voice_call_with_language(world: World) -> None:
    await world.send("voice 8613910825657 en-us Your code is 4821")
    text = await world.channel_text()
    assert "Voice call to +86 139 1082 5657" in text and "voice en-us" in text
    [sent] = world.sandbox.messages.values()
    assert (sent.command, sent.lang, sent.text) == ("VO_REQUEST", "en-us", "Your code is 4821")


async def test_voice_with_an_unknown_language_sends_nothing(world: World) -> None:
    answer = await world.command("voice 8613910825657 xx-yy hi")
    assert "Unknown voice language `xx-yy`" in answer.text and "en-us (English)" in answer.text
    answer = await world.command("voice 8613910825657")
    assert "Write the number, then the text" in answer.text
    assert not world.sandbox.messages


async def test_cannot_post_tells_the_user_and_sends_nothing(world: World) -> None:
    world.standin.cannot_post_in.add("C0SECRET")
    answer = await world.command("send 8613910825657 hello", channel="C0SECRET")
    assert "I can't post in <#C0SECRET>, so nothing was sent" in answer.text
    assert "/invite" in answer.text
    assert not world.sandbox.messages
    assert not await world.sends()


async def test_a_quick_send_the_balance_cannot_cover_is_refused_privately(world: World) -> None:
    world.sandbox.set_balance("Acme01", 0.1)
    answer = await world.command("send 8613910825657,8613910825658 hello")
    assert "Nothing was sent: this send would cost about ¥0.16, and the balance is ¥0.10" in answer.text
    assert "Top up" in answer.text
    answer = await world.command("send 8613910825657,8613910825658 您好", user=WEI)
    assert answer.text == ZH("quick.over_balance", cost="¥0.16", balance="¥0.10")
    assert ZH("quick.over_balance", cost="", balance="").startswith(":x: 没有发送任何内容：")
    assert not world.sandbox.messages and not world.standin.calls_to("chat.postMessage")
    assert not await world.sends()


async def test_rejected_send_shows_the_code_meaning(make_world: MakeWorld) -> None:
    """The confirmation warned that the balance won't do; sent anyway, the platform refuses."""
    world = await make_world(sms_confirm_above_cost=0.01)
    world.sandbox.set_balance("Acme01", 0)
    answer = await world.command("send 8613910825657 hello")
    assert "more than the balance" in blocks_text(answer.blocks)
    draft = next(b for b in answer.blocks if b["type"] == "actions")["elements"][0]["value"]
    await world.slack.click(ActionId.CONFIRM_SEND, draft)
    message = await world.channel_message()
    text = blocks_text(message.blocks)
    assert "Rejected" in text and "0107 — insufficient balance or credit" in text
    [send] = await world.sends()
    assert send.state == SendState.REJECTED
    assert [r.status for r in await world.recipients()] == [NumberStatus.REJECTED]


async def test_unknown_outcome_is_said_and_not_retried(make_world: MakeWorld) -> None:
    world = await make_world(santo_timeout=0.5)
    await world.command("price CN")  # the price is cached; from now on the platform is too slow
    world.sandbox.config.latency = 1.5
    await world.send("send 8613910825657 hello")
    text = await world.channel_text()
    assert "Outcome unknown" in text and "Don't resend" in text
    [send] = await world.sends()
    assert send.state == SendState.UNKNOWN
    await world.idle()
    assert len(world.sandbox.messages) <= 1  # one submit at most: never retried


async def test_above_the_recipient_threshold_a_quick_send_asks_first(make_world: MakeWorld) -> None:
    world = await make_world(sms_confirm_above_recipients=2)
    answer = await world.command("send 8613910825657,8613910825658,8613910825659 hello")
    text = blocks_text(answer.blocks)
    assert "Send this SMS to 3 numbers" in text and "China" in text and "¥0.24" in text
    assert not world.sandbox.messages
    draft = next(b for b in answer.blocks if b["type"] == "actions")["elements"][0]["value"]
    responses = len(world.standin.responses)
    status, _ = await world.slack.click(ActionId.CONFIRM_SEND, draft)
    assert status == 200
    await world.channel_message()
    await world.idle()
    status, _ = await world.slack.click(ActionId.CONFIRM_SEND, draft)
    await world.standin.wait_for(lambda: "already sent" in world.standin.responses[-1].text)
    await world.idle()
    assert len(world.sandbox.messages) == 1
    assert len(await world.sends()) == 1
    assert len(world.standin.responses) > responses


async def test_above_the_cost_threshold_a_quick_send_asks_first_and_cancel_sends_nothing(
    make_world: MakeWorld,
) -> None:
    world = await make_world(sms_confirm_above_cost=0.01)
    answer = await world.command("send 8613910825657 hello")
    assert "Send this SMS to 1 number" in blocks_text(answer.blocks)
    draft = next(b for b in answer.blocks if b["type"] == "actions")["elements"][1]["value"]
    await world.slack.click(ActionId.CANCEL_SEND, draft)
    await world.standin.wait_for(lambda: "Cancelled" in world.standin.responses[-1].text)
    await world.slack.click(ActionId.CONFIRM_SEND, draft)
    await world.standin.wait_for(lambda: "already sent or cancelled" in world.standin.responses[-1].text)
    assert not world.sandbox.messages


async def test_a_chinese_speakers_send_reads_chinese_in_the_channel_and_an_english_speakers_english(
    world: World,
) -> None:
    await world.send("send +8613910825657 您好，您的验证码是 4821", user=WEI)
    message = await world.shows(ZH("channel_message.counts.delivered", n=1))
    text = blocks_text(message.blocks)
    assert ZH("channel_message.context.accepted") in text and "<@U0WEI>" in text
    assert "sent by" not in text and "Delivered" not in text
    await world.send("send +8613910825658 Your code is 4821")
    english = blocks_text((await world.shows("*Delivered* 1")).blocks)
    assert "sent by <@U0ALICE>" in english and ZH("channel_message.context.accepted") not in english
    assert [send.ui_language for send in await world.sends()] == ["zh-Hans", "en"]


async def test_a_chinese_speaker_is_told_in_chinese_what_is_wrong(world: World) -> None:
    answer = await world.command("send abc,12,8613910825657 hi", user=WEI)
    assert (
        ZH("numbers.reason.bad_characters") in answer.text and ZH("numbers.reason.too_short") in answer.text
    )
    assert "`abc`" in answer.text and "Nothing was sent" not in answer.text
    assert ZH("quick.problem.send_usage") == (await world.command("send 8613910825657", user=WEI)).text
    answer = await world.command("voice 8613910825657 xx-yy 你好", user=WEI)
    assert all(ZH(f"codes.voice.{code}") in answer.text for code in VOICE_LANGUAGES)
    assert "Unknown voice language" not in answer.text and "English" not in answer.text
    answer = await world.command("voice 8610000000000 你好", user=WEI)
    assert country_name("CN", Language.ZH_HANS) in answer.text and "China" not in answer.text
    assert not world.sandbox.messages


async def test_a_chinese_speakers_confirmation_and_its_buttons_read_chinese(make_world: MakeWorld) -> None:
    world = await make_world(sms_confirm_above_cost=0.01)
    answer = await world.command("send 8613910825657,8613910825658 您好", user=WEI)
    assert answer.text == ZH("quick.confirm.review")
    draft = next(b for b in answer.blocks if b["type"] == "actions")["elements"][0]["value"]
    await world.slack.click(ActionId.CONFIRM_SEND, draft, user=WEI)
    await world.standin.wait_for(
        lambda: any(r.text == ZH.count("quick.confirm.sending", 2) for r in world.standin.responses)
    )
    await world.shows(ZH("channel_message.counts.delivered", n=2))
    await world.slack.click(ActionId.CANCEL_SEND, draft, user=WEI)
    await world.standin.wait_for(lambda: world.standin.responses[-1].text == ZH("quick.confirm.gone"))
    assert len(world.sandbox.messages) == 1


async def test_a_voice_calls_language_is_typed_short_or_taken_from_the_text(world: World) -> None:
    answer = await world.command("voice 8613910825657 Hello, your parcel has arrived")
    assert "Read in English (`en-us`), chosen from the text's script" in answer.text
    await world.send("voice 8613910825658 en Hello")
    answer = await world.command("voice 8613910825659 您好，您的包裹已到达", user=WEI)
    assert answer.text == ZH("quick.voice_from_text", lang="zh-cn", name=ZH("codes.voice.zh-cn"))
    await world.command("voice 8613910825650 Ваша посылка прибыла")
    await world.standin.wait_for(lambda: len(world.sandbox.messages) == 4, what="four calls")
    sent = sorted(world.sandbox.messages.values(), key=lambda m: next(iter(m.recipients)))
    assert [(m.lang, m.text) for m in sent] == [
        ("ru-ru", "Ваша посылка прибыла"),
        ("en-us", "Hello, your parcel has arrived"),
        ("en-us", "Hello"),
        ("zh-cn", "您好，您的包裹已到达"),
    ]


async def test_a_voice_call_to_two_numbers_says_one_number_per_call(world: World) -> None:
    answer = await world.command("voice 8613910825657,8613910825658 hello")
    assert "One number per voice call" in answer.text
    answer = await world.command("voice 8613910825657,8613910825658 您好", user=WEI)
    assert answer.text == ZH("quick.problem.one_number_per_call")
    assert not world.sandbox.messages


async def test_placeholders_in_a_typed_send_are_refused(world: World) -> None:
    answer = await world.command("send 8613910825657 Hello {name}, your code is {code}")
    assert "Nothing was sent: `{name}` `{code}` would go out exactly as typed" in answer.text
    answer = await world.command("send 8613910825657 {姓名}您好", user=WEI)
    assert answer.text == ZH("quick.problem.placeholders", names="`{姓名}`")
    answer = await world.command("voice 8613910825657 en Hello {name}")
    assert "`{name}`" in answer.text
    assert not world.sandbox.messages and not world.standin.calls_to("chat.postMessage")


async def test_the_confirmation_says_which_characters_make_a_text_unicode_and_its_cost_without(
    make_world: MakeWorld,
) -> None:
    world = await make_world(sms_confirm_above_cost=0.01)
    parcel = "Your parcel has arrived 📦 pick it up at the front desk before 6 pm today, thanks!"
    text = blocks_text((await world.command(f"send 8613910825657 {parcel}")).blocks)
    assert "UCS-2 (Unicode), 2 parts per message" in text and "¥0.16" in text
    assert "Unicode only because of 📦: without them it would be standard, 1 part per message, about ¥0.08" in text
    text = blocks_text((await world.command("send 8613910825657 Hello")).blocks)
    assert "GSM-7 (standard), 1 part per message" in text and "Unicode only" not in text
    text = blocks_text((await world.command(f"send 8613910825657 {parcel}", user=WEI)).blocks)
    assert ZH.count("send.confirm.unicode_because_cost", 1, chars="📦", cost="¥0.08") in text
    assert ZH.count("send.confirm.parts", 2, encoding=ZH("send.confirm.encoding.UCS2")) in text
    assert not world.sandbox.messages
