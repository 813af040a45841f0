"""Thinkific's per-site request limit: client-side pacing and the `RateLimit-Reset` header.

Both are hand-written: urllib3's `Retry` understands only `Retry-After` (which Thinkific never
sends), and no installed library keeps a sliding-window request log shared between processes.

Pacing spends the window's allowance as soon as it is useful (a small site's whole read goes out
at once) and never grants more than the allowance in any window, read as a sliding window of
`PACING_WINDOW_SECONDS` (the stricter reading of "120 a minute": it also holds for a fixed
window). The grants are logged in a small file per site, locked with `flock`, so every process
of this machine that calls the same site (the steps of a deployment's runs, two main commands)
draws from one allowance; the site's in-flight slots are files locked the same way, so those
processes together never have more requests on the wire than the cap.
"""

import array
import fcntl
import hashlib
import math
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

RATE_LIMIT_WINDOW_SECONDS = 60.0
"""Thinkific counts requests per minute; an unreadable reset header means waiting one window."""

WINDOW_MARGIN_SECONDS = 1.0
"""Grants are logged when a request leaves; it arrives a little later. Two requests sent exactly
60 s apart may arrive less than 60 s apart when the first travelled slower, so the window the
pacer keeps is one second longer than Thinkific's."""

PACING_WINDOW_SECONDS = RATE_LIMIT_WINDOW_SECONDS + WINDOW_MARGIN_SECONDS

DEFAULT_HEADROOM = 0.1
"""The share of the site's limit left for the site's other API clients (Zapier, an LMS
connector, a second tool): 12 of 120 requests a minute. Thinkific counts the limit per site,
not per key, so a sync that spends all of it makes every other integration meet 429s."""

DEFAULT_MAX_IN_FLIGHT = 10
"""Thinkific serves about ten concurrent requests per site (contract §3); more queue or fail."""

Pacing = Literal["burst", "smooth"]
"""`burst` spends the window's allowance as soon as requests are ready; `smooth` spaces them
evenly (one every window / allowance seconds), the kindest to other clients of the site."""

MIN_RESET_WAIT_SECONDS = 0.5
"""Never retry a 429 sooner than this, even when the reset time has already passed."""


@dataclass(frozen=True)
class ResetWait:
    """How long to wait after a rate-limited answer, and how the header was read (for logs)."""

    seconds: float
    reading: str


def reset_wait(header: str | None, now: float, *, max_wait: float) -> ResetWait:
    """Seconds to wait before retrying, read from a `RateLimit-Reset` header value.

    Thinkific's pages disagree on the format, so the value's magnitude relative to `now` (epoch
    seconds) decides:

    - above `now * 100`: epoch milliseconds (as epoch seconds it would be millennia away);
    - above `now / 100`: epoch seconds (as milliseconds until reset it would be hours, far more
      than the one-minute window);
    - otherwise: milliseconds until reset.

    The result is clamped to `[MIN_RESET_WAIT_SECONDS, max_wait]`; an absent, non-numeric,
    negative or non-finite value means waiting one full window (also clamped).
    """
    value = _parse_number(header)
    if value is None:
        reading = "absent" if header is None or not header.strip() else "unreadable"
        return ResetWait(_clamp(RATE_LIMIT_WINDOW_SECONDS, max_wait), reading)
    if value > now * 100:
        seconds, reading = value / 1000 - now, "epoch milliseconds"
    elif value > now / 100:
        seconds, reading = value - now, "epoch seconds"
    else:
        seconds, reading = value / 1000, "milliseconds until reset"
    return ResetWait(_clamp(seconds, max_wait), reading)


def _parse_number(header: str | None) -> float | None:
    try:
        value = float((header or "").strip())
    except ValueError:
        return None
    return value if math.isfinite(value) and value >= 0 else None


def _clamp(seconds: float, max_wait: float) -> float:
    return min(max_wait, max(MIN_RESET_WAIT_SECONDS, seconds))


def allowance_under(requests_per_minute: int, headroom: float) -> int:
    """Requests a window may hold: the limit less the headroom, at least one."""
    return max(1, math.floor(requests_per_minute * (1 - headroom)))


class WindowLog:
    """When requests to one site were granted during the last window, kept in a file.

    Every grant is decided with the file locked (`flock`), so processes and threads of this
    machine that share the file never grant more than the allowance together. The file holds
    the grant times (epoch seconds, float64) of the last window only.
    """

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        self._lock = threading.Lock()  # flock locks per open file, not per thread

    def admit(self, now: float, allowance: int, window: float, spacing: float) -> float:
        """Record a grant at `now` and return 0, or return the seconds until one is possible."""
        with self._lock:
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            try:
                recent = sorted(t for t in self._read() if t > now - window)
                wait = 0.0
                if len(recent) >= allowance:
                    wait = recent[len(recent) - allowance] + window - now
                if spacing and recent:
                    wait = max(wait, recent[-1] + spacing - now)
                if wait > 0:
                    return wait
                recent.append(now)
                self._write(recent)
                return 0.0
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)

    def _read(self) -> array.array:
        size = os.fstat(self._fd).st_size
        times = array.array("d")
        times.frombytes(os.pread(self._fd, size - size % times.itemsize, 0))
        return times

    def _write(self, times: list[float]) -> None:
        data = array.array("d", times).tobytes()
        os.pwrite(self._fd, data, 0)
        os.ftruncate(self._fd, len(data))


