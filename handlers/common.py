"""What the listeners share: who is acting, and how errors are told to people."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt.context.respond.async_respond import AsyncRespond

from bot.mrkdwn import escape
from bot.santo.errors import InvalidRequest, OutcomeUnknown, SantoError, SantoRejected, SantoUnavailable
from bot.services import Services

ADVICE = {
    "0104": "Check SANTO_CPID: the platform does not know this account.",
    "0106": "Check SANTO_CPPWD: the platform refused the password.",
    "0107": "Top up the account, then try again.",
    "0108": (
        "The platform only accepts calls from allowlisted IP addresses, and this server's is not "
        "on the list. Ask the platform's support to add it (on a PaaS, use a fixed-IP add-on)."
    ),
    "0112": "Numbers in mainland China need a template approved by the platform first.",
}


@dataclass(frozen=True)
class Actor:
    """Who asked, from where: the parts of a Slack payload every handler needs."""

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
        team = body.get("team") or {}
        user = body.get("user") or {}
        channel = body.get("channel") or {}
        return cls(
            team_id=str(team.get("id") or user.get("team_id") or ""),
            user_id=str(user.get("id", "")),
            channel_id=channel.get("id") or None,
            trigger_id=body.get("trigger_id"),
        )


def explain(exc: SantoError) -> str:
    """A platform problem in plain words, with what to do about it."""
    if isinstance(exc, SantoRejected):
        advice = ADVICE.get(exc.code, "")
        return f"The platform refused: *{exc.code} — {exc.meaning}*. {advice}".strip()
    if isinstance(exc, SantoUnavailable):
        return f"The platform could not be reached ({escape(str(exc))}). Nothing was sent; try again soon."
    if isinstance(exc, OutcomeUnknown):
        return (
            f"The platform's answer was lost ({escape(exc.reason)}): the message may have gone out. "
            "Don't resend yet; check `/sms balance` and wait for delivery reports."
        )
    if isinstance(exc, InvalidRequest):
        return f"That can't be sent: {escape(str(exc))}."
    return f"The platform call failed: {escape(str(exc))}."


def incident_text() -> str:
    ref = uuid.uuid4().hex[:8]
    return (
        f"Sorry, something went wrong on our side (reference `{ref}`); it has been logged. "
        "Nothing was sent unless a message about it appeared in the channel."
    )


@dataclass(frozen=True)
class Press:
    """A button press: who pressed, the button's value, and how to answer only them."""

    services: Services
    actor: Actor
    action_id: str
    value: str
    respond: AsyncRespond

    @classmethod
    def of(cls, body: dict[str, Any], context: Any, respond: AsyncRespond) -> Press:
        action = (body.get("actions") or [{}])[0]
        return cls(
            Services.of(context),
            Actor.from_body(body),
            str(action.get("action_id", "")),
            str(action.get("value", "")),
            respond,
        )

    async def whisper(self, text: str) -> None:
        await self.respond(text=text, response_type="ephemeral", replace_original=False)


def apologise(respond: AsyncRespond) -> Callable[[BaseException], Awaitable[None]]:
    """An on_error for background work started from a slash command or a button."""

    async def tell(_exc: BaseException) -> None:
        await respond(text=incident_text(), response_type="ephemeral", replace_original=False)

    return tell
