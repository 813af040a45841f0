"""What a GraphQL client has cost so far: requests, retries, points, waits, pages.

Assets copy a snapshot (or the difference of two) into their Dagster metadata, so it holds only
counts and durations, never a URL, a header or a query.
"""

import threading
from dataclasses import dataclass, fields, replace


@dataclass(frozen=True)
class GraphQLStats:
    requests: int = 0
    """HTTP requests sent, retries included."""
    retries: int = 0
    """Requests repeated after a transient failure, an unreadable or partial answer."""
    rate_limited: int = 0
    """RATE_LIMITED answers (HTTP 200 or 429) waited out."""
    partial_answers: int = 0
    """Answers that came with errors alongside partial data (retried, never loaded)."""
    pages: int = 0
    """Complete answers used."""
    points_spent: int = 0
    """Query cost charged by Thinkific, as its answers' `extensions` report it."""
    budget_wait_seconds: float = 0.0
    """Time spent waiting for the rolling minute's cost budget to afford the next query."""
    rate_limit_wait_seconds: float = 0.0
    """Time spent waiting for `resetAt` after RATE_LIMITED answers."""
    backoff_wait_seconds: float = 0.0
    """Time spent backing off before retries."""

    def since(self, earlier: "GraphQLStats") -> "GraphQLStats":
        """What was spent between `earlier` and this snapshot."""
        return replace(
            self, **{f.name: getattr(self, f.name) - getattr(earlier, f.name) for f in fields(self)}
        )


class GraphQLStatsRecorder:
    """The thread-safe, mutable counters behind `GraphQLStats`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._current = GraphQLStats()

    def add(self, **increments: float) -> None:
        """Add to the named counters, e.g. `add(requests=1, points_spent=12)`."""
        with self._lock:
            totals = {
                name: getattr(self._current, name) + value for name, value in increments.items()
            }
            self._current = replace(self._current, **totals)

    def retried(self, backoff_seconds: float) -> None:
        """A request failed and will be repeated after `backoff_seconds`."""
        self.add(retries=1, backoff_wait_seconds=backoff_seconds)

    def rate_limited(self, wait_seconds: float) -> None:
        """A RATE_LIMITED answer, waited out and repeated."""
        self.add(rate_limited=1, retries=1, rate_limit_wait_seconds=wait_seconds)

    def snapshot(self) -> GraphQLStats:
        with self._lock:
            return self._current