SLOT_POLL_SECONDS = (0.002, 0.02)
"""How long a request waits between looks for a slot another process holds: from the first to
the second value, doubling (a page takes hundreds of milliseconds; a look, microseconds)."""


class InFlightSlots:
    """The site's concurrency slots, shared by every process of this machine.

    Slot i is a file (`<prefix>.slot<i>`) held with a non-blocking `flock` while a request is on
    the wire. The kernel releases a dead process's locks, so a killed run never keeps a slot.
    Within a process a semaphore admits at most `count` threads and a lock per slot keeps two
    threads off one slot (`flock` locks per open file, not per thread); a thread that finds every
    free-in-process slot held by another process looks again after a short sleep.
    """

    def __init__(self, prefix: Path, count: int) -> None:
        prefix.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.count = count
        self._admitted = threading.BoundedSemaphore(count)
        self._taken = [threading.Lock() for _ in range(count)]
        self._files = [
            os.open(f"{prefix}.slot{index}", os.O_RDWR | os.O_CREAT, 0o600)
            for index in range(count)
        ]

    @contextmanager
    def hold(self) -> Iterator[None]:
        with self._admitted:
            index = self._take()
            try:
                yield
            finally:
                fcntl.flock(self._files[index], fcntl.LOCK_UN)
                self._taken[index].release()

    def _take(self) -> int:
        pause, longest = SLOT_POLL_SECONDS
        while True:
            for index, taken in enumerate(self._taken):
                if not taken.acquire(blocking=False):
                    continue
                try:
                    fcntl.flock(self._files[index], fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    taken.release()
                    continue
                return index
            time.sleep(pause)
            pause = min(longest, pause * 2)


class Pacer:
    """Grants requests to one site: at most `allowance` per window, and `slots.count` at once.

    `acquire` before each attempt (retries included) waits for room in the window; `in_flight`
    holds one of the concurrency slots while the request is on the wire. Waiting callers sleep
    outside every lock.
    """

    def __init__(
        self,
        log: WindowLog,
        slots: InFlightSlots,
        allowance: int,
        *,
        pacing: Pacing = "burst",
        window: float = PACING_WINDOW_SECONDS,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.allowance = allowance
        self.window = window
        self._spacing = window / allowance if pacing == "smooth" else 0.0
        self._log = log
        self._slots = slots
        self._clock = clock
        self._sleep = sleep

    def acquire(self) -> float:
        """Wait until the window has room, take it; returns the seconds slept."""
        slept = 0.0
        while (
            wait := self._log.admit(self._clock(), self.allowance, self.window, self._spacing)
        ) > 0:
            self._sleep(wait)
            slept += wait
        return slept

    @contextmanager
    def in_flight(self) -> Iterator[None]:
        """Hold one of the site's concurrency slots for the duration of a request."""
        with self._slots.hold():
            yield


@dataclass(frozen=True)
class PacingSettings:
    """How one process paces one site (see `ThinkificResource` for each setting)."""

    requests_per_minute: int
    headroom: float = DEFAULT_HEADROOM
    pacing: Pacing = "burst"
    max_in_flight: int = DEFAULT_MAX_IN_FLIGHT


_shared_pacers: dict[tuple[str, PacingSettings], Pacer] = {}
_shared_pacers_lock = threading.Lock()


def pacing_directory() -> Path:
    """Where the sites' window logs live: THINKIFIC_PACING_DIR, or a folder in the temp dir."""
    configured = os.environ.get("THINKIFIC_PACING_DIR")
    return Path(configured) if configured else Path(tempfile.gettempdir()) / "thinkific-pacing"


def shared_pacer(site: str, settings: PacingSettings) -> Pacer:
    """The process-wide pacer of one site (base URL + subdomain) under one set of settings.

    Every process of the machine that calls the site shares its window log and its in-flight
    slots (files named after the site), every client of it in this process one pacer. The
    settings are part of
    the key so that a client configured otherwise is not held to another client's settings.
    """
    key = (site, settings)
    with _shared_pacers_lock:
        if key not in _shared_pacers:
            name = hashlib.sha256(site.encode()).hexdigest()[:24]
            _shared_pacers[key] = Pacer(
                WindowLog(pacing_directory() / f"{name}.window"),
                InFlightSlots(pacing_directory() / name, settings.max_in_flight),
                allowance_under(settings.requests_per_minute, settings.headroom),
                pacing=settings.pacing,
            )
        return _shared_pacers[key]
