"""The writer thread: events waiting while a batch commits go together into the next, and no
event is answered before the transaction holding it has committed."""

import threading
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from receiver.group_commit import GroupCommit

WAIT = 10


class GatedStore:
    """A store whose batches wait for `release` before they commit; it records each batch."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.writing = threading.Event()
        self.release = threading.Event()

    def add_many(self, events: Sequence[Mapping[str, Any]]) -> list[str]:
        self.writing.set()
        assert self.release.wait(WAIT)
        self.batches.append([event["id"] for event in events])
        return ["stored"] * len(events)


def _writer(store: Any, **options: Any) -> GroupCommit:
    writer = GroupCommit(store, **options)
    writer.start()
    return writer


def test_events_arriving_during_a_commit_are_stored_together_and_answered_after_it():
    store = GatedStore()
    writer = _writer(store)
    first = writer.submit({"id": "1"})
    assert store.writing.wait(WAIT)
    rest = [writer.submit({"id": str(n)}) for n in (2, 3, 4)]
    assert not any(outcome.done() for outcome in [first, *rest])
    store.release.set()
    assert [outcome.result(WAIT) for outcome in [first, *rest]] == ["stored"] * 4
    writer.stop()
    assert store.batches == [["1"], ["2", "3", "4"]]


def test_a_batch_holds_at_most_max_batch_events():
    store = GatedStore()
    writer = _writer(store, max_batch=2)
    first = writer.submit({"id": "1"})
    assert store.writing.wait(WAIT)
    rest = [writer.submit({"id": str(n)}) for n in (2, 3, 4, 5, 6)]
    store.release.set()
    for outcome in [first, *rest]:
        outcome.result(WAIT)
    writer.stop()
    assert store.batches == [["1"], ["2", "3"], ["4", "5"], ["6"]]


def test_stopping_stores_what_was_submitted_first():
    store = GatedStore()
    store.release.set()
    writer = _writer(store)
    submitted = [writer.submit({"id": str(n)}) for n in range(5)]
    writer.stop()
    assert all(outcome.result(0) == "stored" for outcome in submitted)
    with pytest.raises(RuntimeError, match="not running"):
        writer.submit({"id": "6"})


def test_a_batch_that_cannot_be_stored_fails_each_of_its_events():
    class BrokenStore:
        def add_many(self, events: Sequence[Mapping[str, Any]]) -> list[str]:
            raise OSError("disk full")

    writer = _writer(BrokenStore())
    outcomes = [writer.submit({"id": str(n)}) for n in range(3)]
    for outcome in outcomes:
        with pytest.raises(OSError, match="disk full"):
            outcome.result(WAIT)
    writer.stop()
