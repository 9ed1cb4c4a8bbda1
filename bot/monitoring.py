"""What a PaaS and its operators ask the process: `/healthz`, `/readyz` and `/metrics`.

`/healthz` says the process serves (a PaaS restarts one that does not answer); `/readyz` says
whether it can do its work, naming each check that fails (the database, the background loops,
a shutdown under way), never with a secret in it. `/metrics` exists only with METRICS_TOKEN, as
a bearer token: the counters of `bot.metrics`, plus gauges read from the database when scraped.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Iterator
from datetime import UTC, datetime

from aiohttp import web
from prometheus_client import REGISTRY
from prometheus_client.aiohttp import make_aiohttp_handler
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from pydantic import SecretStr
from sqlalchemy import text

from bot.domain.states import SendState
from bot.services import SERVICES
from bot.store.db import Database
from bot.store.gauges import StoredState, stored_state

log = logging.getLogger(__name__)

LOOPS = web.AppKey("loops", list[asyncio.Task[None]])
"""The background loops `bot.web` starts (report writer, notifier, reconciler, scheduler)."""
METRICS_TOKEN = web.AppKey("metrics_token", bytes)
CHECK_TIMEOUT = 2.0
"""Seconds the database has to answer /readyz."""
OK = "ok"


async def healthz(request: web.Request) -> web.Response:
    """200 while the process serves; 503 once it is shutting down."""
    stopping = request.app[SERVICES].stopping.is_set()
    return web.json_response({"ok": not stopping}, status=503 if stopping else 200)


async def readyz(request: web.Request) -> web.Response:
    """200 when every check passes; else 503 and the checks that failed, by name."""
    services = request.app[SERVICES]
    checks = {"database": await _database(services.db)}
    for task in request.app.get(LOOPS, []):
        checks[task.get_name()] = OK if not task.done() else "stopped"
    if services.stopping.is_set():
        checks["process"] = "shutting down"
    failed = [name for name, state in checks.items() if state != OK]
    return web.json_response(
        {"ready": not failed, "failed": failed, "checks": checks}, status=503 if failed else 200
    )


async def _database(db: Database) -> str:
    """`ok`, or what went wrong in words that hold no address, user or password."""
    try:
        async with asyncio.timeout(CHECK_TIMEOUT), db.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except TimeoutError:
        return f"no answer within {CHECK_TIMEOUT:g} s"
    except Exception as exc:
        return f"unreachable ({type(exc).__name__})"
    return OK


class StoredStateGauges(Collector):
    """The gauges that need the database, from the state read at the start of each scrape."""

    def __init__(self) -> None:
        self.state: StoredState | None = None

    def collect(self) -> Iterator[Metric]:
        state = self.state
        if state is None:
            return
        sends = GaugeMetricFamily("santo_sends", "Sends stored, by state.", labels=["state"])
        for name in SendState:
            sends.add_metric([name.value], state.sends_by_state.get(name.value, 0))
        yield sends
        yield GaugeMetricFamily(
            "santo_numbers_awaiting_report",
            "Numbers sent (Pending) whose delivery report has not come yet.",
            value=state.numbers_awaiting_report,
        )
        backlog = GaugeMetricFamily(
            "santo_notifier_backlog",
            "What the notifier has still to show in Slack: sends whose message lags their stored "
            "state, phones' messages not posted yet.",
            labels=["kind"],
        )
        backlog.add_metric(["sends"], state.unshown_sends)
        backlog.add_metric(["inbound"], state.unposted_inbound)
        yield backlog
        oldest = state.oldest_unshown
        yield GaugeMetricFamily(
            "santo_notifier_backlog_age_seconds",
            "Age of the oldest change to a send that Slack does not show yet (0: none).",
            value=(datetime.now(UTC) - oldest).total_seconds() if oldest else 0.0,
        )


STORED_STATE = StoredStateGauges()
REGISTRY.register(STORED_STATE)
_exposition = make_aiohttp_handler(REGISTRY)


def add_metrics_route(app: web.Application, token: SecretStr) -> None:
    app[METRICS_TOKEN] = token.get_secret_value().encode()
    app.router.add_get("/metrics", metrics)


async def metrics(request: web.Request) -> web.StreamResponse:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    expected = request.app[METRICS_TOKEN]
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected):
        raise web.HTTPUnauthorized(
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'}, text="a bearer token is required"
        )
    try:
        STORED_STATE.state = await stored_state(request.app[SERVICES].db)
    except Exception as exc:
        STORED_STATE.state = None  # the database's gauges are left out; /readyz says why
        log.warning("metrics: could not read the database (%s)", type(exc).__name__)
    return await _exposition(request)
