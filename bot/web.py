"""The web process: Bolt on /slack/events, reports, health and metrics, the sandbox when asked,
background work, and the way it stops.

Stopping (SIGTERM; a PaaS kills the process 30 s later) takes 20 s at most: the listener closes
and idle connections with it; new work is refused (reports get 503, to be sent again) while what
is queued is committed; sends in flight get `DRAIN` s to finish (a send from a file hands back
the numbers it has not submitted, for the next process); requests still open get `REQUESTS` s;
the loops end their round within `LOOPS_END` s and the notifier's last pass shows the latest
changes within `LAST_PASS` s. Every report answered 200 was committed before its answer.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import replace

from aiohttp import web
from pydantic import SecretStr

from bot.background import Background
from bot.charts.digest import Digest
from bot.distribution import add_routes
from bot.i18n.user_languages import UserLanguages
from bot.monitoring import LOOPS, add_metrics_route, healthz, readyz
from bot.reports.intake import WRITER, ReportWriter, report_route
from bot.reports.notifier import Notifier
from bot.reports.reconciler import Reconciler
from bot.santo.client import ClientConfig, SantoClient
from bot.santo.prices import PriceBook
from bot.santo.redact import guard_aiohttp_logs
from bot.sending.low_balance import CHECK_EVERY, BalanceWatch
from bot.sending.scheduler import Scheduler
from bot.services import SERVICES, Services
from bot.settings import Settings
from bot.slack_app import build_bolt_app
from bot.slack_client import CountingWebClient, SlackHttp
from bot.slack_route import BOLT, SIGNING_SECRET, slack_events
from bot.store.db import Database
from bot.store.installations import Installations
from bot.store.sealed import SecretBox
from bot.workspace_clients import WorkspaceClients

log = logging.getLogger(__name__)

NOTIFIER = web.AppKey("notifier", Notifier)
SANDBOX_ACCOUNT = ("Test101", "Test101")
DRAIN, REQUESTS, LOOPS_END, LAST_PASS = 10.0, 3.0, 3.0, 4.0
"""Seconds of each step of a shutdown (see above): 20 in all, under a PaaS's 30."""
MAX_BODY = 1024 * 1024


def santo_config(settings: Settings) -> ClientConfig:
    """The deployment's own account (single-workspace mode)."""
    if settings.santo_sandbox:
        cpid, cppwd = SANDBOX_ACCOUNT  # the built-in sandbox knows only its own account
        return replace(
            santo_defaults(settings),
            base_url=f"http://127.0.0.1:{settings.port}/sandbox",
            cpid=cpid,
            cppwd=cppwd,
        )
    settings.require("santo_cpid", "santo_cppwd")
    assert settings.santo_cpid is not None and settings.santo_cppwd is not None
    return replace(
        santo_defaults(settings), cpid=settings.santo_cpid, cppwd=settings.santo_cppwd.get_secret_value()
    )


def santo_defaults(settings: Settings) -> ClientConfig:
    """Every client's paths and limits, on SANTO_BASE_URL, with no account."""
    return ClientConfig(
        base_url=settings.santo_base_url,
        cpid="",
        cppwd="",
        submit_path=settings.santo_submit_path,
        balance_path=settings.santo_balance_path,
        pricing_path=settings.santo_pricing_path,
        report_status_path=settings.santo_report_status_path,
        verify_path=settings.santo_verify_path,
        timeout=settings.santo_timeout,
        concurrency=settings.santo_concurrency,
    )


def build_services(settings: Settings) -> Services:
    db = Database(settings.sqlalchemy_url)
    token = settings.slack_bot_token
    http = SlackHttp()
    slack = CountingWebClient(
        token=token.get_secret_value() if token else None, base_url=settings.slack_api_url, http=http
    )
    clients = None
    if settings.distributed:
        assert settings.slack_client_id is not None and settings.santo_secrets_key is not None
        santo = SantoClient(santo_defaults(settings))  # no account: each workspace connects its own
        box = SecretBox(settings.santo_secrets_key.get_secret_value())
        installations = Installations(settings.slack_client_id, db)
        assert settings.slack_client_secret is not None
        secret = settings.slack_client_secret.get_secret_value()
        clients = WorkspaceClients(
            db, installations, box, settings.slack_api_url, santo_defaults(settings), secret, http
        )
    else:
        santo = SantoClient(santo_config(settings))
    return Services(
        settings=settings,
        db=db,
        santo=santo,
        prices=PriceBook(santo),
        slack=slack,
        slack_http=http,
        background=Background(),
        languages=UserLanguages(slack, settings.santo_default_language),
        clients=clients,
        connected=clients is None,
    )


