"""Running aiohttp applications on loopback or on $PORT, shared by the CLI, console and tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web
from aiohttp.web_log import AccessLogger
from aiohttp.web_request import BaseRequest
from aiohttp.web_response import StreamResponse

REPORT_PREFIX = "/santo/reports/"


class QuietAccessLogger(AccessLogger):
    """The access log, minus stored reports (thousands a minute). The report token in the lines it
    writes is masked by the filter on aiohttp's loggers (`bot.santo.redact`)."""

    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        if response.status == 200 and request.path.startswith(REPORT_PREFIX):
            return
        super().log(request, response, time)


@asynccontextmanager
async def running(
    app: web.Application, host: str = "127.0.0.1", port: int = 0, shutdown_timeout: float = 5.0
) -> AsyncIterator[str]:
    """Serve `app` until the block ends; yields its base URL (`http://127.0.0.1:PORT`)."""
    runner = web.AppRunner(
        app, handle_signals=False, shutdown_timeout=shutdown_timeout, access_log_class=QuietAccessLogger
    )
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = port or _bound_port(runner)
    try:
        yield f"http://{host}:{bound}"
    finally:
        await runner.cleanup()


def _bound_port(runner: web.AppRunner) -> int:
    """The port the OS picked for a site started on port 0."""
    for address in runner.addresses:
        if isinstance(address, tuple):
            return int(address[1])
    raise RuntimeError("the server has no TCP address")
