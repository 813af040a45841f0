"""What the simulator answered: counts and a request log for tests and benchmarks to check."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass

import numpy as np

from simulator.ratelimit import WINDOW_SECONDS
from simulator.timestamps import format_ms

CONNECTION_RESET = "reset"
"""The status recorded for a request answered with a TCP reset instead of a response."""


@dataclass(frozen=True)
class LoggedRequest:
    time: float  # epoch seconds on the simulated clock, at arrival
    finished: float  # epoch seconds on the same clock, when the answer was ready to send
    method: str
    endpoint: str  # the first path segment after the API base, e.g. "users"
    path: str
    query: str
    status: int | str
    refused: bool


@dataclass(frozen=True)
class LoggedQuery:
    """One GraphQL request: kept apart from REST requests, which have a limit of their own."""

    time: float  # epoch seconds on the simulated clock, at arrival
    status: int | str
    points: int  # what the GraphQL budget charged (0 when refused or not costed)
    refused: bool  # over the budget: RATE_LIMITED


class Stats:
    """Thread-safe counters over every API request (admin requests are not counted)."""

    def __init__(self) -> None:
        self._log: list[LoggedRequest] = []
        self._queries: list[LoggedQuery] = []
        self._lock = threading.Lock()

    def record(self, entry: LoggedRequest) -> None:
        with self._lock:
            self._log.append(entry)

    def record_query(self, entry: LoggedQuery) -> None:
        with self._lock:
            self._queries.append(entry)

    def reset(self) -> None:
        with self._lock:
            self._log.clear()
            self._queries.clear()

    def max_in_any_window(self, seconds: float = WINDOW_SECONDS) -> int:
        """The most REST requests that arrived within any half-open window [t, t + `seconds`) of
        the simulated clock: two requests exactly `seconds` apart never share one, as in the
        rate limiter.

        Every REST request that arrived counts, 429s and 401s included: the strict reading, as
        Thinkific counts every request it receives (the simulator's own limiter is lenient and
        keeps refused requests out of its window). A client measured at or under the limit
        here did not lean on refusals to pace itself.
        """
        with self._lock:
            log = list(self._log)
        return _max_in_window([entry.time for entry in log], seconds)

    def max_in_flight(self) -> int:
        """The most REST requests in progress at one instant, each from its arrival until its
        answer was ready: the half-open [time, finished), so a request that arrives as another
        finishes does not overlap it. Refused requests count too: the client had them in flight
        all the same (the rate limiter's own in-flight cap counts admitted requests only).
        """
        with self._lock:
            log = list(self._log)
        return _most_in_flight(log)

    def snapshot(self) -> dict:
        """Counts and the log as JSON-ready values.

        `served` are requests past the rate limiter (whatever they answered; `by_endpoint`
        counts these), `refused` the limiter's 429s; `max_requests_in_60s` is
        `max_in_any_window()`: what a well-behaved client keeps under the limit, and
        `max_in_flight` is `max_in_flight()`; each of the `requests` has its arrival `time` and
        the time its answer was ready, `finished`. `graphql` counts GraphQL requests, the points
        charged, and `max_points_in_60s`: the highest cost within any 60 s; its `queries` are
        the log, each with its arrival `time`, status and points.
        """
        with self._lock:
            log = list(self._log)
            queries = list(self._queries)
        endpoints = Counter(entry.endpoint for entry in log if not entry.refused)
        return {
            "served": sum(not entry.refused for entry in log),
            "refused": sum(entry.refused for entry in log),
            "by_endpoint": dict(endpoints),
            "by_status": dict(Counter(str(entry.status) for entry in log)),
            "max_requests_in_60s": _max_in_window([entry.time for entry in log], WINDOW_SECONDS),
            "max_in_flight": _most_in_flight(log),
            "requests": [
                {
                    "time": format_ms(round(entry.time * 1000)),
                    "finished": format_ms(round(entry.finished * 1000)),
                    "method": entry.method,
                    "path": entry.path,
                    "query": entry.query,
                    "status": entry.status,
                }
                for entry in log
            ],
            "graphql": {
                "requests": len(queries),
                "refused": sum(query.refused for query in queries),
                "by_status": dict(Counter(str(query.status) for query in queries)),
                "points": sum(query.points for query in queries),
                "max_points_in_60s": _max_in_window(
                    [query.time for query in queries],
                    WINDOW_SECONDS,
                    [query.points for query in queries],
                ),
                "queries": [
                    {
                        "time": format_ms(round(query.time * 1000)),
                        "status": query.status,
                        "points": query.points,
                    }
                    for query in queries
                ],
            },
        }


def _most_in_flight(log: list[LoggedRequest]) -> int:
    """A sweep over the sorted arrivals and finishes: the count in flight peaks at an arrival,
    where it is the arrivals up to that instant less the finishes up to it."""
    if not log:
        return 0
    arrivals = np.sort([entry.time for entry in log])
    finishes = np.sort([entry.finished for entry in log])
    in_flight = np.searchsorted(arrivals, arrivals, side="right") - np.searchsorted(
        finishes, arrivals, side="right"
    )
    return int(in_flight.max())


def _max_in_window(times: list[float], seconds: float, weights: list[int] | None = None) -> int:
    """The largest total weight (1 each by default) of `times` inside any half-open window
    [t, t + `seconds`)."""
    if not times:
        return 0
    order = np.argsort(np.asarray(times), kind="stable")
    ordered = np.asarray(times)[order]
    weighed = np.ones(len(times)) if weights is None else np.asarray(weights)[order]
    totals = np.concatenate([[0], np.cumsum(weighed)])
    window_ends = np.searchsorted(ordered, ordered + seconds, side="left")
    return int(np.max(totals[window_ends] - totals[np.arange(len(ordered))]))
