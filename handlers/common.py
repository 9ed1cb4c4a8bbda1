"""What the listeners share: the interaction they answer, the plumbing around their work (ack,
background, telling people about problems), the `/sms` subcommand table, and the Slack calls
more than one feature makes."""

from __future__ import annotations

import asyncio
import uuid
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.domain.actor import Actor
from bot.domain.mrkdwn import CODE_SHOWN, outside
from bot.domain.send_request import SendRequest
from bot.domain.states import SendState
from bot.i18n import Msg, Problem, Texts, texts_of
from bot.santo.errors import InvalidRequest, OutcomeUnknown, SantoError, SantoRejected, SantoUnavailable
from bot.sending.dispatch import dispatch
from bot.sending.send import SendResult
from bot.services import Services
from bot.store.drafts import save_draft
from bot.views.confirm import build_confirmation_view
from bot.views.send_modal import build_notice_view, build_send_modal


class NoResponseUrl(RuntimeError):
    """Slack gave the interaction no response_url (the Home tab, most modals): nobody to answer."""


@dataclass(frozen=True)
class Interaction:
    """What a person did in Slack (a slash command, a button, a shortcut, a view submission):
    who and where, their texts, the process's services, the payload, and how to answer only them
    (`respond` is None where Slack gave no response_url: the Home tab, most modals)."""

    services: Services
    actor: Actor
    t: Texts
    body: dict[str, Any]
    respond: AsyncRespond | None = None

    @classmethod
    def of(cls, body: dict[str, Any], context: Any, respond: AsyncRespond | None = None) -> Interaction:
        actor = Actor.from_command(body) if "command" in body else Actor.from_body(body)
        return cls(Services.of(context), actor, texts_of(context), body, respond)

    @property
    def action_id(self) -> str:
        """The pressed button's action id."""
        return str((self.body.get("actions") or [{}])[0].get("action_id", ""))

    @property
    def value(self) -> str:
        """The pressed button's value."""
        return str((self.body.get("actions") or [{}])[0].get("value", ""))

    @property
    def text(self) -> str:
        """A slash command's text."""
        return str(self.body.get("text", ""))

    async def number_region(self) -> str | None:
        """The country a number typed without its country code is likely from (only to suggest
        that code, never to assume it): `SMS_DEFAULT_REGION`, else the user's Slack locale's."""
        settings = self.services.settings
        return settings.sms_default_region or await self.services.languages.region(self.actor.user_id)

    async def whisper(self, text: str) -> None:
        """Answer only the person who acted, below what they answered."""
        await self.reply(text=text, response_type="ephemeral", replace_original=False)

    async def replace(self, text: str) -> None:
        """Answer only them, in place of the (ephemeral) message whose button they pressed."""
        await self.reply(text=text, replace_original=True)

    async def reply(self, **message: Any) -> None:
        """A message through the interaction's response_url."""
        if self.respond is None:
            raise NoResponseUrl
        await self.respond(**message)


Work = Callable[[Interaction], Awaitable[None]]
"""A listener's work: a plain function of the interaction."""
OnError = Callable[[Interaction, BaseException], Awaitable[None]]
"""Tells the person a problem, or that the work failed."""


async def refuse_unconnected(_interaction: Interaction) -> None:
    raise Problem(Msg.of("workspace.not_connected"))


def told(t: Texts, exc: BaseException) -> str:
    """What a person is told of an error: a `Problem` says what is wrong; anything else is ours,
    and is an apology with a reference for the logs."""
    if isinstance(exc, Problem):
        return t.render(exc.message)
    return incident_text(t)


def incident_text(t: Texts) -> str:
    return t("common.incident.text", ref=uuid.uuid4().hex[:8])


async def apologise(interaction: Interaction, exc: BaseException) -> None:
    """The default `OnError`: an ephemeral answer where Slack gave a response_url."""
    if interaction.respond is not None:
        await interaction.whisper(told(interaction.t, exc))


def in_background(interaction: Interaction, work: Work, on_error: OnError | None = apologise) -> None:
    """Run `work` as tracked background work (drained at shutdown). A `Problem` it raises goes to
    `on_error` as it is (the person's to fix, not logged as a failure); anything else is logged
    first (`Background.spawn`)."""

    async def run() -> None:
        try:
            await work(interaction)
        except Problem as problem:
            if on_error is None:
                raise
            await on_error(interaction, problem)

    async def failed(exc: BaseException) -> None:
        if on_error is not None:
            await on_error(interaction, exc)

    interaction.services.background.spawn(run(), on_error=failed)


Listener = Callable[..., Awaitable[None]]


def listener(work: Work, on_error: OnError | None = apologise, needs_account: bool = True) -> Listener:
    """A Bolt listener for `work`: ack at once, then `work` in the background (`in_background`).

    Slack wants its ack within 3 seconds, and the platform is never called before it. Work that
    `needs_account` is refused, plainly, in a workspace with no Santo account (distribution mode)."""

    async def listen(
        ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext, respond: AsyncRespond | None
    ) -> None:
        await ack()
        interaction = Interaction.of(body, context, respond)
        connected = interaction.services.connected or not needs_account
        in_background(interaction, work if connected else refuse_unconnected, on_error)

    listen.__name__ = listen.__qualname__ = work.__name__  # Bolt names listeners in its logs
    return listen


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


