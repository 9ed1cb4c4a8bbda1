"""Texts people read, in their language: message catalogues and how to fill them in.

Catalogues are TOML files under `bot/catalogues/<language>/`; a file's name is the first part
of its keys (`home.toml`'s `[counts] delivered` is `home.counts.delivered`). Values are
`str.format` templates. A key with `one`/`other` forms is a count: `texts.count(key, n)`.
Code that runs before anyone's language is known (parsing numbers, guardrails) returns a `Msg`,
which a handler renders in the reader's language.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

CATALOGUES = Path(__file__).parent / "catalogues"


class Language(StrEnum):
    EN = "en"
    ZH_HANS = "zh-Hans"


def language_of_locale(locale: str | None, default: Language) -> Language:
    """Slack's locale (`zh-CN`, `en-US`, …) to a language we have texts in.

    Every Chinese locale gets Simplified Chinese (the closest we have for `zh-TW`); English
    locales get English; any other locale, or none, gets the configured default.
    """
    tag = (locale or "").strip().lower().replace("_", "-")
    if tag.startswith("zh"):
        return Language.ZH_HANS
    if tag.startswith("en"):
        return Language.EN
    return default


def region_of_locale(locale: str | None) -> str | None:
    """The country of Slack's locale (`zh-CN` → `CN`, `en-US` → `US`); None when it names none."""
    tag = (locale or "").strip().replace("_", "-").split("-")
    region = tag[-1] if len(tag) > 1 else ""
    return region.upper() if len(region) == 2 and region.isalpha() else None


def parse_language(value: str) -> Language:
    """A setting's value (`en`, `zh-Hans`, `zh`, `zh-CN`, any case) to a language."""
    tag = value.strip().lower().replace("_", "-")
    if tag in ("en", "en-us", "en-gb", "english"):
        return Language.EN
    if tag in ("zh", "zh-hans", "zh-cn", "chinese"):
        return Language.ZH_HANS
    raise ValueError("en or zh-Hans")


def _flatten(prefix: str, table: Mapping[str, Any], into: dict[str, str]) -> None:
    for name, value in table.items():
        key = f"{prefix}.{name}"
        if isinstance(value, Mapping):
            _flatten(key, value, into)
        elif isinstance(value, str):
            into[key] = value
        else:
            raise TypeError(f"{key}: catalogue values are strings, not {type(value).__name__}")


@cache
def catalogue(language: Language) -> Mapping[str, str]:
    """Every text of one language, by key."""
    texts: dict[str, str] = {}
    for path in sorted((CATALOGUES / language.value).glob("*.toml")):
        with path.open("rb") as file:
            _flatten(path.stem, tomllib.load(file), texts)
    return texts


@dataclass(frozen=True)
class Msg:
    """A text not rendered yet: its key and values (which may themselves be `Msg`s)."""

    key: str
    values: Mapping[str, object] = field(default_factory=dict)

    @classmethod
    def of(cls, key: str, /, **values: object) -> Msg:
        return cls(key, values)

    def to_data(self) -> dict[str, Any]:
        """For storing: values must then be plain (str, int, float, None or `Msg`)."""
        values = {k: v.to_data() if isinstance(v, Msg) else v for k, v in self.values.items()}
        return {"key": self.key, "values": values}

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Msg:
        values = {
            k: cls.from_data(v) if isinstance(v, Mapping) and set(v) == {"key", "values"} else v
            for k, v in data.get("values", {}).items()
        }
        return cls(str(data["key"]), values)

    def to_json(self) -> str:
        return json.dumps(self.to_data(), ensure_ascii=False)

    @classmethod
    def from_json(cls, stored: str) -> Msg:
        return cls.from_data(json.loads(stored))

    def __str__(self) -> str:
        """English, for logs and exceptions; people get `Texts.render`."""
        return TEXTS[Language.EN].render(self)


class Problem(Exception):
    """An error its user is told about: `message` says what is wrong and what to do, rendered in
    their language where it is shown (`str()` of it is English, for logs)."""

    def __init__(self, message: Msg) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


@dataclass(frozen=True)
class Texts:
    """One language's texts: `texts("key", name=value)`."""

    language: Language

    def __call__(self, key: str, /, **values: object) -> str:
        template = catalogue(self.language)[key]
        if not values:
            return template
        return template.format(**{k: self.render(v) if isinstance(v, Msg) else v for k, v in values.items()})

    def count(self, key: str, n: int, /, **values: object) -> str:
        """A text that depends on a number: `key.one` when n is 1 (where the language has it),
        else `key.other`; `{n}` is the number."""
        texts = catalogue(self.language)
        form = f"{key}.one" if n == 1 and f"{key}.one" in texts else f"{key}.other"
        return self(form, n=n, **values)

    def render(self, msg: Msg) -> str:
        return self(msg.key, **msg.values)

    def has(self, key: str) -> bool:
        return key in catalogue(self.language)


TEXTS = {language: Texts(language) for language in Language}
"""One `Texts` per language."""

TEXTS_KEY = "texts"
"""Where a Bolt middleware puts the acting user's `Texts` in a listener's context."""


def texts_of(context: Any) -> Texts:
    """The acting user's texts, as the middleware put them in a listener's context."""
    texts: Texts = context[TEXTS_KEY]
    return texts
