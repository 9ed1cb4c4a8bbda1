"""Who asked, from where: the parts of a Slack payload every request carries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

WORKFLOW = "workflow"
"""Who a Workflow Builder step sends as: Slack does not say who built or ran the workflow, so all
of them are this one sender (in SMS_ALLOWED_USERS, the daily caps and the audit trail)."""


@dataclass(frozen=True)
class Actor:
    team_id: str
    user_id: str
    channel_id: str | None
    trigger_id: str | None = None

    @classmethod
    def from_command(cls, command: dict[str, Any]) -> Actor:
        return cls(
            team_id=str(command.get("team_id", "")),
            user_id=str(command.get("user_id", "")),
            channel_id=command.get("channel_id") or None,
            trigger_id=command.get("trigger_id"),
        )

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> Actor:
        """From an interaction's payload (a button, a shortcut, a view submission)."""
        team = body.get("team") or {}
        user = body.get("user") or {}
        channel = body.get("channel") or {}
        return cls(
            team_id=str(team.get("id") or user.get("team_id") or ""),
            user_id=str(user.get("id", "")),
            channel_id=channel.get("id") or None,
            trigger_id=body.get("trigger_id"),
        )
