"""The sandbox platform as an aiohttp application: the manual's endpoints, answered faithfully,
to GET (query) and POST (form body), under `path_prefix` when one is set."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import quote

import phonenumbers
from aiohttp import web
from aiohttp.typedefs import Handler

from bot.dev.sandbox.config import SandboxConfig
from bot.dev.sandbox.controls import add_controls
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
from bot.dev.sandbox.state import SANDBOX_STATE, SandboxState
from bot.santo.codes import ACCEPTED, REJECTED, SUCCESS, Command
from bot.santo.redact import guard_aiohttp_logs, mask_passwords

log = logging.getLogger("bot.dev.sandbox")

__all__ = ["SANDBOX_STATE", "create_sandbox_app"]

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
    prefix = app[SANDBOX_STATE].config.path_prefix
    for path, endpoint in _endpoints():
        handler = _with_params(endpoint)
        app.router.add_get(prefix + path, handler)
        app.router.add_post(prefix + path, handler)
    add_controls(app)
    return app


Endpoint = Callable[[web.Request, Mapping[str, str]], Awaitable[web.Response]]


def _endpoints() -> list[tuple[str, Endpoint]]:
    return [
        ("/submit", submit),
        ("/get-balance", _lookup(get_balance)),
        ("/verifyPhoneNumber", _lookup(verify_phone_number)),
        ("/get-pricing", _lookup(get_pricing)),
        *((path, _lookup(get_report_status)) for path in REPORT_STATUS_PATHS),
    ]


def _with_params(endpoint: Endpoint) -> Handler:
    """The endpoint, given the request's fields: its query, and a POST's form body over it."""

    async def handler(request: web.Request) -> web.StreamResponse:
        params: dict[str, str] = {key: request.query[key] for key in request.query}
        if request.method == "POST":
            try:
                form = await request.post()
            except (ValueError, LookupError):
                raise web.HTTPBadRequest(text="the body is not a readable form") from None
            params.update((key, value) for key, value in form.items() if isinstance(value, str))
        return await endpoint(request, params)

    return handler


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


async def submit(request: web.Request, query: Mapping[str, str]) -> web.Response:
    """4.1 MT_REQUEST / VO_REQUEST and 4.2 MULTI_MT_REQUEST."""
    state = request.app[SANDBOX_STATE]
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


Lookup = Callable[[SandboxState, str, Mapping[str, str]], web.Response]


def _lookup(answer: Lookup) -> Endpoint:
    """A JSON lookup: the account checked first (a refusal answered in JSON), then `answer`."""

    async def endpoint(request: web.Request, query: Mapping[str, str]) -> web.Response:
        state = request.app[SANDBOX_STATE]
        cpid = query.get("cpid", "")
        if (error := _authenticate(state, query)) is not None:
            return _json_rejected(cpid, error)
        return answer(state, cpid, query)

    return endpoint


def _accepted(cpid: str, **fields: object) -> dict[str, object]:
    return {"cpid": cpid, "errcode": SUCCESS, "mtstat": ACCEPTED, **fields}


def get_balance(state: SandboxState, cpid: str, query: Mapping[str, str]) -> web.Response:
    """4.4, at the path public clients call."""
    return _json(_accepted(cpid, balance=_Money(state.balance_of(cpid))))


def verify_phone_number(state: SandboxState, cpid: str, query: Mapping[str, str]) -> web.Response:
    """4.7 with `da`; without `da` the balance, as the manual prints 4.4."""
    raw = query.get("da")
    if raw is None:
        return get_balance(state, cpid, query)
    number = destination(raw)
    region = number.region if number is not None else ""
    return _json(_accepted(cpid, country=region, isValid=1 if number is not None else 0, da=raw))


def get_pricing(state: SandboxState, cpid: str, query: Mapping[str, str]) -> web.Response:
    """4.5: price per message to an upper-case ISO country code."""
    code = query.get("countryCode", "")
    if not is_priced_region(code):
        return _json_rejected(cpid, PARAMETER_ERROR)
    prefix = str(phonenumbers.country_code_for_region(code))
    return _json(_accepted(cpid, country=english_name(code), mtPrice=_Money(price_for(code)), prefix=prefix))


def get_report_status(state: SandboxState, cpid: str, query: Mapping[str, str]) -> web.Response:
    """4.6: a JSON array, one entry per number of the message (or just `da`)."""
    msgid = query.get("msgid", "")
    if not msgid:
        return _json_rejected(cpid, PARAMETER_ERROR)
    rows = [
        {"cpid": cpid, "errcode": SUCCESS, "mtstat": r.report_status, "msgid": msgid, "da": r.msisdn}
        for r in state.reports(cpid, msgid, query.get("da"))
    ]
    return _json(rows)
