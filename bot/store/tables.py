"""The schema. Alembic migrations in `migrations/` create it; keep both in step."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import DateTime, ForeignKey, Index, Integer, Numeric, String, Text, func, true
from sqlalchemy import text as sql_text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.domain.states import ApprovalState, NumberStatus, SendState


class Base(DeclarativeBase):
    pass


ACCOUNT_LENGTH = 32
OWN_ACCOUNT = ""
"""The `account` of what the deployment's own Santo account sent and received (single-workspace
mode). With one deployment for many workspaces, each workspace's account is keyed by its team id:
msgids, numbers and inbound messages are only unique within one account."""


def account_column() -> Mapped[str]:
    return mapped_column(String(ACCOUNT_LENGTH), default=OWN_ACCOUNT, server_default=OWN_ACCOUNT)


_WAITING_SEND = sql_text("waiting")


class Send(Base):
    __tablename__ = "sends"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(32))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    thread_ts: Mapped[str | None] = mapped_column(String(32))
    """Set when its message was posted in a thread (an answer to an inbound SMS): the thread's."""
    kind: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text)
    sender_id: Mapped[str | None] = mapped_column(String(16))
    lang: Mapped[str | None] = mapped_column(String(8))
    """The voice reading language (manual 4.1 `lang`)."""
    ui_language: Mapped[str | None] = mapped_column(String(8))
    """The language of the send's messages in Slack (its sender's); None: the default."""
    encoding: Mapped[str] = mapped_column(String(8))
    parts: Mapped[int] = mapped_column(Integer)
    recipients: Mapped[int] = mapped_column(Integer)
    estimated_cost: Mapped[Decimal | None] = mapped_column(Numeric(14, 4))
    state: Mapped[str] = mapped_column(String(16), default=SendState.POSTING)
    detail: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    dirty_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    not_before: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    change_seq: Mapped[int] = mapped_column(Integer, default=0)
    """Bumped by every change the message must show (the notifier folds `SendChange`s into it);
    the notifier clears `dirty_since` only if it rendered the newest one."""
    notify_attempts: Mapped[int] = mapped_column(Integer, default=0)
    scheduled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancelled_by: Mapped[str | None] = mapped_column(String(32))
    retry_of: Mapped[int | None] = mapped_column(Integer)
    """The send whose failed numbers this one retries."""
    retry_send_id: Mapped[int | None] = mapped_column(Integer)
    retry_claimed_by: Mapped[str | None] = mapped_column(String(32))
    retry_claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    origin_link: Mapped[str | None] = mapped_column(Text)
    """Permalink of the message of the send this one retries."""
    submit_owner: Mapped[str | None] = mapped_column(String(32))
    """The process run submitting a resumable send (a send from a file)."""
    submit_lease: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """Set only on resumable sends: while in the future, `submit_owner` is submitting it; once
    past, any process may take it over and submit the numbers still Queued."""
    waiting: Mapped[bool] = mapped_column(default=True, server_default=true())
    """It may have numbers Pending, now or later; cleared by the reconciler once it has none
    Queued, being submitted or Pending and is done sending. Lookups of Pending numbers go
    through the waiting sends: `status` is in no index of `recipients` (see there)."""

    __table_args__ = (
        Index("ix_sends_waiting", "id", postgresql_where=_WAITING_SEND, sqlite_where=_WAITING_SEND),
        Index("ix_sends_dirty", "dirty_since"),
        Index("ix_sends_created", "team_id", "created_at"),
        Index("ix_sends_scheduled", "state", "scheduled_at"),
    )


class SendChange(Base):
    """A change a send's message must show, not folded into its `change_seq` and `dirty_since`
    yet (the notifier does, before it claims). Writers append here instead of updating the
    send's row: two report batches for one send never wait for each other's lock on it. No
    foreign key: that would lock the send's row too."""

    __tablename__ = "send_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    send_id: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


RECIPIENTS_FILLFACTOR = 80
"""Percent of a `recipients` page filled by inserts: the rest holds the rows' updated versions."""


