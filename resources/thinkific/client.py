"""The HTTP client for Thinkific's REST Admin API: paging, rate limiting, retries, readable errors.

One `requests.Session` per client, safe to share between the threads of a run. What is retried and
how:

- transient statuses, connection errors and read timeouts: urllib3's `Retry` on the session's
  adapter (see `retry`);
- a body that breaks off or is not valid JSON, and connection errors while reading a body: here,
  with a `Retry` of the same budget, because urllib3 has already handed the response over by then;
- 429 and the legacy 403 "Rate Limit Exceeded": here, waiting for `RateLimit-Reset` (see
  `rate_limit`), because urllib3 knows neither that header nor a 403 that means "slow down".
"""

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError
from urllib3.util.retry import Retry

from resources.redaction import RedactingLogger, Redactor, redact_third_party_logs
from resources.thinkific.breaker import SiteBreaker
from resources.thinkific.errors import (
    KEY_SETTINGS,
    ThinkificError,
    ThinkificUnavailableError,
    error_for_response,
    unavailable_advice,
)
from resources.thinkific.pages import (
    PAGE_PROGRESS,
    Page,
    PageProgress,
    list_answer,
    whole_number,
)
from resources.thinkific.rate_limit import PacingSettings, reset_wait, shared_pacer
from resources.thinkific.read_ahead import Answer, AnswerHook, Listing, ReadAhead
from resources.thinkific.retry import (
    IDEMPOTENT_METHODS,
    TRANSIENT_STATUSES,
    RetryHooks,
    describe_cause,
    retry_policy,
)
from resources.thinkific.stats import ClientStats, StatsRecorder

PAGE_SIZE = 250
"""Thinkific's documented maximum `limit`: the fewest requests per stream."""

# Errors that leave a request's outcome unknown but are worth another try. Anything else from
# requests (an invalid URL, say) is a configuration problem that a retry cannot fix.
_TRANSIENT_TRANSPORT_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


@dataclass(frozen=True)
class ClientSettings:
    """Everything a client needs; built by `ThinkificResource`, where each setting is described."""

    base_url: str
    subdomain: str
    api_key: str = field(repr=False)
    access_token: str | None = field(repr=False)
    pacing: PacingSettings
    connect_timeout_seconds: float
    timeout_seconds: float
    max_attempts: int
    backoff_seconds: float
    max_backoff_seconds: float
    max_rate_limit_wait_seconds: float
    max_rate_limit_retries: int
    key_settings: str = KEY_SETTINGS


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


