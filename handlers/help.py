"""`/sms help`: short usage, for anything the command does not understand too."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.domain.mrkdwn import code, cut, escape
from bot.i18n import Texts
from bot.santo.codes import VOICE_LANGUAGES
from handlers.common import Sub, answer, subcommands


def usage(t: Texts) -> str:
    """Every subcommand, one line each (our own text, escaped as a whole for its `<placeholders>`)."""
    return escape(t("help.usage", languages=t("numbers.list_separator").join(VOICE_LANGUAGES)))


def help_text(t: Texts, unknown: str | None = None) -> str:
    if unknown:
        return f"{t('help.unknown', word=code(cut(unknown, 40)))}\n\n{usage(t)}"
    return usage(t)


def register(app: AsyncApp) -> None:
    commands = subcommands(app)
    commands.add(Sub.HELP, answer(lambda it, _rest: help_text(it.t)), open_to_all=True)
    commands.unknown = answer(lambda it, word: help_text(it.t, unknown=word))
