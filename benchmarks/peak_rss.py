"""Run a command in its own process and measure its peak resident memory, honestly.

On Linux a child's `ru_maxrss` (from `os.wait4`, or `getrusage(RUSAGE_SELF)` inside it) is at
least the resident size of the process it was forked from: at exec the kernel keeps the old
memory's high-water mark. A benchmark run that has grown to a gigabyte would lend that gigabyte
to every process it measures. So a command is measured through a small trampoline interpreter
(this module run as a script), which starts the command and reads its `wait4` figures: the
command is forked from a process of a few megabytes, not from the benchmark.

    measured = run_measured([sys.executable, "-m", "pipelines"], cwd=ROOT, env=env)
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Measured:
    """What a measured command printed, how long it took and its peak RSS."""

    stdout: str
    seconds: float
    peak_rss_kib: int

    @property
    def peak_rss_mib(self) -> float:
        return self.peak_rss_kib / 1024


class MeasuredProcess:
    """A measured command started and not yet waited for (`start_measured`): a benchmark can
    watch it, or stop the command itself (`command_pid`) as a user would."""

    def __init__(
        self, command: list[str], cwd: Path, env: dict[str, str] | None, stdout: Any
    ) -> None:
        self.command = command
        self._folder = tempfile.TemporaryDirectory()
        self._report = Path(self._folder.name) / "measured.json"
        trampoline = [sys.executable, "-m", "benchmarks.peak_rss", str(self._report), "--"]
        self.trampoline = subprocess.Popen(
            [*trampoline, *command], cwd=cwd, env=env, stdout=stdout, text=True
        )

    def command_pid(self) -> int | None:
        """The measured command's process id, once the trampoline has started it."""
        task = Path(f"/proc/{self.trampoline.pid}/task")
        try:
            children = [
                int(pid) for path in task.glob("*/children") for pid in path.read_text().split()
            ]
        except OSError:  # the trampoline has just exited
            return None
        return children[0] if children else None

    def wait(self) -> tuple[int, "Measured | None"]:
        """The trampoline's exit status (the command's) and what was measured (None if the
        trampoline could not report it)."""
        stdout, _ = self.trampoline.communicate()
        try:
            figures = json.loads(self._report.read_text()) if self._report.exists() else None
        finally:
            self._folder.cleanup()
        measured = None if figures is None else Measured(stdout=stdout or "", **figures)
        return self.trampoline.returncode, measured


def start_measured(
    command: list[str], cwd: Path, env: dict[str, str] | None = None, stdout: Any = None
) -> MeasuredProcess:
    """Starts `command` measured (its output to `stdout`: a file, `subprocess.PIPE`, or None
    to pass it through)."""
    return MeasuredProcess(command, cwd, env, stdout)


def run_measured(
    command: list[str], cwd: Path, env: dict[str, str] | None = None, capture: bool = False
) -> Measured:
    """Runs `command` (stdout captured when `capture`, else passed through); raises when it
    fails. `seconds` is the command's wall time, the trampoline's own start-up excluded."""
    started = start_measured(command, cwd, env, subprocess.PIPE if capture else None)
    returncode, measured = started.wait()
    if returncode != 0 or measured is None:
        raise RuntimeError(f"{command} failed with exit code {returncode}")
    return measured


def _trampoline(report: str, command: list[str]) -> int:
    started = time.perf_counter()
    child = subprocess.Popen(command)
    _, status, usage = os.wait4(child.pid, 0)
    figures = {"seconds": time.perf_counter() - started, "peak_rss_kib": usage.ru_maxrss}
    Path(report).write_text(json.dumps(figures))
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    report_path, separator, *measured_command = sys.argv[1:]
    if separator != "--" or not measured_command:
        sys.exit("usage: python -m benchmarks.peak_rss REPORT -- COMMAND [ARGS...]")
    sys.exit(_trampoline(report_path, measured_command))
