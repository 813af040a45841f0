"""The main command's summary table, drawn as an 80-column terminal shows it."""

from io import StringIO

import pytest
from rich.console import Console

from pipelines.commands.sync import assets_by_step
from pipelines.commands.sync_display import summary_table
from pipelines.commands.sync_report import AssetState
from schemas.thinkific import STREAMS

LARGE_LOAD = {
    "dagster/row_count": 123_456,
    "rows_inserted": 123_456,
    "rows_updated": 12_345,
    "rows_deleted": 1_234,
    "duration_seconds": 123.45,
}


@pytest.fixture(scope="module")
def every_asset_of_the_sync() -> list[str]:
    from pipelines.definitions import defs
    from pipelines.jobs.schedules import SYNC_JOB_NAME

    steps = assets_by_step(defs.resolve_job_def(SYNC_JOB_NAME))
    return [key for keys in steps.values() for key in keys]


def _drawn(states: list[AssetState], width: int = 80) -> str:
    console = Console(width=width, file=StringIO())
    console.print(summary_table(states, elapsed_seconds=1234.5))
    return console.file.getvalue()


def _large(key: str, status: str) -> AssetState:
    loaded = status == "loaded"
    return AssetState(key, status=status, metadata=LARGE_LOAD if loaded else {}, requests=1234)


def test_every_table_of_the_sync_is_named_whole_in_one_row_at_80_columns(every_asset_of_the_sync):
    statuses = ("loaded", "failed", "not run", "skipped")
    states = [
        _large(key, statuses[index % len(statuses)])
        for index, key in enumerate(every_asset_of_the_sync)
    ]
    drawn = _drawn(states)
    rows = {line.split()[0]: line for line in drawn.splitlines() if line.strip()}
    assert "…" not in drawn
    assert max(len(line.rstrip()) for line in drawn.splitlines()) <= 80
    for stream in STREAMS:
        assert stream.table in rows, drawn
    for state in states:
        assert state.status in rows[state.table], drawn


def test_a_row_names_its_table_whatever_the_status():
    drawn = _drawn([AssetState("thinkific/users", status="not run")])
    assert "thinkific_users" in drawn and "thinkific/users" not in drawn


def test_requests_of_failed_and_loaded_streams_are_in_their_rows_and_the_total():
    states = [
        AssetState("thinkific/users", status="loaded", metadata={"requests": 2}, requests=2),
        AssetState("thinkific/orders", status="failed", requests=5),
    ]
    rows = {line.split()[0]: line.split() for line in _drawn(states).splitlines() if line.strip()}
    assert rows["thinkific_orders"][-1] == "5"
    assert rows["total"][-2] == str(2 + 5)


def test_retries_and_rate_limited_answers_are_named_per_table_below_the_table():
    states = [AssetState("thinkific/orders", status="loaded", retries=3, rate_limited=1)]
    drawn = " ".join(_drawn(states).split())
    assert "Retries: 3 (thinkific_orders 3)." in drawn
    assert "Rate-limited answers (429): 1 (thinkific_orders 1)." in drawn
