"""What the listeners share: who is acting, and how errors are told to people."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt.context.respond.async_respond import AsyncRespond

from bot.domain.mrkdwn import CODE_SHOWN, outside
from bot.i18n import Texts, texts_of
from bot.santo.errors import InvalidRequest, OutcomeUnknown, SantoError, SantoRejected, SantoUnavailable
from bot.services import Services


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


EXPLAIN_DETAIL = 500
"""Characters of an error's own words shown in an explanation."""


def explain(t: Texts, exc: SantoError) -> str:
    """A platform problem in plain words, with what to do about it (what the platform said in
    it is escaped and cut: the text can go in any Slack message)."""
    if isinstance(exc, SantoRejected):
        advice = t(f"common.advice.{exc.code}") if t.has(f"common.advice.{exc.code}") else ""
        code = outside(exc.code, CODE_SHOWN)
        return t("common.explain.rejected", code=code, meaning=exc.meaning, advice=advice).strip()
    if isinstance(exc, SantoUnavailable):
        return t("common.explain.unavailable", detail=outside(str(exc), EXPLAIN_DETAIL))
    if isinstance(exc, OutcomeUnknown):
        return t("common.explain.unknown", detail=outside(exc.reason, EXPLAIN_DETAIL))
    if isinstance(exc, InvalidRequest):
        return t("common.explain.invalid", detail=outside(str(exc), EXPLAIN_DETAIL))
    return t("common.explain.failed", detail=outside(str(exc), EXPLAIN_DETAIL))


def incident_text(t: Texts) -> str:
    return t("common.incident.text", ref=uuid.uuid4().hex[:8])


@dataclass(frozen=True)
class Press:
    """A button press: who pressed, the button's value, and how to answer only them."""

    services: Services
    actor: Actor
    t: Texts
    action_id: str
    value: str
    respond: AsyncRespond

    @classmethod
    def of(cls, body: dict[str, Any], context: Any, respond: AsyncRespond) -> Press:
        action = (body.get("actions") or [{}])[0]
        return cls(
            Services.of(context),
            Actor.from_body(body),
            texts_of(context),
            str(action.get("action_id", "")),
            str(action.get("value", "")),
            respond,
        )

    async def whisper(self, text: str) -> None:
        await self.respond(text=text, response_type="ephemeral", replace_original=False)


def apologise(t: Texts, respond: AsyncRespond) -> Callable[[BaseException], Awaitable[None]]:
    """An on_error for background work started from a slash command or a button."""

    async def tell(_exc: BaseException) -> None:
        await respond(text=incident_text(t), response_type="ephemeral", replace_original=False)

    return tell
