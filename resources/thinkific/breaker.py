"""A run's memory of how the site failed, so one cause costs one wait and shows as one error.

Without it, every step of a run meets the same failure on its own: a wrong key answers 401 to
each stream in turn, and an outage costs every stream the client's whole retry budget (half a
minute each with the defaults) before the run can end. With it, the first request to meet such
a failure records it, and every request after it in the run fails at once with the same error,
sending nothing:

- credentials refused (401) stay refused for the rest of the run: a key does not change. The REST
  key and the GraphQL token are separate credentials, so each API family has its own verdict;
- Thinkific unavailable after a request's whole retry budget (`max_attempts`): the site is given
  up for the run, REST and GraphQL alike. The rerun resumes where this run stopped.

403s are not remembered: a plan or scope may forbid one endpoint and allow the others.
Hand-written because it is this small and specific: circuit-breaker libraries (pybreaker and
the like) count failures per call, where here one exhausted retry budget is already the verdict.
"""

import threading
from typing import Literal

from resources.thinkific.errors import (
    ThinkificAuthenticationError,
    ThinkificError,
    ThinkificUnavailableError,
)

ApiFamily = Literal["rest", "graphql"]
_SITE = "site"


class SiteBreaker:
    """Thread-safe; one per run and site (held by the `ThinkificResource`)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._verdicts: dict[str, ThinkificError] = {}

    def record(self, error: ThinkificError, family: ApiFamily) -> None:
        """Remember `error` when it speaks for the whole site (see the module docstring)."""
        if error.short_circuited:
            return
        if isinstance(error, ThinkificAuthenticationError):
            scope = family
        elif isinstance(error, ThinkificUnavailableError):
            scope = _SITE
        else:
            return
        with self._lock:
            self._verdicts.setdefault(scope, error)

    def check(self, endpoint: str, family: ApiFamily) -> None:
        """Raise, without sending anything, when the run already knows the request would fail."""
        with self._lock:
            verdict = self._verdicts.get(family) or self._verdicts.get(_SITE)
        if verdict is not None:
            raise _again(verdict, endpoint)


def _again(error: ThinkificError, endpoint: str) -> ThinkificError:
    """The remembered error again, for `endpoint`: same class and cause, nothing sent."""
    copy = type(error)(
        f"{endpoint} not sent, because {error.endpoint} failed earlier in this run: {error}",
        endpoint,
        error.status,
    )
    copy.short_circuited = True
    return copy
