"""The workspace the stand-in pretends to be and what the app left in it, with the helpers the
method handlers of every API family share: ids, channel lookup and storing messages."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.dev.slack_standin.protocol import ApiError, str_arg
from bot.dev.slack_standin.records import (
    Call,
    Ephemeral,
    Execution,
    Listener,
    Message,
    ResponsePost,
    ResponseTarget,
    Upload,
    Version,
    ViewRecord,
)

EPOCH = 1_700_000_000
"""Where the stand-in's timestamps and trigger ids start (a fixed, plausible Slack epoch)."""


@dataclass
class Fault:
    """An injected failure: the next `remaining` calls answer HTTP `status`."""

    status: int
    remaining: int
    retry_after: int | None = None
    error: str | None = None


@dataclass
class ListenerEntry:
    callback: Listener
    failures: bool
    """Also called for calls answered with an error or a non-200 status."""


def _user(
    user_id: str, name: str, real_name: str, tz: str, locale: str, *, is_bot: bool = False
) -> dict[str, Any]:
    return {
        "id": user_id,
        "name": name,
        "real_name": real_name,
        "tz": tz,
        "tz_label": tz,
        "tz_offset": 0,
        "locale": locale,
        "is_bot": is_bot,
        "deleted": False,
        "profile": {"real_name": real_name, "display_name": name},
    }


