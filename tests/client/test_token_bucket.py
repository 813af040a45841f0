"""The client-side token bucket, on a fake clock: no test sleeps."""

import threading
from bisect import bisect_left

import pytest

from resources.thinkific.rate_limit import TokenBucket, shared_bucket


class FakeClock:
    """A monotonic clock that only moves when something sleeps on it."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def bucket_under(requests_per_minute: int, clock: FakeClock) -> TokenBucket:
    return TokenBucket.under_limit(requests_per_minute, clock=clock, sleep=clock.sleep)


def request_times(bucket: TokenBucket, clock: FakeClock, count: int) -> list[float]:
    """When each of `count` back-to-back requests would go out."""
    times = []
    for _ in range(count):
        bucket.acquire()
        times.append(clock.now)
    return times


def busiest_minute(times: list[float]) -> int:
    """The most requests in any 60-second window (windows start at a request; times sorted)."""
    return max(bisect_left(times, start + 60) - index for index, start in enumerate(times))


def test_the_limit_is_never_exceeded_in_any_minute():
    clock = FakeClock()
    times = request_times(bucket_under(120, clock), clock, 1200)
    assert busiest_minute(times) <= 120


def test_sustained_rate_is_95_percent_of_the_limit():
    clock = FakeClock()
    times = request_times(bucket_under(120, clock), clock, 1200)
    ten_minutes = [t for t in times if t < 600]
    assert len(ten_minutes) / 10 == pytest.approx(114, abs=1)


def test_a_fresh_bucket_allows_only_a_small_burst():
    clock = FakeClock()
    times = request_times(bucket_under(120, clock), clock, 10)
    assert times[:6] == [0.0] * 6
    assert times[6] > 0


def test_an_idle_bucket_does_not_save_up_more_than_its_burst():
    clock = FakeClock()
    bucket = bucket_under(120, clock)
    clock.sleep(3600)
    times = request_times(bucket, clock, 10)
    assert times.count(3600.0) == 6


def test_a_tiny_limit_still_allows_one_request_at_a_time():
    clock = FakeClock()
    times = request_times(bucket_under(3, clock), clock, 12)
    assert busiest_minute(times) <= 3


def test_acquire_returns_the_seconds_it_waited():
    clock = FakeClock()
    bucket = TokenBucket(tokens_per_second=2.0, capacity=1.0, clock=clock, sleep=clock.sleep)
    assert bucket.acquire() == 0.0
    assert bucket.acquire() == pytest.approx(0.5)


def test_concurrent_callers_each_reserve_their_own_slot():
    clock = FakeClock()  # never advances: every caller but the first must wait its turn
    waits: list[float] = []
    bucket = TokenBucket(tokens_per_second=1.0, capacity=1.0, clock=clock, sleep=waits.append)

    def take_five() -> None:
        for _ in range(5):
            bucket.acquire()

    threads = [threading.Thread(target=take_five) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(waits) == pytest.approx([float(n) for n in range(1, 40)])


def test_clients_of_the_same_site_share_one_bucket():
    first = shared_bucket("https://example.test/api acme", 120)
    assert shared_bucket("https://example.test/api acme", 120) is first
    assert shared_bucket("https://example.test/api other", 120) is not first


def test_steps_taking_turns_never_pass_the_limit_when_each_drains_its_bucket():
    """Two runs, each a process with its own bucket, take turns calling the site."""
    clock = FakeClock()
    runs = [bucket_under(60, clock) for _ in range(2)]
    times = []
    for turn in range(6):
        clock.now += 0.5  # the next run takes the pool; its bucket refilled meanwhile
        bucket = runs[turn % 2]
        bucket.drain()
        times += request_times(bucket, clock, 40)
    assert busiest_minute(times) <= 60


def test_draining_keeps_reservations_already_made():
    clock = FakeClock()
    bucket = TokenBucket.under_limit(60, clock=clock, sleep=lambda seconds: None)
    waits = [bucket.acquire() for _ in range(5)]  # 3 from the burst, 2 reserved ahead
    bucket.drain()
    assert bucket.acquire() == pytest.approx(waits[-1] + 1 / 0.95)
