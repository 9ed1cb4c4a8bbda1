"""A recording stand-in for the Slack Web API, served by aiohttp on loopback.

Slack cannot be reached from tests or from the terminal console, so both talk to this instead:
point `AsyncWebClient(base_url=standin.api_url(url))` at it (the trailing `/` matters, see
slack-and-platform-facts.md). It answers the methods the app uses the way Slack does — same
shapes, same error strings — keeps what was posted (messages, threads, ephemerals, views,
response_url posts, uploads) and records every call in arrival order.

    standin = SlackStandIn()
    url = await serve(standin.app())          # tests/conftest.py
    standin.base_url = url                    # needed for new_response_url()
    client = AsyncWebClient(token=standin.token, base_url=standin.api_url())
    ...
    await standin.wait_for(lambda: standin.last_message("C0GENERAL") is not None)

Behaviour switches for tests: `cannot_post_in` (→ `not_in_channel`), `unknown_channels`
(→ `channel_not_found`), `expired_triggers` (→ `expired_trigger_id`), `rate_limit()` (HTTP 429 with
`Retry-After`) and `fail()` (any HTTP status). The console renders from `add_listener()`.

What it checks, like Slack: the bot token, required arguments, Block Kit limits that bite in
practice (50 blocks per message, 100 per view, 3000 characters per section text, 10 fields,
modal titles of at most 24 characters, inputs need a submit button), `chat.update` only on
existing bot messages, `views.update` hash conflicts, one exchange per trigger id, at most three
views on a modal stack, at most five posts per response_url.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import json
import logging
import mimetypes
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

log = logging.getLogger(__name__)

__all__ = [
    "Call",
    "Ephemeral",
    "Listener",
    "Message",
    "ResponsePost",
    "SlackStandIn",
    "Upload",
    "Version",
    "ViewRecord",
]

# Fields slack_sdk sends as JSON strings in form bodies (and as objects in JSON bodies).
JSON_FIELDS = ("blocks", "view", "attachments", "metadata", "files", "user_auth_blocks")

MESSAGE_BLOCKS_MAX = 50
VIEW_BLOCKS_MAX = 100
MESSAGE_TEXT_MAX = 40_000
SECTION_TEXT_MAX = 3000
SECTION_FIELDS_MAX = 10
FIELD_TEXT_MAX = 2000
HEADER_TEXT_MAX = 150
VIEW_TITLE_MAX = 24
PRIVATE_METADATA_MAX = 3000
ATTACHMENTS_MAX = 100
VIEW_STACK_MAX = 3
RESPONSE_URL_USES = 5

RESPONSE_URL_METHOD = "response_url"
"""`Call.method` of a post to a response_url (they are recorded in `calls` too)."""

_EPOCH = 1_700_000_000


# --------------------------------------------------------------------------- records


@dataclass
class Call:
    """One request as Slack would have seen it: method, decoded arguments (token removed),
    arrival time (`time.time()`), the JSON answered and the HTTP status."""

    method: str
    args: dict[str, Any]
    at: float
    response: dict[str, Any]
    status: int = 200

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
        text = self.body.get("text")
        return text if isinstance(text, str) else ""

    @property
    def blocks(self) -> list[dict[str, Any]]:
        blocks = self.body.get("blocks")
        return blocks if isinstance(blocks, list) else []

    @property
    def response_type(self) -> str:
        kind = self.body.get("response_type")
        return kind if isinstance(kind, str) else "ephemeral"

    @property
    def replace_original(self) -> bool:
        return _flag(self.body.get("replace_original"))

    @property
    def delete_original(self) -> bool:
        return _flag(self.body.get("delete_original"))


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
        blocks = self.payload.get("blocks")
        return blocks if isinstance(blocks, list) else []

    @property
    def callback_id(self) -> str:
        value = self.payload.get("callback_id")
        return value if isinstance(value, str) else ""

    @property
    def private_metadata(self) -> str:
        value = self.payload.get("private_metadata")
        return value if isinstance(value, str) else ""

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
                "clear_on_close": _flag(self.payload.get("clear_on_close")),
                "notify_on_close": _flag(self.payload.get("notify_on_close")),
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

    @property
    def text(self) -> str:
        """The uploaded content decoded as UTF-8 (empty before the upload step)."""
        return (self.content or b"").decode("utf-8", errors="replace")


Listener = Callable[[Call], Awaitable[None] | None]


# --------------------------------------------------------------------------- internals


class _ApiError(Exception):
    """Answer `{"ok": false, "error": ...}` (HTTP 200, as Slack does)."""

    def __init__(self, error: str, messages: list[str] | None = None, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.messages = messages or []
        self.extra = extra

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"ok": False, "error": self.error, **self.extra}
        if self.messages:
            out["response_metadata"] = {"messages": self.messages}
        return out


@dataclass
class _Fault:
    status: int
    remaining: int
    retry_after: int | None = None
    error: str | None = None


@dataclass
class _ResponseTarget:
    id: str
    channel: str | None
    user: str | None
    message_ts: str | None
    uses: int = 0


@dataclass
class _Listener:
    callback: Listener
    failures: bool


def _flag(value: Any) -> bool:
    """Slack booleans: true/1/"true"/"1" (forms carry strings)."""
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes")
    return bool(value)


def _str(args: dict[str, Any], name: str) -> str | None:
    value = args.get(name)
    if value is None or value == "":
        return None
    return str(value)


def _list_of_dicts(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, list):
        return [item for item in value if isinstance(item, dict)]
    return []


def _text_problems(obj: Any, limit: int, pointer: str, *, plain_only: bool = False) -> list[str]:
    if not isinstance(obj, dict) or obj.get("type") not in ("plain_text", "mrkdwn"):
        return [f"[ERROR] must be a text object (plain_text or mrkdwn) [json-pointer:{pointer}]"]
    if plain_only and obj.get("type") != "plain_text":
        return [f"[ERROR] must be a plain_text object [json-pointer:{pointer}/type]"]
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        return [f"[ERROR] must be more than 0 characters [json-pointer:{pointer}/text]"]
    if len(text) > limit:
        return [f"[ERROR] must be less than {limit + 1} characters [json-pointer:{pointer}/text]"]
    return []


def _elements_problems(block: dict[str, Any], limit: int, pointer: str) -> list[str]:
    elements = block.get("elements")
    if not isinstance(elements, list) or not elements:
        return [f"[ERROR] must provide at least 1 item [json-pointer:{pointer}/elements]"]
    if len(elements) > limit:
        return [f"[ERROR] no more than {limit} items allowed [json-pointer:{pointer}/elements]"]
    return []


def _block_problems(blocks: Any, limit: int, pointer: str = "/blocks") -> list[str]:
    """The Block Kit rules Slack enforces that an app is most likely to break."""
    if not isinstance(blocks, list):
        return [f"[ERROR] must be an array [json-pointer:{pointer}]"]
    problems: list[str] = []
    if len(blocks) > limit:
        problems.append(f"[ERROR] no more than {limit} items allowed [json-pointer:{pointer}]")
    seen: set[str] = set()
    for index, block in enumerate(blocks):
        where = f"{pointer}/{index}"
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            problems.append(f"[ERROR] missing required field: type [json-pointer:{where}]")
            continue
        block_id = block.get("block_id")
        if block_id is not None:
            if not isinstance(block_id, str) or not block_id or len(block_id) > 255:
                problems.append(f"[ERROR] invalid block_id [json-pointer:{where}/block_id]")
            elif block_id in seen:
                problems.append(
                    f"[ERROR] {block_id} is not a unique block_id [json-pointer:{where}/block_id]"
                )
            else:
                seen.add(block_id)
        kind = block["type"]
        if kind == "section":
            text, fields = block.get("text"), block.get("fields")
            if text is None and not fields:
                problems.append(f"[ERROR] must provide either text or fields [json-pointer:{where}]")
            if text is not None:
                problems += _text_problems(text, SECTION_TEXT_MAX, f"{where}/text")
            if fields is not None:
                if not isinstance(fields, list) or len(fields) > SECTION_FIELDS_MAX:
                    problems.append(
                        f"[ERROR] no more than {SECTION_FIELDS_MAX} items allowed "
                        f"[json-pointer:{where}/fields]"
                    )
                else:
                    for n, item in enumerate(fields):
                        problems += _text_problems(item, FIELD_TEXT_MAX, f"{where}/fields/{n}")
        elif kind == "header":
            problems += _text_problems(block.get("text"), HEADER_TEXT_MAX, f"{where}/text", plain_only=True)
        elif kind == "context":
            problems += _elements_problems(block, 10, where)
        elif kind == "actions":
            problems += _elements_problems(block, 25, where)
        elif kind == "input":
            problems += _text_problems(block.get("label"), 2000, f"{where}/label", plain_only=True)
            element = block.get("element")
            if not isinstance(element, dict) or not isinstance(element.get("type"), str):
                problems.append(f"[ERROR] missing required field: element [json-pointer:{where}]")
            elif element["type"] == "plain_text_input":
                max_length = element.get("max_length")
                if isinstance(max_length, int) and max_length > 3000:
                    problems.append(
                        f"[ERROR] must be less than 3001 [json-pointer:{where}/element/max_length]"
                    )
    return problems


def _view_problems(view: Any, kinds: tuple[str, ...]) -> list[str]:
    if not isinstance(view, dict):
        return ["[ERROR] missing required field: view"]
    kind = view.get("type")
    if kind not in kinds:
        return [f"[ERROR] type must be one of {', '.join(kinds)} [json-pointer:/view/type]"]
    problems: list[str] = []
    blocks = view.get("blocks")
    if blocks is None:
        problems.append("[ERROR] missing required field: blocks [json-pointer:/view]")
    else:
        problems += _block_problems(blocks, VIEW_BLOCKS_MAX, "/view/blocks")
    if kind == "modal":
        if view.get("title") is None:
            problems.append("[ERROR] missing required field: title [json-pointer:/view]")
        for name in ("title", "submit", "close"):
            if view.get(name) is not None:
                problems += _text_problems(view[name], VIEW_TITLE_MAX, f"/view/{name}", plain_only=True)
        has_input = isinstance(blocks, list) and any(
            isinstance(b, dict) and b.get("type") == "input" for b in blocks
        )
        if has_input and view.get("submit") is None:
            problems.append(
                "[ERROR] must provide a submit property when an input block is present [json-pointer:/view]"
            )
    metadata = view.get("private_metadata")
    if isinstance(metadata, str) and len(metadata) > PRIVATE_METADATA_MAX:
        problems.append(
            f"[ERROR] must be less than {PRIVATE_METADATA_MAX + 1} characters "
            "[json-pointer:/view/private_metadata]"
        )
    for name in ("callback_id", "external_id"):
        value = view.get(name)
        if isinstance(value, str) and len(value) > 255:
            problems.append(f"[ERROR] must be less than 256 characters [json-pointer:/view/{name}]")
    return problems


def _describe(call: Call) -> str:
    where = call.args.get("channel") or call.args.get("channel_id") or call.args.get("view_id")
    head = f"{call.method}({where})" if where else call.method
    if call.status != 200:
        return f"{head} -> HTTP {call.status}"
    return f"{head} -> {'ok' if call.ok else call.error}"


def _predicate_source(predicate: Callable[[], bool]) -> str:
    try:
        return inspect.getsource(predicate).strip()
    except (OSError, TypeError):
        return getattr(predicate, "__qualname__", repr(predicate))


# --------------------------------------------------------------------------- the stand-in


class SlackStandIn:
    """Recording stand-in for the Slack Web API. See the module docstring."""

    def __init__(
        self,
        token: str = "xoxb-test",
        team_id: str = "T0TEST",
        bot_user_id: str = "UBOT",
        *,
        base_url: str | None = None,
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
            bot_user_id: self._user(bot_user_id, "santo", "Santo", "UTC", "en-US", is_bot=True),
            "U0ALICE": self._user("U0ALICE", "alice", "Alice Chen", "Asia/Shanghai", "en-US"),
            "U0BOB": self._user("U0BOB", "bob", "Bob Smith", "Europe/London", "en-GB"),
            "U0WEI": self._user("U0WEI", "wei", "王伟", "Asia/Shanghai", "zh-CN"),
        }

        # Behaviour switches.
        self.cannot_post_in: set[str] = set()
        self.unknown_channels: set[str] = set()
        self.expired_triggers: set[str] = set()

        self._faults: dict[str, list[_Fault]] = {}
        self._listeners: list[_Listener] = []
        self._used_triggers: set[str] = set()
        self._trigger_stacks: dict[str, str] = {}
        self._last_stack: str | None = None
        self._dms: dict[str, str] = {}
        self._response_targets: dict[str, _ResponseTarget] = {}
        self._ts_seq = itertools.count(1)
        self._id_seq = itertools.count(1)
        self._app: web.Application | None = None
        self._cond: asyncio.Condition | None = None
        self._cond_loop: asyncio.AbstractEventLoop | None = None
        self._handlers: dict[str, Callable[[dict[str, Any], str], dict[str, Any]]] = {
            "api.test": self._api_test,
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.delete": self._chat_delete,
            "chat.getPermalink": self._chat_get_permalink,
            "conversations.info": self._conversations_info,
            "conversations.join": self._conversations_join,
            "conversations.open": self._conversations_open,
            "conversations.history": self._conversations_history,
            "conversations.replies": self._conversations_replies,
            "users.info": self._users_info,
            "usergroups.users.list": self._usergroups_users_list,
            "views.open": self._views_open,
            "views.push": self._views_push,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
            "files.info": self._files_info,
        }

    # ------------------------------------------------------------------ public API

    def app(self) -> web.Application:
        """The aiohttp application (built once)."""
        if self._app is None:
            app = web.Application()
            app.router.add_route("*", "/api/{method}", self._handle_api)
            app.router.add_post("/response/{url_id}", self._handle_response_url)
            app.router.add_post("/upload/{file_id}", self._handle_upload)
            app.router.add_get("/download/{file_id}/{name}", self._handle_download)
            self._app = app
        return self._app

    def api_url(self, base: str | None = None) -> str:
        """`{base}/api/` — what `AsyncWebClient(base_url=...)` and `SLACK_API_URL` want."""
        root = base if base is not None else self.base_url
        if root is None:
            raise RuntimeError("pass the served base URL or set SlackStandIn.base_url first")
        return root.rstrip("/") + "/api/"

    @property
    def methods(self) -> list[str]:
        """The Web API methods the stand-in implements."""
        return sorted(self._handlers)

    def new_response_url(
        self,
        *,
        channel: str | None = None,
        user: str | None = None,
        message_ts: str | None = None,
    ) -> str:
        """A response_url for a synthetic interaction. `message_ts` binds it to a message so
        `replace_original` / `delete_original` act on it; `channel`/`user` say where
        `in_channel` and ephemeral answers land."""
        if self.base_url is None:
            raise RuntimeError("set SlackStandIn.base_url to the served URL first")
        url_id = f"R{next(self._id_seq):08d}"
        self._response_targets[url_id] = _ResponseTarget(url_id, channel, user, message_ts)
        return f"{self.base_url.rstrip('/')}/response/{url_id}"

    def new_trigger_id(self, *, view_id: str | None = None) -> str:
        """A fresh trigger id. With `view_id`, it comes from an interaction inside that view,
        so a `views.push` with it stacks on that view's modal."""
        n = next(self._id_seq)
        trigger = f"{_EPOCH + n}.{n:06d}.{n * 2654435761 % 2**32:08x}"
        if view_id is not None:
            self.bind_trigger(trigger, view_id)
        return trigger

    def bind_trigger(self, trigger_id: str, view_id: str) -> None:
        """Declare that `trigger_id` came from an interaction inside view `view_id`."""
        stack = self._stack_key_of(view_id)
        if stack is None:
            raise KeyError(f"view {view_id} is not on any modal stack")
        self._trigger_stacks[trigger_id] = stack

    def answer_view_submission(self, view_id: str, answer: dict[str, Any]) -> ViewRecord | None:
        """Do what Slack does with the app's answer to a view_submission of `view_id`.

        `push` stacks a new view, `update` replaces the submitted one, `clear` closes the
        modal, `errors` keeps the view open (the errors are stored on it), and no action
        closes the submitted view. Returns the view now on top, if any.
        """
        record = self.views.get(view_id)
        key = self._stack_key_of(view_id)
        stack = self.view_stacks.get(key, []) if key is not None else []
        action = answer.get("response_action")
        if record is None:
            return None
        if action == "errors":
            record.errors = dict(answer.get("errors") or {})
            return record
        record.errors = {}
        if action == "update":
            self._replace_view(record, dict(answer["view"]))
            return record
        if action == "push":
            pushed = self._new_view(
                dict(answer["view"]),
                time.time(),
                root_view_id=stack[0] if stack else record.id,
                previous_view_id=view_id,
            )
            stack.append(pushed.id)
            return pushed
        if action == "clear":
            stack.clear()
            return None
        if view_id in stack:
            stack.remove(view_id)
        return self.views.get(stack[-1]) if stack else None

    def rate_limit(self, method: str, times: int = 1, retry_after: int = 1) -> None:
        """The next `times` calls to `method` ("*" = any) answer HTTP 429 with `Retry-After`."""
        self._faults.setdefault(method, []).append(
            _Fault(status=429, remaining=times, retry_after=retry_after, error="ratelimited")
        )

    def fail(
        self,
        method: str,
        times: int = 1,
        status: int = 500,
        *,
        error: str | None = "internal_error",
    ) -> None:
        """The next `times` calls to `method` ("*" = any) answer HTTP `status` with
        `{"ok": false, "error": error}`; `error=None` sends an HTML page instead, like a proxy."""
        self._faults.setdefault(method, []).append(_Fault(status=status, remaining=times, error=error))

    def add_listener(self, callback: Listener, *, failures: bool = False) -> None:
        """Call `callback(call)` (sync or async) after each successful call; with
        `failures=True` also after calls answered with an error or a non-200 status."""
        self._listeners.append(_Listener(callback, failures))

    def remove_listener(self, callback: Listener) -> None:
        self._listeners = [entry for entry in self._listeners if entry.callback is not callback]

    def calls_to(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

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

    def post_user_message(
        self, channel: str, user: str, text: str, *, thread_ts: str | None = None
    ) -> Message:
        """Put a message from a human into the store (it was not posted through the API)."""
        message = Message(
            channel=channel,
            ts=self._next_ts(),
            thread_ts=thread_ts,
            text=text,
            blocks=[],
            user=user,
            at=time.time(),
        )
        self.messages[(channel, message.ts)] = message
        return message

    async def wait_for(
        self,
        predicate: Callable[[], bool],
        timeout: float = 5.0,  # noqa: ASYNC109 - the tests' vocabulary; applied via asyncio.timeout
        *,
        what: str | None = None,
        poll: float = 0.05,
    ) -> None:
        """Return once `predicate()` is true. It is re-checked after every recorded call and
        every `poll` seconds (so it may also look at state outside the stand-in). On timeout,
        AssertionError names the predicate and the last calls received."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        cond = self._condition()
        async with cond:
            while not predicate():
                remaining = deadline - loop.time()
                if remaining <= 0:
                    raise AssertionError(self._timeout_message(predicate, timeout, what))
                try:
                    async with asyncio.timeout(min(poll, remaining)):
                        await cond.wait()
                except TimeoutError:
                    pass

    async def wait_for_call(
        self,
        method: str,
        *,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
        ok: bool | None = None,
    ) -> Call:
        """Wait for the `count`-th call to `method` (only successful ones with `ok=True`,
        only failed ones with `ok=False`) and return it."""

        def matching() -> list[Call]:
            return [c for c in self.calls_to(method) if ok is None or c.ok == ok]

        await self.wait_for(lambda: len(matching()) >= count, timeout, what=f"{count} call(s) to {method}")
        return matching()[count - 1]

    # ------------------------------------------------------------------ HTTP plumbing

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        try:
            raw, token = await self._read_args(request)
        except _ApiError as exc:
            return await self._answer(method, {}, exc.body())
        fault = self._take_fault(method)
        if fault is not None:
            return await self._answer_fault(method, raw, fault)
        handler = self._handlers.get(method)
        try:
            if handler is None:
                raise _ApiError("unknown_method", req_method=method)
            if token is None:
                raise _ApiError("not_authed")
            if token != self.token:
                raise _ApiError("invalid_auth")
            args = self._decode_json_fields(raw)
            response = handler(args, self.base_url or str(request.url.origin()))
        except _ApiError as exc:
            response = exc.body()
        return await self._answer(method, raw, response)

    async def _read_args(self, request: web.Request) -> tuple[dict[str, Any], str | None]:
        args: dict[str, Any] = dict(request.query.items())
        if request.method == "POST" and request.body_exists:
            ctype = request.content_type
            if ctype == "application/json":
                try:
                    body = await request.json()
                except ValueError:
                    raise _ApiError("invalid_json") from None
                if not isinstance(body, dict):
                    raise _ApiError("invalid_json")
                args.update(body)
            elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
                form = await request.post()
                for key, value in form.items():
                    args[key] = value if isinstance(value, str) else getattr(value, "filename", "")
            elif ctype in ("", "application/octet-stream"):
                raise _ApiError("missing_post_type")
            else:
                raise _ApiError("invalid_post_type")
        token: str | None = None
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            token = header[len("Bearer ") :].strip() or None
        body_token = args.pop("token", None)
        if token is None and isinstance(body_token, str) and body_token:
            token = body_token
        return args, token

    @staticmethod
    def _decode_json_fields(raw: dict[str, Any]) -> dict[str, Any]:
        args = dict(raw)
        for name in JSON_FIELDS:
            value = args.get(name)
            if isinstance(value, str):
                if value == "":
                    del args[name]
                    continue
                try:
                    args[name] = json.loads(value)
                except ValueError:
                    error = "invalid_blocks_format" if name == "blocks" else "invalid_arguments"
                    raise _ApiError(error, [f"[ERROR] {name} is not valid JSON"]) from None
        return args

    def _take_fault(self, method: str) -> _Fault | None:
        for key in (method, "*"):
            queue = self._faults.get(key)
            if queue:
                fault = queue[0]
                fault.remaining -= 1
                if fault.remaining <= 0:
                    queue.pop(0)
                return fault
        return None

    async def _answer_fault(self, method: str, args: dict[str, Any], fault: _Fault) -> web.StreamResponse:
        headers: dict[str, str] = {}
        if fault.retry_after is not None:
            headers["Retry-After"] = str(fault.retry_after)
        if fault.error is None:
            body = {"ok": False, "error": f"http_{fault.status}"}
            resp: web.StreamResponse = web.Response(
                status=fault.status,
                text=f"<html><body><h1>{fault.status}</h1></body></html>",
                content_type="text/html",
                headers=headers,
            )
        else:
            body = {"ok": False, "error": fault.error}
            resp = web.json_response(body, status=fault.status, headers=headers)
        await self._record(Call(method, self._safe_decode(args), time.time(), body, fault.status))
        return resp

    async def _answer(
        self, method: str, args: dict[str, Any], response: dict[str, Any]
    ) -> web.StreamResponse:
        await self._record(Call(method, self._safe_decode(args), time.time(), response))
        return web.json_response(response)

    def _safe_decode(self, raw: dict[str, Any]) -> dict[str, Any]:
        try:
            return self._decode_json_fields(raw)
        except _ApiError:
            return dict(raw)

    async def _record(self, call: Call) -> None:
        self.calls.append(call)
        cond = self._condition()
        async with cond:
            cond.notify_all()
        for entry in list(self._listeners):
            if not (call.ok or entry.failures):
                continue
            try:
                result = entry.callback(call)
                if inspect.isawaitable(result):
                    await result
            except Exception:
                log.exception("Slack stand-in listener failed on %s", call.method)

    def _condition(self) -> asyncio.Condition:
        loop = asyncio.get_running_loop()
        if self._cond is None or self._cond_loop is not loop:
            self._cond = asyncio.Condition()
            self._cond_loop = loop
        return self._cond

    def _timeout_message(self, predicate: Callable[[], bool], timeout: float, what: str | None) -> str:
        recent = self.calls[-10:]
        lines = [
            f"Slack stand-in: timed out after {timeout:g}s waiting for "
            f"{what or _predicate_source(predicate)}",
            f"{len(self.calls)} call(s) recorded"
            + (f"; last {len(recent)}:" if recent else " (the app never called Slack)"),
        ]
        lines += [f"  {_describe(call)}" for call in recent]
        return "\n".join(lines)

    # ------------------------------------------------------------------ response_url & upload

    async def _handle_response_url(self, request: web.Request) -> web.StreamResponse:
        url_id = request.match_info["url_id"]
        try:
            body = await request.json()
        except ValueError:
            body = None
        args: dict[str, Any] = {"url_id": url_id}
        if isinstance(body, dict):
            args.update(body)
        fault = self._take_fault(RESPONSE_URL_METHOD)
        if fault is not None:
            return await self._answer_fault(RESPONSE_URL_METHOD, args, fault)
        target = self._response_targets.get(url_id)
        status: int = 200
        answer: dict[str, Any] = {"ok": True}
        if target is None:
            status, answer = 404, {"ok": False, "error": "expired_url"}
        elif target.uses >= RESPONSE_URL_USES:
            status, answer = 404, {"ok": False, "error": "used_url"}
        elif not isinstance(body, dict):
            status, answer = 400, {"ok": False, "error": "invalid_payload"}
        else:
            problems = _block_problems(body["blocks"], MESSAGE_BLOCKS_MAX) if "blocks" in body else []
            if problems:
                status, answer = 400, {"ok": False, "error": "invalid_blocks"}
            elif not (body.get("text") or body.get("blocks") or _flag(body.get("delete_original"))):
                status, answer = 400, {"ok": False, "error": "no_text"}
            else:
                target.uses += 1
                self._apply_response(target, body)
        await self._record(Call(RESPONSE_URL_METHOD, args, time.time(), answer, status))
        return web.json_response(answer, status=status)

    def _apply_response(self, target: _ResponseTarget, body: dict[str, Any]) -> None:
        now = time.time()
        post = ResponsePost(target.id, body, now, target.channel, target.user, target.message_ts)
        self.responses.append(post)
        original = (
            self.messages.get((target.channel, target.message_ts))
            if target.channel and target.message_ts
            else None
        )
        if post.delete_original:
            if original is not None:
                original.deleted = True
            return
        if post.replace_original and original is not None and not original.deleted:
            self._update_message(original, {"text": post.text, "blocks": post.blocks}, now)
            return
        if post.response_type == "in_channel" and target.channel:
            thread_ts = body.get("thread_ts") if isinstance(body.get("thread_ts"), str) else None
            self._store_message(target.channel, post.text, post.blocks, thread_ts, {}, now)
            return
        self.ephemerals.append(
            Ephemeral(
                channel=target.channel,
                user=target.user,
                text=post.text,
                blocks=post.blocks,
                ts=self._next_ts(),
                via=RESPONSE_URL_METHOD,
                at=now,
            )
        )

    async def _handle_upload(self, request: web.Request) -> web.StreamResponse:
        upload = next((u for u in self.uploads if u.file_id == request.match_info["file_id"]), None)
        if upload is None:
            return web.Response(status=404, text="Not Found", content_type="text/plain")
        if request.content_type == "multipart/form-data":
            form = await request.post()
            content = b""
            for value in form.values():
                if isinstance(value, web.FileField):
                    content = value.file.read()
                    break
                if isinstance(value, str):
                    content = value.encode()
        else:
            content = await request.read()
        upload.content = content
        cond = self._condition()
        async with cond:
            cond.notify_all()
        return web.Response(text=f"OK - {len(content)}", content_type="text/plain")

    # ------------------------------------------------------------------ state helpers

    @staticmethod
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

    def _next_ts(self) -> str:
        n = next(self._ts_seq)
        return f"{_EPOCH + n // 10_000}.{(n % 10_000) * 100:06d}"

    def _next_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._id_seq):08d}"

    def _resolve_channel(self, raw: Any) -> str:
        """A channel id from an id, `#name` or a user id (→ the DM with that user)."""
        if not isinstance(raw, str) or not raw:
            raise _ApiError("channel_not_found")
        if raw.startswith("#"):
            for channel_id, name in self.channel_names.items():
                if name == raw[1:]:
                    return channel_id
            raise _ApiError("channel_not_found")
        if raw[0] in "UW":
            if raw not in self.users:
                raise _ApiError("channel_not_found")
            return self._dm_with(raw)
        if raw in self.unknown_channels:
            raise _ApiError("channel_not_found")
        return raw

    def _dm_with(self, user: str) -> str:
        channel = "D" + user[1:]
        self._dms[channel] = user
        return channel

    def _postable(self, raw: Any) -> str:
        channel = self._resolve_channel(raw)
        if channel in self.cannot_post_in:
            raise _ApiError("not_in_channel")
        return channel

    def _known_channel(self, raw: Any) -> str:
        """For conversations.*: only channels the workspace has (channel_names or DMs)."""
        channel = self._resolve_channel(raw)
        if channel not in self.channel_names and channel not in self._dms:
            raise _ApiError("channel_not_found")
        return channel

    def _channel_info(self, channel: str) -> dict[str, Any]:
        if channel in self._dms:
            return {
                "id": channel,
                "is_im": True,
                "is_channel": False,
                "is_private": True,
                "user": self._dms[channel],
                "is_member": True,
                "is_archived": False,
            }
        private = channel in self.private_channels
        return {
            "id": channel,
            "name": self.channel_names[channel],
            "is_channel": not private,
            "is_group": private,
            "is_im": False,
            "is_private": private,
            "is_archived": False,
            "is_general": self.channel_names[channel] == "general",
            "is_member": channel not in self.cannot_post_in,
            "context_team_id": self.team_id,
        }

    def _content(self, args: dict[str, Any], *, required: bool) -> dict[str, Any]:
        """Validated text/blocks/attachments/metadata present in `args`."""
        out: dict[str, Any] = {}
        text = args.get("text")
        if text is not None:
            out["text"] = str(text)
            if len(out["text"]) > MESSAGE_TEXT_MAX:
                raise _ApiError("msg_too_long")
        if "blocks" in args:
            problems = _block_problems(args["blocks"], MESSAGE_BLOCKS_MAX)
            if problems:
                raise _ApiError("invalid_blocks", problems)
            out["blocks"] = args["blocks"]
        if "attachments" in args:
            attachments = args["attachments"]
            if not isinstance(attachments, list):
                raise _ApiError("invalid_attachments")
            if len(attachments) > ATTACHMENTS_MAX:
                raise _ApiError("too_many_attachments")
            out["attachments"] = _list_of_dicts(attachments)
        if "metadata" in args:
            metadata = args["metadata"]
            if not isinstance(metadata, dict):
                raise _ApiError("invalid_metadata_format")
            out["metadata"] = metadata
        if required and not (out.get("text") or out.get("blocks") or out.get("attachments")):
            raise _ApiError("no_text")
        return out

    def _store_message(
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
        if thread_ts is not None:
            parent = self.messages.get((channel, thread_ts))
            if parent is not None and parent.is_reply and parent.thread_ts is not None:
                thread_ts = parent.thread_ts  # a reply's ts means its thread
        message = Message(
            channel=channel,
            ts=self._next_ts(),
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
    def _update_message(message: Message, content: dict[str, Any], now: float) -> None:
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

    def _own_message(self, args: dict[str, Any], ts_field: str = "ts") -> Message:
        channel = self._resolve_channel(args.get("channel"))
        ts = _str(args, ts_field)
        message = self.messages.get((channel, ts)) if ts else None
        if message is None or message.deleted:
            raise _ApiError("message_not_found")
        return message

    def _stack_key_of(self, view_id: str) -> str | None:
        for key, stack in self.view_stacks.items():
            if view_id in stack:
                return key
        return None

    def _exchange_trigger(self, args: dict[str, Any]) -> str:
        trigger = _str(args, "trigger_id") or _str(args, "interactivity_pointer")
        if trigger is None:
            raise _ApiError("invalid_arguments", ["invalid `trigger_id`"])
        if trigger in self.expired_triggers:
            raise _ApiError("expired_trigger_id")
        if trigger in self._used_triggers:
            raise _ApiError("exchanged_trigger_id")
        return trigger

    def _checked_view(
        self, args: dict[str, Any], kinds: tuple[str, ...], *, replacing: str | None = None
    ) -> dict[str, Any]:
        view = args.get("view")
        problems = _view_problems(view, kinds)
        if problems:
            raise _ApiError("invalid_arguments", problems)
        assert isinstance(view, dict)
        external_id = view.get("external_id")
        if external_id and any(
            v.external_id == external_id and v.id != replacing for v in self.views.values()
        ):
            raise _ApiError("duplicate_external_id")
        return view

    def _new_view(self, view: dict[str, Any], now: float, **fields: Any) -> ViewRecord:
        view_id = self._next_id("V")
        n = next(self._id_seq)
        record = ViewRecord(
            id=view_id,
            type=str(view["type"]),
            payload=view,
            hash=f"{_EPOCH + n}.{n * 2654435761 % 2**32:08x}",
            external_id=view.get("external_id") or None,
            at=now,
            **fields,
        )
        self.views[view_id] = record
        return record

    def _view_answer(self, record: ViewRecord) -> dict[str, Any]:
        return {"ok": True, "view": record.to_api(self.team_id, self.app_id, self.bot_id)}

    # ------------------------------------------------------------------ methods

    def _api_test(self, args: dict[str, Any], origin: str) -> dict[str, Any]:
        return {"ok": True, "args": args}

    def _auth_test(self, args: dict[str, Any], origin: str) -> dict[str, Any]:
        return {
            "ok": True,
            "url": f"https://{self.team_domain}.slack.com/",
            "team": self.team_name,
            "user": self.users.get(self.bot_user_id, {}).get("name", "santo"),
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "is_enterprise_install": False,
        }

    def _chat_post_message(self, args: dict[str, Any], origin: str) -> dict[str, Any]:
        channel = self._postable(args.get("channel"))
        content = self._content(args, required=True)
        message = self._store_message(
            channel,
            content.get("text", ""),
            content.get("blocks", []),
            _str(args, "thread_ts"),
            content,
            time.time(),
            reply_broadcast=_flag(args.get("reply_broadcast")),
        )
        return {
            "ok": True,
            "channel": channel,
            "ts": message.ts,
            "message": message.to_api(self.team_id),
        }

    def _chat_update(self, args: dict[str, Any], origin: str) -> dict[str, Any]:
        message = self._own_message(args)
        if message.user != self.bot_user_id:
            raise _ApiError("cant_update_message")
        content = self._content(args, required=False)
        if not (set(content) & {"text", "blocks", "attachments"}):
            raise _ApiError("no_text")
        self._update_message(message, content, time.time())
        return {
            "ok": True,
            "channel": message.channel,
            "ts": message.ts,
            "text": message.text,
            "message": message.to_api(self.team_id),
        }

    def _chat_post_ephemeral(self, args: dict[str, Any], origin: str) -> dict[str, Any]:
        channel = self._postable(args.get("channel"))
        user = _str(args, "user")
        if user is None:
            raise _ApiError("user_not_found")
        content = self._content(args, required=True)
        ts = self._next_ts()
        self.ephemerals.append(
            Ephemeral(
                channel=channel,
                user=user,
                text=content.get("text", ""),
                blocks=content.get("blocks", []),
                ts=ts,
                thread_ts=_str(args, "thread_ts"),
                at=time.time(),
            )
        )
        return {"ok": True, "message_ts": ts}

    def _chat_delete(self, args: dict[str, Any], origin: str) -> dict[str, Any]:
        message = self._own_message(args)
        if message.user != self.bot_user_id:
            raise _ApiError("cant_delete_message")
        message.deleted = True
        return {"ok": True, "channel": message.channel, "ts": message.ts}

    def _chat_get_permalink(self, args: dict[str, Any], origin: str) -> dict[str, Any]:
        message = self._own_message(args, "message_ts")
        link = (
            f"https://{self.team_domain}.slack.com/archives/{message.channel}/p{message.ts.replace('.', '')}"
        )
        return {"ok": True, "channel": message.channel, "permalink": link}

    def _conversations_info(self, args: dict[str, Any], origin: str) -> dict[str, Any]:
        channel = self._known_channel(args.get("channel"))
        return {"ok": True, "channel": self._channel_info(channel)}

    def _conversations_join(self, args: dict[str, Any], origin: str) -> dict[str, Any]:
        channel = self._known_channel(args.get("channel"))
        if channel in self._dms or channel in self.private_channels:
            raise _ApiError("method_not_supported_for_channel_type")
        self.cannot_post_in.discard(channel)
        return {"ok": True, "channel": self._channel_info(channel)}

    def _conversations_open(self, args: dict[str, Any], origin: str) -> dict[str, Any]:
        users = [u for u in str(args.get("users") or "").split(",") if u]
        if len(users) != 1:
            raise _ApiError("users_list_not_supplied" if not users else "not_enough_users")
        if users[0] not in self.users:
            raise _ApiError("user_not_found")
        return {"ok": True, "channel": {"id": self._dm_with(users[0])}}

    def _conversations_history(self, args: dict[str, Any], origin: str) -> dict[str, Any]:
        channel = self._known_channel(args.get("channel"))
        limit = int(args.get("limit") or 100)
        newest_first = list(reversed(self.channel_messages(channel)))
        return {
            "ok": True,
            "messages": [m.to_api(self.team_id) for m in newest_first[:limit]],
            "has_more": len(newest_first) > limit,
        }

    def _conversations_replies(self, args: dict[str, Any], origin: str) -> dict[str, Any]:
        parent = self._own_message(args)
        chain = [parent, *self.thread(parent.channel, parent.ts)]
        return {"ok": True, "messages": [m.to_api(self.team_id) for m in chain], "has_more": False}

    def _usergroups_users_list(self, args: dict[str, Any], origin: str) -> dict[str, Any]:
        group = _str(args, "usergroup")
        if group is None or group not in self.usergroups:
            raise _ApiError("no_such_subteam")
        return {"ok": True, "users": list(self.usergroups[group])}

    def _users_info(self, args: dict[str, Any], origin: str) -> dict[str, Any]:
        user = self.users.get(_str(args, "user") or "")
        if user is None:
            raise _ApiError("user_not_found")
        out = dict(user)
        out.setdefault("team_id", self.team_id)
        if not _flag(args.get("include_locale")):
            out.pop("locale", None)
        return {"ok": True, "user": out}

    def _views_open(self, args: dict[str, Any], origin: str) -> dict[str, Any]:
        trigger = self._exchange_trigger(args)
        view = self._checked_view(args, ("modal",))
        self._used_triggers.add(trigger)
        record = self._new_view(view, time.time(), trigger_id=trigger)
        record.root_view_id = record.id
        self.view_stacks[trigger] = [record.id]
        self._trigger_stacks[trigger] = trigger
        self._last_stack = trigger
        return self._view_answer(record)

    def _views_push(self, args: dict[str, Any], origin: str) -> dict[str, Any]:
        trigger = self._exchange_trigger(args)
        key = self._trigger_stacks.get(trigger, self._last_stack)
        if key is None or key not in self.view_stacks:
            raise _ApiError("invalid_arguments", ["no open modal to push onto for `trigger_id`"])
        stack = self.view_stacks[key]
        if len(stack) >= VIEW_STACK_MAX:
            raise _ApiError("push_limit_reached")
        view = self._checked_view(args, ("modal",))
        self._used_triggers.add(trigger)
        record = self._new_view(
            view,
            time.time(),
            trigger_id=trigger,
            root_view_id=stack[0],
            previous_view_id=stack[-1],
        )
        stack.append(record.id)
        self._last_stack = key
        return self._view_answer(record)

    def _views_update(self, args: dict[str, Any], origin: str) -> dict[str, Any]:
        view_id, external_id = _str(args, "view_id"), _str(args, "external_id")
        if view_id is None and external_id is None:
            raise _ApiError("invalid_arguments", ["either view_id or external_id is required"])
        if view_id is not None:
            record = self.views.get(view_id)
        else:
            record = next((v for v in self.views.values() if v.external_id == external_id), None)
        if record is None:
            raise _ApiError("not_found")
        expected = _str(args, "hash")
        if expected is not None and expected != record.hash:
            raise _ApiError("hash_conflict")
        view = self._checked_view(args, (record.type,), replacing=record.id)
        self._replace_view(record, view)
        return self._view_answer(record)

    def _replace_view(self, record: ViewRecord, view: dict[str, Any]) -> None:
        n = next(self._id_seq)
        record.history.append(record.payload)
        record.payload = view
        record.external_id = view.get("external_id") or record.external_id
        record.hash = f"{_EPOCH + n}.{n * 2654435761 % 2**32:08x}"
        record.updates += 1
        record.at = time.time()

    def _views_publish(self, args: dict[str, Any], origin: str) -> dict[str, Any]:
        user = _str(args, "user_id")
        if user is None:
            raise _ApiError("invalid_arguments", ["missing required field: user_id"])
        if user not in self.users:
            raise _ApiError("user_not_found")
        existing = self.views.get(self.home_tabs.get(user, ""))
        expected = _str(args, "hash")
        if expected is not None and (existing is None or expected != existing.hash):
            raise _ApiError("hash_conflict")
        view = self._checked_view(args, ("home",), replacing=existing.id if existing else None)
        if existing is not None:
            self._replace_view(existing, view)
            return self._view_answer(existing)
        record = self._new_view(view, time.time(), user_id=user)
        record.root_view_id = record.id
        self.home_tabs[user] = record.id
        return self._view_answer(record)

    def add_user_file(self, filename: str, content: bytes, user: str = "U0ALICE") -> dict[str, Any]:
        """A file a user uploaded (e.g. through a modal's `file_input`): the file object as
        a view submission carries it in `state.values`."""
        upload = Upload(
            file_id=self._next_id("F"), filename=filename, length=len(content), content=content,
            completed=True, at=time.time(),
        )
        upload.title = filename
        self.uploads.append(upload)
        self.file_owners[upload.file_id] = user
        return {"id": upload.file_id, "name": filename, "filetype": filename.rsplit(".", 1)[-1].lower()}

    def _files_info(self, args: dict[str, Any], origin: str) -> dict[str, Any]:
        upload = next((u for u in self.uploads if u.file_id == _str(args, "file")), None)
        if upload is None or not upload.completed:
            raise _ApiError("file_not_found")
        info = self._file_object(upload, upload.at)
        info["user"] = self.file_owners.get(upload.file_id, self.bot_user_id)
        info["url_private_download"] = f"{origin.rstrip('/')}/download/{upload.file_id}/{upload.filename}"
        return {"ok": True, "file": info}

    async def _handle_download(self, request: web.Request) -> web.StreamResponse:
        """A file's content, for `Authorization: Bearer <bot token>` only (as files.slack.com)."""
        self.downloads.append(request.match_info["file_id"])
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return web.Response(status=302, headers={"Location": "https://slack.com/signin"})
        upload = next((u for u in self.uploads if u.file_id == request.match_info["file_id"]), None)
        if upload is None or upload.content is None:
            return web.Response(status=404, text="Not Found", content_type="text/plain")
        return web.Response(body=upload.content, content_type="application/octet-stream")

    def _files_get_upload_url(self, args: dict[str, Any], origin: str) -> dict[str, Any]:
        filename = _str(args, "filename")
        try:
            length = int(args.get("length", ""))
        except (TypeError, ValueError):
            length = -1
        if filename is None or length < 0:
            raise _ApiError("invalid_arguments", ["filename and length are required"])
        file_id = self._next_id("F")
        self.uploads.append(
            Upload(
                file_id=file_id,
                filename=filename,
                length=length,
                alt_txt=_str(args, "alt_txt"),
                snippet_type=_str(args, "snippet_type"),
                at=time.time(),
            )
        )
        upload_url = f"{origin.rstrip('/')}/upload/{file_id}"
        return {"ok": True, "upload_url": upload_url, "file_id": file_id}

    def _files_complete_upload(self, args: dict[str, Any], origin: str) -> dict[str, Any]:
        entries = args.get("files")
        if not isinstance(entries, list) or not entries:
            raise _ApiError("invalid_arguments", ["missing required field: files"])
        by_id = {u.file_id: u for u in self.uploads}
        chosen: list[tuple[Upload, dict[str, Any]]] = []
        for entry in entries:
            upload = by_id.get(str(entry.get("id"))) if isinstance(entry, dict) else None
            if upload is None or upload.content is None or upload.completed:
                raise _ApiError("file_not_found")
            chosen.append((upload, entry))
        raw_channels = [_str(args, "channel_id"), *str(args.get("channels") or "").split(",")]
        channels = [self._postable(c) for c in dict.fromkeys(c for c in raw_channels if c)]
        thread_ts = _str(args, "thread_ts")
        if thread_ts is not None and len(channels) != 1:
            raise _ApiError("invalid_arguments", ["thread_ts needs exactly one channel"])
        comment = _str(args, "initial_comment")
        now = time.time()
        files: list[dict[str, Any]] = []
        for upload, entry in chosen:
            upload.title = str(entry.get("title") or upload.filename)
            upload.channels = channels
            upload.initial_comment = comment
            upload.thread_ts = thread_ts
            upload.completed = True
            files.append(self._file_object(upload, now))
        for channel in channels:
            self._store_message(channel, comment or "", [], thread_ts, {}, now, files=files)
        return {"ok": True, "files": files}

    def _file_object(self, upload: Upload, now: float) -> dict[str, Any]:
        mimetype = mimetypes.guess_type(upload.filename)[0] or "application/octet-stream"
        base = f"https://files.slack.com/files-pri/{self.team_id}-{upload.file_id}"
        return {
            "id": upload.file_id,
            "created": int(now),
            "timestamp": int(now),
            "name": upload.filename,
            "title": upload.title,
            "mimetype": mimetype,
            "filetype": upload.filename.rsplit(".", 1)[-1] if "." in upload.filename else "binary",
            "user": self.bot_user_id,
            "size": len(upload.content or b""),
            "url_private": f"{base}/{upload.filename}",
            "permalink": f"https://{self.team_domain}.slack.com/files/{self.bot_user_id}/"
            f"{upload.file_id}/{upload.filename}",
            "channels": [c for c in upload.channels if c not in self.private_channels and c not in self._dms],
            "groups": [c for c in upload.channels if c in self.private_channels],
            "ims": [c for c in upload.channels if c in self._dms],
        }
