"""`workflow <step> <input>=<value> …`: runs one of the app's Workflow Builder steps as a workflow
would — a new execution in the Slack stand-in and its signed `function_executed` event, with the
run's workflow token — and shows how it ended, as the workflow's activity would: its outputs, or
its error. `workflow` alone lists the steps and their inputs.

`report_channel=#ops` names a channel as Workflow Builder's channel picker would (by its name);
`\\n` in a value starts a new line, as in forms."""

from __future__ import annotations

import re

from bot.dev.console.seat import Seat
from bot.dev.slack_standin import Call
from bot.dev.slack_standin.records import Execution
from bot.i18n import Texts
from bot.views.ids import StepField
from bot.views.workflow_steps import CHANNEL, STEPS, Step, step_named

ENDING = ("functions.completeSuccess", "functions.completeError")


def usage(t: Texts) -> str:
    lines = [t("console.workflow.usage")]
    for step in STEPS:
        inputs = t("console.list_separator").join(
            t("console.workflow.input" if required else "console.workflow.optional", name=name.value)
            for name, _, required in step.inputs
        )
        lines.append(t("console.workflow.step", id=step.id.value, title=step.title(t), inputs=inputs))
    lines.append(t("console.workflow.example"))
    return "\n".join(lines)


def typed_inputs(step: Step, text: str) -> dict[str, str]:
    """`recipients=+86… message=Hello there` → {"recipients": "+86…", "message": "Hello there"}:
    a value runs to the next ` <input>=` of the step. What comes before the first is left out."""
    names = "|".join(re.escape(name.value) for name, _, _ in step.inputs)
    parts = re.split(rf"(?:^|\s+)({names})=", text.strip())
    pairs = zip(parts[1::2], parts[2::2], strict=True)
    return {name: value.strip().replace("\\n", "\n") for name, value in pairs}


class Workflows:
    """The steps run from this console, and how each ended, shown when the app ends it."""

    def __init__(self, seat: Seat) -> None:
        self.seat = seat
        self.started: set[str] = set()

    async def run(self, typed: str) -> None:
        seat = self.seat
        t = seat.t
        name, _, rest = typed.strip().partition(" ")
        step = step_named(name)
        if step is None:
            if name:
                seat.screen.show(t("console.workflow.no_step", step=name))
            seat.screen.show(usage(t))
            return
        inputs = typed_inputs(step, rest)
        missing = [n.value for n, _, required in step.inputs if required and not inputs.get(n.value)]
        if missing:
            seat.screen.show(t("console.workflow.missing", inputs=t("console.list_separator").join(missing)))
            return
        for parameter, kind, _ in step.inputs:
            typed_channel = inputs.get(parameter.value)
            if kind == CHANNEL and typed_channel:
                channel = self._channel(typed_channel)
                if channel is None:
                    return
                inputs[parameter.value] = channel
        status, _body, execution = await seat.world.slack.run_step(step.id.value, dict(inputs))
        self.started.add(execution.id)
        if status != 200:
            seat.screen.show(t("console.workflow.not_taken", status=status))
            return
        seat.screen.show(t("console.workflow.started", title=step.title(t)))
        await seat.settle()
        if execution.running:
            seat.screen.show(t("console.workflow.running", title=step.title(t)))

    def _channel(self, typed: str) -> str | None:
        """The channel a name (`#ops`, `ops`) or id names; None, said, if there is none."""
        seat = self.seat
        names = seat.standin.channel_names
        wanted = typed.lstrip("#")
        if wanted in names:
            return wanted
        found = next((channel for channel, name in names.items() if name == wanted.lower()), None)
        if found is None:
            channels = seat.t("console.list_separator").join(f"#{n}" for n in names.values())
            seat.screen.show(seat.t("console.field.no_channel", name=wanted, channels=channels))
        return found

    def on_call(self, call: Call) -> None:
        """Show how a step run from here ended, when the app ends it."""
        if call.method not in ENDING or not call.ok:
            return
        execution = self.seat.standin.executions.get(str(call.args.get("function_execution_id")))
        if execution is not None and execution.id in self.started:
            self.seat.screen.show(ended(self.seat.t, execution))


def ended(t: Texts, execution: Execution) -> str:
    step = step_named(execution.callback_id)
    title = step.title(t) if step is not None else execution.callback_id
    if execution.state != "completed" or execution.outputs is None:
        return "\n".join([t("console.workflow.failed", title=title), *_indented(str(execution.error))])
    lines = [t("console.workflow.completed", title=title)]
    for name, value in execution.outputs.items():
        label = t(f"steps.{execution.callback_id}.outputs.{StepField(name).value}.title")
        first, *more = str(value).splitlines() or [""]
        lines.append(t("console.workflow.output", title=label, name=name, value=first))
        lines += ["      " + line for line in more]
    return "\n".join(lines)


def _indented(text: str) -> list[str]:
    return ["  " + line for line in text.splitlines()]
