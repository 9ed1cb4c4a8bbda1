"""Which voice language (manual 4.1 `lang`) a call without one is read in: the one its text's
script points to; and the Send form's default. (The codes and what people may type for them are
in `bot.santo.codes`.)"""

from __future__ import annotations

from collections import Counter

from bot.i18n import Language

FALLBACK = "en-us"
"""For a text with no letters of a script we can tell (digits, emoji)."""

_SCRIPT_RANGES = (
    ("ko-kr", ((0x1100, 0x11FF), (0x3130, 0x318F), (0xAC00, 0xD7AF))),
    ("ja-jp", ((0x3040, 0x30FF), (0x31F0, 0x31FF), (0xFF66, 0xFF9F))),
    ("zh-cn", ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))),
    ("ru-ru", ((0x0400, 0x04FF),)),
)


def _script(char: str) -> str | None:
    point = ord(char)
    for language, ranges in _SCRIPT_RANGES:
        if any(low <= point <= high for low, high in ranges):
            return language
    return "en-us" if char.isalpha() and point < 0x0250 else None


def language_of_text(text: str) -> str:
    """The voice language of the script most of the text's letters are in: Latin → en-us, Han →
    zh-cn, kana → ja-jp (with the Han among it: Japanese writes both), Hangul → ko-kr, Cyrillic →
    ru-ru. Spanish and Portuguese are Latin too, so they read as en-us: say them to be sure."""
    counts = Counter(script for script in map(_script, text) if script is not None)
    if counts["ja-jp"]:
        counts["ja-jp"] += counts.pop("zh-cn", 0)
    if not counts:
        return FALLBACK
    return counts.most_common(1)[0][0]


def voice_language_for(language: Language) -> str:
    """The voice language a person's Slack language suggests (the Send form's default)."""
    return "zh-cn" if language == Language.ZH_HANS else "en-us"
