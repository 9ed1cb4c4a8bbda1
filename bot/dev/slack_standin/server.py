"""`SlackStandIn`: serves the stand-in's state over aiohttp, dispatches each Web API method to
its family's handler, records every call, lets tests wait for calls and injects faults."""

from __future__ import annotations

import asyncio
import inspect
import logging
import secrets
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

from bot.dev.slack_standin import auth, chat, conversations, files, oauth, response_url, steps, users, views
from bot.dev.slack_standin.protocol import ApiError, decode_json_fields, read_args, safe_decode
from bot.dev.slack_standin.records import Call, Execution, Listener, ViewRecord
from bot.dev.slack_standin.response_url import RESPONSE_URL_METHOD
from bot.dev.slack_standin.state import Fault, Handler, ListenerEntry, State

log = logging.getLogger(__name__)

HANDLERS: dict[str, Handler] = {
    **auth.HANDLERS,
    **oauth.HANDLERS,
    **chat.HANDLERS,
    **conversations.HANDLERS,
    **users.HANDLERS,
    **views.HANDLERS,
    **files.HANDLERS,
    **steps.HANDLERS,
}
"""Web API method → its handler."""

UPLOAD_MAX = 1024**3
"""Bytes a request may carry: Slack takes files up to 1 GB at their upload URL (aiohttp's
default, 1 MiB, would refuse a results file of 20,000 numbers)."""


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


