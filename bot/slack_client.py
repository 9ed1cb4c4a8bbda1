"""The Slack Web API client every part of the process shares, counting its calls by method and
result (`santo_slack_calls_total`): 429s apart, since they say the app is too fast for Slack."""

from __future__ import annotations

from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.metrics import SLACK_CALLS


class CountingWebClient(AsyncWebClient):
    async def api_call(self, api_method: str, **kwargs: Any) -> AsyncSlackResponse:
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