class Recipient(Base):
    __tablename__ = "recipients"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    send_id: Mapped[int] = mapped_column(ForeignKey("sends.id", ondelete="CASCADE"))
    account: Mapped[str] = account_column()
    number: Mapped[str] = mapped_column(String(20))
    region: Mapped[str | None] = mapped_column(String(2))
    msgid: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=NumberStatus.QUEUED)
    code: Mapped[str | None] = mapped_column(String(16))
    """Platform code: the submit's 5.1 code for rejected numbers, the report's 5.2 code after."""
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    announced: Mapped[bool] = mapped_column(default=False)
    """A failure already explained in the send's thread."""
    polled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    text: Mapped[str | None] = mapped_column(Text)
    """This number's own message (personalised sends); None: the send's text."""

    # No index holds `status`, `code` or `updated_at`, the columns a report changes: on
    # PostgreSQL a report's update is then a heap-only tuple update (the row's new version on
    # its own page, room kept by the fill factor), with no new entry in any index.
    __table_args__ = (
        Index("ux_recipients_msgid_number", "account", "msgid", "number", unique=True),
        Index("ix_recipients_send", "send_id"),
        {"postgresql_with": {"fillfactor": RECIPIENTS_FILLFACTOR}},
    )


class Draft(Base):
    """A send waiting for its confirmation: the Send button consumes it exactly once."""

    __tablename__ = "drafts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(32))
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    consumed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Report(Base):
    """Every status report received, raw and parsed; (account, msgid, number, value, code) is unique."""

    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account: Mapped[str] = account_column()
    msgid: Mapped[str] = mapped_column(String(64))
    number: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(String(8))
    code: Mapped[str] = mapped_column(String(16))
    raw: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ux_reports_key", "account", "msgid", "number", "value", "code", unique=True),)


class BadCallback(Base):
    """A callback we could not understand: kept for inspection, answered 400."""

    __tablename__ = "bad_callbacks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    raw: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Inbound(Base):
    """A callback that is not a status report: an inbound SMS (`phone` set), or a callback in a
    shape nobody expected (kept raw). Posted to Slack by the notifier: a reply in the thread of
    the send it answers (`send_id`), anything else to SANTO_INBOX_CHANNEL."""

    __tablename__ = "inbound"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account: Mapped[str] = account_column()
    command: Mapped[str] = mapped_column(String(32))
    raw: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    posted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    momsgid: Mapped[str | None] = mapped_column(String(64))
    """The platform's id of an inbound SMS: the same message delivered again is stored once."""
    phone: Mapped[str | None] = mapped_column(String(20))
    """Who wrote (international digits)."""
    to_number: Mapped[str | None] = mapped_column(String(32))
    text: Mapped[str | None] = mapped_column(Text)
    opt: Mapped[str | None] = mapped_column(String(8))
    """`out` or `in` when the whole text was an opt-out or opt-in word."""
    send_id: Mapped[int | None] = mapped_column(ForeignKey("sends.id"))
    """The send it answers (set when it is posted in that send's thread)."""

    __table_args__ = (
        Index("ux_inbound_message", "account", "momsgid", "phone", unique=True),
        Index("ix_inbound_send", "send_id"),
    )


class Conversation(Base):
    """The inbox message that holds one number's messages in its thread."""

    __tablename__ = "conversations"

    account: Mapped[str] = mapped_column(String(ACCOUNT_LENGTH), primary_key=True, default=OWN_ACCOUNT)
    phone: Mapped[str] = mapped_column(String(20), primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(32))
    thread_ts: Mapped[str] = mapped_column(String(32))


