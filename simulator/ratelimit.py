"""Thinkific's per-site rate limit: a sliding 60 s window and a cap on requests in flight.

Written by hand because what matters here is Thinkific's own behaviour — which requests count,
and the `RateLimit-Reset` header in each of the formats its documentation contradicts itself
about — not a generic limiter.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from dataclasses import dataclass

from simulator.clock import SimClock

WINDOW_SECONDS = 60.0
IN_FLIGHT_RETRY_SECONDS = 1.0
"""When too many requests are in flight, the reset points this far ahead: a slot frees soon."""


@dataclass(frozen=True)
class Refusal:
    """A 429: why, and when (epoch seconds on the simulated clock) a retry may succeed."""

    reason: str
    reset_at: float
    now: float


def reset_header(reset_format: str, refusal: Refusal) -> str | None:
    """The `RateLimit-Reset` value in the configured format (None: send no header)."""
    if reset_format == "epoch-seconds":
        return str(math.ceil(refusal.reset_at))
    if reset_format == "epoch-milliseconds":
        return str(math.ceil(refusal.reset_at * 1000))
    if reset_format == "milliseconds-until-reset":
        return str(max(0, math.ceil((refusal.reset_at - refusal.now) * 1000)))
    return None


class RateLimiter:
    """Admits at most `per_minute` requests in any 60 s of the simulated clock.

    Refused requests do not count toward the window, as on Thinkific.
    """

    def __init__(self, clock: SimClock, per_minute: int, max_in_flight: int) -> None:
        self._clock = clock
        self._per_minute = per_minute
        self._max_in_flight = max_in_flight
        self._admitted: deque[float] = deque()
        self._in_flight = 0
        self._lock = threading.Lock()

    def enter(self) -> Refusal | None:
        """Admit a request (call `leave` when it is answered) or say why it is refused."""
        with self._lock:
            now = self._clock.timestamp()
            if self._in_flight >= self._max_in_flight:
                return Refusal("too many requests in flight", now + IN_FLIGHT_RETRY_SECONDS, now)
            while self._admitted and self._admitted[0] <= now - WINDOW_SECONDS:
                self._admitted.popleft()
            if len(self._admitted) >= self._per_minute:
                return Refusal("rate limit", self._admitted[0] + WINDOW_SECONDS, now)
            self._admitted.append(now)
            self._in_flight += 1
            return None

    def leave(self) -> None:
        with self._lock:
            self._in_flight -= 1
