"""Opt-out and opt-in words: an inbound SMS whose whole text is one of them changes whether the
number may get messages (case, surrounding spaces and punctuation do not matter)."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from enum import StrEnum


class OptChange(StrEnum):
    OUT = "out"
    IN = "in"


def _word(text: str) -> str:
    """`  Stop! ` → `stop`; `退订。` → `退订`: letters kept, punctuation and symbols around them not."""
    start, end = 0, len(text)
    while start < end and unicodedata.category(text[start])[0] not in "LN":
        start += 1
    while end > start and unicodedata.category(text[end - 1])[0] not in "LN":
        end -= 1
    return text[start:end].casefold()


def words(setting: Iterable[str]) -> frozenset[str]:
    return frozenset(w for w in (_word(word) for word in setting) if w)


def opt_change(text: str, out_words: frozenset[str], in_words: frozenset[str]) -> OptChange | None:
    """What an inbound text says about receiving messages: out, in, or nothing."""
    word = _word(text)
    if word in out_words:
        return OptChange.OUT
    if word in in_words:
        return OptChange.IN
    return None


class OptWords:
    """The words of both settings, read once."""

    def __init__(self, out_words: Iterable[str] = (), in_words: Iterable[str] = ()) -> None:
        self.out_words, self.in_words = words(out_words), words(in_words)

    def change(self, text: str) -> OptChange | None:
        return opt_change(text, self.out_words, self.in_words)


NO_WORDS = OptWords()
