"""The workspace the console's user is in: what the console runs (`World`), the slash commands
the app is installed with, and the stand-in's users and channels, found by name or added."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.dev.sandbox import SandboxState
from bot.dev.slack_requests import SlackRequests
from bot.dev.slack_standin import SlackStandIn
from bot.services import Services
from handlers.sms_command import COMMAND

COMMANDS = (COMMAND,)
"""Slash commands the app is installed with (manifest.yml); Slack refuses others."""
CHANNEL_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")


@dataclass
class World:
    """What the console runs: the Slack stand-in, the app (reached through `slack`) and the sandbox."""

    standin: SlackStandIn
    slack: SlackRequests
    services: Services
    sandbox: SandboxState
    app_url: str
    sandbox_url: str
    database: Path
    user: str
    """Who types at the console (`--user`), in the stand-in's workspace."""


def _new_id(prefix: str, name: str, taken: dict[str, Any]) -> str:
    base = prefix + "1" + re.sub(r"[^A-Z0-9]", "", name.upper())[:16]
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}{n}"
    return candidate


def find_user(standin: SlackStandIn, name: str, locale: str | None = None) -> str:
    """The user called `name` (alice, bob, wei, …); a new one is added to the workspace.
    With `locale`, their Slack language becomes that."""
    user_id = _user_named(standin, name)
    if locale:
        standin.users[user_id]["locale"] = locale
    return user_id


def _user_named(standin: SlackStandIn, name: str) -> str:
    for user_id, user in standin.users.items():
        if str(user.get("name", "")).lower() == name:
            return user_id
    user_id = _new_id("U", name, standin.users)
    standin.users[user_id] = {
        "id": user_id,
        "name": name,
        "real_name": name.capitalize(),
        "tz": "UTC",
        "tz_label": "UTC",
        "tz_offset": 0,
        "locale": "en-US",
        "is_bot": False,
        "deleted": False,
        "profile": {"real_name": name.capitalize(), "display_name": name},
    }
    return user_id


def find_channel(standin: SlackStandIn, name: str) -> str:
    """The channel called `name`; a new one is added to the workspace."""
    for channel_id, known in standin.channel_names.items():
        if known == name:
            return channel_id
    channel_id = _new_id("C", name, standin.channel_names)
    standin.channel_names[channel_id] = name
    return channel_id
