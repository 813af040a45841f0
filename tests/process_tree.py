"""A command as a user types it (`make`); the processes it started, read from /proc (Linux); the
two ways a user stops it; and how long its processes take to go.

A test starts the command in a session of its own, so that its process group is what a terminal's
foreground group would be. A process that has exited but is not yet reaped (a zombie) counts as
gone: it runs nothing and holds no port, and who reaps orphans depends on the machine's init.
"""

import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

PROC = Path("/proc")
POLL_SECONDS = 0.05
STOP_BOUND_SECONDS = 10.0
"""The commands' promise: nothing they started still runs 10 s after a SIGTERM or a Ctrl-C."""


def make(target: str, arguments: str) -> list[str]:
    """`make <target> ARGS="<arguments>"`; skips the test where make is not installed."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed (the README's commands run through it)")
    return ["make", target, f"ARGS={arguments}"]


def sigterm(pid: int) -> None:
    """What `kill <pid>` and a service manager send: SIGTERM to that one process."""
    os.kill(pid, signal.SIGTERM)


def ctrl_c(pid: int) -> None:
    """What a terminal sends on Ctrl-C: SIGINT to every process of the foreground group."""
    os.killpg(pid, signal.SIGINT)


Stop = Callable[[int], None]
STOPS = [pytest.param(sigterm, id="SIGTERM"), pytest.param(ctrl_c, id="Ctrl-C")]
"""Both stops, to parametrize a test with."""


def process_tree(root: int) -> set[int]:
    """`root` and every process below it, as they are now."""
    tree = {root}
    pending = [root]
    while pending:
        for children in (PROC / str(pending.pop()) / "task").glob("*/children"):
            try:
                found = {int(pid) for pid in children.read_text().split()}
            except OSError:  # the thread or process has just exited
                continue
            pending.extend(found - tree)
            tree |= found
    return tree


def commands(pids: set[int]) -> list[str]:
    """The command line of each process still there, with its pid, in pid order."""
    lines = []
    for pid in sorted(pids):
        with contextlib.suppress(OSError):
            command = (PROC / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            lines.append(f"{pid}: {command.strip()[:200]}")
    return lines


def unnamed(parts: list[str], command_lines: str) -> list[str]:
    """Those of `parts` that none of the command lines holds."""
    return [part for part in parts if part not in command_lines]


def running(pids: set[int]) -> set[int]:
    """Those of `pids` that exist and are not zombies."""
    return {pid for pid in pids if _state(pid) not in {None, "Z", "X"}}


def wait_until_gone(pids: set[int], timeout: float = STOP_BOUND_SECONDS) -> float:
    """Seconds until none of `pids` runs. Whatever still runs after `timeout` is killed, so that
    no test leaves processes behind, and named in an AssertionError."""
    started = time.monotonic()
    while survivors := running(pids):
        if time.monotonic() - started > timeout:
            named = "\n".join(commands(survivors))
            for pid in survivors:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            raise AssertionError(f"still running {timeout:.0f} s after the stop:\n{named}")
        time.sleep(POLL_SECONDS)
    return time.monotonic() - started


def stop_and_wait(root: int, stop: Stop) -> list[str]:
    """Stops the command with `stop` and waits until every process it had started is gone (see
    `wait_until_gone`); returns their command lines, read just before the stop."""
    tree = process_tree(root)
    started = commands(tree)
    stop(root)
    wait_until_gone(tree)
    return started


def ctrl_c_unless_exited(command: subprocess.Popen) -> None:
    """At the end of a test: Ctrl-C to a command still running, then `stop_and_wait`."""
    if command.poll() is None:
        stop_and_wait(command.pid, ctrl_c)
    command.wait()


def _state(pid: int) -> str | None:
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    return stat.rpartition(")")[2].split()[0]  # the name in parentheses may hold spaces
