"""How the main command shows a sync: live progress on a terminal, plain lines elsewhere, then
each failure cause once and a summary table (drawn by rich).

On a terminal a live table redraws each asset's state (page n of N, rows so far) a few times a
second; in a log file or a pipe each asset gets one line when it finishes, so a healthy sync
prints a few dozen lines.
"""

from collections.abc import Iterable
from typing import Any, Self

from rich.console import Console
from rich.live import Live
from rich.table import Table

from pipelines.commands.sync_report import AssetState, SyncReport

SUMMARY_COLUMNS = [
    ("table", "dagster/table_name"),
    ("rows", "dagster/row_count"),
    ("read", "rows_read"),
    ("inserted", "rows_inserted"),
    ("updated", "rows_updated"),
    ("deleted", "rows_deleted"),
    ("requests", "requests"),
    ("retries", "retries"),
    ("429s", "rate_limited_responses"),
    ("seconds", "duration_seconds"),
]
TOTALLED = ("requests", "retries", "429s")
STATUS_STYLE = {"loaded": "green", "failed": "red", "not run": "yellow", "skipped": "yellow"}
PLAIN_WIDTH = 140
"""Columns of output that is not a terminal (rich would assume 80 and wrap the table)."""


def console_for(file: Any) -> Console:
    """A console on `file`: colours and live redraws only where it is a terminal."""
    console = Console(file=file, highlight=False)
    if not console.is_terminal:
        console = Console(file=file, highlight=False, width=PLAIN_WIDTH, no_color=True)
    return console


def say(console: Console, text: str, style: str | None = None) -> None:
    """Print `text` as it is: no markup, no highlighting, and one line never wrapped, so that
    a message can be found whole by a grep or a log search."""
    console.print(text, style=style, markup=False, highlight=False, soft_wrap=True)


def asset_line(state: AssetState) -> str:
    """One asset in one line: `thinkific/users  loaded  500 rows, 2 pages, 1.3 s`."""
    return f"{state.key:<32} {state.status:<8} {_detail(state)}".rstrip()


def _count(number: object, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _detail(state: AssetState) -> str:
    if state.status == "loaded":
        values = state.metadata
        parts = [_count(values.get("dagster/row_count", "?"), "row")]
        parts += [_count(values[k], k[:-1]) for k in ("pages", "requests") if values.get(k)]
        if "duration_seconds" in values:
            parts.append(f"{values['duration_seconds']} s")
        if state.warnings:
            parts.append(f"{state.warnings} warnings, the last: {state.last_warning}")
        return ", ".join(parts)
    if state.status == "failed":
        return f"({state.reason}, see below)"
    if state.status == "skipped":
        return state.reason.split(". ")[0]
    return state.progress or state.last_warning


class SyncDisplay:
    """Use as a context manager around the run; `finished` is the report's `on_finished`."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.report: SyncReport | None = None
        self._live: Live | None = None

    def finished(self, state: AssetState) -> None:
        if self._live is None:
            say(self.console, asset_line(state))

    def _progress_table(self) -> Table:
        table = Table.grid(padding=(0, 2))
        assert self.report is not None
        with self.report.lock:
            for state in self.report.assets.values():
                style = STATUS_STYLE.get(state.status, "cyan")
                table.add_row(state.key, f"[{style}]{state.status}[/]", _detail(state))
        return table

    def __enter__(self) -> Self:
        if self.console.is_terminal and self.report is not None:
            self._live = Live(
                get_renderable=self._progress_table, console=self.console, refresh_per_second=4
            )
            self._live.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._live is not None:
            self._live.refresh()
            self._live.stop()
            self._live = None


def not_run_line(states: Iterable[AssetState], *, interrupted: bool) -> str | None:
    skipped = [state.key for state in states if state.status == "not run"]
    if not skipped:
        return None
    why = "the sync was stopped first" if interrupted else "a step they depend on failed"
    return f"Not run, because {why}: {', '.join(skipped)}"


def summary_table(states: Iterable[AssetState], elapsed_seconds: float) -> Table:
    """What each asset loaded and cost, with totals; the sync's wall time as the total seconds."""
    table = Table(title="Sync summary", title_justify="left")
    for label, _ in SUMMARY_COLUMNS:
        table.add_column(label, justify="left" if label == "table" else "right")
        if label == "table":
            table.add_column("status")
    totals = dict.fromkeys(TOTALLED, 0)
    for state in sorted(states, key=lambda state: state.key):
        name, *values = [_cell(state.metadata.get(key)) for _, key in SUMMARY_COLUMNS]
        for label in TOTALLED:
            totals[label] += _number(state.metadata.get(dict(SUMMARY_COLUMNS)[label]))
        table.add_row(name or state.key, state.status, *values)
    total_cells = [str(totals[label]) if label in totals else "" for label, _ in SUMMARY_COLUMNS]
    total_cells[-1] = f"{elapsed_seconds:.1f}"
    table.add_section()
    table.add_row("total", "", *total_cells[1:])
    return table


def _cell(value: object) -> str:
    return "" if value is None else str(value)


def _number(value: object) -> int:
    """A count from metadata (an int, or absent); never fails on what a failed run left out."""
    return int(value) if isinstance(value, int | float) else 0
