"""chat.postMessage, chat.update, chat.postEphemeral, chat.delete and chat.getPermalink."""

from __future__ import annotations

import time
from typing import Any

from bot.dev.slack_standin.blockkit import MESSAGE_BLOCKS_MAX, block_problems
from bot.dev.slack_standin.protocol import ApiError, flag, str_arg
from bot.dev.slack_standin.records import Ephemeral
from bot.dev.slack_standin.state import Handler, State

MESSAGE_TEXT_MAX = 40_000
ATTACHMENTS_MAX = 100


def content(state: State, args: dict[str, Any], *, required: bool) -> dict[str, Any]:
    """Validated text/blocks/attachments/metadata present in `args`."""
    out: dict[str, Any] = {}
    text = args.get("text")
    if text is not None:
        out["text"] = str(text)
        if len(out["text"]) > MESSAGE_TEXT_MAX:
            raise ApiError("msg_too_long")
    if "blocks" in args:
        problems = block_problems(args["blocks"], MESSAGE_BLOCKS_MAX, files=state.showable_file)
        if problems:
            raise ApiError("invalid_blocks", problems)
        out["blocks"] = args["blocks"]
    if "attachments" in args:
        attachments = args["attachments"]
        if not isinstance(attachments, list):
            raise ApiError("invalid_attachments")
        if len(attachments) > ATTACHMENTS_MAX:
            raise ApiError("too_many_attachments")
        out["attachments"] = [item for item in attachments if isinstance(item, dict)]
    if "metadata" in args:
        metadata = args["metadata"]
        if not isinstance(metadata, dict):
            raise ApiError("invalid_metadata_format")
        out["metadata"] = metadata
    if required and not (out.get("text") or out.get("blocks") or out.get("attachments")):
        raise ApiError("no_text")
    return out


def post_message(state: State, args: dict[str, Any], origin: str) -> dict[str, Any]:
    channel = state.postable(args.get("channel"))
    posted = content(state, args, required=True)
    message = state.store_message(
        channel,
        posted.get("text", ""),
        posted.get("blocks", []),
        str_arg(args, "thread_ts"),
        posted,
        time.time(),
        reply_broadcast=flag(args.get("reply_broadcast")),
    )
    return {
        "ok": True,
        "channel": channel,
        "ts": message.ts,
        "message": message.to_api(state.team_id),
    }


def update(state: State, args: dict[str, Any], origin: str) -> dict[str, Any]:
    message = state.own_message(args)
    if message.user != state.bot_user_id:
        raise ApiError("cant_update_message")
    changed = content(state, args, required=False)
    if not (set(changed) & {"text", "blocks", "attachments"}):
        raise ApiError("no_text")
    state.update_message(message, changed, time.time())
    return {
        "ok": True,
        "channel": message.channel,
        "ts": message.ts,
        "text": message.text,
        "message": message.to_api(state.team_id),
    }


def post_ephemeral(state: State, args: dict[str, Any], origin: str) -> dict[str, Any]:
    channel = state.postable(args.get("channel"))
    user = str_arg(args, "user")
    if user is None:
        raise ApiError("user_not_found")
    posted = content(state, args, required=True)
    ts = state.next_ts()
    state.ephemerals.append(
        Ephemeral(
            channel=channel,
            user=user,
            text=posted.get("text", ""),
            blocks=posted.get("blocks", []),
            ts=ts,
            thread_ts=str_arg(args, "thread_ts"),
            at=time.time(),
        )
    )
    return {"ok": True, "message_ts": ts}


def delete(state: State, args: dict[str, Any], origin: str) -> dict[str, Any]:
    message = state.own_message(args)
    if message.user != state.bot_user_id:
        raise ApiError("cant_delete_message")
    message.deleted = True
    return {"ok": True, "channel": message.channel, "ts": message.ts}


def get_permalink(state: State, args: dict[str, Any], origin: str) -> dict[str, Any]:
    message = state.own_message(args, "message_ts")
    link = (
        f"https://{state.team_domain}.slack.com/archives/{message.channel}/p{message.ts.replace('.', '')}"
    )
    return {"ok": True, "channel": message.channel, "permalink": link}


HANDLERS: dict[str, Handler] = {
    "chat.postMessage": post_message,
    "chat.update": update,
    "chat.postEphemeral": post_ephemeral,
    "chat.delete": delete,
    "chat.getPermalink": get_permalink,
}
