"""Read ahead: fetch the next pages while the current one is validated and staged.

The client paces requests to the rate limit; without reading ahead, the time spent validating
and writing each page would add to that pace and the sync would fall below what the limit
allows. A bounded queue keeps memory flat: at most `depth` pages wait.
"""

import threading
from collections.abc import Iterator
from queue import Empty, Full, Queue
from typing import Any, TypeVar

T = TypeVar("T")
_DONE = object()
_POLL_SECONDS = 0.1


def prefetched(items: Iterator[T], depth: int = 2) -> Iterator[T]:
    """Yield what `items` yields, produced by a background thread up to `depth` ahead.

    An exception in `items` is raised here, in order, after the items before it. Closing the
    generator early (the consumer failed) stops the producer at its next item.
    """
    queue: Queue[tuple[Any, BaseException | None]] = Queue(maxsize=depth)
    stopping = threading.Event()

    def put(entry: tuple[Any, BaseException | None]) -> bool:
        while not stopping.is_set():
            try:
                queue.put(entry, timeout=_POLL_SECONDS)
                return True
            except Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put((item, None)):
                    return
        except BaseException as error:  # handed to the consumer, which raises it
            put((_DONE, error))
            return
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()  # a generator source runs its own cleanup now, not at collection
        put((_DONE, None))

    producer = threading.Thread(target=produce, name="thinkific-read-ahead", daemon=True)
    producer.start()
    try:
        while True:
            try:
                item, error = queue.get(timeout=_POLL_SECONDS)
            except Empty:
                if not producer.is_alive() and queue.empty():
                    raise RuntimeError("the read-ahead thread ended without a result") from None
                continue
            if error is not None:
                raise error
            if item is _DONE:
                return
            yield item
    finally:
        stopping.set()
