"""One retry loop for both of Thinkific's APIs: send, sort the outcome, then return, retry, wait
or fail.

Why one loop: REST and GraphQL fail the same ways (transient statuses, dropped connections,
bodies that break off, answers that say "slow down") and one `RetryPolicy` configures both. So a
client only says how to send a request and how to sort what came back into `Ok`, `Retriable`,
`RateLimited` or `Fatal`; how many tries, how long to back off, how long and how often to wait
for a rate limit, and what is counted and logged meanwhile, is decided here, once, the same way
for both (as the Singer SDK sorts every response into retriable or fatal in one place).
"""

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

import requests
from urllib3.exceptions import MaxRetryError

from resources.redaction import RedactingLogger
from resources.thinkific.errors import (
    ThinkificError,
    ThinkificUnavailableError,
    unavailable_advice,
)

T = TypeVar("T")

TRANSIENT_STATUSES = frozenset({500, 502, 503, 504, *range(520, 528), 530})
"""Server and Cloudflare-origin statuses that Thinkific answers now and then: worth retrying."""

IDEMPOTENT_METHODS = frozenset({"GET", "PUT"})
"""Methods safe to repeat once the request may have reached Thinkific. A POST is repeated only
when it cannot have been applied: connection never established, or a rate-limited answer."""

TRANSIENT_TRANSPORT_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)
"""Errors that leave a request's outcome unknown but are worth another try. Anything else from
requests (an invalid URL, say) is a configuration problem that a retry cannot fix."""


@dataclass(frozen=True)
class Ok(Generic[T]):
    """A complete answer."""

    value: T


@dataclass(frozen=True)
class Retriable:
    """Worth another try after a backoff: a transient status, a transport error, a broken body,
    or (GraphQL) errors beside partial data, which `partial` marks."""

    cause: str
    """Unredacted: the loop's log and `still_failing` redact it."""
    partial: bool = False


@dataclass(frozen=True)
class RateLimited:
    """An answer that says "slow down", and how long it says to wait: `seconds`, read from the
    `RateLimit-Reset` header or `resetAt` with the policy's `max_rate_limit_wait_seconds` as
    the cap (which the loop enforces too). `reason` and `note` complete the log line."""

    seconds: float
    reason: str
    note: str = ""
    status: int | None = None


@dataclass(frozen=True)
class Fatal:
    """Never worth repeating: raise `error` as it is."""

    error: ThinkificError


Outcome = Ok[T] | Retriable | RateLimited | Fatal


@dataclass(frozen=True)
class RetryPolicy:
    """The budget of one request, the same for REST and GraphQL (see `ThinkificResource`)."""

    max_attempts: int
    backoff_seconds: float
    max_backoff_seconds: float
    max_rate_limit_wait_seconds: float
    max_rate_limit_retries: int

    def backoff(self, retry: int) -> float:
        """The wait before the `retry`-th retry: 0, then 2b, 4b, 8b … (b = `backoff_seconds`)
        plus up to b of random jitter, each wait capped at `max_backoff_seconds`."""
        if retry <= 1:
            return 0.0
        wait = self.backoff_seconds * 2 ** (retry - 1) + random.random() * self.backoff_seconds
        return max(0.0, min(self.max_backoff_seconds, wait))


class Tally(Protocol):
    """Where a client counts what the loop spent on one request."""

    def retried(self, backoff_seconds: float) -> None: ...

    def rate_limited(self, wait_seconds: float) -> None: ...


@dataclass(frozen=True)
class RetryLoop:
    """The loop a client runs every request through; the client supplies how it gives up:
    `exhausted` once `max_attempts` tries failed, `still_rate_limited` once
    `max_rate_limit_retries` waits did not help."""

    policy: RetryPolicy
    log: RedactingLogger
    sleep: Callable[[float], None]
    exhausted: Callable[[str, Retriable], ThinkificError]
    still_rate_limited: Callable[[str, RateLimited, int], ThinkificError]

    def run(self, endpoint: str, send: Callable[[], Outcome[T]], tally: Tally) -> T:
        """Send until an answer is complete or the budget is spent. Errors are raised here,
        outside any `except`, so no transport error's text (URLs) rides along as context."""
        failures = waits = 0
        while True:
            outcome = send()
            if isinstance(outcome, Ok):
                return outcome.value
            if isinstance(outcome, Fatal):
                raise outcome.error
            if isinstance(outcome, RateLimited):
                if waits >= self.policy.max_rate_limit_retries:
                    raise self.still_rate_limited(endpoint, outcome, waits)
                waits += 1
                wait = min(outcome.seconds, self.policy.max_rate_limit_wait_seconds)
                self.log.warning(
                    "%s rate limited (%s); waiting %.1f s%s",
                    endpoint,
                    outcome.reason,
                    wait,
                    outcome.note,
                )
                tally.rate_limited(wait)
                self.sleep(wait)
                continue
            failures += 1
            if failures >= self.policy.max_attempts:
                raise self.exhausted(endpoint, outcome)
            backoff = self.policy.backoff(failures)
            self.log.warning("%s failed (%s); retrying", endpoint, outcome.cause)
            tally.retried(backoff)
            if backoff > 0:
                self.sleep(backoff)


@dataclass(frozen=True)
class Address:
    """Where a client's requests go, and the setting (with an example) that says so."""

    url: str
    setting: str
    example: str


def sort_transport_error(
    endpoint: str,
    error: requests.RequestException,
    *,
    repeatable: bool,
    address: Address,
    redact: Callable[[str], str],
) -> Retriable | Fatal:
    """A request that got no complete answer: retriable unless a retry cannot help, or (not
    `repeatable`) it may have been applied already."""
    unsent = next((arg for arg in error.args if isinstance(arg, MaxRetryError)), None)
    if unsent is not None:
        # urllib3 (told never to retry) gave up before the request went out: safe to repeat.
        return Retriable(describe_cause(unsent.reason))
    cause = describe_cause(error)
    if not isinstance(error, TRANSIENT_TRANSPORT_ERRORS):
        return Fatal(
            ThinkificError(
                redact(
                    f"{endpoint} could not be sent ({cause}): check {address.setting}, it "
                    f"should look like {address.example}."
                ),
                endpoint,
            )
        )
    if not repeatable:
        return Fatal(
            ThinkificUnavailableError(
                redact(
                    f"{endpoint} lost its connection ({cause}). Not retried automatically "
                    "because the write may already have been applied: check it on Thinkific "
                    "before running again."
                ),
                endpoint,
            )
        )
    return Retriable(cause)


def still_failing(
    endpoint: str, last: Retriable, attempts: int, address: Address, redact: Callable[[str], str]
) -> ThinkificUnavailableError:
    """The error once every attempt failed, with advice that depends on how."""
    advice = unavailable_advice(last.cause, address.url, address.setting, address.example)
    return ThinkificUnavailableError(
        redact(
            f"{endpoint} still failing after {attempts} attempts (last: {last.cause}). {advice}"
        ),
        endpoint,
    )


def describe_cause(error: BaseException | None) -> str:
    """A one-line name for a transport failure, like `ConnectionResetError: ...`."""
    if error is None:
        return "unknown failure"
    return f"{type(error).__name__}: {error}"
