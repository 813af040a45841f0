"""Injected failures: what production Thinkific (and Cloudflare in front of it) does to clients."""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass, field
from typing import Any

KINDS = (
    "latency",
    "status",
    "reset",
    "truncate",
    "redirect",
    "insert_rows",
    "delete_rows",
)
DRIFT_KINDS = ("insert_rows", "delete_rows")
ANSWERING_KINDS = ("status", "reset", "truncate", "redirect")
"""Kinds that decide the answer; the first one that fires wins. Latency and drift add up."""


@dataclass
class Fault:
    """One failure rule, for `endpoint` ("*" or a first path segment such as "users").

    It fires on a request when every given trigger agrees: `nth` (1-based, counting the
    requests to its endpoint since it was added), `rate` (a probability from the simulator's
    seeded generator); `times` caps how often it fires. Drift kinds (`insert_rows`,
    `delete_rows`) only consider list requests for a page above 1: right before such a page is
    served they insert or delete `rows` records at the front of that list, so later pages shift.
    `status` answers `status` with `body` (a dict/list as JSON, a str as text, None for the
    usual body of that status). `reset` drops the connection with a TCP RST; `truncate` sends
    half of the real JSON body with a matching Content-Length; `redirect` answers 302 to
    another host. `seen` and `fired` count, under the fault set's lock, what happened so far.
    """

    endpoint: str = "*"
    kind: str = ""
    status: int | None = None
    rate: float | None = None
    nth: int | None = None
    times: int | None = None
    latency_ms: int = 0
    rows: int = 1
    body: Any = None
    seen: int = field(default=0, init=False)
    fired: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {self.kind!r}")
        if self.kind == "status" and self.status is None:
            raise ValueError("a status fault needs a status")
        if self.status is not None and not 100 <= self.status <= 599:
            raise ValueError(f"not an HTTP status: {self.status}")
        if self.kind == "latency" and self.latency_ms <= 0:
            raise ValueError("a latency fault needs latency_ms > 0")
        if self.latency_ms < 0:
            raise ValueError("latency_ms must not be negative")
        if self.rate is not None and not 0 <= self.rate <= 1:
            raise ValueError("rate must lie between 0 and 1")
        for name in ("nth", "times", "rows"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"{name} must be at least 1")
        if not self.endpoint or "/" in self.endpoint:
            raise ValueError("endpoint is '*' or one path segment such as 'users'")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class FiredFaults:
    """What the faults decided for one request."""

    latency_ms: int = 0
    drifts: list[Fault] = field(default_factory=list)
    answer: Fault | None = None


class FaultSet:
    """The active faults of one simulator, matched against each API request in the order added."""

    def __init__(self, seed: int) -> None:
        self._faults: list[Fault] = []
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> Fault:
        """Activate `fault` (counting from now) and return it."""
        with self._lock:
            fault.seen = fault.fired = 0
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def active(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def fire(self, endpoint: str, drift_eligible: bool) -> FiredFaults:
        """Count this request against every matching fault and collect those that fire.

        `drift_eligible` says the request is a list page above 1, the only moment when rows
        can shift under a paging client.
        """
        fired = FiredFaults()
        with self._lock:
            for fault in self._faults:
                if fault.endpoint not in ("*", endpoint):
                    continue
                if fault.kind in DRIFT_KINDS and not drift_eligible:
                    continue
                if fault.times is not None and fault.fired >= fault.times:
                    continue
                fault.seen += 1
                if fault.nth is not None and fault.seen != fault.nth:
                    continue
                if fault.rate is not None and self._random.random() >= fault.rate:
                    continue
                if fault.kind in ANSWERING_KINDS and fired.answer is not None:
                    continue
                fault.fired += 1
                if fault.kind in ANSWERING_KINDS:
                    fired.answer = fault
                elif fault.kind in DRIFT_KINDS:
                    fired.drifts.append(fault)
                fired.latency_ms += fault.latency_ms
        return fired
