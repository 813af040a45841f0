"""The `Sites` table's seconds: each site's own, from its process's start to its own end."""

from dataclasses import dataclass

import pytest

from pipelines.commands.all_sites import POLL_SECONDS, SiteRun, wait_for_every_site
from resources.sites import Site


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class FakeProcess:
    """A site's process that ends by itself at `ends_at` on `clock` (or when killed)."""

    clock: Clock
    ends_at: float
    returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None and self.clock() >= self.ends_at:
            self.returncode = 0
        return self.returncode

    def kill(self) -> None:
        self.returncode = -9


def _run(name: str, clock: Clock, started: float, ends_at: float) -> SiteRun:
    site = Site(name=name, subdomain=name, api_key_env=f"{name.upper()}_KEY", line=0)
    return SiteRun(site, FakeProcess(clock, ends_at), started)  # type: ignore[arg-type]


def test_a_quick_site_listed_after_a_slow_one_shows_its_own_seconds():
    clock = Clock()
    slow = _run("slow", clock, started=0.0, ends_at=183.8)
    quick = _run("quick", clock, started=0.5, ends_at=3.5)
    wait_for_every_site([slow, quick], overdue=lambda: False, clock=clock, sleep=clock.sleep)
    assert slow.seconds == pytest.approx(183.8, abs=POLL_SECONDS)
    assert quick.seconds == pytest.approx(3.0, abs=POLL_SECONDS)


def test_sites_still_running_when_overdue_are_killed_and_timed_to_their_end():
    clock = Clock()
    stuck = _run("stuck", clock, started=0.0, ends_at=float("inf"))
    wait_for_every_site([stuck], overdue=lambda: clock() > 10, clock=clock, sleep=clock.sleep)
    assert stuck.process.returncode == -9
    assert stuck.seconds == pytest.approx(10, abs=2 * POLL_SECONDS)