class SlackStandIn(State):
    """Recording stand-in for the Slack Web API. See the package docstring."""

    # Built on first use.
    _app: web.Application | None = None
    _cond: asyncio.Condition | None = None
    _cond_loop: asyncio.AbstractEventLoop | None = None

    # ------------------------------------------------------------------ public API

    def app(self) -> web.Application:
        """The aiohttp application (built once)."""
        if self._app is None:
            app = web.Application(client_max_size=UPLOAD_MAX)
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
        return sorted(HANDLERS)

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
        return response_url.new_response_url(self, channel, user, message_ts)

    def offer_install(self, team_id: str, installer: str) -> str:
        """A code Slack would give the app's redirect URL after `installer` approved the app in
        `team_id`: oauth.v2.access exchanges it (once) for a bot token of that workspace."""
        code = secrets.token_hex(8)
        self.install_codes[code] = (team_id, installer)
        return code

    def new_trigger_id(self, *, view_id: str | None = None) -> str:
        """A fresh trigger id. With `view_id`, it comes from an interaction inside that view,
        so a `views.push` with it stacks on that view's modal."""
        return views.new_trigger_id(self, view_id)

    def bind_trigger(self, trigger_id: str, view_id: str) -> None:
        """Declare that `trigger_id` came from an interaction inside view `view_id`."""
        views.bind_trigger(self, trigger_id, view_id)

    def answer_view_submission(self, view_id: str, answer: dict[str, Any]) -> ViewRecord | None:
        """Do what Slack does with the app's answer to a view_submission of `view_id`.

        `push` stacks a new view, `update` replaces the submitted one, `clear` closes the
        modal, `errors` keeps the view open (the errors are stored on it), and no action
        closes the submitted view. Returns the view now on top, if any.
        """
        return views.answer_submission(self, view_id, answer)

    def close_view(self, view_id: str) -> ViewRecord | None:
        """The user pressed the view's close button (`Back` on a pushed view): it leaves its
        stack, the views under it stay as they were. No `view_closed` is sent. Returns the view
        now on top, if any."""
        return views.answer_submission(self, view_id, {})

    def add_user_file(self, filename: str, content: bytes, user: str = "U0ALICE") -> dict[str, Any]:
        """A file a user uploaded (e.g. through a modal's `file_input`): the file object as
        a view submission carries it in `state.values`."""
        return files.add_user_file(self, filename, content, user)

    def start_execution(
        self, callback_id: str, inputs: dict[str, Any], team_id: str | None = None
    ) -> Execution:
        """A new run of the app's step `callback_id` with `inputs`, in the workspace `team_id`
        (the first one's by default), as Workflow Builder starts one (`SlackRequests.run_step`
        tells the app); ValueError if the manifest has no such step or the inputs do not fit it."""
        return steps.start(self, callback_id, inputs, team_id or self.team_id)

    def rate_limit(self, method: str, times: int = 1, retry_after: int = 1) -> None:
        """The next `times` calls to `method` ("*" = any) answer HTTP 429 with `Retry-After`."""
        self._faults.setdefault(method, []).append(
            Fault(status=429, remaining=times, retry_after=retry_after, error="ratelimited")
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
        self._faults.setdefault(method, []).append(Fault(status=status, remaining=times, error=error))

    def add_listener(self, callback: Listener, *, failures: bool = False) -> None:
        """Call `callback(call)` (sync or async) after each successful call; with
        `failures=True` also after calls answered with an error or a non-200 status."""
        self._listeners.append(ListenerEntry(callback, failures))

    def remove_listener(self, callback: Listener) -> None:
        self._listeners = [entry for entry in self._listeners if entry.callback is not callback]

    def calls_to(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

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

    # ------------------------------------------------------------------ routes

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        self.calling_team = ""
        peer = request.transport.get_extra_info("peername") if request.transport else None
        self.calling_connection = f"{peer[0]}:{peer[1]}" if peer else ""
        try:
            raw, token = await read_args(request)
        except ApiError as exc:
            return await self._answer(method, {}, exc.body())
        fault = self._take_fault(method)
        if fault is not None:
            return await self._answer_fault(method, raw, fault)
        handler = HANDLERS.get(method)
        try:
            if handler is None:
                raise ApiError("unknown_method", req_method=method)
            if method not in oauth.NO_TOKEN:
                if token is None:
                    raise ApiError("not_authed")
                team = self.team_tokens.get(token) or steps.team_of_workflow_token(self, token)
                if team is None:
                    raise ApiError("invalid_auth")
                self.calling_team = team
            args = decode_json_fields(raw)
            steps.authorize(self, method, token, args)
            response = handler(self, args, self.base_url or str(request.url.origin()))
        except ApiError as exc:
            response = exc.body()
        return await self._answer(method, raw, response)

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
        status, answer = response_url.post(self, url_id, body)
        await self._record(Call(RESPONSE_URL_METHOD, args, time.time(), answer, status))
        return web.json_response(answer, status=status)

    async def _handle_upload(self, request: web.Request) -> web.StreamResponse:
        response = await files.receive_upload(self, request)
        if response.status == 200:
            await self._notify()
        return response

    async def _handle_download(self, request: web.Request) -> web.StreamResponse:
        return files.download(self, request)

    # ------------------------------------------------------------------ faults and recording

    def _take_fault(self, method: str) -> Fault | None:
        for key in (method, "*"):
            queue = self._faults.get(key)
            if queue:
                fault = queue[0]
                fault.remaining -= 1
                if fault.remaining <= 0:
                    queue.pop(0)
                return fault
        return None

    async def _answer_fault(self, method: str, args: dict[str, Any], fault: Fault) -> web.StreamResponse:
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
        await self._record(
            Call(
                method,
                safe_decode(args),
                time.time(),
                body,
                fault.status,
                self.calling_team,
                self.calling_connection,
            )
        )
        return resp

    async def _answer(
        self, method: str, args: dict[str, Any], response: dict[str, Any]
    ) -> web.StreamResponse:
        await self._record(
            Call(
                method,
                safe_decode(args),
                time.time(),
                response,
                team_id=self.calling_team,
                connection=self.calling_connection,
            )
        )
        return web.json_response(response)

    async def _record(self, call: Call) -> None:
        self.calls.append(call)
        await self._notify()
        for entry in list(self._listeners):
            if not (call.ok or entry.failures):
                continue
            try:
                result = entry.callback(call)
                if inspect.isawaitable(result):
                    await result
            except Exception:
                log.exception("Slack stand-in listener failed on %s", call.method)

    async def _notify(self) -> None:
        """Wake `wait_for` to check its predicate again."""
        cond = self._condition()
        async with cond:
            cond.notify_all()

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
