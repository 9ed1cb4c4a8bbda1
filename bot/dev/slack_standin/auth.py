"""api.test and auth.test."""

from __future__ import annotations

from typing import Any

from bot.dev.slack_standin.state import Handler, State


def api_test(state: State, args: dict[str, Any], origin: str) -> dict[str, Any]:
    return {"ok": True, "args": args}


def auth_test(state: State, args: dict[str, Any], origin: str) -> dict[str, Any]:
    return {
        "ok": True,
        "url": f"https://{state.team_domain}.slack.com/",
        "team": state.team_name,
        "user": state.users.get(state.bot_user_id, {}).get("name", "santo"),
        "team_id": state.calling_team,
        "user_id": state.bot_user_id,
        "bot_id": state.bot_id,
        "app_id": state.app_id,
        "is_enterprise_install": False,
    }


HANDLERS: dict[str, Handler] = {
    "api.test": api_test,
    "auth.test": auth_test,
}
