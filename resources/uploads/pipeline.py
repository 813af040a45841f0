"""An upload's database work, run in the order it is handed over, beside the reading.

A user import reads, validates and prepares a chunk of rows in Python, then hands the chunk's
database work (bulk load into staging tables, set-based merges) to `InOrder`. On PostgreSQL
that work runs in one worker thread on the upload's connection, so the server merges a chunk
while Python reads and validates the next, each on its own core. The worker mostly waits on
the server (psycopg releases the GIL while it waits), so it hardly slows the reading down. On
SQLite the work runs at once, in the caller's thread: sqlite3's executemany gives the GIL up
and takes it back for every row, and with the reading thread busy in Python each of those
waits its turn, so a worker thread makes it no faster, often slower.

The connection is never used by two threads at once: the caller hands its statements over, or
runs them after `wait`. At most `in_flight` chunks wait for the worker, which bounds memory.
Work fails as it would inline: the first failure is raised by a later `submit` or by `wait`,
and no later work runs (the transaction is then rolled back by its owner). Leaving `in_order`,
on success or failure, cancels what has not started and waits for what has.
"""

from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager

import sqlalchemy as sa

Work = Callable[[sa.Connection], None]
IN_FLIGHT = 2
"""Chunks handed over and not yet merged, at most: one merging, one waiting."""


class InOrder:
    """Runs database work on one connection in submission order; see the module docstring."""

    def __init__(self, connection: sa.Connection, in_flight: int) -> None:
        self.connection = connection
        self._in_flight = in_flight
        self._pending: deque[Future[None]] = deque()
        self._stopped = False
        threaded = connection.dialect.name == "postgresql"
        self._executor = ThreadPoolExecutor(1, "upload-db") if threaded else None

    def submit(self, work: Work) -> None:
        """Runs `work(connection)` after the work handed over before it."""
        if self._executor is None:
            work(self.connection)
            return
        while len(self._pending) >= self._in_flight:
            self._pending.popleft().result()
        self._pending.append(self._executor.submit(self._run, work))

    def _run(self, work: Work) -> None:
        if self._stopped:  # after a failure the transaction is aborted: nothing more can run
            return
        try:
            work(self.connection)
        except BaseException:
            self._stopped = True
            raise

    def wait(self) -> sa.Connection:
        """Waits for every piece of work handed over; raises the first failure. Returns the
        connection, for the caller's own statements."""
        while self._pending:
            self._pending.popleft().result()
        return self.connection

    def close(self) -> None:
        """Cancels the work not started yet and waits for the work running."""
        self._stopped = True
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)


@contextmanager
def in_order(connection: sa.Connection, in_flight: int = IN_FLIGHT) -> Iterator[InOrder]:
    """An `InOrder` on the connection, closed when the block is left."""
    work = InOrder(connection, in_flight)
    try:
        yield work
    finally:
        work.close()
