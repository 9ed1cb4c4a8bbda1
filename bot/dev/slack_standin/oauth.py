"""oauth.v2.access: the end of Slack's install flow, for workspaces offered with
`SlackStandIn.offer_install` (each code works once)."""

from __future__ import annotations

import secrets
from typing import Any

from bot.dev.slack_standin.protocol import ApiError
from bot.dev.slack_standin.state import Handler, State


def oauth_v2_access(state: State, args: dict[str, Any], origin: str) -> dict[str, Any]:
    if args.get("grant_type") == "refresh_token":
        return _refreshed(state, str(args.get("refresh_token") or ""))
    offered = state.install_codes.pop(str(args.get("code") or ""), None)
    if offered is None:
        raise ApiError("invalid_code")
    team_id, installer = offered
    token = f"xoxb-{team_id.lower()}-{secrets.token_hex(6)}"
    state.team_tokens[token] = team_id
    return {
        "ok": True,
        **_rotation(state, token, team_id),
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


def _rotation(state: State, token: str, team_id: str) -> dict[str, Any]:
    """With token rotation on (`token_lifetime` set), a token ends after `token_lifetime` seconds
    and comes with the refresh token that replaces it."""
    if state.token_lifetime is None:
        return {}
    refresh = f"xoxe-1-{secrets.token_hex(8)}"
    state.refresh_tokens[refresh] = (team_id, token)
    return {"refresh_token": refresh, "expires_in": state.token_lifetime}


def _refreshed(state: State, refresh: str) -> dict[str, Any]:
    """A new token for a refresh token (once); the old token stops working."""
    held = state.refresh_tokens.pop(refresh, None)
    if held is None:
        raise ApiError("invalid_refresh_token")
    team_id, old = held
    state.team_tokens.pop(old, None)
    token = f"xoxe.xoxb-{team_id.lower()}-{secrets.token_hex(6)}"
    state.team_tokens[token] = team_id
    return {"ok": True, "token_type": "bot", "access_token": token, **_rotation(state, token, team_id)}


HANDLERS: dict[str, Handler] = {"oauth.v2.access": oauth_v2_access}
NO_TOKEN = frozenset(HANDLERS)
"""Methods called with the app's client id and secret, not a token."""
