"""The sandbox's own controls (not in the manual), for tests and demos: `GET /_sandbox/state`,
`POST /_sandbox/force`, `POST /_sandbox/callback` and `POST /_sandbox/mo` (a phone writes now)."""

from __future__ import annotations

import json

from aiohttp import web
from yarl import URL

from bot.dev.sandbox.phone import DEFAULT_DC
from bot.dev.sandbox.state import SANDBOX_STATE


def add_controls(app: web.Application) -> None:
    app.router.add_get("/_sandbox/state", control_state)
    app.router.add_post("/_sandbox/force", control_force)
    app.router.add_post("/_sandbox/callback", control_callback)
    app.router.add_post("/_sandbox/mo", control_mo)


async def control_state(request: web.Request) -> web.Response:
    return web.json_response(request.app[SANDBOX_STATE].summary())


async def _json_object(request: web.Request) -> dict[str, object]:
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise _bad_request("the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise _bad_request("the body must be a JSON object")
    return body


def _bad_request(reason: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(text=json.dumps({"error": reason}), content_type="application/json")


async def control_force(request: web.Request) -> web.Response:
    """`{"8613910825657": "402", "8613800000000": null}`: set (or, with null, clear) outcomes."""
    state = request.app[SANDBOX_STATE]
    changes = await _json_object(request)
    for msisdn, outcome in changes.items():
        if outcome is not None and not isinstance(outcome, str):
            raise _bad_request(f"the outcome of {msisdn} must be a string or null")
    before = dict(state.config.forced)
    try:
        for msisdn, outcome in changes.items():
            state.force(msisdn, outcome if isinstance(outcome, str) else None)
    except ValueError as exc:
        state.config.forced = before
        raise _bad_request(str(exc)) from None
    return web.json_response({"forced": state.config.forced})


async def control_callback(request: web.Request) -> web.Response:
    """`{"url": "http://127.0.0.1:3000/santo/report"}` (or null): where reports go."""
    state = request.app[SANDBOX_STATE]
    url = (await _json_object(request)).get("url")
    if url is not None:
        if not isinstance(url, str):
            raise _bad_request("url must be a string or null")
        try:
            parsed = URL(url)
        except ValueError:
            raise _bad_request("url is not a URL") from None
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise _bad_request("url must be an absolute http(s) URL")
    state.config.callback_url = url or None
    return web.json_response({"callback_url": state.config.callback_url})


async def control_mo(request: web.Request) -> web.Response:
    """`{"from": "+8613910825657", "text": "Hello", "dc": 8, "to": "1069"}` (dc and to optional):
    that phone writes to the customer now; the answer comes once the message is delivered."""
    state = request.app[SANDBOX_STATE]
    body = await _json_object(request)
    phone, text, to = body.get("from"), body.get("text"), body.get("to")
    dc = body.get("dc", DEFAULT_DC)
    if not isinstance(phone, str) or not isinstance(text, str):
        raise _bad_request("from and text must be strings")
    if to is not None and not (isinstance(to, str) and to.isascii() and to.isalnum() and len(to) <= 20):
        raise _bad_request("to must be a sender id or service number (letters and digits, up to 20)")
    if isinstance(dc, bool) or not isinstance(dc, int | str):
        raise _bad_request("dc must be 15, 8 or 0")
    try:
        message = await state.write(phone, text, dc=str(dc), to=to)
    except ValueError as exc:
        raise _bad_request(str(exc)) from None
    return web.json_response(
        {
            "momsgid": message.momsgid,
            "from": message.phone,
            "to": message.to,
            "dc": message.dc,
            "text": message.text,
            "delivered": state.delivered(message.momsgid),
        }
    )
