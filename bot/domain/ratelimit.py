"""Token buckets: spend Slack's rate limits before Slack has to say 429. A pacer: a steady rate of
requests to the platform."""

from __future__ import annotations

import asyncio
import time


class TokenBucket:
    def __init__(self, rate: float, burst: float) -> None:
        """`rate` tokens per second, at most `burst` saved up."""
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.stamp = time.monotonic()
        self.blocked_until = 0.0

    def _refill(self, now: float) -> None:
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def take(self) -> bool:
        """Spend a token if there is one (and Slack has not told us to wait)."""
        now = time.monotonic()
        if now < self.blocked_until:
            return False
        self._refill(now)
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False

    def block(self, seconds: float) -> None:
        """Slack said 429 with Retry-After: nothing goes out until then."""
        self.blocked_until = max(self.blocked_until, time.monotonic() + seconds)
        self.tokens = 0


class Buckets:
    """One bucket per key (workspace, channel), created on first use."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = burst
        self._buckets: dict[str, TokenBucket] = {}

    def __getitem__(self, key: str) -> TokenBucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = TokenBucket(self.rate, self.burst)
        return bucket


class Pacer:
    """A steady rate: each `wait()` returns at least 1/rate seconds after the previous one, for
    every caller sharing it (one per process caps the process's submits, whatever the sends)."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.interval = 1.0 / rate
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        async with self._lock:
            at = time.monotonic()
            slot = max(self._next, at)
            self._next = slot + self.interval
        if slot > at:
            await asyncio.sleep(slot - at)
