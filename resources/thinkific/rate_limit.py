"""Thinkific's per-site request limit: a client-side token bucket and the `RateLimit-Reset` header.

Both are hand-written: urllib3's `Retry` understands only `Retry-After` (which Thinkific never
sends), and no installed library throttles requests client-side.
"""

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

RATE_LIMIT_WINDOW_SECONDS = 60.0
"""Thinkific counts requests per minute; an unreadable reset header means waiting one window."""

HEADROOM = 0.95
"""The bucket refills at 95% of the configured limit, so clock drift and bursts stay under it."""

MIN_RESET_WAIT_SECONDS = 0.5
"""Never retry a 429 sooner than this, even when the reset time has already passed."""


@dataclass(frozen=True)
class ResetWait:
    """How long to wait after a rate-limited answer, and how the header was read (for logs)."""

    seconds: float
    reading: str


def reset_wait(header: str | None, now: float, *, max_wait: float) -> ResetWait:
    """Seconds to wait before retrying, read from a `RateLimit-Reset` header value.

    Thinkific's pages disagree on the format, so the value's magnitude relative to `now` (epoch
    seconds) decides:

    - above `now * 100`: epoch milliseconds (as epoch seconds it would be millennia away);
    - above `now / 100`: epoch seconds (as milliseconds until reset it would be hours, far more
      than the one-minute window);
    - otherwise: milliseconds until reset.

    The result is clamped to `[MIN_RESET_WAIT_SECONDS, max_wait]`; an absent, non-numeric,
    negative or non-finite value means waiting one full window (also clamped).
    """
    value = _parse_number(header)
    if value is None:
        reading = "absent" if header is None or not header.strip() else "unreadable"
        return ResetWait(_clamp(RATE_LIMIT_WINDOW_SECONDS, max_wait), reading)
    if value > now * 100:
        seconds, reading = value / 1000 - now, "epoch milliseconds"
    elif value > now / 100:
        seconds, reading = value - now, "epoch seconds"
    else:
        seconds, reading = value / 1000, "milliseconds until reset"
    return ResetWait(_clamp(seconds, max_wait), reading)


def _parse_number(header: str | None) -> float | None:
    try:
        value = float((header or "").strip())
    except ValueError:
        return None
    return value if math.isfinite(value) and value >= 0 else None


def _clamp(seconds: float, max_wait: float) -> float:
    return min(max_wait, max(MIN_RESET_WAIT_SECONDS, seconds))


class TokenBucket:
    """A thread-safe token bucket: one token per request.

    A caller that finds the bucket empty reserves the next token (the count goes negative) and
    sleeps outside the lock until it is due, so waiting callers are served in arrival order
    without holding each other up.
    """

    def __init__(
        self,
        tokens_per_second: float,
        capacity: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.tokens_per_second = tokens_per_second
        self.capacity = capacity
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tokens = capacity
        self._updated = clock()

    @classmethod
    def under_limit(cls, requests_per_minute: int, **kwargs) -> "TokenBucket":
        """A bucket that never exceeds `requests_per_minute` in any 60-second window.

        It refills at `HEADROOM` of the limit and holds at most the remaining share of the limit
        (at least one token). In any window it grants at most `capacity + rate * 60`, which is
        the limit itself.
        """
        return cls(
            tokens_per_second=requests_per_minute * HEADROOM / RATE_LIMIT_WINDOW_SECONDS,
            capacity=max(1.0, requests_per_minute * (1 - HEADROOM)),
            **kwargs,
        )

    def drain(self) -> None:
        """Gives up the tokens saved up so far (reservations already made stay).

        A client drains the bucket when a step starts calling the site. Steps of different runs
        take turns under the `thinkific` pool, each run in its own process with its own bucket;
        a step cannot know how much of the last minute the step before it spent, so a burst
        of saved-up tokens on top of that could pass the limit. From empty, a bucket grants at
        most its refill rate, and the limit holds across the turns.
        """
        with self._lock:
            now = self._clock()
            refilled = self._tokens + (now - self._updated) * self.tokens_per_second
            self._tokens = min(0.0, refilled)
            self._updated = now

    def acquire(self) -> float:
        """Take one token, sleeping until it is available; returns the seconds slept."""
        with self._lock:
            now = self._clock()
            elapsed = now - self._updated
            self._tokens = min(self.capacity, self._tokens + elapsed * self.tokens_per_second)
            self._updated = now
            self._tokens -= 1
            wait = max(0.0, -self._tokens / self.tokens_per_second)
        if wait > 0:
            self._sleep(wait)
        return wait


_shared_buckets: dict[tuple[str, int], TokenBucket] = {}
_shared_buckets_lock = threading.Lock()


def shared_bucket(site: str, requests_per_minute: int) -> TokenBucket:
    """The process-wide bucket for one site (base URL + subdomain) and configured limit.

    Thinkific limits requests per site, so every client of the same site in this process draws
    from the same bucket. The limit is part of the key so that a client configured with another
    limit is not silently held to (or let loose by) a bucket built for a different setting.
    """
    key = (site, requests_per_minute)
    with _shared_buckets_lock:
        if key not in _shared_buckets:
            _shared_buckets[key] = TokenBucket.under_limit(requests_per_minute)
        return _shared_buckets[key]
