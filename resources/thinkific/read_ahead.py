"""Read ahead: requests sent before their step asks for them, so a run keeps the site busy.

A run's steps consume pages one stream at a time (Dagster's in-process executor runs one step
after another), while Thinkific serves about ten requests at once and a window's allowance may go
out together. A `ReadAhead` is shared by the clients of one run (held by `ThinkificResource`):

- `warm(listing)` asks for a listing's first page now, on behalf of a step that will come later
  (the first Thinkific step of a run warms every stream of the run; a step with many reads, like
  memberships per group, warms the reads after the current one);
- `take(listing, page)` is how a client gets a page: the answer already fetched or on its way, or
  a request sent now. Once a listing's page count is known, the next `depth` pages are fetched
  ahead of the one taken, so a long stream's pages are in flight side by side.

Only what a client asked for (or was told to warm) is fetched, and every request still goes
through the client: its pacing (window allowance, in-flight slots), retries, breaker and errors.
An answer holds the cost of fetching it (`ClientStats`), which the client that takes it adds to
its own, so each asset's metadata counts its own requests. A failed fetch raises in the step
that takes it (`Answer.error`), as if it had sent the request itself.

Answers nobody takes (their step failed, was interrupted or never ran) still cost requests.
Each listing has an `owner`, the asset its first asker read for, and `settle` ends the
read-ahead with the cost of every answer not taken, per owner, so the run can count them once:
an answer is either taken (and counted by its client) or settled, never both.

The workers are daemon threads that end when idle, so an interrupted or finished process is
never held up by them.
"""

import concurrent.futures
import itertools
import logging
import queue
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from resources.thinkific.stats import ClientStats, StatsRecorder

log = logging.getLogger(__name__)

DEFAULT_DEPTH = 8
"""Pages of one listing fetched ahead of the one being read: enough to keep ten requests in
flight across two listings, few enough that a stream's unread pages stay a few megabytes."""

IDLE_SECONDS = 2.0
"""A worker with nothing to fetch for this long ends; the next request starts another."""

SETTLE_SECONDS = 1.0
"""The longest `settle` waits for requests on the wire: an answering site sends them back within
it (Thinkific: ~300 ms), and a stopped sync must still end within its 10 s bound, on a loaded
machine too: a longer wait would mostly be spent on fetches still paced, whose requests have
not left."""

TAKEN, AHEAD, WARMED = 0, 1, 2
"""Priorities: a page a step waits for goes first, then pages ahead of one being read, then
listings warmed for steps still to come."""


@dataclass(frozen=True)
class Listing:
    """One GET: a list endpoint's pages (`paginated`) or a single record."""

    path: str
    params: tuple[tuple[str, Any], ...] = ()
    paginated: bool = True

    @classmethod
    def of(cls, path: str, params: Mapping[str, Any] | None, paginated: bool = True) -> "Listing":
        return cls(path, tuple(sorted((params or {}).items())), paginated)


@dataclass(frozen=True)
class Answer:
    """A fetched answer (decoded JSON) or the error that ended the fetch, and what it cost."""

    body: Any
    cost: ClientStats
    error: Exception | None = None


Fetch = Callable[[Listing, int | None], Answer]
"""Sends one request for a listing's page (None: the single GET) and returns its answer."""


AnswerHook = Callable[[Any], None]
"""Called with the body of every answer of a listing as it arrives (in a worker thread)."""


Owner = str | None
"""The asset a listing is read for (an asset key like `thinkific/users`); None: not named."""


@dataclass
class _ListingState:
    owner: Owner
    """Whom the listing's answers not taken are counted to (see `ReadAhead.settle`)."""
    pages: dict[int | None, Future] = field(default_factory=dict)
    """Answers fetched or on their way and not taken yet."""
    hooks: list[AnswerHook] = field(default_factory=list)
    total_pages: int | None = None
    reading: int = 0
    """The highest page taken so far (0: only warmed)."""


