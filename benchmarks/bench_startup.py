"""The main command's start-up: how long until its first request, against a bare Python process.

The README's main command (`python -m pipelines`, syncing the demo site) runs twice in a new
Dagster home and warehouse: the first run creates them, the second is the everyday case. Each
run goes through `benchmarks.first_request`, which notes when the process first opens a
connection: its first request to the demo site. The baseline, measured in the same run through
the same trampoline, is `benchmarks.bare_request`: a process that imports requests and sends one
GET to a local server, the least a Python program pays before its first request. Reported per
kind of run: seconds from spawn to the first request and their ratio to the baseline's, the CPU
seconds the process spent until then, the seconds from its last line (the summary) to its exit,
and the whole command.

    ./scripts/uv run --frozen python -m benchmarks startup
"""

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
ROUNDS = 3
KINDS = {
    "first": "first run (creates the Dagster home and warehouse)",
    "second": "second run",
    "bare": "bare process: import requests, one GET",
}


@dataclass(frozen=True)
class Measured:
    """One process run through `benchmarks.first_request`; seconds count from its spawn."""

    to_first_request: float
    cpu_to_first_request: float
    last_line_to_exit: float
    seconds: float


class _NoContent(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(204)
        self.end_headers()

    def log_message(self, *_args: Any) -> None:
        """Silent: the benchmark's output is its results."""


@contextmanager
def local_server() -> Iterator[str]:
    """A server answering every GET with 204 No Content, for the baseline's one request."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _NoContent)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def measure(module_and_args: list[str], env: dict[str, str]) -> Measured:
    """Run `python -m MODULE ARGS` through the trampoline; raises when it fails."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "first_request.json"
        command = [sys.executable, "-m", "benchmarks.first_request", str(report), *module_and_args]
        spawned = time.time()
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        lines, last_line = [], spawned
        for line in process.stdout:
            lines.append(line)
            last_line = time.time()
        returncode = process.wait()
        ended = time.time()
        if returncode != 0 or not report.exists():
            raise RuntimeError(f"{module_and_args} exited {returncode}:\n{''.join(lines[-20:])}")
        noted = json.loads(report.read_text())
    return Measured(noted["epoch"] - spawned, noted["cpu"], ended - last_line, ended - spawned)


def _environment(workdir: Path | None) -> dict[str, str]:
    """This environment without THINKIFIC_ settings (the demo site) and with bytecode written
    (as on a user's machine, so that a second run starts from compiled modules); the command's
    Dagster home and warehouse in `workdir`."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("THINKIFIC_") and name != "PYTHONDONTWRITEBYTECODE"
    }
    if workdir is not None:
        env["DAGSTER_HOME"] = str(workdir / "dagster_home")
        env["WAREHOUSE_URL"] = f"sqlite:///{workdir / 'warehouse.db'}"
    return env


def _row(kind: str, runs: list[Measured], baseline: float) -> dict[str, Any]:
    """The least of each figure over `runs`; the command's own columns are blank for the bare
    process."""
    fastest = min(run.to_first_request for run in runs)
    command = kind != "bare"
    return {
        "process": KINDS[kind],
        "to first request (s)": round(fastest, 2),
        "÷ bare process": round(fastest / baseline, 1),
        "CPU to first request (s)": round(min(run.cpu_to_first_request for run in runs), 2),
        "summary → exit (s)": round(min(r.last_line_to_exit for r in runs), 2) if command else "",
        "whole command (s)": round(min(run.seconds for run in runs), 1) if command else "",
    }


def main() -> dict[str, Any]:
    load_before = os.getloadavg()[0]
    runs: dict[str, list[Measured]] = {kind: [] for kind in KINDS}
    with local_server() as url:
        bare = ["benchmarks.bare_request", url]
        for _ in range(ROUNDS):
            with tempfile.TemporaryDirectory() as tmp:
                for kind in ("first", "second"):
                    runs["bare"].append(measure(bare, _environment(None)))
                    runs[kind].append(measure(["pipelines"], _environment(Path(tmp))))
    baseline = min(run.to_first_request for run in runs["bare"])
    all_runs = "; ".join(
        f"{kind} " + ", ".join(f"{run.to_first_request:.2f}" for run in measured)
        for kind, measured in runs.items()
    )
    notes = (
        f"Demo site, SQLite warehouse and Dagster home in a new temporary directory per round; "
        f"{ROUNDS} rounds of a first and a second run, a bare process before each; every figure "
        "is the least of its runs. Seconds count from spawning the process (the trampoline, "
        "benchmarks/first_request.py, adds the same few milliseconds to every process); CPU "
        "seconds are the process's own until its first request. The children write and reuse "
        "bytecode, so even the first run here finds its modules compiled: on a fresh install "
        "the first run also compiles every module it imports. The whole command is mostly the "
        "demo site's rate limit (120 requests a minute). Seconds to the first request, run by "
        f"run: {all_runs}. Load average when it started: {load_before:.1f} on "
        f"{os.cpu_count()} cores."
    )
    return {
        "title": "Main command start-up: time to the first request",
        "rows": [_row(kind, measured, baseline) for kind, measured in runs.items()],
        "notes": notes,
    }


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
