"""The app's Workflow Builder steps as Slack's manifest declares them (its `functions`): each
step's inputs and outputs, with their types and titles in a language. manifest.yml holds them
in English (a test keeps the two the same); the console and `python -m bot check` list them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.i18n import Texts
from bot.views.ids import StepField, StepId

STRING = "string"
INTEGER = "integer"
CHANNEL = "slack#/types/channel_id"
REQUIRED, OPTIONAL = True, False
Parameter = tuple[StepField, str, bool]
"""One input or output of a step: its name, Slack's type (`string`, `integer`,
`slack#/types/channel_id`, …), and whether it is required."""


@dataclass(frozen=True)
class Step:
    """A step: its callback id, what Workflow Builder gives it and what it gives back."""

    id: StepId
    inputs: tuple[Parameter, ...]
    outputs: tuple[Parameter, ...]

    def title(self, t: Texts) -> str:
        return t(f"steps.{self.id.value}.title")


STEPS = (
    Step(
        StepId.SEND_SMS,
        inputs=(
            (StepField.RECIPIENTS, STRING, REQUIRED),
            (StepField.MESSAGE, STRING, REQUIRED),
            (StepField.SENDER_ID, STRING, OPTIONAL),
            (StepField.REPORT_CHANNEL, CHANNEL, OPTIONAL),
        ),
        outputs=(
            (StepField.MSGID, STRING, REQUIRED),
            (StepField.NUMBERS_SENT, INTEGER, REQUIRED),
            (StepField.NUMBERS_REFUSED, STRING, REQUIRED),
        ),
    ),
    Step(
        StepId.DELIVERY_STATUS,
        inputs=((StepField.MSGID, STRING, REQUIRED),),
        outputs=(
            (StepField.DELIVERED, INTEGER, REQUIRED),
            (StepField.FAILED, INTEGER, REQUIRED),
            (StepField.PENDING, INTEGER, REQUIRED),
        ),
    ),
)


def step_named(callback_id: str) -> Step | None:
    return next((step for step in STEPS if step.id == callback_id), None)


def manifest_functions(t: Texts) -> dict[str, Any]:
    """The manifest's `functions` section, its titles and descriptions in `t`'s language."""
    return {
        step.id.value: {
            "title": step.title(t),
            "description": t(f"steps.{step.id.value}.description"),
            "input_parameters": _parameters(t, step, "inputs", step.inputs),
            "output_parameters": _parameters(t, step, "outputs", step.outputs),
        }
        for step in STEPS
    }


def _parameters(t: Texts, step: Step, side: str, parameters: tuple[Parameter, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, kind, required in parameters:
        key = f"steps.{step.id.value}.{side}.{name.value}"
        out[name.value] = {
            "type": kind,
            "title": t(f"{key}.title"),
            "description": t(f"{key}.description"),
            "is_required": required,
            "name": name.value,
        }
    return out
