"""The run's read-ahead: answers fetched before they are asked for, taken once, in order."""

import signal
import threading
import time
from typing import Any

import pytest

from resources.thinkific.read_ahead import Answer, Listing, ReadAhead
from resources.thinkific.stats import ClientStats

USERS = Listing.of("/users", {})


class FakeSite:
    """A fetch function over a listing of `pages` pages; counts what was asked for."""

    def __init__(self, pages: int = 5) -> None:
        self.pages = pages
        self.asked: list[tuple[str, int | None]] = []
        self.version = "first"
        self._lock = threading.Lock()

    def fetch(self, listing: Listing, page: int | None) -> Answer:
        with self._lock:
            self.asked.append((listing.path, page))
        body: dict[str, Any] = {
            "items": [f"{self.version} {listing.path} {page}"],
            "meta": {"pagination": {"total_pages": self.pages}},
        }
        return Answer(body, ClientStats(requests=1))


def learning_fetch(read_ahead: ReadAhead, site: FakeSite):
    """A fetch that tells the read-ahead the page count, as the client's does."""

    def fetch(listing: Listing, page: int | None) -> Answer:
        answer = site.fetch(listing, page)
        read_ahead.learned_total(listing, site.pages, fetch)
        return answer

    return fetch


def test_a_warmed_page_is_taken_without_asking_again():
    site, read_ahead = FakeSite(), ReadAhead(workers=2)
    read_ahead.warm(USERS, site.fetch)
    answer = read_ahead.take(USERS, 1, site.fetch)
    assert answer.body["items"] == ["first /users 1"]
    assert site.asked == [("/users", 1)]


