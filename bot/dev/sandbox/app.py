"""The sandbox platform as an aiohttp application: the manual's endpoints, answered faithfully."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import quote

import phonenumbers
from aiohttp import web
from aiohttp.typedefs import Handler
from yarl import URL

from bot.dev.sandbox.config import SandboxConfig
from bot.dev.sandbox.pricing import english_name, is_priced_region, price_for
from bot.dev.sandbox.rules import (
    BAD_NUMBER,
    DEFAULT_VOICE_LANGUAGE,
    EMPTY_CONTENT,
    INSUFFICIENT_BALANCE,
    INVALID_COMMAND,
    PARAMETER_ERROR,
    UNKNOWN_ACCOUNT,
    VOICE_LANGUAGES,
    WRONG_PASSWORD,
    destination,
    destinations,
    is_empty,
    sender_id_ok,
    sms_parts,
)
from bot.dev.sandbox.state import SandboxState
from bot.santo.codes import ACCEPTED, REJECTED, SUCCESS, Command
from bot.santo.redact import guard_aiohttp_logs, mask_passwords

log = logging.getLogger("bot.dev.sandbox")

SANDBOX_STATE = web.AppKey("SANDBOX_STATE", SandboxState)
"""`app[SANDBOX_STATE]`: the sandbox's state, for tests and the console."""

_RESPONSES: dict[str, Command] = {
    Command.MT_REQUEST: Command.MT_RESPONSE,
    Command.MULTI_MT_REQUEST: Command.MULTI_MT_RESPONSE,
    Command.VO_REQUEST: Command.VO_RESPONSE,
}

REPORT_STATUS_PATHS = ("/get-rptstatus", "/dr/get-rptstatus", "/http/get-rptstatus")
"""The manual's path and the variants other deployments use."""


def create_sandbox_app(config: SandboxConfig | None = None) -> web.Application:
    """A new sandbox with its own state; serve it alone or mount it with `add_subapp`."""
    guard_aiohttp_logs()
    app = web.Application(middlewares=[_latency_and_log])
    app[SANDBOX_STATE] = SandboxState(config or SandboxConfig())
    app.on_startup.append(_on_startup)
    app.on_cleanup.append(_on_cleanup)
    app.router.add_get("/submit", submit)
    app.router.add_get("/get-balance", get_balance)
    app.router.add_get("/verifyPhoneNumber", verify_phone_number)
    app.router.add_get("/get-pricing", get_pricing)
    for path in REPORT_STATUS_PATHS:
        app.router.add_get(path, get_report_status)
    app.router.add_get("/_sandbox/state", control_state)
    app.router.add_post("/_sandbox/force", control_force)
    app.router.add_post("/_sandbox/callback", control_callback)
    return app


async def _on_startup(app: web.Application) -> None:
    await app[SANDBOX_STATE].start()


async def _on_cleanup(app: web.Application) -> None:
    await app[SANDBOX_STATE].close()


