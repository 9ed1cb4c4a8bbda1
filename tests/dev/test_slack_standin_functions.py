"""The stand-in's Workflow Builder steps: what it checks when an app ends a step, as Slack does,
driven by the real slack_sdk client over loopback."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.dev.slack_standin import SlackStandIn
from bot.dev.slack_standin.records import Execution
from tests.conftest import Serve, manifest_functions


@pytest.fixture
async def standin(serve: Serve) -> SlackStandIn:
    standin = SlackStandIn(functions=manifest_functions())
    standin.base_url = await serve(standin.app())
    return standin


def client(standin: SlackStandIn, token: str) -> AsyncWebClient:
    return AsyncWebClient(token=token, base_url=standin.api_url())


def send_step(standin: SlackStandIn) -> Execution:
    return standin.start_execution("send_sms", {"recipients": "+8613910825657", "message": "Hello"})


async def refused(call: object) -> dict[str, object]:
    with pytest.raises(SlackApiError) as info:
        await call  # type: ignore[misc]
    return dict(info.value.response.data)  # type: ignore[arg-type]


OUTPUTS = {"msgid": "17956341505714019432", "numbers_sent": 1, "numbers_refused": "none"}


async def test_a_step_ends_once_with_outputs_that_fit_the_manifest(standin: SlackStandIn) -> None:
    execution = send_step(standin)
    assert execution.token.startswith("xwfp-") and execution.running
    slack = client(standin, execution.token)
    await slack.functions_completeSuccess(function_execution_id=execution.id, outputs=OUTPUTS)
    assert (execution.state, execution.outputs) == ("completed", OUTPUTS)
    again = await refused(slack.functions_completeError(function_execution_id=execution.id, error="late"))
    assert again["error"] == "execution_not_in_running_state" and execution.error is None


async def test_outputs_that_do_not_fit_are_refused_with_a_line_each(standin: SlackStandIn) -> None:
    execution = send_step(standin)
    slack = client(standin, execution.token)
    wrong = {"msgid": 17956341505714019432, "numbers_sent": "1", "colour": "red"}
    answer = await refused(slack.functions_completeSuccess(function_execution_id=execution.id, outputs=wrong))
    assert answer["error"] == "parameter_validation_failed"
    assert answer["response_metadata"] == {
        "messages": [
            "[ERROR] unknown output `colour`",
            "[ERROR] output `msgid` must be of type string",
            "[ERROR] output `numbers_sent` must be of type integer",
            "[ERROR] missing required output `numbers_refused`",
        ]
    }
    assert execution.running


async def test_only_the_executions_own_workflow_token_ends_it(standin: SlackStandIn) -> None:
    execution, other = send_step(standin), send_step(standin)
    bot = client(standin, standin.token)
    answer = await refused(bot.functions_completeError(function_execution_id=execution.id, error="x"))
    assert answer["error"] == "not_allowed_token_type"
    borrowed = client(standin, other.token)
    answer = await refused(borrowed.functions_completeError(function_execution_id=execution.id, error="x"))
    assert answer["error"] == "invalid_auth"
    slack = client(standin, execution.token)
    assert (await refused(slack.functions_completeError(function_execution_id="Fx404", error="x")))[
        "error"
    ] == "function_execution_not_found"
    assert (await refused(slack.functions_completeError(function_execution_id=execution.id, error=" ")))[
        "error"
    ] == "invalid_arguments"
    assert execution.running and other.running


def test_a_step_runs_only_as_the_manifest_defines_it() -> None:
    standin = SlackStandIn(functions=manifest_functions())
    with pytest.raises(ValueError, match="no step 'reverse'"):
        standin.start_execution("reverse", {})
    with pytest.raises(ValueError, match="missing required input `message`"):
        standin.start_execution("send_sms", {"recipients": "+8613910825657"})
    with pytest.raises(ValueError, match="`report_channel` must be of type slack#/types/channel_id"):
        standin.start_execution("send_sms", {"recipients": "1", "message": "m", "report_channel": "general"})
