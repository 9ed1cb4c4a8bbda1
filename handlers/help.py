"""`/sms help`: short usage, for anything the command does not understand too."""

from __future__ import annotations

from bot.domain.mrkdwn import code, cut, escape
from bot.i18n import Texts
from bot.santo.codes import VOICE_LANGUAGES


def usage(t: Texts) -> str:
    """Every subcommand, one line each (our own text, escaped as a whole for its `<placeholders>`)."""
    return escape(t("help.usage", languages=t("numbers.list_separator").join(VOICE_LANGUAGES)))


def help_text(t: Texts, unknown: str | None = None) -> str:
    if unknown:
        return f"{t('help.unknown', word=code(cut(unknown, 40)))}\n\n{usage(t)}"
    return usage(t)
