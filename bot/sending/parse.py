"""What people type for a send, read into a request: `/sms send <numbers> <text>`,
`/sms voice <number> [lang] <text>`, a sender id."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from bot.domain.actor import Actor
from bot.domain.mrkdwn import code, escape
from bot.domain.numbers import NumberError, in_every_language, parse_number, parse_numbers
from bot.domain.send_request import SendRequest
from bot.domain.sms_text import SenderIdError, validate_sender_id
from bot.domain.spreadsheet import placeholders
from bot.domain.states import SendKind
from bot.domain.voice import language_of_text
from bot.i18n import TEXTS, Language, Msg, Problem
from bot.santo.codes import VOICE_LANGUAGES, VOICE_SHORT_FORMS, voice_language

_LANG = re.compile(r"^[A-Za-z]{2}[-_][A-Za-z]{2}$")
MAX_INVALID_SHOWN = 10
MAX_PLACEHOLDERS_SHOWN = 5


class InputProblem(Problem):
    """What the user typed cannot be sent; `message` says why and how to fix it."""


def _problem(name: str, /, **values: object) -> InputProblem:
    return InputProblem(Msg.of(f"quick.problem.{name}", **values))


def _invalid_lines(invalid: list[NumberError]) -> dict[str, str]:
    """`• `abc` — not a phone number` lines, in every language."""

    def lines(language: Language) -> str:
        t = TEXTS[language]
        return "\n".join(f"• {code(e.raw[:40])} — {escape(t.render(e.reason))}" for e in invalid)

    return in_every_language(lines)


def _voice_languages() -> dict[str, str]:
    """`zh-cn (Chinese), en-us (English), …` in every language."""

    def listed(language: Language) -> str:
        t = TEXTS[language]
        choices = (t("quick.voice_language", code=c, name=t(f"codes.voice.{c}")) for c in VOICE_LANGUAGES)
        return t("numbers.list_separator").join(choices)

    return in_every_language(listed)


def parse_quick_send(
    actor: Actor, args: str, language: Language, region: str | None = None
) -> tuple[SendRequest, int]:
    """`<numbers> <text>` → a request (and how many duplicates were dropped); `language` is the
    sender's, for the send's messages; `region` the country a number without its code is likely
    from (only suggested, see `parse_number`)."""
    token, _, text = args.strip().partition(" ")
    text = text.strip()
    if not token or not text:
        raise _problem("send_usage")
    parsed = parse_numbers(token, region)
    if parsed.invalid:
        raise _problem("not_numbers", bad=_invalid_lines(parsed.invalid[:MAX_INVALID_SHOWN]))
    check_no_placeholders(text)
    request = _request(actor, language, SendKind.SMS, text, tuple(parsed.numbers))
    return request, parsed.duplicates


def placeholder_names(text: str, shown: Callable[[str], str] = code) -> str | None:
    """A typed text's `{placeholders}` (only a file fills them), each `shown`, or None."""
    names = placeholders(text)
    if not names:
        return None
    return " ".join(shown("{" + name[:30] + "}") for name in names[:MAX_PLACEHOLDERS_SHOWN])


def check_no_placeholders(text: str) -> None:
    if names := placeholder_names(text):
        raise _problem("placeholders", names=names)


def parse_quick_voice(actor: Actor, args: str, language: Language, region: str | None = None) -> SendRequest:
    """`<number> [lang] <text>` → a voice request; without a language, the text's script picks it."""
    token, _, rest = args.strip().partition(" ")
    first, _, after = rest.strip().partition(" ")
    if not token or not first:
        raise _problem("voice_usage")
    if len(parse_numbers(token).numbers) > 1:
        raise _problem("one_number_per_call")
    try:
        number = parse_number(token, region)
    except NumberError as exc:
        raise _problem("cannot_call", number=code(token[:40]), reason=exc.reason) from None
    lang, text = None, rest.strip()
    if _LANG.match(first) or first in VOICE_SHORT_FORMS:
        lang, text = voice_language(first), after.strip()
        if lang is None:
            raise _problem("unknown_voice_language", lang=code(first), choices=_voice_languages())
    if not text:
        raise _problem("no_voice_text")
    check_no_placeholders(text)
    request = _request(actor, language, SendKind.VOICE, text, (number,), lang=lang or language_of_text(text))
    return replace(request, lang_from_text=lang is None)


def _request(
    actor: Actor,
    language: Language,
    kind: SendKind,
    text: str,
    numbers: tuple[Any, ...],
    lang: str | None = None,
) -> SendRequest:
    if actor.channel_id is None:
        raise _problem("no_channel")
    return SendRequest(
        team_id=actor.team_id,
        user_id=actor.user_id,
        channel_id=actor.channel_id,
        kind=kind,
        text=text,
        numbers=numbers,
        lang=lang,
        ui_language=language.value,
    )


def check_sender(sender: str | None, kind: SendKind) -> str | None:
    """A validated sender id, or None; raises InputProblem for a bad one or one on a voice call."""
    if not sender or not sender.strip():
        return None
    if kind == SendKind.VOICE:
        raise _problem("voice_sender_id")
    try:
        return validate_sender_id(sender)
    except SenderIdError as exc:
        raise _problem("sender_id", reason=exc.reason) from None
