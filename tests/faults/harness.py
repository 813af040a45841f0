"""Running the main command as a user does, against a small simulated site, and reading what it
printed and left in the warehouse."""

import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from simulator import SimulatorConfig, SimulatorServer
from tests.faults.catalogue import Fault
from tests.process_tree import Stop, make, process_tree, wait_until_gone

ROOT = Path(__file__).resolve().parents[2]

FAULT_SITE = SimulatorConfig(
    users=30,
    groups=3,
    courses=4,
    bundles=1,
    enrollments=60,
    requests_per_minute=600,
    graphql_points_per_minute=100_000,
)
"""Small and allowed to go fast: each fault test pays for the command's start-up, not a sync."""

SLOW_SITE = replace(FAULT_SITE, requests_per_minute=60)
"""Thinkific's limit halved, so a sync is still reading when a test stops it."""

SCRIPTS_SYNC = [str(ROOT / "scripts" / "sync")]
"""What `make sync` runs, and a cron job or a service runs to get the sync's own exit status."""

PATIENCE = {"THINKIFIC_MAX_ATTEMPTS": "3", "THINKIFIC_BACKOFF_SECONDS": "0.05"}
"""Client retries kept short (documented settings), so an outage ends a test in seconds."""


def site_environment(server: SimulatorServer, **overrides: str) -> dict[str, str]:
    """The variables that point the command at `server`, with `overrides` (empty string: unset)."""
    env = {
        "THINKIFIC_API_KEY": server.config.api_key,
        "THINKIFIC_SUBDOMAIN": server.config.subdomain,
        "THINKIFIC_BASE_URL": server.base_url,
        "THINKIFIC_GRAPHQL_URL": server.graphql_url,
        "THINKIFIC_ACCESS_TOKEN": server.config.access_token,
        "THINKIFIC_REQUESTS_PER_MINUTE": str(server.config.requests_per_minute),
        **PATIENCE,
    }
    env.update(overrides)
    return {name: value for name, value in env.items() if value}


@dataclass(frozen=True)
class Outcome:
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def assert_clear_failure(self, fault: Fault) -> None:
        """Ended with the fault's status, said its cause once, no traceback, summary printed."""
        context = f"\n--- stdout\n{self.stdout[-4000:]}\n--- stderr\n{self.stderr[-4000:]}"
        assert self.returncode == fault.exit_status, context
        assert self.output.count(fault.says) == 1, context
        assert "Traceback" not in self.output, context
        if fault.exit_status != 2:
            assert "Sync summary" in self.stdout, context


def command_environment(home: Path, warehouse_url: str, site: dict[str, str]) -> dict[str, str]:
    """This process's environment without any Thinkific or warehouse setting, plus `site`."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("THINKIFIC_", "WAREHOUSE_", "DAGSTER_"))
    }
    return env | site | {"DAGSTER_HOME": str(home), "WAREHOUSE_URL": warehouse_url}


def run_sync(
    env: dict[str, str], timeout: float = 120, extra_args: list[str] | None = None
) -> Outcome:
    """`python -m pipelines` to its end, as the README's `make sync` runs it."""
    return run_command([sys.executable, "-m", "pipelines", *(extra_args or [])], env, timeout)


def run_command(command: Sequence[str], env: dict[str, str], timeout: float = 120) -> Outcome:
    """`command`, typed in the project folder, to its end."""
    started = time.monotonic()
    result = subprocess.run(
        command,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return Outcome(result.returncode, result.stdout, result.stderr, time.monotonic() - started)


def table_contents(database: Path) -> dict[str, list[tuple]]:
    """Every `thinkific_*` table of an SQLite warehouse, rows sorted (they hold no load times:
    loading the same answers again leaves them equal)."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        names = [
            row[0]
            for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'thinkific_%' "
                "AND name NOT LIKE '%__resume'"
            )
        ]
        return {
            name: sorted(
                connection.execute(f'SELECT * FROM "{name}"').fetchall(),  # noqa: S608
                key=repr,
            )
            for name in sorted(names)
        }


def stop_mid_sync(
    servers: Sequence[SimulatorServer],
    env: dict[str, str],
    stop: Stop,
    requests_before: int,
    command_line: Sequence[str] | None = None,
) -> tuple[subprocess.CompletedProcess, float, set[int]]:
    """`make sync` (or `command_line`) stopped once every one of `servers` has served
    `requests_before` requests: (its output, the seconds until the last of its processes was
    gone, its processes)."""

    def reached() -> bool:
        return min(server.stats.snapshot()["served"] for server in servers) >= requests_before

    return stop_when(reached, env, stop, command_line)


def stop_when(
    reached: Callable[[], bool],
    env: dict[str, str],
    stop: Stop,
    command_line: Sequence[str] | None = None,
) -> tuple[subprocess.CompletedProcess, float, set[int]]:
    """`make sync` (or `command_line`) stopped once `reached()`: (its output, the seconds until
    the last of its processes was gone, its processes)."""
    command = subprocess.Popen(
        command_line or make("sync", ""),
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while not reached():
        assert command.poll() is None and time.monotonic() < deadline, "the sync did not start"
        time.sleep(0.1)
    tree = process_tree(command.pid)
    stop(command.pid)
    seconds = wait_until_gone(tree)
    stdout, stderr = command.communicate(timeout=5)
    ended = subprocess.CompletedProcess(command.args, command.returncode, stdout, stderr)
    return ended, seconds, tree


def requests_received(server: SimulatorServer) -> int:
    """Every request the site received, REST (refused ones too) and GraphQL."""
    stats = server.stats.snapshot()
    return stats["served"] + stats["refused"] + stats["graphql"]["requests"]


def summary_total_requests(stdout: str) -> int:
    """The requests of the summary table's `total` row (the one before its seconds)."""
    total = next(line for line in stdout.splitlines() if line.startswith("total "))
    return int(total.split()[-2])
