"""How the Web API reads a request and answers an error, as Slack does."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

# Fields slack_sdk sends as JSON strings in form bodies (and as objects in JSON bodies).
JSON_FIELDS = ("blocks", "view", "attachments", "metadata", "files", "user_auth_blocks", "outputs")


class ApiError(Exception):
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


def flag(value: Any) -> bool:
    """Slack booleans: true/1/"true"/"1" (forms carry strings)."""
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes")
    return bool(value)


def str_arg(args: dict[str, Any], name: str) -> str | None:
    """`args[name]` as a string; None when missing or empty."""
    value = args.get(name)
    if value is None or value == "":
        return None
    return str(value)


async def read_args(request: web.Request) -> tuple[dict[str, Any], str | None]:
    """The query and body arguments (token removed) and the token, from the
    `Authorization: Bearer` header or else the `token` argument."""
    args: dict[str, Any] = dict(request.query.items())
    if request.method == "POST" and request.body_exists:
        ctype = request.content_type
        if ctype == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise ApiError("invalid_json") from None
            if not isinstance(body, dict):
                raise ApiError("invalid_json")
            args.update(body)
        elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            for key, value in form.items():
                args[key] = value if isinstance(value, str) else getattr(value, "filename", "")
        elif ctype in ("", "application/octet-stream"):
            raise ApiError("missing_post_type")
        else:
            raise ApiError("invalid_post_type")
    token: str | None = None
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        token = header[len("Bearer ") :].strip() or None
    body_token = args.pop("token", None)
    if token is None and isinstance(body_token, str) and body_token:
        token = body_token
    return args, token


def decode_json_fields(raw: dict[str, Any]) -> dict[str, Any]:
    """`raw` with the JSON_FIELDS sent as strings parsed (empty ones dropped)."""
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
                raise ApiError(error, [f"[ERROR] {name} is not valid JSON"]) from None
    return args


def safe_decode(raw: dict[str, Any]) -> dict[str, Any]:
    """`decode_json_fields`, or `raw` as it came when a field is not valid JSON (for the record)."""
    try:
        return decode_json_fields(raw)
    except ApiError:
        return dict(raw)
