"""The request log's peaks, on hand-built logs with known answers: the busiest window by arrival
(half-open, [t, t + 60 s)) and the most requests in flight (each over [arrival, finished))."""

from simulator.stats import LoggedRequest, Stats


def _stats(*intervals: tuple[float, float], refused: bool = False) -> Stats:
    """Stats holding one GET /users per (arrival, finished) pair, in seconds."""
    stats = Stats()
    for arrived, finished in intervals:
        stats.record(LoggedRequest(arrived, finished, "GET", "users", "/users", "", 200, refused))
    return stats


def _arrivals(*times: float) -> Stats:
    return _stats(*((time, time + 0.1) for time in times))


def test_an_empty_log_has_no_peaks():
    assert (Stats().max_in_any_window(), Stats().max_in_flight()) == (0, 0)


def test_max_in_any_window_counts_the_busiest_minute_by_arrival():
    assert _arrivals(0, 10, 59.9, 60, 61, 200).max_in_any_window() == 4  # 10 to 61


def test_requests_exactly_a_window_apart_fall_in_different_windows():
    assert _arrivals(0, 60, 120).max_in_any_window() == 1
    assert _arrivals(0, 59.999).max_in_any_window() == 2


def test_max_in_any_window_takes_the_window_length():
    assert _arrivals(0, 5, 9.9, 10, 30).max_in_any_window(seconds=10) == 3


def test_refused_requests_count_towards_the_window_and_the_in_flight_peak():
    stats = _stats((0, 5), (1, 6))
    stats.record(LoggedRequest(2, 3, "GET", "users", "/users", "", 429, refused=True))
    assert (stats.max_in_any_window(), stats.max_in_flight()) == (3, 3)


def test_max_in_flight_counts_the_most_overlapping_requests():
    assert _stats((0, 3), (1, 2), (1.5, 4), (2.5, 6), (5, 7)).max_in_flight() == 3  # at 2.5


def test_a_request_arriving_as_another_finishes_does_not_overlap_it():
    assert _stats((0, 1), (1, 2), (2, 3)).max_in_flight() == 1


def test_the_snapshot_reports_both_peaks():
    snapshot = _stats((0, 2), (1, 3), (61, 62)).snapshot()
    assert (snapshot["max_requests_in_60s"], snapshot["max_in_flight"]) == (2, 2)
