"""conversations.info, .join, .open, .history and .replies."""

from __future__ import annotations

from typing import Any

from bot.dev.slack_standin.protocol import ApiError
from bot.dev.slack_standin.state import Handler, State


def _known_channel(state: State, raw: Any) -> str:
    """Only channels the workspace has (channel_names or DMs)."""
    channel = state.resolve_channel(raw)
    if channel not in state.channel_names and channel not in state.dms:
        raise ApiError("channel_not_found")
    return channel


def _channel_info(state: State, channel: str) -> dict[str, Any]:
    if channel in state.dms:
        return {
            "id": channel,
            "is_im": True,
            "is_channel": False,
            "is_private": True,
            "user": state.dms[channel],
            "is_member": True,
            "is_archived": False,
        }
    private = channel in state.private_channels
    return {
        "id": channel,
        "name": state.channel_names[channel],
        "is_channel": not private,
        "is_group": private,
        "is_im": False,
        "is_private": private,
        "is_archived": False,
        "is_general": state.channel_names[channel] == "general",
        "is_member": channel not in state.cannot_post_in,
        "context_team_id": state.team_id,
    }


def info(state: State, args: dict[str, Any], origin: str) -> dict[str, Any]:
    channel = _known_channel(state, args.get("channel"))
    return {"ok": True, "channel": _channel_info(state, channel)}


def join(state: State, args: dict[str, Any], origin: str) -> dict[str, Any]:
    channel = _known_channel(state, args.get("channel"))
    if channel in state.dms or channel in state.private_channels:
        raise ApiError("method_not_supported_for_channel_type")
    state.cannot_post_in.discard(channel)
    return {"ok": True, "channel": _channel_info(state, channel)}


def open_dm(state: State, args: dict[str, Any], origin: str) -> dict[str, Any]:
    users = [u for u in str(args.get("users") or "").split(",") if u]
    if len(users) != 1:
        raise ApiError("users_list_not_supplied" if not users else "not_enough_users")
    if users[0] not in state.users:
        raise ApiError("user_not_found")
    return {"ok": True, "channel": {"id": state.dm_with(users[0])}}


def history(state: State, args: dict[str, Any], origin: str) -> dict[str, Any]:
    channel = _known_channel(state, args.get("channel"))
    limit = int(args.get("limit") or 100)
    newest_first = list(reversed(state.channel_messages(channel)))
    return {
        "ok": True,
        "messages": [m.to_api(state.team_id) for m in newest_first[:limit]],
        "has_more": len(newest_first) > limit,
    }


def replies(state: State, args: dict[str, Any], origin: str) -> dict[str, Any]:
    parent = state.own_message(args)
    chain = [parent, *state.thread(parent.channel, parent.ts)]
    return {"ok": True, "messages": [m.to_api(state.team_id) for m in chain], "has_more": False}


HANDLERS: dict[str, Handler] = {
    "conversations.info": info,
    "conversations.join": join,
    "conversations.open": open_dm,
    "conversations.history": history,
    "conversations.replies": replies,
}
