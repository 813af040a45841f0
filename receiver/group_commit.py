"""Group commit: a writer thread stores every event waiting in one transaction, then answers each.

A transaction costs about the same for one event as for a hundred, so a burst is stored at the
rate of batches, not of events: while the writer commits one batch, the next
gathers in its queue. Each waiting request is released with its own outcome only after the
batch's transaction has committed, so nothing is acknowledged before it is stored; a batch
that cannot be stored fails every request in it (each gets the error, and Thinkific sends
again). One thread writes: the events table has one writer at a time anyway (see
`resources.webhooks.store`).
"""

import logging
import queue
import threading
from collections.abc import Mapping
from concurrent.futures import Future
from typing import Any

from resources.webhooks.store import Outcome, WebhookStore

MAX_BATCH = 256
"""Events per transaction at most: a burst larger than this is stored in several."""

log = logging.getLogger(__name__)

_STOP = None
_Waiting = tuple[Mapping[str, Any], Future[Outcome]]
"""An event submitted, and the outcome its request waits for."""


class GroupCommit:
    """The writer thread in front of `store`; `start` it before `submit`, `stop` it after."""

    def __init__(self, store: WebhookStore, *, max_batch: int = MAX_BATCH) -> None:
        if max_batch < 1:
            raise ValueError(f"a batch holds at least one event, not {max_batch}")
        self._store = store
        self._max_batch = max_batch
        self._waiting: queue.SimpleQueue[_Waiting | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="webhook-writer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Store what was submitted before, then end the thread."""
        self._waiting.put(_STOP)
        self._thread.join()

    def submit(self, event: Mapping[str, Any]) -> Future[Outcome]:
        """The event's outcome, once its batch is committed (or the batch's error)."""
        if not self._thread.is_alive():
            raise RuntimeError("the webhook writer is not running")
        outcome: Future[Outcome] = Future()
        self._waiting.put((event, outcome))
        return outcome

    def _run(self) -> None:
        stopping = False
        while not stopping:
            batch = []
            item = self._waiting.get()
            while item is not _STOP:
                batch.append(item)
                if len(batch) == self._max_batch:
                    break
                try:
                    item = self._waiting.get_nowait()
                except queue.Empty:
                    break
            stopping = item is _STOP
            if batch:
                self._write(batch)

    def _write(self, batch: list[_Waiting]) -> None:
        try:
            outcomes = self._store.add_many([event for event, _ in batch])
        except Exception as error:
            log.exception("a batch of %d webhook events could not be stored", len(batch))
            for _, outcome in batch:
                outcome.set_exception(error)
            return
        for (_, outcome), result in zip(batch, outcomes, strict=True):
            outcome.set_result(result)
