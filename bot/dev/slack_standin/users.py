"""users.info and usergroups.users.list."""

from __future__ import annotations

from typing import Any

from bot.dev.slack_standin.protocol import ApiError, flag, str_arg
from bot.dev.slack_standin.state import Handler, State


def users_info(state: State, args: dict[str, Any], origin: str) -> dict[str, Any]:
    user = state.users.get(str_arg(args, "user") or "")
    if user is None:
        raise ApiError("user_not_found")
    out = dict(user)
    out.setdefault("team_id", state.team_id)
    if not flag(args.get("include_locale")):
        out.pop("locale", None)
    return {"ok": True, "user": out}


def usergroups_users_list(state: State, args: dict[str, Any], origin: str) -> dict[str, Any]:
    group = str_arg(args, "usergroup")
    if group is None or group not in state.usergroups:
        raise ApiError("no_such_subteam")
    return {"ok": True, "users": list(state.usergroups[group])}


HANDLERS: dict[str, Handler] = {
    "users.info": users_info,
    "usergroups.users.list": usergroups_users_list,
}
