"""The Slack Web API stand-in, driven by the real slack_sdk client over loopback."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import InputBlock, PlainTextInputElement, SectionBlock
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from bot.dev.slack_standin import Call, SlackStandIn
from tests.conftest import Serve

GENERAL = "C0GENERAL"


@pytest.fixture
async def standin(serve: Serve) -> SlackStandIn:
    standin = SlackStandIn()
    standin.base_url = await serve(standin.app())
    return standin


@pytest.fixture
def client(standin: SlackStandIn) -> AsyncWebClient:
    return AsyncWebClient(token=standin.token, base_url=standin.api_url())


def modal(title: str = "Send SMS", **kwargs: Any) -> View:
    return View(type="modal", title=title, blocks=[SectionBlock(text="hello")], **kwargs)


async def api_error(call: Any) -> SlackApiError:
    with pytest.raises(SlackApiError) as info:
        await call
    return info.value


# --------------------------------------------------------------------------- auth & plumbing


async def test_auth_test_describes_the_bot(client: AsyncWebClient) -> None:
    answer = await client.auth_test()
    assert answer["user_id"] == "UBOT"
    assert answer["team_id"] == "T0TEST"
    assert answer["bot_id"]


async def test_bad_token_is_invalid_auth_and_changes_nothing(standin: SlackStandIn) -> None:
    bad = AsyncWebClient(token="xoxb-wrong", base_url=standin.api_url())
    error = await api_error(bad.chat_postMessage(channel=GENERAL, text="hi"))
    assert error.response["error"] == "invalid_auth"
    assert standin.messages == {}
    assert standin.calls[-1].error == "invalid_auth"


async def test_missing_token_is_not_authed(standin: SlackStandIn) -> None:
    async with aiohttp.ClientSession() as http, http.post(standin.api_url() + "auth.test") as resp:
        assert (await resp.json())["error"] == "not_authed"


async def test_form_body_with_token_field_and_json_string_blocks(standin: SlackStandIn) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*bold*"}}]
    form = {"token": standin.token, "channel": GENERAL, "text": "t", "blocks": json.dumps(blocks)}
    url = standin.api_url() + "chat.postMessage"
    async with aiohttp.ClientSession() as http, http.post(url, data=form) as resp:
        answer = await resp.json()
    assert answer["ok"] is True
    assert standin.messages[(GENERAL, answer["ts"])].blocks == blocks
    assert standin.calls[-1].args["blocks"] == blocks  # decoded, not a string
    assert "token" not in standin.calls[-1].args


async def test_unknown_method(client: AsyncWebClient) -> None:
    error = await api_error(client.api_call("chat.sendCarrierPigeon"))
    assert error.response["error"] == "unknown_method"


def test_api_url_needs_a_base() -> None:
    standin = SlackStandIn()
    assert standin.api_url("http://127.0.0.1:9") == "http://127.0.0.1:9/api/"
    with pytest.raises(RuntimeError):
        standin.api_url()
    with pytest.raises(RuntimeError):
        standin.new_response_url()


# --------------------------------------------------------------------------- messages


async def test_post_message_with_blocks_is_stored(standin: SlackStandIn, client: AsyncWebClient) -> None:
    answer = await client.chat_postMessage(
        channel=GENERAL, text="fallback", blocks=[SectionBlock(block_id="b1", text="*SMS* sent")]
    )
    assert answer["channel"] == GENERAL
    assert re.fullmatch(r"\d{10}\.\d{6}", answer["ts"])
    assert answer["message"]["text"] == "fallback"

    message = standin.last_message(GENERAL)
    assert message is not None
    assert (message.ts, message.text, message.user) == (answer["ts"], "fallback", "UBOT")
    assert message.blocks == [
        {"type": "section", "block_id": "b1", "text": {"type": "mrkdwn", "text": "*SMS* sent"}}
    ]
    [call] = standin.calls_to("chat.postMessage")
    assert call.ok and call.status == 200
    assert call.args["channel"] == GENERAL
    assert call.response["ts"] == answer["ts"]


async def test_ts_are_unique_and_increasing(standin: SlackStandIn, client: AsyncWebClient) -> None:
    stamps = [
        (await client.chat_postMessage(channel=ch, text=str(n)))["ts"]
        for n, ch in enumerate([GENERAL, "C0OPS", GENERAL, "C0RANDOM"])
    ]
    assert stamps[0] == "1700000000.000100"
    assert len(set(stamps)) == 4
    assert stamps == sorted(stamps, key=float)
    assert standin.last_message(GENERAL).text == "2"  # type: ignore[union-attr]


async def test_thread_replies_in_order(standin: SlackStandIn, client: AsyncWebClient) -> None:
    parent = (await client.chat_postMessage(channel=GENERAL, text="home"))["ts"]
    first = await client.chat_postMessage(channel=GENERAL, text="r1", thread_ts=parent)
    # A reply's ts used as thread_ts still lands in the parent's thread.
    await client.chat_postMessage(channel=GENERAL, text="r2", thread_ts=first["ts"])
    await client.chat_postMessage(channel="C0OPS", text="elsewhere")

    assert [m.text for m in standin.thread(GENERAL, parent)] == ["r1", "r2"]
    assert all(m.thread_ts == parent for m in standin.thread(GENERAL, parent))
    assert first["message"]["thread_ts"] == parent
    last = standin.last_message(GENERAL)
    assert last is not None and last.text == "home"  # replies are not top level
    assert standin.last_message(GENERAL, include_replies=True).text == "r2"  # type: ignore[union-attr]


async def test_update_keeps_history_and_unsent_fields(standin: SlackStandIn, client: AsyncWebClient) -> None:
    posted = await client.chat_postMessage(
        channel=GENERAL, text="Pending 3", blocks=[SectionBlock(text="Pending 3")]
    )
    ts = posted["ts"]
    await client.chat_update(channel=GENERAL, ts=ts, text="Delivered 1")
    answer = await client.chat_update(
        channel=GENERAL, ts=ts, text="Delivered 3", blocks=[SectionBlock(text="Delivered 3")]
    )
    assert answer["ts"] == ts

    message = standin.messages[(GENERAL, ts)]
    assert message.updates == 2
    assert message.text == "Delivered 3"
    assert message.blocks[0]["text"]["text"] == "Delivered 3"
    assert [v.text for v in message.history] == ["Pending 3", "Delivered 1"]
    # The first update sent no blocks: Slack keeps the previous ones.
    assert message.history[1].blocks[0]["text"]["text"] == "Pending 3"


async def test_update_unknown_message(standin: SlackStandIn, client: AsyncWebClient) -> None:
    error = await api_error(client.chat_update(channel=GENERAL, ts="1.000100", text="x"))
    assert error.response["error"] == "message_not_found"
    human = standin.post_user_message(GENERAL, "U0ALICE", "hello")
    error = await api_error(client.chat_update(channel=GENERAL, ts=human.ts, text="x"))
    assert error.response["error"] == "cant_update_message"


async def test_delete_hides_the_message(standin: SlackStandIn, client: AsyncWebClient) -> None:
    ts = (await client.chat_postMessage(channel=GENERAL, text="oops"))["ts"]
    await client.chat_delete(channel=GENERAL, ts=ts)
    assert standin.messages[(GENERAL, ts)].deleted
    assert standin.last_message(GENERAL) is None
    error = await api_error(client.chat_update(channel=GENERAL, ts=ts, text="x"))
    assert error.response["error"] == "message_not_found"


async def test_post_ephemeral(standin: SlackStandIn, client: AsyncWebClient) -> None:
    answer = await client.chat_postEphemeral(channel=GENERAL, user="U0ALICE", text="only you")
    [ephemeral] = standin.ephemerals
    assert ephemeral.ts == answer["message_ts"]
    assert (ephemeral.channel, ephemeral.user, ephemeral.text) == (GENERAL, "U0ALICE", "only you")
    assert standin.messages == {}


async def test_post_to_user_id_goes_to_the_dm(standin: SlackStandIn, client: AsyncWebClient) -> None:
    answer = await client.chat_postMessage(channel="U0BOB", text="psst")
    assert answer["channel"].startswith("D")
    info = await client.conversations_info(channel=answer["channel"])
    assert info["channel"]["is_im"] and info["channel"]["user"] == "U0BOB"


async def test_cannot_post_in_and_unknown_channels(standin: SlackStandIn, client: AsyncWebClient) -> None:
    standin.cannot_post_in.add("C0PRIVATE")
    standin.unknown_channels.add("C0GONE")
    error = await api_error(client.chat_postMessage(channel="C0PRIVATE", text="x"))
    assert error.response["error"] == "not_in_channel"
    error = await api_error(client.chat_postMessage(channel="C0GONE", text="x"))
    assert error.response["error"] == "channel_not_found"
    assert standin.messages == {}
    assert [c.error for c in standin.calls] == ["not_in_channel", "channel_not_found"]


async def test_message_content_rules(standin: SlackStandIn, client: AsyncWebClient) -> None:
    error = await api_error(client.api_call("chat.postMessage", json={"channel": GENERAL}))
    assert error.response["error"] == "no_text"
    too_many = [SectionBlock(text=f"{n}") for n in range(51)]
    error = await api_error(client.chat_postMessage(channel=GENERAL, text="x", blocks=too_many))
    assert error.response["error"] == "invalid_blocks"
    # (slack_sdk's SectionBlock refuses this itself; an app building dicts would not notice.)
    long_text = [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}]
    error = await api_error(client.chat_postMessage(channel=GENERAL, text="x", blocks=long_text))
    assert error.response["error"] == "invalid_blocks"
    assert "3001" in error.response["response_metadata"]["messages"][0]
    # At the limits it is fine.
    fits = [SectionBlock(text="x" * 3000)] * 50
    assert (await client.chat_postMessage(channel=GENERAL, text="x", blocks=fits))["ok"]


# --------------------------------------------------------------------------- conversations, users


async def test_conversations_info_and_join(standin: SlackStandIn, client: AsyncWebClient) -> None:
    info = await client.conversations_info(channel=GENERAL)
    assert info["channel"]["name"] == "general"
    error = await api_error(client.conversations_info(channel="C0NOPE"))
    assert error.response["error"] == "channel_not_found"

    standin.cannot_post_in.add("C0OPS")
    assert not (await client.conversations_info(channel="C0OPS"))["channel"]["is_member"]
    await client.conversations_join(channel="C0OPS")
    assert (await client.chat_postMessage(channel="C0OPS", text="now I can"))["ok"]

    standin.channel_names["G0SECRET"] = "secret"
    standin.private_channels.add("G0SECRET")
    error = await api_error(client.conversations_join(channel="G0SECRET"))
    assert error.response["error"] == "method_not_supported_for_channel_type"


async def test_users_info(standin: SlackStandIn, client: AsyncWebClient) -> None:
    plain = await client.users_info(user="U0ALICE")
    assert plain["user"]["name"] == "alice"
    assert plain["user"]["real_name"] == "Alice Chen"
    assert plain["user"]["tz"] == "Asia/Shanghai"
    assert "locale" not in plain["user"]
    with_locale = await client.users_info(user="U0WEI", include_locale=True)
    assert with_locale["user"]["locale"] == "zh-CN"
    error = await api_error(client.users_info(user="U0NOBODY"))
    assert error.response["error"] == "user_not_found"


# --------------------------------------------------------------------------- views


async def test_views_open_push_update(standin: SlackStandIn, client: AsyncWebClient) -> None:
    opened = await client.views_open(trigger_id="111.222.aaa", view=modal(callback_id="send"))
    root = opened["view"]
    assert root["id"].startswith("V") and root["hash"] and root["root_view_id"] == root["id"]
    assert standin.views[root["id"]].callback_id == "send"

    pushed = await client.views_push(
        trigger_id=standin.new_trigger_id(view_id=root["id"]), view=modal("Confirm")
    )
    assert pushed["view"]["previous_view_id"] == root["id"]
    assert [v.title for v in standin.view_stack("111.222.aaa")] == ["Send SMS", "Confirm"]

    updated = await client.views_update(view_id=pushed["view"]["id"], view=modal("Sending…"))
    record = standin.views[pushed["view"]["id"]]
    assert record.title == "Sending…" and record.updates == 1
    assert record.history[0]["title"]["text"] == "Confirm"
    assert updated["view"]["hash"] != pushed["view"]["hash"]

    error = await api_error(
        client.views_update(view_id=record.id, hash=pushed["view"]["hash"], view=modal("x"))
    )
    assert error.response["error"] == "hash_conflict"
    error = await api_error(client.views_update(view_id="VNOPE", view=modal()))
    assert error.response["error"] == "not_found"


async def test_views_update_by_external_id(standin: SlackStandIn, client: AsyncWebClient) -> None:
    await client.views_open(trigger_id="t1", view=modal(external_id="send-42"))
    await client.views_update(external_id="send-42", view=modal("Done", external_id="send-42"))
    [record] = standin.views.values()
    assert record.title == "Done"
    error = await api_error(client.views_update(external_id="send-43", view=modal()))
    assert error.response["error"] == "not_found"
    error = await api_error(client.views_open(trigger_id="t2", view=modal(external_id="send-42")))
    assert error.response["error"] == "duplicate_external_id"


async def test_triggers_are_single_use(standin: SlackStandIn, client: AsyncWebClient) -> None:
    await client.views_open(trigger_id="t1", view=modal())
    error = await api_error(client.views_open(trigger_id="t1", view=modal()))
    assert error.response["error"] == "exchanged_trigger_id"
    standin.expired_triggers.add("t-old")
    error = await api_error(client.views_open(trigger_id="t-old", view=modal()))
    assert error.response["error"] == "expired_trigger_id"
    error = await api_error(client.views_open(trigger_id="", view=modal()))
    assert error.response["error"] == "invalid_arguments"
    assert len(standin.views) == 1


async def test_push_limit(standin: SlackStandIn, client: AsyncWebClient) -> None:
    root = (await client.views_open(trigger_id="t1", view=modal()))["view"]["id"]
    for _ in range(2):
        await client.views_push(trigger_id=standin.new_trigger_id(view_id=root), view=modal())
    error = await api_error(client.views_push(trigger_id=standin.new_trigger_id(view_id=root), view=modal()))
    assert error.response["error"] == "push_limit_reached"
    assert len(standin.view_stack("t1")) == 3


async def test_view_rules(standin: SlackStandIn, client: AsyncWebClient) -> None:
    long_title = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Send an SMS to many numbers"},  # 27 > 24
        "blocks": [],
    }
    error = await api_error(client.views_open(trigger_id="t1", view=long_title))
    assert error.response["error"] == "invalid_arguments"
    assert "/view/title" in " ".join(error.response["response_metadata"]["messages"])
    needs_submit = View(
        type="modal",
        title="Send",
        blocks=[InputBlock(label="Numbers", element=PlainTextInputElement(action_id="n"))],
    )
    error = await api_error(client.views_open(trigger_id="t2", view=needs_submit))
    assert "submit" in " ".join(error.response["response_metadata"]["messages"])
    assert standin.views == {}


async def test_views_publish(standin: SlackStandIn, client: AsyncWebClient) -> None:
    home = View(type="home", blocks=[SectionBlock(text="Balance ¥12.00")])
    first = await client.views_publish(user_id="U0ALICE", view=home)
    again = await client.views_publish(
        user_id="U0ALICE", view=View(type="home", blocks=[SectionBlock(text="Balance ¥11.95")])
    )
    assert first["view"]["id"] == again["view"]["id"] == standin.home_tabs["U0ALICE"]
    assert standin.views[first["view"]["id"]].blocks[0]["text"]["text"] == "Balance ¥11.95"
    error = await api_error(client.views_publish(user_id="U0ALICE", view=modal()))
    assert error.response["error"] == "invalid_arguments"


# --------------------------------------------------------------------------- files


async def test_files_upload_v2(standin: SlackStandIn, client: AsyncWebClient) -> None:
    parent = (await client.chat_postMessage(channel=GENERAL, text="home"))["ts"]
    answer = await client.files_upload_v2(
        channel=GENERAL,
        content="number,status\n+8613800138000,Failed\n",
        filename="failures.csv",
        title="Failures",
        initial_comment="7 numbers failed",
        thread_ts=parent,
    )
    assert answer["file"]["name"] == "failures.csv"
    [upload] = standin.uploads
    assert upload.content == b"number,status\n+8613800138000,Failed\n"
    assert (upload.filename, upload.title, upload.channels) == (
        "failures.csv",
        "Failures",
        [GENERAL],
    )
    assert upload.initial_comment == "7 numbers failed" and upload.completed
    [reply] = standin.thread(GENERAL, parent)
    assert reply.text == "7 numbers failed"
    assert reply.files[0]["id"] == upload.file_id


async def test_upload_to_channel_bot_cannot_post_in(standin: SlackStandIn, client: AsyncWebClient) -> None:
    standin.cannot_post_in.add("C0OPS")
    error = await api_error(client.files_upload_v2(channel="C0OPS", content="x", filename="a.txt"))
    assert error.response["error"] == "not_in_channel"
    assert not standin.uploads[0].completed


def image(file_id: str) -> list[dict[str, Any]]:
    return [{"type": "image", "slack_file": {"id": file_id}, "alt_text": "a chart"}]


async def test_an_image_block_shows_only_a_file_uploaded_here_and_processed(
    standin: SlackStandIn, client: AsyncWebClient
) -> None:
    standin.file_processing = 0.3  # Slack takes a moment over an upload
    answer = await client.files_upload_v2(content=b"\x89PNG...", filename="chart.png")  # no channel: private
    file_id = answer["files"][0]["id"]
    assert standin.uploads[0].channels == [] and standin.channel_messages(GENERAL) == []
    assert (await client.files_info(file=file_id))["file"]["mimetype"] == ""  # still processing
    error = await api_error(client.chat_postMessage(channel=GENERAL, text="chart", blocks=image(file_id)))
    assert error.response["error"] == "invalid_blocks"
    assert error.response["response_metadata"]["messages"] == [
        "[ERROR] invalid slack file [json-pointer:/blocks/0/slack_file]"
    ]

    await asyncio.sleep(0.3)
    assert (await client.files_info(file=file_id))["file"]["mimetype"] == "image/png"
    await client.chat_postMessage(channel=GENERAL, text="chart", blocks=image(file_id))
    for unknown in ("F99999999", "not-a-file"):
        error = await api_error(client.chat_postMessage(channel=GENERAL, text="x", blocks=image(unknown)))
        assert error.response["error"] == "invalid_blocks"
    standin.team_tokens["xoxb-other"] = "T0OTHER"
    other = AsyncWebClient(token="xoxb-other", base_url=standin.api_url())
    error = await api_error(other.chat_postMessage(channel=GENERAL, text="x", blocks=image(file_id)))
    assert error.response["error"] == "invalid_blocks"  # another workspace's file
    error = await api_error(
        client.views_publish(user_id="U0ALICE", view={"type": "home", "blocks": image("F99999999")})
    )
    assert error.response["error"] == "invalid_arguments"
    await client.views_publish(user_id="U0ALICE", view={"type": "home", "blocks": image(file_id)})


# --------------------------------------------------------------------------- faults


async def test_rate_limit(standin: SlackStandIn, client: AsyncWebClient) -> None:
    standin.rate_limit("chat.postMessage", times=2, retry_after=7)
    for _ in range(2):
        error = await api_error(client.chat_postMessage(channel=GENERAL, text="x"))
        assert error.response.status_code == 429
        assert error.response.headers["Retry-After"] == "7"
        assert error.response["error"] == "ratelimited"
    assert standin.messages == {}
    # Other methods are not limited, and the third call goes through.
    assert (await client.auth_test())["ok"]
    assert (await client.chat_postMessage(channel=GENERAL, text="x"))["ok"]
    assert [c.status for c in standin.calls_to("chat.postMessage")] == [429, 429, 200]
    assert not standin.calls[0].ok


async def test_fail(standin: SlackStandIn, client: AsyncWebClient) -> None:
    ts = (await client.chat_postMessage(channel=GENERAL, text="v1"))["ts"]
    standin.fail("chat.update", times=1)
    error = await api_error(client.chat_update(channel=GENERAL, ts=ts, text="v2"))
    assert error.response.status_code == 500
    assert standin.messages[(GENERAL, ts)].text == "v1"
    assert standin.messages[(GENERAL, ts)].updates == 0
    failed = standin.calls_to("chat.update")[0]
    assert failed.status == 500 and failed.args["text"] == "v2"

    standin.fail("*", times=1, status=503, error=None)  # an HTML page from a proxy
    error = await api_error(client.chat_update(channel=GENERAL, ts=ts, text="v2"))
    assert error.response.status_code == 503
    assert error.response.data == {}
    await client.chat_update(channel=GENERAL, ts=ts, text="v2")
    assert standin.messages[(GENERAL, ts)].text == "v2"


# --------------------------------------------------------------------------- response_url


async def post_json(url: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as http, http.post(url, json=body) as resp:
        return resp.status, await resp.json()


async def test_response_url_posts(standin: SlackStandIn, client: AsyncWebClient) -> None:
    url = standin.new_response_url(channel=GENERAL, user="U0ALICE")
    assert url.startswith(f"{standin.base_url}/response/")
    assert await post_json(url, {"text": "Balance: ¥12.00"}) == (200, {"ok": True})
    assert await post_json(url, {"text": "Sent", "response_type": "in_channel"}) == (
        200,
        {"ok": True},
    )
    first, second = standin.responses
    assert (first.text, first.response_type, first.user) == (
        "Balance: ¥12.00",
        "ephemeral",
        "U0ALICE",
    )
    assert second.response_type == "in_channel"
    assert [e.text for e in standin.ephemerals] == ["Balance: ¥12.00"]
    assert standin.last_message(GENERAL).text == "Sent"  # type: ignore[union-attr]
    assert [c.method for c in standin.calls] == ["response_url", "response_url"]


async def test_response_url_replace_and_delete_original(
    standin: SlackStandIn, client: AsyncWebClient
) -> None:
    ts = (await client.chat_postMessage(channel=GENERAL, text="Confirm?"))["ts"]
    url = standin.new_response_url(channel=GENERAL, user="U0ALICE", message_ts=ts)
    await post_json(url, {"replace_original": True, "text": "Sending…"})
    message = standin.messages[(GENERAL, ts)]
    assert message.text == "Sending…" and message.updates == 1
    assert standin.responses[0].replace_original
    await post_json(url, {"delete_original": True})
    assert message.deleted


async def test_response_url_limits(standin: SlackStandIn) -> None:
    url = standin.new_response_url(channel=GENERAL, user="U0ALICE")
    for n in range(5):
        assert (await post_json(url, {"text": f"{n}"}))[0] == 200
    assert await post_json(url, {"text": "sixth"}) == (404, {"ok": False, "error": "used_url"})
    assert (await post_json(f"{standin.base_url}/response/RNOPE", {"text": "x"}))[0] == 404
    assert len(standin.responses) == 5


# --------------------------------------------------------------------------- listeners & waiting


async def test_listeners(standin: SlackStandIn, client: AsyncWebClient) -> None:
    seen_sync: list[str] = []
    seen_async: list[str] = []
    seen_all: list[str] = []

    async def on_call(call: Call) -> None:
        await asyncio.sleep(0)
        seen_async.append(call.method)

    def broken(call: Call) -> None:
        raise RuntimeError("a console bug must not break the API")

    standin.add_listener(broken)
    standin.add_listener(lambda call: seen_sync.append(call.method))
    standin.add_listener(on_call)
    standin.add_listener(lambda call: seen_all.append(call.error or "ok"), failures=True)

    await client.chat_postMessage(channel=GENERAL, text="1")
    standin.cannot_post_in.add("C0OPS")
    await api_error(client.chat_postMessage(channel="C0OPS", text="2"))
    standin.rate_limit("chat.postMessage", 1, 1)
    await api_error(client.chat_postMessage(channel=GENERAL, text="3"))
    await client.chat_postEphemeral(channel=GENERAL, user="U0BOB", text="4")

    assert seen_sync == seen_async == ["chat.postMessage", "chat.postEphemeral"]
    assert seen_all == ["ok", "not_in_channel", "ratelimited", "ok"]

    standin.remove_listener(on_call)
    await client.auth_test()
    assert seen_async == ["chat.postMessage", "chat.postEphemeral"]
    assert seen_sync[-1] == "auth.test"


async def test_wait_for_wakes_on_a_call(standin: SlackStandIn, client: AsyncWebClient) -> None:
    async def later() -> None:
        await asyncio.sleep(0.05)
        await client.chat_postMessage(channel=GENERAL, text="late")

    task = asyncio.create_task(later())
    await standin.wait_for(lambda: standin.last_message(GENERAL) is not None, timeout=2)
    assert standin.last_message(GENERAL).text == "late"  # type: ignore[union-attr]
    await task

    call = await standin.wait_for_call("chat.postMessage")
    assert call.response["ts"] == standin.last_message(GENERAL).ts  # type: ignore[union-attr]


async def test_wait_for_times_out_with_context(standin: SlackStandIn, client: AsyncWebClient) -> None:
    standin.cannot_post_in.add("C0OPS")
    await api_error(client.chat_postMessage(channel="C0OPS", text="x"))
    with pytest.raises(AssertionError) as info:
        await standin.wait_for(lambda: len(standin.messages) > 0, timeout=0.1)
    text = str(info.value)
    assert "len(standin.messages) > 0" in text
    assert "chat.postMessage(C0OPS) -> not_in_channel" in text

    with pytest.raises(AssertionError, match="1 call"):
        await standin.wait_for_call("views.open", timeout=0.05)
