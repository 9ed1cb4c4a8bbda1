"""What the user sees of the app: each Web API call the app makes that Slack would show them
(messages, ephemeral answers, response_url posts, modals, the Home tab) is printed
(`bot.dev.console.messages`, `bot.dev.console.views`), and the buttons it shows are numbered so
that `click N` can press them.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol

from bot.dev.console.blocks import Button, Rendered
from bot.dev.console.messages import (
    render_ephemeral,
    render_ephemeral_record,
    render_message,
    render_response,
)
from bot.dev.console.seat import Seat
from bot.dev.console.views import render_home, render_view
from bot.dev.slack_standin import Call, Message
from bot.views.ids import ActionId

log = logging.getLogger(__name__)



class Render(Protocol):
    """Draws something shown, its buttons numbered from `first_button`."""

    def __call__(self, *, first_button: int) -> Rendered: ...


@dataclass(frozen=True)
class Target:
    """What a numbered button belongs to and what pressing it sends."""

    button: Button
    owner: tuple[str, ...]
    channel: str
    message_ts: str | None


class Feed:
    """The calls the user would see, as they come, and the buttons shown so far."""

    def __init__(self, seat: Seat) -> None:
        self.seat = seat
        self.buttons: dict[int, Target] = {}
        self.next_button = 1
        self.url_owners: dict[str, tuple[str, ...]] = {}  # response_url id → the clicked button's owner
        self.confirmation: tuple[Target, Target] | None = None
        """The Send and Cancel buttons of the last quick-send confirmation shown."""
        self._ephemerals = 0

    def on_call(self, call: Call) -> None:
        """The stand-in's listener: show each Web API call the user would see."""
        try:
            self._show_call(call)
        except Exception as exc:  # never let a display problem reach the app
            log.warning("could not show %s: %s", call.method, exc)

    def _show_call(self, call: Call) -> None:
        seat = self.seat
        standin, t, names = seat.standin, seat.t, seat.names
        method, response = call.method, call.response
        if method in ("chat.postMessage", "chat.update", "chat.delete"):
            message = standin.messages.get((str(response.get("channel")), str(response.get("ts"))))
            if message is not None:
                self.show_message(message, updated=method == "chat.update")
        elif method == "chat.postEphemeral":
            ts = response.get("message_ts")
            record = next((e for e in reversed(standin.ephemerals) if e.ts == ts), None)
            if record is not None and record.user == seat.user_id:
                owner = self.new_owner()
                shown = partial(render_ephemeral_record, t, record, names)
                self.show(shown, owner, str(record.channel or seat.channel_id), None)
        elif method == "response_url":
            self._show_response(str(call.args.get("url_id", "")))
        elif method in ("views.open", "views.push", "views.update"):
            view = standin.views.get(str(response.get("view", {}).get("id", "")))
            if view is None:
                return
            if method == "views.open":
                seat.modal_key = str(call.args.get("trigger_id") or call.args.get("interactivity_pointer"))
            seat.screen.show(render_view(t, view, names, updated=method == "views.update").text)
        elif method == "files.completeUploadExternal":
            self._show_upload(response)
        elif method == "views.publish" and call.args.get("user_id") == seat.user_id:
            view = standin.views.get(str(response.get("view", {}).get("id", "")))
            if view is not None:
                self.show(partial(render_home, t, view, names), ("home",), seat.channel_id, None)

    def _show_upload(self, response: dict[str, Any]) -> None:
        """Files the app uploaded: saved, and the messages that share them shown with where."""
        standin = self.seat.standin
        ids = {str(f.get("id")) for f in response.get("files") or [] if isinstance(f, dict)}
        for upload in standin.uploads:
            if upload.file_id in ids:
                self.seat.files.save(upload)
        for message in list(standin.messages.values()):
            if any(f.get("id") in ids for f in message.files):
                self.show_message(message, updated=False)

    def new_owner(self) -> tuple[str, ...]:
        """An owner for buttons that nothing shown later replaces (an ephemeral answer)."""
        self._ephemerals += 1
        return ("ephemeral", str(self._ephemerals))

    def show(self, render: Render, owner: tuple[str, ...], channel: str, message_ts: str | None) -> None:
        """Print what `render` draws from its first button number; its buttons replace the ones
        `owner` showed before, and keep their numbers when they fit in them (a refreshed view,
        an updated message), so what was read as `click 2` stays `click 2`."""
        before = sorted(n for n, t in self.buttons.items() if t.owner == owner)
        for number in before:
            del self.buttons[number]
        rendered = render(first_button=before[0] if before else self.next_button)
        if before and any(b.number in self.buttons for b in rendered.buttons):  # more than before
            rendered = render(first_button=self.next_button)
        for button in rendered.buttons:
            self.buttons[button.number] = Target(button, owner, channel, message_ts)
            self.next_button = max(self.next_button, button.number + 1)
        targets = {t.button.action_id: t for t in self.buttons.values() if t.owner == owner}
        if ActionId.CONFIRM_SEND in targets and ActionId.CANCEL_SEND in targets:
            self.confirmation = (targets[ActionId.CONFIRM_SEND], targets[ActionId.CANCEL_SEND])
        self.seat.screen.show(rendered.text)

    def show_message(self, message: Message, *, updated: bool) -> None:
        parent = None
        if message.is_reply and message.thread_ts is not None:
            parent = self.seat.standin.messages.get((message.channel, message.thread_ts))
        shown = partial(render_message, self.seat.t, message, self.seat.names, updated=updated, parent=parent)
        self.show(shown, ("message", message.channel, message.ts), message.channel, message.ts)

    def _show_response(self, url_id: str) -> None:
        seat = self.seat
        standin = seat.standin
        post = next((p for p in reversed(standin.responses) if p.url_id == url_id), None)
        if post is None or (post.user is not None and post.user != seat.user_id):
            return
        original = (
            standin.messages.get((post.channel, post.message_ts))
            if post.channel and post.message_ts
            else None
        )
        if original is not None and (post.replace_original or post.delete_original):
            self.show_message(original, updated=True)
            return
        if post.response_type == "in_channel" and post.channel and not post.replace_original:
            message = standin.last_message(post.channel, include_replies=True)
            if message is not None:
                self.show_message(message, updated=False)
            return
        clicked = self.url_owners.get(url_id)
        replacing = clicked is not None and (post.replace_original or post.delete_original)
        owner = clicked if replacing and clicked is not None else self.new_owner()
        shown = partial(render_response, seat.t, post, seat.names, updated=replacing)
        self.show(shown, owner, post.channel or seat.channel_id, None)

    def show_ack(self, body: str) -> None:
        """An answer in the HTTP response itself (Bolt `ack(text=…)`): ephemeral."""
        try:
            answer = json.loads(body)
        except ValueError:
            answer = {"text": body}
        if not isinstance(answer, dict):
            answer = {"text": str(answer)}
        blocks = answer.get("blocks") if isinstance(answer.get("blocks"), list) else []
        assert isinstance(blocks, list)
        seat = self.seat
        text = str(answer.get("text") or "")
        shown = partial(render_ephemeral, seat.t, text, blocks, seat.names, channel=seat.channel_id)
        self.show(shown, self.new_owner(), seat.channel_id, None)