def create_web_app(settings: Settings) -> web.Application:
    """Everything `serve` runs, as one aiohttp application."""
    settings.check_mode()
    guard_aiohttp_logs()
    services = build_services(settings)
    app = web.Application(client_max_size=MAX_BODY)
    app[SERVICES] = services
    app[BOLT] = build_bolt_app(services)
    if settings.slack_signing_secret:
        app[SIGNING_SECRET] = settings.slack_signing_secret.get_secret_value().encode()
    app[WRITER] = ReportWriter(services)
    if services.clients is not None:
        add_routes(app, app[BOLT])
    app[NOTIFIER] = Notifier(services)
    app.router.add_post("/slack/events", slack_events)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    if settings.metrics_token is not None:
        add_metrics_route(app, settings.metrics_token)
    app.router.add_route("GET", "/santo/reports/{token}", report_route)
    app.router.add_route("POST", "/santo/reports/{token}", report_route)
    if settings.santo_sandbox:
        if settings.santo_report_token is None:
            settings.santo_report_token = SecretStr(secrets.token_urlsafe(24))
        callback = (
            f"http://127.0.0.1:{settings.port}/santo/reports/{settings.santo_report_token.get_secret_value()}"
        )
        from bot.dev.sandbox import SandboxConfig, create_sandbox_app  # the dev kit, only when asked for

        app.add_subapp("/sandbox", create_sandbox_app(SandboxConfig(callback_url=callback)))
    elif settings.santo_report_token is None and not settings.distributed:
        log.warning("SANTO_REPORT_TOKEN is not set: delivery reports cannot be received")
    app.on_startup.append(_start)
    app.on_shutdown.append(_stop_work)
    app.on_cleanup.append(_close)
    return app


async def _start(app: web.Application) -> None:
    services = app[SERVICES]
    # Bolt's client for each request is made with its app client's session: set it now.
    services.slack.session = services.slack_http.session()
    if services.db.is_sqlite:
        await services.db.migrate()
    every = services.settings.report_reconcile_every.total_seconds()
    app[LOOPS] = [
        asyncio.create_task(app[WRITER].run(), name="report-writer"),
        asyncio.create_task(app[NOTIFIER].run(), name="notifier"),
        asyncio.create_task(Reconciler(services, every=every).run(), name="reconciler"),
        asyncio.create_task(Scheduler(services, every=min(5.0, every)).run(), name="scheduler"),
    ]
    if services.settings.santo_digest_channel:
        app[LOOPS].append(asyncio.create_task(Digest(services).run(), name="digest"))
    if services.settings.santo_low_balance is not None:
        watch = BalanceWatch(services, every=CHECK_EVERY)
        app[LOOPS].append(asyncio.create_task(watch.run(), name="balance-watch"))


async def _stop_work(app: web.Application) -> None:
    """The listener is closed: refuse new work, let the loops end their round and the writer
    commit what is queued, give the sends in flight `DRAIN` seconds."""
    services = app[SERVICES]
    services.stopping.set()
    await services.background.drain(DRAIN)


async def _close(app: web.Application) -> None:
    """After the last request: the loops' end, the last changes shown, connections closed."""
    services = app[SERVICES]
    loops = app.get(LOOPS, [])
    _done, late = await asyncio.wait(loops, timeout=LOOPS_END) if loops else (set(), set())
    for task in late:
        task.cancel()
    await asyncio.gather(*loops, return_exceptions=True)
    try:  # show what the last work changed; anything left stays marked for the next start
        await asyncio.wait_for(app[NOTIFIER].pass_once(), timeout=LAST_PASS)
    except Exception:
        log.warning("could not show the last changes before stopping; they are shown at the next start")
    await services.workers.close()
    await services.santo.close()
    if services.clients is not None:
        await services.clients.close()
    await services.db.close()
    await services.slack_http.close()
