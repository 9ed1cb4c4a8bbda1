"""The states of sends, numbers and approvals: the words users see come from these."""

from __future__ import annotations

from enum import StrEnum


class SendKind(StrEnum):
    SMS = "sms"
    VOICE = "voice"


class SendState(StrEnum):
    """A send's outcome at the platform: the words users see come from these."""

    POSTING = "posting"
    SENDING = "sending"
    ACCEPTED = "accepted"
    PARTLY_ACCEPTED = "partly_accepted"
    REJECTED = "rejected"
    UNKNOWN = "unknown"
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class NumberStatus(StrEnum):
    """One number's status; it only moves forward (queued → pending → a final one)."""

    QUEUED = "queued"
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"
    NO_REPORT = "no_report"
    REJECTED = "rejected"
    NOT_SENT = "not_sent"
    UNKNOWN = "unknown"
    SUBMITTING = "submitting"
    """Claimed for a submit whose answer has not landed yet (resumable sends): a crash leaves
    only these ambiguous, and they become Unknown, never resent."""


FINAL_STATUSES = frozenset({NumberStatus.DELIVERED, NumberStatus.FAILED, NumberStatus.NO_REPORT})
AWAITING_OUTCOME = (NumberStatus.QUEUED, NumberStatus.SUBMITTING, NumberStatus.PENDING)
"""A number's statuses before its outcome: it is Pending, or may still become so."""


class ApprovalState(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"


REPORTABLE = (NumberStatus.PENDING, NumberStatus.NO_REPORT)
"""Statuses a report may move a number from. No report is our guess, not the platform's word."""
