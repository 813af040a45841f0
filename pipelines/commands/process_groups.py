"""Stopping process groups within a bound, and a watchdog that stops them if their supervisor dies.

The supervisor (`pipelines.commands.supervisor`) runs each child as the leader of a process group
and stops the groups itself. A supervisor killed outright (SIGKILL, the OOM killer, a crash) cannot;
so it starts a watchdog first, this file run as a script, and tells it each group over a pipe.
When the pipe closes without a dismissal, the supervisor is gone, and the watchdog stops the
groups the same way. Only the standard library is used: the watchdog imports nothing else.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

STOP_TIMEOUT_SECONDS = 6.0
"""How long the groups together may take to shut down after SIGTERM before what is left of them
is killed. The commands built on this (`make ui`, `make deploy`) promise that nothing they started
runs 10 s after a Ctrl-C or a SIGTERM; the rest of those 10 s is for killed processes to go and
for the supervisor and what started it (`uv run`, `make`) to exit. On a busy machine during a
sync the webserver, the daemon and the run worker each take seconds to stop; Dagster's code
server waits for its calls to end (up to 60 s by its own count) and is killed here."""
KILL_TIMEOUT_SECONDS = 1.0
"""How long killed processes are waited for (one inside a system call may outlive SIGKILL for a
moment)."""
POLL_SECONDS = 0.05
PROC = Path("/proc")
EXITED_STATES = {"Z", "X"}
"""Process states (/proc/<pid>/stat) of a process that runs no more: zombie, dead."""
DISMISSAL = "dismissed"
"""The line that tells the watchdog its supervisor stopped the groups itself."""


def stop_groups(groups: list[int], reap: Callable[[], object] = lambda: None) -> None:
    """SIGTERM to every process group at once (each shuts down on its own, so waiting for one
    before signalling the next would only add up their times), then SIGKILL to what is left of
    them after STOP_TIMEOUT_SECONDS. `reap` collects the exit status of those of their processes
    that are the caller's children: a group lasts until its last process is reaped."""
    for group in groups:
        signal_group(group, signal.SIGTERM)
    _wait_until_gone(groups, STOP_TIMEOUT_SECONDS, reap)
    for group in groups:
        signal_group(group, signal.SIGKILL)
    _wait_until_gone(groups, KILL_TIMEOUT_SECONDS, reap)


def signal_group(group: int, number: signal.Signals) -> None:
    """Sends a signal to a process group, which is gone once all its members are."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, number)


def _wait_until_gone(groups: list[int], timeout: float, reap: Callable[[], object]) -> None:
    """Waits until none of the groups is left, so that nothing of them holds a port or a
    database connection afterwards, or until `timeout` has passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        reap()
        if not any(_exists(group) for group in groups):
            return
        time.sleep(POLL_SECONDS)


def _exists(group: int) -> bool:
    """Whether any process of the group still runs. One that has exited but is not yet reaped (a
    zombie) runs nothing and holds no port, and orphans are reaped by init, which may take it two
    seconds: counted, they would spend the stop bound waiting on init. Without /proc (not Linux),
    a zombie counts."""
    if not PROC.is_dir():
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return False
        return True
    return next(_running_members(group), None) is not None


def _running_members(group: int) -> Iterator[int]:
    """The pids of the group's processes that are neither zombies nor dead, read from /proc."""
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # it has just exited
            continue
        # The name in parentheses may hold spaces; after it: state, ppid, process group.
        state, _ppid, pgrp = stat.rpartition(")")[2].split()[:3]
        if int(pgrp) == group and state not in EXITED_STATES:
            yield int(entry.name)


class Watchdog:
    """The watchdog process, started in a session of its own (a Ctrl-C does not reach it)."""

    def __init__(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, __file__],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
        )

    def watch(self, group: int) -> None:
        assert self._process.stdin is not None
        self._process.stdin.write(f"{group}\n")
        self._process.stdin.flush()

    def dismiss(self) -> None:
        """Tells the watchdog that the groups are stopped, and waits until it has exited."""
        assert self._process.stdin is not None
        with contextlib.suppress(BrokenPipeError):  # it died: nothing to dismiss
            self._process.stdin.write(f"{DISMISSAL}\n")
            self._process.stdin.close()
        self._process.wait()


def watch(lines: Iterable[str]) -> None:
    """The watchdog: reads process groups, one a line, until its dismissal, or stops them all
    when the lines end without one."""
    groups = []
    for line in lines:
        if line.strip() == DISMISSAL:
            return
        groups.append(int(line))
    stop_groups(groups)


if __name__ == "__main__":
    watch(sys.stdin)
