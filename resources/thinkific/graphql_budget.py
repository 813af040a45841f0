"""The client's side of Thinkific's GraphQL cost limit: never send a query the minute cannot afford.

Thinkific charges each query's cost against 2,000 points per rolling minute (at most 1,000 a
query), and every answer's `extensions` says what the query cost, what remains, the limit and
when it resets. `CostBudget` keeps a ledger of the points charged in the last 60 s and, before
each query, waits until the ledger plus the query's expected cost fits in `ratio` x limit.

- A charge enters the ledger when its answer arrives: never before Thinkific charged it, so the
  ledger forgets it no sooner than Thinkific does.
- A query's expected cost is the most Thinkific charged it so far (costs depend only on the query
  and its page sizes); before its first answer, what the caller computed by the contract's rule
  (`cost`), or else the per-query maximum. Assuming the maximum where the caller can compute
  the cost would make a small site's second query wait out the whole minute whenever the
  first query's charge plus 1,000 points exceed the share of the limit a run may spend.
- Points Thinkific reports spent that the ledger cannot account for (another client of the site)
  enter the ledger too.

Hand-written because the budget is the server's, reported answer by answer: no installed library
meters that.
"""

import math
import threading
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from itertools import accumulate
from typing import Any

from resources.thinkific.rate_limit import RATE_LIMIT_WINDOW_SECONDS, reset_wait

MAX_QUERY_COST = 1000
DEFAULT_LIMIT = 2000


@dataclass(frozen=True)
class Charge:
    """What one answer's `extensions` say; None where a value is missing or unreadable."""

    cost: int | None
    remaining: int | None
    limit: int | None
    reset_at: float | None  # epoch seconds

    @classmethod
    def read(cls, extensions: Any) -> "Charge":
        values = extensions if isinstance(extensions, Mapping) else {}
        return cls(
            cost=_count(values.get("cost")),
            remaining=_count(values.get("remaining")),
            limit=_count(values.get("limit")),
            reset_at=_epoch_seconds(values.get("resetAt")),
        )


def _count(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return int(value)


def _epoch_seconds(value: Any) -> float | None:
    """`resetAt` as ISO 8601, or as an epoch number in seconds or milliseconds."""
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value).timestamp()
        except ValueError:
            return None
    number = _count(value)
    if number is None:
        return None
    return number / 1000 if number > 1e11 else float(number)


class CostBudget:
    """Points this client may spend per rolling minute, learned from Thinkific's answers.

    `clock` is epoch seconds and `sleep` waits; tests pass a simulated clock's.
    """

    def __init__(
        self, ratio: float, *, clock: Callable[[], float], sleep: Callable[[float], None]
    ) -> None:
        if not 0 < ratio <= 1:
            raise ValueError("the budget ratio must lie in (0, 1]")
        self._ratio = ratio
        self._clock = clock
        self._sleep = sleep
        self._limit = DEFAULT_LIMIT
        self._ledger: deque[tuple[float, int]] = deque()
        self._expected: dict[str, int] = {}
        self._lock = threading.Lock()

    def reserve(self, query: str, cost: int | None = None) -> float:
        """Wait until the rolling minute can afford `query`, expected to cost `cost` points
        until an answer says otherwise; returns the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                if cost is not None:
                    self._expected.setdefault(query, min(cost, MAX_QUERY_COST))
                wait = self._wait_for(self._expected.get(query, MAX_QUERY_COST), now)
            if wait <= 0:
                return waited
            self._sleep(wait)
            waited += wait

    def settle(self, query: str, extensions: Any) -> int:
        """Record what the answer to `query` was charged (`extensions`); returns the points.

        Without a readable cost the query is booked at what it was expected to cost.
        """
        charge = Charge.read(extensions)
        with self._lock:
            now = self._clock()
            cost = charge.cost
            if cost is None:
                cost = self._expected.get(query, MAX_QUERY_COST)
            self._expected[query] = max(cost, self._expected.get(query, 0))
            if charge.limit:
                self._limit = charge.limit
            self._ledger.append((now, cost))
            if charge.remaining is not None:
                unaccounted = self._limit - charge.remaining - self._spent(now)
                if unaccounted > 0:
                    self._ledger.append((now, unaccounted))
            return cost

    def rate_limited_wait(self, extensions: Any, *, max_wait: float) -> float:
        """Seconds to wait after a RATE_LIMITED answer: until its `resetAt`, else one window."""
        reset_at = Charge.read(extensions).reset_at
        header = None if reset_at is None else str(reset_at)
        return reset_wait(header, self._clock(), max_wait=max_wait).seconds

    @property
    def spendable(self) -> int:
        """Points per rolling minute this client allows itself."""
        return math.floor(self._ratio * self._limit)

    def _spent(self, now: float) -> int:
        while self._ledger and self._ledger[0][0] <= now - RATE_LIMIT_WINDOW_SECONDS:
            self._ledger.popleft()
        return sum(points for _, points in self._ledger)

    def _wait_for(self, expected: int, now: float) -> float:
        """Seconds until enough of the ledger has aged out for `expected` more points (the
        ledger always holds the excess: `expected` is capped at what may be spent at all)."""
        excess = self._spent(now) + min(expected, self.spendable) - self.spendable
        if excess <= 0:
            return 0.0
        freed = accumulate(points for _, points in self._ledger)
        oldest_needed = next(n for n, total in enumerate(freed) if total >= excess)
        return self._ledger[oldest_needed][0] + RATE_LIMIT_WINDOW_SECONDS - now
