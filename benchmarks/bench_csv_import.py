"""How long a 1M-row user upload takes to validate and import, on PostgreSQL and on SQLite, and
how much memory.

A valid file of 1,000,000 users in the format the dashboard's help page documents (`User name,
User email, Team name, Role, Products`; 500 teams, a tenth of the rows with a product) is written
once; then, each in its own process so that memory is measured per task (peak RSS, by
`benchmarks.peak_rss`):

- the baseline: `pandas.read_csv` of the file, nothing else, once before and twice after the
  rest; the fastest is the baseline, so that a machine busy during a baseline run cannot make
  the uploads look relatively faster than they are;
- the uploads: `process_upload` in import mode into an empty warehouse, the way the
  `uploads/user_csv` asset runs it (chunks of 100,000 rows, pandera validation, one
  transaction), on PostgreSQL (a database of its own on the tests' server, TEST_POSTGRES_URL)
  and on SQLite;
- the floors: what any import of this file into these tables must at least do — `read_csv`,
  then the same users, memberships and seat assignments written into the same empty dashboard
  tables in one transaction, with no validation, no de-duplication and no staging: by COPY
  straight into the tables on PostgreSQL, by sqlite3's executemany on SQLite. They say how
  much of an upload's time the database's writes alone take on this machine.

Each upload and floor runs `REPEATS` times, alternating, and the fastest is kept. Reported: the
durations (the work only, not the interpreter's start-up), the ratios to read_csv (target for
the PostgreSQL upload: at most 4) and of each upload to its floor (target for SQLite: at most
1.1), the CPU time of the Python process and, when the server runs on this machine, of the
PostgreSQL server processes serving it, and the peak RSS figures (target at most 1.5 GB).

    ./scripts/uv run --frozen python -m benchmarks csv_import
"""

import datetime as dt
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks.peak_rss import run_measured
from benchmarks.postgres import ServerCpu, fresh_database

if TYPE_CHECKING:
    from resources.dashboard.store import DashboardStore

ROWS = 1_000_000
TEAMS = 500
REPEATS = int(os.environ.get("BENCH_CSV_IMPORT_REPEATS", 3))
ROOT = Path(__file__).resolve().parents[1]
PRODUCT = {"id": 101, "name": "Intro to Python", "productable_type": "Course", "productable_id": 1}
HEADER = ("User name", "User email", "Team name", "Role", "Products")
COPY_ROWS = 100_000
"""Rows per COPY text batch in the PostgreSQL floor, as the upload's chunks."""


