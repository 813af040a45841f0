"""Runs a few long-lived processes as one: started in order, awaited until ready, stopped together.

Each child runs in a session of its own, so stopping it stops what it started too (the code
server's run workers and their step processes), and a Ctrl-C in the terminal reaches only the
supervisor, which then stops the children. When a child exits on its own, the others are stopped
as well: a deployment missing one of its parts is not left half running.

Stopping is bounded (`pipelines.commands.process_groups.stop_groups`), and if the supervisor itself
is killed outright, its watchdog stops the children the same way.
"""

import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType, TracebackType
from typing import NoReturn, Self

from pipelines.commands.process_groups import Watchdog, stop_groups

INTERRUPTS = (signal.SIGINT, signal.SIGTERM)
Handler = Callable[[int, FrameType | None], object] | int | None
POLL_SECONDS = 0.5


class ChildExited(RuntimeError):
    """A supervised process exited on its own; `returncode` is its exit status."""

    def __init__(self, name: str, returncode: int) -> None:
        super().__init__(f"{name} exited with status {returncode}")
        self.returncode = returncode


def _interrupt(_signal: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


class Supervisor:
    """Use as a context manager: leaving the block stops every child it started.

    Inside the block SIGINT and SIGTERM both raise KeyboardInterrupt, whatever this process
    inherited: a shell starts background jobs with SIGINT ignored, and children would inherit
    that (Dagster's processes then ignore SIGTERM too, since they map it onto SIGINT's handler).
    """

    def __init__(self, cwd: Path) -> None:
        self._cwd = cwd
        self._children: dict[str, subprocess.Popen[bytes]] = {}
        self._previous_handlers: dict[signal.Signals, Handler] = {}

    def start(self, name: str, command: list[str]) -> None:
        """Starts a child in its own session, with this process's environment."""
        child = subprocess.Popen(command, cwd=self._cwd, start_new_session=True)
        self._children[name] = child
        self._watchdog.watch(child.pid)
        print(f"started {name} (pid {child.pid}): {' '.join(command)}", flush=True)

    def wait_until_ready(self, name: str, is_ready: Callable[[], bool], timeout: float) -> None:
        """Polls `is_ready` until it answers True; fails if any child exits or time runs out."""
        deadline = time.monotonic() + timeout
        while not is_ready():
            self._raise_if_any_exited()
            if time.monotonic() > deadline:
                raise TimeoutError(f"{name} was not ready after {timeout:.0f} s")
            time.sleep(POLL_SECONDS)

    def wait(self) -> NoReturn:
        """Returns never: raises ChildExited when a child exits, KeyboardInterrupt on a signal."""
        while True:
            self._raise_if_any_exited()
            time.sleep(POLL_SECONDS)

    def stop(self) -> None:
        """Stops every child and all it started (see `stop_groups`)."""
        for name, child in reversed(self._children.items()):
            if child.poll() is None:
                print(f"stopping {name}", flush=True)
        stop_groups([child.pid for child in self._children.values()], reap=self._reap)

    def _reap(self) -> None:
        for child in self._children.values():
            child.poll()

    def _raise_if_any_exited(self) -> None:
        for name, child in self._children.items():
            if child.poll() is not None:
                raise ChildExited(name, child.returncode)

    def __enter__(self) -> Self:
        self._previous_handlers = {
            number: signal.signal(number, _interrupt) for number in INTERRUPTS
        }
        self._watchdog = Watchdog()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        # A second Ctrl-C or SIGTERM (`timeout` signals the whole process group, and a wrapper
        # such as `uv run` forwards the same signal again) must not cut the stopping short.
        for number in INTERRUPTS:
            signal.signal(number, signal.SIG_IGN)
        try:
            self.stop()
            self._watchdog.dismiss()
        finally:
            for number, handler in self._previous_handlers.items():
                signal.signal(number, handler)
