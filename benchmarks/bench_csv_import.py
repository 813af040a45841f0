"""How long a 1M-row user upload takes to validate and import on SQLite, and how much memory.

A valid file of 1,000,000 users (500 teams, a tenth of the rows with a product) is written once;
then, each in its own process so that memory is measured per task (peak RSS, by
`benchmarks.peak_rss`):

- the baseline: `pandas.read_csv` of the file, nothing else, once before and twice after the
  upload; the fastest is the baseline, so that a machine busy during a baseline run cannot make
  the upload look relatively faster than it is;
- the upload: `process_upload` in import mode into an empty SQLite warehouse, the way the
  `uploads/user_csv` asset runs it (chunks of 100,000 rows, pandera validation, one
  transaction);
- the floor: what any import of this file into these tables must at least do — `read_csv`, then
  sqlite3's own executemany of the same users, memberships and seat assignments into the same
  empty dashboard tables in one transaction, with no validation, no de-duplication and no
  staging. It says how much of the upload's time SQLite's writes alone take on this machine.

Reported: the durations (the work only, not the interpreter's start-up), the ratios to read_csv
(target ≤ 5) and of the upload to the floor, the same for CPU time, and the peak RSS figures
(target ≤ 1.5 GB for the upload).

    ./scripts/uv run --frozen python -m benchmarks csv_import
"""

import datetime as dt
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks.peak_rss import run_measured

if TYPE_CHECKING:
    from resources.dashboard_store import DashboardStore

ROWS = 1_000_000
TEAMS = 500
ROOT = Path(__file__).resolve().parents[1]
PRODUCT = {"id": 101, "name": "Intro to Python", "productable_type": "Course", "productable_id": 1}