class ThinkificClient:
    """Talks to one Thinkific site. Create it with `ThinkificResource.get_client()`.

    `breaker` and `read_ahead` are shared by the clients of one run (see `breaker`,
    `read_ahead`); `asset` names the asset the client reads for (an asset key like
    `thinkific/users`), to whom the read-ahead counts the answers it fetched for the client and
    no step took. `sleep` and `clock` (epoch seconds) exist so tests can wait on a simulated
    clock.
    """

    def __init__(
        self,
        settings: ClientSettings,
        log: logging.Logger | None = None,
        *,
        breaker: SiteBreaker | None = None,
        read_ahead: ReadAhead | None = None,
        asset: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._settings = settings
        self._breaker = breaker or SiteBreaker()
        self._base_url = settings.base_url.rstrip("/")
        secrets = [settings.api_key, settings.access_token]
        self._redact = Redactor(secrets)
        redact_third_party_logs(secrets)
        self._log = RedactingLogger(log or logging.getLogger(__name__), self._redact)
        self._sleep = sleep
        self._clock = clock
        self._own_stats = StatsRecorder()
        self._fetching = threading.local()
        self._read_ahead = read_ahead or ReadAhead(settings.pacing.max_in_flight)
        self._asset = asset
        self._pacer = shared_pacer(f"{self._base_url} {settings.subdomain}", settings.pacing)
        budget = {
            "max_attempts": settings.max_attempts,
            "backoff_seconds": settings.backoff_seconds,
            "max_backoff_seconds": settings.max_backoff_seconds,
        }
        # Two policies with one budget: urllib3 applies the observed one inside each request;
        # `_call` steps through the plain one for the failures urllib3 never sees.
        self._retry = retry_policy(**budget)
        self._session = self._new_session(
            retry_policy(
                **budget,
                hooks=RetryHooks(on_retry=self._on_adapter_retry, before_retry=self._before_retry),
            )
        )

    def __repr__(self) -> str:
        return (
            f"ThinkificClient(base_url={self._base_url!r}, subdomain={self._settings.subdomain!r})"
        )

    @property
    def stats(self) -> ClientStats:
        """What this client has cost so far (a snapshot), pages fetched ahead for it included."""
        return self._own_stats.snapshot()

    @property
    def _stats(self) -> StatsRecorder:
        """Where a request's cost is counted: the answer's own recorder while fetching ahead
        (see `_fetch`), this client's otherwise."""
        return getattr(self._fetching, "stats", None) or self._own_stats

    def warm(
        self,
        path: str,
        params: dict[str, Any] | None = None,
        *,
        paginated: bool = True,
        on_answer: AnswerHook | None = None,
    ) -> None:
        """Start fetching a listing's first page (or a record) for a read that comes later;
        `on_answer` sees each of its answers as it arrives (to warm reads that depend on it)."""
        listing = Listing.of(path, params, paginated)
        self._read_ahead.warm(listing, self._fetch, on_answer, owner=self._asset)

    def iter_pages(
        self,
        path: str,
        params: dict[str, Any] | None = None,
        *,
        stream: str,
        first_page: int = 1,
        rows_before: int = 0,
    ) -> Iterator[Page]:
        """Every page of a list endpoint, in order, following `meta.pagination.next_page`.

        `stream` names the pages in progress logs. Stops when `next_page` is null or beyond
        `total_pages`; a `next_page` that does not move forward is an error, never a loop.
        A resumed read starts at `first_page`, with `rows_before` rows already read.
        """
        endpoint = Endpoint("GET", path)
        listing = Listing.of(path, params)
        self._read_ahead.start(listing)
        number, rows = first_page, rows_before
        while True:
            answer = self._take(listing, number)
            items, pagination = list_answer(answer, str(endpoint))
            total_pages = whole_number(pagination.get("total_pages"))
            rows += len(items)
            self._stats.page()
            self._log.info(
                "%s: page %d of %s, %d rows so far",
                stream,
                number,
                "?" if total_pages is None else total_pages,
                rows,
                extra={PAGE_PROGRESS: PageProgress(stream, number, total_pages, rows)},
            )
            yield Page(items, number, total_pages, whole_number(pagination.get("total_items")))
            next_page = whole_number(pagination.get("next_page"))
            if next_page is None or (total_pages is not None and next_page > total_pages):
                return
            if next_page <= number:
                raise ThinkificError(
                    f"{endpoint} page {number} points back to page {next_page}; stopped so as "
                    "not to loop. The listing is inconsistent: run the sync again.",
                    str(endpoint),
                )
            number = next_page

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """The JSON answer of a non-paginated GET (like `/bundles/{id}`); None for an empty body."""
        return self._take(Listing.of(path, params, paginated=False), None)

    def _take(self, listing: Listing, page: int | None) -> Any:
        answer = self._read_ahead.take(listing, page, self._fetch, owner=self._asset)
        self._own_stats.add(answer.cost)
        if answer.error is not None:
            raise answer.error
        return answer.body

    def _fetch(self, listing: Listing, page: int | None) -> Answer:
        """One GET for the read-ahead (a worker thread), its cost counted on its own."""
        params = dict(listing.params)
        if page is not None:
            params.update(limit=PAGE_SIZE, page=page)
        self._fetching.stats = cost = StatsRecorder()
        try:
            body = self._call("GET", listing.path, params=params)
        except ThinkificError as error:
            return Answer(None, cost.snapshot(), error)
        finally:
            self._fetching.stats = None
        if page is not None and isinstance(body, dict):
            pagination = (body.get("meta") or {}).get("pagination") or {}
            total = whole_number(pagination.get("total_pages"))
            self._read_ahead.learned_total(listing, total, self._fetch)
        return Answer(body, cost.snapshot())

    def post(self, path: str, body: Any) -> Any:
        """POST a JSON body; the created record (201 or 200), or None when the answer is empty."""
        return self._call("POST", path, body=body)

    def put(self, path: str, body: Any) -> None:
        """PUT a JSON body (Thinkific answers 204, or 200 with an empty body)."""
        self._call("PUT", path, body=body)

    def _on_adapter_retry(self, method: str, url: str, status: int | None, cause: str) -> None:
        self._stats.attempt(status)
        self._note_retry(f"{method} {url}", cause)

    def _note_retry(self, request: str, cause: str) -> None:
        self._stats.retry()
        self._log.warning("%s failed (%s); retrying", request, cause)

    def _before_retry(self, backoff_seconds: float) -> None:
        self._back_off(backoff_seconds)
        self._throttle()

    def _new_session(self, retry: Retry) -> requests.Session:
        session = requests.Session()
        session.headers.update(
            {
                "X-Auth-API-Key": self._settings.api_key,
                "X-Auth-Subdomain": self._settings.subdomain,
                "Content-Type": "application/json",
                "Accept": "application/json",
            }
        )
        adapter = HTTPAdapter(
            max_retries=retry, pool_maxsize=self._settings.pacing.max_in_flight, pool_block=True
        )
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        return session

    def _call(
        self, method: str, path: str, *, params: dict[str, Any] | None = None, body: Any = None
    ) -> Any:
        """One logical request, unless the run already knows the site is failing."""
        endpoint = Endpoint(method, path)
        self._breaker.check(str(endpoint), "rest")
        try:
            return self._call_with_retries(endpoint, params, body)
        except ThinkificError as error:
            self._breaker.record(error, "rest")
            raise

    def _call_with_retries(
        self, endpoint: Endpoint, params: dict[str, Any] | None, body: Any
    ) -> Any:
        """Send, retry what deserves it, return the decoded JSON answer."""
        retry: Retry = self._retry
        rate_limit_waits = 0
        while True:
            self._throttle()
            outcome = self._send(endpoint, params, body)
            if isinstance(outcome, requests.RequestException):
                retry = self._retry_after_transport_error(retry, endpoint, outcome)
                continue
            status = outcome.status_code
            self._stats.attempt(status)
            if _is_rate_limited(outcome):
                self._wait_for_reset(endpoint, outcome, rate_limit_waits)
                rate_limit_waits += 1
                continue
            if 200 <= status < 300:
                try:
                    return _json_or_none(outcome.content)
                except ValueError:
                    broken = ValueError(f"a {status} answer whose body is not valid JSON")
                retry = self._retry_after_broken_body(retry, endpoint, broken)
                continue
            raise self._error_for(endpoint, outcome)

    def _send(
        self, endpoint: Endpoint, params: dict[str, Any] | None, body: Any
    ) -> requests.Response | requests.RequestException:
        # The exception is returned rather than raised so that no error of ours is raised while
        # it is being handled: its text (URLs, pool details) must not ride along as __context__.
        timeout = (self._settings.connect_timeout_seconds, self._settings.timeout_seconds)
        try:
            with self._pacer.in_flight():
                return self._session.request(
                    endpoint.method,
                    f"{self._base_url}/{endpoint.path.lstrip('/')}",
                    params=params,
                    json=body,
                    timeout=timeout,
                    allow_redirects=False,
                )
        except requests.RequestException as error:
            return error

    def _retry_after_transport_error(
        self, retry: Retry, endpoint: Endpoint, error: requests.RequestException
    ) -> Retry:
        """Account for a request that got no complete answer; the next `Retry` or an error."""
        self._stats.attempt(None)
        given_up = next((arg for arg in error.args if isinstance(arg, MaxRetryError)), None)
        if given_up is not None:
            # urllib3 already retried this failure until its budget ran out.
            raise self._unavailable(endpoint, describe_cause(given_up.reason))
        if not isinstance(error, _TRANSIENT_TRANSPORT_ERRORS):
            raise ThinkificError(
                self._redact(
                    f"{endpoint} could not be sent ({describe_cause(error)}): check "
                    "THINKIFIC_BASE_URL, it should look like https://api.thinkific.com/api/public/v1."
                ),
                str(endpoint),
            )
        if not endpoint.repeatable:
            raise ThinkificUnavailableError(
                self._redact(
                    f"{endpoint} lost its connection ({describe_cause(error)}). Not retried "
                    "automatically because the write may already have been applied: check it on "
                    "Thinkific before running again."
                ),
                str(endpoint),
            )
        return self._next_retry(retry, endpoint, error)

    def _retry_after_broken_body(
        self, retry: Retry, endpoint: Endpoint, error: ValueError
    ) -> Retry:
        if not endpoint.repeatable:
            raise ThinkificUnavailableError(
                f"{endpoint} succeeded but its answer was unreadable ({error}); not retried "
                "because that would repeat the write. Check the record on Thinkific.",
                str(endpoint),
            )
        return self._next_retry(retry, endpoint, error)

    def _next_retry(self, retry: Retry, endpoint: Endpoint, error: Exception) -> Retry:
        """Count one more retry on `retry`'s budget and back off, or give up."""
        try:
            retry = retry.increment(endpoint.method, endpoint.path, error=error)
        except MaxRetryError:
            raise self._unavailable(endpoint, describe_cause(error)) from None
        self._note_retry(str(endpoint), describe_cause(error))
        self._back_off(retry.get_backoff_time())
        return retry

    def _unavailable(self, endpoint: Endpoint, cause: str) -> ThinkificUnavailableError:
        advice = unavailable_advice(
            cause, self._base_url, "THINKIFIC_BASE_URL", "https://api.thinkific.com/api/public/v1"
        )
        return ThinkificUnavailableError(
            self._redact(
                f"{endpoint} still failing after {self._settings.max_attempts} attempts "
                f"(last: {cause}). {advice}"
            ),
            str(endpoint),
        )

    def _wait_for_reset(self, endpoint: Endpoint, response: requests.Response, waits: int) -> None:
        if waits >= self._settings.max_rate_limit_retries:
            raise ThinkificUnavailableError(
                f"{endpoint} was still rate limited ({response.status_code}) after {waits} waits "
                "for RateLimit-Reset. Something else is using this site's request budget: lower "
                "THINKIFIC_REQUESTS_PER_MINUTE or run when the other client is done.",
                str(endpoint),
                response.status_code,
            )
        wait = reset_wait(
            response.headers.get("RateLimit-Reset"),
            self._clock(),
            max_wait=self._settings.max_rate_limit_wait_seconds,
        )
        self._log.warning(
            "%s rate limited (%d); waiting %.1f s (RateLimit-Reset read as %s)",
            endpoint,
            response.status_code,
            wait.seconds,
            wait.reading,
        )
        self._stats.rate_limited(wait.seconds)
        self._stats.retry()
        self._sleep(wait.seconds)

    def _error_for(self, endpoint: Endpoint, response: requests.Response) -> ThinkificError:
        status = response.status_code
        if status in TRANSIENT_STATUSES and endpoint.repeatable:
            # urllib3 retried this status until its budget ran out.
            return self._unavailable(endpoint, f"status {status}")
        return error_for_response(
            str(endpoint),
            status,
            self._redact(_body_text(response)),
            location=response.headers.get("Location"),
            write_may_have_applied=not endpoint.repeatable,
            key_settings=self._settings.key_settings,
        )

    def _throttle(self) -> None:
        self._stats.throttled(self._pacer.acquire())

    def _back_off(self, seconds: float) -> None:
        if seconds > 0:
            self._stats.backed_off(seconds)
            self._sleep(seconds)


def _is_rate_limited(response: requests.Response) -> bool:
    """429, or the legacy form: 403 with the body "Rate Limit Exceeded"."""
    if response.status_code == 429:
        return True
    return response.status_code == 403 and "rate limit exceeded" in _body_text(response).lower()


def _body_text(response: requests.Response) -> str:
    # Thinkific answers in UTF-8 (JSON, or an HTML error page); decoding directly skips requests'
    # charset guessing.
    return response.content.decode("utf-8", errors="replace")


def _json_or_none(content: bytes) -> Any:
    return json.loads(content) if content.strip() else None
