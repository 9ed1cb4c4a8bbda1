"""What handlers and background tasks share: one of each per process."""

from __future__ import annotations

import asyncio
import copy
import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from slack_sdk.web.async_client import AsyncWebClient

from bot.background import Background
from bot.domain.ratelimit import Pacer
from bot.i18n.user_languages import UserLanguages
from bot.santo.client import SantoClient
from bot.santo.prices import PriceBook
from bot.settings import Settings
from bot.slack_cache import Groups, Permalinks, UserNames
from bot.slack_client import SlackHttp
from bot.store.db import Database
from bot.store.tables import OWN_ACCOUNT
from bot.store.workspaces import ReportTokens
from bot.worker_pool import WorkerPool
from bot.workspace_clients import WorkspaceClients

CONTEXT_KEY = "services"


@dataclass
class Services:
    settings: Settings
    db: Database
    santo: SantoClient
    prices: PriceBook
    slack: AsyncWebClient
    slack_http: SlackHttp
    """The connections to Slack its clients share (opened in the event loop, closed at the end)."""
    background: Background
    languages: UserLanguages
    groups: Groups = field(default_factory=Groups)
    user_names: UserNames = field(default_factory=UserNames)
    permalinks: Permalinks = field(default_factory=Permalinks)
    report_tokens: ReportTokens = field(init=False)
    """Distribution mode: which workspace a report URL's token belongs to."""
    clients: WorkspaceClients | None = None
    """Distribution mode: each workspace's Slack and Santo clients (see `for_team`)."""
    team_id: str | None = None
    """The workspace a `for_team` view is for (distribution mode); None for the deployment's own."""
    connected: bool = True
    """Whether `santo` is a Santo account: False for a workspace whose admin has not connected one
    (distribution mode) — then nothing may be asked of the platform."""
    changes: asyncio.Event = field(default_factory=asyncio.Event)
    """Set when a send's message has something new to show: the notifier wakes up."""
    cap_locks: dict[str, asyncio.Lock] = field(default_factory=dict)
    """One per workspace: its sends check daily caps in turn (`bot.sending.caps`)."""
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    """Set at shutdown: loops finish their round and return (never cut mid-transaction)."""
    workers: WorkerPool = field(default_factory=WorkerPool)
    """The worker process that draws charts (the web process never loads the plotting library)."""
    chart_locks: dict[str, asyncio.Lock] = field(default_factory=dict)
    """One per account: its Home tab's chart of the day is drawn once, however many open the tab."""
    submit_pacer: Pacer = field(init=False)
    """Paces the submit requests of sends from a file: SANTO_MAX_REQUESTS_PER_SECOND holds for the
    whole process, however many of those sends run at once."""

    def __post_init__(self) -> None:
        self.submit_pacer = Pacer(self.settings.santo_max_requests_per_second)
        self.report_tokens = ReportTokens(self.db)

    async def for_team(self, team_id: str | None) -> Services:
        """These services as the workspace `team_id` sees them: its Slack client and its Santo
        account (distribution mode; otherwise the deployment's own, and `self`). Everything
        else is shared with `self`."""
        if self.clients is None or not team_id:
            return self
        view = copy.copy(self)
        view.team_id = team_id
        slack = await self.clients.slack(team_id)
        if slack is not None:
            view.slack, view.languages = slack, self.languages.with_slack(slack)
        access = await self.clients.santo(team_id)
        view.connected = access is not None
        if access is not None:
            view.santo, view.prices = access.client, access.prices
        return view

    def account_of(self, team_id: str) -> str:
        """The Santo account a workspace sends with, as stored data is keyed: its own in
        distribution mode, else the deployment's (`OWN_ACCOUNT`)."""
        return team_id if self.settings.distributed else OWN_ACCOUNT

    def wake_notifier(self) -> None:
        self.changes.set()

    async def pause(self, seconds: float, wake: asyncio.Event | None = None) -> None:
        """Sleep up to `seconds`; return early at shutdown (or when `wake` is set)."""
        events = [self.stopping] + ([wake] if wake is not None else [])
        waiters = [asyncio.ensure_future(event.wait()) for event in events]
        try:
            await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

    @staticmethod
    def of(context: Any) -> Services:
        """The services a Bolt middleware put into a listener's context."""
        services: Services = context[CONTEXT_KEY]
        return services


SERVICES = web.AppKey("services", Services)
"""Where the web application keeps its services."""


class Periodic(ABC):
    """Background work in rounds, one every `every` seconds until shutdown. A round that fails
    is logged (on the subclass's module logger) and the next one runs all the same."""

    def __init__(self, services: Services, every: float) -> None:
        self.services = services
        self.every = every
        self.log = logging.getLogger(type(self).__module__)

    async def run(self) -> None:
        while not self.services.stopping.is_set():
            try:
                await self.round()
            except Exception:
                self.log.exception("round failed; trying again later")
            await self.services.pause(self.every)

    @abstractmethod
    async def round(self) -> None: ...