class OptOut(Base):
    """A number that asked not to get messages any more: no send reaches it."""

    __tablename__ = "opt_outs"

    account: Mapped[str] = mapped_column(String(ACCOUNT_LENGTH), primary_key=True, default=OWN_ACCOUNT)
    number: Mapped[str] = mapped_column(String(20), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    source: Mapped[str] = mapped_column(String(16))
    """`sms` (the number wrote an opt-out word) or `admin`."""
    user_id: Mapped[str | None] = mapped_column(String(32))
    """The admin who added it."""


class Approval(Base):
    """A send waiting for an admin: decided once, sent at most once."""

    __tablename__ = "approvals"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    requester_id: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(32))
    payload: Mapped[str] = mapped_column(Text)
    recipients: Mapped[int] = mapped_column(Integer)
    estimated_cost: Mapped[Decimal | None] = mapped_column(Numeric(14, 4))
    state: Mapped[str] = mapped_column(String(16), default=ApprovalState.PENDING)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(32))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    message_channel: Mapped[str | None] = mapped_column(String(32))
    message_ts: Mapped[str | None] = mapped_column(String(32))


class AuditEntry(Base):
    """Who did what, when, where, to how many, at what estimated cost — never a password."""

    __tablename__ = "audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    team_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str | None] = mapped_column(String(32))
    recipients: Mapped[int | None] = mapped_column(Integer)
    estimated_cost: Mapped[Decimal | None] = mapped_column(Numeric(14, 4))
    outcome: Mapped[str | None] = mapped_column(String(32))
    detail: Mapped[str | None] = mapped_column(Text)
    send_id: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (Index("ix_audit_at", "at"),)


class StepRun(Base):
    """A Workflow Builder step run (a `function_executed` event), taken once: Slack delivers an
    event again when our answer was slow, and the second delivery must not send again. Ended
    once, too: with its outputs (completed) or its error (failed)."""

    __tablename__ = "step_runs"

    execution_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    """Slack's function execution id (`Fx…`)."""
    team_id: Mapped[str] = mapped_column(String(32))
    step: Mapped[str] = mapped_column(String(32))
    """The step's callback id."""
    workflow_run: Mapped[str | None] = mapped_column(String(64))
    """Slack's workflow execution id (`Wx…`), for the record."""
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    token: Mapped[str | None] = mapped_column(Text)
    """The run's workflow token (`xwfp-…`), kept until it ends: an admin's decision on its send
    may end it, in any process. Cleared when it ends."""
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str | None] = mapped_column(String(16))
    """`completed` or `failed`."""
    detail: Mapped[str | None] = mapped_column(Text)
    """The outputs (JSON) or the error it ended with."""


class Workspace(Base):
    """A workspace that installed the app (distribution mode) and the Santo account it connected:
    the password encrypted (`SANTO_SECRETS_KEY`), never shown again."""

    __tablename__ = "workspaces"

    team_id: Mapped[str] = mapped_column(String(ACCOUNT_LENGTH), primary_key=True)
    report_token: Mapped[str] = mapped_column(String(64), unique=True)
    """The secret in this workspace's report URL: a report is attributed to it before anything else."""
    installed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    installed_by: Mapped[str | None] = mapped_column(String(32))
    uninstalled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    santo_cpid: Mapped[str | None] = mapped_column(String(64))
    santo_secret: Mapped[str | None] = mapped_column(Text)
    """The account's password, encrypted (Fernet token)."""
    santo_base_url: Mapped[str | None] = mapped_column(String(200))
    connected_by: Mapped[str | None] = mapped_column(String(32))
    connected_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Notice(Base):
    """A notice the app posts on its own, once per account, kind and period: the weekly digest
    (period: the ISO week, `2026-W48`) and the low-balance alert (period `""`; the row exists
    while the alert stands, and is removed when the balance is back above the threshold)."""

    __tablename__ = "notices"

    account: Mapped[str] = mapped_column(String(ACCOUNT_LENGTH), primary_key=True, default=OWN_ACCOUNT)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    period: Mapped[str] = mapped_column(String(32), primary_key=True, default="")
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """A process is posting it until then; after that (it died) another may take it again."""
    posted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    detail: Mapped[str | None] = mapped_column(Text)
    """What it said, for the record (for the alert: the balance it saw)."""
