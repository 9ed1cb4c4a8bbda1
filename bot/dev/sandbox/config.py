"""Settings of the sandbox platform: accounts, money, timing and how reports turn out."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from bot.santo.codes import DELIVERED_CODE

NO_REPORT = "none"
"""Outcome of a number that never gets a status report."""
FAILURE_CODES: tuple[str, ...] = ("401", "402", "403", "404", "501")
"""Status codes of failed reports (manual 5.2)."""
OUTCOMES: frozenset[str] = frozenset({DELIVERED_CODE, NO_REPORT, *FAILURE_CODES})
"""Every outcome a number can be forced to."""

REPORT_SHAPES: tuple[str, ...] = ("manual", "family", "multi")
"""How status reports are delivered: the manual's RT_REQUEST (4.3), the family's RT_REQUEST
(`mtmsgid`, `mtstat`, no number), or MULTI_RT_REQUEST batches (`rts=` in a POST body)."""
INBOUND_SHAPES: tuple[str, ...] = ("single", "multi")
"""How phones' messages are delivered: one MO_REQUEST each, or MULTI_MO_REQUEST batches."""

DEFAULT_CPID = "Test101"
DEFAULT_PASSWORD = "Test101"


def normalise_outcome(raw: str) -> str:
    """`delivrd` → `DELIVRD`, `NONE` → `none`, `402` → `402`; anything else is a ValueError."""
    text = raw.strip()
    if text.upper() == DELIVERED_CODE:
        return DELIVERED_CODE
    if text.lower() == NO_REPORT:
        return NO_REPORT
    if text in FAILURE_CODES:
        return text
    known = ", ".join([DELIVERED_CODE, *FAILURE_CODES, NO_REPORT])
    raise ValueError(f"unknown outcome {raw!r} (one of {known})")


def _default_accounts() -> dict[str, str]:
    return {DEFAULT_CPID: DEFAULT_PASSWORD}


@dataclass
class SandboxConfig:
    accounts: dict[str, str] = field(default_factory=_default_accounts)
    """cpid → password."""
    balance: float = 100.0
    """Initial balance of every account, in yuan."""
    latency: float = 0.0
    """Seconds from every request's arrival to its answer (the request itself is handled at once)."""
    report_delay: float = 1.0
    """Seconds between acceptance and the status report."""
    fail_rate: float = 0.0
    """Fraction of numbers whose report says failed (reason drawn from 401-404, 501)."""
    no_report_rate: float = 0.0
    """Fraction of numbers that never get a report."""
    duplicate_rate: float = 0.0
    """Fraction of reports delivered twice."""
    callback_url: str | None = None
    """Where status reports are delivered (manual 4.3); None: only `/get-rptstatus` has them."""
    seed: int = 0
    """Seed of the random outcome mix, so a run can be replayed."""
    forced: dict[str, str] = field(default_factory=dict)
    """MSISDN → outcome (`DELIVRD`, `401`..`404`, `501`, `none`), ahead of every other rule."""
    delivery_attempts: int = 5
    """Tries per report delivery (first one included) on connection errors or non-200 answers."""
    retry_backoff: float = 0.5
    """Seconds before the first retry; doubled before each further one."""
    delivery_timeout: float = 10.0
    """Seconds one delivery attempt may take."""
    delivery_concurrency: int = 20
    """Report deliveries in flight at once."""
    first_msgid: int | None = None
    """Give msgids counting up from this one instead of from the clock: two sandboxes so set
    give the same msgids (as two accounts' platforms may)."""
    path_prefix: str = ""
    """Served before every platform path: `/http` serves `/http/submit`, `/http/get-balance`, …"""
    report_shape: str = "manual"
    """One of REPORT_SHAPES."""
    inbound_shape: str = "single"
    """One of INBOUND_SHAPES."""
    reply_delay: float = 0.2
    """Seconds from a delivery report to the phone's reply (numbers ending 0777 and 0778)."""
    service_number: str = "1069"
    """What a phone writes to when the message it answers had no sender id."""

    def __post_init__(self) -> None:
        if not self.accounts:
            raise ValueError("the sandbox needs at least one account")
        for name in ("balance", "latency", "report_delay", "retry_backoff", "reply_delay"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be a number >= 0, not {value!r}")
        for name in ("fail_rate", "no_report_rate", "duplicate_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, not {value!r}")
        if self.fail_rate + self.no_report_rate > 1.0:
            raise ValueError("fail_rate + no_report_rate must not exceed 1")
        if self.delivery_attempts < 1:
            raise ValueError("delivery_attempts must be at least 1")
        if self.delivery_concurrency < 1:
            raise ValueError("delivery_concurrency must be at least 1")
        if not self.delivery_timeout > 0:
            raise ValueError("delivery_timeout must be > 0")
        prefix = self.path_prefix
        if prefix and (not prefix.startswith("/") or prefix.endswith("/")):
            raise ValueError(f"path_prefix must start with / and not end with one, not {prefix!r}")
        for name, known in (("report_shape", REPORT_SHAPES), ("inbound_shape", INBOUND_SHAPES)):
            if getattr(self, name) not in known:
                raise ValueError(f"{name} must be one of {', '.join(known)}, not {getattr(self, name)!r}")
        self.forced = {
            check_msisdn(msisdn): normalise_outcome(outcome) for msisdn, outcome in self.forced.items()
        }


def check_msisdn(msisdn: str) -> str:
    """A forced number must be written as the platform wants it: digits only."""
    text = msisdn.strip()
    if not (text.isascii() and text.isdigit()):
        raise ValueError(f"{msisdn!r} is not an MSISDN (digits only, no + or 00)")
    return text
