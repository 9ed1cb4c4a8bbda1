"""`/sms`: ack at once, then route the subcommand (each feature adds its own) in the background."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.sending.guard import lookup_refusal
from handlers.common import Interaction, Subcommands, listener, subcommands

COMMAND = "/sms"


def split(text: str) -> tuple[str, str]:
    """`send 86139… hi` → (`send`, `86139… hi`)."""
    word, _, rest = text.strip().partition(" ")
    return word.lower(), rest.strip()


async def route(commands: Subcommands, interaction: Interaction) -> None:
    """The subcommand's feature answers; people the guardrails refuse lookups to get only help."""
    word, rest = split(interaction.text)
    if word not in commands.open_to_all:
        refusal = await lookup_refusal(interaction.services, interaction.actor.user_id)
        if refusal:
            await interaction.whisper(interaction.t.render(refusal))
            return
    run = commands.routes.get(word)
    if run is not None:
        await run(interaction, rest)
    elif commands.unknown is not None:
        await commands.unknown(interaction, word)
    else:
        raise LookupError(f"/sms {word}")  # no feature answers unknown subcommands


def register(app: AsyncApp) -> None:
    commands = subcommands(app)

    async def sms(interaction: Interaction) -> None:
        await route(commands, interaction)

    app.command(COMMAND)(listener(sms))
