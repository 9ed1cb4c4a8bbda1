"""The digest's notice rows: claimed by one process at a time, taken over only after the lease,
never again once posted; the chart kept once per account, day and language."""

from __future__ import annotations

from datetime import timedelta

from bot.store.db import Database, now
from bot.store.digests import DIGEST, chart_file, keep_chart_file
from bot.store.notices import claim, mark_posted, posted_at

LEASE = timedelta(minutes=10)


async def test_one_claimant_then_the_lease_then_never_again_once_posted(db: Database) -> None:
    start = now()
    assert await claim(db, "", DIGEST, "2026-W47", start, LEASE)
    assert not await claim(db, "", DIGEST, "2026-W47", start + timedelta(minutes=1), LEASE)  # being posted
    assert await claim(db, "T0OTHER", DIGEST, "2026-W47", start, LEASE)  # another account's is its own
    assert await claim(db, "", DIGEST, "2026-W46", start, LEASE)  # and so is another week's
    # the first claimant died posting: after its lease, another process takes the digest over
    taken_over = start + LEASE + timedelta(seconds=1)
    assert await claim(db, "", DIGEST, "2026-W47", taken_over, LEASE)
    assert await posted_at(db, "", DIGEST, "2026-W47") is None
    await mark_posted(db, "", DIGEST, "2026-W47", taken_over, "1700000000.000100")
    assert await posted_at(db, "", DIGEST, "2026-W47") == taken_over
    assert not await claim(db, "", DIGEST, "2026-W47", taken_over + timedelta(days=1), LEASE)


async def test_a_chart_is_kept_once_per_day_and_language(db: Database) -> None:
    at = now()
    assert await chart_file(db, "", "2026-11-29", "en") is None
    assert await keep_chart_file(db, "", "2026-11-29", "en", "F00000001", at) == "F00000001"
    assert await keep_chart_file(db, "", "2026-11-29", "en", "F00000002", at) == "F00000001"  # first kept
    assert await chart_file(db, "", "2026-11-29", "en") == ("F00000001", at)
    assert await chart_file(db, "", "2026-11-29", "zh-Hans") is None
    await keep_chart_file(db, "", "2026-11-30", "en", "F00000003", at)  # a new day: older ones go
    assert await chart_file(db, "", "2026-11-29", "en") is None
    assert await chart_file(db, "", "2026-11-30", "en") == ("F00000003", at)
