"""What a Thinkific client has cost so far: requests, retries, rate limiting, pages.

Assets copy a snapshot into their Dagster materialization metadata, so it holds only counts and
durations, never a URL or header.
"""

import threading
from collections import Counter
from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class ClientStats:
    """A snapshot of one client's counters."""

    requests: int = 0
    """HTTP requests sent, retries included."""
    retries: int = 0
    """Requests repeated after a transient failure or a rate-limited answer."""
    rate_limited: int = 0
    """Rate-limited answers received (429, and the legacy 403 "Rate Limit Exceeded")."""
    pages: int = 0
    """List pages fetched by `iter_pages`."""
    rate_limit_wait_seconds: float = 0.0
    """Time spent waiting for `RateLimit-Reset` after rate-limited answers."""
    throttle_wait_seconds: float = 0.0
    """Time spent waiting for room in the site's window of recent requests (the limit)."""
    backoff_wait_seconds: float = 0.0
    """Time spent backing off before retrying transient failures."""
    connection_errors: int = 0
    """Attempts that ended without an HTTP status (connection refused or reset, timeout)."""
    status_counts: dict[int, int] = field(default_factory=dict)
    """Answers received per HTTP status, retried ones included."""


class StatsRecorder:
    """The thread-safe, mutable counters behind `ClientStats`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._current = ClientStats()
        self._statuses: Counter[int] = Counter()

    def attempt(self, status: int | None) -> None:
        """One request sent; `status` is None when no answer arrived."""
        with self._lock:
            if status is not None:
                self._statuses[status] += 1
            self._add(requests=1, connection_errors=int(status is None))

    def retried(self, backoff_seconds: float) -> None:
        """A request failed and will be repeated after `backoff_seconds`."""
        with self._lock:
            self._add(retries=1, backoff_wait_seconds=backoff_seconds)

    def page(self) -> None:
        with self._lock:
            self._add(pages=1)

    def rate_limited(self, wait_seconds: float) -> None:
        """A rate-limited answer, waited out and repeated."""
        with self._lock:
            self._add(rate_limited=1, retries=1, rate_limit_wait_seconds=wait_seconds)

    def throttled(self, wait_seconds: float) -> None:
        with self._lock:
            self._add(throttle_wait_seconds=wait_seconds)

    def add(self, cost: ClientStats) -> None:
        """Counts what another recorder recorded (a request fetched ahead, taken by this one)."""
        with self._lock:
            self._statuses.update(cost.status_counts)
            self._add(
                **{
                    name: getattr(cost, name)
                    for name in ClientStats.__dataclass_fields__
                    if name != "status_counts"
                }
            )

    def snapshot(self) -> ClientStats:
        with self._lock:
            return replace(self._current, status_counts=dict(sorted(self._statuses.items())))

    def _add(self, **increments: float) -> None:
        totals = {name: getattr(self._current, name) + value for name, value in increments.items()}
        self._current = replace(self._current, **totals)