class ReadAhead:
    """Answers fetched ahead, per listing and page; thread-safe. One per run (see module doc)."""

    def __init__(self, workers: int, depth: int = DEFAULT_DEPTH) -> None:
        self._workers = workers
        self._depth = depth
        self._lock = threading.Lock()
        self._listings: dict[Listing, _ListingState] = {}
        self._queue: queue.PriorityQueue = queue.PriorityQueue()
        self._order = itertools.count()
        self._running = 0
        self._warming_claimed = False
        self._dropped: list[_ListingState] = []
        """Listings whose read started again (`start`): their answers still cost requests."""
        self._settled = False

    def claim_warming(self) -> bool:
        """True for the first caller only: the one step of the run that warms its reads."""
        with self._lock:
            claimed, self._warming_claimed = self._warming_claimed, True
            return not claimed

    def warm(
        self,
        listing: Listing,
        fetch: Fetch,
        on_answer: AnswerHook | None = None,
        owner: Owner = None,
    ) -> None:
        """Start fetching the listing's first page (or its one record) unless already asked;
        `on_answer` sees every answer of the listing, those already here included. `owner` names
        the listing if nobody asked for it before; once settled, nothing is warmed."""
        with self._lock:
            if self._settled:
                return
            state = self._state(listing, owner)
            self._submit(listing, state, 1 if listing.paginated else None, fetch, WARMED)
            if on_answer is None:
                return
            state.hooks.append(on_answer)
            arrived = [future for future in state.pages.values() if future.done()]
        for future in arrived:
            _call_hooks([on_answer], future.result())

    def start(self, listing: Listing) -> None:
        """A read of the listing begins: answers left by an earlier read of it (one that stopped
        part-way) are dropped, answers warmed for this one are kept."""
        with self._lock:
            state = self._listings.get(listing)
            if state is not None and state.reading:
                del self._listings[listing]
                for future in state.pages.values():
                    future.cancel()  # not sent yet: nobody will take it
                self._dropped.append(state)

    def take(self, listing: Listing, page: int | None, fetch: Fetch, owner: Owner = None) -> Answer:
        """The answer for one page (None: the single GET), waiting for it if needed; the pages
        after it are fetched ahead. `owner` names the listing if nobody asked for it before."""
        with self._lock:
            state = self._state(listing, owner)
            future = state.pages.get(page)
            if future is not None and not (future.running() or future.done()):
                # Queued behind warmed pages: a step now waits for it, so it goes first.
                self._queue.put((TAKEN, next(self._order), listing, page, fetch, future))
            future = self._submit(listing, state, page, fetch, TAKEN)
            if page is not None:
                state.reading = max(state.reading, page)
                self._top_up(listing, state, fetch)
        # Interrupted while waiting, the answer stays the listing's: `settle` counts it.
        answer = future.result()
        with self._lock:
            _forget(state, page, future)
        return answer

    def learned_total(self, listing: Listing, total_pages: int | None, fetch: Fetch) -> None:
        """A page of the listing said how many pages it has: fetch ahead within that."""
        if total_pages is None:
            return
        with self._lock:
            state = self._listings.get(listing)
            if state is not None:  # not dropped or settled while the page was fetched
                state.total_pages = total_pages
                self._top_up(listing, state, fetch)

    def settle(self, timeout: float = SETTLE_SECONDS) -> dict[Owner, ClientStats]:
        """Ends the read-ahead: what the answers fetched and never taken cost, per owner.

        Fetches still queued are cancelled and nothing more is fetched ahead (a page taken later
        is still fetched); fetches under way are waited for, `timeout` seconds at most in all,
        since their requests reached the site. One still under way then is not counted.
        """
        with self._lock:
            self._settled = True
            states = [*self._listings.values(), *self._dropped]
            self._listings, self._dropped = {}, []
            sent = [
                (state.owner, future)
                for state in states
                for future in state.pages.values()
                if not future.cancel()  # under way or answered: its request was sent
            ]
        concurrent.futures.wait([future for _, future in sent], timeout)
        costs: dict[Owner, StatsRecorder] = {}
        for owner, future in sent:
            if future.done() and future.exception() is None:
                costs.setdefault(owner, StatsRecorder()).add(future.result().cost)
        return {owner: recorder.snapshot() for owner, recorder in costs.items()}

    def _state(self, listing: Listing, owner: Owner) -> _ListingState:
        """The listing's state; a listing first asked for here is `owner`'s."""
        return self._listings.setdefault(listing, _ListingState(owner))

    def _top_up(self, listing: Listing, state: _ListingState, fetch: Fetch) -> None:
        if state.total_pages is None or self._settled:
            return
        first = max(state.reading, 1) + 1
        for number in range(first, min(state.total_pages, first + self._depth - 1) + 1):
            self._submit(listing, state, number, fetch, AHEAD)

    def _submit(
        self, listing: Listing, state: _ListingState, page: int | None, fetch: Fetch, priority: int
    ) -> Future:
        future = state.pages.get(page)
        if future is not None:
            return future
        future = Future()
        state.pages[page] = future
        self._queue.put((priority, next(self._order), listing, page, fetch, future))
        if self._running < self._workers:
            self._running += 1
            threading.Thread(target=self._work, name="thinkific-read-ahead", daemon=True).start()
        return future

    def _work(self) -> None:
        while True:
            try:
                _, _, listing, page, fetch, future = self._queue.get(timeout=IDLE_SECONDS)
            except queue.Empty:
                with self._lock:
                    if self._queue.empty():
                        self._running -= 1
                        return
                continue
            with self._lock:
                if future.running() or future.done():
                    continue  # queued twice (see `take`) and already fetched
                future.set_running_or_notify_cancel()
            try:
                answer = fetch(listing, page)
            except BaseException as error:  # raised again in the step that takes the page
                with self._lock:
                    state = self._listings.get(listing)
                    if state is not None:
                        _forget(state, page, future)  # the next take asks again
                future.set_exception(error)
                continue
            with self._lock:
                state = self._listings.get(listing)
                hooks = list(state.hooks) if state is not None else []
            _call_hooks(hooks, answer)
            future.set_result(answer)


def _forget(state: _ListingState, page: int | None, future: Future) -> None:
    """The page is no longer the listing's to settle (taken, or its fetch raised)."""
    if state.pages.get(page) is future:
        del state.pages[page]


def _call_hooks(hooks: list[AnswerHook], answer: Answer) -> None:
    """A hook only warms more reads: one that fails costs those reads their head start, so it
    is logged and the answer is delivered all the same."""
    if answer.error is not None:
        return
    for hook in hooks:
        try:
            hook(answer.body)
        except Exception:
            log.debug("a read-ahead hook failed; its reads are fetched when asked", exc_info=True)
