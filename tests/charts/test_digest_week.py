"""Which week's digest is due when: from Monday 09:00 of the week after, in the digest's timezone."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.charts.digest import due_week

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_last_weeks_digest_is_due_from_monday_nine() -> None:
    before = due_week(datetime(2026, 11, 30, 8, 59, tzinfo=UTC), UTC)  # Monday 30 November
    at = due_week(datetime(2026, 11, 30, 9, 0, tzinfo=UTC), UTC)
    assert (before.label, before.first.isoformat(), before.last.isoformat()) == (
        "2026-W47",
        "2026-11-16",
        "2026-11-22",
    )
    assert (at.label, at.first.isoformat(), at.last.isoformat()) == ("2026-W48", "2026-11-23", "2026-11-29")
    assert (at.start, at.end) == (datetime(2026, 11, 23, tzinfo=UTC), datetime(2026, 11, 30, tzinfo=UTC))


def test_a_process_up_late_in_the_week_still_finds_the_missed_digest_due() -> None:
    assert due_week(datetime(2026, 12, 6, 23, 0, tzinfo=UTC), UTC).label == "2026-W48"  # Sunday night


def test_the_week_and_its_monday_are_the_timezones() -> None:
    # 02:00 UTC on Monday is 10:00 in Shanghai: last week is due there, not yet in UTC
    at = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
    shanghai = due_week(at, SHANGHAI)
    assert (shanghai.label, due_week(at, UTC).label) == ("2026-W48", "2026-W47")
    assert shanghai.start == datetime(2026, 11, 23, tzinfo=SHANGHAI)
    assert shanghai.start.astimezone(UTC) == datetime(2026, 11, 22, 16, 0, tzinfo=UTC)


def test_iso_weeks_across_the_new_year() -> None:
    assert due_week(datetime(2027, 1, 4, 9, 0, tzinfo=UTC), UTC).label == "2026-W53"
