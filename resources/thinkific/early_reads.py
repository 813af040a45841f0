"""GraphQL reads started early: a run's full reads, read while its REST steps run.

Thinkific limits REST requests and GraphQL points separately, yet the in-process executor runs one
step after another and the GraphQL step runs last (run first, its minutes of points held every
REST read behind it). A full GraphQL read needs nothing from REST, so the run's first Thinkific
step starts it here (`assets.thinkific.run_reads`), and the GraphQL step, when its turn comes,
waits for what it read. An `EarlyReads` is held by `ThinkificResource`, one per run:

- One daemon thread runs the reads one after another, in the order they were started: one
  spender of the site's points at a time (the run's GraphQL clients share one budget, and the
  step reads anything else itself only once the early reads have ended).
- A read stages its pages as it goes, with their checkpoints, like any load: a stop loses at
  most the page on the wire, and the rerun continues after the last staged page.
- `stop` ends the thread at its next wait for the budget or a retry (`sleep`, which the run's
  GraphQL budget waits with, raises `Settled` then), or once the query on the wire has answered,
  so nothing is sent after the run; `unreported` is what the reads no step reported cost.
"""

import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from resources.thinkific.graphql_stats import GraphQLStats

STOP_SECONDS = 0.5
"""The longest `stop` waits for a query on the wire (Thinkific answers in ~300 ms)."""


class Settled(BaseException):
    """Raised in the early reads' thread when the run stops it while it waits (see `sleep`)."""


@dataclass(frozen=True)
class EarlyRead:
    """How an early read ended: its load's metadata, or the error it met; and what it cost."""

    metadata: dict[str, Any] | None
    error: BaseException | None
    cost: GraphQLStats


Read = Callable[[], dict[str, Any]]


class LogRelay:
    """A run log whose `target` may change: the early reads log to the step that started them
    until the step that reports them begins."""

    def __init__(self, target: Any) -> None:
        self.target = target

    def __getattr__(self, name: str) -> Any:
        return getattr(self.target, name)


@dataclass
class _Started:
    owner: str
    read: Read
    outcome: Future[EarlyRead] = field(default_factory=Future)
    reported: bool = False


class EarlyReads:
    """Thread-safe. `start` reads for an asset (`owner`); `outcome` is how each ended."""

    def __init__(self) -> None:
        self._queue: deque[_Started] = deque()
        self._started: dict[str, _Started] = {}
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self._stats: Callable[[], GraphQLStats] = GraphQLStats
        self.log: LogRelay | None = None
        """Where the early reads log, set by the step that starts them."""

    def sleep(self, seconds: float) -> None:
        """Waits `seconds`, or raises `Settled` as soon as the early reads are stopped."""
        if self._stopped.wait(seconds):
            raise Settled

    def start(self, owner: str, read: Read, stats: Callable[[], GraphQLStats]) -> None:
        """Runs `read` (the load of the asset `owner`) after the reads started before it;
        `stats` is what the client it reads with has cost so far."""
        with self._lock:
            if self._stopped.is_set() or owner in self._started:
                return
            started = _Started(owner, read)
            self._started[owner] = started
            self._queue.append(started)
            self._stats = stats
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="thinkific-graphql-early", daemon=True
                )
                self._thread.start()

    def started(self, owner: str) -> bool:
        """Whether an early read of the asset was started."""
        with self._lock:
            return owner in self._started

    def outcome(self, owner: str) -> EarlyRead | None:
        """How the asset's early read ended, waiting for it; None when none was started."""
        with self._lock:
            started = self._started.get(owner)
        if started is None:
            return None
        outcome = started.outcome.result()
        started.reported = True
        return outcome

    def stop(self, wait: bool = True) -> None:
        """Sends nothing more (see the module); with `wait`, waits for a query on the wire."""
        with self._lock:
            self._stopped.set()
            thread = self._thread
            for started in self._queue:
                started.outcome.set_result(EarlyRead(None, Settled(), GraphQLStats()))
            self._queue.clear()
        if thread is not None and wait:
            thread.join(STOP_SECONDS)

    def unreported(self) -> dict[str, GraphQLStats]:
        """What each read that no step reported cost (its step stopped, failed or never ran)."""
        with self._lock:
            started = list(self._started.values())
        return {
            read.owner: read.outcome.result().cost
            for read in started
            if read.outcome.done() and not read.reported and read.outcome.result().cost.requests
        }

    def _run(self) -> None:
        while True:
            with self._lock:
                if not self._queue or self._stopped.is_set():
                    self._thread = None  # the next `start` starts another
                    return
                started = self._queue.popleft()
            before = self._stats()
            try:
                metadata, error = started.read(), None
            except BaseException as caught:  # Settled included: handed to whoever asks
                metadata, error = None, caught
            started.outcome.set_result(EarlyRead(metadata, error, self._stats().since(before)))
