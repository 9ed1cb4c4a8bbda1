"""`/sms help`: short usage, for anything the command does not understand too."""

from __future__ import annotations

from bot.mrkdwn import code, cut, escape

USAGE = escape(
    "\n".join(
        [
            "*Send SMS and voice calls from Slack*",
            "`/sms` — open the Send form (many numbers, review before sending)",
            "`/sms send <numbers> <text>` — quick send; numbers separated by commas, no spaces:"
            " `/sms send +8613910825657,+601129855877 Hello`",
            "`/sms voice <number> [lang] <text>` — voice call;"
            " lang: zh-cn, en-us, ja-jp, ko-kr, ru-ru, es-es, pt-pt",
            "`/sms balance` — the account's balance",
            "`/sms price <country>` — price per message: `CN`, `china`, `+86` or a number",
            "`/sms verify <number>` — check a number",
            "`/sms status <msgid> [number]` — delivery status of a message",
        ]
    )
)


def help_text(unknown: str | None = None) -> str:
    if unknown:
        return f"I don't know {code(cut(unknown, 40))}.\n\n{USAGE}"
    return USAGE
