"""A Slack message's text (mrkdwn) as plain text, for an SMS.

`<@U123>` → `@name`, `<#C123|ops>` → `#ops`, `<https://x|label>` → `label (https://x)`,
`<https://x>` → `https://x`, `<!here>` → `@here`, `&lt; &gt; &amp;` → `< > &`. Emoji codes
(`:smile:`) and formatting marks (`*bold*`) are kept as they are: both read fine in an SMS.
Names come from `users.info` (`bot.slack_cache.UserNames`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_TOKEN = re.compile(r"<([^<>]*)>")
_ENTITY = re.compile(r"&(lt|gt|amp);")
_ENTITIES = {"lt": "<", "gt": ">", "amp": "&"}
_USER_ID = re.compile(r"^[UW][A-Z0-9]+$")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_BROADCASTS = ("here", "channel", "everyone")


def unescape(text: str) -> str:
    """Slack's three escapes, in one pass (`&amp;lt;` is `&lt;`, not `<`)."""
    return _ENTITY.sub(lambda m: _ENTITIES[m.group(1)], text)


def user_ids(text: str) -> list[str]:
    """The users mentioned (`<@U123>`), each once, in order."""
    found: dict[str, None] = {}
    for match in _TOKEN.finditer(text):
        target = match.group(1).partition("|")[0]
        if target.startswith("@") and _USER_ID.match(target[1:]):
            found[target[1:]] = None
    return list(found)


def to_plain_text(text: str, names: Mapping[str, str] | None = None) -> str:
    """`text` from a Slack message as plain text; `names` maps user ids to names."""
    known = names or {}
    out: list[str] = []
    end = 0
    for match in _TOKEN.finditer(text):
        out.append(unescape(text[end : match.start()]))
        out.append(_token(match.group(1), known))
        end = match.end()
    out.append(unescape(text[end:]))
    return "".join(out)


def _token(inner: str, names: Mapping[str, str]) -> str:
    target, has_label, raw_label = inner.partition("|")
    label = unescape(raw_label) if has_label else ""
    if target.startswith("@"):
        user = target[1:]
        name = names.get(user) or label.removeprefix("@") or user
        return f"@{name}"
    if target.startswith("#"):
        return f"#{label.removeprefix('#') or target[1:]}"
    if target.startswith("!"):
        return _special(target[1:], label)
    if _SCHEME.match(target):
        return _link(unescape(target), label)
    return unescape(f"<{inner}>")  # not something Slack makes: keep it as typed


def _special(command: str, label: str) -> str:
    """`<!here>`, `<!subteam^S123|@team>`, `<!date^…|fallback>` and the like."""
    keyword = command.split("^", 1)[0]
    if keyword in _BROADCASTS:
        return f"@{keyword}"
    if keyword == "subteam":
        return label if label.startswith("@") else f"@{label or command.partition('^')[2]}"
    if label:
        return label
    return f"@{keyword}" if keyword else ""


def _link(url: str, label: str) -> str:
    shown = url.removeprefix("mailto:") if url.startswith("mailto:") else url
    if not label or label in (url, shown, _without_scheme(url)):
        return shown
    return f"{label} ({shown})"


def _without_scheme(url: str) -> str:
    return _SCHEME.sub("", url, count=1).removeprefix("//")


def display_name(user: Mapping[str, Any]) -> str | None:
    """The name Slack shows for a user: display name, else real name, else username."""
    profile = user.get("profile") or {}
    for value in (
        profile.get("display_name"),
        profile.get("real_name"),
        user.get("real_name"),
        user.get("name"),
    ):
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None
