"""Reading ahead keeps order, surfaces errors in place, stays bounded and stops when closed."""

import threading
import time
from contextlib import closing

import pytest

from resources.extraction.prefetch import prefetched


def test_items_arrive_in_order():
    assert list(prefetched(iter(range(50)))) == list(range(50))


def test_an_error_is_raised_after_the_items_before_it():
    def pages():
        yield 1
        yield 2
        raise ConnectionError("page 3 failed")

    seen = []
    with pytest.raises(ConnectionError, match="page 3 failed"):
        for item in prefetched(pages()):
            seen.append(item)
    assert seen == [1, 2]


def test_the_producer_reads_at_most_depth_items_ahead():
    produced = []

    def pages():
        for number in range(100):
            produced.append(number)
            yield number

    read_ahead = prefetched(pages(), depth=2)
    assert next(read_ahead) == 0
    time.sleep(0.3)
    # one handed over, two waiting in the queue, one produced and waiting for room
    assert len(produced) <= 4
    read_ahead.close()


def test_closing_early_stops_the_producer():
    stopped = threading.Event()

    def pages():
        try:
            yield from range(1_000_000)
        finally:
            stopped.set()

    with closing(prefetched(pages(), depth=1)) as read_ahead:
        assert next(read_ahead) == 0
    assert stopped.wait(timeout=2)
