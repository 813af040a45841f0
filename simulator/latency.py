"""How long an API answer takes: a real server's page time, so that clients meet it here too."""

from __future__ import annotations

import random
import threading
import time


def sleep_ms(milliseconds: float) -> None:
    """Hold back the calling thread only: the server answers each connection on its own thread,
    so concurrent requests wait side by side rather than one after another."""
    if milliseconds > 0:
        time.sleep(milliseconds / 1000)


class Latency:
    """The wait before each API answer: `fixed_ms` plus a uniform 0..`jitter_ms`.

    The jitter has a generator of its own seeded with the site's seed (not the faults' one, so
    turning jitter on changes no fault's firing): requests sent one after another wait the same
    on every run; concurrent ones take the draws in the order they reach it.
    """

    def __init__(self, fixed_ms: int, jitter_ms: int, seed: int) -> None:
        self._fixed_ms = fixed_ms
        self._jitter_ms = jitter_ms
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def draw_ms(self) -> float:
        """The next answer's wait in milliseconds."""
        with self._lock:
            return self._fixed_ms + self._random.uniform(0, self._jitter_ms)

    def wait(self) -> None:
        sleep_ms(self.draw_ms())
