"""The modal the user has open, driven as Slack's client would: its inputs are asked field by
field (`bot.dev.console.forms`) or it is confirmed, then submitted; the app's answer (errors,
an updated or pushed view, or closing it) is followed until no modal is open.

A pushed view with a close button (the confirmation's Back) can be left for the view under it,
whose fields are asked again with what was typed as their defaults, as Slack keeps them.
A command typed at a form prompt closes the form and is read again at the main prompt.
"""

from __future__ import annotations

import asyncio
from typing import Any

from bot.dev.console.forms import (
    FILE,
    Context,
    Field,
    FieldError,
    describe,
    fields_of,
    file_path,
    file_state,
    has_inputs,
    parse,
    prompt,
    skipped,
)
from bot.dev.console.mrkdwn import mrkdwn, text_of
from bot.dev.console.seat import Seat
from bot.dev.console.terminal import Interrupted
from bot.dev.console.views import render_view
from bot.dev.console.world import COMMANDS
from bot.dev.slack_standin import ViewRecord

YES, NO, BACK = "yes", "no", "back"
"""Answers to a confirmation (`answer_of`)."""
FIELD_ATTEMPTS = 3
"""Scripted answers a form field may refuse before the form is closed (so one wrong line in a
script does not swallow the lines after it)."""


class ModalClosed(Exception):
    """The user left the form (Ctrl-C, or the input ended)."""


class Modals:
    """Filling in and submitting the modal the app opened for the user at `seat`."""

    def __init__(self, seat: Seat) -> None:
        self.seat = seat
        self.typed: dict[str, dict[str, str]] = {}
        """View id → block id → what was typed there last (Slack keeps a form's values)."""
        self.attach: str | None = None
        """A file's path for the next form's file field (`/sms ./numbers.csv`)."""

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
                    choice = await self.confirm(view)
                    if choice == BACK:
                        self.back(view)
                        continue
                    if choice != YES:
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

    def _can_go_back(self, view: ViewRecord) -> bool:
        stack = self.seat.standin.view_stack(self.seat.modal_key) if self.seat.modal_key else []
        return bool(view.payload.get("close")) and len(stack) > 1 and stack[0].id != view.id

    async def confirm(self, view: ViewRecord) -> str:
        """`Submit "Send"? [y/N]`, with `b` for the close button of a pushed view (Back):
        YES, BACK, or anything else to close the form."""
        seat = self.seat
        t, names = seat.t, seat.names
        label = text_of(view.payload.get("submit"), names)
        back = text_of(view.payload.get("close"), names) if self._can_go_back(view) else None
        asked = t("console.form.submit_or_back", label=label, back=back) if back else None
        reply = await seat.read("  " + (asked or t("console.form.submit", label=label)))
        if reply is None or self.leaves_form(reply):
            raise ModalClosed()
        return answer_of(reply, back)

    def back(self, view: ViewRecord) -> None:
        """Close the pushed view; the one under it is shown again."""
        seat = self.seat
        seat.standin.close_view(view.id)
        top = self.top_view()
        if top is not None:
            seat.screen.show(render_view(seat.t, top, seat.names).text)

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
        typed = self.typed.setdefault(view.id, {})
        todo, again = fields, bool(typed)
        for field in fields:
            if field.kind == FILE and self.attach:
                typed[field.block_id], self.attach = self.attach, None
        while True:
            for field in todo:
                if skipped(field, values):
                    state = parse(field, "", context)
                else:
                    state = await self.ask(field, context, again=again, typed=typed)
                values[field.block_id] = {field.action_id: state}
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

    def leaves_form(self, typed: str) -> bool:
        """A command typed at a form prompt closes the form, then runs (Slack has no other way to
        type one); it is read again at the main prompt."""
        word = typed.strip().split(" ", 1)[0].lower()
        if word in (*COMMANDS, "/join"):
            self.seat.inbox.put_back(typed)
            return True
        return False

    async def ask(
        self, field: Field, context: Context, *, again: bool, typed: dict[str, str]
    ) -> dict[str, Any]:
        """One field's answer; `typed` holds what was typed in this form before (it is the
        field's default) and gets this answer."""
        seat = self.seat
        for line in describe(field, context, again=again):
            seat.screen.show(f"  {line}")
        for _attempt in range(FIELD_ATTEMPTS if seat.scripted else 10**9):
            before = typed.get(field.block_id)
            answer = await seat.read("  " + prompt(field, context, typed=before))
            if answer is None or self.leaves_form(answer):
                raise ModalClosed()
            if not answer.strip() and before:
                answer = before
            try:
                if field.kind == FILE:
                    state = await self.upload(field, answer, context)
                else:
                    state = parse(field, answer, context)
            except FieldError as exc:
                seat.screen.show(f"  ✗ {exc}")
                continue
            typed[field.block_id] = answer.strip()
            return state
        raise ModalClosed()

    async def upload(self, field: Field, typed: str, context: Context) -> dict[str, Any]:
        """A file field's answer: the file at the typed path, uploaded to Slack as its client
        does when a file is attached (`files` in the state then holds its object)."""
        seat = self.seat
        path = file_path(field, typed, context)
        if path is None:
            return file_state([])
        try:
            content = await asyncio.to_thread(path.read_bytes)
        except OSError as exc:
            why = exc.strerror or str(exc)
            raise FieldError(seat.t("console.field.no_file", path=str(path), error=why)) from None
        return file_state([seat.standin.add_user_file(path.name, content, seat.user_id)])


def answer_of(reply: str, back: str | None) -> str:
    """A typed answer to a confirmation: YES, BACK (`b`, `back` or the close button's label,
    when there is one) or NO."""
    word = reply.strip().lower()
    if word in ("y", "yes"):
        return YES
    if back is not None and word in ("b", "back", back.lower()):
        return BACK
    return NO
