"""A send as the user asked for it: validated numbers, text, options; what the confirmation shows."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from bot.domain.numbers import PhoneNumber
from bot.domain.sms_text import TextInfo, analyse
from bot.domain.states import SendKind
from bot.i18n import Msg


@dataclass(frozen=True)
class SendRequest:
    team_id: str
    user_id: str
    channel_id: str
    kind: SendKind
    text: str
    numbers: tuple[PhoneNumber, ...]
    sender_id: str | None = None
    lang: str | None = None
    lang_from_text: bool = False
    """The voice language was not given: the text's script chose it (and the person is told)."""
    invalid: tuple[tuple[str, Msg], ...] = ()
    """What the user typed that is not a number, with the reason (shown, never sent)."""
    scheduled_at: int | None = None
    """Unix time to send at; None sends now."""
    retry_of: int | None = None
    """The send whose failed numbers this request retries."""
    texts: tuple[str, ...] | None = None
    """Each number's own message (a personalised send from a file), in `numbers` order;
    `text` is then the template."""
    from_file: str | None = None
    """The file's name, for a send from a file (submitted resumably)."""
    ui_language: str | None = None
    """The sender's language: the send's messages in Slack are written in it."""
    opted_out: tuple[str, ...] = ()
    """Numbers (MSISDNs) left out because they asked not to get messages (shown, never sent)."""
    thread_ts: str | None = None
    """The thread the send's message goes in (an answer to an inbound SMS); None: the channel."""
    step_run: str | None = None
    """The Workflow Builder step run (its function execution id) that asked for this send and
    ends with its outcome. Its `channel_id` may be empty: no report channel, no channel message."""

    @cached_property
    def text_info(self) -> TextInfo:
        """Of the text, or of the longest of the numbers' own texts (worked out once: a file send
        can have 100,000 of them)."""
        if self.texts:
            return max((analyse(t) for t in set(self.texts)), key=lambda info: info.parts)
        return analyse(self.text)

    @property
    def parts(self) -> int:
        """Parts billed per number (at the longest, for a personalised send): one per call for voice."""
        return 1 if self.kind == SendKind.VOICE else self.text_info.parts

    def to_payload(self) -> dict[str, Any]:
        return {
            "team_id": self.team_id,
            "user_id": self.user_id,
            "channel_id": self.channel_id,
            "kind": self.kind.value,
            "text": self.text,
            "numbers": {  # column by column: a list per number would weigh as much again
                "msisdn": [n.msisdn for n in self.numbers],
                "region": [n.region for n in self.numbers],
                "display": [n.display for n in self.numbers],
            },
            "sender_id": self.sender_id,
            "lang": self.lang,
            "lang_from_text": self.lang_from_text,
            "invalid": [[raw, why.to_data()] for raw, why in self.invalid],
            "scheduled_at": self.scheduled_at,
            "retry_of": self.retry_of,
            "texts": list(self.texts) if self.texts is not None else None,
            "from_file": self.from_file,
            "ui_language": self.ui_language,
            "opted_out": list(self.opted_out),
            "thread_ts": self.thread_ts,
            "step_run": self.step_run,
        }

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> SendRequest:
        return cls(
            team_id=payload["team_id"],
            user_id=payload["user_id"],
            channel_id=payload["channel_id"],
            kind=SendKind(payload["kind"]),
            text=payload["text"],
            numbers=_numbers(payload["numbers"]),
            sender_id=payload.get("sender_id"),
            lang=payload.get("lang"),
            lang_from_text=bool(payload.get("lang_from_text")),
            # A reason stored as text (before reasons were Msgs) is left out: only the confirmation
            # shows reasons, and it was shown before its payload was stored.
            invalid=tuple(
                (raw, Msg.from_data(why)) for raw, why in payload.get("invalid", []) if isinstance(why, dict)
            ),
            scheduled_at=payload.get("scheduled_at"),
            retry_of=payload.get("retry_of"),
            texts=tuple(payload["texts"]) if payload.get("texts") is not None else None,
            from_file=payload.get("from_file"),
            ui_language=payload.get("ui_language"),
            opted_out=tuple(payload.get("opted_out", ())),
            thread_ts=payload.get("thread_ts"),
            step_run=payload.get("step_run"),
        )


def _numbers(stored: dict[str, list[str]] | list[list[str]]) -> tuple[PhoneNumber, ...]:
    """The numbers as `to_payload` keeps them, column by column, or as a list per number (drafts
    and approvals stored before). The few regions are shared, not one string per number."""
    if isinstance(stored, list):
        rows: Iterable[Sequence[str]] = stored
    else:
        rows = zip(stored["msisdn"], stored["region"], stored["display"], strict=True)
    regions: dict[str, str] = {}
    return tuple(PhoneNumber(m, regions.setdefault(r, r), d) for m, r, d in rows)
