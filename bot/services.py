"""What handlers and background tasks share: one of each per process."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.background import Background
from bot.pricing import PriceBook
from bot.santo.client import SantoClient
from bot.settings import Settings
from bot.store.db import Database

CONTEXT_KEY = "services"


@dataclass
class Services:
    settings: Settings
    db: Database
    santo: SantoClient
    prices: PriceBook
    slack: AsyncWebClient
    background: Background

    @staticmethod
    def of(context: Any) -> Services:
        """The services a Bolt middleware put into a listener's context."""
        services: Services = context[CONTEXT_KEY]
        return services
