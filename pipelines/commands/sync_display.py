"""How the main command shows a sync: live progress on a terminal, plain lines elsewhere, then
each failure cause once and a summary table (drawn by rich).

On a terminal a live table redraws each asset's state (page n of N, rows so far) a few times a
second; in a log file or a pipe each asset gets one line when it finishes, so a healthy sync
prints a few dozen lines.
"""

from collections.abc import Iterable, Sequence
from typing import Any, Self

from rich import box
from rich.console import Console
from rich.live import Live
from rich.table import Table

from pipelines.commands.sync_report import AssetState, SyncReport

SUMMARY_COLUMNS = [
    ("rows", "dagster/row_count"),
    ("new", "rows_inserted"),
    ("upd", "rows_updated"),
    ("del", "rows_deleted"),
]
"""The numbers of a load, from its materialization: the table's rows, then what this run changed."""
SUMMARY_LEGEND = (
    "new, upd, del: rows this run inserted, updated, deleted; req: requests sent to Thinkific, "
    "by failed and interrupted steps too; secs: seconds."
)
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
    """What each table loaded and cost, with totals; the sync's wall time as the total seconds.

    Drawn to fit 80 columns: short headers (the caption says what they count), each table's
    name whole on one line (were the numbers too wide, rich folds them, never the name), and
    retries and rate-limited answers, nearly always none, in the caption instead of columns.
    """
    states = sorted(states, key=lambda state: state.table)
    table = Table(
        title="Sync summary",
        title_justify="left",
        caption=f"{SUMMARY_LEGEND} {_retries_caption(states)}",
        caption_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        padding=(0, 0, 0, 1),
    )
    table.add_column("table", no_wrap=True, min_width=max(len(state.table) for state in states))
    table.add_column("status", no_wrap=True)
    for label, _ in [*SUMMARY_COLUMNS, ("req", None), ("secs", None)]:
        table.add_column(label, justify="right", overflow="fold")
    for state in states:
        numbers = [_cell(state.metadata.get(key)) for _, key in SUMMARY_COLUMNS]
        requests = str(state.requests) if state.requests else ""
        seconds = _cell(state.metadata.get("duration_seconds"))
        table.add_row(state.table, state.status, *numbers, requests, seconds)
    table.add_section()
    blanks = [""] * len(SUMMARY_COLUMNS)
    total_requests = str(sum(state.requests for state in states))
    table.add_row("total", "", *blanks, total_requests, f"{elapsed_seconds:.1f}")
    return table


def _retries_caption(states: Sequence[AssetState]) -> str:
    """`Retries: none. Rate-limited answers (429): none.`, or the tables that had some."""
    parts = []
    for label, count in (
        ("Retries", lambda state: state.retries),
        ("Rate-limited answers (429)", lambda state: state.rate_limited),
    ):
        tables = [f"{state.table} {count(state)}" for state in states if count(state)]
        total = sum(count(state) for state in states)
        parts.append(f"{label}: {total} ({', '.join(tables)})." if tables else f"{label}: none.")
    return " ".join(parts)


def _cell(value: object) -> str:
    return "" if value is None else str(value)
