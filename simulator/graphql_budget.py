"""Thinkific's GraphQL budget: points per rolling minute, charged as each query is admitted.

A query is admitted only when its whole cost fits in what the last 60 s of the simulated clock
left; a refused query costs nothing. `reset_at` is when the window is empty again (60 s after the
latest charge), the moment from which the full limit is available.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

from simulator.clock import SimClock
from simulator.ratelimit import WINDOW_SECONDS


@dataclass(frozen=True)
class BudgetAnswer:
    """What one query was charged, and the budget after it (epoch seconds for `reset_at`)."""

    admitted: bool
    charged: int
    remaining: int
    limit: int
    reset_at: float


class PointsBudget:
    def __init__(self, clock: SimClock, per_minute: int) -> None:
        self._clock = clock
        self._per_minute = per_minute
        self._charges: deque[tuple[float, int]] = deque()
        self._lock = threading.Lock()

    def set_per_minute(self, per_minute: int) -> None:
        """Change the limit; what the rolling minute already charged stays charged."""
        if per_minute < 1:
            raise ValueError("points per minute must be at least 1")
        with self._lock:
            self._per_minute = per_minute

    def charge(self, cost: int) -> BudgetAnswer:
        """Admit and charge a query of `cost` points if the rolling minute has room for it."""
        with self._lock:
            now = self._clock.timestamp()
            while self._charges and self._charges[0][0] <= now - WINDOW_SECONDS:
                self._charges.popleft()
            spent = sum(points for _, points in self._charges)
            admitted = spent + cost <= self._per_minute
            if admitted:
                self._charges.append((now, cost))
                spent += cost
            latest = self._charges[-1][0] if self._charges else now - WINDOW_SECONDS
            return BudgetAnswer(
                admitted=admitted,
                charged=cost if admitted else 0,
                remaining=self._per_minute - spent,
                limit=self._per_minute,
                reset_at=latest + WINDOW_SECONDS,
            )
