"""Which failures the Thinkific client retries, and urllib3's `Retry` set up to retry them.

urllib3's `Retry` (mounted on the session's adapter) handles transient statuses, connection errors
and read timeouts with capped, jittered exponential backoff. `ObservedRetry` only adds hooks so
the client can count and log each retry, sleep through an injectable clock and take room in the
site's window of recent requests before the retried request goes out.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from urllib3.util.retry import Retry

TRANSIENT_STATUSES = frozenset({500, 502, 503, 504, *range(520, 528), 530})
"""Server and Cloudflare-origin statuses that Thinkific answers now and then: worth retrying."""

IDEMPOTENT_METHODS = frozenset({"GET", "PUT"})
"""Methods safe to repeat once the request may have reached Thinkific. A POST is repeated only
when it cannot have been applied: connection never established, or a rate-limited answer."""


@dataclass(frozen=True)
class RetryHooks:
    on_retry: Callable[[str, str, int | None, str], None]
    """(method, url, status or None, cause): a request failed and will be repeated."""
    before_retry: Callable[[float], None]
    """Wait this backoff (and for the rate limit) before the repeated request goes out."""


class ObservedRetry(Retry):
    """urllib3's `Retry`, reporting each retry and backoff through `RetryHooks`."""

    hooks: RetryHooks

    def __init__(self, *args: Any, hooks: RetryHooks | None = None, **kwargs: Any) -> None:
        # `hooks` may be omitted only because urllib3's `new()` rebuilds a Retry from its own
        # keyword arguments; our `new()` then hands the hooks on.
        super().__init__(*args, **kwargs)
        if hooks is not None:
            self.hooks = hooks

    def new(self, **kwargs: Any) -> "ObservedRetry":
        retry = super().new(**kwargs)
        retry.hooks = self.hooks
        return retry

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: Any = None,
        error: Exception | None = None,
        _pool: Any = None,
        _stacktrace: Any = None,
    ) -> "ObservedRetry":
        # Raises MaxRetryError (or the error itself) when no retry is left: only retries
        # that will actually happen reach the hook.
        retry = super().increment(method, url, response, error, _pool, _stacktrace)
        status = response.status if response is not None else None
        cause = f"status {status}" if status is not None else describe_cause(error)
        self.hooks.on_retry(method or "", url or "", status, cause)
        return retry

    def sleep(self, response: Any = None) -> None:
        # Retry-After is never sent by Thinkific (respect_retry_after_header is off), so the
        # only wait is the backoff, handed to the hook to sleep and account for.
        self.hooks.before_retry(self.get_backoff_time())


def retry_policy(
    *,
    max_attempts: int,
    backoff_seconds: float,
    max_backoff_seconds: float,
    hooks: RetryHooks | None = None,
) -> Retry:
    """At most `max_attempts` tries; backoff 0, 2b, 4b, 8b … (b = `backoff_seconds`) plus up to b
    of random jitter, each wait capped at `max_backoff_seconds`.

    With `hooks` (for the session's adapter) every retry and backoff is reported through them;
    without, the caller calls `increment` and sleeps `get_backoff_time()` itself.
    """
    settings: dict[str, Any] = {
        "total": max_attempts - 1,
        "allowed_methods": IDEMPOTENT_METHODS,
        "status_forcelist": TRANSIENT_STATUSES,
        "backoff_factor": backoff_seconds,
        "backoff_jitter": backoff_seconds,
        "backoff_max": max_backoff_seconds,
        "raise_on_status": False,
        "respect_retry_after_header": False,
    }
    return ObservedRetry(hooks=hooks, **settings) if hooks else Retry(**settings)


def describe_cause(error: BaseException | None) -> str:
    """A one-line name for a transport failure, like `ConnectionResetError: ...`."""
    if error is None:
        return "unknown failure"
    return f"{type(error).__name__}: {error}"
