"""A simulated Thinkific site served in a process of its own, and the main command's settings
to sync it: what the benchmarks that run the README's main command against a site share."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
LATENCY_MS = 300
"""Every answer waits this long: a realistic page time of real Thinkific (loopback's would hide
it)."""
MAX_IN_FLIGHT = 10
CREDENTIALS = {"api_key": "bench-key", "subdomain": "bench-site", "access_token": "bench-token"}
START_UP_SECONDS = 300


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def simulator_process(
    site: dict[str, int], requests_per_minute: int, graphql_points_per_minute: int | None = None
) -> Iterator[str]:
    """A fresh simulated site in its own process (so it does not share the sync's interpreter),
    every answer `LATENCY_MS` late, at most `MAX_IN_FLIGHT` requests in flight; its origin.
    `graphql_points_per_minute` left at None keeps the simulator's default (Thinkific's
    2,000)."""
    port = _free_port()
    flags = [f"--{name}={value}" for name, value in site.items()]
    command = [sys.executable, "-m", "simulator", "--port", str(port), *flags]
    command += [
        f"--requests-per-minute={requests_per_minute}",
        f"--max-in-flight={MAX_IN_FLIGHT}",
        f"--latency-ms={LATENCY_MS}",
        f"--api-key={CREDENTIALS['api_key']}",
        f"--subdomain={CREDENTIALS['subdomain']}",
        f"--access-token={CREDENTIALS['access_token']}",
    ]
    if graphql_points_per_minute is not None:
        command.append(f"--graphql-points-per-minute={graphql_points_per_minute}")
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL)
    origin = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_UP_SECONDS
        while True:
            try:
                requests.get(f"{origin}/_simulator/clock", timeout=1)
                break
            except requests.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the simulator did not start: {command}") from None
                time.sleep(0.1)
        yield origin
    finally:
        process.terminate()
        process.wait(timeout=30)


def sync_environment(
    origin: str, workdir: Path, requests_per_minute: int, pacing: str, graphql: bool
) -> dict[str, str]:
    """The environment of the main command syncing the simulator at `origin` into a SQLite
    warehouse and a Dagster home in `workdir`; with `graphql`, certificates and quiz results
    too (the access token set)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("THINKIFIC_")}
    env |= {
        "THINKIFIC_API_KEY": CREDENTIALS["api_key"],
        "THINKIFIC_SUBDOMAIN": CREDENTIALS["subdomain"],
        "THINKIFIC_BASE_URL": f"{origin}/api/public/v1",
        "THINKIFIC_REQUESTS_PER_MINUTE": str(requests_per_minute),
        "THINKIFIC_PACING": pacing,
        **(
            {
                "THINKIFIC_GRAPHQL_URL": f"{origin}/stable/graphql",
                "THINKIFIC_ACCESS_TOKEN": CREDENTIALS["access_token"],
            }
            if graphql
            else {}
        ),
        "THINKIFIC_PACING_DIR": str(workdir / "pacing"),
        "WAREHOUSE_URL": f"sqlite:///{workdir / 'warehouse.db'}",
        "DAGSTER_HOME": str(workdir / "dagster_home"),
    }
    return env


def when(value: str) -> float:
    """Epoch seconds of a timestamp of the simulator's request log."""
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
