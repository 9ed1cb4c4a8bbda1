"""Putting outside text into Slack mrkdwn safely."""

from __future__ import annotations

SECTION_LIMIT = 3000
"""Slack's limit for a section's text."""


def escape(text: str) -> str:
    """Slack's three control characters: no `<!channel>`, mentions or fake links get through."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cut(text: str, limit: int) -> str:
    """Shorten to `limit` characters, marking the cut."""
    return text if len(text) <= limit else text[: max(0, limit - 1)].rstrip() + "…"


def quote(text: str, limit: int = 500) -> str:
    """Outside text as an escaped mrkdwn block quote, cut if long."""
    lines = escape(cut(text, limit)).splitlines() or [""]
    return "\n".join(f"&gt; {line}" if line else "&gt;" for line in lines)


def code(text: str) -> str:
    return "`" + escape(text).replace("`", "ˋ") + "`"
