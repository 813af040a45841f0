"""The HTTP client for Thinkific's GraphQL API: the cost budget, retries, and complete answers only.

One `requests.Session` with the API access token (`Authorization: Bearer`; the REST key is never
sent). Every request is a POST of `{query, variables, operationName}` and goes through one loop:

- before sending, `CostBudget.reserve` waits until the rolling minute can afford the query;
- `RATE_LIMITED` / "API rate limit exceeded" (HTTP 200 or 429): wait until `resetAt`, send again;
- transient statuses, connection errors, unreadable bodies, and errors alongside partial data:
  retried with the capped, jittered backoff of urllib3's `Retry` (queries are reads, so repeating
  one is safe; they are retried here rather than by the adapter so that every attempt passes
  the budget first);
- a refused query (parse, validation, cost, arguments) or token: an error at once.

`query` returns `data` only when the answer has no `errors`: a partial answer is never returned.
"""

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests
from urllib3.exceptions import MaxRetryError
from urllib3.util.retry import Retry

from resources.redaction import RedactingLogger, Redactor, redact_third_party_logs
from resources.thinkific.breaker import SiteBreaker
from resources.thinkific.errors import (
    ThinkificError,
    ThinkificUnavailableError,
    unavailable_advice,
)
from resources.thinkific.graphql_budget import CostBudget
from resources.thinkific.graphql_errors import (
    TOKEN_SETTING,
    ThinkificGraphQLQueryError,
    ThinkificPartialAnswerError,
    describe_errors,
    graphql_error_for_response,
    is_query_error,
    is_rate_limited,
)
from resources.thinkific.graphql_stats import GraphQLStats, GraphQLStatsRecorder
from resources.thinkific.retry import TRANSIENT_STATUSES, describe_cause, retry_policy

_TRANSIENT_TRANSPORT_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


@dataclass(frozen=True)
class GraphQLSettings:
    """Everything a GraphQL client needs; built by `ThinkificResource`, which describes each."""

    url: str
    access_token: str = field(repr=False)
    budget_ratio: float
    connect_timeout_seconds: float
    timeout_seconds: float
    max_attempts: int
    backoff_seconds: float
    max_backoff_seconds: float
    max_rate_limit_wait_seconds: float
    max_rate_limit_retries: int
    token_setting: str = TOKEN_SETTING


class _Retryable(Exception):
    """An attempt that deserves another try; its text says why."""


class _PartialAnswer(_Retryable):
    """An answer with `errors` alongside (partial) data."""