class State:
    """The workspace, its recordings, listeners, behaviour switches and injected faults.
    `SlackStandIn` serves it; the method handlers (`Handler`) read and change it."""

    def __init__(
        self,
        token: str = "xoxb-test",
        team_id: str = "T0TEST",
        bot_user_id: str = "UBOT",
        *,
        base_url: str | None = None,
        functions: dict[str, Any] | None = None,
    ) -> None:
        self.token = token
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.bot_id = "B0BOT"
        self.app_id = "A0SANTO"
        self.team_name = "Santo Test"
        self.team_domain = "santo-test"
        self.base_url: str | None = base_url
        """`http://127.0.0.1:PORT` once served; needed by `new_response_url()`."""
        self.team_tokens: dict[str, str] = {token: team_id}
        """Bot token → its workspace: the first one's, and those installs handed out."""
        self.install_codes: dict[str, tuple[str, str]] = {}
        """OAuth code → (workspace, installer), until oauth.v2.access takes it."""
        self.calling_team: str = team_id
        """The workspace of the token of the call being answered."""
        self.calling_connection = ""
        """The caller's end of that call's connection (host:port)."""
        self.token_lifetime: int | None = None
        """Seconds a token installed from now on lasts (token rotation on); None: forever."""
        self.refresh_tokens: dict[str, tuple[str, str]] = {}
        """Refresh token → (workspace, the token it replaces)."""

        # Recordings.
        self.calls: list[Call] = []
        self.messages: dict[tuple[str, str], Message] = {}
        self.ephemerals: list[Ephemeral] = []
        self.views: dict[str, ViewRecord] = {}
        self.view_stacks: dict[str, list[str]] = {}
        """Opening trigger_id → view ids on that modal's stack, bottom first."""
        self.home_tabs: dict[str, str] = {}
        """user id → view id of the published Home tab."""
        self.responses: list[ResponsePost] = []
        self.uploads: list[Upload] = []
        self.file_owners: dict[str, str] = {}
        """File id → the user who uploaded it (`add_user_file`)."""
        self.downloads: list[str] = []
        """File ids asked for at the download route, in order."""
        self.file_processing: float = 0.0
        """Seconds Slack takes over an upload after files.completeUploadExternal answers: until
        then files.info shows no mimetype, and an image block naming the file is refused."""

        # The workspace.
        self.channel_names: dict[str, str] = {
            "C0GENERAL": "general",
            "C0RANDOM": "random",
            "C0OPS": "ops",
        }
        self.private_channels: set[str] = set()
        self.usergroups: dict[str, list[str]] = {}
        """User group id → member user ids (`usergroups.users.list`)."""
        self.users: dict[str, dict[str, Any]] = {
            bot_user_id: _user(bot_user_id, "santo", "Santo", "UTC", "en-US", is_bot=True),
            "U0ALICE": _user("U0ALICE", "alice", "Alice Chen", "Asia/Shanghai", "en-US"),
            "U0BOB": _user("U0BOB", "bob", "Bob Smith", "Europe/London", "en-GB"),
            "U0WEI": _user("U0WEI", "wei", "王伟", "Asia/Shanghai", "zh-CN"),
        }
        self.dms: dict[str, str] = {}
        """DM channel id → the user it is with."""
        self.functions: dict[str, Any] = dict(functions or {})
        """The app's Workflow Builder steps, as its manifest's `functions` section defines them."""
        self.executions: dict[str, Execution] = {}
        """Runs of those steps, by function execution id (`steps.start`)."""

        # Behaviour switches.
        self.cannot_post_in: set[str] = set()
        self.unknown_channels: set[str] = set()
        self.expired_triggers: set[str] = set()
        self._faults: dict[str, list[Fault]] = {}
        self._listeners: list[ListenerEntry] = []

        # Interaction bookkeeping.
        self.used_triggers: set[str] = set()
        self.trigger_stacks: dict[str, str] = {}
        """Trigger id → the modal stack (its opening trigger id) it came from."""
        self.last_stack: str | None = None
        """The stack a `views.push` with an unbound trigger id goes onto."""
        self.response_targets: dict[str, ResponseTarget] = {}
        self._ts_seq = itertools.count(1)
        self._id_seq = itertools.count(1)

    # ------------------------------------------------------------------ ids

    def next_n(self) -> int:
        """The next number of the one sequence behind ids, trigger ids and view hashes."""
        return next(self._id_seq)

    def showable_file(self, file_id: str, *, any_team: bool = False) -> bool:
        """Whether an image block may show the file (`slack_file`): uploaded and completed in
        the calling workspace (or any, for a response_url post), and processed."""
        upload = next((u for u in self.uploads if u.file_id == file_id), None)
        return (
            upload is not None
            and upload.completed
            and upload.content is not None
            and (any_team or upload.team in ("", self.calling_team))
            and time.time() >= upload.ready_at
        )

    def next_id(self, prefix: str) -> str:
        return f"{prefix}{self.next_n():08d}"

    def next_ts(self) -> str:
        n = next(self._ts_seq)
        return f"{EPOCH + n // 10_000}.{(n % 10_000) * 100:06d}"

    # ------------------------------------------------------------------ channels

    def resolve_channel(self, raw: Any) -> str:
        """A channel id from an id, `#name` or a user id (→ the DM with that user)."""
        if not isinstance(raw, str) or not raw:
            raise ApiError("channel_not_found")
        if raw.startswith("#"):
            for channel_id, name in self.channel_names.items():
                if name == raw[1:]:
                    return channel_id
            raise ApiError("channel_not_found")
        if raw[0] in "UW":
            if raw not in self.users:
                raise ApiError("channel_not_found")
            return self.dm_with(raw)
        if raw in self.unknown_channels:
            raise ApiError("channel_not_found")
        return raw

    def dm_with(self, user: str) -> str:
        channel = "D" + user[1:]
        self.dms[channel] = user
        return channel

    def postable(self, raw: Any) -> str:
        """`resolve_channel`, for a channel the bot may post in."""
        channel = self.resolve_channel(raw)
        if channel in self.cannot_post_in:
            raise ApiError("not_in_channel")
        return channel

    # ------------------------------------------------------------------ messages

    def store_message(
        self,
        channel: str,
        text: str,
        blocks: list[dict[str, Any]],
        thread_ts: str | None,
        content: dict[str, Any],
        now: float,
        *,
        files: list[dict[str, Any]] | None = None,
        reply_broadcast: bool = False,
    ) -> Message:
        """A new bot message; `content` may carry its attachments and metadata."""
        if thread_ts is not None:
            parent = self.messages.get((channel, thread_ts))
            if parent is not None and parent.is_reply and parent.thread_ts is not None:
                thread_ts = parent.thread_ts  # a reply's ts means its thread
        message = Message(
            channel=channel,
            ts=self.next_ts(),
            thread_ts=thread_ts,
            text=text,
            blocks=blocks,
            user=self.bot_user_id,
            attachments=content.get("attachments", []),
            metadata=content.get("metadata"),
            files=files or [],
            bot_id=self.bot_id,
            reply_broadcast=reply_broadcast,
            at=now,
        )
        if thread_ts is not None:
            parent = self.messages.get((channel, thread_ts))
            if parent is not None and parent.thread_ts is None:
                parent.thread_ts = parent.ts  # Slack marks a thread's parent with its own ts
        self.messages[(channel, message.ts)] = message
        return message

    @staticmethod
    def update_message(message: Message, content: dict[str, Any], now: float) -> None:
        """Replace what `content` carries, keeping the old version in `message.history`."""
        message.history.append(
            Version(message.text, message.blocks, message.attachments, message.metadata, message.at)
        )
        if "text" in content:
            message.text = content["text"]
        if "blocks" in content:
            message.blocks = content["blocks"]
        if "attachments" in content:
            message.attachments = content["attachments"]
        if "metadata" in content:
            message.metadata = content["metadata"] or None
        message.updates += 1
        message.at = now

    def own_message(self, args: dict[str, Any], ts_field: str = "ts") -> Message:
        """The visible message that `args`' channel and `ts_field` name."""
        channel = self.resolve_channel(args.get("channel"))
        ts = str_arg(args, ts_field)
        message = self.messages.get((channel, ts)) if ts else None
        if message is None or message.deleted:
            raise ApiError("message_not_found")
        return message

    def post_user_message(
        self, channel: str, user: str, text: str, *, thread_ts: str | None = None
    ) -> Message:
        """Put a message from a human into the store (it was not posted through the API)."""
        message = Message(
            channel=channel,
            ts=self.next_ts(),
            thread_ts=thread_ts,
            text=text,
            blocks=[],
            user=user,
            at=time.time(),
        )
        self.messages[(channel, message.ts)] = message
        return message

    def last_message(self, channel: str, *, include_replies: bool = False) -> Message | None:
        """The newest visible message in `channel` (top level unless `include_replies`)."""
        candidates = [
            message
            for (ch, _), message in self.messages.items()
            if ch == channel
            and not message.deleted
            and (include_replies or not message.is_reply or message.reply_broadcast)
        ]
        return max(candidates, key=lambda m: m.ts, default=None)

    def channel_messages(self, channel: str) -> list[Message]:
        """Visible top-level messages in `channel`, oldest first."""
        return sorted(
            (
                m
                for (ch, _), m in self.messages.items()
                if ch == channel and not m.deleted and (not m.is_reply or m.reply_broadcast)
            ),
            key=lambda m: m.ts,
        )

    def thread(self, channel: str, ts: str) -> list[Message]:
        """Replies (not the parent) in the thread of `ts`, oldest first."""
        return sorted(
            (
                m
                for (ch, _), m in self.messages.items()
                if ch == channel and m.thread_ts == ts and m.ts != ts and not m.deleted
            ),
            key=lambda m: m.ts,
        )

    def view_stack(self, trigger_id: str) -> list[ViewRecord]:
        """The modal stack opened with `trigger_id`, bottom first."""
        return [self.views[v] for v in self.view_stacks.get(trigger_id, [])]


Handler = Callable[[State, dict[str, Any], str], dict[str, Any]]
"""One Web API method: (state, decoded arguments, the served origin) → the JSON answer;
raises ApiError for `{"ok": false}`."""
