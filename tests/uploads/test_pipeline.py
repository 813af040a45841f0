"""`in_order`, an upload's database work beside its reading: in submission order on a worker
thread for PostgreSQL, at once for SQLite; a failure stops what follows and is raised."""

import threading
from types import SimpleNamespace
from typing import Any

import pytest

from resources.uploads.pipeline import in_order


def connection(dialect: str) -> Any:
    """What `InOrder` reads of a connection: its dialect's name."""
    return SimpleNamespace(dialect=SimpleNamespace(name=dialect))


def test_postgresql_work_runs_on_one_worker_thread_in_the_order_it_was_handed_over():
    done: list[tuple[int, str]] = []
    with in_order(connection("postgresql")) as work:
        for step in range(5):
            work.submit(lambda _, step=step: done.append((step, threading.current_thread().name)))
        work.wait()
    assert [step for step, _ in done] == [0, 1, 2, 3, 4]
    assert {thread for _, thread in done} != {threading.current_thread().name}
    assert len({thread for _, thread in done}) == 1


def test_sqlite_work_runs_at_once_in_the_callers_thread():
    done: list[str] = []
    with in_order(connection("sqlite")) as work:
        work.submit(lambda _: done.append(threading.current_thread().name))
        assert done == [threading.current_thread().name]


def test_after_a_failure_no_later_work_runs_and_wait_raises_the_failure():
    done: list[int] = []

    def fail(_: Any) -> None:
        raise RuntimeError("the merge failed")

    with in_order(connection("postgresql"), in_flight=10) as work:
        work.submit(lambda _: done.append(1))
        work.submit(fail)
        work.submit(lambda _: done.append(3))
        with pytest.raises(RuntimeError, match="the merge failed"):
            work.wait()
    assert done == [1]


def test_leaving_the_block_waits_for_running_work_and_cancels_the_rest():
    started, release = threading.Event(), threading.Event()
    done: list[int] = []

    def slow(_: Any) -> None:
        started.set()
        release.wait(5)
        done.append(1)

    with pytest.raises(KeyError), in_order(connection("postgresql"), in_flight=10) as work:
        work.submit(slow)
        work.submit(lambda _: done.append(2))
        started.wait(5)
        threading.Timer(0.2, release.set).start()  # while the block is being left
        raise KeyError("the reading failed")
    assert done == [1]


def test_work_waits_for_room_when_the_chunks_in_flight_are_at_the_limit():
    release = threading.Event()
    done: list[int] = []
    with in_order(connection("postgresql"), in_flight=1) as work:
        work.submit(lambda _: (release.wait(5), done.append(1)))
        release.set()
        work.submit(lambda _: done.append(2))
        assert done[:1] == [1]
        work.wait()
    assert done == [1, 2]
