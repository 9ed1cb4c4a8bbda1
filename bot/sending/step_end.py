"""Ending a Workflow Builder step run, once: `functions.completeSuccess` with its outputs or
`functions.completeError` with its error, with the run's workflow token (`xwfp-…`, the one Slack
gave with the event, or the one kept while it waited for an admin)."""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError

from bot.domain.plain_text import to_plain_text, user_ids
from bot.i18n import Msg, Texts
from bot.services import Services
from bot.store import step_runs

log = logging.getLogger(__name__)

ERROR_MAX = 2000
"""Characters of an error a step ends with (Workflow Builder shows it in the run's activity)."""


async def complete_step(
    services: Services, execution_id: str, outputs: dict[str, Any], token: str | None = None
) -> None:
    await _end(services, execution_id, outputs, None, token)


async def fail_step(services: Services, execution_id: str, error: str, token: str | None = None) -> None:
    await _end(services, execution_id, None, error, token)


async def step_error(services: Services, t: Texts, said: str | Msg) -> str:
    """What the app would say in Slack (mrkdwn: mentions, channel links, escapes), as the plain
    text a step's error is shown as: `<@U123>` → `@name`, `<#C123>` → `#C123`."""
    text = t.render(said) if isinstance(said, Msg) else said
    names = await services.user_names.lookup(services.slack, user_ids(text))
    plain = to_plain_text(text, names).strip()
    return plain if len(plain) <= ERROR_MAX else plain[: ERROR_MAX - 1] + "…"


async def _end(
    services: Services,
    execution_id: str,
    outputs: dict[str, Any] | None,
    error: str | None,
    token: str | None,
) -> None:
    ended = await step_runs.end(services.db, execution_id, outputs, error)
    if ended is None:
        log.info("step run %s had ended already", execution_id)
        return
    token = token or ended.token
    if token is None:
        log.warning("step run %s has no workflow token left to end it with", execution_id)
        return
    slack = services.slack
    try:
        if error is None:
            await slack.functions_completeSuccess(
                function_execution_id=execution_id, outputs=outputs or {}, token=token
            )
        else:
            await slack.functions_completeError(function_execution_id=execution_id, error=error, token=token)
    except SlackApiError as exc:
        log.warning("Slack refused to end step run %s: %s", execution_id, exc.response.get("error"))
    except (aiohttp.ClientError, TimeoutError) as exc:
        log.warning("Slack unreachable while ending step run %s: %s", execution_id, type(exc).__name__)
