"""What the store gives back for display and takes in for a new send: plain data, no queries."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from bot.domain.numbers import PhoneNumber
from bot.domain.states import NumberStatus
from bot.i18n import Msg, Texts
from bot.store.tables import OWN_ACCOUNT, Send


@dataclass(frozen=True)
class NewSend:
    team_id: str
    user_id: str
    channel_id: str
    kind: str
    text: str
    sender_id: str | None
    lang: str | None
    encoding: str
    parts: int
    estimated_cost: Decimal | None
    numbers: tuple[PhoneNumber, ...]
    scheduled_at: datetime | None = None
    retry_of: int | None = None
    texts: tuple[str, ...] | None = None
    """Each number's own message (a personalised send from a file), in `numbers` order."""
    resumable: bool = False
    """Submitted by `bot.sending.file_send`: survives a restart half way (sends from a file)."""
    thread_ts: str | None = None
    """The thread its message goes in (an answer to an inbound SMS), if any."""
    ui_language: str | None = None
    """The language its messages in Slack are written in (its sender's); None: the default."""
    account: str = OWN_ACCOUNT
    """The Santo account it is sent with (`bot.store.tables.OWN_ACCOUNT`, or its workspace's)."""


@dataclass
class SendView:
    """Everything the channel message shows, read from the stored state."""

    send: Send
    counts: Counter[str] = field(default_factory=Counter)
    msgids: list[str] = field(default_factory=list)
    failure_reasons: Counter[str] = field(default_factory=Counter)
    """Report codes of failed numbers, and 5.1 codes of rejected batches."""
    single_number: str | None = None
    """The number, for a send to exactly one."""
    replies: int = 0
    """Inbound SMS shown in its thread as replies to it."""

    @property
    def pending(self) -> int:
        return (
            self.counts[NumberStatus.PENDING]
            + self.counts[NumberStatus.QUEUED]
            + self.counts[NumberStatus.SUBMITTING]
        )


def detail_text(t: Texts, detail: str) -> str:
    """A send's stored `detail` (a `Msg` as JSON) in the reader's language; a detail stored
    as plain text, before details were stored as `Msg`s, as it is."""
    try:
        msg = Msg.from_json(detail)
    except (ValueError, KeyError, TypeError, AttributeError):
        return detail
    return t.render(msg) if t.has(msg.key) else detail


@dataclass(frozen=True)
class Failure:
    """A number to explain in the send's thread: failed (with its code), or never reported."""

    id: int
    number: str
    code: str | None
    status: str = NumberStatus.FAILED


@dataclass(frozen=True)
class Usage:
    recipients: int
    cost: Decimal


@dataclass(frozen=True)
class Health:
    reports: int
    """Reports received since `since`."""
    last_report_at: datetime | None
    bad_callbacks: int
    """Callbacks not understood since `since`."""
    pending: int
    """The workspace's numbers still waiting for their report."""
    overdue: int
    """Of those, the ones waiting longer than the poll delay: the reconciler asks about them."""

@dataclass(frozen=True)
class ResultRow:
    """One number of a send as its results download shows it."""

    id: int
    number: str
    region: str | None
    status: str
    code: str | None
    reported_at: datetime | None
    """When its delivery report came (Delivered or Failed only)."""
    text: str | None
    """Its own message (personalised sends); None: the send's text."""
    reply: str | None = None
    """The latest SMS the number sent back in answer to this send."""


@dataclass
class Tally:
    """Numbers of one country (or all), by outcome."""

    numbers: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    failure_codes: Counter[str] = field(default_factory=Counter)


@dataclass
class PeriodStats:
    """A workspace's sending over a period (`bot.store.stats`)."""

    sends: int
    spend: Decimal
    """Estimated, from each send's estimate."""
    total: Tally = field(default_factory=Tally)
    countries: dict[str, Tally] = field(default_factory=dict)
    delays: dict[str, list[timedelta]] = field(default_factory=dict)
    """Per country: from a send to its numbers' reports (a bounded sample, the newest)."""

    def add(self, region: str, status: str, code: str | None, n: int) -> None:
        for tally in (self.total, self.countries.setdefault(region, Tally())):
            tally.numbers += n
            tally.statuses[status] += n
            if status == NumberStatus.FAILED:
                tally.failure_codes[code or ""] += n


@dataclass(frozen=True)
class SentOutcome:
    """Numbers of one send in one country that ended in one status (`bot.store.stats`)."""

    sent_at: datetime
    region: str
    status: str
    numbers: int
