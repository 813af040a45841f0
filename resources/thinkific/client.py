"""The HTTP client for Thinkific's REST Admin API: paging, pacing, readable errors.

One `requests.Session` per client, safe to share between the threads of a run. Every request
goes through the retry loop both APIs share (`retry`); this module sorts a REST answer for it:
transient statuses, transport errors and broken bodies are retriable (a write only when it cannot
have been applied), 429 and the legacy 403 "Rate Limit Exceeded" wait for `RateLimit-Reset` (see
`rate_limit`), anything else is an error at once.
"""

import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from resources.redaction import RedactingLogger, Redactor, redact_third_party_logs
from resources.thinkific.breaker import SiteBreaker
from resources.thinkific.errors import KEY_SETTINGS, ThinkificError
from resources.thinkific.pages import (
    PAGE_PROGRESS,
    Page,
    PageProgress,
    list_answer,
    whole_number,
)
from resources.thinkific.rate_limit import PacingSettings, shared_pacer
from resources.thinkific.read_ahead import Answer, AnswerHook, Listing, ReadAhead
from resources.thinkific.rest_answers import Endpoint, sort_answer, still_rate_limited
from resources.thinkific.retry import (
    Address,
    Outcome,
    Retriable,
    RetryLoop,
    RetryPolicy,
    sort_transport_error,
    still_failing,
)
from resources.thinkific.stats import ClientStats, StatsRecorder

PAGE_SIZE = 250
"""Thinkific's documented maximum `limit`: the fewest requests per stream."""

REST_EXAMPLE_URL = "https://api.thinkific.com/api/public/v1"


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
    retry: RetryPolicy
    key_settings: str = KEY_SETTINGS


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
        self._clock = clock
        self._own_stats = StatsRecorder()
        self._fetching = threading.local()
        self._read_ahead = read_ahead or ReadAhead(settings.pacing.max_in_flight)
        self._asset = asset
        self._pacer = shared_pacer(f"{self._base_url} {settings.subdomain}", settings.pacing)
        self._address = Address(self._base_url, "THINKIFIC_BASE_URL", REST_EXAMPLE_URL)
        self._retry = RetryLoop(
            settings.retry, self._log, sleep, self._exhausted, still_rate_limited
        )
        self._session = self._new_session()

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

    def _new_session(self) -> requests.Session:
        session = requests.Session()
        session.headers.update(
            {
                "X-Auth-API-Key": self._settings.api_key,
                "X-Auth-Subdomain": self._settings.subdomain,
                "Content-Type": "application/json",
                "Accept": "application/json",
            }
        )
        # No retries by urllib3 (its default): every attempt goes through `RetryLoop`.
        adapter = HTTPAdapter(pool_maxsize=self._settings.pacing.max_in_flight, pool_block=True)
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
            return self._retry.run(
                str(endpoint), lambda: self._send(endpoint, params, body), self._stats
            )
        except ThinkificError as error:
            self._breaker.record(error, "rest")
            raise

    def _send(self, endpoint: Endpoint, params: dict[str, Any] | None, body: Any) -> Outcome[Any]:
        """One attempt, once the site's window has room, sorted for the retry loop."""
        self._stats.throttled(self._pacer.acquire())
        timeout = (self._settings.connect_timeout_seconds, self._settings.timeout_seconds)
        try:
            with self._pacer.in_flight():
                response = self._session.request(
                    endpoint.method,
                    f"{self._base_url}/{endpoint.path.lstrip('/')}",
                    params=params,
                    json=body,
                    timeout=timeout,
                    allow_redirects=False,
                )
        except requests.RequestException as error:
            self._stats.attempt(None)
            return sort_transport_error(
                str(endpoint),
                error,
                repeatable=endpoint.repeatable,
                address=self._address,
                redact=self._redact,
            )
        self._stats.attempt(response.status_code)
        return sort_answer(
            endpoint,
            response,
            clock=self._clock,
            max_rate_limit_wait=self._settings.retry.max_rate_limit_wait_seconds,
            key_settings=self._settings.key_settings,
            redact=self._redact,
        )

    def _exhausted(self, endpoint: str, last: Retriable) -> ThinkificError:
        return still_failing(
            endpoint, last, self._settings.retry.max_attempts, self._address, self._redact
        )