@web.middleware
async def _latency_and_log(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer `latency` seconds after the request arrived: the request is handled at once and the
    answer held back, so the sandbox's own work (many requests at once) adds nothing to it."""
    state = request.app[SANDBOX_STATE]
    loop = asyncio.get_running_loop()
    answer_at = loop.time() + state.config.latency
    target = mask_passwords(request.path_qs)
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        await asyncio.sleep(max(0.0, answer_at - loop.time()))
        log.info("%s %s -> %d", request.method, target, exc.status)
        raise
    await asyncio.sleep(max(0.0, answer_at - loop.time()))
    log.info("%s %s -> %d", request.method, target, response.status)
    return response


# ---- answers --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Money:
    """An amount written with two decimals, as the manual prints `"balance":100.00`."""

    amount: Decimal


def _encode(value: object) -> str:
    """Compact JSON, keys in insertion order, money with two decimals."""
    if isinstance(value, _Money):
        return f"{value.amount:.2f}"
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{json.dumps(str(k))}:{_encode(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_encode(item) for item in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def _json(value: object) -> web.Response:
    return web.Response(text=_encode(value), content_type="application/json")


def _json_rejected(cpid: str, code: str) -> web.Response:
    return _json({"cpid": cpid, "errcode": code, "mtstat": REJECTED})


def _line(fields: list[tuple[str, str]]) -> web.Response:
    """The submit answer: a query-string-like line, not JSON (manual 4.1)."""
    body = "&".join(f"{key}={quote(value, safe='')}" for key, value in fields)
    return web.Response(text=body, content_type="text/plain")


def _authenticate(state: SandboxState, query: Mapping[str, str]) -> str | None:
    """The error code of the request's credentials, or None when they are right."""
    cpid = query.get("cpid", "")
    password = query.get("cppwd")
    if not cpid:
        return PARAMETER_ERROR
    expected = state.config.accounts.get(cpid)
    if expected is None:
        return UNKNOWN_ACCOUNT
    if password is None:
        return PARAMETER_ERROR
    if not hmac.compare_digest(password.encode(), expected.encode()):
        return WRONG_PASSWORD
    return None


# ---- the manual's endpoints -----------------------------------------------------------------


async def submit(request: web.Request) -> web.Response:
    """4.1 MT_REQUEST / VO_REQUEST and 4.2 MULTI_MT_REQUEST."""
    state = request.app[SANDBOX_STATE]
    query = request.query
    raw_command = query.get("command", "")
    command = Command(raw_command) if raw_command in _RESPONSES else None
    answer = _RESPONSES[command] if command is not None else Command.MT_RESPONSE
    cpid = query.get("cpid", "")

    def rejected(code: str) -> web.Response:
        msgid = state.reject(cpid, raw_command, code)
        log.info("%s from %r rejected: %s (mtmsgid %s)", raw_command or "-", cpid, code, msgid)
        return _line(
            [
                ("command", answer.value),
                ("cpid", cpid),
                ("mtmsgid", msgid),
                ("mtstat", REJECTED),
                ("mterrcode", code),
            ]
        )

    if command is None:
        return rejected(INVALID_COMMAND)
    if (auth_error := _authenticate(state, query)) is not None:
        return rejected(auth_error)
    raw_numbers = query.get("da")
    text = query.get("sm")
    if raw_numbers is None or text is None:
        return rejected(PARAMETER_ERROR)
    if is_empty(text):
        return rejected(EMPTY_CONTENT)
    numbers = destinations(raw_numbers, batch=command is Command.MULTI_MT_REQUEST)
    if numbers is None:
        return rejected(BAD_NUMBER)
    voice = command is Command.VO_REQUEST
    sender: str | None = None
    if raw_sender := query.get("sa", ""):
        if voice or not sender_id_ok(raw_sender):
            return rejected(PARAMETER_ERROR)
        sender = raw_sender
    lang: str | None = None
    if voice:
        lang = query.get("lang") or DEFAULT_VOICE_LANGUAGE
        if lang not in VOICE_LANGUAGES:
            return rejected(PARAMETER_ERROR)
    parts = 1 if voice else sms_parts(text)
    cost = sum((price_for(n.region) * parts for n in numbers), Decimal(0))
    if cost > state.balance_of(cpid):
        return rejected(INSUFFICIENT_BALANCE)
    message = state.accept(
        cpid=cpid,
        command=command,
        text=text,
        numbers=numbers,
        parts=parts,
        sender=sender,
        lang=lang,
    )
    log.info(
        "%s from %r accepted: mtmsgid %s, %d number(s) x %d part(s), cost %s, balance %s",
        command.value,
        cpid,
        message.msgid,
        len(numbers),
        parts,
        message.cost,
        state.balance_of(cpid),
    )
    error_field = "mtterrcode" if command is Command.MULTI_MT_REQUEST else "mterrcode"
    return _line(
        [
            ("command", answer.value),
            ("cpid", cpid),
            ("cppwd", SUCCESS),
            ("mtmsgid", message.msgid),
            ("mtstat", ACCEPTED),
            (error_field, SUCCESS),
        ]
    )


def _balance_answer(state: SandboxState, cpid: str) -> web.Response:
    return _json(
        {
            "cpid": cpid,
            "errcode": SUCCESS,
            "mtstat": ACCEPTED,
            "balance": _Money(state.balance_of(cpid)),
        }
    )


async def get_balance(request: web.Request) -> web.Response:
    """4.4, at the path public clients call."""
    state = request.app[SANDBOX_STATE]
    cpid = request.query.get("cpid", "")
    if (error := _authenticate(state, request.query)) is not None:
        return _json_rejected(cpid, error)
    return _balance_answer(state, cpid)


async def verify_phone_number(request: web.Request) -> web.Response:
    """4.7 with `da`; without `da` the balance, as the manual prints 4.4."""
    state = request.app[SANDBOX_STATE]
    cpid = request.query.get("cpid", "")
    if (error := _authenticate(state, request.query)) is not None:
        return _json_rejected(cpid, error)
    raw = request.query.get("da")
    if raw is None:
        return _balance_answer(state, cpid)
    number = destination(raw)
    return _json(
        {
            "cpid": cpid,
            "errcode": SUCCESS,
            "mtstat": ACCEPTED,
            "country": number.region if number is not None else "",
            "isValid": 1 if number is not None else 0,
            "da": raw,
        }
    )


async def get_pricing(request: web.Request) -> web.Response:
    """4.5: price per message to an upper-case ISO country code."""
    state = request.app[SANDBOX_STATE]
    cpid = request.query.get("cpid", "")
    if (error := _authenticate(state, request.query)) is not None:
        return _json_rejected(cpid, error)
    code = request.query.get("countryCode", "")
    if not is_priced_region(code):
        return _json_rejected(cpid, PARAMETER_ERROR)
    return _json(
        {
            "cpid": cpid,
            "errcode": SUCCESS,
            "mtstat": ACCEPTED,
            "country": english_name(code),
            "mtPrice": _Money(price_for(code)),
            "prefix": str(phonenumbers.country_code_for_region(code)),
        }
    )


async def get_report_status(request: web.Request) -> web.Response:
    """4.6: a JSON array, one entry per number of the message (or just `da`)."""
    state = request.app[SANDBOX_STATE]
    cpid = request.query.get("cpid", "")
    if (error := _authenticate(state, request.query)) is not None:
        return _json_rejected(cpid, error)
    msgid = request.query.get("msgid", "")
    if not msgid:
        return _json_rejected(cpid, PARAMETER_ERROR)
    rows = [
        {
            "cpid": cpid,
            "errcode": SUCCESS,
            "mtstat": recipient.report_status,
            "msgid": msgid,
            "da": recipient.msisdn,
        }
        for recipient in state.reports(cpid, msgid, request.query.get("da"))
    ]
    return _json(rows)


# ---- sandbox controls (not in the manual) ---------------------------------------------------


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
