"""The HTTP client for Thinkific's GraphQL API: the cost budget, and complete answers only.

One `requests.Session` with the API access token (`Authorization: Bearer`; the REST key is never
sent). Every request is a POST of `{query, variables, operationName}` through the retry loop both
APIs share (`retry`), each attempt first waiting until `CostBudget.reserve` says the rolling
minute can afford the query. This module sorts an answer for the loop:

- `RATE_LIMITED` / "API rate limit exceeded" (HTTP 200 or 429): rate limited, until `resetAt`;
- transient statuses, transport errors, unreadable bodies, and errors alongside partial data:
  retriable (queries are reads, so repeating one is safe);
- a refused query (parse, validation, cost, arguments) or token: fatal.

`query` returns `data` only when the answer has no `errors`: a partial answer is never returned.
"""

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

from resources.redaction import RedactingLogger, Redactor, redact_third_party_logs
from resources.thinkific.breaker import SiteBreaker
from resources.thinkific.errors import ThinkificError, ThinkificUnavailableError
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
from resources.thinkific.retry import (
    TRANSIENT_STATUSES,
    Address,
    Fatal,
    Ok,
    Outcome,
    RateLimited,
    Retriable,
    RetryLoop,
    RetryPolicy,
    sort_transport_error,
    still_failing,
)

GRAPHQL_EXAMPLE_URL = "https://api.thinkific.com/stable/graphql"


@dataclass(frozen=True)
class GraphQLSettings:
    """Everything a GraphQL client needs; built by `ThinkificResource`, which describes each."""

    url: str
    access_token: str = field(repr=False)
    budget_ratio: float
    connect_timeout_seconds: float
    timeout_seconds: float
    retry: RetryPolicy
    token_setting: str = TOKEN_SETTING


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
        self._budget = budget or CostBudget(settings.budget_ratio, clock=clock, sleep=sleep)
        self._stats = GraphQLStatsRecorder()
        self._address = Address(settings.url, "THINKIFIC_GRAPHQL_URL", GRAPHQL_EXAMPLE_URL)
        self._retry = RetryLoop(
            settings.retry, self._log, sleep, self._exhausted, _still_rate_limited
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
            return self._retry.run(
                endpoint, lambda: self._send(endpoint, name, document, variables, cost), self._stats
            )
        except ThinkificError as error:
            self._breaker.record(error, "graphql")
            raise

    def _send(
        self,
        endpoint: str,
        name: str,
        document: str,
        variables: dict[str, Any] | None,
        cost: int | None,
    ) -> Outcome[Any]:
        """One POST, once the budget can afford it, sorted for the retry loop."""
        self._stats.add(budget_wait_seconds=self._budget.reserve(name, cost))
        try:
            response = self._session.post(
                self._settings.url,
                json={"query": document, "variables": variables or {}, "operationName": name},
                timeout=(self._settings.connect_timeout_seconds, self._settings.timeout_seconds),
                allow_redirects=False,
            )
        except requests.RequestException as error:
            failure = sort_transport_error(
                endpoint, error, repeatable=True, address=self._address, redact=self._redact
            )
            if isinstance(failure, Retriable):
                self._stats.add(requests=1)
            return failure
        self._stats.add(requests=1)
        return self._sort(endpoint, name, response)

    def _sort(self, endpoint: str, name: str, response: requests.Response) -> Outcome[Any]:
        status = response.status_code
        if status not in (200, 429):
            if status in TRANSIENT_STATUSES:
                return Retriable(f"status {status}")
            return Fatal(
                graphql_error_for_response(
                    endpoint,
                    status,
                    self._redact(response.content.decode("utf-8", errors="replace")),
                    response.headers.get("Location"),
                    self._settings.token_setting,
                )
            )
        answer = _decoded(response)
        if isinstance(answer, Retriable):
            return answer
        if status == 429 or is_rate_limited(answer.get("errors") or []):
            wait = self._budget.rate_limited_wait(
                answer.get("extensions"), max_wait=self._settings.retry.max_rate_limit_wait_seconds
            )
            return RateLimited(wait, "cost budget spent")
        return self._complete_data(endpoint, name, answer)

    def _complete_data(self, endpoint: str, name: str, answer: dict[str, Any]) -> Outcome[Any]:
        """`data` of an answer without errors, after booking its cost."""
        self._stats.add(points_spent=self._budget.settle(name, answer.get("extensions")))
        errors = answer.get("errors")
        if errors:
            if not isinstance(errors, list) or is_query_error(errors):
                return Fatal(
                    ThinkificGraphQLQueryError(
                        self._redact(f"{endpoint} was refused: {describe_errors(list(errors))}"),
                        endpoint,
                        200,
                    )
                )
            self._stats.add(partial_answers=1)
            return Retriable(
                self._redact(
                    f"{len(errors)} errors beside partial data: {describe_errors(errors)}"
                ),
                partial=True,
            )
        if not isinstance(answer.get("data"), dict):
            return Retriable("an answer without data or errors")
        self._stats.add(pages=1)
        return Ok(answer["data"])

    def _exhausted(self, endpoint: str, last: Retriable) -> ThinkificError:
        attempts = self._settings.retry.max_attempts
        if last.partial:
            return ThinkificPartialAnswerError(
                f"{endpoint} answered with errors after {attempts} attempts ({last.cause}). "
                "Partial answers are never loaded, so nothing of this run was: run again "
                "later; if it persists, report it to Thinkific support.",
                endpoint,
            )
        return still_failing(endpoint, last, attempts, self._address, self._redact)


def _still_rate_limited(endpoint: str, last: RateLimited, waits: int) -> ThinkificError:
    return ThinkificUnavailableError(
        f"{endpoint} was still rate limited after {waits} waits for resetAt. Something "
        "else is spending this site's GraphQL budget: run when it is done, or lower "
        "the budget ratio.",
        endpoint,
    )


def _decoded(response: requests.Response) -> dict[str, Any] | Retriable:
    """The JSON object of an answer (200 or 429); an unreadable one is worth another try."""
    try:
        answer = json.loads(response.content)
    except ValueError:
        if response.status_code == 429:
            return {}  # an HTML or empty 429 still means: wait for the budget
        return Retriable(f"a {response.status_code} answer whose body is not JSON")
    if not isinstance(answer, dict):
        return Retriable(f"a {response.status_code} answer that is not a JSON object")
    return answer
