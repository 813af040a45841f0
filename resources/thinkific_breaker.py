"""A run's memory of how the site failed, so one cause costs one wait and shows as one error.

Without it, every step of a run meets the same failure on its own: a wrong key answers 401 to
each stream in turn, and an outage costs every stream the client's whole retry budget (half a
minute each with the defaults) before the run can end. With it, the first step to meet such a
failure records it, and the steps after it fail at once with the same error, sending nothing:

- credentials refused (401) stay refused for the rest of the run: the key does not change;
- Thinkific unavailable after every retry: requests fail at once for `cooloff_seconds`, then the
  next request tries again (a step retry or a later step probes whether the site is back).

403s are not remembered: a plan or scope may forbid one endpoint and allow the others.
Hand-written because it is this small and specific; circuit-breaker libraries (pybreaker and
the like) count failures per call, where here one exhausted retry budget is already the verdict.
"""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from resources.thinkific_errors import (
    ThinkificAuthenticationError,
    ThinkificError,
    ThinkificUnavailableError,
)

DEFAULT_COOLOFF_SECONDS = 20.0
"""Shorter than the step retry delay (30 s), so a retried step always probes the site again."""


@dataclass(frozen=True)
class _Verdict:
    error: ThinkificError
    at: float
    permanent: bool


class SiteBreaker:
    """Thread-safe; one per run and site (held by the `ThinkificResource`)."""

    def __init__(
        self,
        cooloff_seconds: float = DEFAULT_COOLOFF_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.cooloff_seconds = cooloff_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._verdict: _Verdict | None = None

    def record(self, error: ThinkificError) -> None:
        """Remember `error` if it speaks for the whole site (see the module docstring)."""
        if isinstance(error, ThinkificAuthenticationError):
            permanent = True
        elif isinstance(error, ThinkificUnavailableError) and not error.short_circuited:
            permanent = False
        else:
            return
        with self._lock:
            self._verdict = _Verdict(error, self._clock(), permanent)

    def check(self, endpoint: str) -> None:
        """Raise, without sending anything, while the site is known to be failing."""
        with self._lock:
            verdict = self._verdict
            if verdict is None:
                return
            age = self._clock() - verdict.at
            if not verdict.permanent and age >= self.cooloff_seconds:
                self._verdict = None
                return
        raise _short_circuit(verdict.error, endpoint, age)


def _short_circuit(error: ThinkificError, endpoint: str, age: float) -> ThinkificError:
    """The remembered error again, for `endpoint`: same class and cause, nothing sent."""
    copy = type(error)(
        f"{endpoint} not sent: {error.endpoint} failed {age:.0f} s ago in this run. {error}",
        endpoint,
        error.status,
    )
    copy.short_circuited = True
    return copy
