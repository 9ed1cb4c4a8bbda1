"""oauth.v2.access: the end of Slack's install flow, for workspaces offered with
`SlackStandIn.offer_install` (each code works once)."""

from __future__ import annotations

import secrets
from typing import Any

from bot.dev.slack_standin.protocol import ApiError
from bot.dev.slack_standin.state import Handler, State


def oauth_v2_access(state: State, args: dict[str, Any], origin: str) -> dict[str, Any]:
    offered = state.install_codes.pop(str(args.get("code") or ""), None)
    if offered is None:
        raise ApiError("invalid_code")
    team_id, installer = offered
    token = f"xoxb-{team_id.lower()}-{secrets.token_hex(6)}"
    state.team_tokens[token] = team_id
    return {
        "ok": True,
        "app_id": state.app_id,
        "authed_user": {"id": installer},
        "scope": "commands,chat:write",
        "token_type": "bot",
        "access_token": token,
        "bot_user_id": state.bot_user_id,
        "team": {"id": team_id, "name": f"Workspace {team_id}"},
        "enterprise": None,
        "is_enterprise_install": False,
    }


HANDLERS: dict[str, Handler] = {"oauth.v2.access": oauth_v2_access}
NO_TOKEN = frozenset(HANDLERS)
"""Methods called with the app's client id and secret, not a token."""