def wait_until(condition, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_pages_after_the_one_taken_are_fetched_ahead_within_the_depth():
    site = FakeSite(pages=20)
    read_ahead = ReadAhead(workers=4, depth=3)
    read_ahead.take(USERS, 1, learning_fetch(read_ahead, site))
    wait_until(lambda: len(site.asked) >= 4)
    time.sleep(0.1)  # room for a page beyond the depth to be (wrongly) asked for
    assert sorted(page for _, page in site.asked) == [1, 2, 3, 4]


def test_every_page_is_fetched_once_when_read_in_order():
    site = FakeSite(pages=12)
    read_ahead = ReadAhead(workers=4, depth=4)
    fetch = learning_fetch(read_ahead, site)
    read_ahead.warm(USERS, fetch)
    items = [read_ahead.take(USERS, page, fetch).body["items"][0] for page in range(1, 13)]
    assert items == [f"first /users {page}" for page in range(1, 13)]
    assert sorted(page for _, page in site.asked) == list(range(1, 13))


def test_a_read_started_again_does_not_get_the_pages_an_earlier_read_left():
    site = FakeSite(pages=6)
    read_ahead = ReadAhead(workers=2, depth=4)
    fetch = learning_fetch(read_ahead, site)
    read_ahead.take(USERS, 1, fetch)  # a read that stops after its first page
    site.version = "second"
    read_ahead.start(USERS)
    assert read_ahead.take(USERS, 2, fetch).body["items"] == ["second /users 2"]


def test_a_failed_fetch_is_handed_to_the_step_that_takes_it():
    read_ahead = ReadAhead(workers=1)
    failure = RuntimeError("refused")

    def fetch(listing: Listing, page: int | None) -> Answer:
        return Answer(None, ClientStats(requests=3), failure)

    read_ahead.warm(USERS, fetch)
    answer = read_ahead.take(USERS, 1, fetch)
    assert answer.error is failure and answer.cost.requests == 3


def test_a_hook_sees_every_answer_of_its_listing_as_it_arrives():
    site = FakeSite(pages=3)
    read_ahead = ReadAhead(workers=2)
    fetch = learning_fetch(read_ahead, site)
    seen: list[Any] = []
    read_ahead.warm(USERS, fetch, on_answer=lambda body: seen.append(body["items"][0]))
    wait_until(lambda: len(seen) == 3)
    assert sorted(seen) == [f"first /users {page}" for page in (1, 2, 3)]


def test_a_hook_added_late_sees_the_answers_already_here():
    site = FakeSite(pages=1)
    read_ahead = ReadAhead(workers=1)
    read_ahead.warm(USERS, site.fetch)
    wait_until(lambda: len(site.asked) == 1)
    time.sleep(0.05)  # the answer is stored
    seen: list[Any] = []
    read_ahead.warm(USERS, site.fetch, on_answer=lambda body: seen.append(body["items"][0]))
    assert seen == ["first /users 1"]
    assert site.asked == [("/users", 1)]


def test_a_hook_that_fails_does_not_hold_back_the_answer():
    site = FakeSite(pages=1)
    read_ahead = ReadAhead(workers=1)

    def hook(body: Any) -> None:
        raise ValueError("a wrong guess")

    read_ahead.warm(USERS, site.fetch, on_answer=hook)
    assert read_ahead.take(USERS, 1, site.fetch).body["items"] == ["first /users 1"]


def test_a_page_a_step_waits_for_goes_before_pages_warmed_for_later():
    started = threading.Event()
    release = threading.Event()
    order: list[str] = []

    def fetch(listing: Listing, page: int | None) -> Answer:
        if listing.path == "/blocker":
            started.set()
            release.wait(5)
        order.append(listing.path)
        return Answer({"items": [], "meta": {}}, ClientStats())

    read_ahead = ReadAhead(workers=1)
    read_ahead.warm(Listing.of("/blocker", {}), fetch)
    assert started.wait(5)  # the one worker is busy: what follows queues
    for name in ("/a", "/b", "/c"):
        read_ahead.warm(Listing.of(name, {}), fetch)
    taker = threading.Thread(target=read_ahead.take, args=(Listing.of("/c", {}), 1, fetch))
    taker.start()
    release.set()
    taker.join(5)
    assert order[:2] == ["/blocker", "/c"]


COURSES = Listing.of("/courses", {})


class HeldSite(FakeSite):
    """A `FakeSite` whose fetches of `/held` wait until `release` is set."""

    def __init__(self) -> None:
        super().__init__(pages=1)
        self.held = threading.Event()
        self.release = threading.Event()

    def fetch(self, listing: Listing, page: int | None) -> Answer:
        if listing.path == "/held":
            self.held.set()
            self.release.wait(5)
        return super().fetch(listing, page)


HELD = Listing.of("/held", {})


def test_settle_counts_each_answer_warmed_and_never_taken_to_its_listings_owner():
    site, read_ahead = FakeSite(pages=1), ReadAhead(workers=2)
    read_ahead.warm(USERS, site.fetch, owner="thinkific/users")
    read_ahead.warm(COURSES, site.fetch, owner="thinkific/courses")
    wait_until(lambda: len(site.asked) == 2)
    settled = read_ahead.settle(timeout=5)
    assert {owner: cost.requests for owner, cost in settled.items()} == {
        "thinkific/users": 1,
        "thinkific/courses": 1,
    }


def test_settle_leaves_out_an_answer_taken_whose_cost_its_client_counted():
    site, read_ahead = FakeSite(pages=1), ReadAhead(workers=2)
    read_ahead.warm(USERS, site.fetch, owner="thinkific/users")
    read_ahead.take(USERS, 1, site.fetch)
    assert read_ahead.settle(timeout=5) == {}


def test_settle_waits_for_a_fetch_under_way_and_counts_it():
    site, read_ahead = HeldSite(), ReadAhead(workers=1)
    read_ahead.warm(HELD, site.fetch, owner="thinkific/held")
    assert site.held.wait(5)
    threading.Timer(0.1, site.release.set).start()
    assert read_ahead.settle(timeout=5)["thinkific/held"].requests == 1


def test_settle_cancels_fetches_still_queued_so_they_are_never_sent():
    site, read_ahead = HeldSite(), ReadAhead(workers=1)
    read_ahead.warm(HELD, site.fetch, owner="thinkific/held")
    assert site.held.wait(5)  # the one worker is busy: the next warm queues
    read_ahead.warm(USERS, site.fetch, owner="thinkific/users")
    threading.Timer(0.1, site.release.set).start()
    assert "thinkific/users" not in read_ahead.settle(timeout=5)
    time.sleep(0.1)  # room for the queued fetch to be (wrongly) sent
    assert ("/users", 1) not in site.asked


class Interrupted(BaseException):
    """Raised by a signal handler, as Dagster's is when a run is stopped."""


def _interrupt(_signal: int, _frame: object) -> None:
    raise Interrupted


def test_an_answer_whose_taker_was_interrupted_while_waiting_is_settled():
    site, read_ahead = HeldSite(), ReadAhead(workers=1)
    previous = signal.signal(signal.SIGALRM, _interrupt)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.1)
        with pytest.raises(Interrupted):
            read_ahead.take(HELD, 1, site.fetch, owner="thinkific/held")
    finally:
        signal.signal(signal.SIGALRM, previous)
    site.release.set()
    assert read_ahead.settle(timeout=5)["thinkific/held"].requests == 1


def test_answers_left_by_a_read_started_again_are_still_settled():
    site = FakeSite(pages=4)
    read_ahead = ReadAhead(workers=2, depth=4)
    fetch = learning_fetch(read_ahead, site)
    read_ahead.take(USERS, 1, fetch, owner="thinkific/users")  # pages 2 to 4 fetched ahead
    wait_until(lambda: len(site.asked) == 4)
    time.sleep(0.05)  # their answers are stored
    read_ahead.start(USERS)  # a retry of the step reads the listing again
    assert read_ahead.settle(timeout=5)["thinkific/users"].requests == 3


def test_nothing_is_warmed_once_settled():
    site, read_ahead = FakeSite(), ReadAhead(workers=1)
    read_ahead.settle(timeout=5)
    read_ahead.warm(USERS, site.fetch, owner="thinkific/users")
    time.sleep(0.05)
    assert site.asked == []
