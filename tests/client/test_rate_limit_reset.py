"""Reading `RateLimit-Reset` in each format Thinkific's pages describe, and clamping the wait."""

import pytest

from resources.thinkific.rate_limit import (
    MIN_RESET_WAIT_SECONDS,
    RATE_LIMIT_WINDOW_SECONDS,
    reset_wait,
)

NOW = 1_750_000_000.25  # epoch seconds, mid-2025
MAX_WAIT = 120.0


def wait_for(header: str | None, max_wait: float = MAX_WAIT):
    return reset_wait(header, NOW, max_wait=max_wait)


def test_epoch_seconds_are_read_as_a_timestamp():
    wait = wait_for(str(int(NOW) + 12))
    assert wait.reading == "epoch seconds"
    assert wait.seconds == pytest.approx(11.75)


def test_fractional_epoch_seconds_are_read_as_a_timestamp():
    wait = wait_for(f"{NOW + 3.5:.3f}")
    assert wait.reading == "epoch seconds"
    assert wait.seconds == pytest.approx(3.5)


def test_epoch_milliseconds_are_read_as_a_timestamp():
    wait = wait_for(str(round((NOW + 7.5) * 1000)))
    assert wait.reading == "epoch milliseconds"
    assert wait.seconds == pytest.approx(7.5)


def test_small_values_are_milliseconds_until_reset():
    wait = wait_for("3000")
    assert wait.reading == "milliseconds until reset"
    assert wait.seconds == pytest.approx(3.0)


def test_a_whole_window_in_milliseconds_is_not_mistaken_for_a_timestamp():
    assert wait_for("60000").seconds == pytest.approx(60.0)


def test_surrounding_whitespace_is_ignored():
    assert wait_for(" 2500 ").seconds == pytest.approx(2.5)


@pytest.mark.parametrize("header", [None, "", "   "])
def test_an_absent_header_means_one_full_window(header):
    wait = wait_for(header)
    assert wait.reading == "absent"
    assert wait.seconds == RATE_LIMIT_WINDOW_SECONDS


@pytest.mark.parametrize(
    "header", ["soon", "Wed, 21 Oct 2025 07:28:00 GMT", "nan", "inf", "-5", "12s", "0x10"]
)
def test_an_unreadable_header_means_one_full_window(header):
    wait = wait_for(header)
    assert wait.reading == "unreadable"
    assert wait.seconds == RATE_LIMIT_WINDOW_SECONDS


def test_a_reset_time_already_past_still_waits_the_minimum():
    assert wait_for(str(int(NOW) - 30)).seconds == MIN_RESET_WAIT_SECONDS
    assert wait_for(str(round((NOW - 30) * 1000))).seconds == MIN_RESET_WAIT_SECONDS


def test_zero_milliseconds_still_waits_the_minimum():
    assert wait_for("0").seconds == MIN_RESET_WAIT_SECONDS


def test_a_reset_far_in_the_future_is_capped_at_the_maximum():
    assert wait_for(str(int(NOW) + 3600)).seconds == MAX_WAIT
    assert wait_for(str(round((NOW + 3600) * 1000))).seconds == MAX_WAIT
    assert wait_for("3600000").seconds == MAX_WAIT


def test_the_fallback_is_capped_at_the_maximum_too():
    assert wait_for(None, max_wait=5.0).seconds == 5.0
    assert wait_for("garbage", max_wait=5.0).seconds == 5.0
