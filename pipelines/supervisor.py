"""Runs a few long-lived processes as one: started in order, awaited until ready, stopped together.

Each child runs in a session of its own, so stopping it stops what it started too (the code
server's run workers and their step processes), and a Ctrl-C in the terminal reaches only the
supervisor, which then stops the children in reverse order. When a child exits on its own, the
others are stopped as well: a deployment missing one of its parts is not left half running.
"""

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType, TracebackType
from typing import NoReturn, Self

INTERRUPTS = (signal.SIGINT, signal.SIGTERM)
Handler = Callable[[int, FrameType | None], object] | int | None

STOP_TIMEOUT_SECONDS = 20.0
"""How long a child may take to shut down after SIGTERM before it is killed."""
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
        """Stops every child still running, the last started first: SIGTERM to its process
        group, then SIGKILL if it is still there after STOP_TIMEOUT_SECONDS."""
        for name, child in reversed(self._children.items()):
            if child.poll() is None:
                print(f"stopping {name}", flush=True)
                _signal_group(child, signal.SIGTERM)
                try:
                    child.wait(STOP_TIMEOUT_SECONDS)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()
            _kill_group(child)

    def _raise_if_any_exited(self) -> None:
        for name, child in self._children.items():
            if child.poll() is not None:
                raise ChildExited(name, child.returncode)

    def __enter__(self) -> Self:
        self._previous_handlers = {
            number: signal.signal(number, _interrupt) for number in INTERRUPTS
        }
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
        finally:
            for number, handler in self._previous_handlers.items():
                signal.signal(number, handler)


def _signal_group(child: subprocess.Popen[bytes], number: signal.Signals) -> None:
    """Sends a signal to the child's process group, which is gone once all its members are."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(child.pid, number)


def _kill_group(child: subprocess.Popen[bytes]) -> None:
    """Kills whatever the child started and left behind, and waits until it is gone (reaped by
    init), so that nothing of it holds a port or a database connection afterwards."""
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        try:
            os.killpg(child.pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        time.sleep(0.05)
