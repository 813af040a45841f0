"""Running an upload in tests, and reading back what it wrote."""

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from resources.dashboard.store import DashboardStore
from resources.dashboard.team_changes import archive
from resources.uploads.files import report_path
from resources.uploads.processing import Mode, Outcome, UploadJob, process_upload
from resources.uploads.reading import Limits
from schemas.uploads import USER_CSV, UploadFormat

LIMITS = Limits(max_bytes=10_000_000, max_rows=1_000, chunk_rows=1_000)
AT = dt.datetime(2026, 1, 5, 9, 30, tzinfo=dt.UTC)


def drop(folder: Path, name: str, content: str | bytes) -> Path:
    """Writes an upload into `folder`: text as UTF-8, bytes as they are."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def run(
    store: DashboardStore,
    path: Path,
    fmt: UploadFormat = USER_CSV,
    mode: Mode = "import",
    run_id: str = "run-1",
    limits: Limits = LIMITS,
    **options: Any,
) -> Outcome:
    job = UploadJob(path, fmt, mode, limits, run_id, AT, report=report_path(path), **options)
    return process_upload(store, job)


def report_lines(path: Path) -> list[list[str]]:
    """The report of an upload, header first."""
    with report_path(path).open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def rows(store: DashboardStore, table: str, *columns: str) -> set[tuple[Any, ...]]:
    """The table's rows, as tuples of the columns named."""
    target = store.table(table)
    with store.engine.connect() as connection:
        query = sa.select(*(target.c[column] for column in columns))
        return {tuple(row) for row in connection.execute(query)}


def count(store: DashboardStore, table: str) -> int:
    target = store.table(table)
    with store.engine.connect() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(target)).scalar_one()


def create_teams(store: DashboardStore, active: list[str], archived: list[str]) -> None:
    """Teams that exist before an upload, some of them archived."""
    store.create_teams(*active, *archived)
    with store.transaction() as connection:
        for team in archived:
            archive(connection, store, team, AT)
