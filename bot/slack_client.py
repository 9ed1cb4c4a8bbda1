"""The Slack Web API client every part of the process shares, counting its calls by method and
result (`santo_slack_calls_total`): 429s apart, since they say the app is too fast for Slack."""

from __future__ import annotations

from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.metrics import SLACK_CALLS

SLACK_TIMEOUT = 30
"""Seconds a Web API call may take in all (slack_sdk's default)."""


class SlackHttp:
    """The HTTP session every Slack client of a process sends through, its connections kept
    alive between calls. Without one, slack_sdk opens a session per call: a new connection
    (and, to slack.com, a TLS handshake) for every message update. Opened at first use, in the
    running event loop; once closed, calls go back to a session of their own."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None
        self._closed = False

    def session(self) -> aiohttp.ClientSession | None:
        if self._closed:
            return None
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=SLACK_TIMEOUT))
        return self._session

    async def close(self) -> None:
        self._closed = True
        if self._session is not None:
            await self._session.close()


class CountingWebClient(AsyncWebClient):
    def __init__(self, *, http: SlackHttp | None = None, **kwargs: Any) -> None:
        super().__init__(timeout=SLACK_TIMEOUT, **kwargs)
        self.http = http

    async def api_call(self, api_method: str, **kwargs: Any) -> AsyncSlackResponse:
        if self.http is not None:
            self.session = self.http.session()
        try:
            response = await super().api_call(api_method, **kwargs)
        except SlackApiError as exc:
            rate_limited = exc.response.status_code == 429
            SLACK_CALLS.labels(api_method, "rate_limited" if rate_limited else "error").inc()
            raise
        except (aiohttp.ClientError, TimeoutError):
            SLACK_CALLS.labels(api_method, "unreachable").inc()
            raise
        SLACK_CALLS.labels(api_method, "ok").inc()
        return response