class ThinkificGraphQLClient:
    """Asks one site's GraphQL API. Create it with `ThinkificResource.get_graphql_client()`.

    `breaker` is shared with the run's REST clients (see `breaker`), `budget` with its other
    GraphQL clients (the points are the site's, whichever client spends them); `sleep` and
    `clock` (epoch seconds) exist so tests can wait on a simulated clock.
    """

    def __init__(
        self,
        settings: GraphQLSettings,
        log: logging.Logger | None = None,
        *,
        breaker: SiteBreaker | None = None,
        budget: CostBudget | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._settings = settings
        self._breaker = breaker or SiteBreaker()
        self._redact = Redactor([settings.access_token])
        redact_third_party_logs([settings.access_token])
        self._log = RedactingLogger(log or logging.getLogger(__name__), self._redact)
        self._sleep = sleep
        self._budget = budget or CostBudget(settings.budget_ratio, clock=clock, sleep=sleep)
        self._stats = GraphQLStatsRecorder()
        self._retry = retry_policy(
            max_attempts=settings.max_attempts,
            backoff_seconds=settings.backoff_seconds,
            max_backoff_seconds=settings.max_backoff_seconds,
        )
        self._session = requests.Session()
        self._session.headers.update(
            {
                "Authorization": f"Bearer {settings.access_token}",
                "Content-Type": "application/json",
                "Accept": "application/json",
            }
        )

    def __repr__(self) -> str:
        return f"ThinkificGraphQLClient(url={self._settings.url!r})"

    @property
    def stats(self) -> GraphQLStats:
        """What this client has cost so far (a snapshot)."""
        return self._stats.snapshot()

    def query(
        self,
        name: str,
        document: str,
        variables: dict[str, Any] | None = None,
        cost: int | None = None,
    ) -> Any:
        """The `data` of a complete answer to the operation `name` of `document`.

        `name` also keys the budget's expected cost: give each query shape its own name. `cost`
        is what the query costs by the contract's rule, expected until an answer says.
        """
        endpoint = f"GraphQL {name}"
        self._breaker.check(endpoint, "graphql")
        try:
            return self._query_with_retries(endpoint, name, document, variables, cost)
        except ThinkificError as error:
            self._breaker.record(error, "graphql")
            raise

    def _query_with_retries(
        self,
        endpoint: str,
        name: str,
        document: str,
        variables: dict[str, Any] | None,
        cost: int | None,
    ) -> Any:
        retry: Retry = self._retry
        rate_limit_waits = 0
        while True:
            self._stats.add(budget_wait_seconds=self._budget.reserve(name, cost))
            try:
                response = self._send(endpoint, name, document, variables)
                answer = _decoded(response)
                if response.status_code == 429 or is_rate_limited(answer.get("errors") or []):
                    self._wait_for_reset(endpoint, answer, rate_limit_waits)
                    rate_limit_waits += 1
                    continue
                data = self._complete_data(endpoint, name, answer)
            except _Retryable as reason:
                retry = self._next_retry(retry, endpoint, reason)
                continue
            self._stats.add(pages=1)
            return data

    def _send(
        self, endpoint: str, name: str, document: str, variables: dict[str, Any] | None
    ) -> requests.Response:
        """One POST; a transient failure raises `_Retryable`, a final one its error."""
        try:
            response = self._session.post(
                self._settings.url,
                json={"query": document, "variables": variables or {}, "operationName": name},
                timeout=(self._settings.connect_timeout_seconds, self._settings.timeout_seconds),
                allow_redirects=False,
            )
        except _TRANSIENT_TRANSPORT_ERRORS as error:
            self._stats.add(requests=1)
            raise _Retryable(self._redact(describe_cause(error))) from None
        except requests.RequestException as error:
            cause = describe_cause(error)
        else:
            self._stats.add(requests=1)
            status = response.status_code
            if status in (200, 429):
                return response
            if status in TRANSIENT_STATUSES:
                raise _Retryable(f"status {status}")
            raise graphql_error_for_response(
                endpoint,
                status,
                self._redact(response.content.decode("utf-8", errors="replace")),
                response.headers.get("Location"),
                self._settings.token_setting,
            )
        # Raised outside the except block, so the original error's text (the URL) cannot ride
        # along as the exception's context.
        raise ThinkificError(
            self._redact(
                f"{endpoint} could not be sent ({cause}): check THINKIFIC_GRAPHQL_URL, it should "
                "look like https://api.thinkific.com/stable/graphql."
            ),
            endpoint,
        )

    def _complete_data(self, endpoint: str, name: str, answer: dict[str, Any]) -> Any:
        """`data` of an answer without errors, after booking its cost."""
        self._stats.add(points_spent=self._budget.settle(name, answer.get("extensions")))
        errors = answer.get("errors")
        if errors:
            if not isinstance(errors, list) or is_query_error(errors):
                raise ThinkificGraphQLQueryError(
                    self._redact(f"{endpoint} was refused: {describe_errors(list(errors))}"),
                    endpoint,
                    200,
                )
            self._stats.add(partial_answers=1)
            raise _PartialAnswer(
                self._redact(f"{len(errors)} errors beside partial data: {describe_errors(errors)}")
            )
        if not isinstance(answer.get("data"), dict):
            raise _Retryable("an answer without data or errors")
        return answer["data"]

    def _next_retry(self, retry: Retry, endpoint: str, reason: _Retryable) -> Retry:
        """Count one more retry on `retry`'s budget and back off, or give up."""
        try:
            retry = retry.increment("POST", endpoint, error=reason)
        except MaxRetryError:
            attempts = self._settings.max_attempts
            if isinstance(reason, _PartialAnswer):
                raise ThinkificPartialAnswerError(
                    f"{endpoint} answered with errors after {attempts} attempts ({reason}). "
                    "Partial answers are never loaded, so nothing of this run was: run again "
                    "later; if it persists, report it to Thinkific support.",
                    endpoint,
                ) from None
            advice = unavailable_advice(
                str(reason),
                self._settings.url,
                "THINKIFIC_GRAPHQL_URL",
                "https://api.thinkific.com/stable/graphql",
            )
            raise ThinkificUnavailableError(
                self._redact(
                    f"{endpoint} still failing after {attempts} attempts (last: {reason}). {advice}"
                ),
                endpoint,
            ) from None
        self._stats.add(retries=1)
        self._log.warning("%s failed (%s); retrying", endpoint, reason)
        backoff = retry.get_backoff_time()
        if backoff > 0:
            self._stats.add(backoff_wait_seconds=backoff)
            self._sleep(backoff)
        return retry

    def _wait_for_reset(self, endpoint: str, answer: dict[str, Any], waits: int) -> None:
        if waits >= self._settings.max_rate_limit_retries:
            raise ThinkificUnavailableError(
                f"{endpoint} was still rate limited after {waits} waits for resetAt. Something "
                "else is spending this site's GraphQL budget: run when it is done, or lower "
                "the budget ratio.",
                endpoint,
            )
        wait = self._budget.rate_limited_wait(
            answer.get("extensions"), max_wait=self._settings.max_rate_limit_wait_seconds
        )
        self._log.warning("%s rate limited (cost budget spent); waiting %.1f s", endpoint, wait)
        self._stats.add(rate_limited=1, retries=1, rate_limit_wait_seconds=wait)
        self._sleep(wait)


def _decoded(response: requests.Response) -> dict[str, Any]:
    """The JSON object of an answer (200 or 429); an unreadable one is worth another try."""
    try:
        answer = json.loads(response.content)
    except ValueError:
        if response.status_code == 429:
            return {}  # an HTML or empty 429 still means: wait for the budget
        raise _Retryable(f"a {response.status_code} answer whose body is not JSON") from None
    if not isinstance(answer, dict):
        raise _Retryable(f"a {response.status_code} answer that is not a JSON object")
    return answer
