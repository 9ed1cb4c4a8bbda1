"""Workflow Builder steps (the manifest's `functions`): Send an SMS and Get SMS delivery status.
Bolt acknowledges each `function_executed` event at once; the step runs in the background and
ends with its outputs or its error (`bot.sending.workflow_steps`)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext

from bot.sending.step_end import fail_step, step_error
from bot.sending.workflow_steps import StepCall, run_step
from bot.services import Services
from bot.views.ids import StepId
from handlers.common import incident_text


async def step_executed(body: dict[str, Any], context: AsyncBoltContext) -> None:
    services = Services.of(context)
    call = StepCall.of(body)

    async def failed(_exc: BaseException) -> None:
        """Ours went wrong: the step ends with an apology, not left running for ever."""
        t = services.languages.texts(None)
        error = await step_error(services, t, incident_text(t))
        await fail_step(services, call.execution_id, error, call.token)

    services.background.spawn(run_step(services, call), on_error=failed)


def register(app: AsyncApp) -> None:
    for step in StepId:
        app.function(step.value)(step_executed)
