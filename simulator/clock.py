"""The simulated clock: one source of "now" for timestamps, `expired`, and the rate-limit window."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime


class SimClock:
    """Runs at real speed from `start` and can jump forward.

    It keeps running on its own so that a rate-limited client that simply waits is let back in,
    as on the real site; `advance` lets tests skip the wait. It never goes backwards.
    """

    def __init__(self, start: datetime | None = None) -> None:
        start = start or datetime.now(UTC)
        self._start_seconds = start.timestamp()
        self._started_monotonic = time.monotonic()
        self._skipped_seconds = 0.0
        self._lock = threading.Lock()

    def timestamp(self) -> float:
        """Now, as epoch seconds."""
        with self._lock:
            skipped = self._skipped_seconds
        return self._start_seconds + (time.monotonic() - self._started_monotonic) + skipped

    def now_ms(self) -> int:
        """Now, as epoch milliseconds (the unit of every stored timestamp)."""
        return int(self.timestamp() * 1000)

    def now(self) -> datetime:
        """Now, as an aware UTC datetime with millisecond precision."""
        return datetime.fromtimestamp(self.now_ms() / 1000, UTC)

    def advance(self, seconds: float) -> datetime:
        """Jump forward by `seconds` and return the new now."""
        if seconds < 0:
            raise ValueError("the simulated clock only moves forward")
        with self._lock:
            self._skipped_seconds += seconds
        return self.now()
