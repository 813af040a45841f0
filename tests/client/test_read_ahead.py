"""The run's read-ahead: answers fetched before they are asked for, taken once, in order."""

import threading
import time
from typing import Any

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