def write_file(path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write("name,email,team,role,products\r\n")
        for i in range(ROWS):
            role = "manager" if i % 50 == 0 else "member"
            product = PRODUCT["name"] if i % 10 == 0 else ""
            handle.write(
                f"First{i} Last{i % 997},user{i}@example{i % 40}.com,Team {i % TEAMS},{role},"
                f"{product}\r\n"
            )


def _read_csv(path: Path) -> dict[str, Any]:
    import pandas as pd

    started, cpu = time.perf_counter(), time.process_time()
    frame = pd.read_csv(path)
    return {
        "seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - cpu,
        "rows": len(frame),
    }


def _empty_store(warehouse_url: str) -> "DashboardStore":
    """The dashboard tables in an empty warehouse that sells PRODUCT."""
    from resources.dashboard_store import DashboardStore
    from resources.warehouse import WarehouseResource
    from schemas.thinkific import to_frame

    warehouse = WarehouseResource(url=warehouse_url)
    warehouse.upsert("thinkific_products", to_frame("thinkific_products", [PRODUCT]))
    store = DashboardStore(warehouse)
    store.ensure_tables()
    return store


def _floor(path: Path, warehouse_url: str) -> dict[str, Any]:
    """read_csv, then the file's rows written as they are by sqlite3's executemany."""
    import pandas as pd

    from resources.upload_staging import SQLITE_CACHE_KIB

    store = _empty_store(warehouse_url)
    at = dt.datetime.now(dt.UTC).isoformat(sep=" ")
    started, cpu = time.perf_counter(), time.process_time()
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    emails, teams = frame["email"].str.lower(), frame["team"].str.lower()
    first, _, last = frame["name"].str.partition(" ").T.to_numpy()
    seats = frame["products"] == PRODUCT["name"]
    n, n_seats = len(frame), int(seats.sum())
    rows = {
        "dashboard_users": (emails, first, last, [None] * n, [at] * n, ["bench"] * n),
        "dashboard_team_members": (teams, emails, frame["role"], ["csv_import"] * n, [at] * n),
        "dashboard_seat_assignments": (
            teams[seats],
            emails[seats],
            [PRODUCT["id"]] * n_seats,
            ["dashboard"] * n_seats,
            [at] * n_seats,
        ),
    }
    with store.engine.connect() as connection:
        sqlite = connection.connection.driver_connection
        sqlite.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")  # as large as the upload's
        sqlite.execute("BEGIN")
        for table, columns in rows.items():
            insert = str(store.table(table).insert().compile(dialect=connection.dialect))
            sqlite.executemany(insert, zip(*columns, strict=True))
        sqlite.commit()
    return {
        "seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - cpu,
        "rows": len(frame),
    }


def _import(path: Path, warehouse_url: str) -> dict[str, Any]:
    from resources.upload_processing import UploadJob, process_upload
    from resources.upload_reading import Limits
    from schemas.uploads import USER_CSV

    store = _empty_store(warehouse_url)
    job = UploadJob(
        path=path,
        fmt=USER_CSV,
        mode="import",
        limits=Limits(max_bytes=10**9, max_rows=ROWS, chunk_rows=100_000),
        run_id="bench",
        at=dt.datetime.now(dt.UTC),
        report=path.with_name("users.report.csv"),
    )
    started, cpu = time.perf_counter(), time.process_time()
    outcome = process_upload(store, job)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    if (outcome.status, outcome.rows_valid, outcome.counts.get("users_created")) != (
        "imported",
        ROWS,
        ROWS,
    ):
        raise RuntimeError(f"the upload did not import every row: {outcome}")
    return {"seconds": seconds, "cpu_seconds": cpu_seconds, "counts": outcome.counts}


def _in_child(task: str, *args: str) -> dict[str, Any]:
    """Runs a task in a fresh interpreter; its result, with its peak RSS in KiB."""
    measured = run_measured(
        [sys.executable, "-m", "benchmarks.bench_csv_import", task, *args], cwd=ROOT, capture=True
    )
    result = json.loads(measured.stdout.strip().splitlines()[-1])
    return result | {"peak_rss_kib": measured.peak_rss_kib}


def main() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "users.csv"
        write_file(path)
        size_mb = path.stat().st_size / 1e6
        first = _in_child("read_csv", str(path))
        upload = _in_child("import", str(path), f"sqlite:///{tmp}/warehouse.db")
        floor = _in_child("floor", str(path), f"sqlite:///{tmp}/floor.db")
        reads = [first] + [_in_child("read_csv", str(path)) for _ in range(2)]
    wall = min(read["seconds"] for read in reads)
    cpu = min(read["cpu_seconds"] for read in reads)
    measured = {"upload": upload, "floor: read_csv + executemany": floor}

    def line(metric: str, of: Callable[[dict[str, Any]], float], read_csv: Any, target: str = ""):
        """One row of the table: `of` applied to the upload's and the floor's figures."""
        figures = {name: round(of(figures), 2) for name, figures in measured.items()}
        return {"metric": metric, **figures, "pandas.read_csv": read_csv, "target": target}

    rows = [
        line("duration (s)", lambda m: m["seconds"], round(wall, 2)),
        line("÷ read_csv", lambda m: m["seconds"] / wall, 1.0, "≤ 5"),
        line("÷ floor", lambda m: m["seconds"] / floor["seconds"], ""),
        line("CPU time (s)", lambda m: m["cpu_seconds"], round(cpu, 2)),
        line("÷ read_csv, CPU time", lambda m: m["cpu_seconds"] / cpu, 1.0),
        line(
            "peak RSS (MiB)",
            lambda m: round(m["peak_rss_kib"] / 1024),
            round(first["peak_rss_kib"] / 1024),
            "≤ 1536",
        ),
        line("rows per second", lambda m: round(ROWS / m["seconds"]), round(ROWS / wall)),
    ]
    return {
        "title": "CSV upload: validate and import 1M users on SQLite",
        "rows": rows,
        "notes": (
            f"A valid {ROWS:,}-row file ({size_mb:.0f} MB, {TEAMS} teams, a product on every "
            "tenth row) imported by `process_upload` into an empty SQLite warehouse: "
            f"{upload['counts']['users_created']:,} users, "
            f"{upload['counts']['memberships_added']:,} memberships, "
            f"{upload['counts']['seats_assigned']:,} seat assignments in one transaction. Each "
            "side runs in its own process; durations exclude interpreter start-up, peak RSS "
            "includes it. CPU time (each process's own) is shown beside wall time, which other "
            "processes busy on the machine inflate. The floor writes the same rows into the same "
            "empty tables (their keys and indexes included) with sqlite3's executemany and the "
            "upload's page cache, and does nothing else: no validation, no de-duplication, no "
            "staging; it is what SQLite's writes cost on this machine, whatever the import "
            "does. read_csv runs (s): "
            + ", ".join(f"{read['seconds']:.2f}" for read in reads)
            + "."
        ),
    }


if __name__ == "__main__":
    task, *arguments = sys.argv[1:]
    tasks = {"read_csv": _read_csv, "import": _import, "floor": _floor}
    print(json.dumps(tasks[task](Path(arguments[0]), *arguments[1:])))
