"""The modal the user has open, driven as Slack's client would: its inputs are asked field by
field (`bot.dev.console.forms`) or it is confirmed, then submitted; the app's answer (errors,
an updated or pushed view, or closing it) is followed until no modal is open.

A command typed at a form prompt closes the form and is read again at the main prompt.
"""

from __future__ import annotations

from typing import Any

from bot.dev.console.forms import Context, Field, FieldError, describe, fields_of, has_inputs, parse, prompt
from bot.dev.console.mrkdwn import mrkdwn, text_of
from bot.dev.console.seat import Seat
from bot.dev.console.terminal import Interrupted
from bot.dev.console.views import render_view
from bot.dev.console.world import COMMANDS
from bot.dev.slack_standin import ViewRecord

FIELD_ATTEMPTS = 3
"""Scripted answers a form field may refuse before the form is closed (so one wrong line in a
script does not swallow the lines after it)."""


class ModalClosed(Exception):
    """The user left the form (Ctrl-C, or the input ended)."""


class Modals:
    """Filling in and submitting the modal the app opened for the user at `seat`."""

    def __init__(self, seat: Seat) -> None:
        self.seat = seat

    def top_view(self) -> ViewRecord | None:
        if self.seat.modal_key is None:
            return None
        stack = self.seat.standin.view_stack(self.seat.modal_key)
        return stack[-1] if stack else None

    def close(self, why: str = "") -> None:
        t = self.seat.t
        self.seat.modal_key = None
        self.seat.screen.show(t("console.form.closed_because", why=why) if why else t("console.form.closed"))

    async def drive(self) -> None:
        """While a modal is open: fill its inputs or confirm it, submit, follow the app's answer."""
        seat = self.seat
        while (view := self.top_view()) is not None:
            payload = view.payload
            try:
                if has_inputs(payload):
                    answer = await self.fill_and_submit(view)
                elif payload.get("submit"):
                    label = text_of(payload.get("submit"), seat.names)
                    reply = await seat.read("  " + seat.t("console.form.submit", label=label))
                    if reply is None or self._leaves_form(reply):
                        raise ModalClosed()
                    if reply.strip().lower() not in ("y", "yes"):
                        self.close()
                        return
                    answer = await seat.world.slack.submit_view(view, {}, user=seat.user_id)
                else:  # a notice: nothing to fill in or submit
                    seat.modal_key = None
                    return
            except Interrupted as exc:
                if exc.stop:
                    raise
                self.close()
                return
            except ModalClosed:
                self.close()
                return
            if answer is None:
                return
            self._after_submit(view, answer)
            await seat.settle()

    def _after_submit(self, view: ViewRecord, answer: dict[str, Any]) -> None:
        seat = self.seat
        action = answer.get("response_action")
        if action == "update":
            seat.screen.show(render_view(seat.t, view, seat.names, updated=True).text)
        elif action == "push" or (action is None and self.top_view() is not None):
            top = self.top_view()
            if top is not None:
                seat.screen.show(render_view(seat.t, top, seat.names).text)
        else:
            seat.modal_key = None

    async def fill_and_submit(self, view: ViewRecord) -> dict[str, Any] | None:
        """Ask every input, submit; on `errors`, show them and ask those fields again."""
        seat = self.seat
        timezone = str(seat.standin.users.get(seat.user_id, {}).get("tz") or "UTC")
        t = seat.t
        context = Context(t, seat.names, seat.channel_id, seat.user_id, timezone)
        fields = fields_of(view.payload, seat.names)
        values: dict[str, dict[str, dict[str, Any]]] = {}
        todo, again = fields, False
        while True:
            for field in todo:
                values[field.block_id] = {field.action_id: await self.ask(field, context, again=again)}
            answer = await seat.world.slack.submit_view(view, values, user=seat.user_id)
            if answer.get("response_action") != "errors":
                return answer
            errors = answer.get("errors") or {}
            labels = {f.block_id: f.label for f in fields}
            for block_id, error in errors.items():
                label, shown = labels.get(block_id, block_id), mrkdwn(str(error), seat.names)
                seat.screen.show("  " + t("console.input.error", label=label, error=shown))
            todo, again = [f for f in fields if f.block_id in errors], True
            if not todo:
                self.close(t("console.form.no_field"))
                return None

    def _leaves_form(self, typed: str) -> bool:
        """A command typed at a form prompt closes the form, then runs (Slack has no other way to
        type one); it is read again at the main prompt."""
        word = typed.strip().split(" ", 1)[0].lower()
        if word in (*COMMANDS, "/join"):
            self.seat.inbox.put_back(typed)
            return True
        return False

    async def ask(self, field: Field, context: Context, *, again: bool = False) -> dict[str, Any]:
        seat = self.seat
        for line in describe(field, context, again=again):
            seat.screen.show(f"  {line}")
        for _attempt in range(FIELD_ATTEMPTS if seat.scripted else 10**9):
            typed = await seat.read("  " + prompt(field, context))
            if typed is None or self._leaves_form(typed):
                raise ModalClosed()
            try:
                return parse(field, typed, context)
            except FieldError as exc:
                seat.screen.show(f"  ✗ {exc}")
        raise ModalClosed()
