"""How a REST answer is sorted for the retry loop (`retry`): ok, retriable, rate limited or fatal.

- 2xx: its JSON (None for an empty body); a body that is not JSON is retriable, except after a
  write, which it would repeat;
- 429, and the legacy 403 "Rate Limit Exceeded": wait as `RateLimit-Reset` says (`rate_limit`);
- a transient status (`TRANSIENT_STATUSES`): retriable, except after a write that may have been
  applied;
- anything else: its readable error (`errors`), at once.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests

from resources.thinkific.errors import ThinkificUnavailableError, error_for_response
from resources.thinkific.rate_limit import reset_wait
from resources.thinkific.retry import (
    IDEMPOTENT_METHODS,
    TRANSIENT_STATUSES,
    Fatal,
    Ok,
    Outcome,
    RateLimited,
    Retriable,
    describe_cause,
)


@dataclass(frozen=True)
class Endpoint:
    """What a request is called in logs and errors, like `GET /users`."""

    method: str
    path: str

    def __str__(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def repeatable(self) -> bool:
        """Safe to send again after it may have reached Thinkific."""
        return self.method in IDEMPOTENT_METHODS


def sort_answer(
    endpoint: Endpoint,
    response: requests.Response,
    *,
    clock: Callable[[], float],
    max_rate_limit_wait: float,
    key_settings: str,
    redact: Callable[[str], str],
) -> Outcome[Any]:
    """What the loop does with `response`; `clock` (epoch seconds) reads `RateLimit-Reset`."""
    status = response.status_code
    if is_rate_limited(response):
        wait = reset_wait(
            response.headers.get("RateLimit-Reset"), clock(), max_wait=max_rate_limit_wait
        )
        return RateLimited(
            wait.seconds, str(status), f" (RateLimit-Reset read as {wait.reading})", status
        )
    if 200 <= status < 300:
        try:
            return Ok(_json_or_none(response.content))
        except ValueError:
            broken = ValueError(f"a {status} answer whose body is not valid JSON")
        if endpoint.repeatable:
            return Retriable(describe_cause(broken))
        return Fatal(
            ThinkificUnavailableError(
                f"{endpoint} succeeded but its answer was unreadable ({broken}); not retried "
                "because that would repeat the write. Check the record on Thinkific.",
                str(endpoint),
            )
        )
    if status in TRANSIENT_STATUSES and endpoint.repeatable:
        return Retriable(f"status {status}")
    return Fatal(
        error_for_response(
            str(endpoint),
            status,
            redact(body_text(response)),
            location=response.headers.get("Location"),
            write_may_have_applied=not endpoint.repeatable,
            key_settings=key_settings,
        )
    )


def still_rate_limited(endpoint: str, last: RateLimited, waits: int) -> ThinkificUnavailableError:
    """The error once `waits` waits for `RateLimit-Reset` did not end the 429s."""
    return ThinkificUnavailableError(
        f"{endpoint} was still rate limited ({last.status}) after {waits} waits "
        "for RateLimit-Reset. Something else is using this site's request budget: lower "
        "THINKIFIC_REQUESTS_PER_MINUTE or run when the other client is done.",
        endpoint,
        last.status,
    )


def is_rate_limited(response: requests.Response) -> bool:
    """429, or the legacy form: 403 with the body "Rate Limit Exceeded"."""
    if response.status_code == 429:
        return True
    return response.status_code == 403 and "rate limit exceeded" in body_text(response).lower()


def body_text(response: requests.Response) -> str:
    # Thinkific answers in UTF-8 (JSON, or an HTML error page); decoding directly skips requests'
    # charset guessing.
    return response.content.decode("utf-8", errors="replace")


def _json_or_none(content: bytes) -> Any:
    return json.loads(content) if content.strip() else None
