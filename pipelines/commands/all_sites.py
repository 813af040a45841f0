"""The main command with a sites file: every site synced at once, one process each.

Each site runs as `python -m pipelines --site NAME`: the same single-site sync, its own Dagster
run, its own rate limit and in-flight slots (shared with any other process syncing that site),
its own place in the warehouse. A process per site, rather than threads in one, keeps one
site's failure, memory and interrupt its own, and is the same unit a deployment launches per
site (a Kubernetes job per run). Every line a site's process prints is shown as it comes,
prefixed with the site's name; at the end one line per site says how it went, and the command
exits non-zero naming every site that failed, while the others' tables are loaded.

SIGTERM to this process is passed on to every site's process (Ctrl-C from a terminal reaches
them all already: passed on, it would reach them twice); each stops its running step and
records its run as failed, and this process waits for them before it ends, killing any still
running `STOP_GRACE_SECONDS` after the signal, so nothing is left behind.
"""

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import FrameType

from rich.console import Console
from rich.table import Table

from pipelines.commands.sync_display import say
from resources.sites import Site

EXIT_OK, EXIT_FAILED, EXIT_INTERRUPTED = 0, 1, 130
STOP_GRACE_SECONDS = 8.0
"""How long a site's process may take to stop after the signal before it is killed: each stops
its step within seconds, and a killed one loses nothing (its load resumes on the next run)."""
POLL_SECONDS = 0.2
"""How often the sites' processes are looked at: each one's seconds are this close to its own."""


@dataclass
class SiteRun:
    site: Site
    process: subprocess.Popen
    started: float
    seconds: float | None = None

    @property
    def outcome(self) -> str:
        code = self.process.returncode
        if code == EXIT_OK:
            return "succeeded"
        if code == EXIT_INTERRUPTED:
            return "interrupted"
        return f"failed (exit {code})"


class _Printer:
    """Prints whole lines from several sites' processes, each prefixed with its site."""

    def __init__(self, console: Console, width: int) -> None:
        self._console = console
        self._width = width
        self._lock = threading.Lock()

    def pump(self, site: str, stream) -> None:
        prefix = f"{site:<{self._width}} │ "
        for line in stream:
            with self._lock:
                say(self._console, prefix + line.rstrip("\n"))


def _start(site: Site, flags: Sequence[str]) -> subprocess.Popen:
    command = [sys.executable, "-m", "pipelines", "--site", site.name, *flags]
    return subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        errors="replace",
        bufsize=1,
        env=os.environ.copy(),
    )


def sync_every_site(sites: Sequence[Site], out: Console, err: Console, flags: Sequence[str]) -> int:
    """Syncs every site concurrently, each process with the command's `flags` (`--verbose`,
    `--full-refresh`); the exit status of the whole (see module doc)."""
    printer = _Printer(out, max(len(site.name) for site in sites))
    runs: list[SiteRun] = []
    pumps: list[threading.Thread] = []
    stopping_since: float | None = None

    def on_signal(received: int, _frame: FrameType | None) -> None:
        nonlocal stopping_since
        stopping_since = stopping_since or time.monotonic()
        if received == signal.SIGINT:
            return  # Ctrl-C: the terminal sent it to every site's process already
        for run in runs:
            if run.process.poll() is None:
                run.process.send_signal(signal.SIGTERM)

    previous = {
        stopping: signal.signal(stopping, on_signal) for stopping in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        say(out, f"Syncing {len(sites)} sites at once: {', '.join(site.name for site in sites)}")
        for site in sites:
            process = _start(site, flags)
            runs.append(SiteRun(site, process, time.monotonic()))
            pump = threading.Thread(
                target=printer.pump, args=(site.name, process.stdout), daemon=True
            )
            pump.start()
            pumps.append(pump)
        wait_for_every_site(
            runs,
            overdue=lambda: (
                stopping_since is not None
                and time.monotonic() - stopping_since > STOP_GRACE_SECONDS
            ),
        )
        for pump in pumps:
            pump.join(timeout=5)
    finally:
        for stopping, handler in previous.items():
            signal.signal(stopping, handler)
    return _report(runs, out, err, interrupted=stopping_since is not None)


def wait_for_every_site(
    runs: Sequence[SiteRun],
    overdue: Callable[[], bool],
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Waits until every site's process has ended, killing those still running once `overdue`.

    Every process is looked at on each round, so each site's seconds run from its own start to
    its own end: waiting on one site at a time stamped a quick site only when the slow ones
    before it had ended.
    """
    running = list(runs)
    while running:
        for run in list(running):
            if run.process.poll() is not None:
                run.seconds = clock() - run.started
                running.remove(run)
            elif overdue():
                run.process.kill()
        if running:
            sleep(POLL_SECONDS)


def _report(runs: Sequence[SiteRun], out: Console, err: Console, interrupted: bool) -> int:
    table = Table(title="Sites", title_justify="left")
    for column in ("site", "subdomain", "result", "seconds"):
        table.add_column(column, justify="right" if column == "seconds" else "left")
    for run in runs:
        seconds = f"{run.seconds:.1f}" if run.seconds is not None else ""
        table.add_row(run.site.name, run.site.subdomain, run.outcome, seconds)
    out.print(table)
    failed = [run for run in runs if run.process.returncode != EXIT_OK]
    if not failed:
        say(out, f"Every site synced ({len(runs)}).")
        return EXIT_OK
    names = ", ".join(f"{run.site.name} ({run.outcome})" for run in failed)
    say(err, f"Sites that did not sync: {names}; each site's lines above say why.", style="red")
    if interrupted or all(run.process.returncode == EXIT_INTERRUPTED for run in failed):
        return EXIT_INTERRUPTED
    return EXIT_FAILED
