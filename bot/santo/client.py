"""The async client for the Santo platform's HTTP API (manual chapter 4)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from types import TracebackType
from typing import Any, Self

import aiohttp

from bot.domain.sms_text import SenderIdError, validate_sender_id
from bot.metrics import PLATFORM_REQUESTS, PLATFORM_SECONDS
from bot.santo.codes import MAX_BATCH, REQUEST_ERRORS, SUCCESS, VOICE_LANGUAGES, Command
from bot.santo.errors import (
    InvalidRequest,
    OutcomeUnknown,
    SantoError,
    SantoRejected,
    SantoUnavailable,
)
from bot.santo.models import (
    Balance,
    BatchOutcome,
    NumberCheck,
    Price,
    ReportState,
    ReportStatus,
    SubmitResult,
)
from bot.santo.parsing import ParseError, decimal, error_code, parse_json, parse_submit

log = logging.getLogger(__name__)

OnBatch = Callable[[BatchOutcome], Awaitable[None]]


@dataclass(frozen=True)
class ClientConfig:
    base_url: str
    cpid: str
    cppwd: str
    submit_path: str = "/submit"
    balance_path: str = "/get-balance"
    pricing_path: str = "/get-pricing"
    report_status_path: str = "/get-rptstatus"
    verify_path: str = "/verifyPhoneNumber"
    timeout: float = 20.0
    concurrency: int = 4
    lookup_retries: int = 2
    retry_backoff: float = 0.3

    def __repr__(self) -> str:
        return f"ClientConfig(base_url={self.base_url!r}, cpid={self.cpid!r}, cppwd='***')"


class SantoClient:
    """Use as `async with SantoClient(config) as client`; one per process.

    Two aiohttp sessions: lookups reuse connections and may be retried; submits use fresh
    connections and are never re-sent, since a re-sent submit is a message sent twice.
    """

    def __init__(self, config: ClientConfig) -> None:
        self.config = config
        self._lookups: aiohttp.ClientSession | None = None
        self._submitter: aiohttp.ClientSession | None = None
        self._submits = asyncio.Semaphore(config.concurrency)

    def __repr__(self) -> str:
        return f"SantoClient({self.config!r})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def _session(
        self, current: aiohttp.ClientSession | None, fresh_connections: bool
    ) -> aiohttp.ClientSession:
        if current is not None and not current.closed:
            return current
        return aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=self.config.timeout),
            connector=aiohttp.TCPConnector(
                limit=max(10, self.config.concurrency * 2), force_close=fresh_connections
            ),
        )

    def lookup_session(self) -> aiohttp.ClientSession:
        self._lookups = self._session(self._lookups, fresh_connections=False)
        return self._lookups

    def submit_session(self) -> aiohttp.ClientSession:
        if self._submitter is None or self._submitter.closed:
            self._submitter = self._session(None, fresh_connections=True)
            # aiohttp (3.14) re-sends a GET once when the connection drops mid-request; for
            # a submit that is a second message. No public switch exists: tests guard this.
            self._submitter._retry_connection = False
        return self._submitter

    async def close(self) -> None:
        for session in (self._lookups, self._submitter):
            if session is not None:
                await session.close()

    # -- submits -----------------------------------------------------------------------------

    async def send_sms(
        self,
        numbers: Sequence[str],
        text: str,
        sender: str | None = None,
        on_batch: OnBatch | None = None,
    ) -> list[BatchOutcome]:
        """Send one text to MSISDNs: one MT_REQUEST, or MULTI_MT_REQUEST batches of ≤100.

        Batches go out with bounded concurrency; `on_batch` sees each outcome as it lands, so a
        caller can store msgids before the other batches finish. Errors are per batch.
        """
        params = self._text_params(text, sender)
        batches = [tuple(numbers[i : i + MAX_BATCH]) for i in range(0, len(numbers), MAX_BATCH)]

        async def one(batch: tuple[str, ...]) -> BatchOutcome:
            command = Command.MT_REQUEST if len(batch) == 1 else Command.MULTI_MT_REQUEST
            async with self._submits:
                try:
                    result = await self._submit(command, {**params, "da": ",".join(batch)}, batch)
                    outcome = BatchOutcome(batch, result=result)
                except SantoError as exc:
                    outcome = BatchOutcome(batch, error=exc)
            if on_batch is not None:
                await on_batch(outcome)
            return outcome

        return list(await asyncio.gather(*(one(batch) for batch in batches)))

    async def send_voice(self, number: str, text: str, lang: str | None = None) -> SubmitResult:
        """A text-to-speech call to one number (VO_REQUEST); no sender id for voice."""
        if lang is not None and lang not in VOICE_LANGUAGES:
            choices = ", ".join(VOICE_LANGUAGES)
            raise InvalidRequest(f"unknown voice language {lang!r}; use one of {choices}")
        params = self._text_params(text, None)
        params["da"] = number
        if lang is not None:
            params["lang"] = lang
        async with self._submits:
            return await self._submit(Command.VO_REQUEST, params, (number,))

    @staticmethod
    def _text_params(text: str, sender: str | None) -> dict[str, str]:
        if not text.strip():
            raise InvalidRequest("the message is empty")
        params = {"sm": text}
        if sender:
            try:
                params["sa"] = validate_sender_id(sender)
            except SenderIdError as exc:
                raise InvalidRequest(str(exc)) from None
        return params

    async def _submit(
        self, command: Command, params: dict[str, str], numbers: tuple[str, ...]
    ) -> SubmitResult:
        query = {"command": command.value, **self._auth(), **params}
        url = self.config.base_url + self.config.submit_path
        attempt = 0
        while True:
            try:
                status, body = await _get("submit", self.submit_session(), url, query)
                break
            except aiohttp.ClientConnectorError as exc:
                # Never connected: nothing was sent, so trying again is safe.
                attempt += 1
                if attempt > self.config.lookup_retries:
                    raise SantoUnavailable(f"cannot reach the platform ({_describe(exc)})") from None
                await asyncio.sleep(self.config.retry_backoff * attempt)
            except (TimeoutError, aiohttp.ClientError) as exc:
                log.warning(
                    "submit %s to %d number(s): outcome unknown: %s",
                    command,
                    len(numbers),
                    _describe(exc),
                )
                raise OutcomeUnknown(_describe(exc)) from None
        if status >= 500:
            _count("submit", "http_5xx")
            raise OutcomeUnknown(f"HTTP {status}")
        if status >= 400:
            _count("submit", "http_4xx")
            raise SantoUnavailable(f"the platform answered HTTP {status}; check SANTO_BASE_URL")
        try:
            result = parse_submit(body, numbers)
        except ParseError as exc:
            _count("submit", "unreadable")
            raise OutcomeUnknown(f"unreadable answer: {exc}") from None
        _count("submit", result.code)
        log.info(
            "submit %s to %d number(s): %s msgid=%s",
            command,
            len(numbers),
            result.code,
            result.msgid,
            extra={"msgid": result.msgid},
        )
        return result

    # -- lookups -----------------------------------------------------------------------------

    async def balance(self) -> Balance:
        record = _one(await self._lookup("balance", self.config.balance_path, {}))
        return Balance(
            cpid=str(record.get("cpid", self.config.cpid)),
            amount=_amount(record, "balance"),
        )

    async def price(self, region: str) -> Price:
        query = {"countryCode": region.upper()}
        record = _one(await self._lookup("pricing", self.config.pricing_path, query))
        return Price(
            region=region.upper(),
            country=str(record.get("country", region)),
            price=_amount(record, "mtPrice"),
            prefix=str(record.get("prefix", "")),
        )

    async def report_status(self, msgid: str, number: str | None = None) -> list[ReportStatus]:
        params = {"msgid": msgid} | ({"da": number} if number else {})
        answer = await self._lookup("report_status", self.config.report_status_path, params)
        records = answer if isinstance(answer, list) else [answer]
        statuses = []
        for record in records:
            try:
                code = error_code(record)
            except ParseError as exc:
                raise SantoUnavailable(f"unreadable answer from the platform: {exc}") from None
            if code != SUCCESS:
                raise SantoRejected(code)
            try:
                state = ReportState(str(record.get("mtstat", "none")).lower())
            except ValueError:
                state = ReportState.NONE
            statuses.append(
                ReportStatus(
                    msgid=str(record.get("msgid", msgid)),
                    number=str(record.get("da", "")),
                    state=state,
                )
            )
        return statuses

    async def check_number(self, number: str) -> NumberCheck:
        record = _one(await self._lookup("verify", self.config.verify_path, {"da": number}))
        valid = str(record.get("isValid", "0")).strip() in ("1", "true", "True")
        return NumberCheck(
            number=str(record.get("da", number)), valid=valid, region=record.get("country") or None
        )

    async def _lookup(self, endpoint: str, path: str, params: Mapping[str, str]) -> Any:
        """GET a JSON lookup, retried (`lookup_retries` times at most) on connection errors, 5xx.
        `endpoint` names it in the metrics."""
        url = self.config.base_url + path
        query = {**self._auth(), **params}
        attempt = 0
        while True:
            try:
                status, body = await _get(endpoint, self.lookup_session(), url, query)
                if status < 500:
                    break
                _count(endpoint, "http_5xx")
                problem = f"HTTP {status}"
            except (TimeoutError, aiohttp.ClientError) as exc:
                problem = _describe(exc)
            attempt += 1
            if attempt > self.config.lookup_retries:
                raise SantoUnavailable(f"the platform did not answer ({problem})")
            await asyncio.sleep(self.config.retry_backoff * attempt)
        if status >= 400:
            _count(endpoint, "http_4xx")
            raise SantoUnavailable(f"the platform answered HTTP {status} for {path}")
        try:
            answer = parse_json(body)
            for record in answer if isinstance(answer, list) else [answer]:
                code = error_code(record)
                if code != SUCCESS:
                    _count(endpoint, code)
                    raise SantoRejected(code)
        except ParseError as exc:
            _count(endpoint, "unreadable")
            raise SantoUnavailable(f"unreadable answer from {path}: {exc}") from None
        _count(endpoint, SUCCESS)
        return answer

    def _auth(self) -> dict[str, str]:
        return {"cpid": self.config.cpid, "cppwd": self.config.cppwd}


async def _get(
    endpoint: str, session: aiohttp.ClientSession, url: str, query: Mapping[str, str]
) -> tuple[int, str]:
    """One GET: the status and the body (bytes that do not decode are replaced). Its time is
    measured, and a request that got no answer counted, under `endpoint`."""
    started = time.perf_counter()
    try:
        async with session.get(url, params=query) as response:
            return response.status, await response.text(errors="replace")
    except TimeoutError:
        _count(endpoint, "timeout")
        raise
    except aiohttp.ClientError:
        _count(endpoint, "unreachable")
        raise
    finally:
        PLATFORM_SECONDS.labels(endpoint).observe(time.perf_counter() - started)


_OUTCOMES = frozenset({"http_4xx", "http_5xx", "timeout", "unreachable", "unreadable", *REQUEST_ERRORS})
"""A request's outcome as counted: the platform's code (table 5.1) or why there was none."""


def _count(endpoint: str, code: str) -> None:
    """One request's outcome; a code outside table 5.1 counts as `other` (labels stay few)."""
    PLATFORM_REQUESTS.labels(endpoint, code if code in _OUTCOMES else "other").inc()


def _amount(record: dict[str, Any], name: str) -> Decimal:
    try:
        return decimal(record.get(name), name)
    except ParseError as exc:
        raise SantoUnavailable(f"unreadable answer from the platform: {exc}") from None


def _one(answer: Any) -> dict[str, Any]:
    if isinstance(answer, list) and answer:
        answer = answer[0]
    if not isinstance(answer, dict):
        raise SantoUnavailable("the platform's answer was not a JSON object")
    return answer


def _describe(exc: BaseException) -> str:
    """A short, password-free description (aiohttp errors can carry the full URL)."""
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return f"the TLS certificate of {exc.host} is not trusted"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return f"connection to {exc.host}:{exc.port} failed"
    return type(exc).__name__
