"""response_urls: made for synthetic interactions, and what Slack does with the posts to them."""

from __future__ import annotations

import time
from functools import partial
from typing import Any

from bot.dev.slack_standin.blockkit import MESSAGE_BLOCKS_MAX, block_problems
from bot.dev.slack_standin.protocol import flag
from bot.dev.slack_standin.records import Ephemeral, ResponsePost, ResponseTarget
from bot.dev.slack_standin.state import State

RESPONSE_URL_METHOD = "response_url"
"""`Call.method` of a post to a response_url (they are recorded in `calls` too)."""

RESPONSE_URL_USES = 5


def new_response_url(
    state: State, channel: str | None, user: str | None, message_ts: str | None
) -> str:
    if state.base_url is None:
        raise RuntimeError("set SlackStandIn.base_url to the served URL first")
    url_id = state.next_id("R")
    state.response_targets[url_id] = ResponseTarget(url_id, channel, user, message_ts)
    return f"{state.base_url.rstrip('/')}/response/{url_id}"


def post(state: State, url_id: str, body: Any) -> tuple[int, dict[str, Any]]:
    """The HTTP status and JSON Slack answers a post of `body` to response_url `url_id`."""
    target = state.response_targets.get(url_id)
    if target is None:
        return 404, {"ok": False, "error": "expired_url"}
    if target.uses >= RESPONSE_URL_USES:
        return 404, {"ok": False, "error": "used_url"}
    if not isinstance(body, dict):
        return 400, {"ok": False, "error": "invalid_payload"}
    showable = partial(state.showable_file, any_team=True)  # a response_url names no workspace
    if "blocks" in body and block_problems(body["blocks"], MESSAGE_BLOCKS_MAX, files=showable):
        return 400, {"ok": False, "error": "invalid_blocks"}
    if not (body.get("text") or body.get("blocks") or flag(body.get("delete_original"))):
        return 400, {"ok": False, "error": "no_text"}
    target.uses += 1
    _apply(state, target, body)
    return 200, {"ok": True}


def _apply(state: State, target: ResponseTarget, body: dict[str, Any]) -> None:
    """Delete or replace the bound message, post in the channel, or answer ephemerally."""
    now = time.time()
    response = ResponsePost(target.id, body, now, target.channel, target.user, target.message_ts)
    state.responses.append(response)
    original = (
        state.messages.get((target.channel, target.message_ts))
        if target.channel and target.message_ts
        else None
    )
    if response.delete_original:
        if original is not None:
            original.deleted = True
        return
    if response.replace_original and original is not None and not original.deleted:
        state.update_message(original, {"text": response.text, "blocks": response.blocks}, now)
        return
    if response.response_type == "in_channel" and target.channel:
        thread_ts = body.get("thread_ts") if isinstance(body.get("thread_ts"), str) else None
        state.store_message(target.channel, response.text, response.blocks, thread_ts, {}, now)
        return
    state.ephemerals.append(
        Ephemeral(
            channel=target.channel,
            user=target.user,
            text=response.text,
            blocks=response.blocks,
            ts=state.next_ts(),
            via=RESPONSE_URL_METHOD,
            at=now,
        )
    )
