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


@dataclass(frozen=True)
class Measured:
    """What a measured command printed, how long it took and its peak RSS."""

    stdout: str
    seconds: float
    peak_rss_kib: int

    @property
    def peak_rss_mib(self) -> float:
        return self.peak_rss_kib / 1024


def run_measured(
    command: list[str], cwd: Path, env: dict[str, str] | None = None, capture: bool = False
) -> Measured:
    """Runs `command` (stdout captured when `capture`, else passed through); raises when it
    fails. `seconds` is the command's wall time, the trampoline's own start-up excluded."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "measured.json"
        trampoline = [sys.executable, "-m", "benchmarks.peak_rss", str(report), "--", *command]
        finished = subprocess.run(
            trampoline,
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE if capture else None,
            text=True,
            check=False,
        )
        figures = json.loads(report.read_text()) if report.exists() else None
    if finished.returncode != 0 or figures is None:
        raise RuntimeError(f"{command} failed with exit code {finished.returncode}")
    return Measured(stdout=finished.stdout or "", **figures)


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
