"""Putting outside text into Slack mrkdwn safely.

Text from outside — the platform's reports, answers and callbacks, what people type — goes into
Slack through `outside()`: escaped, cleaned of control and direction characters, and cut to what
Slack takes. `code()` and `quote()` are built on it."""

from __future__ import annotations

import re

SECTION_LIMIT = 3000
"""Slack's limit for a section's text (and for a context element's)."""
FIELD_LIMIT = 2000
"""Slack's limit for a section field's text."""
PLAIN_LIMIT = 150
"""Slack's limit for a header's or button's plain text."""
CODE_SHOWN = 40
"""Characters of an outside code (a report's status code, a msgid) shown in a sentence."""

_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_DIRECTION_MARKS = (
    "\u200e\u200f\u061c"  # LRM, RLM, ALM
    "\u202a\u202b\u202c\u202d\u202e"  # embeddings and overrides
    "\u2066\u2067\u2068\u2069"  # isolates
)
_CONTROLS = [*range(0x00, 0x20), *range(0x7F, 0xA0)]
_ONE_LINE: dict[int, str | None] = dict.fromkeys([*_CONTROLS, *map(ord, _DIRECTION_MARKS)])
_ONE_LINE |= {ord("\n"): " ", ord("\t"): " ", ord("\r"): None, 0x2028: " ", 0x2029: " "}
_LINES = _ONE_LINE | {ord("\n"): "\n", 0x2028: "\n", 0x2029: "\n"}
_BROKEN_ENTITY = re.compile(r"&[a-z]{0,3}$")


def escape(text: str) -> str:
    """Slack's three control characters: no `<!channel>`, mentions or fake links get through."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clean(text: str, newlines: bool = False) -> str:
    """Without C0/C1 control characters (a tab or, unless `newlines`, a line break becomes a
    space) and without the invisible marks that turn text's direction around."""
    return text.translate(_LINES if newlines else _ONE_LINE)


def outside(text: object, limit: int = SECTION_LIMIT, *, newlines: bool = False) -> str:
    """Text from outside, ready for any Slack text: cleaned (see `clean`), escaped, and at
    most `limit` characters once escaped (a cut is marked with "…" and never splits `&lt;`)."""
    cleaned = clean(str(text), newlines)
    escaped = escape(cleaned)
    if len(escaped) <= limit:
        return escaped
    if limit < 1:
        return ""
    out: list[str] = []
    used = 0
    for char in cleaned:
        piece = _ESCAPES.get(char, char)
        if used + len(piece) > limit - 1:
            break
        out.append(piece)
        used += len(piece)
    return "".join(out).rstrip() + "…"


def cut(text: str, limit: int) -> str:
    """Shorten to `limit` characters, marking the cut (an escape cut in half is left out)."""
    if len(text) <= limit:
        return text
    return _BROKEN_ENTITY.sub("", text[: max(0, limit - 1)]).rstrip() + "…"


def quote(text: str, limit: int = 500) -> str:
    """Outside text as an escaped mrkdwn block quote: `limit` characters of it at most, on
    at most `limit // 5` lines, so the quote never takes more than about twice `limit`."""
    lines = outside(text, limit, newlines=True).splitlines() or [""]
    most = max(1, limit // 5)
    if len(lines) > most:
        lines = [*lines[: most - 1], "…"]
    return "\n".join(f"&gt; {line}" if line else "&gt;" for line in lines)


def code(text: str, limit: int = 500) -> str:
    """Outside text as inline code (its backquotes replaced so it cannot end the code early)."""
    return "`" + outside(text, limit).replace("`", "ˋ") + "`"
