"""Slack mrkdwn and text objects as plain terminal text, with ids named (`Names`).

`*bold*`, `_italic_`, `~strike~` and `` `code` `` lose their markers, `&lt;` `&gt;` `&amp;` are
unescaped, `<@U…>` / `<#C…>` become `@name` / `#name`, links `<url|label>` become `label (url)`
(`标签（url）` after a Chinese label), a leading `&gt; ` quote becomes `│ `, `:emoji:` names
become the emoji.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.dev.slack_standin import SlackStandIn

EMOJI = {
    "white_check_mark": "✅",
    "heavy_check_mark": "✔",
    "x": "❌",
    "warning": "⚠️",
    "hourglass_flowing_sand": "⏳",
    "hourglass": "⌛",
    "information_source": "ℹ️",
    "tada": "🎉",
    "rotating_light": "🚨",
    "no_entry": "⛔",
    "no_entry_sign": "🚫",
    "alarm_clock": "⏰",
    "mag": "🔍",
    "moneybag": "💰",
    "phone": "📞",
    "iphone": "📱",
    "email": "📧",
    "speech_balloon": "💬",
}


@dataclass(frozen=True)
class Names:
    """Who and what ids stand for: user id → (handle, display name), channel id → name, file id →
    where the console saved it (`bot.dev.console.files`)."""

    users: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    channels: Mapping[str, str] = field(default_factory=dict)
    files: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, standin: SlackStandIn, files: Mapping[str, str] | None = None) -> Names:
        users = {
            uid: (str(u.get("name") or uid), str(u.get("real_name") or u.get("name") or uid))
            for uid, u in standin.users.items()
        }
        return cls(users=users, channels=dict(standin.channel_names), files=dict(files or {}))

    def handle(self, user_id: str) -> str:
        return self.users.get(user_id, (user_id, user_id))[0]

    def display(self, user_id: str) -> str:
        return self.users.get(user_id, (user_id, user_id))[1]

    def channel(self, channel_id: str | None) -> str:
        if not channel_id:
            return "?"
        return self.channels.get(channel_id, channel_id)


_TOKEN = re.compile(
    r"```\n?(?P<block>.+?)\n?```"
    r"|`(?P<code>[^`\n]+)`"
    r"|<(?P<angle>[^<>\n]+)>"
    r"|(?<![\w*])\*(?P<bold>[^*\s](?:[^*\n]*[^*\s])?)\*(?![\w*])"
    r"|(?<![\w_])_(?P<italic>[^_\s](?:[^_\n]*[^_\s])?)_(?![\w_])"
    r"|(?<![\w~])~(?P<strike>[^~\s](?:[^~\n]*[^~\s])?)~(?![\w~])",
    re.DOTALL,
)
_EMOJI = re.compile(r":([a-z0-9_+\-]+):")
_QUOTE = re.compile(r"^&gt;(?: |$)", re.MULTILINE)
_FULL_WIDTH = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]$")


def unescape(text: str) -> str:
    """Slack's three escapes, and nothing else."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def emoji(text: str) -> str:
    return _EMOJI.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), text)


def link(label: str, url: str) -> str:
    """A link as `label (url)`; after a Chinese label, in full-width brackets: `标签（url）`."""
    if _FULL_WIDTH.search(label):
        return f"{label}（{url}）"
    return f"{label} ({url})"


def _angle(inner: str, names: Names) -> str:
    target, _, label = inner.partition("|")
    label = unescape(label)
    if target.startswith("@"):
        return "@" + (label.lstrip("@") or names.handle(target[1:]))
    if target.startswith("#"):
        return "#" + (label.lstrip("#") or names.channel(target[1:]))
    if target.startswith("!"):
        word = target[1:].split("^", 1)[0]
        if label:
            return label
        return "@" + word
    target = unescape(target)
    if label and label != target:
        return link(label, target.removeprefix("mailto:"))
    return target.removeprefix("mailto:")


def _inline(text: str, names: Names) -> str:
    out: list[str] = []
    at = 0
    for match in _TOKEN.finditer(text):
        out.append(unescape(emoji(text[at : match.start()])))
        at = match.end()
        kind = match.lastgroup
        inner = match.group(kind or 0)
        if kind in ("block", "code"):
            out.append(unescape(inner))
        elif kind == "angle":
            out.append(_angle(inner, names))
        else:
            out.append(_inline(inner, names))
    out.append(unescape(emoji(text[at:])))
    return "".join(out)


def mrkdwn(text: str, names: Names | None = None) -> str:
    """Slack mrkdwn as plain terminal text."""
    quoted = _QUOTE.sub("│ ", text)
    return _inline(quoted, names or Names())


def text_of(obj: Any, names: Names) -> str:
    """A text object (`plain_text` or `mrkdwn`), or a bare string, as plain text."""
    if isinstance(obj, str):
        return obj
    if not isinstance(obj, dict):
        return ""
    text = obj.get("text")
    if not isinstance(text, str):
        return ""
    if obj.get("type") == "mrkdwn":
        return mrkdwn(text, names)
    return emoji(text) if obj.get("emoji", True) else text
