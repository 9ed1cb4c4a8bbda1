"""What the stand-in records: calls, messages and their versions, ephemerals, response_url
posts, views and uploads."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bot.dev.slack_standin.protocol import flag


def _str_in(payload: dict[str, Any], name: str, default: str = "") -> str:
    value = payload.get(name)
    return value if isinstance(value, str) else default


def _blocks_in(payload: dict[str, Any]) -> list[dict[str, Any]]:
    blocks = payload.get("blocks")
    return blocks if isinstance(blocks, list) else []


@dataclass
class Call:
    """One request as Slack would have seen it: method, decoded arguments (token removed),
    arrival time (`time.time()`), the JSON answered and the HTTP status."""

    method: str
    args: dict[str, Any]
    at: float
    response: dict[str, Any]
    status: int = 200
    team_id: str = ""
    """The workspace whose token made the call ("" for calls made without one)."""
    connection: str = ""
    """The caller's end of the connection it came over (host:port): the same for calls that
    came over one kept-alive connection."""

    @property
    def ok(self) -> bool:
        return self.status == 200 and bool(self.response.get("ok"))

    @property
    def error(self) -> str | None:
        error = self.response.get("error")
        return error if isinstance(error, str) else None


@dataclass(frozen=True)
class Version:
    """A message's content before one of its updates."""

    text: str
    blocks: list[dict[str, Any]]
    attachments: list[dict[str, Any]]
    metadata: dict[str, Any] | None
    at: float


@dataclass
class Message:
    channel: str
    ts: str
    thread_ts: str | None
    text: str
    blocks: list[dict[str, Any]]
    user: str
    updates: int = 0
    history: list[Version] = field(default_factory=list)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    metadata: dict[str, Any] | None = None
    files: list[dict[str, Any]] = field(default_factory=list)
    bot_id: str | None = None
    reply_broadcast: bool = False
    deleted: bool = False
    at: float = 0.0

    @property
    def is_reply(self) -> bool:
        return self.thread_ts is not None and self.thread_ts != self.ts

    def to_api(self, team_id: str = "") -> dict[str, Any]:
        """The message object as Slack returns it."""
        out: dict[str, Any] = {
            "type": "message",
            "user": self.user,
            "text": self.text,
            "ts": self.ts,
        }
        if team_id:
            out["team"] = team_id
        if self.bot_id:
            out["bot_id"] = self.bot_id
        if self.blocks:
            out["blocks"] = self.blocks
        if self.attachments:
            out["attachments"] = self.attachments
        if self.metadata:
            out["metadata"] = self.metadata
        if self.files:
            out["files"] = self.files
        if self.thread_ts is not None:
            out["thread_ts"] = self.thread_ts
        if self.updates:
            out["edited"] = {"user": self.user, "ts": self.ts}
        return out


@dataclass
class Ephemeral:
    """An ephemeral message: from chat.postEphemeral or an ephemeral response_url post."""

    channel: str | None
    user: str | None
    text: str
    blocks: list[dict[str, Any]]
    ts: str
    thread_ts: str | None = None
    via: str = "chat.postEphemeral"
    at: float = 0.0


@dataclass
class ResponsePost:
    """One post to a response_url made by `new_response_url()`."""

    url_id: str
    body: dict[str, Any]
    at: float
    channel: str | None = None
    user: str | None = None
    message_ts: str | None = None

    @property
    def text(self) -> str:
        return _str_in(self.body, "text")

    @property
    def blocks(self) -> list[dict[str, Any]]:
        return _blocks_in(self.body)

    @property
    def response_type(self) -> str:
        return _str_in(self.body, "response_type", "ephemeral")

    @property
    def replace_original(self) -> bool:
        return flag(self.body.get("replace_original"))

    @property
    def delete_original(self) -> bool:
        return flag(self.body.get("delete_original"))


@dataclass
class ResponseTarget:
    """Where the posts to one `new_response_url()` land, and how many it has taken."""

    id: str
    channel: str | None
    user: str | None
    message_ts: str | None
    uses: int = 0


@dataclass
class ViewRecord:
    """A modal or Home tab as the stand-in holds it. `payload` is the view the app sent."""

    id: str
    type: str
    payload: dict[str, Any]
    hash: str
    user_id: str | None = None
    trigger_id: str | None = None
    external_id: str | None = None
    root_view_id: str | None = None
    previous_view_id: str | None = None
    updates: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)
    at: float = 0.0
    errors: dict[str, str] = field(default_factory=dict)
    """Field errors from the app's last `response_action: errors` answer."""

    @property
    def blocks(self) -> list[dict[str, Any]]:
        return _blocks_in(self.payload)

    @property
    def callback_id(self) -> str:
        return _str_in(self.payload, "callback_id")

    @property
    def private_metadata(self) -> str:
        return _str_in(self.payload, "private_metadata")

    @property
    def title(self) -> str:
        title = self.payload.get("title")
        if isinstance(title, dict) and isinstance(title.get("text"), str):
            return str(title["text"])
        return ""

    def to_api(self, team_id: str, app_id: str, bot_id: str) -> dict[str, Any]:
        out = dict(self.payload)
        out.update(
            {
                "id": self.id,
                "team_id": team_id,
                "type": self.type,
                "private_metadata": self.private_metadata,
                "callback_id": self.callback_id,
                "external_id": self.external_id or "",
                "state": {"values": {}},
                "hash": self.hash,
                "clear_on_close": flag(self.payload.get("clear_on_close")),
                "notify_on_close": flag(self.payload.get("notify_on_close")),
                "root_view_id": self.root_view_id,
                "previous_view_id": self.previous_view_id,
                "app_id": app_id,
                "bot_id": bot_id,
            }
        )
        return out


@dataclass
class Upload:
    """A file going through files.getUploadURLExternal → upload URL → completeUploadExternal."""

    file_id: str
    filename: str
    length: int
    content: bytes | None = None
    title: str | None = None
    alt_txt: str | None = None
    snippet_type: str | None = None
    channels: list[str] = field(default_factory=list)
    initial_comment: str | None = None
    thread_ts: str | None = None
    completed: bool = False
    at: float = 0.0
    team: str = ""
    """The workspace whose token asked for its upload URL ("": a user's own file)."""
    ready_at: float = 0.0
    """When Slack has processed it (`State.file_processing` after it was completed)."""

    @property
    def text(self) -> str:
        """The uploaded content decoded as UTF-8 (empty before the upload step)."""
        return (self.content or b"").decode("utf-8", errors="replace")


@dataclass
class Execution:
    """A run of one of the app's Workflow Builder steps (a custom function), as Slack holds it:
    started with its inputs and a workflow token, then ended once by the app, with
    `functions.completeSuccess` (its outputs) or `functions.completeError` (its error)."""

    id: str
    """The function execution id (`Fx…`)."""
    workflow_run: str
    """The workflow execution id (`Wx…`)."""
    callback_id: str
    inputs: dict[str, Any]
    token: str
    """The workflow token (`xwfp-…`) the event carries in `bot_access_token`."""
    team_id: str
    """The workspace whose workflow runs it."""
    state: str = "running"
    """`running`, then `completed` or `failed`."""
    outputs: dict[str, Any] | None = None
    error: str | None = None
    at: float = 0.0

    @property
    def running(self) -> bool:
        return self.state == "running"


Listener = Callable[[Call], Awaitable[None] | None]
"""What `SlackStandIn.add_listener()` takes: called (sync or async) with each recorded call."""
