"""Client-side pacing: the window's allowance and spacing on a fake clock (no test waits for a
window), the window log and the in-flight slots that processes share (requests held 50 ms)."""

import itertools
import multiprocessing
import threading
import time
from bisect import bisect_left
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

from resources.thinkific.rate_limit import (
    PACING_WINDOW_SECONDS,
    InFlightSlots,
    Pacer,
    PacingSettings,
    WindowLog,
    allowance_under,
    shared_pacer,
)


class FakeClock:
    """An epoch clock that only moves when something sleeps on it."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def pacer(
    tmp_path: Path, clock: FakeClock, allowance: int, max_in_flight: int = 10, **kwargs
) -> Pacer:
    log, slots = (
        WindowLog(tmp_path / "site.window"),
        InFlightSlots(tmp_path / "site", max_in_flight),
    )
    return Pacer(log, slots, allowance, clock=clock, sleep=clock.sleep, **kwargs)


def request_times(pace: Pacer, clock: FakeClock, count: int) -> list[float]:
    """When each of `count` back-to-back requests would go out."""
    times = []
    for _ in range(count):
        pace.acquire()
        times.append(clock.now)
    return times


def busiest_window(times: list[float], seconds: float = 60.0) -> int:
    """The most requests in any half-open window [t, t + seconds) (times sorted)."""
    return max(bisect_left(times, start + seconds) - index for index, start in enumerate(times))


def test_the_allowance_leaves_the_headroom_to_other_clients():
    assert allowance_under(120, 0.1) == 108
    assert allowance_under(120, 0.0) == 120
    assert allowance_under(3, 0.9) == 1


def test_a_fresh_window_grants_its_whole_allowance_at_once(tmp_path):
    clock = FakeClock()
    times = request_times(pacer(tmp_path, clock, 108), clock, 108)
    assert set(times) == {clock.now}


def test_no_sixty_second_window_holds_more_than_the_allowance(tmp_path):
    clock = FakeClock()
    times = request_times(pacer(tmp_path, clock, 108), clock, 1000)
    assert busiest_window(times) <= 108


def test_the_window_kept_is_a_second_longer_than_thinkifics(tmp_path):
    clock = FakeClock()
    times = request_times(pacer(tmp_path, clock, 108), clock, 109)
    assert times[-1] - times[0] == pytest.approx(PACING_WINDOW_SECONDS) == 61.0


def test_the_next_window_starts_as_soon_as_the_first_grant_leaves_it(tmp_path):
    clock = FakeClock()
    times = request_times(pacer(tmp_path, clock, 10), clock, 30)
    assert times == [times[0] + 61 * (n // 10) for n in range(30)]


def test_smooth_pacing_spaces_requests_evenly(tmp_path):
    clock = FakeClock()
    times = request_times(pacer(tmp_path, clock, 61, pacing="smooth"), clock, 5)
    assert [b - a for a, b in itertools.pairwise(times)] == pytest.approx([1.0] * 4)


def test_acquire_returns_the_seconds_it_waited(tmp_path):
    clock = FakeClock()
    pace = pacer(tmp_path, clock, 1)
    assert pace.acquire() == 0.0
    assert pace.acquire() == pytest.approx(61.0)


class RecordingLog(WindowLog):
    """A window log that remembers when it granted (the grant's own time, not the caller's)."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.granted: list[float] = []

    def admit(self, now: float, allowance: int, window: float, spacing: float) -> float:
        wait = super().admit(now, allowance, window, spacing)
        if wait == 0:
            self.granted.append(now)
        return wait


def test_concurrent_callers_never_pass_the_allowance_together(tmp_path):
    log = RecordingLog(tmp_path / "site.window")
    pace = Pacer(log, InFlightSlots(tmp_path / "site", 10), 20, window=0.5)  # real clock

    def take_ten() -> None:
        for _ in range(10):
            pace.acquire()

    threads = [threading.Thread(target=take_ten) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(log.granted) == 80
    assert busiest_window(sorted(log.granted), seconds=0.5) <= 20


def most_at_once(pace: Pacer, requests: int = 10) -> int:
    """The most of `requests` concurrent 50 ms requests this process had in flight at once."""
    inside, most, lock = 0, 0, threading.Lock()

    def request() -> None:
        nonlocal inside, most
        with pace.in_flight():
            with lock:
                inside += 1
                most = max(most, inside)
            time.sleep(0.05)
            with lock:
                inside -= 1

    threads = [threading.Thread(target=request) for _ in range(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return most


def test_in_flight_slots_cap_concurrent_requests(tmp_path):
    assert most_at_once(pacer(tmp_path, FakeClock(), 100, max_in_flight=3)) == 3


def _hold_slots(prefix: str, count: int, held, stop) -> None:
    slots = InFlightSlots(Path(prefix), 3)
    with ExitStack() as holding:
        for _ in range(count):
            holding.enter_context(slots.hold())
        held.set()
        stop.wait(30)


@contextmanager
def another_process_holding(tmp_path: Path, count: int) -> Iterator[multiprocessing.Process]:
    spawn = multiprocessing.get_context("spawn")
    held, stop = spawn.Event(), spawn.Event()
    other = spawn.Process(target=_hold_slots, args=(str(tmp_path / "site"), count, held, stop))
    other.start()
    try:
        assert held.wait(30)
        yield other
    finally:
        if other.is_alive():  # a killed waiter would never wake: Event.set would wait for it
            stop.set()
        other.join(30)


def test_slots_another_process_holds_are_not_taken(tmp_path):
    with another_process_holding(tmp_path, 2):
        assert most_at_once(pacer(tmp_path, FakeClock(), 100, max_in_flight=3)) == 1


def test_a_killed_process_leaves_no_slot_held(tmp_path):
    with another_process_holding(tmp_path, 3) as other:
        other.kill()
        other.join(30)
        assert most_at_once(pacer(tmp_path, FakeClock(), 100, max_in_flight=3)) == 3


def _grant_in_another_process(path: str, count: int, now: float) -> None:
    log = WindowLog(Path(path))
    for _ in range(count):
        assert log.admit(now, 10, 61.0, 0.0) == 0.0


def test_another_process_granted_requests_count_against_the_window(tmp_path):
    clock = FakeClock()
    other = multiprocessing.get_context("spawn").Process(
        target=_grant_in_another_process, args=(str(tmp_path / "site.window"), 7, clock.now)
    )
    other.start()
    other.join(30)
    assert other.exitcode == 0
    start = clock.now
    times = request_times(pacer(tmp_path, clock, 10), clock, 4)
    assert times == pytest.approx([start] * 3 + [start + 61])


def test_clients_of_the_same_site_share_one_pacer(tmp_path, monkeypatch):
    monkeypatch.setenv("THINKIFIC_PACING_DIR", str(tmp_path))
    settings = PacingSettings(120)
    first = shared_pacer("https://example.test/api acme", settings)
    assert shared_pacer("https://example.test/api acme", settings) is first
    assert shared_pacer("https://example.test/api other", settings) is not first
    assert shared_pacer("https://example.test/api acme", PacingSettings(60)) is not first