def write_file(path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(",".join(HEADER) + "\r\n")
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


def _empty_store(warehouse_url: str) -> tuple["DashboardStore", ServerCpu | None]:
    """The dashboard tables in an empty warehouse that sells PRODUCT, and on PostgreSQL what
    its server processes spend from now on."""
    from resources.dashboard.store import DashboardStore
    from resources.warehouse import WarehouseResource
    from schemas.thinkific import to_frame

    warehouse = WarehouseResource(url=warehouse_url)
    server = ServerCpu(warehouse.engine) if warehouse.engine.dialect.name == "postgresql" else None
    warehouse.upsert("thinkific_products", to_frame("thinkific_products", [PRODUCT]))
    store = DashboardStore(warehouse)
    store.ensure_tables()
    return store, server


def _measured(work: Callable[[], Any], server: ServerCpu | None) -> dict[str, Any]:
    """Runs `work`: its wall and CPU seconds, the server's CPU seconds, and what it returned."""
    server_before = server.seconds() if server else None
    started, cpu = time.perf_counter(), time.process_time()
    result = work()
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    server_after = server.seconds() if server else None
    spent = None if server_after is None else server_after - (server_before or 0.0)
    return {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "server_cpu_seconds": spent,
        "result": result,
    }


def _floor_rows(path: Path, at: str) -> tuple[int, dict[str, tuple[Any, ...]]]:
    """read_csv, then the file's rows as the columns of the dashboard tables, in order."""
    import pandas as pd

    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    emails, teams = frame["User email"].str.lower(), frame["Team name"].str.lower()
    first, _, last = frame["User name"].str.partition(" ").T.to_numpy()
    seats = frame["Products"] == PRODUCT["name"]
    n, n_seats = len(frame), int(seats.sum())
    columns = {
        "dashboard_users": (emails, first, last, [None] * n, [at] * n, ["bench"] * n),
        "dashboard_team_members": (teams, emails, frame["Role"], ["csv_import"] * n, [at] * n),
        "dashboard_seat_assignments": (
            teams[seats],
            emails[seats],
            [PRODUCT["id"]] * n_seats,
            ["dashboard"] * n_seats,
            [at] * n_seats,
        ),
    }
    return n, columns


def _floor(path: Path, warehouse_url: str) -> dict[str, Any]:
    """read_csv, then the file's rows written as they are: COPY (PostgreSQL), executemany."""
    from resources.uploads.staging import SQLITE_CACHE_KIB
    from resources.warehouse.copy_loads import copy_text
    from resources.warehouse.rows import batches
    from resources.warehouse.rows import copy_text as copy_format

    store, server = _empty_store(warehouse_url)
    at = dt.datetime.now(dt.UTC).isoformat(sep=" ")

    def sqlite(rows: dict[str, tuple[Any, ...]]) -> None:
        with store.engine.connect() as connection:
            driver = connection.connection.driver_connection
            driver.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")  # as large as the upload's
            driver.execute("BEGIN")
            for table, columns in rows.items():
                insert = str(store.table(table).insert().compile(dialect=connection.dialect))
                driver.executemany(insert, zip(*columns, strict=True))
            driver.commit()

    def postgresql(rows: dict[str, tuple[Any, ...]]) -> None:
        import numpy as np
        import pandas as pd

        with store.engine.begin() as connection:
            for table, columns in rows.items():
                frame = pd.DataFrame(
                    {str(i): np.asarray(values, dtype=object) for i, values in enumerate(columns)}
                )
                names = list(frame.columns)
                texts = (copy_format(batch, names) for batch in batches(frame, COPY_ROWS))
                copy_text(connection, store.table(table), texts)

    write = postgresql if store.dialect == "postgresql" else sqlite

    def work() -> int:
        n, rows = _floor_rows(path, at)
        write(rows)
        return n

    measured = _measured(work, server)
    return measured | {"rows": measured.pop("result")}


def _import(path: Path, warehouse_url: str) -> dict[str, Any]:
    from resources.uploads.processing import UploadJob, process_upload
    from resources.uploads.reading import Limits
    from schemas.uploads import USER_CSV

    store, server = _empty_store(warehouse_url)
    job = UploadJob(
        path=path,
        fmt=USER_CSV,
        mode="import",
        limits=Limits(max_bytes=10**9, max_rows=ROWS, chunk_rows=100_000),
        run_id="bench",
        at=dt.datetime.now(dt.UTC),
        report=path.with_name("users.report.csv"),
    )
    measured = _measured(lambda: process_upload(store, job), server)
    outcome = measured.pop("result")
    if (outcome.status, outcome.rows_valid, outcome.counts.get("users_created")) != (
        "imported",
        ROWS,
        ROWS,
    ):
        raise RuntimeError(f"the upload did not import every row: {outcome}")
    return measured | {"counts": outcome.counts}


def _in_child(task: str, *args: str) -> dict[str, Any]:
    """Runs a task in a fresh interpreter; its result, with its peak RSS in KiB."""
    measured = run_measured(
        [sys.executable, "-m", "benchmarks.bench_csv_import", task, *args], cwd=ROOT, capture=True
    )
    result = json.loads(measured.stdout.strip().splitlines()[-1])
    return result | {"peak_rss_kib": measured.peak_rss_kib}


def _best_runs(path: Path, folder: str) -> dict[str, dict[str, Any]]:
    """Each upload and floor, REPEATS times alternating, the fastest run of each kept."""
    runs: dict[str, list[dict[str, Any]]] = {}
    for repeat in range(REPEATS):
        for database in ("postgresql", "sqlite"):
            for task in ("import", "floor"):
                if database == "postgresql":
                    with fresh_database("bench_csv_import") as url:
                        target = url.render_as_string(hide_password=False)
                        measured = _in_child(task, str(path), target)
                else:
                    target = f"sqlite:///{folder}/{task}_{repeat}.db"
                    measured = _in_child(task, str(path), target)
                runs.setdefault(f"{database} {task}", []).append(measured)
    return {name: min(measured, key=lambda m: m["seconds"]) for name, measured in runs.items()}


def main() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "users.csv"
        write_file(path)
        size_mb = path.stat().st_size / 1e6
        first = _in_child("read_csv", str(path))
        best = _best_runs(path, tmp)
        reads = [first] + [_in_child("read_csv", str(path)) for _ in range(2)]
    wall = min(read["seconds"] for read in reads)
    cpu = min(read["cpu_seconds"] for read in reads)
    columns = {
        "PostgreSQL upload": (best["postgresql import"], best["postgresql floor"]),
        "PostgreSQL floor: read_csv + COPY": (best["postgresql floor"],) * 2,
        "SQLite upload": (best["sqlite import"], best["sqlite floor"]),
        "SQLite floor: read_csv + executemany": (best["sqlite floor"],) * 2,
    }

    def line(metric: str, of: Callable[[dict, dict], Any], read_csv: Any, target: str = ""):
        """One row of the table: `of` applied to each column's figures and its floor's."""
        figures = {name: of(measured, floor) for name, (measured, floor) in columns.items()}
        return {"metric": metric, **figures, "pandas.read_csv": read_csv, "target": target}

    def server(measured: dict, _: dict) -> Any:
        seconds = measured.get("server_cpu_seconds")
        return "" if seconds is None else round(seconds, 2)

    rows = [
        line("duration (s)", lambda m, _: round(m["seconds"], 2), round(wall, 2)),
        line(
            "÷ read_csv",
            lambda m, _: round(m["seconds"] / wall, 2),
            1.0,
            "PostgreSQL upload ≤ 4",
        ),
        line(
            "÷ floor", lambda m, f: round(m["seconds"] / f["seconds"], 2), "", "SQLite upload ≤ 1.1"
        ),
        line("CPU time, Python (s)", lambda m, _: round(m["cpu_seconds"], 2), round(cpu, 2)),
        line("÷ read_csv, CPU time", lambda m, _: round(m["cpu_seconds"] / cpu, 2), 1.0),
        line("CPU time, PostgreSQL server (s)", server, ""),
        line(
            "peak RSS (MiB)",
            lambda m, _: round(m["peak_rss_kib"] / 1024),
            round(first["peak_rss_kib"] / 1024),
            "≤ 1536",
        ),
        line("rows per second", lambda m, _: round(ROWS / m["seconds"]), round(ROWS / wall)),
    ]
    counts = best["postgresql import"]["counts"]
    return {
        "title": "CSV upload: validate and import 1M users on PostgreSQL and SQLite",
        "rows": rows,
        "notes": (
            f"A valid {ROWS:,}-row file ({size_mb:.0f} MB, the help page's columns, {TEAMS} "
            "teams, a product on every tenth row) imported by `process_upload` into an empty "
            f"warehouse: {counts['users_created']:,} users, {counts['memberships_added']:,} "
            f"memberships, {counts['seats_assigned']:,} seat assignments in one transaction. "
            "Each task runs in its own process; durations exclude interpreter start-up, peak "
            "RSS includes it. Uploads and floors are the fastest of "
            f"{REPEATS} runs each. CPU time (each process's own) is shown beside wall time, "
            "which other processes busy on the machine inflate; the PostgreSQL server's CPU "
            "time is that of the server processes serving the task (the server runs on this "
            "machine). The floors write the same rows into the same empty tables (their keys "
            "and indexes included), by COPY into the tables (PostgreSQL) or sqlite3's "
            "executemany with the upload's page cache (SQLite), and do nothing else: no "
            "validation, no de-duplication, no staging; they are what the database's writes "
            "cost on this machine, whatever the import does. "
            + _postgresql_finding(best["postgresql import"], best["postgresql floor"], wall)
            + " read_csv runs (s): "
            + ", ".join(f"{read['seconds']:.2f}" for read in reads)
            + "."
        ),
    }


def _postgresql_finding(upload: dict[str, Any], floor: dict[str, Any], read_csv: float) -> str:
    """What the PostgreSQL figures of this run say, in a sentence or two."""
    finding = (
        f"Here the PostgreSQL floor alone takes {floor['seconds'] / read_csv:.1f}x read_csv, "
        "so no import that writes these rows into these tables reaches 4x on this machine. "
        "The upload COPYs each chunk into temporary tables and inserts the rows not there yet "
        "with INSERT ... SELECT while the next chunk is read, so its time follows the server's"
    )
    spent, floor_spent = upload["server_cpu_seconds"], floor["server_cpu_seconds"]
    if spent is None or not floor_spent:
        return finding + "."
    return (
        f"{finding}: its server processes spent {spent / floor_spent:.1f}x the floor's CPU "
        "time (rows staged, then inserted one by one after a key check, where COPY inserts "
        "straight into the tables, in batches)."
    )


if __name__ == "__main__":
    task, *arguments = sys.argv[1:]
    tasks = {"read_csv": _read_csv, "import": _import, "floor": _floor}
    print(json.dumps(tasks[task](Path(arguments[0]), *arguments[1:])))
