"""The app's Workflow Builder steps (custom functions) as Slack runs them: an execution started
with inputs and a workflow token (`start`, for `SlackRequests.run_step`), and the two methods of
the `functions.*` family that end it, `functions.completeSuccess` and `functions.completeError`.

What it checks, like Slack: the step is one the manifest defines (`State.functions`) and its
inputs fit it; the methods are called with the execution's own workflow token, on a known
execution still running, and `outputs` fit the step's output parameters (names, required ones,
types) — else `parameter_validation_failed` with a line per problem."""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable
from typing import Any

from bot.dev.slack_standin.protocol import ApiError, str_arg
from bot.dev.slack_standin.records import Execution
from bot.dev.slack_standin.state import Handler, State

WORKFLOW_TOKEN_PREFIX = "xwfp-"
ERROR_MAX = 2000
"""Characters of a step's error the stand-in takes (Slack's own limit is not documented)."""

_IDS = {
    "slack#/types/channel_id": re.compile(r"^[CGD][A-Z0-9]{2,}$"),
    "slack#/types/user_id": re.compile(r"^[UW][A-Z0-9]{2,}$"),
}
_TYPES: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
}


def fits(kind: str, value: Any) -> bool:
    """Whether `value` is of the parameter type `kind` (types the stand-in does not know pass)."""
    if kind in _IDS:
        return isinstance(value, str) and bool(_IDS[kind].match(value))
    check = _TYPES.get(kind)
    return check is None or check(value)


def parameter_problems(parameters: dict[str, Any], values: Any, what: str) -> list[str]:
    """How `values` does not fit a step's `parameters` (the manifest's `input_parameters` or
    `output_parameters`), in Slack's `[ERROR] …` lines."""
    if not isinstance(values, dict):
        return [f"[ERROR] {what} must be an object"]
    problems = [f"[ERROR] unknown {what[:-1]} `{name}`" for name in values if name not in parameters]
    for name, parameter in parameters.items():
        if name not in values:
            if parameter.get("is_required"):
                problems.append(f"[ERROR] missing required {what[:-1]} `{name}`")
            continue
        if not fits(str(parameter.get("type")), values[name]):
            problems.append(f"[ERROR] {what[:-1]} `{name}` must be of type {parameter.get('type')}")
    return problems


def start(state: State, callback_id: str, inputs: dict[str, Any], team_id: str) -> Execution:
    """A new run of the step `callback_id` in the workspace `team_id`; raises ValueError for a
    step the manifest does not define or inputs that do not fit it (Workflow Builder would not
    let either through)."""
    definition = state.functions.get(callback_id)
    if definition is None:
        raise ValueError(f"the manifest defines no step {callback_id!r}")
    problems = parameter_problems(definition.get("input_parameters") or {}, inputs, "inputs")
    if problems:
        raise ValueError("; ".join(problems))
    n = state.next_n()
    unique = secrets.token_hex(4).upper()  # Slack's ids are unique across workspaces and restarts
    execution = Execution(
        id=f"Fx{n:04d}{unique}",
        workflow_run=f"Wx{n:04d}{unique}",
        callback_id=callback_id,
        inputs=dict(inputs),
        token=f"{WORKFLOW_TOKEN_PREFIX}{team_id}-{n}-{secrets.token_hex(8)}",
        team_id=team_id,
        at=time.time(),
    )
    state.executions[execution.id] = execution
    return execution


def team_of_workflow_token(state: State, token: str) -> str | None:
    """The workspace of the execution whose workflow token this is; None if it is none's."""
    return next((e.team_id for e in state.executions.values() if e.token == token), None)


def authorize(state: State, method: str, token: str | None, args: dict[str, Any]) -> None:
    """functions.* take only the workflow token of the execution they end."""
    if method not in HANDLERS:
        return
    if token is None or not token.startswith(WORKFLOW_TOKEN_PREFIX):
        raise ApiError("not_allowed_token_type")
    execution = state.executions.get(str_arg(args, "function_execution_id") or "")
    if execution is not None and execution.token != token:
        raise ApiError("invalid_auth")


def _running(state: State, args: dict[str, Any]) -> Execution:
    execution_id = str_arg(args, "function_execution_id")
    if execution_id is None:
        raise ApiError("invalid_arguments", ["[ERROR] missing required field: function_execution_id"])
    execution = state.executions.get(execution_id)
    if execution is None:
        raise ApiError("function_execution_not_found")
    if not execution.running:
        raise ApiError("execution_not_in_running_state")
    return execution


def complete_success(state: State, args: dict[str, Any], origin: str) -> dict[str, Any]:
    execution = _running(state, args)
    outputs = args.get("outputs")
    if outputs is None:
        raise ApiError("invalid_arguments", ["[ERROR] missing required field: outputs"])
    definition = state.functions[execution.callback_id]
    problems = parameter_problems(definition.get("output_parameters") or {}, outputs, "outputs")
    if problems:
        raise ApiError("parameter_validation_failed", problems)
    execution.state, execution.outputs = "completed", outputs
    return {"ok": True}


def complete_error(state: State, args: dict[str, Any], origin: str) -> dict[str, Any]:
    execution = _running(state, args)
    error = args.get("error")
    if not isinstance(error, str) or not error.strip():
        raise ApiError("invalid_arguments", ["[ERROR] missing required field: error"])
    if len(error) > ERROR_MAX:
        raise ApiError("invalid_arguments", [f"[ERROR] error must be at most {ERROR_MAX} characters"])
    execution.state, execution.error = "failed", error
    return {"ok": True}


HANDLERS: dict[str, Handler] = {
    "functions.completeSuccess": complete_success,
    "functions.completeError": complete_error,
}
