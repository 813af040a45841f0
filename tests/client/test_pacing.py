"""Client-side pacing on a fake clock: the window's allowance, spacing, in-flight slots, and the
window log that processes share. No test sleeps."""

import itertools
import multiprocessing
import threading
from bisect import bisect_left
from pathlib import Path

import pytest

from resources.thinkific.rate_limit import (
    PACING_WINDOW_SECONDS,
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


def pacer(tmp_path: Path, clock: FakeClock, allowance: int, **kwargs) -> Pacer:
    log = WindowLog(tmp_path / "site.window")
    return Pacer(log, allowance, clock=clock, sleep=clock.sleep, **kwargs)


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
    pace = Pacer(log, 20, window=0.5)  # the real clock, a short window

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


def test_in_flight_slots_cap_concurrent_requests(tmp_path):
    pace = pacer(tmp_path, FakeClock(), 100, max_in_flight=3)
    inside, most, lock = 0, 0, threading.Lock()
    release = threading.Event()

    def request() -> None:
        nonlocal inside, most
        with pace.in_flight():
            with lock:
                inside += 1
                most = max(most, inside)
            release.wait(0.05)
            with lock:
                inside -= 1

    threads = [threading.Thread(target=request) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most == 3


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