class Sub(StrEnum):
    """The `/sms` subcommands ("" is `/sms` alone)."""

    MODAL = ""
    SEND = "send"
    VOICE = "voice"
    BALANCE = "balance"
    PRICE = "price"
    VERIFY = "verify"
    STATUS = "status"
    HELP = "help"
    AUDIT = "audit"
    OPT_OUT = "optout"
    STATS = "stats"


Subcommand = Callable[[Interaction, str], Awaitable[None]]
"""Runs a `/sms` subcommand, given the command's text after its first word."""


@dataclass
class Subcommands:
    """The `/sms` subcommands: each feature module adds its own from its `register(app)`."""

    routes: dict[str, Subcommand] = field(default_factory=dict)
    open_to_all: set[str] = field(default_factory=set)
    """Answered to people the guardrails refuse lookups to (help)."""
    unknown: Subcommand | None = None
    """Answers a word that is no subcommand (given the word instead of the rest)."""

    def add(self, word: Sub, run: Subcommand, *, open_to_all: bool = False) -> None:
        self.routes[word] = run
        if open_to_all:
            self.open_to_all.add(word)


_SUBCOMMANDS: weakref.WeakKeyDictionary[AsyncApp, Subcommands] = weakref.WeakKeyDictionary()


def subcommands(app: AsyncApp) -> Subcommands:
    """The app's `/sms` subcommands (a table per Bolt app: apps in one process do not share it)."""
    return _SUBCOMMANDS.setdefault(app, Subcommands())


def answer(text: Callable[[Interaction, str], str | Awaitable[str]]) -> Subcommand:
    """A subcommand whose answer is one text, only for the person who asked."""

    async def run(interaction: Interaction, rest: str) -> None:
        said = text(interaction, rest)
        await interaction.whisper(said if isinstance(said, str) else await said)

    return run


async def open_send_modal(interaction: Interaction, channel_id: str | None) -> None:
    """The Send modal; it reports to `channel_id`, or asks where when None."""
    if not interaction.actor.trigger_id:
        raise Problem(Msg.of("help.no_trigger"))
    rows = interaction.services.settings.sms_max_file_rows
    view = build_send_modal(interaction.t, channel_id, max_file_rows=rows)
    await interaction.services.slack.views_open(trigger_id=interaction.actor.trigger_id, view=view)


async def update_view(services: Services, external_id: str, view: View, attempts: int = 15) -> None:
    """views.update by external id. Slack shows a view from our ack a moment after it gets
    the ack, so an update that follows quickly can find nothing yet: try again briefly."""
    for attempt in range(attempts):
        try:
            await services.slack.views_update(external_id=external_id, view=view)
            return
        except SlackApiError as exc:
            if exc.response.get("error") != "not_found" or attempt == attempts - 1:
                raise
            await asyncio.sleep(0.2)


async def confirm_in_view(
    interaction: Interaction, request: SendRequest, blocks: list[Block], draft_id: str, external_id: str
) -> None:
    """Keep `request` as the draft the confirmation's Send takes, and show the confirmation in
    the modal `external_id`."""
    services, actor = interaction.services, interaction.actor
    await save_draft(services.db, actor.team_id, actor.user_id, request.to_payload(), draft_id)
    retry = request.retry_of is not None  # its closing releases the hold on retrying
    view = build_confirmation_view(interaction.t, draft_id, blocks, external_id, notify_on_close=retry)
    await update_view(services, external_id, view)


def tell_in_view(external_id: str) -> OnError:
    """Tells what went wrong in the modal `external_id` (a modal has no response_url)."""

    async def tell(interaction: Interaction, exc: BaseException) -> None:
        t = interaction.t
        notice = build_notice_view(t, t("send.notice.send"), told(t, exc), external_id)
        await update_view(interaction.services, external_id, notice)

    return tell


def send_and_tell_in_view(interaction: Interaction, request: SendRequest, external_id: str) -> None:
    """Send `request` (the one door: guardrails, approval, audit) in the background, and say in
    the modal `external_id` how it went."""
    services, t = interaction.services, interaction.t

    async def outcome(interaction: Interaction) -> None:
        said: list[str] = []

        async def tell(text: str) -> None:
            said.append(text)

        result = await dispatch(services, request, tell)
        if isinstance(result, SendResult) and result.state == SendState.SCHEDULED:
            text = t("send.notice.scheduled", channel=result.channel_id)
        elif isinstance(result, SendResult):
            text = "\n".join([t("send.notice.sent", channel=result.channel_id), *said])
        else:
            text = "\n".join(said)
        await update_view(
            services, external_id, build_notice_view(t, t("send.notice.send"), text, external_id)
        )

    in_background(interaction, outcome, on_error=tell_in_view(external_id))
