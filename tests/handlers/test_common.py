"""The listeners' plumbing: ack at once, work in the background, problems told only to the user."""

from __future__ import annotations

import logging

import pytest

from bot.i18n import Msg, Problem
from bot.slack_route import BOLT
from handlers.common import Interaction, listener
from tests.e2e.conftest import World


async def press(world: World, work: type[BaseException] | None, action_id: str) -> Interaction | None:
    """Register a listener that raises `work` (or succeeds) under `action_id`, and press it."""
    seen: list[Interaction] = []

    async def pressed(interaction: Interaction) -> None:
        seen.append(interaction)
        if work is Problem:
            raise Problem(Msg.of("quick.problem.send_usage"))
        if work is not None:
            raise work("boom")

    world.app[BOLT].action(action_id)(listener(pressed))
    status, body = await world.slack.click(action_id, "v-42")
    assert (status, body) == (200, "")
    await world.idle()
    return seen[0] if seen else None


async def test_the_work_gets_who_pressed_what(world: World) -> None:
    interaction = await press(world, None, "test_ok")
    assert interaction is not None
    assert (interaction.actor.user_id, interaction.action_id, interaction.value) == ("U0ALICE", "test_ok", "v-42")
    assert interaction.services is world.services
    assert not world.standin.responses


@pytest.mark.parametrize(
    ("error", "told", "logged"),
    [
        (RuntimeError, "Sorry, something went wrong on our side (reference `", True),
        (Problem, "Write the numbers, then the message: `/sms send ", False),
    ],
    ids=["failure", "problem"],
)
async def test_what_went_wrong_is_told_only_to_the_user(
    world: World, caplog: pytest.LogCaptureFixture, error: type[BaseException], told: str, logged: bool
) -> None:
    """A failure is logged and the user gets an apology with a reference; a `Problem` is the
    user's to fix: it is told in their words, and is no failure of ours."""
    with caplog.at_level(logging.ERROR, logger="bot.background"):
        await press(world, error, f"test_{error.__name__}")
    (answer,) = world.standin.responses
    assert told in answer.text and "boom" not in answer.text
    assert answer.response_type == "ephemeral" and not answer.replace_original
    assert any("background work failed" in r.getMessage() for r in caplog.records) == logged
